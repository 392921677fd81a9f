"""Tests for Conv1D and Conv2D."""

import jax
import numpy as np
import pytest

import heft
from heft import layers


def _x(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _numpy_conv1d(x, kernel, bias):
    k = kernel.shape[0]
    out = np.stack(
        [np.einsum("bkc,kcf->bf", x[:, t : t + k], kernel) for t in range(x.shape[1] - k + 1)], 1
    )
    return out + bias


def test_conv1d_weights_shapes_and_values_match_numpy():
    layer = layers.Conv1D(4, 3)
    x = _x((2, 7, 3))
    out = np.asarray(layer(x))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert layer.kernel.shape == (3, 3, 4)
    assert layer.count_params() == 3 * 3 * 4 + 4
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(out, _numpy_conv1d(x, kernel, bias), rtol=1e-5, atol=1e-5)


def test_conv1d_causal_padding_only_sees_the_past():
    layer = layers.Conv1D(1, 3, padding="causal", use_bias=False, kernel_initializer="ones")
    x = np.arange(5, dtype="float32").reshape(1, 5, 1)
    out = np.asarray(layer(x))[0, :, 0]
    np.testing.assert_allclose(out, [0, 1, 3, 6, 9])


def test_conv2d_groups_kernel_shape_and_same_padding_output_shape():
    layer = layers.Conv2D(6, (3, 2), strides=2, padding="same", groups=3)
    out = layer(_x((2, 7, 8, 3)))
    assert out.shape == (2, 4, 4, 6)
    assert layer.kernel.shape == (3, 2, 1, 6)
    assert layer.compute_output_shape((None, 7, 8, 3)) == (None, 4, 4, 6)


def test_conv2d_channels_first_equals_channels_last_transposed():
    x = _x((2, 6, 6, 3))
    last = layers.Conv2D(4, 3, data_format="channels_last")
    first = layers.Conv2D(4, 3, data_format="channels_first")
    out_last = last(x)
    first.build((2, 3, 6, 6))
    first.set_weights(last.get_weights())
    out_first = first(np.transpose(x, (0, 3, 1, 2)))
    np.testing.assert_allclose(
        np.transpose(np.asarray(out_first), (0, 2, 3, 1)),
        np.asarray(out_last),
        rtol=1e-5,
        atol=1e-5,
    )


def test_conv2d_activation_no_bias_and_config_round_trip():
    layer = layers.Conv2D(2, 1, activation="relu", use_bias=False, kernel_initializer="ones")
    out = np.asarray(layer(-np.ones((1, 2, 2, 3), "float32")))
    np.testing.assert_array_equal(out, 0.0)
    assert [w.name for w in layer.weights] == ["kernel"]
    config = layer.get_config()
    assert config["kernel_size"] == (1, 1) and config["strides"] == (1, 1)
    clone = layers.Conv2D.from_config(config)
    assert clone.get_config() == config


def test_conv2d_in_functional_model_and_jit_grad():
    inputs = heft.Input((8, 8, 1))
    out = layers.Conv2D(3, 3, padding="same")(inputs)
    assert tuple(out.shape) == (None, 8, 8, 3)
    layer = layers.Conv2D(2, 3)
    x = _x((2, 5, 5, 1))
    layer.build(x.shape)

    def loss(tv):
        y, _ = layer.stateless_call(tv, [], x)
        return (y**2).sum()

    grads = jax.jit(jax.grad(loss))([v.value for v in layer.trainable_variables])
    assert [g.shape for g in grads] == [(3, 3, 1, 2), (2,)]
    assert float(np.abs(np.asarray(grads[0])).sum()) > 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"filters": 0, "kernel_size": 3}, "strictly positive"),
        ({"filters": 4, "kernel_size": 3, "groups": 0}, "groups must be a positive"),
        ({"filters": 5, "kernel_size": 3, "groups": 2}, "evenly divisible by the number of groups"),
        ({"filters": 4, "kernel_size": (3, 3, 3)}, "tuple of 2 positive integers"),
        ({"filters": 4, "kernel_size": 0}, "Use positive values"),
        ({"filters": 4, "kernel_size": "3"}, "`kernel_size` argument"),
        ({"filters": 4, "kernel_size": 3, "padding": "full"}, "padding` argument must be one of"),
        ({"filters": 4, "kernel_size": 3, "padding": "causal"}, "padding` argument must be one"),
        ({"filters": 4, "kernel_size": 3, "data_format": "NHWC"}, "data_format` argument"),
        ({"filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, "not supported in"),
        ({"filters": 4, "kernel_size": 3, "lora_rank": 2}, "LoRA"),
    ],
)
def test_conv2d_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.Conv2D(**kwargs)


def test_conv_rejects_wrong_rank_bad_groups_and_too_small_inputs():
    with pytest.raises(ValueError, match="expects inputs of rank 4"):
        layers.Conv2D(2, 3)(_x((2, 2, 5, 5, 3)))
    with pytest.raises(ValueError, match="min_ndim=3"):
        layers.Conv1D(2, 3)(_x((5, 3)))
    with pytest.raises(ValueError, match="expects inputs of rank 3"):
        layers.Conv1D(2, 3).compute_output_shape((2, 5, 5, 3))
    with pytest.raises(ValueError, match="input has 3 channels"):
        layers.Conv2D(4, 3, groups=2)(_x((2, 5, 5, 3)))
    with pytest.raises(ValueError, match="negative or zero"):
        layers.Conv2D(2, 5)(_x((1, 3, 3, 1)))
    with pytest.raises(ValueError, match="channel dimension"):
        layers.Conv2D(2, 3).build((None, 5, 5, None))
    with pytest.raises(AttributeError, match="is not built"):
        _ = layers.Conv1D(2, 3).kernel


def test_conv_padding_names_are_case_insensitive():
    assert layers.Conv1D(2, 3, padding="SAME").padding == "same"
    assert layers.Conv1D(2, 3, data_format="Channels_First").data_format == "channels_first"


def _numpy_conv3d_valid(x, kernel, bias):
    kd, kh, kw = kernel.shape[:3]
    b, d, h, w, _ = x.shape
    out = np.zeros((b, d - kd + 1, h - kh + 1, w - kw + 1, kernel.shape[-1]), "float32")
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            for k in range(out.shape[3]):
                patch = x[:, i : i + kd, j : j + kh, k : k + kw]
                out[:, i, j, k] = np.einsum("bdhwc,dhwcf->bf", patch, kernel)
    return out + bias


def test_conv3d_weights_shapes_and_values_match_numpy():
    layer = layers.Conv3D(3, (2, 3, 2))
    x = _x((2, 4, 5, 4, 2))
    out = np.asarray(layer(x))
    assert out.shape == (2, 3, 3, 3, 3)
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert layer.kernel.shape == (2, 3, 2, 2, 3)
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(out, _numpy_conv3d_valid(x, kernel, bias), rtol=1e-5, atol=1e-5)


def test_conv3d_channels_first_groups_and_output_shape():
    layer = layers.Conv3D(4, 3, strides=2, padding="same", groups=2, data_format="channels_first")
    out = layer(_x((1, 2, 5, 6, 7)))
    assert out.shape == (1, 4, 3, 3, 4)
    assert layer.kernel.shape == (3, 3, 3, 1, 4)
    assert layer.compute_output_shape((None, 2, 5, None, 7)) == (None, 4, 3, None, 4)
    assert layers.Conv3D.from_config(layer.get_config()).get_config() == layer.get_config()


def test_conv3d_rejects_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="tuple of 3 positive integers"):
        layers.Conv3D(2, (3, 3))
    with pytest.raises(ValueError, match="padding` argument must be one of"):
        layers.Conv3D(2, 3, padding="causal")
    with pytest.raises(ValueError, match=r"expects inputs of rank 5.*\(2, 5, 5, 3\)"):
        layers.Conv3D(2, 3).build((2, 5, 5, 3))
    with pytest.raises(ValueError, match="input has 3 channels"):
        layers.Conv3D(4, 2, groups=2)(_x((1, 3, 3, 3, 3)))


@pytest.mark.parametrize(
    ("kwargs", "shape"),
    [
        ({"filters": 4, "kernel_size": 3}, (2, 9, 8, 8)),
        ({"filters": 4, "kernel_size": (3, 2)}, (2, 9, 10, 8)),
        ({"filters": 4, "kernel_size": 3, "dilation_rate": 2}, (2, 9, 9, 8)),
        ({"filters": 4, "kernel_size": 2, "data_format": "channels_first"}, (2, 8, 7, 6)),
    ],
)
def test_conv2d_padded_valid_form_equals_plain_form(monkeypatch, kwargs, shape):
    """On CPU a valid conv runs padded by a stride and cropped; values and grads are unchanged."""
    from heft._platform import _cpu_conv
    from heft._platform._switches import CPU_CONV

    monkeypatch.setattr(CPU_CONV, "on", True)  # as by default, whatever the environment says
    layer = layers.Conv2D(**kwargs)
    x = _x(shape)
    layer.build(x.shape)
    assert layer._padded_valid(8)
    assert not layer._padded_valid(_cpu_conv.PADDED_VALID_MIN_CHANNELS - 1)
    tv = [v.value for v in layer.trainable_variables]

    def run(tv, xv):
        y, _ = layer.stateless_call(tv, [], xv)
        return (y * y).sum(), y

    grad = jax.grad(run, argnums=(0, 1), has_aux=True)
    (g_fast, out_fast) = grad(tv, x)
    assert not layers.Conv2D(4, 1)._padded_valid(8)  # a 1x1 window: the plain form is faster
    assert not layers.Conv2D(4, 3, strides=2)._padded_valid(8)
    assert not layers.Conv2D(4, 3, padding="same")._padded_valid(8)
    monkeypatch.setattr(_cpu_conv, "PADDED_VALID_MIN_CHANNELS", 10**9)
    assert not layer._padded_valid(8)
    (g_plain, out_plain) = grad(tv, x)
    assert out_fast.shape == out_plain.shape == layer.compute_output_shape(shape)
    np.testing.assert_allclose(np.asarray(out_fast), np.asarray(out_plain), rtol=1e-6, atol=1e-6)
    for a, b in zip(
        jax.tree_util.tree_leaves(g_fast), jax.tree_util.tree_leaves(g_plain), strict=True
    ):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)
