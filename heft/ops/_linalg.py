"""Linear algebra on (batches of) matrices: norm, inv, solve, cholesky, qr, svd, eig, ..."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl

from .._typing import ArrayLike
from ._core import convert_to_tensor, float_dtype
from ._dispatch import symbolic_op
from ._reduction import axes


@symbolic_op
def norm(x: ArrayLike, ord: Any = None, axis: Any = None, keepdims: bool = False) -> jax.Array:
    """Vector or matrix norm of ``x`` (int inputs are computed as floats).

    Args:
        x: Input tensor.
        ord: Norm order: ``None`` (2-norm / Frobenius), an int or float, ``"fro"``,
            ``"nuc"``, ``inf`` or ``-inf``.
        axis: An int for vector norms, a pair for matrix norms, ``None`` for the
            flattened vector norm (or the matrix norm of a 2-D ``x`` when ``ord`` is given).
        keepdims: Whether to keep reduced axes with size 1.

    Returns:
        The norm.

    >>> ops.norm([3.0, 4.0])
    Array(5., dtype=float32)
    """
    x = convert_to_tensor(x)
    return jnp.linalg.norm(x.astype(float_dtype(x)), ord=ord, axis=axes(axis), keepdims=keepdims)


@symbolic_op
def inv(x: ArrayLike) -> jax.Array:
    """Inverse of a square matrix (batched over leading axes).

    >>> ops.inv([[2.0, 0.0], [0.0, 4.0]])
    Array([[0.5 , 0.  ],
           [0.  , 0.25]], dtype=float32)
    """
    return jnp.linalg.inv(convert_to_tensor(x))


@symbolic_op
def det(x: ArrayLike) -> jax.Array:
    """Determinant of a square matrix (batched over leading axes).

    >>> ops.det([[2.0, 1.0], [1.0, 3.0]])
    Array(5., dtype=float32)
    """
    return jnp.linalg.det(convert_to_tensor(x))


@symbolic_op
def slogdet(x: ArrayLike) -> tuple[jax.Array, jax.Array]:
    """Sign and natural log of the absolute determinant, ``(sign, logabsdet)``.

    >>> ops.slogdet([[2.0, 0.0], [0.0, 3.0]])[0]
    Array(1., dtype=float32)
    """
    return tuple(jnp.linalg.slogdet(convert_to_tensor(x)))


@symbolic_op
def logdet(x: ArrayLike) -> jax.Array:
    """Log-determinant of a positive-definite matrix, computed stably.

    >>> ops.logdet([[1.0, 0.0], [0.0, 1.0]])
    Array(0., dtype=float32)
    """
    return jnp.linalg.slogdet(convert_to_tensor(x))[1]


@symbolic_op
def solve(a: Any, b: Any) -> jax.Array:
    """Solve ``a @ x = b`` for ``x``.

    Args:
        a: Square coefficient matrix (batched over leading axes).
        b: Right-hand side.

    Returns:
        The solution ``x``, shaped like ``b``.

    >>> ops.solve([[2.0, 0.0], [0.0, 4.0]], [2.0, 8.0])
    Array([1., 2.], dtype=float32)
    """
    return jnp.linalg.solve(convert_to_tensor(a), convert_to_tensor(b))


@symbolic_op
def solve_triangular(a: Any, b: Any, lower: bool = False) -> jax.Array:
    """Solve ``a @ x = b`` for ``x`` with ``a`` triangular (lower if ``lower``, else upper).

    Args:
        a: Triangular coefficient matrix.
        b: Right-hand side.
        lower: Whether ``a`` is lower (else upper) triangular.

    Returns:
        The solution ``x``, shaped like ``b``.

    >>> ops.solve_triangular([[1.0, 0.0], [1.0, 1.0]], [1.0, 3.0], lower=True)
    Array([1., 2.], dtype=float32)
    """
    return jsl.solve_triangular(convert_to_tensor(a), convert_to_tensor(b), lower=lower)


@symbolic_op
def lstsq(a: Any, b: Any, rcond: float | None = None) -> jax.Array:
    """Least-squares solution ``x`` minimising ``|a @ x - b|``.

    Args:
        a: Coefficient matrix of shape ``(m, n)``.
        b: Right-hand side of shape ``(m,)`` or ``(m, k)``.
        rcond: Cut-off for small singular values; ``None`` uses machine precision.

    Returns:
        The solution ``x``.

    >>> ops.lstsq([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]], [1.0, 2.0, 5.0])
    Array([1., 2.], dtype=float32)
    """
    return jnp.linalg.lstsq(convert_to_tensor(a), convert_to_tensor(b), rcond=rcond)[0]


@symbolic_op
def cholesky(x: ArrayLike, upper: bool = False) -> jax.Array:
    """Cholesky factor of a positive-definite matrix: ``L`` with ``L @ L.T == x``.

    Args:
        x: Symmetric positive-definite matrix (batched over leading axes).
        upper: Return the upper factor ``U`` (``U.T @ U == x``) instead.

    Returns:
        The triangular factor.

    Raises:
        ValueError: In eager mode, if ``x`` is not positive definite.

    >>> ops.cholesky([[4.0, 0.0], [0.0, 9.0]])
    Array([[2., 0.],
           [0., 3.]], dtype=float32)
    """
    out = jnp.linalg.cholesky(convert_to_tensor(x), upper=upper)
    if not isinstance(out, jax.core.Tracer) and bool(jnp.any(jnp.isnan(out))):
        raise ValueError(
            "Cholesky decomposition failed: the input is not a (numerically) positive "
            "definite matrix. Check that it is symmetric, or add a small multiple of the "
            "identity to its diagonal."
        )
    return out


@symbolic_op
def cholesky_inverse(x: ArrayLike, upper: bool = False) -> jax.Array:
    """Inverse of ``A`` given its Cholesky factor ``x`` (lower, or upper if ``upper``).

    Args:
        x: Triangular Cholesky factor of ``A``.
        upper: Whether ``x`` is the upper factor.

    Returns:
        The inverse of ``A``.

    >>> ops.cholesky_inverse([[2.0, 0.0], [0.0, 1.0]])
    Array([[0.25, 0.  ],
           [0.  , 1.  ]], dtype=float32)
    """
    x = convert_to_tensor(x)
    eye = jnp.eye(x.shape[-1], dtype=x.dtype)
    inv_factor = jsl.solve_triangular(x, eye, lower=not upper)
    if upper:
        return inv_factor @ jnp.swapaxes(inv_factor, -1, -2)
    return jnp.swapaxes(inv_factor, -1, -2) @ inv_factor


@symbolic_op
def qr(x: ArrayLike, mode: str = "reduced") -> tuple[jax.Array, jax.Array]:
    """QR decomposition ``x = q @ r``.

    Args:
        x: Matrix (batched over leading axes).
        mode: ``"reduced"`` or ``"complete"``.

    Returns:
        ``(q, r)``.

    Raises:
        ValueError: If ``mode`` is not ``"reduced"`` or ``"complete"``.

    >>> [t.shape for t in ops.qr(ops.ones((3, 2)))]
    [(3, 2), (2, 2)]
    """
    if mode not in ("reduced", "complete"):
        raise ValueError(f"Unsupported `mode` for qr: {mode!r}. Expected 'reduced' or 'complete'.")
    return tuple(jnp.linalg.qr(convert_to_tensor(x), mode=mode))


@symbolic_op
def svd(x: ArrayLike, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """Singular value decomposition ``x = u @ diag(s) @ vh``.

    Returns:
        ``(u, s, vh)``, or just ``s`` when ``compute_uv`` is false.

    Args:
        x: Matrix (batched over leading axes).
        full_matrices: Whether ``u`` and ``vh`` are square (else reduced).
        compute_uv: Whether to compute ``u`` and ``vh``.

    Returns:
        ``(u, s, vh)``, or ``s`` alone.

    >>> ops.svd([[3.0, 0.0], [0.0, 2.0]], compute_uv=False)
    Array([3., 2.], dtype=float32)
    """
    out = jnp.linalg.svd(convert_to_tensor(x), full_matrices=full_matrices, compute_uv=compute_uv)
    return tuple(out) if compute_uv else out


@symbolic_op
def eig(x: ArrayLike) -> tuple[jax.Array, jax.Array]:
    """Eigenvalues and eigenvectors of a square matrix (complex results; CPU only in JAX).

    >>> ops.eig([[2.0, 0.0], [0.0, 3.0]])[0]
    Array([2.+0.j, 3.+0.j], dtype=complex64)
    """
    return tuple(jnp.linalg.eig(convert_to_tensor(x)))


@symbolic_op
def eigh(x: ArrayLike) -> tuple[jax.Array, jax.Array]:
    """Eigenvalues (ascending) and eigenvectors of a symmetric or Hermitian matrix.

    >>> ops.eigh([[2.0, 0.0], [0.0, 1.0]])[0]
    Array([1., 2.], dtype=float32)
    """
    return tuple(jnp.linalg.eigh(convert_to_tensor(x)))


@symbolic_op
def lu_factor(x: ArrayLike) -> tuple[jax.Array, jax.Array]:
    """LU factorization with partial pivoting: ``(lu, pivots)`` (batched over leading axes).

    >>> ops.lu_factor([[1.0, 2.0], [3.0, 4.0]])[1]
    Array([1, 1], dtype=int32)
    """
    x = convert_to_tensor(x)
    factor = jsl.lu_factor
    for _ in range(x.ndim - 2):
        factor = jax.vmap(factor)
    return tuple(factor(x))


def _check_matrix(x: jax.Array) -> None:
    if x.ndim < 2:
        raise ValueError(
            f"Expected an input of rank >= 2 (a matrix or a batch of them). Received: "
            f"x.shape={x.shape}"
        )


@symbolic_op
def pinv(x: ArrayLike, rcond: float | None = None) -> jax.Array:
    """Moore-Penrose pseudo-inverse.

    Args:
        x: Matrix (batched over leading axes).
        rcond: Relative cut-off for small singular values; ``None`` picks one from the dtype.

    Returns:
        The pseudo-inverse, with the last two axes swapped in size.

    Raises:
        ValueError: If ``x`` has rank below 2.

    >>> ops.pinv([[2.0, 0.0], [0.0, 0.0]])
    Array([[0.5, 0. ],
           [0. , 0. ]], dtype=float32)
    """
    x = convert_to_tensor(x)
    _check_matrix(x)
    return jnp.linalg.pinv(x, rcond=rcond)


@symbolic_op
def matrix_rank(x: ArrayLike, tol: float | None = None) -> jax.Array:
    """Rank of a matrix (number of singular values above ``tol``), as int32.

    Args:
        x: Matrix (batched over leading axes).
        tol: Singular values below this count as zero; ``None`` picks one from the dtype.

    Returns:
        An int32 tensor.

    Raises:
        ValueError: If ``x`` has rank below 2.

    >>> ops.matrix_rank([[1.0, 2.0], [2.0, 4.0]])
    Array(1, dtype=int32)
    """
    x = convert_to_tensor(x)
    _check_matrix(x)
    return jnp.linalg.matrix_rank(x, tol=tol).astype(jnp.int32)
