"""Tests for the pooling layers."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import heft
from heft import layers
from heft.ops._pool import window_pool as _window_pool


def _x(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _reference(x, mode, pool, strides, padding, first):
    window = (1,) * first + pool + (1,) * (x.ndim - first - len(pool))
    stride = (1,) * first + strides + (1,) * (x.ndim - first - len(pool))
    if mode == "max":
        return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, window, stride, padding.upper())
    return jax.lax.reduce_window(x, 0.0, jax.lax.add, window, stride, padding.upper()) / np.prod(
        pool
    )


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize(("shape", "padding"), [((2, 7, 9, 3), "valid"), ((2, 8, 6, 3), "same")])
def test_tiled_pooling_equals_reduce_window_values_and_gradients(mode, shape, padding):
    x = jnp.asarray(_x(shape))
    fast = _window_pool(x, mode, (2, 2), (2, 2), padding, 1)
    ref = _reference(x, mode, (2, 2), (2, 2), padding, 1)
    np.testing.assert_allclose(np.asarray(fast), np.asarray(ref), rtol=1e-6)
    g_fast = jax.grad(lambda v: (_window_pool(v, mode, (2, 2), (2, 2), padding, 1) ** 2).sum())(x)
    g_ref = jax.grad(lambda v: (_reference(v, mode, (2, 2), (2, 2), padding, 1) ** 2).sum())(x)
    np.testing.assert_allclose(np.asarray(g_fast), np.asarray(g_ref), rtol=1e-6)


@pytest.mark.parametrize(
    ("shape", "pool", "strides", "padding", "first"),
    [
        ((2, 7, 9, 3), (2, 2), (2, 2), "valid", 1),
        ((2, 8, 6, 3), (2, 2), (2, 2), "same", 1),
        ((2, 7, 8, 3), (3, 3), (2, 2), "same", 1),
        ((2, 4, 6, 5), (3, 2), (1, 1), "valid", 1),
        ((2, 3, 9, 8), (2, 3), (1, 2), "same", 2),
        ((2, 9, 3), (3,), (2,), "valid", 1),
        ((2, 5, 6, 7, 3), (2, 2, 2), (2, 2, 2), "valid", 1),
    ],
)
def test_max_pool_equals_reduce_window_exactly_with_ties(shape, pool, strides, padding, first):
    """Values and gradients equal reduce_window's, ties included (gradient to the first max)."""
    rng = np.random.default_rng(1)
    x = jnp.asarray(np.round(np.maximum(rng.normal(size=shape), 0) * 2) / 2, jnp.float32)
    ref = _reference(x, "max", pool, strides, padding, first)
    weights = jnp.arange(ref.size, dtype=jnp.float32).reshape(ref.shape)
    out = _window_pool(x, "max", pool, strides, padding, first)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(ref))
    grad = jax.grad(
        lambda v: (_window_pool(v, "max", pool, strides, padding, first) * weights).sum()
    )
    grad_ref = jax.grad(
        lambda v: (_reference(v, "max", pool, strides, padding, first) * weights).sum()
    )
    np.testing.assert_array_equal(np.asarray(grad(x)), np.asarray(grad_ref(x)))


def test_max_pool_propagates_nan():
    x = jnp.asarray([[[[np.nan], [1.0]], [[2.0], [3.0]]]], jnp.float32)
    assert np.isnan(np.asarray(layers.MaxPooling2D()(x))).all()
    x = jnp.asarray([[[[1.0], [np.nan]], [[2.0], [3.0]]]], jnp.float32)
    assert np.isnan(np.asarray(layers.MaxPooling2D(padding="same", strides=1)(x))[0, 0, 0, 0])


def test_max_pooling2d_values_and_output_shape():
    x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    out = np.asarray(layers.MaxPooling2D()(x))[0, :, :, 0]
    np.testing.assert_array_equal(out, [[5, 7], [13, 15]])
    assert layers.MaxPooling2D(3, 2, padding="same").compute_output_shape((None, 7, 8, 3)) == (
        None,
        4,
        4,
        3,
    )


def test_average_pooling_same_padding_averages_covered_inputs_only():
    x = np.ones((1, 5, 1), "float32")
    out = np.asarray(layers.AveragePooling1D(2, padding="same")(x))
    np.testing.assert_allclose(out[0, :, 0], [1.0, 1.0, 1.0])
    x = np.arange(5, dtype="float32").reshape(1, 5, 1)
    out = np.asarray(layers.AveragePooling1D(2, strides=2, padding="same")(x))
    np.testing.assert_allclose(out[0, :, 0], [0.5, 2.5, 4.0])


def test_max_pooling1d_channels_first_and_strides():
    x = np.arange(6, dtype="float32").reshape(1, 1, 6)
    out = np.asarray(layers.MaxPooling1D(3, strides=1, data_format="channels_first")(x))
    np.testing.assert_array_equal(out[0, 0], [2, 3, 4, 5])


def test_pooling_config_and_no_weights():
    layer = layers.AveragePooling2D(3, strides=(1, 2), padding="same")
    assert layer.get_config()["pool_size"] == (3, 3)
    assert layer.get_config()["strides"] == (1, 2)
    assert layers.MaxPooling1D().get_config()["strides"] == (2,)
    assert layer.weights == []
    clone = layers.AveragePooling2D.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


def test_pooling_rejects_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="padding` argument must be one of"):
        layers.MaxPooling2D(padding="full")
    with pytest.raises(ValueError, match="data_format` argument"):
        layers.AveragePooling1D(2, data_format="NWC")
    with pytest.raises(ValueError, match="tuple of 2 positive integers"):
        layers.MaxPooling2D(pool_size=(2, 2, 2))
    with pytest.raises(ValueError, match="expected ndim=4"):
        layers.MaxPooling2D()(_x((2, 4, 3)))
    with pytest.raises(ValueError, match="negative or zero"):
        layers.MaxPooling1D(4)(_x((1, 3, 2)))
    with pytest.raises(ValueError, match="expects inputs of rank 3"):
        layers.MaxPooling1D().compute_output_shape((1, 3, 3, 2))


def test_global_pooling_values_keepdims_and_channels_first():
    x = _x((2, 4, 5, 3))
    np.testing.assert_allclose(
        np.asarray(layers.GlobalAveragePooling2D()(x)), x.mean(axis=(1, 2)), rtol=1e-5
    )
    out = layers.GlobalMaxPooling2D(keepdims=True)(x)
    assert out.shape == (2, 1, 1, 3)
    np.testing.assert_allclose(np.asarray(out)[:, 0, 0], x.max(axis=(1, 2)))
    y = _x((2, 3, 7))
    np.testing.assert_allclose(
        np.asarray(layers.GlobalMaxPooling1D(data_format="channels_first")(y)), y.max(-1)
    )
    assert layers.GlobalAveragePooling1D(keepdims=True).compute_output_shape((None, 7, 3)) == (
        None,
        1,
        3,
    )
    assert layers.GlobalAveragePooling2D().get_config()["keepdims"] is False


def test_global_average_pooling1d_respects_mask():
    x = _x((2, 4, 3))
    mask = np.array([[True, True, False, False], [True, True, True, True]])
    out = np.asarray(layers.GlobalAveragePooling1D()(x, mask=mask))
    np.testing.assert_allclose(out[0], x[0, :2].mean(0), rtol=1e-5)
    np.testing.assert_allclose(out[1], x[1].mean(0), rtol=1e-5)


def test_global_pooling_rejects_wrong_rank_and_bad_format():
    with pytest.raises(ValueError, match="expected ndim=3"):
        layers.GlobalAveragePooling1D()(_x((2, 3)))
    with pytest.raises(ValueError, match="expects inputs of rank 4"):
        layers.GlobalMaxPooling2D().compute_output_shape((2, 3, 4))
    with pytest.raises(ValueError, match="data_format` argument"):
        layers.GlobalMaxPooling2D(data_format="last")


def test_small_cnn_in_functional_model():
    inputs = heft.Input((8, 8, 1))
    x = layers.Conv2D(4, 3, activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    model = heft.Model(inputs, layers.Dense(2)(x))
    out = model(_x((3, 8, 8, 1)))
    assert out.shape == (3, 2)


def test_pooling_3d_values_shapes_and_defaults():
    x = _x((2, 4, 4, 6, 3))
    out = np.asarray(layers.MaxPooling3D()(x))
    expected = x.reshape(2, 2, 2, 2, 2, 3, 2, 3).max(axis=(2, 4, 6))
    np.testing.assert_allclose(out, expected)
    avg = np.asarray(layers.AveragePooling3D(2)(x))
    np.testing.assert_allclose(
        avg, x.reshape(2, 2, 2, 2, 2, 3, 2, 3).mean(axis=(2, 4, 6)), rtol=1e-5
    )
    assert layers.MaxPooling3D().get_config()["pool_size"] == (2, 2, 2)
    layer = layers.AveragePooling3D(
        (2, 3, 2), strides=1, padding="same", data_format="channels_first"
    )
    assert layer.compute_output_shape((None, 3, 4, None, 6)) == (None, 3, 4, None, 6)
    with pytest.raises(ValueError, match="tuple of 3 positive integers"):
        layers.MaxPooling3D(pool_size=(2, 2))
    with pytest.raises(ValueError, match="expected ndim=5"):
        layers.AveragePooling3D(2)(_x((2, 4, 4, 3)))


def test_global_pooling_3d_values_and_keepdims():
    x = _x((2, 3, 4, 5, 2))
    np.testing.assert_allclose(
        np.asarray(layers.GlobalAveragePooling3D()(x)), x.mean(axis=(1, 2, 3)), rtol=1e-5
    )
    out = layers.GlobalMaxPooling3D(data_format="channels_first", keepdims=True)(x)
    assert out.shape == (2, 3, 1, 1, 1)
    np.testing.assert_allclose(np.asarray(out)[:, :, 0, 0, 0], x.max(axis=(2, 3, 4)))
    with pytest.raises(ValueError, match="expects inputs of rank 5"):
        layers.GlobalMaxPooling3D().compute_output_shape((2, 3, 4, 5))


@pytest.mark.parametrize(
    "cls", [layers.AveragePooling1D, layers.AveragePooling2D, layers.AveragePooling3D]
)
def test_pooling_average_requires_pool_size(cls):
    with pytest.raises(
        TypeError,
        match=rf"^{cls.__name__}\.__init__\(\) missing 1 required positional argument: 'pool_size'$",
    ):
        cls()


@pytest.mark.parametrize(
    ("cls", "expected"),
    [(layers.MaxPooling1D, (2,)), (layers.MaxPooling2D, (2, 2)), (layers.MaxPooling3D, (2, 2, 2))],
)
def test_pooling_max_defaults_to_windows_of_two(cls, expected):
    layer = cls()
    assert layer.pool_size == expected and layer.strides == expected
    assert layer.get_config()["pool_size"] == expected
