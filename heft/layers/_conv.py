"""Convolution layers ``Conv1D`` and ``Conv2D``, and the argument checks they share."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from .._platform import _cpu_conv
from .._typing import Shape
from ..ops._conv import conv_output_length as conv_output_length
from ..ops._conv import convolve
from ..ops._conv import standardize_data_format as standardize_data_format
from ._arguments import (
    KERNEL_BIAS_ARGUMENTS,
    KernelBiasArguments,
    argument_config,
    set_arguments,
    weight_arguments,
)
from ._configured import KernelAttribute, configured_weight, optional_bias
from ._input_spec import InputSpec
from ._layer import Layer


def standardize_tuple(value: Any, n: int, name: str, allow_zero: bool = False) -> tuple:
    """``value`` (an int or ``n`` ints) as a tuple of ``n`` non-negative ints."""
    bound = "non-negative" if allow_zero else "positive"
    message = (
        f"The `{name}` argument must be an integer or a tuple of {n} {bound} integers. "
        f"Received: {name}={value!r}."
    )
    if isinstance(value, int) and not isinstance(value, bool):
        out = (value,) * n
    elif isinstance(value, list | tuple):
        out = tuple(value)
    else:
        raise ValueError(message)
    if len(out) != n or not all(isinstance(v, int) and not isinstance(v, bool) for v in out):
        raise ValueError(message)
    if any(v < 0 or (v == 0 and not allow_zero) for v in out):
        raise ValueError(message + f" Use {bound} values.")
    return out


def standardize_padding(value: Any, allow_causal: bool = False) -> str:
    """``value`` lower-cased, checked to be ``"valid"``, ``"same"`` (or ``"causal"``)."""
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        raise ValueError(
            f"The `padding` argument must be one of {allowed}. Received: padding={value!r}. "
            "Use 'valid' for no padding or 'same' to keep the spatial size (with stride 1)."
        )
    return padding


# The config keys of the convolutions, in Keras's order.
_CONFIG_KEYS = (
    "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups",
    "activation", "use_bias", *weight_arguments("kernel", "bias", activity=True),
)  # fmt: skip


class _Conv(KernelAttribute, Layer, KernelBiasArguments):
    """Shared N-D convolution with Keras's kernel layout ``(*kernel_size, in/groups, out)``."""

    rank = 0

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        groups: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        lora_rank: int | None = None,
        lora_alpha: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        cls = type(self).__name__
        if lora_rank is not None or lora_alpha is not None:
            raise ValueError(
                f"{cls} layer '{self.name}': LoRA (`lora_rank`, `lora_alpha`) is not supported "
                "by heft. Remove these arguments."
            )
        if isinstance(filters, bool) or not isinstance(filters, int) or filters <= 0:
            raise ValueError(
                "Invalid value for argument `filters`. Expected a strictly positive integer. "
                f"Received: filters={filters!r}."
            )
        if isinstance(groups, bool) or not isinstance(groups, int) or groups <= 0:
            raise ValueError(
                f"The number of groups must be a positive integer. Received: groups={groups!r}."
            )
        if filters % groups != 0:
            raise ValueError(
                "The number of filters must be evenly divisible by the number of groups. "
                f"Received: groups={groups}, filters={filters}. Change one of them."
            )
        self.filters = filters
        self.groups = groups
        self.kernel_size = standardize_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = standardize_tuple(strides, self.rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, self.rank, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                "`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}. "
                "Set one of them to 1."
            )
        self.padding = standardize_padding(padding, allow_causal=self.rank == 1)
        self.data_format = standardize_data_format(data_format)
        set_arguments(self, locals(), KERNEL_BIAS_ARGUMENTS)
        self.input_spec = InputSpec(min_ndim=self.rank + 2)

    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def build(self, input_shape: Any) -> None:
        if len(input_shape) != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects inputs of rank "
                f"{self.rank + 2} (batch, {self.rank} spatial axes, channels). Received: "
                f"input_shape={tuple(input_shape)}."
            )
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ValueError(
                f"The channel dimension of the inputs to {type(self).__name__} layer "
                f"'{self.name}' must be known. Received: input_shape={tuple(input_shape)}."
            )
        if channels % self.groups != 0:
            raise ValueError(
                "The number of input channels must be evenly divisible by the number of "
                f"groups. Received groups={self.groups}, but the input has {channels} channels "
                f"(full input shape is {tuple(input_shape)})."
            )
        self.compute_output_shape(input_shape)
        shape = (*self.kernel_size, channels // self.groups, self.filters)
        self._kernel = configured_weight(self, "kernel", shape, "kernel")
        self.bias = optional_bias(self, (self.filters,))
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={self._channel_axis(): channels})

    def _dimension_numbers(self) -> tuple[str, str, str]:
        spatial = "WHD"[: self.rank][::-1]
        lhs = f"N{spatial}C" if self.data_format == "channels_last" else f"NC{spatial}"
        return lhs, f"{spatial}IO", lhs

    def _padded_valid(self, channels: int) -> bool:
        """Whether to run this ``valid`` convolution padded by one row, then cropped.

        A tweak for XLA's CPU backend (``heft/_platform/_cpu_conv.py``, switch
        ``HEFT_CPU_CONV``): the one zero row after the last adds one output row,
        which is sliced off; the rest agree with the unpadded convolution's.
        """
        return self.rank == 2 and _cpu_conv.pads_valid(
            self.padding, self.groups, self.strides, self.kernel_size, channels
        )

    def call(self, inputs: Any) -> Any:
        kernel = self._kernel.value
        x = inputs.astype(kernel.dtype)
        out = convolve(
            x,
            kernel,
            self.strides,
            self.padding,
            self.dilation_rate,
            self.data_format,
            self.groups,
        )
        if self.bias is not None:
            shape = [1] * out.ndim
            shape[self._channel_axis()] = self.filters
            out = out + jnp.reshape(self.bias.value, shape)
        return self.activation(out) if self.activation is not None else out

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        shape = tuple(input_shape)
        if self.data_format == "channels_last":
            spatial = shape[1:-1]
        else:
            spatial = shape[2:]
        if len(spatial) != self.rank:
            raise ValueError(
                f"{type(self).__name__} layer '{self.name}' expects inputs of rank "
                f"{self.rank + 2} (batch, {self.rank} spatial axes, channels). Received: "
                f"input_shape={shape}."
            )
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
        if self.data_format == "channels_last":
            return (shape[0], *out, self.filters)
        return (shape[0], self.filters, *out)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(argument_config(self, _CONFIG_KEYS))
        return config


class Conv1D(_Conv):
    """1D convolution over ``(batch, steps, channels)`` inputs (``channels_last``).

    The kernel has shape ``(kernel_size, input_channels // groups, filters)``.

    Args:
        filters: Number of output channels.
        kernel_size: Length of the window (an int or a 1-tuple).
        strides: Stride of the window.
        padding: ``"valid"``, ``"same"`` or ``"causal"`` (left padding only, so
            output ``t`` sees inputs up to ``t``).
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            the global image data format.
        dilation_rate: Dilation of the window (``> 1`` needs ``strides=1``).
        groups: Number of channel groups, dividing inputs and filters.
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
        ValueError: For bad filters, groups, sizes, strides, padding or data
            format names, or inputs of the wrong rank.

    >>> import heft
    >>> Conv1D(4, 3)(heft.ops.ones((2, 10, 3))).shape
    (2, 8, 4)
    """

    rank = 1


class Conv2D(_Conv):
    """2D convolution over ``(batch, height, width, channels)`` inputs (``channels_last``).

    The kernel has shape ``(*kernel_size, input_channels // groups, filters)``.

    Args:
        filters: Number of output channels.
        kernel_size: Height and width of the window (an int or a 2-tuple).
        strides: Strides of the window.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            the global image data format.
        dilation_rate: Dilation of the window (``> 1`` needs ``strides=1``).
        groups: Number of channel groups, dividing inputs and filters.
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
        ValueError: For bad filters, groups, sizes, strides, padding or data
            format names, or inputs of the wrong rank.

    >>> import heft
    >>> Conv2D(8, 3, padding="same")(heft.ops.ones((2, 5, 5, 3))).shape
    (2, 5, 5, 8)
    """

    rank = 2


class Conv3D(_Conv):
    """3D convolution over ``(batch, depth, height, width, channels)`` inputs (``channels_last``).

    The kernel has shape ``(*kernel_size, input_channels // groups, filters)``.

    Args:
        filters: Number of output channels.
        kernel_size: Depth, height and width of the window (an int or a 3-tuple).
        strides: Strides of the window.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            the global image data format.
        dilation_rate: Dilation of the window (``> 1`` needs ``strides=1``).
        groups: Number of channel groups, dividing inputs and filters.
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
        ValueError: For bad filters, groups, sizes, strides, padding or data
            format names, or inputs of the wrong rank.

    >>> import heft
    >>> Conv3D(2, 3)(heft.ops.ones((1, 4, 5, 6, 3))).shape
    (1, 2, 3, 4, 2)
    """

    rank = 3
