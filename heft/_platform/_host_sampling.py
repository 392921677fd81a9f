"""Initializer draws made on the host, bit-identical to ``jax.random`` (``HEFT_HOST_SAMPLING``).

Exists because ``jax.random`` compiles a new XLA program for every shape it
samples, and those compilations are most of the time a model takes to build.
With the switch on, on the CPU backend, for a concrete key, this module
computes ``jax.random``'s values instead: the Threefry-2x32 counter bits in
numpy (exact integer arithmetic), the uniform transform in numpy (with the
fused multiply-add XLA uses, emulated exactly), and the inverse error function
through one jitted kernel of fixed size per dtype, run chunk by chunk.

:func:`host_key` says whether a draw can be computed so. Where it cannot (the
switch off, a traced or typed key, another backend or PRNG implementation, a
draw above ``HOST_LIMIT`` elements, an unusual dtype, array parameters), the
caller draws with ``heft.random``, which calls ``jax.random``: that is the plain
path, and both give the same values, bit for bit.
"""

from __future__ import annotations

import functools
import math
import numbers
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ._switches import HOST_SAMPLING

_CHUNK = 1 << 16
# Larger draws go through ``jax.random``: past this many elements, numpy's
# Threefry costs more than one XLA compilation.
HOST_LIMIT = 1 << 22
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_HOST_DTYPES = frozenset({"float16", "bfloat16", "float32"})


# ---------------------------------------------------------------------- bits


def _threefry2x32(key: np.ndarray, x0: np.ndarray, x1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Threefry-2x32 (20 rounds) of the counter pairs ``(x0, x1)``, updated in place."""
    k0, k1 = int(key[0]), int(key[1])
    schedule = (k0, k1, k0 ^ k1 ^ 0x1BD11BDA)
    x0 += np.uint32(schedule[0])
    x1 += np.uint32(schedule[1])
    tmp = np.empty_like(x1)
    for block in range(5):
        for r in _ROTATIONS[block % 2]:
            x0 += x1
            np.left_shift(x1, np.uint32(r), out=tmp)
            x1 >>= np.uint32(32 - r)
            x1 |= tmp
            x1 ^= x0
        x0 += np.uint32(schedule[(block + 1) % 3])
        x1 += np.uint32((schedule[(block + 2) % 3] + block + 1) & 0xFFFFFFFF)
    return x0, x1


def _random_bits(key: np.ndarray, n: int, width: int) -> np.ndarray:
    """The ``width``-bit random words ``jax.random`` draws for ``n`` elements.

    With ``jax_threefry_partitionable`` (JAX's default), element ``i`` hashes the
    64-bit counter ``i`` split into two words; 32-bit words are the xor of the two
    outputs and narrower words keep their low bits.
    """
    counters = np.arange(n, dtype=np.uint64)
    hi = (counters >> np.uint64(32)).astype(np.uint32)
    lo = counters.astype(np.uint32)
    out0, out1 = _threefry2x32(key, hi, lo)
    out0 ^= out1
    if width == 32:
        return out0
    return out0.astype(np.uint16 if width == 16 else np.uint8)


def _rng_width(dtype: np.dtype) -> int:
    info = jnp.finfo(dtype)
    return 8 if info.nmant < 8 else info.bits


# ---------------------------------------------------------------------- transforms


def _unit_interval_jax(bits: jax.Array, dtype: np.dtype) -> jax.Array:
    """Floats in ``[0, 1)`` from random words: random mantissa, exponent of 1.0, minus 1."""
    info = jnp.finfo(dtype)
    uint = jnp.dtype(f"uint{info.bits}")
    bits = bits.astype(uint)
    shift = _rng_width(dtype) - info.nmant
    one_bits = np.array(1.0, dtype).view(uint)
    mantissa = lax.shift_right_logical(bits, jnp.asarray(shift, uint))
    floats = lax.bitcast_convert_type(lax.bitwise_or(mantissa, jnp.asarray(one_bits, uint)), dtype)
    return floats - jnp.asarray(1.0, dtype)


def _scale_jax(
    unit: jax.Array, minval: jax.Array | np.ndarray, maxval: jax.Array | np.ndarray
) -> jax.Array:
    return lax.max(minval, unit * (maxval - minval) + minval)


@functools.cache
def _uniform_kernel(dtype: np.dtype) -> Any:
    def kernel(bits: jax.Array, minval: jax.Array, maxval: jax.Array) -> jax.Array:
        minval = lax.convert_element_type(minval, dtype)
        maxval = lax.convert_element_type(maxval, dtype)
        return _scale_jax(_unit_interval_jax(bits, dtype), minval, maxval)

    return jax.jit(kernel)


@functools.cache
def _normal_kernel(dtype: np.dtype) -> Any:
    def kernel(bits: jax.Array) -> jax.Array:
        lo = np.nextafter(np.array(-1.0, dtype), np.array(0.0, dtype), dtype=dtype)
        hi = np.array(1.0, dtype)
        u = _scale_jax(_unit_interval_jax(bits, dtype), lo, hi)
        return lax.mul(np.array(np.sqrt(2), dtype), lax.erf_inv(u))

    return jax.jit(kernel)


@functools.cache
def _truncated_normal_kernel(dtype: np.dtype) -> Any:
    def kernel(bits: jax.Array, lower: jax.Array, upper: jax.Array) -> jax.Array:
        sqrt2 = np.array(np.sqrt(2), dtype)
        lower = lax.convert_element_type(lower, dtype)
        upper = lax.convert_element_type(upper, dtype)
        a = lax.erf(lower / sqrt2)
        b = lax.erf(upper / sqrt2)
        out = sqrt2 * lax.erf_inv(_scale_jax(_unit_interval_jax(bits, dtype), a, b))
        inf = np.array(np.inf, dtype)
        return jnp.clip(out, lax.nextafter(lower, inf), lax.nextafter(upper, -inf))

    return jax.jit(kernel)


def _run_chunked(kernel: Any, bits: np.ndarray, *args: Any) -> np.ndarray:
    """Apply a fixed-size jitted kernel to ``bits``, ``_CHUNK`` elements at a time."""
    pieces = []
    for start in range(0, bits.size, _CHUNK):
        piece = bits[start : start + _CHUNK]
        if piece.size < _CHUNK:
            piece = np.pad(piece, (0, _CHUNK - piece.size))
        pieces.append(np.asarray(kernel(piece, *args)))
    if not pieces:
        return np.zeros((0,), dtype=np.float32)
    return np.concatenate(pieces)[: bits.size]


def _fma_float32(a: np.ndarray, b: np.float32, c: np.float32) -> np.ndarray:
    """``a * b + c`` rounded once to float32, as a fused multiply-add computes it."""
    product = a.astype(np.float64) * np.float64(b)  # exact: 24 + 24 bits
    addend = np.float64(c)
    total = product + addend
    # The rounding error of the float64 sum (Knuth's two-sum), exactly.
    back = total - product
    error = (product - (total - back)) + (addend - back)
    # Rounding ``total`` to float32 is wrong only if it lies exactly halfway
    # between two float32 values while the true sum does not.
    halfway = (total.view(np.uint64) & np.uint64(0x1FFFFFFF)) == np.uint64(0x10000000)
    tie = halfway & (error != 0)
    if tie.any():
        nudged = np.nextafter(total, np.where(error > 0, np.inf, -np.inf))
        total = np.where(tie, nudged, total)
    return total.astype(np.float32)


def _uniform_float32_host(bits: np.ndarray, minval: float, maxval: float) -> np.ndarray:
    mantissa = (bits >> np.uint32(9)) | np.uint32(0x3F800000)
    unit = mantissa.view(np.float32) - np.float32(1.0)
    lo, hi = np.float32(minval), np.float32(maxval)
    return np.maximum(lo, _fma_float32(unit, hi - lo, lo))


# ---------------------------------------------------------------------- entry points


def host_key(key: Any, n: int, dtype: np.dtype, *scalars: Any) -> np.ndarray | None:
    """``key`` as numpy if a draw of ``n`` elements of ``dtype`` is computed here, else ``None``.

    ``scalars`` are the draw's parameters (mean and standard deviation, or the
    bounds): each must be a Python or numpy real number.

    >>> key = host_key(jax.numpy.array([3, 0], "uint32"), 10, np.dtype("float32"), 0.0, 1.0)
    >>> key is None or key.tolist() == [3, 0]
    True
    """
    if not HOST_SAMPLING.on or n > HOST_LIMIT or np.dtype(dtype).name not in _HOST_DTYPES:
        return None
    if isinstance(key, jax.core.Tracer) or not getattr(
        jax.config, "jax_threefry_partitionable", False
    ):
        return None
    if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):  # a typed key: let JAX handle it
        return None
    if not all(isinstance(s, numbers.Real) for s in scalars):
        return None
    if (
        jax.default_backend() != "cpu"
        or getattr(jax.config, "jax_default_prng_impl", None) != "threefry2x32"
    ):
        return None
    return np.asarray(key, dtype=np.uint32).reshape(2)


def _finish(values: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> jax.Array:
    return jax.device_put(values.astype(dtype, copy=False).reshape(shape))


def _shift_scale(sample: np.ndarray, scale: float, shift: float, dtype: np.dtype) -> np.ndarray:
    """``sample * scale + shift`` as two separately rounded operations in ``dtype``."""
    sample = sample.astype(dtype, copy=False)
    return np.add(np.multiply(sample, np.asarray(scale, dtype)), np.asarray(shift, dtype))


def normal(
    key: np.ndarray, shape: tuple[int, ...], mean: float, stddev: float, dtype: np.dtype
) -> jax.Array:
    """``jax.random.normal(key, shape, dtype) * stddev + mean``, from a :func:`host_key` key."""
    n = math.prod(shape)
    sample = _run_chunked(_normal_kernel(dtype), _random_bits(key, n, _rng_width(dtype)))
    return _finish(_shift_scale(sample, stddev, mean, dtype), shape, dtype)


def truncated_normal(
    key: np.ndarray, shape: tuple[int, ...], mean: float, stddev: float, dtype: np.dtype
) -> jax.Array:
    """``jax.random.truncated_normal(key, -2, 2, shape, dtype) * stddev + mean``, from a host key."""
    n = math.prod(shape)
    bits = _random_bits(key, n, _rng_width(dtype))
    sample = _run_chunked(_truncated_normal_kernel(dtype), bits, np.float32(-2.0), np.float32(2.0))
    return _finish(_shift_scale(sample, stddev, mean, dtype), shape, dtype)


def uniform(
    key: np.ndarray, shape: tuple[int, ...], minval: float, maxval: float, dtype: np.dtype
) -> jax.Array:
    """``jax.random.uniform(key, shape, dtype, minval, maxval)``, from a :func:`host_key` key."""
    n = math.prod(shape)
    bits = _random_bits(key, n, _rng_width(dtype))
    if dtype == np.float32:
        values = _uniform_float32_host(bits, minval, maxval)
    else:
        values = _run_chunked(_uniform_kernel(dtype), bits, np.float32(minval), np.float32(maxval))
    return _finish(values, shape, dtype)
