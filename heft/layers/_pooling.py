"""Pooling layers: max and average pooling over windows, and global pooling."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from ._conv import (
    conv_output_length,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)
from ._input_spec import InputSpec
from ._layer import Layer


def _window_pool(x: Any, mode: str, pool: tuple, strides: tuple, padding: str, first: int) -> Any:
    """Pool the spatial axes ``first .. first + len(pool)`` of ``x``.

    When the window equals the stride and no padding is needed, the pooling is
    a reshape and a reduction (whose gradient XLA's CPU backend runs far
    faster than ``reduce_window``'s); otherwise ``lax.reduce_window``.
    """
    spatial = x.shape[first : first + len(pool)]
    tiled = pool == strides and (
        padding == "valid" or all(n % p == 0 for n, p in zip(spatial, pool, strict=True))
    )
    if tiled:
        out = [n // p for n, p in zip(spatial, pool, strict=True)]
        index = tuple(
            [slice(None)] * first
            + [slice(0, o * p) for o, p in zip(out, pool, strict=True)]
            + [slice(None)] * (x.ndim - first - len(pool))
        )
        x = x[index]
        split: list[int] = list(x.shape[:first])
        for o, p in zip(out, pool, strict=True):
            split += [o, p]
        split += list(x.shape[first + len(pool) :])
        axes = tuple(first + 2 * i + 1 for i in range(len(pool)))
        grouped = jnp.reshape(x, split)
        if mode == "max":
            return jnp.max(grouped, axis=axes)
        return jnp.sum(grouped, axis=axes) / math.prod(pool)
    ones = (1,) * first
    trail = (1,) * (x.ndim - first - len(pool))
    window = ones + pool + trail
    stride = ones + strides + trail
    pad = padding.upper()
    if mode == "max":
        init = jnp.array(-jnp.inf, x.dtype)
        return jax.lax.reduce_window(x, init, jax.lax.max, window, stride, pad)
    zero = jnp.array(0, x.dtype)
    summed = jax.lax.reduce_window(x, zero, jax.lax.add, window, stride, pad)
    if padding == "valid":
        return summed / math.prod(pool)
    count_shape = [n if w != 1 else 1 for n, w in zip(x.shape, window, strict=True)]
    counts = jax.lax.reduce_window(
        jnp.ones(count_shape, x.dtype), zero, jax.lax.add, window, stride, pad
    )
    return summed / counts


class _Pooling(Layer):
    """Shared N-D max/average pooling."""

    rank = 0
    mode = "max"

    def __init__(
        self,
        pool_size: Any,
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.pool_size = standardize_tuple(pool_size, self.rank, "pool_size")
        self.strides = standardize_tuple(
            pool_size if strides is None else strides, self.rank, "strides"
        )
        self.padding = standardize_padding(padding)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    def call(self, inputs: Any) -> Any:
        self.compute_output_shape(inputs.shape)
        first = 1 if self.data_format == "channels_last" else 2
        return _window_pool(inputs, self.mode, self.pool_size, self.strides, self.padding, first)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = tuple(input_shape)
        if len(shape) != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects inputs of rank "
                f"{self.rank + 2}. Received: input_shape={shape}."
            )
        first = 1 if self.data_format == "channels_last" else 2
        spatial = shape[first : first + self.rank]
        out = tuple(
            conv_output_length(n, p, s, self.padding)
            for n, p, s in zip(spatial, self.pool_size, self.strides, strict=True)
        )
        if any(n is not None and n <= 0 for n in out):
            raise ValueError(
                f"Computed output size would be negative or zero in {type(self).__name__} "
                f"layer '{self.name}': input_shape={shape}, pool_size={self.pool_size}, "
                f"strides={self.strides}, padding='{self.padding}'. Use larger inputs, a "
                "smaller pool_size, or padding='same'."
            )
        return (*shape[:first], *out, *shape[first + self.rank :])

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "pool_size": self.pool_size,
                "padding": self.padding,
                "strides": self.strides,
                "data_format": self.data_format,
            }
        )
        return config


_POOL_ARGS = """
    Args:
        pool_size: Window size (an int or one int per spatial axis).
        strides: Window strides; ``None`` uses ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (windows may overhang the input;
            ``same`` average pooling averages the covered inputs only).
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            the global image data format.
        name: The layer's name.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: For bad sizes, strides, padding or data format names, or
            inputs of the wrong rank.
"""


class MaxPooling1D(_Pooling):
    """Max over windows of the steps axis of ``(batch, steps, channels)`` inputs.

    >>> import heft
    >>> MaxPooling1D(2)(heft.ops.ones((2, 6, 3))).shape
    (2, 3, 3)
    """

    rank = 1
    mode = "max"

    def __init__(
        self,
        pool_size: Any = 2,
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class MaxPooling2D(_Pooling):
    """Max over windows of the spatial axes of ``(batch, height, width, channels)`` inputs.

    >>> import heft
    >>> MaxPooling2D()(heft.ops.ones((2, 6, 6, 3))).shape
    (2, 3, 3, 3)
    """

    rank = 2
    mode = "max"

    def __init__(
        self,
        pool_size: Any = (2, 2),
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class AveragePooling1D(_Pooling):
    """Mean over windows of the steps axis of ``(batch, steps, channels)`` inputs.

    >>> import heft
    >>> AveragePooling1D(2)(heft.ops.ones((2, 6, 3))).shape
    (2, 3, 3)
    """

    rank = 1
    mode = "average"

    def __init__(
        self,
        pool_size: Any,
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


class AveragePooling2D(_Pooling):
    """Mean over windows of the spatial axes of ``(batch, height, width, channels)`` inputs.

    >>> import heft
    >>> AveragePooling2D(2)(heft.ops.ones((2, 6, 6, 3))).shape
    (2, 3, 3, 3)
    """

    rank = 2
    mode = "average"

    def __init__(
        self,
        pool_size: Any,
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)


for _cls in (MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D):
    _doc = _cls.__doc__ or ""
    _head, _sep, _example = _doc.partition("\n\n")
    _cls.__doc__ = f"{_head}\n{_POOL_ARGS}\n{_example}"


class _GlobalPooling(Layer):
    """Shared global pooling over every spatial axis."""

    rank = 0

    def __init__(
        self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    def _axes(self) -> tuple[int, ...]:
        first = 1 if self.data_format == "channels_last" else 2
        return tuple(range(first, first + self.rank))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = tuple(input_shape)
        if len(shape) != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects inputs of rank "
                f"{self.rank + 2}. Received: input_shape={shape}."
            )
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(shape))
        return tuple(d for i, d in enumerate(shape) if i not in axes)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


class _GlobalAverage(_GlobalPooling):
    def call(self, inputs: Any, mask: Any = None) -> Any:
        axes = self._axes()
        if mask is None or self.rank != 1:
            return jnp.mean(inputs, axis=axes, keepdims=self.keepdims)
        m = jnp.expand_dims(mask.astype(bool), 2 if self.data_format == "channels_last" else 1)
        total = jnp.sum(jnp.where(m, inputs, 0), axis=axes, keepdims=self.keepdims)
        count = jnp.sum(m.astype(inputs.dtype), axis=axes, keepdims=self.keepdims)
        return total / count

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None


class _GlobalMax(_GlobalPooling):
    def call(self, inputs: Any) -> Any:
        return jnp.max(inputs, axis=self._axes(), keepdims=self.keepdims)


_GLOBAL_ARGS = """
    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            the global image data format.
        keepdims: Whether to keep the pooled axes with size 1.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: For a bad data format name or inputs of the wrong rank.
"""


class GlobalAveragePooling1D(_GlobalAverage):
    """Mean over the steps axis (masked steps excluded when a mask is given).

    >>> import heft
    >>> GlobalAveragePooling1D()(heft.ops.ones((2, 6, 3))).shape
    (2, 3)
    """

    rank = 1


class GlobalAveragePooling2D(_GlobalAverage):
    """Mean over the height and width axes.

    >>> import heft
    >>> GlobalAveragePooling2D(keepdims=True)(heft.ops.ones((2, 4, 4, 3))).shape
    (2, 1, 1, 3)
    """

    rank = 2


class GlobalMaxPooling1D(_GlobalMax):
    """Max over the steps axis.

    >>> import heft
    >>> GlobalMaxPooling1D()(heft.ops.ones((2, 6, 3))).shape
    (2, 3)
    """

    rank = 1


class GlobalMaxPooling2D(_GlobalMax):
    """Max over the height and width axes.

    >>> import heft
    >>> GlobalMaxPooling2D()(heft.ops.ones((2, 4, 4, 3))).shape
    (2, 3)
    """

    rank = 2


for _cls in (
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
):
    _doc = _cls.__doc__ or ""
    _head, _sep, _example = _doc.partition("\n\n")
    _cls.__doc__ = f"{_head}\n{_GLOBAL_ARGS}\n{_example}"
