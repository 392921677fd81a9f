"""Validated, batched assignment of many values to many variables (all or nothing)."""

from __future__ import annotations

import functools
import gc
import math
import operator
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

from .. import _scope
from .._variable import (
    ASSIGNED,
    Variable,
    identity_key,
    read_values,
    storage_dtype,
    write_values,
)


def prepare_values(variables: Sequence[Variable], values: Sequence[Any], owner: str) -> list[Any]:
    """Check every value against its variable and return them ready to assign.

    Values are cast on the host and moved to the device in one batched transfer.
    Nothing is assigned here, so a failure leaves all variables unchanged.
    """
    host: list[Any] = []
    for i, (variable, value) in enumerate(zip(variables, values, strict=True)):
        if isinstance(value, Variable):
            value = value.value
        if isinstance(value, jax.Array):
            shape = tuple(value.shape)
            kind = value.dtype.kind
        else:
            try:
                value = np.asarray(value)
            except (TypeError, ValueError) as err:
                raise TypeError(
                    f"Weight #{i} ('{variable.path}') of {owner} received a value that is not "
                    f"a numeric array: {err}. Pass numpy arrays, JAX arrays or nested lists "
                    "of numbers."
                ) from None
            shape = value.shape
            kind = value.dtype.kind
        if kind not in "biufcV":
            raise TypeError(
                f"Weight #{i} ('{variable.path}') of {owner} received a non-numeric value of "
                f"dtype {value.dtype}. Pass numeric arrays of shape {variable.shape}."
            )
        variable._check_not_complex(value.dtype, f"Weight #{i} of {owner}")
        if shape != variable.shape:
            raise ValueError(
                f"{owner[0].upper()}{owner[1:]} weight shape {variable.shape} is not compatible "
                f"with provided weight shape {shape} for weight #{i} ('{variable.path}'). Pass "
                f"an array of shape {variable.shape}."
            )
        host.append(value)
    numpy_idx = [i for i, v in enumerate(host) if not isinstance(v, jax.Array)]
    if numpy_idx:
        cast = [np.asarray(host[i], dtype=storage_dtype(variables[i])) for i in numpy_idx]
        placed = to_device(cast)
        for i, arr in zip(numpy_idx, placed, strict=True):
            host[i] = arr
    return host


def assign_prepared(
    variables: Sequence[Variable], values: Sequence[Any], provenance: Sequence[str] | None = None
) -> None:
    """Assign values produced by ``prepare_values`` (no further checks can fail).

    Each value is stored through its variable's writer (cast, placed, its
    provenance recorded: ``provenance[i]``, or "assigned value").
    """
    scope = _scope.stateless_scope()
    if scope is not None:
        for variable, value in zip(variables, values, strict=True):
            scope.add_update(variable, variable._convert(value))
        return
    replaced = sum(v.size * storage_dtype(v).itemsize for v in variables)
    if provenance is None:
        write_values(variables, values, ASSIGNED)
    else:
        for variable, value, origin in zip(variables, values, provenance, strict=True):
            variable._write(value, origin)
    if replaced >= _RELEASE_BYTES:
        # A value JAX's CPU backend adopted from a host buffer is freed through a
        # reference cycle, which only a collection of the youngest generation
        # frees; without it, the replaced values would hold their memory until
        # Python next collects, so a load could hold two copies of the model.
        gc.collect(0)


# Assignments replacing at least this many bytes release the old values at once.
_RELEASE_BYTES = 64 << 20

# Many small arrays cost JAX a fixed amount each to move; past this count, small arrays
# of one dtype travel as a single flat buffer (one transfer) and are split on the other side.
_BATCH_MIN_COUNT = 32
_SMALL_SIZE = 1 << 16


def _small_groups(shapes: Sequence[tuple[int, ...]], dtypes: Sequence[Any]) -> list[list[int]]:
    return _groups(tuple(shapes), tuple(dtypes))


@functools.lru_cache(maxsize=64)
def _groups(shapes: tuple[tuple[int, ...], ...], dtypes: tuple[Any, ...]) -> list[list[int]]:
    """The indices of the small values of each dtype, when there are enough to batch."""
    groups: dict[Any, list[int]] = {}
    for i, (shape, dtype) in enumerate(zip(shapes, dtypes, strict=True)):
        if math.prod(shape) <= _SMALL_SIZE:
            groups.setdefault(dtype, []).append(i)
    return [v for v in groups.values() if len(v) >= _BATCH_MIN_COUNT]


@jax.jit
def _flatten_all(arrays: tuple) -> jax.Array:
    return jax.numpy.concatenate([jax.numpy.ravel(a) for a in arrays])


def _split_flat(flat: jax.Array, shapes: tuple) -> list[jax.Array]:
    out, offset = [], 0
    for shape in shapes:
        size = math.prod(shape)
        out.append(flat[offset : offset + size].reshape(shape))
        offset += size
    return out


_split_on_device = jax.jit(_split_flat, static_argnums=1)


# Copies of at least this many bytes run as two halves, one on a helper thread:
# numpy releases the GIL while it copies, so both cores fault pages in and copy.
_SPLIT_COPY_BYTES = 8 << 20


def copy_into(target: np.ndarray, source: Any) -> None:
    """``np.copyto(target, source, casting="unsafe")``, in two halves on two threads when large.

    >>> out = np.empty(3, "float32")
    >>> copy_into(out, [1, 2, 3])
    >>> out.tolist()
    [1.0, 2.0, 3.0]
    """
    source = np.asarray(source)
    if target.nbytes < _SPLIT_COPY_BYTES or source.shape != target.shape:
        np.copyto(target, source, casting="unsafe")
        return
    from ..saving._threads import helper

    flat_target, flat_source = target.reshape(-1), source.reshape(-1)
    half = flat_target.size // 2
    first = helper("heft-copy").submit(
        np.copyto, flat_target[:half], flat_source[:half], casting="unsafe"
    )
    np.copyto(flat_target[half:], flat_source[half:], casting="unsafe")
    first.result()


def _aligned_copies(sources: Sequence[np.ndarray], dtypes: Sequence[Any]) -> list[np.ndarray]:
    """New 64-byte-aligned arrays holding ``sources`` cast to ``dtypes``.

    JAX's CPU backend adopts an aligned buffer as it is, so the value crosses
    once; an unaligned one (numpy's own large arrays start 16 bytes into a
    page) it copies again, into memory of its own.
    """
    from ..saving._buffers import numpy_aligned

    out = []
    for source, dtype in zip(sources, dtypes, strict=True):
        target = numpy_aligned(tuple(source.shape), dtype)
        copy_into(target, source)
        out.append(target)
    return out


class _FetchPlan:
    """How to bring one list of arrays (fixed shapes and dtypes) to the host.

    Each group of small arrays of one dtype is gathered by ``take``, crosses as
    one flat buffer, and is cut into views: all at once when the group's
    shapes are equal (and not scalars, whose rows numpy would hand out as
    scalars, not arrays), else piece by piece. The other arrays cross one by one.
    """

    def __init__(self, shapes: Sequence[tuple[int, ...]], dtypes: Sequence[Any]) -> None:
        self.groups: list[tuple[Any, list[int], Any]] = []
        grouped: set[int] = set()
        for indices in _small_groups(shapes, dtypes):
            group_shapes = [shapes[i] for i in indices]
            if len(set(group_shapes)) == 1 and group_shapes[0]:
                cut: Any = (len(indices), *group_shapes[0])
            else:
                cut = _pieces(group_shapes)
            self.groups.append((operator.itemgetter(*indices), indices, cut))
            grouped.update(indices)
        self.rest = [i for i in range(len(shapes)) if i not in grouped]
        self.size = len(shapes)

    def run(self, arrays: Sequence[Any]) -> list[np.ndarray]:
        out: list[Any] = [None] * self.size
        for take, indices, cut in self.groups:
            flat = np.array(jax.device_get(_flatten_all(take(arrays))))
            if isinstance(cut, tuple):
                # One reshape, then the rows: views made in C, one per array.
                out_parts: list[np.ndarray] = list(flat.reshape(cut))
            else:
                out_parts = [
                    flat[start:stop] if shape is None else flat[start:stop].reshape(shape)
                    for start, stop, shape in cut
                ]
            for i, part in zip(indices, out_parts, strict=True):
                out[i] = part
        rest = self.rest
        for i, host in zip(rest, jax.device_get([arrays[i] for i in rest]), strict=True):
            out[i] = np.empty(host.shape, host.dtype)
            copy_into(out[i], host)
        return out


def _pieces(shapes: Sequence[tuple[int, ...]]) -> list[tuple[int, int, tuple[int, ...] | None]]:
    """``(start, stop, shape)`` of each value in their concatenation (shape ``None``: 1-D)."""
    out, offset = [], 0
    for shape in shapes:
        size = math.prod(shape)
        out.append((offset, offset + size, None if len(shape) == 1 else shape))
        offset += size
    return out


# The plans of the variable lists read most recently, by the lists' identity keys.
_VARIABLE_PLANS: dict[tuple[int, ...], _FetchPlan] = {}
_VARIABLE_PLANS_KEPT = 16


def fetch_variables(variables: Sequence[Variable]) -> list[np.ndarray]:
    """The variables' values as new writable numpy arrays, aliasing no device buffer.

    A variable's shape and dtype never change, so the plan for a list of
    variables is kept under the list's identity key and reused.
    """
    key = identity_key(variables)
    plan = _VARIABLE_PLANS.pop(key, None)
    if plan is None:
        plan = _FetchPlan([v.shape for v in variables], [storage_dtype(v) for v in variables])
        if len(_VARIABLE_PLANS) >= _VARIABLE_PLANS_KEPT:
            del _VARIABLE_PLANS[next(iter(_VARIABLE_PLANS))]
    _VARIABLE_PLANS[key] = plan  # most recent last
    return plan.run(read_values(variables))


def to_device(arrays: Sequence[np.ndarray]) -> list[jax.Array]:
    """Numpy arrays -> device arrays, with one transfer per group of small ones.

    The device arrays never share memory with ``arrays``: JAX's CPU backend
    adopts an aligned numpy buffer without a copy, and a caller that later
    writes into its array would change the weights. So each value is copied
    once, into an aligned buffer, which the device then adopts.
    """
    shapes = [tuple(a.shape) for a in arrays]
    dtypes = [a.dtype for a in arrays]
    out: list[Any] = [None] * len(arrays)
    for indices in _small_groups(shapes, dtypes):
        flat = jax.device_put(np.concatenate([arrays[i] for i in indices], axis=None))
        parts = _split_on_device(flat, tuple(shapes[i] for i in indices))
        for i, part in zip(indices, parts, strict=True):
            out[i] = part
    rest = [i for i, o in enumerate(out) if o is None]
    copies = _aligned_copies([arrays[i] for i in rest], [dtypes[i] for i in rest])
    for i, placed in zip(rest, jax.device_put(copies), strict=True):
        out[i] = placed
    return out
