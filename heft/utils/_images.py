"""Image files and arrays: ``load_img``, ``img_to_array``, ``array_to_img``, ``save_img`` (Pillow)."""

from __future__ import annotations

import io
import pathlib
import warnings
from typing import Any

import numpy as np

from .._config import floatx, image_data_format

INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def pil_image() -> Any:
    """Pillow's ``PIL.Image`` module, imported on first use.

    Raises:
        ImportError: If Pillow is not installed, naming the pip package.
    """
    try:
        from PIL import Image
    except ImportError as err:
        raise ImportError(
            "Reading and writing images needs Pillow, which is not installed. "
            "Install it with: pip install pillow"
        ) from err
    return Image


def _data_format(data_format: str | None) -> str:
    data_format = image_data_format() if data_format is None else data_format.lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
            f"Received: data_format={data_format}"
        )
    return data_format


def array_to_img(
    x: Any, data_format: str | None = None, scale: bool = True, dtype: str | None = None
) -> Any:
    """A Pillow image from a 3-D array (height, width, channels) of 1, 3 or 4 channels.

    With ``scale=True`` the values are shifted and scaled to span 0-255. One
    channel gives an ``"L"`` image (``"I"``, 32-bit, when values exceed 255),
    three ``"RGB"``, four ``"RGBA"``.

    Raises:
        ImportError: If Pillow is not installed.
        ValueError: If ``x`` is not 3-D or has another number of channels.

    >>> array_to_img(np.zeros((2, 3, 3))).size
    (3, 2)
    """
    data_format = _data_format(data_format)
    image = pil_image()
    x = np.array(x, dtype=floatx() if dtype is None else dtype)
    if x.ndim != 3:
        raise ValueError(
            "Expected image array to have rank 3 (single image). Got array with shape: "
            f"{x.shape}. Pass one image, e.g. `x[0]` of a batch."
        )
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x /= top
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return image.fromarray(x[:, :, 0].astype("int32"), "I")
        return image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(
        f"Unsupported channel number: {channels}. An image has 1 (grayscale), 3 (RGB) or "
        "4 (RGBA) channels."
    )


def img_to_array(img: Any, data_format: str | None = None, dtype: str | None = None) -> np.ndarray:
    """A 3-D array (height, width, channels) of ``dtype`` (default ``floatx()``) from an image.

    Raises:
        ValueError: If the image is neither 2-D nor 3-D as an array.

    >>> img_to_array(np.zeros((2, 3))).shape
    (2, 3, 1)
    """
    data_format = _data_format(data_format)
    x = np.asarray(img, dtype=floatx() if dtype is None else dtype)
    if x.ndim == 3:
        return x.transpose(2, 0, 1) if data_format == "channels_first" else x
    if x.ndim == 2:
        if data_format == "channels_first":
            return x.reshape((1, *x.shape))
        return x.reshape((*x.shape, 1))
    raise ValueError(
        f"Unsupported image shape: {x.shape}. Pass an image of shape (height, width) or "
        "(height, width, channels)."
    )


def save_img(
    path: Any,
    x: Any,
    data_format: str | None = None,
    file_format: str | None = None,
    scale: bool = True,
    **kwargs: Any,
) -> None:
    """Write the array ``x`` as an image file (format from ``file_format`` or the suffix).

    An RGBA array saved as JPEG is converted to RGB, with a warning.
    ``kwargs`` go to Pillow's ``Image.save``.
    """
    data_format = _data_format(data_format)
    if file_format is None and isinstance(path, str | pathlib.Path):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn(
            "The JPEG format does not support RGBA images, converting to RGB.", stacklevel=2
        )
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def load_img(
    path: Any,
    color_mode: str = "rgb",
    target_size: tuple[int, int] | None = None,
    interpolation: str = "nearest",
    keep_aspect_ratio: bool = False,
) -> Any:
    """Load an image file as a Pillow image, converted to ``color_mode`` and resized.

    Args:
        path: A path (``str``, ``bytes``, ``pathlib.Path``) or an ``io.BytesIO``.
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"``.
        target_size: ``(height, width)`` to resize to, or None.
        interpolation: Pillow resampling: ``"nearest"``, ``"bilinear"``,
            ``"bicubic"``, ``"hamming"``, ``"box"`` or ``"lanczos"``.
        keep_aspect_ratio: Crop the centre to the target's aspect ratio first.

    Returns:
        A ``PIL.Image.Image``.

    Raises:
        ImportError: If Pillow is not installed.
        TypeError: If ``path`` is neither path-like nor ``io.BytesIO``.
        ValueError: If ``color_mode`` or ``interpolation`` is unknown.
    """
    image = pil_image()
    if isinstance(path, io.BytesIO):
        img = image.open(path)
    elif isinstance(path, pathlib.Path | bytes | str):
        if isinstance(path, pathlib.Path):
            path = str(path.resolve())
        with open(path, "rb") as f:
            img = image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif color_mode == "rgba":
        if img.mode != "RGBA":
            img = img.convert("RGBA")
    elif color_mode == "rgb":
        if img.mode != "RGB":
            img = img.convert("RGB")
    else:
        raise ValueError(
            f'color_mode must be "grayscale", "rgb", or "rgba". Received: color_mode={color_mode!r}'
        )
    if target_size is None:
        return img
    size = (target_size[1], target_size[0])
    if img.size == size:
        return img
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            f"Invalid interpolation method {interpolation} specified. Supported methods are "
            f"{', '.join(INTERPOLATIONS)}"
        )
    resample = getattr(image.Resampling, interpolation.upper())
    if not keep_aspect_ratio:
        return img.resize(size, resample)
    width, height = img.size
    target_width, target_height = size
    crop_height = min(height, width * target_height // target_width)
    crop_width = min(width, height * target_width // target_height)
    top = (height - crop_height) // 2
    left = (width - crop_width) // 2
    return img.resize(size, resample, box=(left, top, left + crop_width, top + crop_height))
