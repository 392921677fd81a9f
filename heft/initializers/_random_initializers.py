"""Seeded random initializers: ``RandomNormal``, ``RandomUniform``, ``TruncatedNormal``, ``Orthogonal``."""

from __future__ import annotations

import functools
import numbers
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..random._random import draw_seed
from ..random._seed_generator import SeedGenerator, make_default_seed
from . import _sampling
from ._initializer import Initializer, jax_dtype, standardize_shape


def _serialize_seed(seed: Any) -> Any:
    if isinstance(seed, SeedGenerator):
        return {
            "module": "keras.random",
            "class_name": "SeedGenerator",
            "config": seed.get_config(),
            "registered_name": None,
        }
    return seed


def _deserialize_seed(config: dict[str, Any]) -> SeedGenerator:
    if config.get("class_name") != "SeedGenerator":
        raise ValueError(
            "A dict `seed` must be a serialized SeedGenerator, as written by `get_config()` "
            f"(class_name 'SeedGenerator'). Received: seed={config}"
        )
    return SeedGenerator.from_config(dict(config.get("config") or {}))


class RandomInitializer(Initializer):
    """Base class of seeded initializers.

    Args:
        seed: ``None`` draws an int seed now, so this object returns the same
            values on every call (a copy made with ``from_config`` does not);
            an int gives reproducible values; a ``SeedGenerator`` gives new
            values on every call; a dict is a serialized ``SeedGenerator``.

    Raises:
        ValueError: If ``seed`` is of another type.

    >>> from heft.initializers import RandomNormal
    >>> init = RandomNormal(seed=None)
    >>> bool((init((3,)) == init((3,))).all())
    True
    """

    def __init__(self, seed: Any = None) -> None:
        if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
            seed = int(seed)
        self._init_seed = seed
        if seed is None:
            seed = make_default_seed()
        elif isinstance(seed, dict):
            seed = _deserialize_seed(seed)
        elif not isinstance(seed, int | SeedGenerator):
            raise ValueError(
                "`seed` argument should be an instance of `heft.random.SeedGenerator()` or "
                f"an integer. Received: seed={seed}. Pass an int for reproducible values or "
                "a SeedGenerator for new values on every call."
            )
        self.seed = seed

    def get_config(self) -> dict[str, Any]:
        return {"seed": _serialize_seed(self._init_seed)}


class RandomNormal(RandomInitializer):
    """Initializer that draws from a normal distribution.

    Args:
        mean: The mean of the values.
        stddev: The standard deviation of the values.
        seed: An int, a ``SeedGenerator`` or ``None`` (see ``RandomInitializer``).

    >>> RandomNormal(mean=0.0, stddev=1.0, seed=1)((2, 2)).shape
    (2, 2)
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Any = None) -> None:
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape: Any, dtype: Any = None) -> jax.Array:
        """Return normal samples of ``shape`` and float ``dtype``."""
        shape = standardize_shape(shape)
        return _sampling.normal(shape, self.mean, self.stddev, dtype, self.seed)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomInitializer):
    """Initializer that draws from a normal distribution cut at two standard deviations.

    Args:
        mean: The mean of the untruncated distribution.
        stddev: The standard deviation of the untruncated distribution.
        seed: An int, a ``SeedGenerator`` or ``None`` (see ``RandomInitializer``).

    >>> float(abs(TruncatedNormal(stddev=1.0, seed=1)((1000,))).max()) < 2.0
    True
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Any = None) -> None:
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape: Any, dtype: Any = None) -> jax.Array:
        """Return truncated normal samples of ``shape`` and float ``dtype``."""
        shape = standardize_shape(shape)
        return _sampling.truncated_normal(shape, self.mean, self.stddev, dtype, self.seed)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(RandomInitializer):
    """Initializer that draws uniformly from ``[minval, maxval)``.

    Args:
        minval: The lower bound (included).
        maxval: The upper bound (excluded).
        seed: An int, a ``SeedGenerator`` or ``None`` (see ``RandomInitializer``).

    >>> float(RandomUniform(0.0, 1.0, seed=1)((100,)).min()) >= 0.0
    True
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: Any = None) -> None:
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape: Any, dtype: Any = None) -> jax.Array:
        """Return uniform samples of ``shape`` and float ``dtype``."""
        shape = standardize_shape(shape)
        return _sampling.uniform(shape, self.minval, self.maxval, dtype, self.seed)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


@functools.cache
def _orthogonalize(shape: tuple[int, ...], transpose: bool) -> Any:
    """A jitted ``a -> Q * sign(diag(R))`` (then transposed and reshaped to ``shape``)."""

    def fn(a: jax.Array, gain: jax.Array) -> jax.Array:
        q, r = jnp.linalg.qr(a)
        q = q * jnp.sign(jnp.diag(r))
        if transpose:
            q = q.T
        return gain * jnp.reshape(q, shape)

    return jax.jit(fn)


class Orthogonal(RandomInitializer):
    """Initializer that produces an orthogonal matrix (times ``gain``).

    A normal matrix of shape ``(max(rows, cols), min(rows, cols))`` is
    QR-decomposed, where ``cols = shape[-1]`` and ``rows`` is the product of
    the other dimensions; the result has orthonormal rows if ``rows < cols``,
    orthonormal columns otherwise.

    Args:
        gain: The factor applied to the orthogonal matrix.
        seed: An int, a ``SeedGenerator`` or ``None`` (see ``RandomInitializer``).

    >>> import numpy as np
    >>> q = np.asarray(Orthogonal(seed=1)((3, 3)))
    >>> bool(np.allclose(q @ q.T, np.eye(3), atol=1e-5))
    True
    """

    def __init__(self, gain: float = 1.0, seed: Any = None) -> None:
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape: Any, dtype: Any = None) -> jax.Array:
        """Return an orthogonal array of ``shape`` and float ``dtype``.

        Raises:
            ValueError: If ``shape`` has fewer than two dimensions.
        """
        shape = standardize_shape(shape)
        if len(shape) < 2:
            raise ValueError(
                "The tensor to initialize must be at least two-dimensional. Received: "
                f"shape={shape} of rank {len(shape)}. Use Orthogonal for matrices and "
                "kernels, and another initializer (e.g. 'zeros') for vectors."
            )
        num_cols = shape[-1]
        num_rows = 1
        for dim in shape[:-1]:
            num_rows *= dim
        flat_shape = (max(num_rows, num_cols), min(num_rows, num_cols))
        gain = np.asarray(self.gain, dtype=jax_dtype(dtype))
        out_dtype = _sampling.float_dtype(dtype, "normal")
        # The key is taken now; the normal draw and its decomposition may be put
        # off together (see `_sampling.deferred_draws`).
        key = draw_seed(self.seed)

        def draw() -> jax.Array:
            a = _sampling.normal(flat_shape, 0.0, 1.0, dtype, key)
            return _orthogonalize(shape, num_rows < num_cols)(a, gain)

        return _sampling.deferrable(shape, out_dtype, draw)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gain": self.gain}
