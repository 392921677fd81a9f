"""Scaled dot-product attention on ``jax.nn.dot_product_attention``."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .._typing import ArrayLike
from ._core import convert_to_tensor
from ._dispatch import symbolic_op


@symbolic_op
def dot_product_attention(
    query: ArrayLike,
    key: ArrayLike,
    value: ArrayLike,
    bias: ArrayLike | None = None,
    mask: ArrayLike | None = None,
    scale: float | None = None,
    is_causal: bool = False,
    flash_attention: bool | None = None,
    attn_logits_soft_cap: float | None = None,
) -> jax.Array:
    """``softmax(query @ key.T * scale + bias, masked) @ value`` over heads.

    Shapes: ``query`` ``(B, T, N, H)``, ``key`` and ``value`` ``(B, S, K, H)``
    with ``N`` a multiple of ``K`` (grouped-query attention when ``K < N``).

    Args:
        query: Queries ``(B, T, N, H)``.
        key: Keys ``(B, S, K, H)``.
        value: Values ``(B, S, K, H)``.
        bias: Added to the logits; broadcastable to ``(B, N, T, S)``.
        mask: Boolean, true where a query may attend a key; broadcastable to
            ``(B, N, T, S)``.
        scale: Multiplies the logits; ``None`` is ``1 / sqrt(H)``.
        is_causal: Whether query ``t`` only attends keys ``<= t``.
        flash_attention: ``True`` requires the cuDNN fused kernel (a GPU);
            ``None`` or ``False`` use XLA's.
        attn_logits_soft_cap: Must be ``None`` (Keras supports it on TPU only).

    Returns:
        The attention output, shaped like ``query``.

    Raises:
        ValueError: If an input is not 4-D, or a soft cap is given.
        RuntimeError: If ``flash_attention=True`` without a GPU.

    >>> q = ops.ones((2, 4, 8, 16))
    >>> ops.dot_product_attention(q, q, q).shape
    (2, 4, 8, 16)
    """
    if attn_logits_soft_cap is not None:
        raise ValueError(
            "attn_logits_soft_cap is only supported for JAX on TPU. Set "
            "attn_logits_soft_cap=None (heft runs attention with XLA or cuDNN)."
        )
    q, k, v = (convert_to_tensor(t) for t in (query, key, value))
    if q.ndim != 4 or k.ndim != 4 or v.ndim != 4:
        raise ValueError(
            "`dot_product_attention` only supports 4D inputs. Received: "
            f"query.shape={q.shape}, key.shape={k.shape}, value.shape={v.shape}."
        )
    dtype = jnp.result_type(q.dtype, k.dtype, v.dtype)
    q, k, v = q.astype(dtype), k.astype(dtype), v.astype(dtype)
    if bias is not None:
        bias = convert_to_tensor(bias).astype(dtype)
    if mask is not None:
        mask = convert_to_tensor(mask)
    implementation: Any = "xla"
    if flash_attention:
        if jax.default_backend() != "gpu":
            raise RuntimeError(
                "flash_attention=True needs cuDNN on a GPU, and the JAX backend is "
                f"'{jax.default_backend()}'. Pass flash_attention=None or False."
            )
        implementation = "cudnn"
    return jax.nn.dot_product_attention(
        q,
        k,
        v,
        bias=bias,
        mask=mask,
        scale=scale,
        is_causal=is_causal,
        implementation=implementation,
    )
