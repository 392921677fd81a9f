"""``result_type``, ``is_float_dtype`` and ``is_int_dtype`` as ``keras.backend`` defines them."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .. import _config
from ..utils._backend_utils import standardize_dtype

# With 64-bit types off (JAX's default), results are narrowed as Keras narrows them.
_NARROWED = {"int64": "int32", "uint64": "uint32", "float64": "float32", "complex128": "complex64"}
_FLOAT8 = frozenset({"float8_e4m3fn", "float8_e5m2"})


def result_type(*dtypes: Any) -> str:
    """The dtype that combining values of ``dtypes`` gives, by JAX's promotion lattice.

    Python ``int``/``float``/``bool`` are weak (they take the other operand's
    width); ``None`` stands for ``floatx()``; no argument gives ``floatx()``.
    64-bit results are narrowed to 32-bit, as JAX does without ``jax_enable_x64``.

    Raises:
        ValueError: For a float8 dtype (which never converts implicitly).

    >>> result_type("int32", "float16"), result_type("bfloat16", int), result_type("int8", "uint64")
    ('float16', 'bfloat16', 'float32')
    """
    if not dtypes:
        return _config.floatx()
    for dtype in dtypes:
        if isinstance(dtype, str) and dtype in _FLOAT8:
            raise ValueError(
                "There is no implicit conversion from float8 dtypes to others; cast explicitly "
                f"first. Received: {dtypes}"
            )
    resolved = [_config.floatx() if d is None else d for d in dtypes]
    with jax.enable_x64(True):
        name = str(jnp.result_type(*resolved))
    return _NARROWED.get(name, standardize_dtype(name))


def is_float_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` is a floating-point type (``float*`` or ``bfloat16``).

    >>> is_float_dtype("bfloat16"), is_float_dtype(int)
    (True, False)
    """
    name = standardize_dtype(dtype)
    return name.startswith("float") or name.startswith("bfloat")


def is_int_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` is a signed or unsigned integer type.

    >>> is_int_dtype("uint8"), is_int_dtype("float32")
    (True, False)
    """
    name = standardize_dtype(dtype)
    return name.startswith("int") or name.startswith("uint")
