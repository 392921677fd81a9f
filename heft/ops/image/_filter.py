"""Filtering ops of ``heft.ops.image``: Gaussian blur, Sobel edges, SSIM."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from .._dispatch import symbolic_op
from ._common import as_array, check_image_rank, data_format_of, float_dtype_for


def _gaussian_1d(size: int, sigma: Any, dtype: Any) -> jax.Array:
    x = jnp.arange(size, dtype=dtype) - jnp.asarray((size - 1) / 2, dtype=dtype)
    kernel = jnp.exp(-0.5 * (x / sigma) ** 2)
    return kernel / jnp.sum(kernel)


def _depthwise(images: jax.Array, kernel: jax.Array, padding: str) -> jax.Array:
    """Convolve each channel of NCHW ``images`` with the 2-D ``kernel``."""
    channels = images.shape[1]
    kernel = jnp.tile(kernel[None, None], (channels, 1, 1, 1))
    return jax.lax.conv_general_dilated(
        images, kernel, (1, 1), padding, dimension_numbers=("NCHW", "OIHW", "NCHW"),
        feature_group_count=channels,
    )  # fmt: skip


@symbolic_op
def gaussian_blur(
    images: Any,
    kernel_size: Sequence[int] = (3, 3),
    sigma: Sequence[float] = (1.0, 1.0),
    data_format: str | None = None,
) -> jax.Array:
    """Blur images with a Gaussian kernel ("same" padding with zeros).

    ``kernel_size`` and ``sigma`` are given as ``(x, y)``: the first entries apply
    along the width, the second along the height, as in Keras. ``data_format=None``
    means ``heft.config.image_data_format()`` (Keras on JAX reads ``None`` as
    channels-first in eager calls; pass the format explicitly to get the same
    result from both).

    Args:
        images: One image (rank 3) or a batch (rank 4), float.
        kernel_size: Kernel width and height.
        sigma: Standard deviations along the width and the height.
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        The blurred images, same shape and dtype.

    Raises:
        ValueError: If the rank is not 3 or 4.

    >>> import numpy as np
    >>> gaussian_blur(np.ones((1, 5, 5, 1), "float32")).shape
    (1, 5, 5, 1)
    """
    images = as_array(images)
    dtype = images.dtype
    sigma_t = jnp.asarray(jnp.stack([jnp.asarray(s) for s in sigma]), dtype=dtype)
    check_image_rank(images)
    data_format = data_format_of(data_format)
    single = images.ndim == 3
    if single:
        images = images[None]
    if data_format == "channels_last":
        images = jnp.transpose(images, (0, 3, 1, 2))
    kernel = jnp.outer(
        _gaussian_1d(kernel_size[1], sigma_t[1], dtype),
        _gaussian_1d(kernel_size[0], sigma_t[0], dtype),
    )
    out = _depthwise(images, kernel, "SAME")
    if data_format == "channels_last":
        out = jnp.transpose(out, (0, 2, 3, 1))
    return out[0] if single else out


_SOBEL_X = ((-1, 0, 1), (-2, 0, 2), (-1, 0, 1))
_SOBEL_Y = ((-1, -2, -1), (0, 0, 0), (1, 2, 1))


@symbolic_op
def sobel_edges(images: Any, data_format: str | None = None) -> jax.Array:
    """Sobel gradients of a batch of images: ``[dy, dx]`` stacked on a new last axis.

    Args:
        images: A batch of images (rank 4).
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` means
            ``heft.config.image_data_format()``.

    Returns:
        ``images.shape + (2,)``: the vertical and horizontal responses ("same" padding).

    >>> import numpy as np
    >>> sobel_edges(np.zeros((1, 4, 4, 1), "float32")).shape
    (1, 4, 4, 1, 2)
    """
    images = as_array(images)
    data_format = data_format_of(data_format)
    if data_format == "channels_last":
        images = jnp.transpose(images, (0, 3, 1, 2))
    dx = _depthwise(images, jnp.asarray(_SOBEL_X, dtype=images.dtype), "SAME")
    dy = _depthwise(images, jnp.asarray(_SOBEL_Y, dtype=images.dtype), "SAME")
    if data_format == "channels_last":
        dx, dy = jnp.transpose(dx, (0, 2, 3, 1)), jnp.transpose(dy, (0, 2, 3, 1))
    return jnp.stack([dy, dx], axis=-1)


@symbolic_op
def ssim(
    image1: Any,
    image2: Any,
    max_val: float = 1.0,
    filter_size: int = 11,
    filter_sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
    data_format: str | None = None,
) -> jax.Array:
    """Structural similarity of two images (or batches), averaged over pixels and channels.

    Local statistics use a ``filter_size`` Gaussian window of ``filter_sigma``
    ("valid" padding), as Keras computes them.

    Args:
        image1: One image (rank 3) or a batch (rank 4).
        image2: The images to compare with, same shape.
        max_val: The dynamic range of the pixel values (1.0 or 255...).
        filter_size: Side of the Gaussian window.
        filter_sigma: Standard deviation of the window.
        k1: The luminance constant.
        k2: The contrast constant.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` means
            ``heft.config.image_data_format()``.

    Returns:
        One value per image (a scalar for unbatched input), in the input dtype.

    Raises:
        ValueError: If a rank is not 3 or 4.

    >>> import numpy as np
    >>> x = np.random.default_rng(0).random((1, 16, 16, 1)).astype("float32")
    >>> float(ssim(x, x)[0])
    1.0
    """
    data_format = data_format_of(data_format)
    image1, image2 = as_array(image1), as_array(image2)
    original = image1.dtype
    compute = float_dtype_for(original)
    image1, image2 = image1.astype(compute), image2.astype(compute)
    check_image_rank(image1, "image1")
    check_image_rank(image2, "image2")
    single = image1.ndim == 3
    if single:
        image1, image2 = image1[None], image2[None]
    if data_format == "channels_last":
        image1, image2 = jnp.moveaxis(image1, -1, 1), jnp.moveaxis(image2, -1, 1)
    batch, channels, height, width = image1.shape
    x = jnp.arange(filter_size, dtype=compute) - (filter_size - 1) / 2.0
    window = jnp.exp(-(x**2) / (2.0 * filter_sigma**2))
    window = window / jnp.sum(window)
    kernel = jnp.outer(window, window)
    planes1 = jnp.reshape(image1, (-1, 1, height, width))
    planes2 = jnp.reshape(image2, (-1, 1, height, width))

    def mean(p: jax.Array) -> jax.Array:
        return _depthwise(p, kernel, "VALID")

    mu1, mu2 = mean(planes1), mean(planes2)
    var1 = mean(planes1 * planes1) - mu1 * mu1
    var2 = mean(planes2 * planes2) - mu2 * mu2
    cov = mean(planes1 * planes2) - mu1 * mu2
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    score = ((2.0 * mu1 * mu2 + c1) * (2.0 * cov + c2)) / (
        (mu1 * mu1 + mu2 * mu2 + c1) * (var1 + var2 + c2)
    )
    per_image = jnp.mean(jnp.reshape(jnp.mean(score, axis=(1, 2, 3)), (batch, channels)), -1)
    if single:
        per_image = per_image[0]
    return per_image.astype(original)
