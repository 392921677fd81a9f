"""2D convolutions padded and split on CPU: the plain convolution's outputs and gradients."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from heft import layers
from heft._platform import _cpu_conv
from heft._platform._cpu_conv import Split, plan, split_convolution
from heft._platform._switches import CPU_CONV

CPU = jax.default_backend() == "cpu"


@pytest.fixture(autouse=True)
def _cpu_conv_on():
    """The tweaks as by default, whatever the environment says; tests turn them off."""
    with CPU_CONV.forced(True):
        yield


def _conv_nhwc(x, k):
    return jax.lax.conv_general_dilated(
        x, k, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC")
    )


@pytest.mark.parametrize("split", [Split(1, 3), Split(2, 4), Split(3, 1), Split(4, 10)])
def test_split_convolution_gives_the_whole_batch_values_and_gradients(split):
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=(10, 7, 6, 3)).astype("float32"))
    k = jnp.asarray(rng.normal(size=(3, 2, 3, 4)).astype("float32"))
    w = jnp.asarray(rng.normal(size=(10, 5, 5, 4)).astype("float32"))

    def loss(conv):
        return lambda x, k: jnp.sum(conv(x, k) * w)

    split_conv = lambda x, k: split_convolution(x, k, _conv_nhwc, split)  # noqa: E731
    # XLA may sum a slice's windows in another order than the whole batch's.
    np.testing.assert_allclose(split_conv(x, k), _conv_nhwc(x, k), rtol=1e-6, atol=1e-6)
    dx, dk = jax.grad(loss(split_conv), (0, 1))(x, k)
    ref_dx, ref_dk = jax.grad(loss(_conv_nhwc), (0, 1))(x, k)
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(dk, ref_dk, rtol=1e-5, atol=1e-5)  # summed in another order


@pytest.mark.skipif(not CPU, reason="the split is for XLA's CPU backend")
def test_plan_chunks_by_bytes_and_slices_by_cores(monkeypatch):
    monkeypatch.setattr(_cpu_conv, "_cores", lambda: 2)
    per_sample = (10 * 10 * 3 + 8 * 8 * 4) * 4
    monkeypatch.setattr(_cpu_conv, "CHUNK_BYTES", 3 * per_sample)
    assert plan((7, 10, 10, 3), (7, 8, 8, 4), "float32") == Split(2, 3)
    assert plan((7, 10, 10, 3), (7, 8, 8, 4), "float16") == Split(2, 6)
    assert plan((1, 10, 10, 3), (1, 8, 8, 4), "float32") is None
    assert plan((None, 10, 10, 3), (None, 8, 8, 4), "float32") is None
    monkeypatch.setattr(_cpu_conv, "_cores", lambda: 64)
    assert plan((16, 10, 10, 3), (16, 8, 8, 4), "float32").pieces == _cpu_conv.MAX_PIECES
    monkeypatch.setattr(_cpu_conv, "_cores", lambda: 1)
    monkeypatch.setattr(_cpu_conv, "CHUNK_BYTES", 1 << 40)
    assert plan((7, 10, 10, 3), (7, 8, 8, 4), "float32") is None  # nothing to split


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_conv2d_trains_through_the_split_with_the_whole_batch_gradients(monkeypatch, padding):
    layer = layers.Conv2D(4, 3, padding=padding)
    layer.build((None, 10, 10, 3))
    x = np.random.default_rng(1).normal(size=(7, 10, 10, 3)).astype("float32")

    def grads():
        def loss(kernel, bias):
            return jnp.sum(layer.stateless_call([kernel, bias], [], x)[0] ** 2)

        return jax.grad(loss, (0, 1))(layer.kernel.value, layer.bias.value)

    calls = []
    monkeypatch.setattr(_cpu_conv, "plan", lambda *a: calls.append(a) or Split(2, 3))
    split_kernel, split_bias = grads()
    assert calls and calls[0][0] == (7, 10, 10, 3)
    layers.Conv3D(2, 2)(np.ones((4, 3, 3, 3, 1), "float32"))
    assert len(calls) == 1  # Conv3D is never split
    monkeypatch.setattr(_cpu_conv, "plan", lambda *a: None)
    whole_kernel, whole_bias = grads()
    np.testing.assert_allclose(split_kernel, whole_kernel, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(split_bias, whole_bias, rtol=1e-5, atol=1e-4)


def test_split_convolution_second_order_reverse_gradients_match():
    # A gradient penalty differentiates a gradient: reverse over reverse works.
    rng = np.random.default_rng(2)
    x = jnp.asarray(rng.normal(size=(6, 6, 6, 2)).astype("float32"))
    k = jnp.asarray(rng.normal(size=(3, 3, 2, 3)).astype("float32"))

    def penalty(conv):
        def inner(k):
            input_grad = jax.grad(lambda a: jnp.sum(jnp.tanh(conv(a, k))))(x)
            return jnp.sum(input_grad**2)

        return jax.grad(inner)(k)

    split_conv = lambda a, k: split_convolution(a, k, _conv_nhwc, Split(2, 2))  # noqa: E731
    np.testing.assert_allclose(penalty(split_conv), penalty(_conv_nhwc), rtol=1e-4, atol=1e-5)


def test_split_convolution_forward_mode_matches():
    rng = np.random.default_rng(3)
    x = jnp.asarray(rng.normal(size=(5, 6, 6, 2)).astype("float32"))
    k = jnp.asarray(rng.normal(size=(3, 3, 2, 3)).astype("float32"))
    tx = jnp.asarray(rng.normal(size=x.shape).astype("float32"))
    tk = jnp.asarray(rng.normal(size=k.shape).astype("float32"))
    split_conv = lambda a, k: split_convolution(a, k, _conv_nhwc, Split(2, 2))  # noqa: E731
    out, tangent = jax.jvp(split_conv, (x, k), (tx, tk))
    ref_out, ref_tangent = jax.jvp(_conv_nhwc, (x, k), (tx, tk))
    np.testing.assert_allclose(out, ref_out, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(tangent, ref_tangent, rtol=1e-5, atol=1e-5)
    # the tangent of the kernel alone, and a Hessian-vector product (forward over reverse)
    _, only_k = jax.jvp(lambda k: split_conv(x, k), (k,), (tk,))
    np.testing.assert_allclose(only_k, _conv_nhwc(x, tk), rtol=1e-5, atol=1e-5)

    def hvp(conv):
        grad = jax.grad(lambda k: jnp.sum(jnp.tanh(conv(x, k))))
        return jax.jvp(grad, (k,), (tk,))[1]

    np.testing.assert_allclose(hvp(split_conv), hvp(_conv_nhwc), rtol=1e-4, atol=1e-5)


def test_with_the_switch_off_nothing_is_padded_or_split():
    with CPU_CONV.forced(False):
        assert _cpu_conv.applies() is False
        assert plan((128, 26, 26, 32), (128, 24, 24, 64), "float32") is None
        assert _cpu_conv.pads_valid("valid", 1, (1, 1), (3, 3), 64) is False
    assert _cpu_conv.applies() is CPU


@pytest.mark.skipif(not CPU, reason="the tweaks are for XLA's CPU backend")
def test_pads_valid_only_unstrided_ungrouped_windows_of_2x2_or_more_with_enough_channels(
    monkeypatch,
):
    enough = _cpu_conv.PADDED_VALID_MIN_CHANNELS
    assert _cpu_conv.pads_valid("valid", 1, (1, 1), (3, 2), enough)
    assert not _cpu_conv.pads_valid("valid", 1, (1, 1), (3, 2), enough - 1)
    assert not _cpu_conv.pads_valid("same", 1, (1, 1), (3, 3), enough)
    assert not _cpu_conv.pads_valid("valid", 2, (1, 1), (3, 3), enough)
    assert not _cpu_conv.pads_valid("valid", 1, (2, 2), (3, 3), enough)
    assert not _cpu_conv.pads_valid("valid", 1, (1, 1), (1, 3), enough)
    monkeypatch.setattr(_cpu_conv, "PADDED_VALID_MIN_CHANNELS", 10**9)
    assert not _cpu_conv.pads_valid("valid", 1, (1, 1), (3, 3), enough)


def _plain_conv2d(layer, x, kernel, bias):
    """The layer's convolution as plain ``lax.conv_general_dilated``, plus its bias."""
    out = jax.lax.conv_general_dilated(
        x,
        kernel,
        window_strides=layer.strides,
        padding=layer.padding.upper(),
        rhs_dilation=layer.dilation_rate,
        dimension_numbers=layer._dimension_numbers(),
        feature_group_count=layer.groups,
    )
    return out + bias


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv2d_with_the_switch_off_is_the_plain_convolution_bit_for_bit(padding):
    # 16 input channels and a batch of 6: on CPU with the switch on, this
    # convolution would be padded (when valid) and split.
    layer = layers.Conv2D(5, 3, padding=padding)
    layer.build((None, 9, 9, 16))
    x = jnp.asarray(np.random.default_rng(4).normal(size=(6, 9, 9, 16)).astype("float32"))
    kernel, bias = layer.kernel.value, layer.bias.value

    def loss(fn):
        return lambda x, k, b: jnp.sum(jnp.tanh(fn(x, k, b)))

    def heft_conv(x, k, b):
        return layer.stateless_call([k, b], [], x)[0]

    def plain_conv(x, k, b):
        return _plain_conv2d(layer, x, k, b)

    with CPU_CONV.forced(False):
        out = jax.jit(heft_conv)(x, kernel, bias)
        grads = jax.jit(jax.grad(loss(heft_conv), (0, 1, 2)))(x, kernel, bias)
    np.testing.assert_array_equal(out, jax.jit(plain_conv)(x, kernel, bias))
    plain_grads = jax.jit(jax.grad(loss(plain_conv), (0, 1, 2)))(x, kernel, bias)
    for got, want in zip(grads, plain_grads, strict=True):
        np.testing.assert_array_equal(got, want)
    # With the switch on (padded and split on CPU): the same values to float32 rounding.
    if CPU:
        assert layer._padded_valid(16) is (padding == "valid")
        assert plan(x.shape, layer.compute_output_shape(x.shape), x.dtype) is not None
    tweaked = jax.jit(heft_conv)(x, kernel, bias)
    tweaked_grads = jax.jit(jax.grad(loss(heft_conv), (0, 1, 2)))(x, kernel, bias)
    np.testing.assert_allclose(tweaked, out, rtol=1e-5, atol=1e-5)
    for got, want in zip(tweaked_grads, plain_grads, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_another_backend_takes_the_plain_path(monkeypatch):
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    assert _cpu_conv.applies() is False
    assert plan((128, 26, 26, 32), (128, 24, 24, 64), "float32") is None
    assert _cpu_conv.pads_valid("valid", 1, (1, 1), (3, 3), 64) is False
