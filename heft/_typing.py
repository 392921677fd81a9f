"""Named types of heft's signatures: what passes for an array, a shape and a dtype."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, Union

import jax
import numpy as np

if TYPE_CHECKING:
    from ._variable import Variable

# What ops, losses and metrics accept as a tensor: a JAX or NumPy array, a heft
# ``Variable``, a Python or NumPy scalar, or (nested) sequences of these.
ArrayLike: TypeAlias = Union[  # a forward reference (Variable) needs Union, not |
    jax.Array, np.ndarray, np.generic, "Variable", bool, int, float, complex, Sequence[Any]
]
# A tensor's shape: one size per axis, ``None`` where unknown (symbolic tensors).
Shape: TypeAlias = tuple[int | None, ...]
# What names a dtype: a name (``"float32"``), a NumPy dtype or scalar type, or None
# for the default (``floatx()`` for floats).
DTypeLike: TypeAlias = str | np.dtype[Any] | type[Any] | None
