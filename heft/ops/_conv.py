"""Convolutions: the lowering the conv layers share, and ``conv``, ``depthwise_conv``, ...

The ops take Keras's kernel layouts: ``(*window, in // groups, out)`` for
``conv``, ``(*window, in, multiplier)`` for ``depthwise_conv`` and
``(*window, out, in)`` for ``conv_transpose``.
"""

from __future__ import annotations

from typing import Any, overload

import jax
import jax.numpy as jnp

from .. import _config
from .._platform import _cpu_conv
from .._platform._cpu_depthwise import depthwise_by_offsets
from .._typing import ArrayLike
from ._core import convert_to_tensor
from ._dispatch import symbolic_op


def standardize_data_format(value: Any) -> str:
    """``value`` (``None`` for the global default) checked to be a data format name."""
    if value is None:
        return _config.image_data_format()
    data_format = str(value).lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
            f"Received: data_format={value!r}. Use 'channels_last' for (batch, ..., channels) "
            "inputs or 'channels_first' for (batch, channels, ...)."
        )
    return data_format


@overload
def conv_output_length(
    length: int, kernel: int, stride: int, padding: str, dilation: int = 1
) -> int: ...
@overload
def conv_output_length(
    length: None, kernel: int, stride: int, padding: str, dilation: int = 1
) -> None: ...
def conv_output_length(
    length: int | None, kernel: int, stride: int, padding: str, dilation: int = 1
) -> int | None:
    """The output length of one spatial axis of a convolution or pooling."""
    if length is None:
        return None
    if padding == "valid":
        return (length - dilation * (kernel - 1) - 1) // stride + 1
    return (length + stride - 1) // stride


def _effective(kernel: int, dilation: int) -> int:
    return (kernel - 1) * dilation + 1


def transpose_output_length(
    length: int | None,
    kernel: int,
    stride: int,
    padding: str,
    output_padding: int | None,
    dilation: int = 1,
) -> int | None:
    """The output length of one spatial axis of a transposed convolution.

    ``"valid"`` gives ``(length - 1) * stride + kernel + output_padding`` (the
    default ``output_padding`` fills up to ``max(kernel, stride)``); ``"same"``
    gives ``length * stride``, or ``(length - 1) * stride + kernel % 2 +
    output_padding`` when ``output_padding`` is given.
    """
    if length is None:
        return None
    k = _effective(kernel, dilation)
    if padding == "valid":
        extra = max(k, stride) - k if output_padding is None else output_padding
        return (length - 1) * stride + k + extra
    if output_padding is None:
        return length * stride
    return (length - 1) * stride + k % 2 + output_padding


def transpose_padding(
    kernel: int, stride: int, padding: str, output_padding: int | None, dilation: int = 1
) -> tuple[int, int]:
    """Padding ``(before, after)`` of the stride-dilated input for one spatial axis.

    A transposed convolution is a plain convolution of the flipped kernel over
    the input with ``stride - 1`` zeros between its elements; this padding makes
    that convolution's output as long as :func:`transpose_output_length` says.
    """
    k = _effective(kernel, dilation)
    if padding == "valid":
        extra = max(k, stride) - k if output_padding is None else output_padding
        return k - 1, k - 1 + extra
    if output_padding is None:
        total = stride + k - 2
    else:
        total = k + k % 2 - 2 + output_padding
    before = min((total + 1) // 2, k - 1)
    return before, total - before


def _layout(rank: int, data_format: str) -> tuple[str, str, str]:
    spatial = "WHD"[:rank][::-1]
    lhs = f"N{spatial}C" if data_format == "channels_last" else f"NC{spatial}"
    return lhs, f"{spatial}IO", lhs


def _spatial(x: Any, data_format: str) -> tuple:
    return tuple(x.shape[1:-1] if data_format == "channels_last" else x.shape[2:])


def _channels(x: Any, data_format: str) -> int:
    return x.shape[-1] if data_format == "channels_last" else x.shape[1]


def convolve(
    x: Any,
    kernel: Any,
    strides: tuple,
    padding: str,
    dilation_rate: tuple,
    data_format: str,
    groups: int = 1,
) -> jax.Array:
    """N-D convolution of ``x`` by ``kernel`` (``(*window, in // groups, out)``).

    ``padding`` is ``"valid"``, ``"same"`` or (1-D) ``"causal"``. On XLA's CPU
    backend 2-D convolutions may run padded-then-cropped or split along the
    batch (``heft/_platform/_cpu_conv.py``); the values are the plain ones.
    """
    rank = kernel.ndim - 2
    window = tuple(kernel.shape[:-2])
    pads: Any = padding.upper()
    if padding == "causal":
        pads = [(dilation_rate[0] * (window[0] - 1), 0)]
    crop = rank == 2 and _cpu_conv.pads_valid(padding, groups, strides, window, kernel.shape[-2])
    if crop:
        pads = [(0, 1), (0, 0)]
    numbers = _layout(rank, data_format)

    def run(x: Any, kernel: Any) -> Any:
        out = jax.lax.conv_general_dilated(
            x,
            kernel,
            window_strides=strides,
            padding=pads,
            rhs_dilation=dilation_rate,
            dimension_numbers=numbers,
            feature_group_count=groups,
        )
        if crop:
            axis = 1 if data_format == "channels_last" else 2
            out = jax.lax.slice_in_dim(out, 0, out.shape[axis] - 1, axis=axis)
        return out

    if rank != 2:
        return run(x, kernel)
    lengths = [
        conv_output_length(n, k, s, padding, d)
        for n, k, s, d in zip(_spatial(x, data_format), window, strides, dilation_rate, strict=True)
    ]
    split = _cpu_conv.plan(x.shape, (x.shape[0], *lengths, kernel.shape[-1]), x.dtype)
    if split is None:
        return run(x, kernel)
    return _cpu_conv.split_convolution(x, kernel, run, split)


def depthwise_convolve(
    x: Any, kernel: Any, strides: tuple, padding: str, dilation_rate: tuple, data_format: str
) -> jax.Array:
    """Each channel of ``x`` convolved with its own filters (kernel ``(*window, in, mult)``).

    Output channel ``c * multiplier + m`` is input channel ``c`` under filter ``m``.
    """
    if _cpu_conv.applies():
        # XLA's CPU backend: one multiply-add per window offset (heft/_platform/_cpu_depthwise.py).
        last = x if data_format == "channels_last" else jnp.moveaxis(x, 1, -1)
        result = depthwise_by_offsets(last, kernel, strides, padding, dilation_rate)
        if result is not None:
            return result if data_format == "channels_last" else jnp.moveaxis(result, -1, 1)
    channels = kernel.shape[-2]
    grouped = jnp.reshape(kernel, (*kernel.shape[:-2], 1, channels * kernel.shape[-1]))
    return jax.lax.conv_general_dilated(
        x,
        grouped,
        window_strides=strides,
        padding=padding.upper(),
        rhs_dilation=dilation_rate,
        dimension_numbers=_layout(kernel.ndim - 2, data_format),
        feature_group_count=channels,
    )


def transpose_convolve(
    x: Any,
    kernel: Any,
    strides: tuple,
    padding: str,
    output_padding: tuple | None,
    dilation_rate: tuple,
    data_format: str,
) -> jax.Array:
    """Transposed convolution of ``x`` by ``kernel`` (``(*window, out, in)``)."""
    window = kernel.shape[:-2]
    pads = [
        transpose_padding(k, s, padding, None if output_padding is None else output_padding[i], d)
        for i, (k, s, d) in enumerate(zip(window, strides, dilation_rate, strict=True))
    ]
    # The kernel is (*k, out, in): read as "IO" with O = in, then transpose_kernel
    # swaps the two and flips the window.
    return jax.lax.conv_transpose(
        x,
        kernel,
        strides,
        pads,
        rhs_dilation=dilation_rate,
        dimension_numbers=_layout(kernel.ndim - 2, data_format),
        transpose_kernel=True,
    )


def per_axis(value: Any, rank: int, name: str) -> tuple:
    """``value`` (an int or ``rank`` ints) as a tuple of ``rank`` ints."""
    out = (value,) * rank if isinstance(value, int) else tuple(value)
    if len(out) != rank or not all(isinstance(v, int) for v in out):
        raise ValueError(
            f"The `{name}` argument must be an int or a tuple of {rank} ints (one per spatial "
            f"axis of the input). Received: {name}={value!r}."
        )
    return out


def check_padding(padding: Any) -> str:
    """``padding`` lower-cased, checked to be ``"valid"`` or ``"same"``."""
    value = padding.lower() if isinstance(padding, str) else padding
    if value not in ("valid", "same"):
        raise ValueError(
            f"Invalid padding '{padding}', must be 'same' or 'valid'. Use 'valid' for no "
            "padding or 'same' to keep the spatial size (with stride 1)."
        )
    return value


def _inputs(inputs: Any, kernel: Any, op: str) -> tuple[jax.Array, jax.Array]:
    kernel = convert_to_tensor(kernel)
    x = convert_to_tensor(inputs).astype(kernel.dtype)
    if x.ndim != kernel.ndim or x.ndim < 3:
        raise ValueError(
            f"`{op}` takes inputs and a kernel of the same rank N + 2 (batch, N spatial axes, "
            f"channels). Received: inputs.shape={x.shape}, kernel.shape={kernel.shape}."
        )
    return x, kernel


def _check_lengths(x: Any, lengths: list, op: str) -> None:
    if any(n <= 0 for n in lengths):
        raise ValueError(
            f"The `{op}` operation would give an empty output (spatial size {tuple(lengths)}) "
            f"for inputs of shape {x.shape}: the input is too small for the kernel size, "
            "strides, dilation rate and padding. Use larger inputs or padding='same'."
        )


def _conv_arguments(
    x: Any, kernel: Any, strides: Any, padding: Any, data_format: Any, dilation_rate: Any, op: str
) -> tuple[tuple, str, str, tuple]:
    rank = kernel.ndim - 2
    strides = per_axis(strides, rank, "strides")
    dilation = per_axis(dilation_rate, rank, "dilation_rate")
    padding = check_padding(padding)
    data_format = standardize_data_format(data_format)
    window = kernel.shape[:-2]
    lengths = [
        conv_output_length(n, k, s, padding, d)
        for n, k, s, d in zip(_spatial(x, data_format), window, strides, dilation, strict=True)
    ]
    _check_lengths(x, lengths, op)
    return strides, padding, data_format, dilation


def _check_channels(x: Any, channels: int, data_format: str) -> None:
    if _channels(x, data_format) != channels:
        raise ValueError(
            "The number of input channels must match the kernel's input channels. Received: "
            f"input channels={_channels(x, data_format)}, kernel input channels={channels}, "
            f"data_format='{data_format}'."
        )


@symbolic_op
def conv(
    inputs: ArrayLike,
    kernel: ArrayLike,
    strides: Any = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: Any = 1,
) -> jax.Array:
    """N-D convolution (1-D, 2-D or 3-D) of ``inputs`` by ``kernel``.

    Args:
        inputs: Tensor of rank N + 2: ``(batch, *spatial, channels)``, or
            ``(batch, channels, *spatial)`` for ``channels_first``.
        kernel: Tensor ``(*window, channels // groups, filters)``; the input
            channels over ``kernel.shape[-2]`` give the number of groups.
        strides: An int or one int per spatial axis.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            the global image data format.
        dilation_rate: An int or one int per spatial axis.

    Returns:
        A tensor of rank N + 2 in the kernel's dtype.

    Raises:
        ValueError: For a bad padding, data format, ranks, a channel count not
            divisible by the kernel's, or an empty output.

    >>> ops.conv(ops.ones((1, 5, 2)), ops.ones((3, 2, 4))).shape
    (1, 3, 4)
    """
    x, kernel = _inputs(inputs, kernel, "conv")
    strides, padding, data_format, dilation = _conv_arguments(
        x, kernel, strides, padding, data_format, dilation_rate, "conv"
    )
    channels, per_group = _channels(x, data_format), kernel.shape[-2]
    if channels % per_group:
        raise ValueError(
            "The number of input channels must be evenly divisible by kernel's in_channels. "
            f"Received input channels {channels} and kernel in_channels {per_group}. Give "
            "the kernel the input's channels (or a divisor of them, for grouped convolution)."
        )
    return convolve(x, kernel, strides, padding, dilation, data_format, channels // per_group)


@symbolic_op
def depthwise_conv(
    inputs: ArrayLike,
    kernel: ArrayLike,
    strides: Any = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: Any = 1,
) -> jax.Array:
    """Depthwise convolution: each input channel convolved with its own filters.

    Args:
        inputs: Tensor of rank N + 2 (see :func:`conv`).
        kernel: Tensor ``(*window, channels, multiplier)``.
        strides: An int or one int per spatial axis.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            the global image data format.
        dilation_rate: An int or one int per spatial axis.

    Returns:
        A tensor with ``channels * multiplier`` channels; channel
        ``c * multiplier + m`` is input channel ``c`` under filter ``m``.

    Raises:
        ValueError: For a bad padding, data format, ranks, channel counts, or
            an empty output.

    >>> ops.depthwise_conv(ops.ones((1, 5, 2)), ops.ones((3, 2, 2))).shape
    (1, 3, 4)
    """
    x, kernel = _inputs(inputs, kernel, "depthwise_conv")
    strides, padding, data_format, dilation = _conv_arguments(
        x, kernel, strides, padding, data_format, dilation_rate, "depthwise_conv"
    )
    _check_channels(x, kernel.shape[-2], data_format)
    return depthwise_convolve(x, kernel, strides, padding, dilation, data_format)


@symbolic_op
def separable_conv(
    inputs: ArrayLike,
    depthwise_kernel: ArrayLike,
    pointwise_kernel: ArrayLike,
    strides: Any = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: Any = 1,
) -> jax.Array:
    """A depthwise convolution followed by a pointwise (1x1) one mixing the channels.

    Args:
        inputs: Tensor of rank N + 2 (see :func:`conv`).
        depthwise_kernel: Tensor ``(*window, channels, multiplier)``.
        pointwise_kernel: Tensor ``(*ones, channels * multiplier, filters)``.
        strides: Strides of the depthwise step.
        padding: ``"valid"`` or ``"same"`` (depthwise step).
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            the global image data format.
        dilation_rate: Dilation of the depthwise step.

    Returns:
        A tensor with ``filters`` channels.

    Raises:
        ValueError: For a bad padding, data format, ranks, channel counts, or
            an empty output.

    >>> ops.separable_conv(ops.ones((1, 5, 2)), ops.ones((3, 2, 1)), ops.ones((1, 2, 4))).shape
    (1, 3, 4)
    """
    mid = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(mid, pointwise_kernel, 1, "valid", data_format, dilation_rate)


@symbolic_op
def conv_transpose(
    inputs: ArrayLike,
    kernel: ArrayLike,
    strides: Any = 1,
    padding: str = "valid",
    output_padding: Any = None,
    data_format: str | None = None,
    dilation_rate: Any = 1,
) -> jax.Array:
    """N-D transposed convolution (the gradient of :func:`conv` with respect to its input).

    Args:
        inputs: Tensor of rank N + 2 (see :func:`conv`).
        kernel: Tensor ``(*window, filters, channels)``.
        strides: An int or one int per spatial axis (the upsampling factors).
        padding: ``"valid"`` or ``"same"``.
        output_padding: Extra size at the end of each spatial axis (an int or
            one per axis, each below its stride); ``None`` infers it.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` uses
            the global image data format.
        dilation_rate: An int or one int per spatial axis.

    Returns:
        A tensor with ``filters`` channels.

    Raises:
        ValueError: For a bad padding, data format, ranks, channel counts, or
            an empty output.

    >>> ops.conv_transpose(ops.ones((1, 5, 2)), ops.ones((3, 4, 2)), strides=2).shape
    (1, 11, 4)
    """
    x, kernel = _inputs(inputs, kernel, "conv_transpose")
    rank = kernel.ndim - 2
    strides = per_axis(strides, rank, "strides")
    dilation = per_axis(dilation_rate, rank, "dilation_rate")
    extra = None if output_padding is None else per_axis(output_padding, rank, "output_padding")
    padding = check_padding(padding)
    data_format = standardize_data_format(data_format)
    _check_channels(x, kernel.shape[-1], data_format)
    lengths = [
        transpose_output_length(n, k, s, padding, None if extra is None else extra[i], d)
        for i, (n, k, s, d) in enumerate(
            zip(_spatial(x, data_format), kernel.shape[:-2], strides, dilation, strict=True)
        )
    ]
    _check_lengths(x, lengths, "conv_transpose")
    return transpose_convolve(x, kernel, strides, padding, extra, dilation, data_format)
