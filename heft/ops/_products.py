"""Products and contractions: matmul, dot, einsum, tensordot, outer, kron, cross, cdist, ..."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .._typing import ArrayLike
from ._core import convert_to_tensor, unwrap
from ._dispatch import symbolic_op


def _preferred(*xs: jax.Array) -> Any:
    """int32 accumulation when every operand is int8 (fast integer kernels), else default."""
    return jnp.int32 if all(x.dtype == jnp.int8 for x in xs) else None


@symbolic_op
def matmul(x1: ArrayLike, x2: ArrayLike) -> jax.Array:
    """Matrix product of ``x1`` and ``x2`` (batched over leading axes).

    Args:
        x1: Tensor of shape ``(..., n, k)`` (or ``(k,)``).
        x2: Tensor of shape ``(..., k, m)`` (or ``(k,)``).

    Returns:
        The product, of shape ``(..., n, m)``.

    >>> ops.matmul([[1.0, 2.0]], [[3.0], [4.0]])
    Array([[11.]], dtype=float32)
    """
    x1, x2 = convert_to_tensor(x1), convert_to_tensor(x2)
    return jnp.matmul(x1, x2, preferred_element_type=_preferred(x1, x2))


@symbolic_op
def dot(x1: ArrayLike, x2: ArrayLike) -> jax.Array:
    """Dot product: inner product of vectors, matrix product of matrices, else sum over
    the last axis of ``x1`` and the second-to-last of ``x2``.

    Args:
        x1: First input tensor.
        x2: Second input tensor, broadcast against ``x1``.

    Returns:
        The product.

    >>> ops.dot([1, 2], [3, 4])
    Array(11, dtype=int32)
    """
    return jnp.dot(convert_to_tensor(x1), convert_to_tensor(x2))


@symbolic_op
def einsum(subscripts: str, *operands: Any, **kwargs: Any) -> jax.Array:
    """Einstein summation over ``operands`` as described by ``subscripts``.

    Args:
        subscripts: The contraction, e.g. ``"ij,jk->ik"``.
        *operands: The tensors.
        **kwargs: Extra arguments for ``jax.numpy.einsum`` (e.g. ``precision``).

    Returns:
        The contracted tensor.

    >>> ops.einsum("i,i->", [1.0, 2.0], [3.0, 4.0])
    Array(11., dtype=float32)
    """
    tensors = [convert_to_tensor(x) for x in operands]
    kwargs.setdefault("preferred_element_type", _preferred(*tensors))
    return jnp.einsum(subscripts, *tensors, **kwargs)


@symbolic_op
def tensordot(x1: ArrayLike, x2: ArrayLike, axes: Any = 2) -> jax.Array:
    """Sum products over the last ``axes`` axes of ``x1`` and first of ``x2`` (or given pairs).

    Args:
        x1: First input tensor.
        x2: Second input tensor, broadcast against ``x1``.
        axes: An int ``N`` (last ``N`` axes of ``x1`` with first ``N`` of ``x2``) or a pair of axis sequences.

    Returns:
        The contracted tensor.

    >>> ops.tensordot(ops.ones((2, 3)), ops.ones((3, 4)), axes=1).shape
    (2, 4)
    """
    return jnp.tensordot(convert_to_tensor(x1), convert_to_tensor(x2), axes=unwrap(axes))


@symbolic_op
def inner(x1: ArrayLike, x2: ArrayLike) -> jax.Array:
    """Inner product over the last axes of ``x1`` and ``x2``.

    Args:
        x1: First input tensor.
        x2: Second input tensor, broadcast against ``x1``.

    Returns:
        The inner products.

    >>> ops.inner([1, 2], [3, 4])
    Array(11, dtype=int32)
    """
    return jnp.inner(convert_to_tensor(x1), convert_to_tensor(x2))


@symbolic_op
def outer(x1: ArrayLike, x2: ArrayLike) -> jax.Array:
    """Outer product of the flattened ``x1`` and ``x2``.

    Args:
        x1: First input tensor.
        x2: Second input tensor, broadcast against ``x1``.

    Returns:
        A 2-D tensor of shape ``(x1.size, x2.size)``.

    >>> ops.outer([1, 2], [3, 4])
    Array([[3, 4],
           [6, 8]], dtype=int32)
    """
    return jnp.outer(convert_to_tensor(x1), convert_to_tensor(x2))


@symbolic_op
def vdot(x1: ArrayLike, x2: ArrayLike) -> jax.Array:
    """Dot product of the flattened tensors (conjugating ``x1`` if complex).

    Args:
        x1: First input tensor.
        x2: Second input tensor, broadcast against ``x1``.

    Returns:
        A scalar tensor.

    >>> ops.vdot([[1, 2]], [[3, 4]])
    Array(11, dtype=int32)
    """
    return jnp.vdot(convert_to_tensor(x1), convert_to_tensor(x2))


@symbolic_op
def kron(x1: ArrayLike, x2: ArrayLike) -> jax.Array:
    """Kronecker product of ``x1`` and ``x2``.

    Args:
        x1: First input tensor.
        x2: Second input tensor, broadcast against ``x1``.

    Returns:
        The Kronecker product.

    >>> ops.kron([1, 2], [1, 10])
    Array([ 1, 10,  2, 20], dtype=int32)
    """
    return jnp.kron(convert_to_tensor(x1), convert_to_tensor(x2))


@symbolic_op
def cross(
    x1: ArrayLike,
    x2: ArrayLike,
    axisa: int = -1,
    axisb: int = -1,
    axisc: int = -1,
    axis: int | None = None,
) -> jax.Array:
    """Cross product of 2- or 3-element vectors (``axis`` overrides the three axis arguments).

    Args:
        x1: Vectors with 2 or 3 components along ``axisa``.
        x2: Vectors with 2 or 3 components along ``axisb``.
        axisa: Component axis of ``x1``.
        axisb: Component axis of ``x2``.
        axisc: Component axis of the result.
        axis: If given, used for all three axes.

    Returns:
        The cross products.

    >>> ops.cross([1.0, 0.0, 0.0], [0.0, 1.0, 0.0])
    Array([0., 0., 1.], dtype=float32)
    """
    return jnp.cross(
        convert_to_tensor(x1),
        convert_to_tensor(x2),
        axisa=axisa,
        axisb=axisb,
        axisc=axisc,
        axis=axis,
    )


@symbolic_op
def cdist(x: ArrayLike, y: Any) -> jax.Array:
    """Euclidean distances between the rows of ``x`` and ``y`` (batched over leading axes).

    Args:
        x: Tensor of shape ``(..., n, d)``.
        y: Tensor of shape ``(..., m, d)``.

    Returns:
        Distances of shape ``(..., n, m)``.

    Raises:
        ValueError: If an input has rank below 2 or the last dimensions differ.

    >>> ops.cdist([[0.0, 0.0]], [[3.0, 4.0]])
    Array([[5.]], dtype=float32)
    """
    x, y = convert_to_tensor(x), convert_to_tensor(y)
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError(
            f"`cdist` inputs must have rank >= 2 (points as rows). Received: x.shape={x.shape}, "
            f"y.shape={y.shape}"
        )
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(
            "The last dimension of the inputs to `cdist` must match. Received: "
            f"x.shape={x.shape}, y.shape={y.shape}"
        )
    delta = x[..., :, None, :] - y[..., None, :, :]
    return jnp.sqrt(jnp.sum(delta * delta, axis=-1))


@symbolic_op
def correlate(x1: ArrayLike, x2: ArrayLike, mode: str = "valid") -> jax.Array:
    """Cross-correlation of two 1-D tensors (``mode``: ``"valid"``, ``"same"`` or ``"full"``).

    Args:
        x1: First 1-D tensor.
        x2: Second 1-D tensor.
        mode: ``"valid"``, ``"same"`` or ``"full"``.

    Returns:
        A 1-D tensor.

    >>> ops.correlate([1.0, 2.0, 3.0], [0.0, 1.0])
    Array([2., 3.], dtype=float32)
    """
    return jnp.correlate(convert_to_tensor(x1), convert_to_tensor(x2), mode=mode)


@symbolic_op
def corrcoef(x: ArrayLike) -> jax.Array:
    """Pearson correlation coefficients between the rows of ``x``.

    >>> ops.corrcoef([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]])
    Array([[1., 1.],
           [1., 1.]], dtype=float32)
    """
    return jnp.corrcoef(convert_to_tensor(x))


@symbolic_op
def vander(x: ArrayLike, N: int | None = None, increasing: bool = False) -> jax.Array:
    """The Vandermonde matrix of a 1-D ``x``: columns are powers of ``x``.

    Args:
        x: 1-D input tensor.
        N: Number of columns; defaults to ``len(x)``.
        increasing: Whether powers increase from left to right.

    Returns:
        A tensor of shape ``(len(x), N)``.

    Raises:
        ValueError: If ``x`` is not 1-D or ``N`` is negative.
        TypeError: If ``N`` is not an int or ``increasing`` is not a bool.

    >>> ops.vander([1, 2, 3], 2)
    Array([[1, 1],
           [2, 1],
           [3, 1]], dtype=int32)
    """
    x = convert_to_tensor(x)
    if x.ndim != 1:
        raise ValueError(f"Input tensor must be 1-dimensional. Received: x.shape={x.shape}")
    if N is not None:
        if isinstance(N, bool) or not isinstance(N, int):
            raise TypeError(f"Argument `N` must be of type `int`. Received: N={N!r}")
        if N < 0:
            raise ValueError(f"Argument `N` must be non-negative. Received: N={N}")
    if not isinstance(increasing, bool):
        raise TypeError(
            f"Argument `increasing` must be of type `bool`. Received: increasing={increasing!r}"
        )
    return jnp.vander(x, N=N, increasing=increasing)
