"""Symbolic tensors: shapes and dtypes flowing through layers before any data exists."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import numpy as np

from . import _dtypes
from ._symbolic_scope import SymbolicScope


class KerasHistory(NamedTuple):
    """Where a symbolic tensor comes from: output ``tensor_index`` of a layer's call.

    The call is ``operation._inbound_nodes[node_index]`` (a ``Node``); ``operation``
    is the layer (or op) that was called. The same triple names the tensor in a
    Functional model's config, as in Keras 3.
    """

    operation: Any
    node_index: int
    tensor_index: int


class KerasTensor:
    """A placeholder with a shape (``None`` for unknown dims) and a dtype.

    Produced by ``heft.Input`` and by calling layers on other symbolic tensors;
    it records the layer call that produced it in ``_keras_history`` (a
    ``KerasHistory``).

    >>> KerasTensor((None, 3)).shape
    (None, 3)
    """

    def __init__(
        self,
        shape: Any,
        dtype: Any = "float32",
        sparse: bool = False,
        name: str | None = None,
        history: KerasHistory | None = None,
    ) -> None:
        self._shape = tuple(None if d is None else int(d) for d in shape)
        self._dtype = _dtypes.standardize_dtype(dtype)
        self.sparse = bool(sparse)
        self.name = name
        self._keras_history = history

    @property
    def shape(self) -> tuple:
        return self._shape

    @property
    def dtype(self) -> str:
        return self._dtype

    @property
    def ndim(self) -> int:
        return len(self._shape)

    def __repr__(self) -> str:
        name = f", name={self.name}" if self.name else ""
        return f"<KerasTensor shape={self._shape}, dtype={self._dtype}, sparse={self.sparse}{name}>"

    def __bool__(self) -> bool:
        raise TypeError("A symbolic KerasTensor cannot be used as a boolean.")

    # Arithmetic, comparisons and indexing record ``heft.ops`` nodes, as in Keras 3.
    def __add__(self, other: Any) -> Any:
        return _ops().add(self, other)

    def __radd__(self, other: Any) -> Any:
        return _ops().add(other, self)

    def __sub__(self, other: Any) -> Any:
        return _ops().subtract(self, other)

    def __rsub__(self, other: Any) -> Any:
        return _ops().subtract(other, self)

    def __mul__(self, other: Any) -> Any:
        return _ops().multiply(self, other)

    def __rmul__(self, other: Any) -> Any:
        return _ops().multiply(other, self)

    def __matmul__(self, other: Any) -> Any:
        return _ops().matmul(self, other)

    def __rmatmul__(self, other: Any) -> Any:
        return _ops().matmul(other, self)

    def __truediv__(self, other: Any) -> Any:
        return _ops().true_divide(self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return _ops().true_divide(other, self)

    def __floordiv__(self, other: Any) -> Any:
        return _ops().floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Any:
        return _ops().floor_divide(other, self)

    def __mod__(self, other: Any) -> Any:
        return _ops().mod(self, other)

    def __rmod__(self, other: Any) -> Any:
        return _ops().mod(other, self)

    def __pow__(self, other: Any) -> Any:
        return _ops().power(self, other)

    def __rpow__(self, other: Any) -> Any:
        return _ops().power(other, self)

    def __neg__(self) -> Any:
        return _ops().negative(self)

    def __abs__(self) -> Any:
        return _ops().absolute(self)

    def __lt__(self, other: Any) -> Any:
        return _ops().less(self, other)

    def __le__(self, other: Any) -> Any:
        return _ops().less_equal(self, other)

    def __gt__(self, other: Any) -> Any:
        return _ops().greater(self, other)

    def __ge__(self, other: Any) -> Any:
        return _ops().greater_equal(self, other)

    def __and__(self, other: Any) -> Any:
        return _ops().logical_and(self, other)

    def __rand__(self, other: Any) -> Any:
        return _ops().logical_and(other, self)

    def __or__(self, other: Any) -> Any:
        return _ops().logical_or(self, other)

    def __ror__(self, other: Any) -> Any:
        return _ops().logical_or(other, self)

    def __xor__(self, other: Any) -> Any:
        return _ops().logical_xor(self, other)

    def __rxor__(self, other: Any) -> Any:
        return _ops().logical_xor(other, self)

    def __invert__(self) -> Any:
        return _ops().logical_not(self)

    def __getitem__(self, key: Any) -> Any:
        return _ops().get_item(self, key)


def _ops() -> Any:
    from . import ops

    return ops


def is_symbolic(x: Any) -> bool:
    return isinstance(x, KerasTensor)


def symbolic_leaves(tree: Any) -> list[KerasTensor]:
    """The ``KerasTensor``s of a structure (list, tuple, dict), in flattening order."""
    return [
        leaf
        for leaf in jax.tree_util.tree_leaves(tree, is_leaf=is_symbolic)
        if isinstance(leaf, KerasTensor)
    ]


def any_symbolic(tree: Any) -> bool:
    return any(
        isinstance(leaf, KerasTensor)
        for leaf in jax.tree_util.tree_leaves(tree, is_leaf=is_symbolic)
    )


# Two distinct sizes stand in for unknown dimensions; a dimension of the output that
# differs between the two traces depends on an unknown input dimension.
_PROBE_SIZES = (83, 89)


def compute_output_spec(fn: Any, args: tuple, kwargs: dict) -> Any:
    """Trace ``fn`` with ``jax.eval_shape`` and return the output as KerasTensors.

    ``fn`` runs inside a ``SymbolicScope``, as Keras traces calls for their shapes.
    """
    with SymbolicScope():
        return _trace_output_spec(fn, args, kwargs)


def _trace_output_spec(fn: Any, args: tuple, kwargs: dict) -> Any:

    def concretize(size: int) -> Any:
        def to_struct(x: Any) -> Any:
            if isinstance(x, KerasTensor):
                shape = tuple(size if d is None else d for d in x.shape)
                return jax.ShapeDtypeStruct(shape, _dtypes.to_jax_dtype(x.dtype))
            return x

        return jax.tree_util.tree_map(to_struct, (args, kwargs), is_leaf=is_symbolic)

    has_unknown = any(
        None in leaf.shape
        for leaf in jax.tree_util.tree_leaves((args, kwargs), is_leaf=is_symbolic)
        if isinstance(leaf, KerasTensor)
    )
    outs = []
    for size in _PROBE_SIZES if has_unknown else _PROBE_SIZES[:1]:
        a, k = concretize(size)
        arrays = [
            leaf
            for leaf in jax.tree_util.tree_leaves((a, k), is_leaf=_is_struct)
            if _is_struct(leaf)
        ]
        outs.append(jax.eval_shape(lambda arrs, a=a, k=k: _call_with(fn, a, k, arrs), arrays))

    def to_keras(s1: Any, s2: Any) -> Any:
        shape = tuple(d1 if d1 == d2 else None for d1, d2 in zip(s1.shape, s2.shape, strict=True))
        return KerasTensor(shape, dtype=_dtypes.standardize_dtype(s1.dtype))

    return jax.tree_util.tree_map(to_keras, outs[0], outs[-1])


def _is_struct(x: Any) -> bool:
    return isinstance(x, jax.ShapeDtypeStruct)


def _call_with(fn: Any, args: Any, kwargs: Any, arrays: list) -> Any:
    """Call ``fn`` with the structs of ``(args, kwargs)`` replaced, in order, by ``arrays``."""
    it = iter(arrays)
    a, k = jax.tree_util.tree_map(
        lambda x: next(it) if _is_struct(x) else x, (args, kwargs), is_leaf=_is_struct
    )
    return fn(*a, **k)


def shape_of(x: Any) -> tuple:
    """The shape of an array, a KerasTensor, or anything with ``.shape``."""
    if hasattr(x, "shape"):
        return tuple(x.shape)
    return tuple(np.shape(x))
