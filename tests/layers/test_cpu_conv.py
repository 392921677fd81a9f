"""Tests for 2D convolutions split over the batch on CPU: same outputs, same gradients."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from heft import layers
from heft.layers import _cpu_conv
from heft.layers._cpu_conv import Split, plan, split_convolution


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
    np.testing.assert_array_equal(split_conv(x, k), _conv_nhwc(x, k))
    dx, dk = jax.grad(loss(split_conv), (0, 1))(x, k)
    ref_dx, ref_dk = jax.grad(loss(_conv_nhwc), (0, 1))(x, k)
    np.testing.assert_array_equal(dx, ref_dx)  # each sample's input gradient is unchanged
    np.testing.assert_allclose(dk, ref_dk, rtol=1e-5, atol=1e-5)  # summed in another order


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="the split is for XLA's CPU backend")
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
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_allclose(tangent, ref_tangent, rtol=1e-5, atol=1e-5)
    # the tangent of the kernel alone, and a Hessian-vector product (forward over reverse)
    _, only_k = jax.jvp(lambda k: split_conv(x, k), (k,), (tk,))
    np.testing.assert_allclose(only_k, _conv_nhwc(x, tk), rtol=1e-5, atol=1e-5)

    def hvp(conv):
        grad = jax.grad(lambda k: jnp.sum(jnp.tanh(conv(x, k))))
        return jax.jvp(grad, (k,), (tk,))[1]

    np.testing.assert_allclose(hvp(split_conv), hvp(_conv_nhwc), rtol=1e-4, atol=1e-5)
