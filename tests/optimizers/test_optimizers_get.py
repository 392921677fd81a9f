"""Looking optimizers up by name, dict or instance; (de)serializing every built-in class."""

import pytest

from heft import optimizers
from heft.optimizers import schedules

CLASSES = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Lion"]


@pytest.mark.parametrize("name", CLASSES)
def test_get_resolves_names_case_insensitively(name):
    assert type(optimizers.get(name.lower())).__name__ == name
    assert type(optimizers.get(name)).__name__ == name


def test_get_returns_instances_unchanged_and_none_as_none():
    opt = optimizers.Adam()
    assert optimizers.get(opt) is opt
    assert optimizers.get(None) is None


def test_get_builds_from_a_config_dict():
    opt = optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.5, "momentum": 0.9}})
    assert opt.get_config()["momentum"] == 0.9


@pytest.mark.parametrize("identifier", ["adamx", 3])
def test_get_rejects_what_it_cannot_interpret(identifier):
    with pytest.raises(ValueError, match=r"Could not interpret optimizer identifier.*'adam'"):
        optimizers.get(identifier)


def test_get_rejects_an_unknown_class_in_a_dict():
    with pytest.raises(ValueError, match=r"'Nope' is not a known optimizer.*custom_objects"):
        optimizers.get({"class_name": "Nope", "config": {}})


@pytest.mark.parametrize("name", CLASSES)
def test_serialize_deserialize_round_trip(name):
    opt = getattr(optimizers, name)(learning_rate=0.5, clipvalue=1.0, name="o")
    config = optimizers.serialize(opt)
    assert config["module"] == "keras.optimizers" and config["class_name"] == name
    again = optimizers.deserialize(config)
    assert type(again) is type(opt) and again.get_config() == opt.get_config()


def test_deserialize_with_schedule_learning_rate():
    opt = optimizers.Adam(learning_rate=schedules.PolynomialDecay(0.1, 5))
    config = optimizers.serialize(opt)
    again = optimizers.deserialize(config)
    assert isinstance(again._learning_rate, schedules.PolynomialDecay)
    assert config["config"]["learning_rate"]["class_name"] == "PolynomialDecay"


def test_deserialize_does_not_mutate_its_input():
    config = {
        "class_name": "Adam",
        "config": {
            "learning_rate": {
                "class_name": "ExponentialDecay",
                "config": {"initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5},
            }
        },
    }
    optimizers.deserialize(config)
    assert config["class_name"] == "Adam"
    assert isinstance(config["config"]["learning_rate"], dict)
