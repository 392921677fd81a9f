"""2D convolutions split over the batch on XLA's CPU backend, where that runs faster.

XLA's CPU runtime runs independent operations of a program at the same time,
but one convolution mostly on one core, and a convolution's kernel gradient
over a whole batch of activations that do not fit the caches about twice as
slowly as over slices that do. So on CPU a 2D convolution is run as:

- the output and the input gradient in ``pieces`` batch slices, one per core,
  which run concurrently (each sample's values are those of the whole-batch
  convolution: the slices change nothing);
- the kernel gradient as a sum over batch chunks of about ``CHUNK_BYTES``,
  whose terms are added in another order than the whole-batch gradient adds
  them (the two agree to float32 rounding).

On the CNN of ``bench/cnn.py`` (batch 128, 2 cores) a training step took 190
ms without this, 142 ms with the chunked kernel gradient and 120-135 ms with
the output and input gradient in two slices as well.
"""

from __future__ import annotations

import math
import os
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero

# Of 256 KiB to 8 MiB, chunks of 1 MiB (inputs plus output gradients) trained
# the CNN of ``bench/cnn.py`` fastest.
CHUNK_BYTES = 1 << 20
# The output and input gradient are split in at most this many slices.
MAX_PIECES = 8


class Split(NamedTuple):
    """How one convolution is split: ``pieces`` slices, kernel-gradient chunks of ``chunk``."""

    pieces: int
    chunk: int


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def plan(in_shape: Any, out_shape: Any, dtype: Any) -> Split | None:
    """The split of a 2D convolution of these shapes on CPU, or ``None`` to run it whole.

    >>> plan((128, 26, 26, 32), (128, 24, 24, 64), "float32").chunk
    4
    >>> plan((1, 26, 26, 32), (1, 24, 24, 64), "float32") is None
    True
    """
    batch = in_shape[0]
    if jax.default_backend() != "cpu" or not isinstance(batch, int) or batch < 2:
        return None
    per_sample = (math.prod(in_shape[1:]) + math.prod(out_shape[1:])) * jnp.dtype(dtype).itemsize
    chunk = min(batch, max(1, CHUNK_BYTES // max(per_sample, 1)))
    pieces = max(1, min(_cores(), MAX_PIECES, batch))
    if chunk == batch and pieces == 1:
        return None
    return Split(pieces, chunk)


def _slices(n: int, size: int) -> list[slice]:
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


def _in_pieces(fn: Any, n: int, pieces: int, *arrays: Any) -> Any:
    """``fn(*arrays)`` computed slice by slice along the batch and concatenated."""
    if pieces <= 1:
        return fn(*arrays)
    parts = _slices(n, -(-n // pieces))
    return jnp.concatenate([fn(*(a[p] for a in arrays)) for p in parts], axis=0)


@partial(jax.custom_jvp, nondiff_argnums=(2, 3))
def split_convolution(x: Any, kernel: Any, convolve: Any, split: Split) -> Any:
    """``convolve(x, kernel)`` run as ``split`` says (see the module's docstring).

    The split is stated as a forward-mode rule: the tangent from ``x`` runs in
    ``split.pieces`` slices and the tangent from ``kernel`` in chunks of
    ``split.chunk``; reverse mode transposes those into the sliced input
    gradient and the chunked kernel gradient. Forward and reverse mode, and
    higher orders, all work.

    >>> conv = lambda a, k: jax.lax.conv_general_dilated(a, k, (1, 1), "VALID")
    >>> x, k = jnp.ones((4, 1, 5, 5)), jnp.ones((2, 1, 3, 3))
    >>> grad = jax.grad(lambda k: split_convolution(x, k, conv, Split(2, 1)).sum())(k)
    >>> float(grad[0, 0, 0, 0])
    36.0
    """
    return _in_pieces(lambda a: convolve(a, kernel), x.shape[0], split.pieces, x)


def _tangent(convolve: Any, split: Split, primals: tuple, tangents: tuple) -> tuple:
    x, kernel = primals
    d_x, d_kernel = tangents
    n = x.shape[0]
    out = split_convolution(x, kernel, convolve, split)
    terms = []
    if not isinstance(d_x, SymbolicZero):
        terms.append(_in_pieces(lambda a: convolve(a, kernel), n, split.pieces, d_x))
    if not isinstance(d_kernel, SymbolicZero):
        parts = [convolve(x[p], d_kernel) for p in _slices(n, split.chunk)]
        terms.append(parts[0] if len(parts) == 1 else jnp.concatenate(parts, axis=0))
    if not terms:
        return out, jnp.zeros_like(out)
    return out, terms[0] if len(terms) == 1 else terms[0] + terms[1]


split_convolution.defjvp(_tangent, symbolic_zeros=True)
