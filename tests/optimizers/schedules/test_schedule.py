"""The schedule base class and schedule (de)serialization."""

import jax.numpy as jnp
import pytest

from heft.optimizers.schedules import (
    CosineDecay,
    ExponentialDecay,
    LearningRateSchedule,
    deserialize,
    serialize,
)


class Halving(LearningRateSchedule):
    def __init__(self, initial):
        self.initial = initial

    def __call__(self, step):
        return self.initial * 0.5 ** (jnp.asarray(step, "float32") // 10)

    def get_config(self):
        return {"initial": self.initial}


def test_schedule_base_class_requires_call_and_get_config():
    with pytest.raises(NotImplementedError, match="must override `__call__"):
        LearningRateSchedule()(0)
    with pytest.raises(NotImplementedError, match="must override `get_config\\(\\)`"):
        LearningRateSchedule().get_config()


def test_schedule_serialize_uses_keras_module_and_round_trips():
    config = serialize(CosineDecay(0.1, 10))
    assert config == {
        "module": "keras.optimizers.schedules",
        "class_name": "CosineDecay",
        "config": {
            "initial_learning_rate": 0.1,
            "decay_steps": 10,
            "alpha": 0.0,
            "name": "CosineDecay",
            "warmup_target": None,
            "warmup_steps": 0,
        },
        "registered_name": None,
    }
    assert deserialize(config).get_config() == config["config"]


def test_schedule_deserialize_custom_class_from_custom_objects():
    config = serialize(Halving(1.0))
    again = deserialize(config, custom_objects={"Halving": Halving})
    assert float(again(25)) == 0.25


def test_schedule_deserialize_rejects_unknown_class():
    with pytest.raises(ValueError, match="'Nope' is not a known decay"):
        deserialize({"class_name": "Nope", "config": {}})


def test_schedule_usable_with_a_python_int_step():
    assert float(ExponentialDecay(1.0, 1, 0.5)(2)) == 0.25
