"""Initializers' random draws: ``heft.random``'s values, computed on the host where possible.

Each function gives the values ``heft.random`` gives for the same seed. Where
``heft/_platform/_host_sampling.py`` applies (switch ``HEFT_HOST_SAMPLING``, the
CPU backend, a concrete key), they are computed there without compiling a
program per shape; otherwise ``heft.random`` draws them.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from .._platform import _host_sampling
from ..random import _random


def _prepare(shape: Any, dtype: Any, fn: str) -> tuple[tuple[int, ...], np.dtype, int]:
    jdtype = _random._float_dtype(dtype, fn)
    shape = _random._shape(shape)
    return shape, jdtype, int(np.prod(shape, dtype=np.int64))


def normal(shape: Any, mean: Any, stddev: Any, dtype: Any, seed: Any) -> jax.Array:
    """``heft.random.normal(shape, mean, stddev, dtype, seed)``."""
    shape, jdtype, n = _prepare(shape, dtype, "normal")
    key = _random.draw_seed(seed)
    host = _host_sampling.host_key(key, n, jdtype, mean, stddev)
    if host is None:
        return _random.normal(shape, mean=mean, stddev=stddev, dtype=jdtype, seed=key)
    return _host_sampling.normal(host, shape, mean, stddev, jdtype)


def truncated_normal(shape: Any, mean: Any, stddev: Any, dtype: Any, seed: Any) -> jax.Array:
    """``heft.random.truncated_normal(shape, mean, stddev, dtype, seed)``."""
    shape, jdtype, n = _prepare(shape, dtype, "truncated_normal")
    key = _random.draw_seed(seed)
    host = _host_sampling.host_key(key, n, jdtype, mean, stddev)
    if host is None:
        return _random.truncated_normal(shape, mean=mean, stddev=stddev, dtype=jdtype, seed=key)
    return _host_sampling.truncated_normal(host, shape, mean, stddev, jdtype)


def uniform(shape: Any, minval: Any, maxval: Any, dtype: Any, seed: Any) -> jax.Array:
    """``heft.random.uniform(shape, minval, maxval, dtype, seed)``."""
    shape, jdtype, n = _prepare(shape, dtype, "uniform")
    key = _random.draw_seed(seed)
    host = _host_sampling.host_key(key, n, jdtype, minval, maxval)
    if host is None:
        return _random.uniform(shape, minval=minval, maxval=maxval, dtype=jdtype, seed=key)
    return _host_sampling.uniform(host, shape, minval, maxval, jdtype)
