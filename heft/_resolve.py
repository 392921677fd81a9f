"""One ``get`` for the families looked up by identifier: constraints, regularizers, initializers."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any


def resolve(
    identifier: Any,
    *,
    kind: str,
    deserialize: Callable[[Any], Any],
    known: str,
    expected: str,
    convert: Callable[[Any], Any] | None = None,
) -> Any:
    """Turn ``identifier`` into a callable of the family ``kind``, as Keras's ``get`` does.

    ``None`` stays ``None``; a dict or a name goes through ``deserialize``; any other
    value through ``convert`` (when given, e.g. an array into an initializer); a class
    is instantiated; the result must be callable.

    Args:
        identifier: What the caller passed.
        kind: The family's name in messages (``"constraint"``).
        deserialize: The family's ``deserialize``.
        known: The names the family knows, for the message about an unknown name.
        expected: What the caller may pass, for the message about anything else.
        convert: Turns a value that is neither a dict nor a name into a candidate.

    Returns:
        The callable, or ``None``.

    Raises:
        ValueError: If a name is unknown, or the result is not callable.

    >>> resolve("relu", kind="thing", deserialize=lambda n: abs, known="'relu'", expected="a name")
    <built-in function abs>
    >>> resolve(3, kind="thing", deserialize=abs, known="'relu'", expected="a name")
    Traceback (most recent call last):
    ValueError: Could not interpret thing identifier: 3. Pass a name
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        found = deserialize(identifier)
    elif isinstance(identifier, str):
        try:
            found = deserialize(identifier)
        except ValueError:
            raise ValueError(
                f"Could not interpret {kind} identifier: {identifier}. Expected one of {known}"
            ) from None
    else:
        found = identifier if convert is None else convert(identifier)
    if inspect.isclass(found):
        found = found()
    if callable(found):
        return found
    raise ValueError(f"Could not interpret {kind} identifier: {identifier}. Pass {expected}")
