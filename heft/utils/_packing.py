"""Packing and unpacking the ``(x, y, sample_weight)`` tuples that step functions receive."""

from __future__ import annotations

from typing import Any


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """Split a batch into ``(x, y, sample_weight)``, with ``None`` for the missing parts.

    A tuple (or list) of one, two or three items is read as ``(x,)``,
    ``(x, y)`` or ``(x, y, sample_weight)``; anything else is ``x`` alone.

    Args:
        data: One batch, as ``fit`` passes it to ``train_step``.

    Returns:
        ``(x, y, sample_weight)``.

    Raises:
        ValueError: If ``data`` is a tuple or list of more than three items.

    >>> unpack_x_y_sample_weight(([1.0], [0.0]))
    ([1.0], [0.0], None)
    >>> unpack_x_y_sample_weight([1.0, 2.0, 3.0, 4.0])
    Traceback (most recent call last):
    ...
    ValueError: Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, found a sequence of 4 items: pass a tuple of at most three items.
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise ValueError(
        "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
        f"found a sequence of {len(data)} items: pass a tuple of at most three items."
    )


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """The batch form of ``x``, ``y`` and ``sample_weight``: ``x``, ``(x, y)`` or all three.

    A lone ``x`` that is itself a tuple or list is wrapped as ``(x,)``, so that
    ``unpack_x_y_sample_weight`` gives it back whole.

    >>> pack_x_y_sample_weight([1.0], [0.0])
    ([1.0], [0.0])
    >>> pack_x_y_sample_weight((1.0, 2.0))
    ((1.0, 2.0),)
    """
    if y is None:
        if isinstance(x, list | tuple):
            return (x,)
        return x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)
