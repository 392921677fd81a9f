"""Resizing images on the host with numpy, as ``tf.image.resize`` does (half-pixel centres).

``image_dataset_from_directory`` resizes every image before batching; Keras
does it with TensorFlow. Here each method is a separable weight matrix per
axis (no antialiasing, as ``tf.image.resize``'s default), so the results
equal TensorFlow's to float32 rounding.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

METHODS = (
    "bilinear",
    "nearest",
    "bicubic",
    "area",
    "lanczos3",
    "lanczos5",
    "gaussian",
    "mitchellcubic",
)


def _triangle(x: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, 1.0 - x)


def _keys_cubic(x: np.ndarray) -> np.ndarray:
    # Keys' cubic convolution with a = -0.5.
    return np.where(
        x >= 2.0,
        0.0,
        np.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, (1.5 * x - 2.5) * x * x + 1.0),
    )


def _lanczos(radius: float) -> Callable[[np.ndarray], np.ndarray]:
    def kernel(x: np.ndarray) -> np.ndarray:
        return np.where(x < radius, np.sinc(x) * np.sinc(x / radius), 0.0)

    return kernel


def _gaussian(x: np.ndarray) -> np.ndarray:
    radius = 1.5
    sigma = radius / 3.0
    return np.where(x < radius, np.exp(-x * x / (2.0 * sigma * sigma)), 0.0)


def _mitchell(x: np.ndarray) -> np.ndarray:
    # Mitchell-Netravali with B = C = 1/3.
    return np.where(
        x >= 2.0,
        0.0,
        np.where(
            x >= 1.0,
            (((-7.0 / 18.0) * x + 2.0) * x - 10.0 / 3.0) * x + 16.0 / 9.0,
            ((7.0 / 6.0) * x - 2.0) * x * x + 8.0 / 9.0,
        ),
    )


_KERNELS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "bilinear": _triangle,
    "bicubic": _keys_cubic,
    "lanczos3": _lanczos(3.0),
    "lanczos5": _lanczos(5.0),
    "gaussian": _gaussian,
    "mitchellcubic": _mitchell,
}


def _kernel_weights(in_size: int, out_size: int, method: str) -> np.ndarray:
    """``(out_size, in_size)`` weights: the kernel at each output's half-pixel centre, renormalised."""
    # In float32 as TensorFlow computes it: a pixel at exactly the kernel's
    # radius gets weight zero, one a rounding error inside it does not.
    f32 = np.float32
    inv_scale = f32(1) / (f32(out_size) / f32(in_size))
    sample = (np.arange(out_size, dtype=f32) + f32(0.5)) * inv_scale
    position = np.arange(in_size, dtype=f32)[None, :] + f32(0.5) - sample[:, None]
    weights = _KERNELS[method](np.abs(position).astype(np.float64))
    total = weights.sum(axis=1, keepdims=True)
    return np.where(np.abs(total) > 0, weights / np.where(total == 0, 1.0, total), 0.0)


def _nearest_weights(in_size: int, out_size: int) -> np.ndarray:
    scale = np.float32(in_size) / np.float32(out_size)
    src = np.floor((np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * scale)
    src = np.clip(src.astype(np.int64), 0, in_size - 1)
    weights = np.zeros((out_size, in_size))
    weights[np.arange(out_size), src] = 1.0
    return weights


def _bicubic_weights(in_size: int, out_size: int) -> np.ndarray:
    """Keys' cubic at the fraction rounded to 1/1024 (TensorFlow's table), edges renormalised."""
    f32 = np.float32
    scale = f32(in_size) / f32(out_size)
    centre = (np.arange(out_size, dtype=f32) + f32(0.5)) * scale - f32(0.5)
    start = np.floor(centre)
    offset = np.rint((centre - start) * 1024).astype(np.int64)
    table_x = np.arange(1025, dtype=f32) / f32(1024)
    near = ((f32(1.5) * table_x - f32(2.5)) * table_x) * table_x + f32(1)
    far_x = table_x + f32(1)
    far = ((f32(-0.5) * far_x + f32(2.5)) * far_x - f32(4.0)) * far_x + f32(2.0)
    taps = np.stack([far[offset], near[offset], near[1024 - offset], far[1024 - offset]], axis=1)
    weights = np.zeros((out_size, in_size), np.float64)
    for k in range(4):
        index = start.astype(np.int64) - 1 + k
        inside = (index >= 0) & (index < in_size)
        rows = np.arange(out_size)[inside]
        np.add.at(weights, (rows, index[inside]), taps[inside, k])
    total = weights.sum(axis=1, keepdims=True)
    return weights / np.where(total == 0, 1.0, total)


def _area_weights(in_size: int, out_size: int) -> np.ndarray:
    """Each output averages the input span it covers, partial pixels weighted by their overlap."""
    scale = in_size / out_size
    starts = np.arange(out_size) * scale
    ends = starts + scale
    pixels = np.arange(in_size, dtype=np.float64)
    overlap = np.clip(
        np.minimum(ends[:, None], pixels[None, :] + 1)
        - np.maximum(starts[:, None], pixels[None, :]),
        0.0,
        None,
    )
    return overlap / scale


def _weights(in_size: int, out_size: int, method: str) -> np.ndarray:
    if method == "nearest":
        return _nearest_weights(in_size, out_size)
    if method == "bicubic":
        return _bicubic_weights(in_size, out_size)
    if method == "area":
        return _area_weights(in_size, out_size)
    return _kernel_weights(in_size, out_size, method)


def resize(image: np.ndarray, size: tuple[int, int], method: str = "bilinear") -> np.ndarray:
    """Resize a ``(height, width, channels)`` image to ``size``; returns float32.

    Raises:
        ValueError: If ``method`` is not one of :data:`METHODS`.
    """
    if method not in METHODS:
        raise ValueError(f"Argument `interpolation` should be one of {METHODS}. Received: {method}")
    image = np.asarray(image, dtype=np.float32)
    height, width = image.shape[:2]
    rows = _weights(height, size[0], method).astype(np.float32)
    cols = _weights(width, size[1], method).astype(np.float32)
    return np.einsum("ih,hwc,jw->ijc", rows, image, cols, optimize=True).astype(np.float32)


def crop_to_aspect_ratio(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The largest centred crop of ``image`` with the aspect ratio of ``size`` (as ``smart_resize``)."""
    height, width = image.shape[:2]
    target_height, target_width = size
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    top = int(float(height - crop_height) / 2)
    left = int(float(width - crop_width) / 2)
    return image[top : top + crop_height, left : left + crop_width]


def resize_with_pad(image: np.ndarray, size: tuple[int, int], method: str) -> np.ndarray:
    """Resize keeping the aspect ratio, then pad with zeros to ``size``, centred (``resize_with_pad``)."""
    height, width = image.shape[:2]
    target_height, target_width = size
    f32 = np.float32
    ratio = max(f32(width) / f32(target_width), f32(height) / f32(target_height))
    resized_height_f = f32(height) / ratio
    resized_width_f = f32(width) / ratio
    resized_height = int(np.floor(resized_height_f))
    resized_width = int(np.floor(resized_width_f))
    top = max(0, int(np.floor((f32(target_height) - resized_height_f) / f32(2))))
    left = max(0, int(np.floor((f32(target_width) - resized_width_f) / f32(2))))
    resized = resize(image, (resized_height, resized_width), method)
    out = np.zeros((target_height, target_width, image.shape[2]), np.float32)
    out[top : top + resized_height, left : left + resized_width] = resized
    return out
