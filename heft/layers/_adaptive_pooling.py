"""Adaptive pooling layers: pool to a fixed spatial output size, whatever the input's size."""

from __future__ import annotations

from typing import Any

from .. import _config
from .._typing import Shape
from ..ops._adaptive import adaptive_average_pool, adaptive_max_pool
from ._layer import Layer

_AXES = {1: "length", 2: "(height, width)", 3: "(depth, height, width)"}


def _output_size(value: Any, rank: int) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * rank
    if isinstance(value, tuple | list):
        if len(value) == rank:
            return tuple(value)
        if rank == 1:
            raise ValueError(
                "For 1D input, `output_size` tuple must have length 1. "
                f"Received: {value}. Pass an int, e.g. output_size=8."
            )
    raise TypeError(
        f"`output_size` must be an integer or a {_AXES[rank]} tuple of {rank} integers. "
        f"Received: {value} of type {type(value)}"
    )


class _AdaptivePooling(Layer):
    """Shared arguments, shapes and config of the adaptive pooling layers."""

    _rank = 1
    _mode = "average"

    def __init__(self, output_size: Any, data_format: str | None = None, **kwargs: Any) -> None:
        size = _output_size(output_size, self._rank)
        super().__init__(**kwargs)
        self.output_size = size
        self.data_format = data_format or _config.image_data_format()
        if self.data_format not in {"channels_first", "channels_last"}:
            raise ValueError(
                f"Invalid data_format: {self.data_format}. "
                "Expected 'channels_first' or 'channels_last'."
            )

    def call(self, inputs: Any) -> Any:
        pool = adaptive_average_pool if self._mode == "average" else adaptive_max_pool
        return pool(inputs, output_size=self.output_size, data_format=self.data_format)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"output_size": self.output_size, "data_format": self.data_format})
        return config


_DOC = """Adaptive {mode} pooling of {rank}D data to spatial size ``output_size``.

    Output position ``i`` of an axis of length ``L`` pooled to ``O`` takes the
    {mode} of input positions ``floor(i*L/O)`` to ``ceil((i+1)*L/O) - 1``.

    Args:
        output_size: An int (every spatial axis) or a tuple of {rank} ints.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the config's).
        **kwargs: Base layer arguments.
    """


class AdaptiveAveragePooling1D(_AdaptivePooling):
    __doc__ = _DOC.format(mode="average", rank=1)
    _rank = 1


class AdaptiveAveragePooling2D(_AdaptivePooling):
    __doc__ = _DOC.format(mode="average", rank=2)
    _rank = 2


class AdaptiveAveragePooling3D(_AdaptivePooling):
    __doc__ = _DOC.format(mode="average", rank=3)
    _rank = 3


class AdaptiveMaxPooling1D(_AdaptivePooling):
    __doc__ = _DOC.format(mode="maximum", rank=1)
    _rank = 1
    _mode = "max"


class AdaptiveMaxPooling2D(_AdaptivePooling):
    __doc__ = _DOC.format(mode="maximum", rank=2)
    _rank = 2
    _mode = "max"


class AdaptiveMaxPooling3D(_AdaptivePooling):
    __doc__ = _DOC.format(mode="maximum", rank=3)
    _rank = 3
    _mode = "max"
