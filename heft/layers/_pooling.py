"""Pooling layers: max and average pooling over windows, and global pooling."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from .._typing import Shape
from ..ops._pool import window_pool
from ._conv import (
    conv_output_length,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)
from ._input_spec import InputSpec
from ._layer import Layer


class _Required:
    """The default of an argument that a subclass may require (its repr says so)."""

    def __repr__(self) -> str:
        return "<required>"


_REQUIRED: Any = _Required()


class _Pooling(Layer):
    """Shared N-D max/average pooling; a subclass is its ``rank``, ``mode`` and default window."""

    rank = 0
    mode = "max"
    # The window when ``pool_size`` is not given (2 per axis for max pooling);
    # None makes ``pool_size`` required, as for Keras's average pooling layers.
    default_pool_size: int | None = None

    def __init__(
        self,
        pool_size: Any = _REQUIRED,
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if pool_size is _REQUIRED:
            if self.default_pool_size is None:
                raise TypeError(
                    f"{type(self).__name__}.__init__() missing 1 required positional argument: "
                    "'pool_size'"
                )
            pool_size = self.default_pool_size
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
        return window_pool(inputs, self.mode, self.pool_size, self.strides, self.padding, first)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
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
        pool_size: Window size (an int or one int per spatial axis); max pooling
            defaults to 2 per axis, average pooling requires it.
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
    default_pool_size = 2


class MaxPooling2D(_Pooling):
    """Max over windows of the spatial axes of ``(batch, height, width, channels)`` inputs.

    >>> import heft
    >>> MaxPooling2D()(heft.ops.ones((2, 6, 6, 3))).shape
    (2, 3, 3, 3)
    """

    rank = 2
    mode = "max"
    default_pool_size = 2


class AveragePooling1D(_Pooling):
    """Mean over windows of the steps axis of ``(batch, steps, channels)`` inputs.

    >>> import heft
    >>> AveragePooling1D(2)(heft.ops.ones((2, 6, 3))).shape
    (2, 3, 3)
    """

    rank = 1
    mode = "average"


class AveragePooling2D(_Pooling):
    """Mean over windows of the spatial axes of ``(batch, height, width, channels)`` inputs.

    >>> import heft
    >>> AveragePooling2D(2)(heft.ops.ones((2, 6, 6, 3))).shape
    (2, 3, 3, 3)
    """

    rank = 2
    mode = "average"


class MaxPooling3D(_Pooling):
    """Max over windows of the spatial axes of ``(batch, depth, height, width, channels)`` inputs.

    >>> import heft
    >>> MaxPooling3D()(heft.ops.ones((1, 4, 4, 6, 2))).shape
    (1, 2, 2, 3, 2)
    """

    rank = 3
    mode = "max"
    default_pool_size = 2


class AveragePooling3D(_Pooling):
    """Mean over windows of the spatial axes of ``(batch, depth, height, width, channels)`` inputs.

    >>> import heft
    >>> AveragePooling3D(2)(heft.ops.ones((1, 4, 4, 6, 2))).shape
    (1, 2, 2, 3, 2)
    """

    rank = 3
    mode = "average"


def _document(classes: tuple[type, ...], arguments: str) -> None:
    """Insert the shared ``Args:`` section between each class's summary and example."""
    for cls in classes:
        head, _, example = (cls.__doc__ or "").partition("\n\n")
        cls.__doc__ = f"{head}\n{arguments}\n{example}"


_document(
    (
        MaxPooling1D,
        MaxPooling2D,
        MaxPooling3D,
        AveragePooling1D,
        AveragePooling2D,
        AveragePooling3D,
    ),
    _POOL_ARGS,
)


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

    def compute_output_shape(self, input_shape: Shape) -> Shape:
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


class GlobalAveragePooling3D(_GlobalAverage):
    """Mean over the depth, height and width axes.

    >>> import heft
    >>> GlobalAveragePooling3D()(heft.ops.ones((2, 3, 4, 4, 5))).shape
    (2, 5)
    """

    rank = 3


class GlobalMaxPooling3D(_GlobalMax):
    """Max over the depth, height and width axes.

    >>> import heft
    >>> GlobalMaxPooling3D(data_format="channels_first")(heft.ops.ones((2, 5, 3, 4, 4))).shape
    (2, 5)
    """

    rank = 3


_document(
    (
        GlobalAveragePooling1D,
        GlobalAveragePooling2D,
        GlobalAveragePooling3D,
        GlobalMaxPooling1D,
        GlobalMaxPooling2D,
        GlobalMaxPooling3D,
    ),
    _GLOBAL_ARGS,
)
