"""Moving blocks between space and depth: depth_to_space, space_to_depth, unfold, fold; polar."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .._typing import ArrayLike
from ._conv import standardize_data_format
from ._core import convert_to_tensor
from ._dispatch import symbolic_op
from ._signal import complex_of


def _block_arguments(x: Any, block_size: int, data_format: Any, op: str) -> tuple[jax.Array, str]:
    data_format = standardize_data_format(data_format)
    if block_size < 2:
        raise ValueError(f"`block_size` must be at least 2. Received: block_size={block_size}")
    x = convert_to_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"`{op}` requires a 4D input tensor. Received: x.shape={x.shape}")
    return x, data_format


@symbolic_op
def depth_to_space(x: ArrayLike, block_size: int, data_format: str = "channels_last") -> jax.Array:
    """Move channels into ``block_size x block_size`` spatial blocks (pixel shuffle).

    Args:
        x: 4-D tensor ``(batch, height, width, channels)`` (or channels first).
        block_size: Side of the blocks, at least 2; ``channels`` must divide by its square.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        ``(batch, height * b, width * b, channels // b**2)`` (or channels first).

    Raises:
        ValueError: For ``block_size < 2``, a non-4-D input, or channels not
            divisible by ``block_size**2``.

    >>> ops.depth_to_space(ops.ones((1, 2, 2, 8)), 2).shape
    (1, 4, 4, 2)
    """
    t, data_format = _block_arguments(x, block_size, data_format, "depth_to_space")
    b = block_size
    if data_format == "channels_last":
        n, h, w, c = t.shape
    else:
        n, c, h, w = t.shape
    if c % (b * b):
        raise ValueError(
            f"The number of channels ({c}) must be divisible by block_size**2 ({b * b})."
        )
    if data_format == "channels_last":
        t = jnp.reshape(t, (n, h, w, b, b, c // (b * b))).transpose(0, 1, 3, 2, 4, 5)
        return jnp.reshape(t, (n, h * b, w * b, c // (b * b)))
    t = jnp.reshape(t, (n, c // (b * b), b, b, h, w)).transpose(0, 1, 4, 2, 5, 3)
    return jnp.reshape(t, (n, c // (b * b), h * b, w * b))


@symbolic_op
def space_to_depth(x: ArrayLike, block_size: int, data_format: str = "channels_last") -> jax.Array:
    """Move ``block_size x block_size`` spatial blocks into channels (pixel unshuffle).

    Args:
        x: 4-D tensor ``(batch, height, width, channels)`` (or channels first).
        block_size: Side of the blocks, at least 2, dividing height and width.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        ``(batch, height // b, width // b, channels * b**2)`` (or channels first).

    Raises:
        ValueError: For ``block_size < 2``, a non-4-D input, or a height or
            width not divisible by ``block_size``.

    >>> ops.space_to_depth(ops.ones((1, 4, 4, 2)), 2).shape
    (1, 2, 2, 8)
    """
    t, data_format = _block_arguments(x, block_size, data_format, "space_to_depth")
    b = block_size
    if data_format == "channels_last":
        n, h, w, c = t.shape
    else:
        n, c, h, w = t.shape
    for name, size in (("Height", h), ("Width", w)):
        if size % b:
            raise ValueError(f"{name} ({size}) must be divisible by block_size ({b}).")
    if data_format == "channels_last":
        t = jnp.reshape(t, (n, h // b, b, w // b, b, c)).transpose(0, 1, 3, 2, 4, 5)
        return jnp.reshape(t, (n, h // b, w // b, c * b * b))
    t = jnp.reshape(t, (n, c, h // b, b, w // b, b)).transpose(0, 1, 3, 5, 2, 4)
    return jnp.reshape(t, (n, c * b * b, h // b, w // b))


def _pair(value: Any) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _grid(size: int, kernel: int, dilation: int, padding: int, stride: int) -> int:
    """How many windows fit along one axis of the padded input."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _window_index(i: int, d: int, s: int, count: int) -> slice:
    return slice(i * d, i * d + (count - 1) * s + 1, s)


@symbolic_op
def unfold(
    x: ArrayLike, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> jax.Array:
    """Sliding blocks of a ``(N, C, H, W)`` image, flattened into columns (im2col).

    Args:
        x: 4-D tensor in channels-first layout.
        kernel_size: Window size, an int or ``(kh, kw)``.
        dilation: Spacing of the window's elements.
        padding: Zeros added on both sides of each spatial axis.
        stride: Step of the window.

    Returns:
        ``(N, C * kh * kw, L)``: column ``l`` is window ``l`` in row-major
        order, channel-major within (``c * kh * kw + i * kw + j``).

    Raises:
        ValueError: If ``x`` is not 4-D.

    >>> ops.unfold(ops.ones((1, 2, 4, 4)), 2, stride=2).shape
    (1, 8, 4)
    """
    x = convert_to_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"Input must be a 4D tensor. Received: input.shape={x.shape}")
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = map(_pair, (kernel_size, dilation, padding, stride))
    n, c, h, w = x.shape
    x = jnp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh, ow = _grid(h, kh, dh, ph, sh), _grid(w, kw, dw, pw, sw)
    blocks = [
        x[:, :, _window_index(i, dh, sh, oh), _window_index(j, dw, sw, ow)]
        for i in range(kh)
        for j in range(kw)
    ]
    return jnp.stack(blocks, axis=2).reshape(n, c * kh * kw, oh * ow)


@symbolic_op
def fold(
    x: ArrayLike,
    output_size: Any,
    kernel_size: Any,
    dilation: Any = 1,
    padding: Any = 0,
    stride: Any = 1,
) -> jax.Array:
    """Sum columns of sliding blocks back into a ``(N, C, H, W)`` image (col2im).

    The inverse layout of :func:`unfold`: overlapping blocks add up.

    Args:
        x: 3-D tensor ``(N, C * kh * kw, L)``.
        output_size: ``(H, W)`` of the image (an int for both).
        kernel_size: Window size, an int or ``(kh, kw)``.
        dilation: Spacing of the window's elements.
        padding: Zeros on each side that :func:`unfold` added (cropped here).
        stride: Step of the window.

    Returns:
        A tensor ``(N, C, H, W)``.

    Raises:
        ValueError: If ``x`` is not 3-D, or its second axis does not fit the
            kernel and ``L`` does not fit the output size.

    >>> ops.fold(ops.ones((1, 8, 4)), (4, 4), 2, stride=2).shape
    (1, 2, 4, 4)
    """
    x = convert_to_tensor(x)
    if x.ndim != 3:
        raise ValueError(f"Input must be a 3D tensor. Received: input.shape={x.shape}")
    (oh, ow), (kh, kw) = _pair(output_size), _pair(kernel_size)
    (dh, dw), (ph, pw), (sh, sw) = map(_pair, (dilation, padding, stride))
    n, ckk, length = x.shape
    nh, nw = _grid(oh, kh, dh, ph, sh), _grid(ow, kw, dw, pw, sw)
    if ckk % (kh * kw) or length != nh * nw:
        raise ValueError(
            f"The second dimension of the input ({ckk}) must be divisible by kernel_size "
            f"product ({kh * kw}), and the third ({length}) must be the number of blocks "
            f"that fit output_size={(oh, ow)} ({nh} x {nw}). Received: input.shape={x.shape}."
        )
    c = ckk // (kh * kw)
    blocks = jnp.reshape(x, (n, c, kh, kw, nh, nw))
    out = jnp.zeros((n, c, oh + 2 * ph, ow + 2 * pw), x.dtype)
    for i in range(kh):
        for j in range(kw):
            index = (..., _window_index(i, dh, sh, nh), _window_index(j, dw, sw, nw))
            out = out.at[index].add(blocks[:, :, i, j])
    return out[:, :, ph : ph + oh, pw : pw + ow]


@symbolic_op
def polar(abs_: ArrayLike, angle: ArrayLike) -> jax.Array:
    """The complex tensor ``abs_ * (cos(angle) + 1j * sin(angle))``.

    Args:
        abs_: Magnitudes (float tensor).
        angle: Angles in radians, same shape.

    Returns:
        A complex tensor.

    Raises:
        ValueError: If the shapes differ or the inputs are not floats.

    >>> ops.polar(ops.array([2.0]), ops.array([0.0]))
    Array([2.+0.j], dtype=complex64)
    """
    abs_, angle = convert_to_tensor(abs_), convert_to_tensor(angle)
    return complex_of((abs_ * jnp.cos(angle), abs_ * jnp.sin(angle)))
