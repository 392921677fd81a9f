"""2D convolutions on XLA's CPU backend, padded and split over the batch (``HEFT_CPU_CONV``).

Exists because XLA's CPU backend runs some convolutions on slow paths:

- an unpadded (``valid``) stride-1 convolution with a window of at least 2x2
  and a few input channels, and the kernel gradient derived from it, run on a
  slower path than the same convolution with padding. :func:`pads_valid` says
  when a layer runs it with one zero row added after the last and the extra
  output row cropped;
- one convolution runs mostly on one core, while independent operations of a
  program run at the same time, and a kernel gradient over a whole batch of
  activations that do not fit the caches runs slower than over slices that
  do. :func:`plan` says how a convolution is split: its output and input
  gradient in ``pieces`` batch slices, one per core, run concurrently; its
  kernel gradient as a sum over batch chunks of about ``CHUNK_BYTES``.

The values of both agree with the plain convolution's to float32 rounding,
not always bit for bit: XLA may order a sum differently for another shape,
and the chunked kernel gradient adds its terms in another order.

With the switch off, or on another backend, :func:`pads_valid` is ``False``
and :func:`plan` ``None``: a layer runs ``lax.conv_general_dilated`` as it is,
with its autodiff gradient. ``bench/README.md`` has the measurements.
"""

from __future__ import annotations

import math
import os
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero

from ._switches import CPU_CONV

# Bytes of a kernel-gradient chunk (its inputs plus its output gradients); the
# chunk size that trained the CNN of ``bench/cnn.py`` fastest.
CHUNK_BYTES = 1 << 20
# The output and input gradient are split in at most this many slices.
MAX_PIECES = 8
# Input channels from which a ``valid`` convolution runs padded and cropped;
# below it the unpadded form is as fast.
PADDED_VALID_MIN_CHANNELS = 8


class Split(NamedTuple):
    """How one convolution is split: ``pieces`` slices, kernel-gradient chunks of ``chunk``."""

    pieces: int
    chunk: int


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def applies() -> bool:
    """Whether convolutions are padded and split here: the switch is on, on the CPU backend."""
    return CPU_CONV.on and jax.default_backend() == "cpu"


def pads_valid(
    padding: str, groups: int, strides: tuple, kernel_size: tuple, channels: int
) -> bool:
    """Whether a ``valid`` 2D convolution runs padded by one row after the last, then cropped.

    Only stride-1, ungrouped convolutions with windows of at least 2x2 and at
    least ``PADDED_VALID_MIN_CHANNELS`` input channels are: for 1x1 windows the
    padded kernel gradient is slower instead, and strided ones gain nothing.

    >>> pads_valid("valid", 1, (1, 1), (3, 3), 32) == applies()
    True
    >>> pads_valid("valid", 1, (1, 1), (1, 1), 32)
    False
    """
    return (
        padding == "valid"
        and groups == 1
        and tuple(strides) == (1, 1)
        and len(kernel_size) == 2
        and min(kernel_size) >= 2
        and channels >= PADDED_VALID_MIN_CHANNELS
        and applies()
    )


def plan(in_shape: Any, out_shape: Any, dtype: Any) -> Split | None:
    """The split of a 2D convolution of these shapes, or ``None`` to run it whole.

    >>> plan((128, 26, 26, 32), (128, 24, 24, 64), "float32") == (
    ...     Split(min(_cores(), MAX_PIECES), 4) if applies() else None
    ... )
    True
    >>> plan((1, 26, 26, 32), (1, 24, 24, 64), "float32") is None
    True
    """
    batch = in_shape[0]
    if not applies() or not isinstance(batch, int) or batch < 2:
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
