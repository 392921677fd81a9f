"""Seeded random sampling (``heft.random``): the same int seed gives Keras 3's JAX samples."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtypes
from .._variable import Variable
from ._seed_generator import SeedGenerator, global_seed_generator

_UINT32_MAX = 2**32 - 1


def _unwrap(x: Any) -> Any:
    """The array behind a Variable; anything else unchanged."""
    return x.value if isinstance(x, Variable) else x


def _in_jax_trace() -> bool:
    """True while a ``jax.jit`` (or similar) trace is running."""
    return isinstance(jnp.ones(()), jax.core.Tracer)


def _float_dtype(dtype: Any, fn: str) -> jnp.dtype:
    """The JAX float dtype for ``dtype`` (``None`` is ``floatx()``); raises for non-floats."""
    name = _dtypes.standardize_dtype(dtype)
    if not _dtypes.is_float_dtype(name):
        raise ValueError(
            f"`heft.random.{fn}` requires a floating point `dtype`. Received: dtype={dtype}. "
            "Pass a float dtype such as 'float32', or use `heft.random.randint` for integers."
        )
    return jax.dtypes.canonicalize_dtype(_dtypes.to_jax_dtype(name))


def _int_dtype(dtype: Any, fn: str) -> jnp.dtype:
    name = _dtypes.standardize_dtype(dtype)
    if not _dtypes.is_int_dtype(name):
        raise ValueError(
            f"`heft.random.{fn}` requires an integer `dtype`. Received: dtype={dtype}. "
            "Pass an integer dtype such as 'int32'."
        )
    return jax.dtypes.canonicalize_dtype(_dtypes.to_jax_dtype(name))


def _shape(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, numbers.Integral):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def int_seed_key(seed: int) -> np.ndarray:
    """The raw PRNG key ``[seed, 0]`` (uint32) that an int seed stands for.

    Raises:
        OverflowError: If ``seed`` does not fit in an unsigned 32-bit integer.
    """
    if not 0 <= int(seed) <= _UINT32_MAX:
        raise OverflowError(
            f"Python integer {seed} out of bounds for uint32: an int `seed` must be in "
            f"[0, {_UINT32_MAX}]. Pass a seed in that range, e.g. `seed % 2**32`."
        )
    return np.array([int(seed), 0], dtype=np.uint32)


def draw_seed(seed: Any) -> jax.Array:
    """Turn a ``seed`` argument into a raw PRNG key (a uint32 array of shape ``(2,)``).

    Args:
        seed: An int (the key ``[seed, 0]``), a ``SeedGenerator`` (its next
            key, advancing it), a JAX array or Variable holding a key (used as
            is), or ``None`` (the next key of the global generator; not allowed
            while tracing a JAX function).

    Returns:
        The key, usable with ``jax.random`` functions.

    Raises:
        ValueError: If ``seed`` is of another type, or is ``None`` inside a JAX trace.
        OverflowError: If an int seed does not fit in uint32.

    >>> draw_seed(42).tolist()
    [42, 0]
    """
    if isinstance(seed, Variable):
        return seed.value
    if isinstance(seed, jax.Array):
        return seed
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, numbers.Integral):
        return jax.device_put(int_seed_key(seed))
    if isinstance(seed, np.ndarray) and seed.shape == (2,):
        return jax.device_put(seed.astype(np.uint32))
    if seed is None:
        if _in_jax_trace():
            raise ValueError(
                "Random ops called with `seed=None` use the global SeedGenerator, which "
                "cannot be used while tracing a JAX function (the draw would be frozen into "
                "the compiled function). Create a `heft.random.SeedGenerator(seed=...)`, "
                "keep it as an attribute of your layer, and pass it as `seed`."
            )
        return global_seed_generator().next(ordered=False)
    raise ValueError(
        "Argument `seed` must be either an integer or an instance of `SeedGenerator`. "
        f"Received: seed={seed} (of type {type(seed)}). Pass an int for reproducible "
        "values, or a SeedGenerator for new values on every call."
    )


def normal(
    shape: Sequence[int] | int,
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: Any = None,
    seed: Any = None,
) -> jax.Array:
    """Samples from a normal distribution.

    Args:
        shape: The shape of the result.
        mean: The mean of the distribution.
        stddev: The standard deviation of the distribution.
        dtype: A float dtype; ``None`` means ``heft.config.floatx()``.
        seed: An int (same values on every call), a ``SeedGenerator`` (new
            values on every call) or ``None`` (the global generator).

    Returns:
        An array of ``shape`` and ``dtype``.

    Raises:
        ValueError: If ``dtype`` is not a float dtype.

    >>> normal((2, 3), seed=1).shape
    (2, 3)
    """
    jdtype = _float_dtype(dtype, "normal")
    key = draw_seed(seed)
    sample = jax.random.normal(key, shape=_shape(shape), dtype=jdtype)
    return sample * _unwrap(stddev) + _unwrap(mean)


def uniform(
    shape: Sequence[int] | int,
    minval: float = 0.0,
    maxval: float = 1.0,
    dtype: Any = None,
    seed: Any = None,
) -> jax.Array:
    """Samples from a uniform distribution on ``[minval, maxval)``.

    Args:
        shape: The shape of the result.
        minval: The lower bound (included).
        maxval: The upper bound (excluded).
        dtype: A float dtype; ``None`` means ``heft.config.floatx()``.
        seed: An int, a ``SeedGenerator`` or ``None`` (see ``normal``).

    Returns:
        An array of ``shape`` and ``dtype``.

    Raises:
        ValueError: If ``dtype`` is not a float dtype.

    >>> float(uniform((100,), minval=2.0, maxval=3.0, seed=0).min()) >= 2.0
    True
    """
    jdtype = _float_dtype(dtype, "uniform")
    key = draw_seed(seed)
    return jax.random.uniform(
        key, shape=_shape(shape), dtype=jdtype, minval=_unwrap(minval), maxval=_unwrap(maxval)
    )


def truncated_normal(
    shape: Sequence[int] | int,
    mean: float = 0.0,
    stddev: float = 1.0,
    dtype: Any = None,
    seed: Any = None,
) -> jax.Array:
    """Samples from a normal distribution truncated to two standard deviations.

    Values further than ``2 * stddev`` from ``mean`` are never produced.

    Args:
        shape: The shape of the result.
        mean: The mean of the untruncated distribution.
        stddev: The standard deviation of the untruncated distribution.
        dtype: A float dtype; ``None`` means ``heft.config.floatx()``.
        seed: An int, a ``SeedGenerator`` or ``None`` (see ``normal``).

    Returns:
        An array of ``shape`` and ``dtype``.

    Raises:
        ValueError: If ``dtype`` is not a float dtype.

    >>> float(abs(truncated_normal((1000,), seed=3)).max()) < 2.0
    True
    """
    jdtype = _float_dtype(dtype, "truncated_normal")
    key = draw_seed(seed)
    sample = jax.random.truncated_normal(key, -2.0, 2.0, shape=_shape(shape), dtype=jdtype)
    return sample * _unwrap(stddev) + _unwrap(mean)


def randint(
    shape: Sequence[int] | int,
    minval: int,
    maxval: int,
    dtype: Any = "int32",
    seed: Any = None,
) -> jax.Array:
    """Samples integers uniformly from ``[minval, maxval)``.

    Args:
        shape: The shape of the result.
        minval: The lower bound (included).
        maxval: The upper bound (excluded).
        dtype: An integer dtype.
        seed: An int, a ``SeedGenerator`` or ``None`` (see ``normal``).

    Returns:
        An integer array of ``shape``.

    Raises:
        ValueError: If ``dtype`` is not an integer dtype.

    >>> randint((3,), 0, 5, seed=1).tolist()
    [4, 0, 3]
    """
    jdtype = _int_dtype(dtype, "randint")
    key = draw_seed(seed)
    return jax.random.randint(
        key, shape=_shape(shape), minval=_unwrap(minval), maxval=_unwrap(maxval), dtype=jdtype
    )


def dropout(
    inputs: Any,
    rate: float,
    noise_shape: Sequence[int | None] | None = None,
    seed: Any = None,
) -> jax.Array:
    """Zero entries of ``inputs`` with probability ``rate``; scale the rest by ``1 / (1 - rate)``.

    Args:
        inputs: An array or Variable.
        rate: The drop probability, in ``[0, 1]``.
        noise_shape: The shape of the keep mask, broadcast against ``inputs``;
            ``None`` entries take the size of ``inputs`` on that axis.
        seed: An int, a ``SeedGenerator`` or ``None`` (see ``normal``).

    Returns:
        An array shaped like ``inputs``.

    Raises:
        ValueError: If ``rate`` is a number outside ``[0, 1]``.

    >>> dropout(jnp.ones((4,)), rate=0.0).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    inputs = _unwrap(inputs)
    if not isinstance(inputs, jax.Array | np.ndarray):
        inputs = jnp.asarray(inputs)
    if isinstance(rate, numbers.Real) and not 0.0 <= rate <= 1.0:
        raise ValueError(
            f"Invalid value for argument `rate`: expected a float in [0, 1]. Received: "
            f"rate={rate}. It is the fraction of the entries set to zero."
        )
    if isinstance(rate, numbers.Real) and rate == 1.0:
        return jnp.zeros_like(inputs)
    if isinstance(rate, numbers.Real) and rate == 0.0:
        return inputs
    key = draw_seed(seed)
    keep_prob = 1.0 - rate
    if noise_shape is None:
        mask_shape = inputs.shape
    else:
        mask_shape = tuple(
            inputs.shape[i] if dim is None else int(dim) for i, dim in enumerate(noise_shape)
        )
    mask = jax.random.bernoulli(key, p=keep_prob, shape=mask_shape)
    mask = jnp.broadcast_to(mask, inputs.shape)
    # A numpy input is scaled by numpy, as Keras does: XLA's float division can
    # differ from numpy's by one ulp.
    return jax.lax.select(mask, inputs / keep_prob, jnp.zeros_like(inputs))


def shuffle(x: Any, axis: int = 0, seed: Any = None) -> jax.Array:
    """Shuffle the entries of ``x`` along ``axis``.

    Every 1-D line along ``axis`` is permuted independently of the others.

    Args:
        x: An array or Variable.
        axis: The axis to shuffle.
        seed: An int, a ``SeedGenerator`` or ``None`` (see ``normal``).

    Returns:
        A permuted copy of ``x``.

    >>> sorted(shuffle(jnp.arange(5), seed=1).tolist())
    [0, 1, 2, 3, 4]
    """
    key = draw_seed(seed)
    return jax.random.permutation(key, jnp.asarray(_unwrap(x)), axis, independent=True)


def categorical(logits: Any, num_samples: int, dtype: Any = "int32", seed: Any = None) -> jax.Array:
    """Draw class indices from the categorical distributions given by ``logits``.

    Args:
        logits: A 2-D array ``(batch_size, num_classes)`` of unnormalized
            log-probabilities.
        num_samples: How many samples to draw for each row.
        dtype: The integer dtype of the result.
        seed: An int, a ``SeedGenerator`` or ``None`` (see ``normal``).

    Returns:
        An array ``(batch_size, num_samples)`` of class indices.

    Raises:
        ValueError: If ``logits`` is not 2-D.

    >>> categorical(jnp.array([[0.0, 100.0]]), 3, seed=0).tolist()
    [[1, 1, 1]]
    """
    logits = jnp.asarray(_unwrap(logits))
    if logits.ndim != 2:
        raise ValueError(
            "`logits` should be a 2-D tensor with shape [batch_size, num_classes]. "
            f"Received: logits with shape {logits.shape}. Reshape it to "
            "(batch_size, num_classes)."
        )
    key = draw_seed(seed)
    out_shape = (logits.shape[0], int(num_samples))
    out = jax.random.categorical(key, logits[..., None], shape=out_shape, axis=1)
    return out.astype(_dtypes.standardize_dtype(dtype))


def gamma(
    shape: Sequence[int] | int, alpha: float, dtype: Any = None, seed: Any = None
) -> jax.Array:
    """Samples from a Gamma distribution with concentration ``alpha``.

    Args:
        shape: The shape of the result.
        alpha: The concentration parameter.
        dtype: A float dtype; ``None`` means ``heft.config.floatx()``.
        seed: An int, a ``SeedGenerator`` or ``None`` (see ``normal``).

    Returns:
        An array of ``shape`` and ``dtype``.

    Raises:
        ValueError: If ``dtype`` is not a float dtype.

    >>> bool((gamma((5,), alpha=2.0, seed=0) > 0).all())
    True
    """
    jdtype = _float_dtype(dtype, "gamma")
    key = draw_seed(seed)
    return jax.random.gamma(key, _unwrap(alpha), shape=_shape(shape), dtype=jdtype)


def binomial(
    shape: Sequence[int] | int,
    counts: Any,
    probabilities: Any,
    dtype: Any = None,
    seed: Any = None,
) -> jax.Array:
    """Samples from a Binomial distribution.

    Args:
        shape: The shape of the result.
        counts: The number of trials (broadcastable with ``probabilities``).
        probabilities: The success probability of each trial.
        dtype: A float dtype; ``None`` means ``heft.config.floatx()``.
        seed: An int, a ``SeedGenerator`` or ``None`` (see ``normal``).

    Returns:
        An array of ``shape`` holding counts of successes.

    Raises:
        ValueError: If ``dtype`` is not a float dtype.

    >>> binomial((3,), counts=4, probabilities=1.0, seed=0).tolist()
    [4.0, 4.0, 4.0]
    """
    jdtype = _float_dtype(dtype, "binomial")
    key = draw_seed(seed)
    return jax.random.binomial(
        key,
        n=jnp.asarray(_unwrap(counts)),
        p=jnp.asarray(_unwrap(probabilities)),
        shape=_shape(shape),
        dtype=jdtype,
    )


def beta(
    shape: Sequence[int] | int,
    alpha: Any,
    beta: Any,
    dtype: Any = None,
    seed: Any = None,
) -> jax.Array:
    """Samples from a Beta distribution.

    Args:
        shape: The shape of the result.
        alpha: The first concentration (broadcastable with ``beta`` and ``shape``).
        beta: The second concentration.
        dtype: A float dtype; ``None`` means ``heft.config.floatx()``.
        seed: An int, a ``SeedGenerator`` or ``None`` (see ``normal``).

    Returns:
        An array of ``shape`` with values in ``[0, 1]``.

    Raises:
        ValueError: If ``dtype`` is not a float dtype.

    >>> bool(((beta((4,), 2.0, 3.0, seed=0) >= 0) & (beta((4,), 2.0, 3.0, seed=0) <= 1)).all())
    True
    """
    jdtype = _float_dtype(dtype, "beta")
    key = draw_seed(seed)
    return jax.random.beta(
        key,
        a=jnp.asarray(_unwrap(alpha)),
        b=jnp.asarray(_unwrap(beta)),
        shape=_shape(shape),
        dtype=jdtype,
    )
