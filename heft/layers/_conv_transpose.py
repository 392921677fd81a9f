"""Transposed convolution layers ``Conv1DTranspose``, ``Conv2DTranspose`` and ``Conv3DTranspose``."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from .._typing import Shape
from ..ops._conv import transpose_convolve
from ..ops._conv import transpose_output_length as transpose_output_length
from ._arguments import (
    KERNEL_BIAS_ARGUMENTS,
    KernelBiasArguments,
    argument_config,
    set_arguments,
    weight_arguments,
)
from ._configured import KernelAttribute, configured_weight, optional_bias
from ._conv import standardize_data_format, standardize_padding, standardize_tuple
from ._input_spec import InputSpec
from ._layer import Layer

# The config keys of the transposed convolutions, in Keras's order.
_CONFIG_KEYS = (
    "filters", "kernel_size", "strides", "padding", "output_padding", "data_format",
    "dilation_rate", "activation", "use_bias", *weight_arguments("kernel", "bias", activity=True),
)  # fmt: skip


class _ConvTranspose(KernelAttribute, Layer, KernelBiasArguments):
    """Shared N-D transposed convolution with kernel layout ``(*kernel_size, filters, in)``."""

    rank = 0

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        output_padding: Any = None,
        data_format: str | None = None,
        dilation_rate: Any = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if isinstance(filters, bool) or not isinstance(filters, int) or filters <= 0:
            raise ValueError(
                "Invalid value for argument `filters`. Expected a strictly positive integer. "
                f"Received: filters={filters!r}."
            )
        self.filters = filters
        self.kernel_size = standardize_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = standardize_tuple(strides, self.rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, self.rank, "dilation_rate")
        self.padding = standardize_padding(padding)
        if output_padding is None:
            self.output_padding = None
        else:
            self.output_padding = standardize_tuple(
                output_padding, self.rank, "output_padding", allow_zero=True
            )
            for axis, (op, s) in enumerate(zip(self.output_padding, self.strides, strict=True)):
                if op >= s:
                    raise ValueError(
                        "Each value of `output_padding` must be strictly less than the stride "
                        f"of its axis. At axis {axis}, output_padding is {op} and the stride is "
                        f"{s}. Received: output_padding={self.output_padding}, "
                        f"strides={self.strides}."
                    )
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                "`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}. "
                "Set one of them to 1."
            )
        self.data_format = standardize_data_format(data_format)
        set_arguments(self, locals(), KERNEL_BIAS_ARGUMENTS)
        self.input_spec = InputSpec(min_ndim=self.rank + 2)

    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def _rank_error(self, shape: tuple) -> ValueError:
        return ValueError(
            f"{type(self).__name__} layer '{self.name}' expects inputs of rank "
            f"{self.rank + 2} (batch, {self.rank} spatial axes, channels). Received: "
            f"input_shape={shape}."
        )

    def build(self, input_shape: Any) -> None:
        shape = tuple(input_shape)
        if len(shape) != self.rank + 2:
            raise self._rank_error(shape)
        channels = shape[self._channel_axis()]
        if channels is None:
            raise ValueError(
                f"The channel dimension of the inputs to {type(self).__name__} layer "
                f"'{self.name}' must be known. Received: input_shape={shape}."
            )
        self.compute_output_shape(shape)
        shape = (*self.kernel_size, self.filters, channels)
        self._kernel = configured_weight(self, "kernel", shape, "kernel")
        self.bias = optional_bias(self, (self.filters,))
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={self._channel_axis(): channels})

    def _output_padding(self, axis: int) -> int | None:
        return None if self.output_padding is None else self.output_padding[axis]

    def call(self, inputs: Any) -> Any:
        kernel = self._kernel.value
        x = inputs.astype(kernel.dtype)
        out = transpose_convolve(
            x,
            kernel,
            self.strides,
            self.padding,
            self.output_padding,
            self.dilation_rate,
            self.data_format,
        )
        if self.bias is not None:
            shape = [1] * out.ndim
            shape[self._channel_axis()] = self.filters
            out = out + jnp.reshape(self.bias.value, shape)
        return self.activation(out) if self.activation is not None else out

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        shape = tuple(input_shape)
        if len(shape) != self.rank + 2:
            raise self._rank_error(shape)
        spatial = shape[1:-1] if self.data_format == "channels_last" else shape[2:]
        out = tuple(
            transpose_output_length(n, k, s, self.padding, self._output_padding(i), d)
            for i, (n, k, s, d) in enumerate(
                zip(spatial, self.kernel_size, self.strides, self.dilation_rate, strict=True)
            )
        )
        if any(n is not None and n <= 0 for n in out):
            raise ValueError(
                f"Computed output size would be zero in {type(self).__name__} layer "
                f"'{self.name}': input_shape={shape}, kernel_size={self.kernel_size}, "
                f"strides={self.strides}, padding='{self.padding}', "
                f"output_padding={self.output_padding} give output spatial size {out}. "
                "Use a larger output_padding or padding='valid'."
            )
        if self.data_format == "channels_last":
            return (shape[0], *out, self.filters)
        return (shape[0], self.filters, *out)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(argument_config(self, _CONFIG_KEYS))
        return config


_ARGS = """
    Args:
        filters: Number of output channels.
        kernel_size: Size of the window (an int or one int per spatial axis).
        strides: Strides of the window (the upsampling factors).
        padding: ``"valid"`` or ``"same"``.
        output_padding: Extra size added at the end of each spatial axis (each
            value below the stride of its axis); ``None`` infers it.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            the global image data format.
        dilation_rate: Dilation of the window (``> 1`` needs ``strides=1``).
        activation: Activation name or function; ``None`` is linear.
        use_bias: Whether to add a bias vector.
        kernel_initializer: Initializer of the kernel.
        bias_initializer: Initializer of the bias.
        kernel_regularizer: Regularizer of the kernel.
        bias_regularizer: Regularizer of the bias.
        activity_regularizer: Regularizer of the output.
        kernel_constraint: Constraint of the kernel.
        bias_constraint: Constraint of the bias.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: For bad filters, sizes, strides, output padding, padding or
            data format names, or inputs of the wrong rank.
"""


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1D convolution of ``(batch, steps, channels)`` inputs.

    The kernel has shape ``(kernel_size, filters, input_channels)``.

    >>> import heft
    >>> Conv1DTranspose(4, 3, strides=2)(heft.ops.ones((2, 5, 3))).shape
    (2, 11, 4)
    """

    rank = 1


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2D convolution of ``(batch, height, width, channels)`` inputs.

    The kernel has shape ``(*kernel_size, filters, input_channels)``.

    >>> import heft
    >>> Conv2DTranspose(4, 3, strides=2, padding="same")(heft.ops.ones((1, 5, 5, 3))).shape
    (1, 10, 10, 4)
    """

    rank = 2


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3D convolution of ``(batch, depth, height, width, channels)`` inputs.

    The kernel has shape ``(*kernel_size, filters, input_channels)``.

    >>> import heft
    >>> Conv3DTranspose(2, 2, strides=2)(heft.ops.ones((1, 2, 3, 4, 3))).shape
    (1, 4, 6, 8, 2)
    """

    rank = 3

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = (1, 1, 1),
        padding: str = "valid",
        data_format: str | None = None,
        output_padding: Any = None,
        dilation_rate: Any = (1, 1, 1),
        **kwargs: Any,
    ) -> None:
        super().__init__(
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            output_padding=output_padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            **kwargs,
        )


for _cls in (Conv1DTranspose, Conv2DTranspose, Conv3DTranspose):
    _doc = _cls.__doc__ or ""
    _head, _sep, _example = _doc.partition("\n\n    >>>")
    _cls.__doc__ = f"{_head}\n{_ARGS}\n    >>>{_example}"
