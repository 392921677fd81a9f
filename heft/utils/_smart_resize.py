"""``smart_resize``: crop an image to the target's aspect ratio, then resize it (JAX)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

_METHODS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic")


def smart_resize(
    x: Any,
    size: tuple[int, int],
    interpolation: str = "bilinear",
    data_format: str = "channels_last",
    **kwargs: Any,
) -> Any:
    """Resize images to ``size`` without distorting them: centre-crop to its ratio first.

    The largest centred box with the aspect ratio of ``size`` is cut out of
    each image and resized with ``jax.image.resize`` (no antialiasing), as
    Keras does on the JAX backend. A numpy input gives a numpy result; any
    other gives a JAX array.

    Args:
        x: One image ``(height, width, channels)`` or a batch of them (rank 4).
        size: ``(height, width)`` of the result.
        interpolation: ``"bilinear"``, ``"nearest"``, ``"bicubic"``,
            ``"lanczos3"`` or ``"lanczos5"``.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        The resized image(s).

    Raises:
        TypeError: For unknown keyword arguments.
        ValueError: If ``size`` is not two integers, ``x`` is not of rank 3
            or 4, or ``interpolation`` is unknown.

    >>> smart_resize(np.ones((10, 20, 3), "float32"), (4, 4)).shape
    (4, 4, 3)
    """
    kwargs.pop("backend_module", None)
    if kwargs:
        raise TypeError(f"smart_resize() got unexpected keyword arguments: {list(kwargs.keys())}")
    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers, but got: {size}.")
    if interpolation not in _METHODS:
        raise ValueError(
            "Invalid value for argument `interpolation`. Expected of one "
            f"{_METHODS}. Received: interpolation={interpolation}"
        )
    img = jnp.asarray(x)
    if img.ndim not in (3, 4):
        raise ValueError(
            "Expected an image array with shape `(height, width, channels)`, or "
            "`(batch_size, height, width, channels)`, but got input with incorrect rank, "
            f"of shape {img.shape}."
        )
    last = data_format == "channels_last"
    height, width = (img.shape[-3], img.shape[-2]) if last else (img.shape[-2], img.shape[-1])
    target_height, target_width = int(size[0]), int(size[1])
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    top = int(float(height - crop_height) / 2)
    left = int(float(width - crop_width) / 2)
    rows, cols = slice(top, top + crop_height), slice(left, left + crop_width)
    img = img[..., rows, cols, :] if last else img[..., rows, cols]
    if last:
        shape = (*img.shape[:-3], target_height, target_width, img.shape[-1])
    else:
        shape = (*img.shape[:-2], target_height, target_width)
    out = jax.image.resize(img, shape, method=interpolation, antialias=False)
    return np.array(out) if isinstance(x, np.ndarray) else out
