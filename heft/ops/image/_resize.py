"""Size-changing ops of ``heft.ops.image``: resize, crop, pad, patches, scale-and-translate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from .._core import saturate_cast
from .._dispatch import symbolic_op
from ._common import as_array, check_image_rank, data_format_of

RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic")
SCALE_AND_TRANSLATE_METHODS = (
    "linear", "bilinear", "trilinear", "cubic", "bicubic", "tricubic", "lanczos3", "lanczos5",
)  # fmt: skip


def _spatial_axes(data_format: str) -> tuple[int, int]:
    return (-3, -2) if data_format == "channels_last" else (-2, -1)


def _crop_to_aspect(images: jax.Array, size: tuple[int, int], data_format: str) -> jax.Array:
    """The largest centred window of ``images`` with the aspect ratio of ``size``."""
    h_axis, w_axis = _spatial_axes(data_format)
    height, width = images.shape[h_axis], images.shape[w_axis]
    target_h, target_w = size
    crop_h = max(min(height, int(float(width * target_h) / target_w)), 1)
    crop_w = max(min(width, int(float(height * target_w) / target_h)), 1)
    top = int(float(height - crop_h) / 2)
    left = int(float(width - crop_w) / 2)
    index = [slice(None)] * images.ndim
    index[h_axis] = slice(top, top + crop_h)
    index[w_axis] = slice(left, left + crop_w)
    return images[tuple(index)]


def _pad_to_aspect(
    images: jax.Array, size: tuple[int, int], fill_value: float, data_format: str
) -> jax.Array:
    """``images`` padded on both sides (with ``fill_value``) to the aspect ratio of ``size``."""
    h_axis, w_axis = _spatial_axes(data_format)
    height, width = images.shape[h_axis], images.shape[w_axis]
    target_h, target_w = size
    pad_h = max(height, int(float(width * target_h) / target_w))
    pad_w = max(width, int(float(height * target_w) / target_h))
    top = int(float(pad_h - height) / 2)
    left = int(float(pad_w - width) / 2)
    if top > 0:
        axis, amount = h_axis, top
    elif left > 0:
        axis, amount = w_axis, left
    else:
        return images
    # The band is built as Keras builds it: in the image dtype times the fill value
    # for channels_last (so integer images become float32), in float32 otherwise.
    band_shape = list(images.shape)
    band_shape[axis] = amount
    if data_format == "channels_last":
        band = jnp.ones(band_shape, dtype=images.dtype) * fill_value
    else:
        band = jnp.ones(band_shape, dtype="float32") * fill_value
    return jnp.concatenate([band, images, band], axis=axis)


@symbolic_op
def resize(
    images: Any,
    size: Sequence[int],
    interpolation: str = "bilinear",
    antialias: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    fill_mode: str = "constant",
    fill_value: float = 0.0,
    data_format: str | None = None,
) -> jax.Array:
    """Resize images to ``size`` with ``jax.image.resize``.

    Args:
        images: One image (rank 3) or a batch (rank 4).
        size: ``(height, width)`` of the result.
        interpolation: ``"bilinear"``, ``"nearest"``, ``"lanczos3"``, ``"lanczos5"``
            or ``"bicubic"``.
        antialias: Whether to low-pass filter when downsampling.
        crop_to_aspect_ratio: Crop the centred window with the target's aspect ratio first.
        pad_to_aspect_ratio: Pad to the target's aspect ratio (with ``fill_value``) first.
        fill_mode: Only ``"constant"``.
        fill_value: The value of the padding.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` means
            ``heft.config.image_data_format()``.

    Returns:
        The resized images; integer images are rounded and clipped back to their dtype.

    Raises:
        ValueError: On a bad ``size``, rank, interpolation or fill mode, or when both
            aspect-ratio options are set.

    >>> import numpy as np
    >>> resize(np.ones((2, 4, 4, 3), "float32"), (2, 2)).shape
    (2, 2, 2, 3)
    """
    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers. Received: size={size}")
    if size[0] <= 0 or size[1] <= 0:
        raise ValueError(f"`size` must have positive height and width. Received: size={size}")
    images = as_array(images)
    check_image_rank(images)
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError(
            "Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`."
        )
    data_format = data_format_of(data_format)
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError(
            f"Invalid value for argument `interpolation`. Expected one of "
            f"{RESIZE_INTERPOLATIONS}. Received: interpolation={interpolation}"
        )
    if fill_mode != "constant":
        raise ValueError(
            "Invalid value for argument `fill_mode`. Only `'constant'` is supported. "
            f"Received: fill_mode={fill_mode}"
        )
    size = (int(size[0]), int(size[1]))
    original = images
    if crop_to_aspect_ratio:
        images = _crop_to_aspect(images, size, data_format)
    elif pad_to_aspect_ratio:
        images = _pad_to_aspect(images, size, fill_value, data_format)
    h_axis, w_axis = _spatial_axes(data_format)
    out_shape = list(images.shape)
    out_shape[h_axis], out_shape[w_axis] = size
    resized = jax.image.resize(images, out_shape, method=interpolation, antialias=antialias)
    if resized.dtype == original.dtype:
        return resized
    if jnp.issubdtype(original.dtype, jnp.integer):
        resized = jnp.round(resized)
    return saturate_cast(resized, original.dtype)


def _check_non_negative(**values: int | None) -> None:
    for name, value in values.items():
        if value is not None and value < 0:
            raise ValueError(f"{name} must be >= 0. Received: {name}={value}")


def _check_two_of(kind: str, names: tuple[str, str, str], values: tuple) -> None:
    if list(values).count(None) != 1:
        given = ", ".join(f"{n}={v}" for n, v in zip(names, values, strict=True))
        raise ValueError(f"Must specify exactly two of {', '.join(names)}. Received: {given}")


@symbolic_op
def pad_images(
    images: Any,
    top_padding: int | None = None,
    left_padding: int | None = None,
    bottom_padding: int | None = None,
    right_padding: int | None = None,
    target_height: int | None = None,
    target_width: int | None = None,
    data_format: str | None = None,
) -> jax.Array:
    """Pad images with zeros to ``target_height`` x ``target_width`` or by given amounts.

    Exactly two of ``top_padding``, ``bottom_padding``, ``target_height`` must be
    given, and two of ``left_padding``, ``right_padding``, ``target_width``.

    Args:
        images: One image (rank 3) or a batch (rank 4).
        top_padding: Rows of zeros added above.
        left_padding: Columns of zeros added on the left.
        bottom_padding: Rows of zeros added below.
        right_padding: Columns of zeros added on the right.
        target_height: Height of the result.
        target_width: Width of the result.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` means
            ``heft.config.image_data_format()``.

    Returns:
        The padded images.

    Raises:
        ValueError: If the arguments do not fix the padding or a padding is negative.

    >>> import numpy as np
    >>> pad_images(np.ones((2, 2, 1)), 1, 1, target_height=4, target_width=4).shape
    (4, 4, 1)
    """
    images = as_array(images)
    check_image_rank(images)
    _check_two_of("padding", ("top_padding", "bottom_padding", "target_height"),
                  (top_padding, bottom_padding, target_height))  # fmt: skip
    _check_two_of("padding", ("left_padding", "right_padding", "target_width"),
                  (left_padding, right_padding, target_width))  # fmt: skip
    _check_non_negative(
        top_padding=top_padding, bottom_padding=bottom_padding, target_height=target_height,
        left_padding=left_padding, right_padding=right_padding, target_width=target_width,
    )  # fmt: skip
    data_format = data_format_of(data_format)
    h_axis, w_axis = _spatial_axes(data_format)
    height, width = images.shape[h_axis], images.shape[w_axis]
    if top_padding is None:
        top_padding = target_height - bottom_padding - height  # type: ignore[operator]
    if bottom_padding is None:
        bottom_padding = target_height - top_padding - height  # type: ignore[operator]
    if left_padding is None:
        left_padding = target_width - right_padding - width  # type: ignore[operator]
    if right_padding is None:
        right_padding = target_width - left_padding - width  # type: ignore[operator]
    _check_non_negative(
        top_padding=top_padding, left_padding=left_padding,
        right_padding=right_padding, bottom_padding=bottom_padding,
    )  # fmt: skip
    pad_width = [(0, 0)] * images.ndim
    pad_width[h_axis] = (top_padding, bottom_padding)
    pad_width[w_axis] = (left_padding, right_padding)
    return jnp.pad(images, pad_width)


@symbolic_op
def crop_images(
    images: Any,
    top_cropping: int | None = None,
    left_cropping: int | None = None,
    bottom_cropping: int | None = None,
    right_cropping: int | None = None,
    target_height: int | None = None,
    target_width: int | None = None,
    data_format: str | None = None,
) -> jax.Array:
    """Crop images to ``target_height`` x ``target_width`` or by given amounts.

    Exactly two of ``top_cropping``, ``bottom_cropping``, ``target_height`` must be
    given, and two of ``left_cropping``, ``right_cropping``, ``target_width``.

    Args:
        images: One image (rank 3) or a batch (rank 4).
        top_cropping: Rows removed at the top.
        left_cropping: Columns removed on the left.
        bottom_cropping: Rows removed at the bottom.
        right_cropping: Columns removed on the right.
        target_height: Height of the result.
        target_width: Width of the result.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` means
            ``heft.config.image_data_format()``.

    Returns:
        The cropped images.

    Raises:
        ValueError: If the arguments do not fix the crop or a value is negative.

    >>> import numpy as np
    >>> crop_images(np.ones((4, 4, 1)), 1, 1, target_height=2, target_width=2).shape
    (2, 2, 1)
    """
    images = as_array(images)
    check_image_rank(images)
    _check_two_of("cropping", ("top_cropping", "bottom_cropping", "target_height"),
                  (top_cropping, bottom_cropping, target_height))  # fmt: skip
    _check_two_of("cropping", ("left_cropping", "right_cropping", "target_width"),
                  (left_cropping, right_cropping, target_width))  # fmt: skip
    _check_non_negative(
        top_cropping=top_cropping, bottom_cropping=bottom_cropping, target_height=target_height,
        left_cropping=left_cropping, right_cropping=right_cropping, target_width=target_width,
    )  # fmt: skip
    data_format = data_format_of(data_format)
    h_axis, w_axis = _spatial_axes(data_format)
    height, width = images.shape[h_axis], images.shape[w_axis]
    if top_cropping is None:
        top_cropping = height - target_height - bottom_cropping  # type: ignore[operator]
    if target_height is None:
        target_height = height - bottom_cropping - top_cropping  # type: ignore[operator]
    if left_cropping is None:
        left_cropping = width - target_width - right_cropping  # type: ignore[operator]
    if target_width is None:
        target_width = width - right_cropping - left_cropping  # type: ignore[operator]
    _check_non_negative(
        top_cropping=top_cropping, target_height=target_height,
        left_cropping=left_cropping, target_width=target_width,
    )  # fmt: skip
    start = [0] * images.ndim
    shape = list(images.shape)
    start[h_axis], start[w_axis] = top_cropping, left_cropping
    shape[h_axis], shape[w_axis] = target_height, target_width
    return jax.lax.dynamic_slice(images, start, shape)


def _patches(
    images: jax.Array,
    size: tuple[int, ...],
    strides: Any,
    dilation_rate: Any,
    padding: str,
    data_format: str,
) -> jax.Array:
    """Patches as an identity convolution: one output channel per (offset, channel) pair."""
    spatial = len(size)
    channels = images.shape[-1] if data_format == "channels_last" else images.shape[1]
    depth = channels
    for s in size:
        depth *= s
    kernel = jnp.reshape(jnp.eye(depth, dtype=images.dtype), (*size, channels, depth))
    strides = (strides,) * spatial if isinstance(strides, int) else tuple(strides)
    dilation = (dilation_rate,) * spatial if isinstance(dilation_rate, int) else dilation_rate
    letters = "DHW"[-spatial:]
    lhs = f"N{letters}C" if data_format == "channels_last" else f"NC{letters}"
    dims = jax.lax.conv_dimension_numbers(images.shape, kernel.shape, (lhs, f"{letters}IO", lhs))
    return jax.lax.conv_general_dilated(
        images, kernel, strides, padding.upper(), rhs_dilation=tuple(dilation),
        dimension_numbers=dims,
    )  # fmt: skip


@symbolic_op
def extract_patches(
    images: Any,
    size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    dilation_rate: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
) -> jax.Array:
    """Extract patches of ``size`` from images, flattened into the channel axis.

    Args:
        images: One image (rank 3) or a batch (rank 4); with a 3-element ``size``,
            one volume (rank 4) or a batch of volumes (rank 5).
        size: Patch size: an int, ``(height, width)`` or ``(depth, height, width)``.
        strides: Step between patches; defaults to ``size``.
        dilation_rate: Distance between sampled pixels inside a patch.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` means
            ``heft.config.image_data_format()``.

    Returns:
        Patches of shape ``(..., rows, cols, size_h * size_w * channels)`` (channels_last).

    Raises:
        TypeError: If ``size`` has the wrong length.

    >>> import numpy as np
    >>> extract_patches(np.ones((1, 4, 4, 2), "float32"), 2).shape
    (1, 2, 2, 8)
    """
    if not isinstance(size, int) and len(size) == 3:
        return extract_patches_3d(images, size, strides, dilation_rate, padding, data_format)
    if isinstance(size, int):
        size = (size, size)
    elif len(size) != 2:
        raise TypeError(
            f"Invalid `size` argument. Expected an int or a tuple of length 2. Received: size={size}"
        )
    images = as_array(images)
    if not strides:
        strides = size
    batched = images.ndim == 4
    out = _patches(
        images if batched else images[None], tuple(size), strides, dilation_rate, padding,
        data_format_of(data_format),
    )  # fmt: skip
    return out if batched else out[0]


@symbolic_op
def extract_patches_3d(
    volumes: Any,
    size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    dilation_rate: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
) -> jax.Array:
    """Extract 3-D patches of ``size`` from volumes, flattened into the channel axis.

    Args:
        volumes: One volume (rank 4) or a batch (rank 5).
        size: Patch size: an int or ``(depth, height, width)``.
        strides: Step between patches; defaults to ``size``.
        dilation_rate: Distance between sampled voxels inside a patch.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` means
            ``heft.config.image_data_format()``.

    Returns:
        Patches of shape ``(..., d, h, w, size_d * size_h * size_w * channels)`` (channels_last).

    Raises:
        TypeError: If ``size`` is not an int or a 3-tuple.
        ValueError: If ``strides`` is not an int or a 3-tuple.

    >>> import numpy as np
    >>> extract_patches_3d(np.ones((4, 4, 4, 1), "float32"), 2).shape
    (2, 2, 2, 8)
    """
    if isinstance(size, int):
        size = (size, size, size)
    elif len(size) != 3:
        raise TypeError(
            f"Invalid `size` argument. Expected an int or a tuple of length 3. Received: size={size}"
        )
    if strides is None:
        strides = size
    if isinstance(strides, int):
        strides = (strides, strides, strides)
    if len(strides) != 3:
        raise ValueError(f"Invalid `strides` argument. Got: {strides}")
    volumes = as_array(volumes)
    batched = volumes.ndim == 5
    out = _patches(
        volumes if batched else volumes[None], tuple(size), strides, dilation_rate, padding,
        data_format_of(data_format),
    )  # fmt: skip
    return out if batched else out[0]


@symbolic_op
def scale_and_translate(
    images: Any,
    output_shape: Sequence[int],
    scale: Any,
    translation: Any,
    spatial_dims: Sequence[int],
    method: str,
    antialias: bool = True,
) -> jax.Array:
    """Scale and translate images along ``spatial_dims`` (``jax.image.scale_and_translate``).

    Args:
        images: The input array.
        output_shape: Shape of the result.
        scale: One scale factor per spatial dim.
        translation: One translation per spatial dim.
        spatial_dims: The axes that are resampled.
        method: ``"linear"``/``"bilinear"``/``"trilinear"``, ``"cubic"``/``"bicubic"``/
            ``"tricubic"``, ``"lanczos3"`` or ``"lanczos5"``.
        antialias: Whether to low-pass filter when downsampling.

    Returns:
        The resampled array of ``output_shape``.

    Raises:
        ValueError: If ``method`` is unknown.

    >>> import numpy as np
    >>> scale_and_translate(np.ones((2, 2), "float32"), (4, 4), [2.0, 2.0], [0.0, 0.0],
    ...                     (0, 1), "linear").shape
    (4, 4)
    """
    if method not in SCALE_AND_TRANSLATE_METHODS:
        raise ValueError(
            f"Invalid value for argument `method`. Expected one of "
            f"{SCALE_AND_TRANSLATE_METHODS}. Received: method={method}"
        )
    return jax.image.scale_and_translate(
        as_array(images), tuple(output_shape), tuple(spatial_dims), as_array(scale),
        as_array(translation), method, antialias,
    )  # fmt: skip
