"""Depthwise and depthwise-separable convolution layers (1D and 2D)."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from .. import activations, constraints, initializers, regularizers
from .._typing import Shape
from ..ops._conv import convolve, depthwise_convolve
from ._arguments import argument_config, pick, set_arguments, weight_arguments
from ._configured import KernelAttribute, configured_weight, optional_bias
from ._conv import (
    conv_output_length,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)
from ._input_spec import InputSpec
from ._layer import Layer


def _positive(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"Invalid value for argument `{name}`. Expected a strictly positive integer. "
            f"Received: {name}={value!r}."
        )
    return value


# The arguments both families pass to ``_DepthwiseBase``.
_BASE_ARGUMENTS = (
    "kernel_size",
    "strides",
    "padding",
    "depth_multiplier",
    "data_format",
    "dilation_rate",
    "activation",
    "use_bias",
    *weight_arguments("depthwise", "bias", activity=True),
)


class _DepthwiseBase(Layer):
    """Arguments, shape checks and the depthwise step shared by both families."""

    # Set by ``set_arguments``; declared for type checkers.
    activation: Any
    use_bias: bool
    depthwise_initializer: Any
    bias_initializer: Any
    depthwise_regularizer: Any
    bias_regularizer: Any
    depthwise_constraint: Any
    bias_constraint: Any

    rank = 0

    def __init__(
        self,
        kernel_size: Any,
        strides: Any,
        padding: str,
        depth_multiplier: int,
        data_format: str | None,
        dilation_rate: Any,
        activation: Any,
        use_bias: bool,
        depthwise_initializer: Any,
        bias_initializer: Any,
        depthwise_regularizer: Any,
        bias_regularizer: Any,
        activity_regularizer: Any,
        depthwise_constraint: Any,
        bias_constraint: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.depth_multiplier = _positive(depth_multiplier, "depth_multiplier")
        self.kernel_size = standardize_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = standardize_tuple(strides, self.rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, self.rank, "dilation_rate")
        self.padding = standardize_padding(padding)
        self.data_format = standardize_data_format(data_format)
        set_arguments(
            self, locals(), ("activation", "use_bias", *weight_arguments("depthwise", "bias"))
        )
        self.input_spec = InputSpec(min_ndim=self.rank + 2)

    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def _check_shape(self, input_shape: Any) -> tuple:
        shape = tuple(input_shape)
        if len(shape) != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects inputs of rank "
                f"{self.rank + 2} (batch, {self.rank} spatial axes, channels). Received: "
                f"input_shape={shape}."
            )
        return shape

    def _channels(self, shape: tuple) -> int:
        channels = shape[self._channel_axis()]
        if channels is None:
            raise ValueError(
                f"The channel dimension of the inputs to {type(self).__name__} layer "
                f"'{self.name}' must be known. Received: input_shape={shape}."
            )
        return channels

    def _spatial_out(self, shape: tuple) -> tuple:
        spatial = shape[1:-1] if self.data_format == "channels_last" else shape[2:]
        out = tuple(
            conv_output_length(n, k, s, self.padding, d)
            for n, k, s, d in zip(
                spatial, self.kernel_size, self.strides, self.dilation_rate, strict=True
            )
        )
        if any(n is not None and n <= 0 for n in out):
            raise ValueError(
                f"Computed output size would be negative or zero in {type(self).__name__} "
                f"layer '{self.name}': input_shape={shape}, kernel_size={self.kernel_size}, "
                f"strides={self.strides}, dilation_rate={self.dilation_rate}, "
                f"padding='{self.padding}' give output spatial size {out}. Use larger inputs, "
                "a smaller kernel, or padding='same'."
            )
        return out

    def _with_channels(self, shape: tuple, spatial: tuple, channels: int) -> tuple:
        if self.data_format == "channels_last":
            return (shape[0], *spatial, channels)
        return (shape[0], channels, *spatial)

    def _depthwise(self, x: Any, kernel: Any) -> Any:
        """Each input channel convolved with its own ``depth_multiplier`` filters."""
        return depthwise_convolve(
            x, kernel, self.strides, self.padding, self.dilation_rate, self.data_format
        )

    def _finish(self, out: Any, bias: Any) -> Any:
        if bias is not None:
            shape = [1] * out.ndim
            shape[self._channel_axis()] = bias.shape[0]
            out = out + jnp.reshape(bias.value, shape)
        return self.activation(out) if self.activation is not None else out

    def _base_config(self) -> dict[str, Any]:
        return {
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class _DepthwiseConv(KernelAttribute, _DepthwiseBase):
    """Depthwise convolution: kernel ``(*kernel_size, in, depth_multiplier)``."""

    def __init__(
        self,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        depth_multiplier: int = 1,
        data_format: str | None = None,
        dilation_rate: Any = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**pick(locals(), _BASE_ARGUMENTS), **kwargs)

    def build(self, input_shape: Any) -> None:
        shape = self._check_shape(input_shape)
        channels = self._channels(shape)
        self.compute_output_shape(shape)
        shape = (*self.kernel_size, channels, self.depth_multiplier)
        self._kernel = configured_weight(self, "kernel", shape, "depthwise")
        self.bias = optional_bias(self, (channels * self.depth_multiplier,))
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={self._channel_axis(): channels})

    def call(self, inputs: Any) -> Any:
        kernel = self._kernel.value
        out = self._depthwise(inputs.astype(kernel.dtype), kernel)
        return self._finish(out, self.bias)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        shape = self._check_shape(input_shape)
        channels = shape[self._channel_axis()]
        out_channels = None if channels is None else channels * self.depth_multiplier
        return self._with_channels(shape, self._spatial_out(shape), out_channels)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(self._base_config())
        return config


class _SeparableConv(_DepthwiseBase):
    """Depthwise convolution followed by a 1x1 convolution mixing the channels."""

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        depth_multiplier: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**pick(locals(), _BASE_ARGUMENTS), **kwargs)
        self.filters = _positive(filters, "filters")
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape: Any) -> None:
        shape = self._check_shape(input_shape)
        channels = self._channels(shape)
        self.compute_output_shape(shape)
        shape = (*self.kernel_size, channels, self.depth_multiplier)
        self.depthwise_kernel = configured_weight(self, "depthwise_kernel", shape, "depthwise")
        shape = (*(1,) * self.rank, channels * self.depth_multiplier, self.filters)
        self.pointwise_kernel = configured_weight(self, "pointwise_kernel", shape, "pointwise")
        self.bias = optional_bias(self, (self.filters,))
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={self._channel_axis(): channels})

    def call(self, inputs: Any) -> Any:
        depthwise = self.depthwise_kernel.value
        pointwise = self.pointwise_kernel.value
        mid = self._depthwise(inputs.astype(depthwise.dtype), depthwise)
        ones = (1,) * self.rank
        out = convolve(mid, pointwise, ones, "valid", ones, self.data_format)
        return self._finish(out, self.bias)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        shape = self._check_shape(input_shape)
        return self._with_channels(shape, self._spatial_out(shape), self.filters)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(self._base_config())
        config.update(argument_config(self, ("filters", *weight_arguments("pointwise"))))
        return config


_DEPTHWISE_ARGS = """
    Args:
        kernel_size: Size of the window (an int or one int per spatial axis).
        strides: Strides of the window.
        padding: ``"valid"`` or ``"same"``.
        depth_multiplier: Output channels per input channel.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            the global image data format.
        dilation_rate: Dilation of the window.
        activation: Activation name or function; ``None`` is linear.
        use_bias: Whether to add a bias vector.
        depthwise_initializer: Initializer of the kernel.
        bias_initializer: Initializer of the bias.
        depthwise_regularizer: Regularizer of the kernel.
        bias_regularizer: Regularizer of the bias.
        activity_regularizer: Regularizer of the output.
        depthwise_constraint: Constraint of the kernel.
        bias_constraint: Constraint of the bias.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: For a bad depth multiplier, sizes, strides, padding or
            data format names, or inputs of the wrong rank.
"""

_SEPARABLE_ARGS = """
    Args:
        filters: Number of output channels.
        kernel_size: Size of the depthwise window (an int or one int per spatial axis).
        strides: Strides of the depthwise window.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            the global image data format.
        dilation_rate: Dilation of the depthwise window.
        depth_multiplier: Depthwise output channels per input channel.
        activation: Activation name or function; ``None`` is linear.
        use_bias: Whether to add a bias vector.
        depthwise_initializer: Initializer of the depthwise kernel.
        pointwise_initializer: Initializer of the pointwise kernel.
        bias_initializer: Initializer of the bias.
        depthwise_regularizer: Regularizer of the depthwise kernel.
        pointwise_regularizer: Regularizer of the pointwise kernel.
        bias_regularizer: Regularizer of the bias.
        activity_regularizer: Regularizer of the output.
        depthwise_constraint: Constraint of the depthwise kernel.
        pointwise_constraint: Constraint of the pointwise kernel.
        bias_constraint: Constraint of the bias.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: For bad filters, depth multiplier, sizes, strides, padding
            or data format names, or inputs of the wrong rank.
"""


class DepthwiseConv1D(_DepthwiseConv):
    """Depthwise 1D convolution: each channel of ``(batch, steps, channels)`` filtered apart.

    The kernel has shape ``(kernel_size, channels, depth_multiplier)``; output
    channel ``c * depth_multiplier + m`` is input channel ``c`` under filter ``m``.

    >>> import heft
    >>> DepthwiseConv1D(3, depth_multiplier=2)(heft.ops.ones((2, 6, 3))).shape
    (2, 4, 6)
    """

    rank = 1


class DepthwiseConv2D(_DepthwiseConv):
    """Depthwise 2D convolution: each channel of ``(batch, height, width, channels)`` apart.

    The kernel has shape ``(*kernel_size, channels, depth_multiplier)``; output
    channel ``c * depth_multiplier + m`` is input channel ``c`` under filter ``m``.

    >>> import heft
    >>> DepthwiseConv2D(3, padding="same")(heft.ops.ones((1, 5, 5, 3))).shape
    (1, 5, 5, 3)
    """

    rank = 2


class SeparableConv1D(_SeparableConv):
    """Depthwise 1D convolution followed by a pointwise (1-wide) convolution.

    Weights: ``depthwise_kernel`` ``(kernel_size, channels, depth_multiplier)``,
    ``pointwise_kernel`` ``(1, channels * depth_multiplier, filters)``, ``bias``.

    >>> import heft
    >>> SeparableConv1D(4, 3)(heft.ops.ones((2, 6, 3))).shape
    (2, 4, 4)
    """

    rank = 1


class SeparableConv2D(_SeparableConv):
    """Depthwise 2D convolution followed by a pointwise (1x1) convolution.

    Weights: ``depthwise_kernel`` ``(*kernel_size, channels, depth_multiplier)``,
    ``pointwise_kernel`` ``(1, 1, channels * depth_multiplier, filters)``, ``bias``.

    >>> import heft
    >>> SeparableConv2D(4, 3, padding="same")(heft.ops.ones((1, 5, 5, 3))).shape
    (1, 5, 5, 4)
    """

    rank = 2


for _cls, _args in (
    (DepthwiseConv1D, _DEPTHWISE_ARGS),
    (DepthwiseConv2D, _DEPTHWISE_ARGS),
    (SeparableConv1D, _SEPARABLE_ARGS),
    (SeparableConv2D, _SEPARABLE_ARGS),
):
    _doc = _cls.__doc__ or ""
    _head, _sep, _example = _doc.partition("\n\n    >>>")
    _cls.__doc__ = f"{_head}\n{_args}\n    >>>{_example}"
