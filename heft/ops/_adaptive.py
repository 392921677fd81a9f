"""Adaptive pooling: pool each spatial axis to a given output size, whatever the input's size.

Output position ``i`` of an axis of length ``L`` pooled to ``O`` covers the input
positions ``floor(i * L / O)`` up to (not including) ``ceil((i + 1) * L / O)``;
windows may overlap and differ in size by one. Axes are pooled one after the
other (a box's mean or maximum is the mean or maximum along each of its axes).
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from .. import _config
from ._core import convert_to_tensor
from ._dispatch import symbolic_op


def _windows(length: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``(starts, ends)`` of the ``size`` windows over an axis of ``length``."""
    i = np.arange(size)
    starts = (i * length) // size
    ends = -((-(i + 1) * length) // size)
    return starts, ends


def _check(inputs: Any, output_size: Any, data_format: Any, op: str) -> tuple[Any, tuple, str]:
    x = convert_to_tensor(inputs)
    spatial = x.ndim - 2
    if spatial not in (1, 2, 3):
        raise ValueError(
            f"`{op}` takes inputs of rank 3, 4 or 5 (batch, spatial axes..., channels). "
            f"Received inputs of shape {tuple(x.shape)}."
        )
    sizes = (output_size,) * spatial if isinstance(output_size, int) else tuple(output_size)
    if len(sizes) != spatial or not all(isinstance(s, int) and s > 0 for s in sizes):
        raise ValueError(
            f"`output_size` of `{op}` must be a positive int or {spatial} positive ints for "
            f"inputs with {spatial} spatial axes. Received: output_size={output_size!r}."
        )
    data_format = _config.image_data_format() if data_format is None else str(data_format)
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
            f"Received: data_format={data_format!r}."
        )
    return x, sizes, data_format


def _spatial_axes(ndim: int, data_format: str) -> range:
    return range(2, ndim) if data_format == "channels_first" else range(1, ndim - 1)


def _average_axis(x: Any, axis: int, size: int) -> Any:
    length = x.shape[axis]
    starts, ends = _windows(length, size)
    positions = np.arange(length)
    inside = (positions >= starts[:, None]) & (positions < ends[:, None])
    weights = inside / (ends - starts)[:, None]
    moved = jnp.moveaxis(x, axis, -1)
    out = jnp.einsum("...l,ol->...o", moved, jnp.asarray(weights, dtype=x.dtype))
    return jnp.moveaxis(out, -1, axis)


def _max_axis(x: Any, axis: int, size: int) -> Any:
    length = x.shape[axis]
    starts, ends = _windows(length, size)
    widest = int((ends - starts).max())
    index = starts[:, None] + np.arange(widest)
    index = np.minimum(index, ends[:, None] - 1)
    moved = jnp.moveaxis(x, axis, -1)
    taken = jnp.take(moved, jnp.asarray(index.reshape(-1)), axis=-1)
    taken = taken.reshape((*moved.shape[:-1], size, widest))
    # Positions past a window's end repeat its last element, which leaves the maximum as is.
    return jnp.moveaxis(taken.max(axis=-1), -1, axis)


@symbolic_op
def adaptive_average_pool(inputs: Any, output_size: Any, data_format: str | None = None) -> Any:
    """Average pooling to a fixed spatial ``output_size`` (1, 2 or 3 spatial axes).

    Args:
        inputs: Tensor of rank 3, 4 or 5.
        output_size: An int (every spatial axis) or one int per spatial axis.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the config's).

    Returns:
        The pooled tensor, with the spatial axes of sizes ``output_size``.

    Raises:
        ValueError: For inputs of another rank or a bad ``output_size``.

    >>> import numpy as np
    >>> x = np.arange(5.0).reshape(1, 5, 1)
    >>> adaptive_average_pool(x, 3)[0, :, 0].tolist()
    [0.5, 2.0, 3.5]
    """
    x, sizes, data_format = _check(inputs, output_size, data_format, "adaptive_average_pool")
    for axis, size in zip(_spatial_axes(x.ndim, data_format), sizes, strict=True):
        x = _average_axis(x, axis, size)
    return x


@symbolic_op
def adaptive_max_pool(inputs: Any, output_size: Any, data_format: str | None = None) -> Any:
    """Max pooling to a fixed spatial ``output_size`` (1, 2 or 3 spatial axes).

    Args:
        inputs: Tensor of rank 3, 4 or 5.
        output_size: An int (every spatial axis) or one int per spatial axis.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the config's).

    Returns:
        The pooled tensor, with the spatial axes of sizes ``output_size``.

    Raises:
        ValueError: For inputs of another rank or a bad ``output_size``.

    >>> import numpy as np
    >>> x = np.array([3.0, 1.0, 4.0, 1.0, 5.0]).reshape(1, 5, 1)
    >>> adaptive_max_pool(x, 3)[0, :, 0].tolist()
    [3.0, 4.0, 5.0]
    """
    x, sizes, data_format = _check(inputs, output_size, data_format, "adaptive_max_pool")
    for axis, size in zip(_spatial_axes(x.ndim, data_format), sizes, strict=True):
        x = _max_axis(x, axis, size)
    return x
