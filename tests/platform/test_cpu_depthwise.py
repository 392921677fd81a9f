"""Depthwise convolutions as shifted products equal XLA's grouped convolution, values and gradients."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from heft._platform._cpu_depthwise import depthwise_by_offsets


def _plain(
    x: jax.Array, kernel: jax.Array, strides: tuple, padding: str, dilation: tuple
) -> jax.Array:
    rank = kernel.ndim - 2
    channels, multiplier = kernel.shape[-2:]
    spatial = "WHD"[:rank][::-1]
    grouped = jnp.reshape(kernel, (*kernel.shape[:-2], 1, channels * multiplier))
    return jax.lax.conv_general_dilated(
        x,
        grouped,
        window_strides=strides,
        padding=padding.upper(),
        rhs_dilation=dilation,
        dimension_numbers=(f"N{spatial}C", f"{spatial}IO", f"N{spatial}C"),
        feature_group_count=channels,
    )


CASES = [
    # x shape, window, strides, padding, dilation, multiplier
    ((2, 9, 9, 4), (3, 3), (1, 1), "same", (1, 1), 1),
    ((2, 8, 8, 4), (3, 3), (2, 2), "same", (1, 1), 1),
    ((2, 9, 8, 3), (3, 3), (2, 2), "valid", (1, 1), 2),
    ((1, 10, 11, 5), (5, 5), (2, 2), "same", (1, 1), 1),
    ((2, 9, 9, 2), (3, 2), (1, 1), "valid", (2, 2), 3),
    ((2, 7, 6, 3), (2, 3), (1, 2), "same", (2, 1), 1),
    ((3, 12, 4), (3,), (1,), "same", (1,), 2),
    ((3, 12, 4), (4,), (3,), "valid", (1,), 1),
]


@pytest.mark.parametrize("shape, window, strides, padding, dilation, multiplier", CASES)
def test_depthwise_by_offsets_equals_grouped_convolution(
    shape: tuple, window: tuple, strides: tuple, padding: str, dilation: tuple, multiplier: int
) -> None:
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.standard_normal(shape), "float32")
    kernel = jnp.asarray(rng.standard_normal((*window, shape[-1], multiplier)), "float32")
    args = (strides, padding, dilation)
    mine = jax.jit(depthwise_by_offsets, static_argnums=(2, 3, 4))(x, kernel, *args)
    assert mine is not None
    plain = jax.jit(_plain, static_argnums=(2, 3, 4))(x, kernel, *args)
    assert mine.shape == plain.shape
    np.testing.assert_allclose(mine, plain, rtol=1e-5, atol=1e-5)

    cotangent = jnp.asarray(rng.standard_normal(plain.shape), "float32")
    grads = jax.grad(lambda x, k: jnp.vdot(depthwise_by_offsets(x, k, *args), cotangent), (0, 1))
    plain_grads = jax.grad(lambda x, k: jnp.vdot(_plain(x, k, *args), cotangent), (0, 1))
    for a, b in zip(jax.jit(grads)(x, kernel), jax.jit(plain_grads)(x, kernel), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def test_depthwise_by_offsets_leaves_an_empty_output_to_the_plain_path() -> None:
    x = jnp.ones((1, 2, 2, 3), "float32")
    assert depthwise_by_offsets(x, jnp.ones((3, 3, 3, 1)), (1, 1), "valid", (1, 1)) is None
