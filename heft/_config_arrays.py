"""Arrays written inside configs (``{"class_name": "__numpy__", "config": {"value", "dtype"}}``), read back within bounds.

A config may hold small arrays: a ``Lambda``'s arguments, ``Rescaling``'s
scale, a ``Constant`` initializer's value. Keras writes them as the nested
list of values and ``str(array.dtype)``. Read back with a plain
``np.array(value, dtype=dtype)``, a config of a few bytes could make numpy
allocate any amount: ``"dtype": "S1000000000"`` makes every element a
gigabyte. ``decode_array`` guarantees:

- The dtype is parsed without allocating anything for it, and must be a
  string naming a numpy dtype.
- The array numpy is asked for is at most ``_BLOWUP`` times the size of the
  config text its values take (plus ``_SLACK``), so a config can never make
  numpy allocate much more than the config itself holds. Every numeric array
  passes: each value takes at least 2 bytes of text (a digit and a comma) and
  at most 16 bytes as stored.
- In safe mode the dtype must be numeric (bool, integers, floats, complex,
  and the ml_dtypes floats heft supports): strings, bytes, objects, records
  and sub-arrays are refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from . import _dtypes, _safe_mode

# An array may take at most this many times the bytes of its values' text...
_BLOWUP = 16
# ... plus this much (short strings, scalars).
_SLACK = 1 << 16


def _text_size(value: Any) -> tuple[int, int]:
    """``(elements, a lower bound on the JSON text's bytes)`` of a nested list of values.

    Each number or bool takes at least 2 bytes of text (itself and a comma or
    bracket), each string its length plus 3 (quotes and a comma). Walks
    without recursion, so a deeply nested value costs no stack.
    """
    count = text = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list | tuple):
            text += 2
            stack.extend(item)
        elif isinstance(item, str):
            count += 1
            text += len(item) + 3
        else:
            count += 1
            text += 2
    return count, text


def _parse_dtype(name: Any, where: str) -> np.dtype:
    if not isinstance(name, str):
        raise ValueError(
            f"{where} holds an array whose dtype is {name!r} (of type {type(name).__name__}); "
            "expected a dtype name such as 'float32', as `get_config()` writes it."
        )
    try:
        # Parsing a dtype allocates nothing for its itemsize, however large.
        return np.dtype(name)
    except (TypeError, ValueError, OverflowError, SyntaxError) as err:
        raise ValueError(
            f"{where} holds an array of dtype {name!r}, which is not a numpy dtype ({err}). "
            "Expected a dtype name such as 'float32'."
        ) from None


def _is_numeric(dtype: np.dtype) -> bool:
    if dtype.fields is not None or dtype.subdtype is not None:
        return False
    return dtype.kind in "biufc" or dtype.name in _dtypes.ALLOWED_DTYPES - {"string"}


def decode_array(config: Any, where: str) -> np.ndarray:
    """``np.array(config["value"], dtype=config["dtype"])``, within the bounds above.

    Args:
        config: The ``"config"`` part of a ``__numpy__``/``__tensor__`` dict.
        where: What holds the array, for messages ("the config of Lambda layer 'l'").

    Returns:
        The array.

    Raises:
        ValueError: If ``config`` lacks ``value`` or ``dtype``, the dtype is not
            a numpy dtype name (or, in safe mode, not numeric), the array would
            be far larger than its text, or numpy cannot make it.

    >>> decode_array({"value": [[1, 2]], "dtype": "int32"}, "a demo").tolist()
    [[1, 2]]
    >>> decode_array({"value": ["a"], "dtype": "S1000000000"}, "a demo")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: a demo holds an array of dtype 'S1000000000', which safe mode refuses: ...
    """
    if not isinstance(config, Mapping) or "value" not in config or "dtype" not in config:
        raise ValueError(
            f"{where} holds a malformed array: expected a dict with 'value' and 'dtype' "
            f"(as `get_config()` writes arrays). Received: {config!r:.200}"
        )
    dtype = _parse_dtype(config["dtype"], where)
    if _safe_mode.in_safe_mode() and not _is_numeric(dtype):
        raise ValueError(
            f"{where} holds an array of dtype {config['dtype']!r}, which safe mode refuses: "
            "arrays in configs must be numeric (bool, int, uint, float or complex). If the "
            "config is trusted, deserialize it with `safe_mode=False` (or inside "
            "`heft.saving.SafeModeScope(False)`)."
        )
    value = config["value"]
    count, text = _text_size(value)
    needed = count * dtype.itemsize
    if needed > _BLOWUP * text + _SLACK:
        raise ValueError(
            f"{where} holds an array of {count:,} element(s) of dtype {config['dtype']!r}, "
            f"which would take {needed:,} bytes, while its values take about {text:,} bytes "
            "of config text. Refusing to allocate it: `get_config()` never writes such an "
            "array, so the config is damaged or was made to exhaust memory."
        )
    try:
        return np.array(value, dtype=dtype)
    except (TypeError, ValueError, OverflowError) as err:
        raise ValueError(
            f"{where} holds an array that numpy cannot make with dtype {config['dtype']!r} "
            f"({err}). Expected a nested list of values of that dtype."
        ) from None
