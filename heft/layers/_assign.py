"""Validated, batched assignment of many values to many variables (all or nothing)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

from .. import _scope
from .._variable import ASSIGNED, Variable, storage_dtype, write_values


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
    if provenance is None:
        write_values(variables, values, ASSIGNED)
        return
    for variable, value, origin in zip(variables, values, provenance, strict=True):
        variable._write(value, origin)


# Many small arrays cost JAX a fixed amount each to move; past this count, small arrays
# of one dtype travel as a single flat buffer (one transfer) and are split on the other side.
_BATCH_MIN_COUNT = 32
_SMALL_SIZE = 1 << 16


def _small_groups(shapes: Sequence[tuple[int, ...]], dtypes: Sequence[Any]) -> list[list[int]]:
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


def _large(nbytes: Sequence[int]) -> list[int]:
    """The indices of the values that get buffers of their own, prepared ahead."""
    from ..saving._buffers import large_enough

    return [i for i, n in enumerate(nbytes) if large_enough(n)]


def _copy_prepared(sources: Sequence[np.ndarray], dtypes: Sequence[Any]) -> list[np.ndarray]:
    """New aligned arrays holding ``sources`` cast to ``dtypes``.

    Each buffer's pages are faulted in ahead by a helper thread while the
    previous piece is copied (``heft.saving._buffers.Ahead``), which on Linux is
    most of what copying into fresh memory costs; the aligned result is what
    JAX's CPU backend adopts without a further copy.
    """
    from ..saving._buffers import Ahead, copy_in_pieces

    targets = [np.dtype(d) for d in dtypes]
    ahead = Ahead([math.prod(s.shape) * t.itemsize for s, t in zip(sources, targets, strict=True)])
    try:
        out = []
        for source, target in zip(sources, targets, strict=True):
            taken = ahead.take(tuple(source.shape), target)
            copy_in_pieces(taken, source)
            out.append(taken.array)
        return out
    finally:
        ahead.close()


def fetch_to_host(arrays: Sequence[Any]) -> list[np.ndarray]:
    """Device arrays -> new writable numpy arrays, with one transfer per group of small ones.

    Large values are copied into buffers prepared ahead (see ``_copy_prepared``).
    """
    shapes = [tuple(a.shape) for a in arrays]
    dtypes = [a.dtype for a in arrays]
    out: list[Any] = [None] * len(arrays)
    for indices in _small_groups(shapes, dtypes):
        flat = np.array(jax.device_get(_flatten_all(tuple(arrays[i] for i in indices))))
        for i, part in zip(
            indices, _split_flat(flat, tuple(shapes[i] for i in indices)), strict=True
        ):
            out[i] = part
    large = _large(
        [math.prod(s) * np.dtype(d).itemsize for s, d in zip(shapes, dtypes, strict=True)]
    )
    if large:
        hosts = [np.asarray(jax.device_get(arrays[i])) for i in large]
        for i, host in zip(large, _copy_prepared(hosts, [dtypes[i] for i in large]), strict=True):
            out[i] = host
    rest = [i for i, o in enumerate(out) if o is None]
    for i, host in zip(rest, jax.device_get([arrays[i] for i in rest]), strict=True):
        out[i] = np.array(host)
    return out


def to_device(arrays: Sequence[np.ndarray]) -> list[jax.Array]:
    """Numpy arrays -> device arrays, with one transfer per group of small ones.

    The device arrays never share memory with ``arrays``: JAX's CPU backend
    adopts an aligned numpy buffer without a copy, and a caller that later
    writes into its array would change the weights. Large values are copied
    once, into aligned buffers prepared ahead, which the device then adopts.
    """
    shapes = [tuple(a.shape) for a in arrays]
    dtypes = [a.dtype for a in arrays]
    out: list[Any] = [None] * len(arrays)
    for indices in _small_groups(shapes, dtypes):
        flat = jax.device_put(np.concatenate([np.ravel(arrays[i]) for i in indices]))
        parts = _split_on_device(flat, tuple(shapes[i] for i in indices))
        for i, part in zip(indices, parts, strict=True):
            out[i] = part
    large = _large([a.nbytes for a in arrays])
    if large:
        copies = _copy_prepared([arrays[i] for i in large], [dtypes[i] for i in large])
        for i, placed in zip(large, jax.device_put(copies), strict=True):
            out[i] = placed
    rest = [i for i, o in enumerate(out) if o is None]
    copies = [np.array(arrays[i], copy=True) for i in rest]
    for i, placed in zip(rest, jax.device_put(copies), strict=True):
        out[i] = placed
    return out
