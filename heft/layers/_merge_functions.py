"""The functional forms of the merging layers: ``add(inputs)`` builds ``Add()`` and calls it."""

from __future__ import annotations

from typing import Any

from ._merging import Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract


def add(inputs: Any, **kwargs: Any) -> Any:
    """The sum of ``inputs``, through a new ``Add(**kwargs)`` layer.

    >>> import heft
    >>> add([heft.ops.ones((1, 2)), heft.ops.ones((1, 2))]).tolist()
    [[2.0, 2.0]]
    """
    return Add(**kwargs)(inputs)


def subtract(inputs: Any, **kwargs: Any) -> Any:
    """``inputs[0] - inputs[1]``, through a new ``Subtract(**kwargs)`` layer."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs: Any, **kwargs: Any) -> Any:
    """The elementwise product of ``inputs``, through a new ``Multiply(**kwargs)`` layer."""
    return Multiply(**kwargs)(inputs)


def average(inputs: Any, **kwargs: Any) -> Any:
    """The elementwise mean of ``inputs``, through a new ``Average(**kwargs)`` layer."""
    return Average(**kwargs)(inputs)


def maximum(inputs: Any, **kwargs: Any) -> Any:
    """The elementwise maximum of ``inputs``, through a new ``Maximum(**kwargs)`` layer."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs: Any, **kwargs: Any) -> Any:
    """The elementwise minimum of ``inputs``, through a new ``Minimum(**kwargs)`` layer."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: Any, axis: int = -1, **kwargs: Any) -> Any:
    """``inputs`` joined along ``axis``, through a new ``Concatenate(axis)`` layer."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs: Any, axes: Any = -1, **kwargs: Any) -> Any:
    """The dot product of two inputs along ``axes``, through a new ``Dot(axes)`` layer.

    ``normalize=True`` (passed on to ``Dot``) gives the cosine proximity.
    """
    return Dot(axes=axes, **kwargs)(inputs)
