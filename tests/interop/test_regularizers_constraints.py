import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax.numpy as jnp
import keras
import numpy as np
import pytest

from heft import constraints, regularizers

W = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")


def _same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


REGULARIZERS = [
    ("L1", {}),
    ("L1", {"l1": 0.3}),
    ("L2", {}),
    ("L2", {"l2": 0.25}),
    ("L1L2", {"l1": 0.1, "l2": 0.2}),
    ("L1L2", {"l2": 0.2}),
    ("OrthogonalRegularizer", {}),
    ("OrthogonalRegularizer", {"factor": 0.5, "mode": "columns"}),
]


@pytest.mark.parametrize(("name", "kwargs"), REGULARIZERS)
def test_regularizer_values_are_identical(name, kwargs):
    k_reg = getattr(keras.regularizers, name)(**kwargs)
    h_reg = getattr(regularizers, name)(**kwargs)
    assert _same_bits(h_reg(jnp.asarray(W)), k_reg(jnp.asarray(W)))


@pytest.mark.parametrize("name", ["L1", "L2", "L1L2"])
def test_regularizer_bfloat16_values_are_identical(name):
    k_reg = (
        getattr(keras.regularizers, name)(0.01)
        if name != "L1L2"
        else keras.regularizers.L1L2(0.01, 0.02)
    )
    h_reg = getattr(regularizers, name)(0.01) if name != "L1L2" else regularizers.L1L2(0.01, 0.02)
    x = jnp.asarray(W, dtype="bfloat16")
    assert _same_bits(h_reg(x), k_reg(x))


@pytest.mark.parametrize(("name", "kwargs"), REGULARIZERS)
def test_regularizer_configs_match(name, kwargs):
    k_config = keras.regularizers.serialize(getattr(keras.regularizers, name)(**kwargs))
    h_config = regularizers.serialize(getattr(regularizers, name)(**kwargs))
    k_inner, h_inner = k_config.pop("config"), h_config.pop("config")
    assert h_config == k_config
    assert h_inner.keys() == k_inner.keys()
    # Keras writes L1's and OrthogonalRegularizer's factor back from float32; so does heft.
    assert h_inner == k_inner


@pytest.mark.parametrize(("name", "kwargs"), REGULARIZERS)
def test_regularizer_configs_load_across_libraries(name, kwargs):
    k_reg = getattr(keras.regularizers, name)(**kwargs)
    h_reg = getattr(regularizers, name)(**kwargs)
    from_keras = regularizers.deserialize(keras.regularizers.serialize(k_reg))
    to_keras = keras.regularizers.deserialize(regularizers.serialize(h_reg))
    assert _same_bits(from_keras(jnp.asarray(W)), k_reg(jnp.asarray(W)))
    assert _same_bits(to_keras(jnp.asarray(W)), h_reg(jnp.asarray(W)))


@pytest.mark.parametrize(
    "name",
    ["l1", "L1", "l2", "l1l2", "L1L2", "orthogonal_regularizer", "l1_l2", "L1_L2", "nonsense"],
)
def test_regularizer_names_accepted_like_keras(name):
    try:
        k_type = type(keras.regularizers.get(name)).__name__
    except ValueError:
        with pytest.raises(ValueError, match="Could not interpret regularizer identifier"):
            regularizers.get(name)
    else:
        assert type(regularizers.get(name)).__name__ == k_type


def test_regularizer_string_defaults_match_keras():
    for name in ("l1", "l2", "l1l2", "orthogonal_regularizer"):
        assert _same_bits(
            regularizers.get(name)(jnp.asarray(W)), keras.regularizers.get(name)(jnp.asarray(W))
        )


CONSTRAINTS = [
    ("NonNeg", {}),
    ("MaxNorm", {}),
    ("MaxNorm", {"max_value": 0.5, "axis": 1}),
    ("MaxNorm", {"max_value": 1.0, "axis": [0, 1]}),
    ("UnitNorm", {}),
    ("UnitNorm", {"axis": 1}),
    ("MinMaxNorm", {}),
    ("MinMaxNorm", {"min_value": 0.5, "max_value": 1.5, "rate": 0.3, "axis": 1}),
]


@pytest.mark.parametrize(("name", "kwargs"), CONSTRAINTS)
def test_constraint_values_are_identical(name, kwargs):
    k_con = getattr(keras.constraints, name)(**kwargs)
    h_con = getattr(constraints, name)(**kwargs)
    assert _same_bits(h_con(jnp.asarray(W)), k_con(jnp.asarray(W)))


@pytest.mark.parametrize(("name", "kwargs"), CONSTRAINTS)
def test_constraint_configs_are_identical(name, kwargs):
    k_con = getattr(keras.constraints, name)(**kwargs)
    h_con = getattr(constraints, name)(**kwargs)
    assert h_con.get_config() == k_con.get_config()
    assert constraints.serialize(h_con) == keras.constraints.serialize(k_con)
    to_keras = keras.constraints.deserialize(constraints.serialize(h_con))
    assert to_keras.get_config() == k_con.get_config()
    assert (
        constraints.deserialize(keras.constraints.serialize(k_con)).get_config()
        == h_con.get_config()
    )


@pytest.mark.parametrize(
    "name",
    ["non_neg", "NonNeg", "max_norm", "min_max_norm", "unit_norm", "nonneg", "maxnorm", "UnitNorm"],
)
def test_constraint_names_accepted_like_keras(name):
    try:
        k_type = type(keras.constraints.get(name)).__name__
    except ValueError:
        with pytest.raises(ValueError, match="Could not interpret constraint identifier"):
            constraints.get(name)
    else:
        assert type(constraints.get(name)).__name__ == k_type
