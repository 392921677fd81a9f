"""Tests for the normalization layers."""

import jax
import numpy as np
import pytest

import heft
from heft import layers


def _x(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def test_batch_normalization_weights_names_order_trainability_and_autocast():
    layer = layers.BatchNormalization()
    layer.build((None, 4))
    assert [w.name for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.trainable for w in layer.weights] == [True, True, False, False]
    assert [w.autocast for w in layer.weights] == [False] * 4
    assert [w.shape for w in layer.weights] == [(4,)] * 4
    assert [w.name for w in layer.trainable_weights] == ["gamma", "beta"]
    assert layer.count_params() == 16


def test_batch_normalization_without_center_and_scale_has_only_moving_statistics():
    layer = layers.BatchNormalization(center=False, scale=False, axis=1)
    layer.build((None, 3, 5))
    assert [w.name for w in layer.weights] == ["moving_mean", "moving_variance"]
    assert layer.weights[0].shape == (3,)


def test_batch_normalization_inference_uses_moving_statistics():
    layer = layers.BatchNormalization(epsilon=0.0)
    x = _x((8, 3))
    layer.build(x.shape)
    layer.set_weights([np.full(3, 2.0), np.full(3, 1.0), np.full(3, 0.5), np.full(3, 4.0)])
    out = np.asarray(layer(x))
    np.testing.assert_allclose(out, (x - 0.5) / 2.0 * 2.0 + 1.0, rtol=1e-5)


def test_batch_normalization_training_normalizes_with_batch_statistics_and_updates():
    layer = layers.BatchNormalization(momentum=0.9)
    x = _x((16, 3)) * 3 + 1
    out = np.asarray(layer(x, training=True))
    np.testing.assert_allclose(out.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(out.var(0), x.var(0) / (x.var(0) + 1e-3), rtol=1e-4)
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.1 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.9 + 0.1 * x.var(0), rtol=1e-5)


def test_batch_normalization_frozen_runs_in_inference_mode_even_when_training():
    layer = layers.BatchNormalization()
    x = _x((16, 3)) * 3 + 1
    layer.build(x.shape)
    layer.trainable = False
    out = np.asarray(layer(x, training=True))
    np.testing.assert_allclose(out, x / np.sqrt(1 + 1e-3), rtol=1e-5)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(3))
    np.testing.assert_array_equal(layer.moving_variance.numpy(), np.ones(3))


def test_batch_normalization_stateless_call_returns_new_moving_statistics_under_jit():
    layer = layers.BatchNormalization(momentum=0.5)
    x = _x((10, 2))
    layer.build(x.shape)
    tv = [v.value for v in layer.trainable_variables]
    ntv = [v.value for v in layer.non_trainable_variables]

    @jax.jit
    def step(tv, ntv, x):
        return layer.stateless_call(tv, ntv, x, training=True)

    _, new = step(tv, ntv, x)
    np.testing.assert_allclose(np.asarray(new[0]), 0.5 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(new[1]), 0.5 + 0.5 * x.var(0), rtol=1e-5)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(2))


def test_batch_normalization_masked_statistics_ignore_masked_steps():
    layer = layers.BatchNormalization(momentum=0.0)
    x = _x((2, 4, 3))
    mask = np.array([[True, True, False, False], [True, False, True, False]])
    layer(x, training=True, mask=mask)
    kept = x[mask]
    np.testing.assert_allclose(layer.moving_mean.numpy(), kept.mean(0), rtol=1e-4)
    np.testing.assert_allclose(layer.moving_variance.numpy(), kept.var(0), rtol=1e-4)


def test_batch_normalization_rejects_mask_of_wrong_rank():
    layer = layers.BatchNormalization()
    with pytest.raises(ValueError, match="mask must have one dimension less"):
        layer(_x((2, 4, 3)), training=True, mask=np.ones((2, 4, 3), bool))


def test_batch_normalization_rejects_unsupported_options():
    with pytest.raises(ValueError, match="synchronized=True"):
        layers.BatchNormalization(synchronized=True)
    with pytest.raises(ValueError, match="renorm=True"):
        layers.BatchNormalization(renorm=True)


def test_batch_normalization_rejects_axis_out_of_bounds_and_unknown_size():
    with pytest.raises(ValueError, match="Axis 3 is out of bounds"):
        layers.BatchNormalization(axis=3)(_x((2, 3)))
    with pytest.raises(ValueError, match="must have a known size"):
        layers.BatchNormalization().build((None, None))


def test_batch_normalization_config_round_trip():
    layer = layers.BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, center=False)
    clone = layers.BatchNormalization.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert layer.get_config()["momentum"] == 0.9


def test_batch_normalization_regularizer_adds_loss():
    layer = layers.BatchNormalization(gamma_regularizer="l2")
    layer.build((None, 3))
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), 0.01 * 3, rtol=1e-6)


def test_layer_normalization_matches_numpy_formula():
    x = _x((4, 5))
    layer = layers.LayerNormalization(epsilon=1e-3)
    layer.build(x.shape)
    layer.set_weights([np.full(5, 2.0), np.full(5, 0.5)])
    expected = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(np.asarray(layer(x)), expected * 2 + 0.5, rtol=1e-5, atol=1e-6)


def test_layer_normalization_multiple_axes_shape_weights_and_config_axis_sorted():
    layer = layers.LayerNormalization(axis=(2, 1))
    out = layer(_x((2, 3, 4)))
    assert out.shape == (2, 3, 4)
    assert [w.shape for w in layer.weights] == [(3, 4), (3, 4)]
    assert layer.get_config()["axis"] == [1, 2]
    np.testing.assert_allclose(np.asarray(out).mean(axis=(1, 2)), 0.0, atol=1e-5)


def test_layer_normalization_rms_scaling_has_gamma_only():
    x = _x((3, 4))
    layer = layers.LayerNormalization(rms_scaling=True)
    out = np.asarray(layer(x))
    assert [w.name for w in layer.weights] == ["gamma"]
    np.testing.assert_allclose(out, x / np.sqrt(x.var(-1, keepdims=True) + 1e-3), rtol=1e-5)


def test_layer_normalization_rejects_bad_axis():
    with pytest.raises(TypeError, match="Expected an int or a list/tuple of ints"):
        layers.LayerNormalization(axis="last")
    with pytest.raises(ValueError, match="Axis 2 is out of bounds"):
        layers.LayerNormalization(axis=2)(_x((2, 3)))


def test_layer_normalization_keeps_float32_weights_under_mixed_precision():
    layer = layers.LayerNormalization(dtype="mixed_bfloat16")
    out = layer(_x((2, 4)))
    assert str(out.dtype) == "bfloat16"
    assert [w.dtype for w in layer.weights] == ["float32", "float32"]


def test_group_normalization_matches_numpy_formula():
    x = _x((2, 5, 6))
    layer = layers.GroupNormalization(groups=3, epsilon=1e-3)
    out = np.asarray(layer(x))
    g = x.reshape(2, 5, 3, 2)
    mean = g.mean(axis=(1, 3), keepdims=True)
    var = g.var(axis=(1, 3), keepdims=True)
    expected = ((g - mean) / np.sqrt(var + 1e-3)).reshape(x.shape)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    assert [w.shape for w in layer.weights] == [(6,), (6,)]


def test_group_normalization_minus_one_is_instance_normalization():
    layer = layers.GroupNormalization(groups=-1)
    layer(_x((2, 5, 4)))
    assert layer.groups == 4


def test_group_normalization_rejects_bad_groups():
    with pytest.raises(ValueError, match="expected a positive integer"):
        layers.GroupNormalization(groups=0)
    with pytest.raises(ValueError, match=r"number of groups \(4\) must divide"):
        layers.GroupNormalization(groups=4)(_x((2, 6)))
    with pytest.raises(ValueError, match="must have a known size"):
        layers.GroupNormalization(groups=2).build((None, None))


def test_unit_normalization_gives_unit_norm_rows_and_handles_zero():
    x = _x((3, 4))
    x[1] = 0.0
    out = np.asarray(layers.UnitNormalization()(x))
    np.testing.assert_allclose(np.linalg.norm(out[[0, 2]], axis=-1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(out[1], 0.0)


def test_unit_normalization_axes_and_errors():
    out = np.asarray(layers.UnitNormalization(axis=[1, 2])(_x((2, 3, 4))))
    np.testing.assert_allclose(np.sqrt((out**2).sum(axis=(1, 2))), 1.0, rtol=1e-6)
    with pytest.raises(TypeError, match="Expected an int or a list/tuple"):
        layers.UnitNormalization(axis=1.5)
    with pytest.raises(ValueError, match="out of bounds"):
        layers.UnitNormalization(axis=3).compute_output_shape((2, 3))


def test_normalization_layers_in_functional_model_infer_shapes():
    inputs = heft.Input((5, 6))
    x = layers.BatchNormalization()(inputs)
    x = layers.LayerNormalization()(x)
    x = layers.GroupNormalization(groups=2)(x)
    out = layers.UnitNormalization()(x)
    assert tuple(out.shape) == (None, 5, 6)
    model = heft.Model(inputs, out)
    assert len(model.weights) == 8
