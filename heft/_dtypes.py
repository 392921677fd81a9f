"""Dtype names: turn any dtype-like value into heft's canonical string."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import ml_dtypes
import numpy as np

from . import _config

ALLOWED_DTYPES = frozenset(
    {
        "float16",
        "float32",
        "float64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "int8",
        "int16",
        "int32",
        "int64",
        "bfloat16",
        "bool",
        "string",
        "float8_e4m3fn",
        "float8_e5m2",
        "complex64",
        "complex128",
    }
)

_PYTHON_TYPES = {bool: "bool", int: "int64", float: "float32", str: "string", complex: "complex128"}
_STRING_ALIASES = {"int": "int64", "float": "float32", "double": "float64", "half": "float16"}


def standardize_dtype(dtype: Any = None) -> str:
    """Return the canonical name of ``dtype`` (``None`` gives ``floatx()``).

    Accepts strings, Python types, numpy and JAX dtypes, and ml_dtypes types.
    Anything else (a list or dict from a config, say) is refused without being
    handed to ``np.dtype``, which would build a record dtype of any size from it.

    Raises:
        ValueError: If ``dtype`` names no dtype heft supports.

    >>> standardize_dtype(np.float32)
    'float32'
    >>> standardize_dtype([["a", "S1000000000"]])
    Traceback (most recent call last):
    ValueError: Invalid dtype: [['a', 'S1000000000']]. Expected a dtype name such as 'float32' (one of bfloat16, bool, complex128, complex64, float16, float32, float64, float8_e4m3fn, float8_e5m2, int16, int32, int64, int8, string, uint16, uint32, uint64, uint8), a numpy or JAX dtype, or a Python type.
    """
    if dtype is None:
        return _config.floatx()
    if isinstance(dtype, type) and dtype in _PYTHON_TYPES:
        return _PYTHON_TYPES[dtype]
    if isinstance(dtype, str):
        name: str | None = _STRING_ALIASES.get(dtype, dtype)
    elif hasattr(dtype, "name") and isinstance(dtype.name, str):
        name = dtype.name
    elif isinstance(dtype, type):
        try:
            name = np.dtype(dtype).name
        except TypeError:
            name = None
    else:
        name = None
    if name == "bfloat16" or dtype is ml_dtypes.bfloat16:
        return "bfloat16"
    if name not in ALLOWED_DTYPES:
        raise ValueError(
            f"Invalid dtype: {dtype!s:.200}. Expected a dtype name such as 'float32' (one of "
            f"{', '.join(sorted(ALLOWED_DTYPES))}), a numpy or JAX dtype, or a Python type."
        )
    return name


def is_float_dtype(dtype: Any) -> bool:
    """True for float16/32/64, bfloat16 and float8 dtypes."""
    return "float" in standardize_dtype(dtype)


def is_int_dtype(dtype: Any) -> bool:
    """True for signed and unsigned integer dtypes."""
    return "int" in standardize_dtype(dtype)


def to_jax_dtype(dtype: Any) -> jnp.dtype:
    """The JAX dtype for ``dtype`` (with x64 disabled, 64-bit maps to 32-bit)."""
    name = standardize_dtype(dtype)
    if name == "string":
        raise ValueError("heft arrays cannot hold strings; expected a numeric or bool dtype.")
    return jnp.dtype(name)
