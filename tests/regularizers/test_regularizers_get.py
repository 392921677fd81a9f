import numpy as np
import pytest

from heft import regularizers
from heft.regularizers import L1, L1L2, L2, OrthogonalRegularizer, Regularizer


def test_get_none_is_none():
    assert regularizers.get(None) is None


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("l1", L1),
        ("L1", L1),
        ("l2", L2),
        ("L2", L2),
        ("l1l2", L1L2),
        ("L1L2", L1L2),
        ("orthogonal_regularizer", OrthogonalRegularizer),
        ("OrthogonalRegularizer", OrthogonalRegularizer),
        ("Regularizer", Regularizer),
    ],
)
def test_get_accepted_names(name, cls):
    assert type(regularizers.get(name)) is cls


def test_get_string_uses_defaults():
    assert regularizers.get("l2").l2 == 0.01
    reg = regularizers.get("l1l2")
    assert (reg.l1, reg.l2) == (0.0, 0.0)


@pytest.mark.parametrize("name", ["l1_l2", "typo", "L1l2"])
def test_get_rejects_unknown_names(name):
    with pytest.raises(
        ValueError, match=f"Could not interpret regularizer identifier: {name}. Expected one of"
    ):
        regularizers.get(name)


def test_get_dict_class_instance_and_callable():
    reg = regularizers.get({"class_name": "L1", "config": {"l1": 0.2}})
    assert isinstance(reg, L1) and reg.l1 == 0.2
    assert type(regularizers.get(L2)) is L2
    instance = L2(0.3)
    assert regularizers.get(instance) is instance

    def penalty(w):
        return 0.0

    assert regularizers.get(penalty) is penalty


@pytest.mark.parametrize("identifier", [3, 0.5, np.ones(2)])
def test_get_uninterpretable_raises(identifier):
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier"):
        regularizers.get(identifier)


@pytest.mark.parametrize(
    "reg", [L1(0.2), L2(0.3), L1L2(0.1, 0.4), OrthogonalRegularizer(0.05, "columns")]
)
def test_serialize_round_trip(reg):
    config = regularizers.serialize(reg)
    assert config["module"] == "keras.regularizers"
    assert config["class_name"] == type(reg).__name__
    assert config["registered_name"] is None
    restored = regularizers.deserialize(config)
    assert type(restored) is type(reg) and restored.get_config() == reg.get_config()


def test_serialize_exact_form():
    assert regularizers.serialize(L2(0.5)) == {
        "module": "keras.regularizers",
        "class_name": "L2",
        "config": {"l2": 0.5},
        "registered_name": None,
    }


def test_deserialize_unknown_class_raises():
    with pytest.raises(ValueError, match="'L3' is not a known regularizer"):
        regularizers.deserialize({"class_name": "L3", "config": {}})
