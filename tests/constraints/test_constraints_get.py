import numpy as np
import pytest

from heft import constraints
from heft.constraints import Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm


def test_get_none_is_none():
    assert constraints.get(None) is None


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("non_neg", NonNeg),
        ("NonNeg", NonNeg),
        ("max_norm", MaxNorm),
        ("MaxNorm", MaxNorm),
        ("min_max_norm", MinMaxNorm),
        ("MinMaxNorm", MinMaxNorm),
        ("unit_norm", UnitNorm),
        ("UnitNorm", UnitNorm),
        ("Constraint", Constraint),
    ],
)
def test_get_accepted_names(name, cls):
    assert type(constraints.get(name)) is cls


@pytest.mark.parametrize("name", ["nonneg", "maxnorm", "typo"])
def test_get_rejects_unknown_names(name):
    with pytest.raises(
        ValueError, match=f"Could not interpret constraint identifier: {name}. Expected one of"
    ):
        constraints.get(name)


def test_get_dict_class_instance_and_callable():
    c = constraints.get({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": 1}})
    assert isinstance(c, MaxNorm) and (c.max_value, c.axis) == (3, 1)
    assert type(constraints.get(UnitNorm)) is UnitNorm
    instance = NonNeg()
    assert constraints.get(instance) is instance

    def clip(w):
        return w

    assert constraints.get(clip) is clip


@pytest.mark.parametrize("identifier", [3, np.ones(2)])
def test_get_uninterpretable_raises(identifier):
    with pytest.raises(ValueError, match="Could not interpret constraint identifier"):
        constraints.get(identifier)


@pytest.mark.parametrize(
    "c", [NonNeg(), MaxNorm(4, axis=1), UnitNorm(axis=-1), MinMaxNorm(0.5, 2.0, 0.3, 1)]
)
def test_serialize_round_trip(c):
    config = constraints.serialize(c)
    assert config == {
        "module": "keras.constraints",
        "class_name": type(c).__name__,
        "config": c.get_config(),
        "registered_name": None,
    }
    restored = constraints.deserialize(config)
    assert type(restored) is type(c) and restored.get_config() == c.get_config()


def test_deserialize_unknown_class_raises():
    with pytest.raises(ValueError, match="'Clip' is not a known constraint"):
        constraints.deserialize({"class_name": "Clip", "config": {}})
