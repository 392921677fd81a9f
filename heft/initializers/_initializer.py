"""The ``Initializer`` base class and the helpers every initializer shares."""

from __future__ import annotations

import numbers
from typing import Any

import jax
import numpy as np

from .. import _dtypes


class Initializer:
    """Base class of initializers: callables ``(shape, dtype=None) -> array``.

    Subclasses implement ``__call__``; those with constructor arguments also
    implement ``get_config`` returning them, so ``from_config`` and ``clone``
    can rebuild the initializer.

    >>> import jax.numpy as jnp
    >>> class Fives(Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return jnp.full(shape, 5.0, dtype=dtype)
    >>> Fives()((2,)).tolist()
    [5.0, 5.0]
    """

    def __call__(self, shape: Any, dtype: Any = None) -> jax.Array:
        """Return an array of ``shape`` and ``dtype`` (``None`` means ``floatx()``).

        Raises:
            NotImplementedError: Always, in the base class.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement `__call__(self, shape, dtype=None)`: "
            "Initializer subclasses define how values are produced. Override it to "
            "return an array of the requested shape and dtype."
        )

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, as a JSON-serializable dict (``{}`` here)."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        """Rebuild an initializer from the output of ``get_config``.

        >>> from heft.initializers import RandomUniform
        >>> RandomUniform.from_config({"minval": 0.0, "maxval": 1.0, "seed": 1}).maxval
        1.0
        """
        return cls(**config)

    def clone(self) -> Initializer:
        """A new initializer with the same configuration."""
        return self.__class__.from_config(self.get_config())


def standardize_shape(shape: Any) -> tuple[int, ...]:
    """``shape`` as a tuple of ints (an int ``n`` is ``(n,)``).

    Raises:
        ValueError: If a dimension is not a non-negative int.
    """
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise ValueError(
            f"Invalid shape {shape!r} for an initializer: expected a tuple of non-negative "
            "ints such as (784, 64)."
        ) from None
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 0:
            raise ValueError(
                f"Invalid shape {dims!r} for an initializer: dimension {d!r} is not a "
                "non-negative int. Initializers need a fully-defined shape."
            )
    return tuple(int(d) for d in dims)


def jax_dtype(dtype: Any) -> np.dtype:
    """The JAX dtype for ``dtype`` (``None`` means ``floatx()``), 64-bit folded when x64 is off."""
    return jax.dtypes.canonicalize_dtype(_dtypes.to_jax_dtype(_dtypes.standardize_dtype(dtype)))
