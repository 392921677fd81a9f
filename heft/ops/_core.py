"""Tensor conversion, dtypes, slicing and indexed updates: the core of ``heft.ops``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np

from .. import _config, _dtypes
from .._typing import ArrayLike, DTypeLike
from .._variable import Variable
from ._dispatch import symbolic_op

_SCATTER_REDUCTIONS = ("add", "max", "min", "mul")


def unwrap(x: Any) -> Any:
    """Replace a ``Variable`` (also inside lists and tuples) by its current value."""
    if isinstance(x, Variable):
        return x.value
    if isinstance(x, list | tuple) and any(isinstance(v, Variable | list | tuple) for v in x):
        return type(x)(unwrap(v) for v in x)
    return x


def unwrap_tree(tree: Any) -> Any:
    """Replace every ``Variable`` leaf of a pytree (dicts, lists, tuples, ...) by its value."""
    return jax.tree_util.tree_map(lambda v: v.value if isinstance(v, Variable) else v, tree)


def jax_dtype(dtype: DTypeLike) -> Any:
    """The JAX dtype for ``dtype`` as arrays will hold it (64-bit becomes 32-bit without x64)."""
    if dtype is None:
        return None
    return jax.dtypes.canonicalize_dtype(_dtypes.to_jax_dtype(dtype))


def float_dtype(x: jax.Array) -> Any:
    """``x``'s dtype if it is a float dtype, else ``floatx()`` (for int and bool inputs)."""
    if jnp.issubdtype(x.dtype, jnp.inexact):
        return x.dtype
    return jax_dtype(_config.floatx())


@symbolic_op
def convert_to_tensor(
    x: ArrayLike, dtype: DTypeLike = None, sparse: bool | None = None, ragged: bool | None = None
) -> jax.Array:
    """Turn ``x`` (a Variable, array, list or Python scalar) into a JAX array.

    Python floats become float32, Python ints int32 and float64 numpy arrays
    float32 (unless JAX's x64 mode is on), as with Keras's JAX backend.

    Args:
        x: The value to convert. A ``heft.Variable`` gives its current value.
        dtype: The dtype of the result; ``None`` keeps or infers the dtype.
        sparse: Accepted for Keras compatibility; results are always dense.
        ragged: Must be falsy: JAX has no ragged tensors.

    Returns:
        A ``jax.Array``.

    Raises:
        ValueError: If ``ragged=True`` or ``dtype`` names no supported dtype.

    >>> ops.convert_to_tensor([1.0, 2.0])
    Array([1., 2.], dtype=float32)
    """
    if ragged:
        raise ValueError(
            "`ragged=True` is not supported: JAX has no ragged tensors. Pad the "
            "values to a common length and pass `ragged=False`."
        )
    dtype = jax_dtype(dtype)
    x = unwrap(x)
    if isinstance(x, jax.Array):
        return x if dtype is None or x.dtype == dtype else x.astype(dtype)
    if dtype is not None and dtype == jnp.bfloat16:
        return jnp.asarray(x).astype(dtype)
    return jnp.asarray(x, dtype=dtype)


@symbolic_op
def convert_to_numpy(x: ArrayLike) -> np.ndarray:
    """Return ``x`` as a numpy array (bfloat16 arrays keep their dtype).

    >>> ops.convert_to_numpy(ops.ones((2,)))
    array([1., 1.], dtype=float32)
    """
    x = unwrap(x)
    if isinstance(x, jax.Array) and x.dtype == jnp.bfloat16:
        return np.array(x, dtype=ml_dtypes.bfloat16)
    return np.array(x)


@symbolic_op
def is_tensor(x: ArrayLike) -> bool:
    """Whether ``x`` is a JAX array (Variables are not tensors, as in Keras).

    >>> ops.is_tensor(ops.zeros(2)), ops.is_tensor([0.0])
    (True, False)
    """
    return isinstance(x, jax.Array)


@symbolic_op
def cast(x: ArrayLike, dtype: DTypeLike) -> jax.Array:
    """Cast ``x`` to ``dtype``.

    Args:
        x: Input tensor.
        dtype: The target dtype, e.g. ``"float16"``.

    Returns:
        ``x`` with dtype ``dtype``.

    >>> ops.cast([1.7, -2.2], "int32")
    Array([ 1, -2], dtype=int32)
    """
    return convert_to_tensor(x, dtype=_dtypes.standardize_dtype(dtype))


def _dtype_range(dtype: np.dtype[Any]) -> tuple[Any, Any]:
    if dtype == np.bool_:
        return 0, 1
    info = ml_dtypes.iinfo(dtype) if jnp.issubdtype(dtype, jnp.integer) else ml_dtypes.finfo(dtype)
    return info.min, info.max


@symbolic_op
def saturate_cast(x: ArrayLike, dtype: DTypeLike) -> jax.Array:
    """Cast ``x`` to ``dtype``, first clipping values to the range ``dtype`` can hold.

    Args:
        x: Input tensor.
        dtype: The target dtype.

    Returns:
        ``x`` clipped and cast to ``dtype``.

    >>> ops.saturate_cast([-1.0, 300.0], "uint8")
    Array([  0, 255], dtype=uint8)
    """
    target = jax_dtype(_dtypes.standardize_dtype(dtype))
    x = convert_to_tensor(x)
    source = np.dtype(x.dtype)
    if source == np.bool_:
        return x.astype(target)
    in_min, in_max = _dtype_range(source)
    out_min, out_max = _dtype_range(np.dtype(target))
    # Limits are expressed in the input dtype; rounding may push them past the
    # target's range (float32 cannot hold 2**31 - 1), so step back inside.
    low = np.asarray(max(in_min, out_min)).astype(source)
    if low < out_min:
        low = np.nextafter(low, np.asarray(0, source))
    high = np.asarray(min(in_max, out_max)).astype(source)
    if high > out_max:
        high = np.nextafter(high, np.asarray(0, source))
    return jnp.clip(x, low, high).astype(target)


@symbolic_op
def shape(x: ArrayLike) -> tuple[int, ...]:
    """The static shape of ``x`` as a tuple of ints.

    >>> ops.shape(ops.zeros((2, 3)))
    (2, 3)
    """
    x = unwrap(x)
    if hasattr(x, "shape"):
        return tuple(x.shape)
    return tuple(np.shape(x))


@symbolic_op
def dtype(x: ArrayLike) -> str:
    """The dtype name of ``x`` (anything with a ``dtype``, or a value to convert).

    >>> ops.dtype(ops.zeros(2))
    'float32'
    """
    if hasattr(x, "dtype"):
        return _dtypes.standardize_dtype(x.dtype)
    return _dtypes.standardize_dtype(convert_to_tensor(x).dtype)


@symbolic_op
def stop_gradient(variable: Any) -> jax.Array:
    """Return ``variable`` unchanged, but block gradients through it.

    >>> ops.stop_gradient([1.0])
    Array([1.], dtype=float32)
    """
    return jax.lax.stop_gradient(convert_to_tensor(variable))


@symbolic_op
def slice(inputs: Any, start_indices: Any, shape: Sequence[int]) -> jax.Array:
    """The block of ``inputs`` of size ``shape`` starting at ``start_indices``.

    A size of ``-1`` takes everything from the start index to the end of that axis.

    Args:
        inputs: Input tensor.
        start_indices: Start index per axis (ints or a tensor).
        shape: Block size per axis; -1 takes the rest of the axis.

    Returns:
        The block, of size ``shape``.

    >>> ops.slice(ops.arange(6), (2,), (3,))
    Array([2, 3, 4], dtype=int32)
    """
    inputs = convert_to_tensor(inputs)
    start_indices = unwrap(start_indices)
    sizes = tuple(
        inputs.shape[i] - int(start_indices[i]) if s == -1 else int(s) for i, s in enumerate(shape)
    )
    return jax.lax.dynamic_slice(inputs, start_indices, sizes)


@symbolic_op
def slice_update(inputs: Any, start_indices: Any, updates: Any) -> jax.Array:
    """Return ``inputs`` with the block at ``start_indices`` replaced by ``updates``.

    Args:
        inputs: Input tensor.
        start_indices: Start index per axis of the block to replace.
        updates: The new block (cast to ``inputs``' dtype).

    Returns:
        A tensor shaped like ``inputs``.

    >>> ops.slice_update(ops.zeros(4), (1,), ops.ones(2))
    Array([0., 1., 1., 0.], dtype=float32)
    """
    inputs = convert_to_tensor(inputs)
    updates = convert_to_tensor(updates, dtype=inputs.dtype)
    return jax.lax.dynamic_update_slice(inputs, updates, unwrap(start_indices))


@symbolic_op
def scatter(indices: Any, values: Any, shape: Sequence[int]) -> jax.Array:
    """A zero tensor of ``shape`` with ``values`` added at ``indices``.

    Args:
        indices: Int tensor of shape ``(N, rank)``: one index per row.
        values: Tensor of shape ``(N,)`` (plus trailing slice dimensions).
        shape: The output shape.

    Returns:
        The scattered tensor; repeated indices are summed.

    >>> ops.scatter([[1], [3]], [5.0, 7.0], (4,))
    Array([0., 5., 0., 7.], dtype=float32)
    """
    indices = convert_to_tensor(indices)
    values = convert_to_tensor(values)
    key = tuple(jnp.moveaxis(indices, -1, 0))
    return jnp.zeros(shape, values.dtype).at[key].add(values)


@symbolic_op
def scatter_update(
    inputs: Any, indices: Any, updates: Any, reduction: str | None = None
) -> jax.Array:
    """Return ``inputs`` with ``updates`` written (or reduced) at ``indices``.

    Args:
        inputs: The tensor to update.
        indices: Int tensor of shape ``(N, k)``: one index per row.
        updates: The new values, one per index row.
        reduction: ``None`` to overwrite, or ``"add"``, ``"max"``, ``"min"``, ``"mul"``.

    Returns:
        The updated tensor.

    Raises:
        ValueError: If ``reduction`` is not one of the supported names.

    >>> ops.scatter_update(ops.zeros(3), [[0], [2]], [1.0, 2.0])
    Array([1., 0., 2.], dtype=float32)
    """
    if reduction is not None:
        reduction = reduction.lower()
        if reduction not in _SCATTER_REDUCTIONS:
            raise ValueError(
                f"Invalid reduction: {reduction!r}. Supported values are None, 'add', 'max', "
                "'min' and 'mul'."
            )
    inputs = convert_to_tensor(inputs)
    key = tuple(jnp.transpose(convert_to_tensor(indices)))
    updates = convert_to_tensor(updates)
    at = inputs.at[key]
    if reduction is None:
        return at.set(updates)
    method = {"add": at.add, "max": at.max, "min": at.min, "mul": at.multiply}[reduction]
    return method(updates)


@symbolic_op
def unstack(x: ArrayLike, num: int | None = None, axis: int = 0) -> list[jax.Array]:
    """Split ``x`` along ``axis`` into a list of tensors with that axis removed.

    Args:
        x: Input tensor.
        num: Accepted for Keras compatibility; the count is ``x.shape[axis]``.
        axis: The axis to unstack along.

    Returns:
        A list of ``x.shape[axis]`` tensors.

    >>> [t.tolist() for t in ops.unstack(ops.eye(2))]
    [[1.0, 0.0], [0.0, 1.0]]
    """
    x = convert_to_tensor(x)
    return [jax.lax.index_in_dim(x, i, axis, keepdims=False) for i in range(x.shape[axis])]


@symbolic_op
def get_item(x: ArrayLike, key: Any) -> jax.Array:
    """``x[key]``; a list key is read as a tuple of indices, as in Keras.

    Args:
        x: Input tensor.
        key: An index, slice, tensor of indices, or a tuple/list of them.

    Returns:
        The selected values.

    >>> ops.get_item(ops.arange(4), 2)
    Array(2, dtype=int32)
    """
    if isinstance(key, list):
        key = tuple(key)
    return convert_to_tensor(x)[unwrap(key)]
