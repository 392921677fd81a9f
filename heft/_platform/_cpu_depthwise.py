"""Depthwise convolutions on XLA's CPU backend as sums of shifted products (``HEFT_CPU_CONV``).

Exists because XLA's CPU backend runs a grouped convolution with one group per
channel on a slow generic path: for 16x32x32x144 inputs and 3x3 windows, the
forward pass took 467 ms, the input gradient 367 ms and the kernel gradient
1.1 s, against 4.4, 13.5 and 163 ms for the same values computed as one
multiply-add per window offset (``bench/README.md``, ``applications.py``).
The values agree with ``lax.conv_general_dilated`` to float32 rounding (the
terms are summed in another order).
"""

from __future__ import annotations

import itertools
from typing import Any

import jax
import jax.numpy as jnp


def depthwise_by_offsets(
    x: Any, kernel: Any, strides: tuple, padding: str, dilation: tuple
) -> jax.Array | None:
    """Channels-last depthwise convolution of ``x`` with ``kernel`` ``(*window, in, mult)``.

    Output channel ``c * mult + m`` is input channel ``c`` under filter ``m``, as
    for ``lax.conv_general_dilated`` with ``feature_group_count=in``. Returns
    ``None`` when the output would be empty (the caller then takes the plain path).

    >>> x = jnp.arange(2 * 5 * 3, dtype="float32").reshape(1, 2, 5, 3)
    >>> k = jnp.ones((1, 2, 3, 1), "float32")
    >>> plain = jax.lax.conv_general_dilated(
    ...     x, k.reshape(1, 2, 1, 3), (1, 1), "VALID",
    ...     dimension_numbers=("NHWC", "HWIO", "NHWC"), feature_group_count=3)
    >>> bool(jnp.array_equal(depthwise_by_offsets(x, k, (1, 1), "valid", (1, 1)), plain))
    True
    """
    rank = kernel.ndim - 2
    window = tuple(kernel.shape[:rank])
    spatial = tuple(x.shape[1 : 1 + rank])
    effective = tuple((k - 1) * d + 1 for k, d in zip(window, dilation, strict=True))
    if padding.lower() == "same":
        pads = list(jax.lax.padtype_to_pads(spatial, effective, strides, "SAME"))
    else:
        pads = [(0, 0)] * rank
    lengths = [
        (n + lo + hi - e) // s + 1
        for n, (lo, hi), e, s in zip(spatial, pads, effective, strides, strict=True)
    ]
    if any(n <= 0 for n in lengths) or x.shape[0] == 0:
        return None
    if any(lo or hi for lo, hi in pads):
        x = jnp.pad(x, [(0, 0), *pads, (0, 0)])
    channels, multiplier = kernel.shape[-2:]
    total: Any = None
    for offset in itertools.product(*(range(k) for k in window)):
        index = tuple(
            slice(o * d, o * d + (n - 1) * s + 1, s)
            for o, d, n, s in zip(offset, dilation, lengths, strides, strict=True)
        )
        piece = x[(slice(None), *index)]
        weights = kernel[offset]  # (channels, multiplier)
        term = piece * weights[:, 0] if multiplier == 1 else piece[..., None] * weights
        total = term if total is None else total + term
    if multiplier != 1:
        total = jnp.reshape(total, (*total.shape[:-2], channels * multiplier))
    return total
