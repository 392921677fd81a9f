"""Initializers' random draws: ``heft.random``'s values, computed on the host where possible.

Each function gives the values ``heft.random`` gives for the same seed. Where
``heft/_platform/_host_sampling.py`` applies (switch ``HEFT_HOST_SAMPLING``, the
CPU backend, a concrete key), they are computed there without compiling a
program per shape; otherwise ``heft.random`` draws them.

Inside :func:`deferred_draws` (which ``load_model`` uses while it rebuilds a
model whose values the file then replaces), a draw takes its key as usual but
returns zeros that cost no memory until written, and keeps what it needs to
compute the real values later, for the variables the file leaves alone.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import mmap
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import jax
import numpy as np

from .._platform import _host_sampling
from ..random import _random


class DeferredDraws:
    """The draws put off inside :func:`deferred_draws`: placeholders and how to fill them.

    Each placeholder is a JAX array of zeros backed by an anonymous memory
    map, whose pages the system provides only when written (adopted by JAX
    without a copy), so a model built inside the block costs almost no memory
    until its values arrive. (``np.zeros`` does not promise this: once the
    process has freed large blocks, the allocator serves blocks of up to 32
    MiB from memory it already holds, which ``calloc`` must clear, page by
    page.) Each keeps the PRNG key its draw took, so the
    values computed later are exactly those an immediate draw gives.
    """

    def __init__(self) -> None:
        # id(placeholder) -> (placeholder, draw); holding the placeholder keeps the id unique.
        self._pending: dict[int, tuple[jax.Array, Callable[[], jax.Array]]] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, shape: tuple[int, ...], dtype: Any, draw: Callable[[], jax.Array]) -> jax.Array:
        """A placeholder of ``shape`` and ``dtype`` standing for ``draw()``'s values."""
        dtype = np.dtype(dtype)
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes:
            # Page-aligned, so also aligned as JAX needs to adopt it.
            raw = np.frombuffer(mmap.mmap(-1, nbytes), np.uint8)
        else:
            raw = np.zeros(0, np.uint8)
        placeholder = jax.device_put(raw.view(dtype).reshape(shape))
        self._pending[id(placeholder)] = (placeholder, draw)
        return placeholder

    def draw_missing(self, values: Sequence[Any]) -> list[jax.Array | None]:
        """For each of ``values``: its real draw if it is one of these placeholders, else ``None``.

        The draws run outside any ``deferred_draws`` block.
        """
        token = _DEFERRED.set(None)
        try:
            out: list[jax.Array | None] = []
            for value in values:
                entry = self._pending.get(id(value))
                out.append(entry[1]() if entry is not None and entry[0] is value else None)
            return out
        finally:
            _DEFERRED.reset(token)


_DEFERRED: contextvars.ContextVar[DeferredDraws | None] = contextvars.ContextVar(
    "heft_deferred_draws", default=None
)


@contextlib.contextmanager
def deferred_draws() -> Iterator[DeferredDraws]:
    """Inside the block, random initial values are placeholders, drawn later only if asked.

    Keys are still taken from seeds and generators at the time of each call,
    so the random state after the block is the one immediate draws leave, and
    :meth:`DeferredDraws.draw_missing` computes the same values they give.
    Only heft's random initializers defer; custom initializers draw as usual.

    >>> from heft.initializers import RandomNormal
    >>> init = RandomNormal(seed=3)
    >>> with deferred_draws() as draws:
    ...     value = init((2,))
    >>> value.tolist(), draws.draw_missing([value])[0].tolist() == init((2,)).tolist()
    ([0.0, 0.0], True)
    """
    draws = DeferredDraws()
    token = _DEFERRED.set(draws)
    try:
        yield draws
    finally:
        _DEFERRED.reset(token)


def deferrable(shape: tuple[int, ...], dtype: Any, draw: Callable[[], jax.Array]) -> jax.Array:
    """``draw()``, or inside :func:`deferred_draws` a placeholder standing for it.

    ``draw`` must already hold its key (see :func:`deferred_draws`), and give
    an array of ``shape`` and ``dtype``.
    """
    deferred = _DEFERRED.get()
    if deferred is None:
        return draw()
    return deferred.add(shape, dtype, draw)


def float_dtype(dtype: Any, fn: str) -> np.dtype:
    """The float dtype a draw of ``dtype`` gives (``None``: ``floatx()``); raises for others."""
    return _random._float_dtype(dtype, fn)


def _prepare(shape: Any, dtype: Any, fn: str) -> tuple[tuple[int, ...], np.dtype, int]:
    jdtype = float_dtype(dtype, fn)
    shape = _random._shape(shape)
    return shape, jdtype, int(np.prod(shape, dtype=np.int64))


def normal(shape: Any, mean: Any, stddev: Any, dtype: Any, seed: Any) -> jax.Array:
    """``heft.random.normal(shape, mean, stddev, dtype, seed)``."""
    shape, jdtype, n = _prepare(shape, dtype, "normal")
    key = _random.draw_seed(seed)

    def draw() -> jax.Array:
        host = _host_sampling.host_key(key, n, jdtype, mean, stddev)
        if host is None:
            return _random.normal(shape, mean=mean, stddev=stddev, dtype=jdtype, seed=key)
        return _host_sampling.normal(host, shape, mean, stddev, jdtype)

    return deferrable(shape, jdtype, draw)


def truncated_normal(shape: Any, mean: Any, stddev: Any, dtype: Any, seed: Any) -> jax.Array:
    """``heft.random.truncated_normal(shape, mean, stddev, dtype, seed)``."""
    shape, jdtype, n = _prepare(shape, dtype, "truncated_normal")
    key = _random.draw_seed(seed)

    def draw() -> jax.Array:
        host = _host_sampling.host_key(key, n, jdtype, mean, stddev)
        if host is None:
            return _random.truncated_normal(shape, mean=mean, stddev=stddev, dtype=jdtype, seed=key)
        return _host_sampling.truncated_normal(host, shape, mean, stddev, jdtype)

    return deferrable(shape, jdtype, draw)


def uniform(shape: Any, minval: Any, maxval: Any, dtype: Any, seed: Any) -> jax.Array:
    """``heft.random.uniform(shape, minval, maxval, dtype, seed)``."""
    shape, jdtype, n = _prepare(shape, dtype, "uniform")
    key = _random.draw_seed(seed)

    def draw() -> jax.Array:
        host = _host_sampling.host_key(key, n, jdtype, minval, maxval)
        if host is None:
            return _random.uniform(shape, minval=minval, maxval=maxval, dtype=jdtype, seed=key)
        return _host_sampling.uniform(host, shape, minval, maxval, jdtype)

    return deferrable(shape, jdtype, draw)
