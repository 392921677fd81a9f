"""Resampling ops of ``heft.ops.image``: affine, perspective and elastic warps, map_coordinates."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax.scipy import ndimage

from ...random import draw_seed
from .._dispatch import symbolic_op
from ._common import (
    as_array,
    check_fill_mode,
    check_image_rank,
    check_interpolation,
    data_format_of,
)
from ._filter import gaussian_blur


@symbolic_op
def affine_transform(
    images: Any,
    transform: Any,
    interpolation: str = "bilinear",
    fill_mode: str = "constant",
    fill_value: float = 0,
    data_format: str | None = None,
) -> jax.Array:
    """Warp images by projective transforms ``[a0, a1, a2, b0, b1, b2, c0, c1]``.

    An output pixel ``(x, y)`` samples the input at ``x' = a0 x + a1 y + a2``,
    ``y' = b0 x + b1 y + b2``. As in Keras on JAX, ``c0``/``c1`` do not divide the
    coordinates: they are added times the channel index, so pass zeros there.

    Args:
        images: One image (rank 3) or a batch (rank 4).
        transform: One transform (8 numbers) or one per image (rank 2).
        interpolation: ``"nearest"`` or ``"bilinear"``.
        fill_mode: ``"constant"``, ``"nearest"``, ``"wrap"``, ``"mirror"`` or ``"reflect"``.
        fill_value: Value of points outside the image with ``fill_mode="constant"``.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` means
            ``heft.config.image_data_format()``.

    Returns:
        The warped images, same shape.

    Raises:
        ValueError: On a bad interpolation, fill mode or rank.

    >>> import numpy as np
    >>> identity = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]
    >>> x = np.arange(4.0).reshape(2, 2, 1)
    >>> bool((affine_transform(x, identity) == x).all())
    True
    """
    data_format = data_format_of(data_format)
    order = check_interpolation(interpolation)
    check_fill_mode(fill_mode)
    images = as_array(images)
    transform = as_array(transform)
    check_image_rank(images)
    if transform.ndim not in (1, 2):
        raise ValueError(
            "Invalid transform rank: expected rank 1 (single transform) or rank 2 (batch of "
            f"transforms). Received input with shape: transform.shape={transform.shape}"
        )
    single = images.ndim == 3
    if single:
        images = images[None]
    if transform.ndim == 1:
        transform = transform[None]
    if data_format == "channels_first":
        images = jnp.transpose(images, (0, 2, 3, 1))
    batch = images.shape[0]
    grid = jnp.stack(jnp.meshgrid(*[jnp.arange(n) for n in images.shape[1:]], indexing="ij"), -1)
    grid = jnp.tile(grid, (batch, 1, 1, 1, 1))
    # Rows of the (y, x, channel) -> (y', x', channel') matrix, offsets kept apart.
    a0, a1, a2, b0, b1, b2 = (transform[:, i] for i in range(6))
    zeros = jnp.zeros_like(a0)
    rows = jnp.stack(
        [
            jnp.stack([b1, a1, zeros], -1),
            jnp.stack([b0, a0, zeros], -1),
            jnp.stack([transform[:, 6], transform[:, 7], jnp.ones_like(a0)], -1),
        ],
        axis=1,
    )
    offset = jnp.stack([b2, a2, zeros], -1)
    coords = jnp.einsum("Bhwij, Bjk -> Bhwik", grid, rows)
    coords = jnp.moveaxis(coords, -1, 1) + offset[:, :, None, None, None]

    def warp(image: jax.Array, where: jax.Array) -> jax.Array:
        return ndimage.map_coordinates(
            image, list(where), order=order, mode=fill_mode, cval=fill_value
        )

    out = jax.vmap(warp)(images, coords)
    if data_format == "channels_first":
        out = jnp.transpose(out, (0, 3, 1, 2))
    return out[0] if single else out


def _homography(start: jax.Array, end: jax.Array) -> jax.Array:
    """The 8 coefficients mapping ``end`` corners onto ``start`` corners (batched)."""
    sx, sy, ex, ey = start[..., 0], start[..., 1], end[..., 0], end[..., 1]
    zeros, ones = jnp.zeros_like(ex), jnp.ones_like(ex)
    x_rows = jnp.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], axis=-1)
    y_rows = jnp.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], axis=-1)
    matrix = jnp.concatenate([x_rows, y_rows], axis=1)
    target = jnp.concatenate([sx, sy], axis=-1)[..., None]
    return jnp.linalg.solve(matrix, target)[..., 0]


def _check_points(points: jax.Array, name: str) -> None:
    if points.shape[-2:] != (4, 2) or points.ndim not in (2, 3):
        raise ValueError(
            f"Invalid {name} shape: expected (4,2) for a single image or (N,4,2) for a batch. "
            f"Received shape: {points.shape}"
        )


@symbolic_op
def perspective_transform(
    images: Any,
    start_points: Any,
    end_points: Any,
    interpolation: str = "bilinear",
    fill_value: float = 0,
    data_format: str | None = None,
) -> jax.Array:
    """Warp images so that the 4 ``start_points`` corners move to ``end_points``.

    Args:
        images: One image (rank 3) or a batch (rank 4).
        start_points: ``(4, 2)`` or ``(N, 4, 2)`` ``(x, y)`` corners in the input.
        end_points: The matching corners in the output, same shape.
        interpolation: ``"nearest"`` or ``"bilinear"``.
        fill_value: Value of points that fall outside the input.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` means
            ``heft.config.image_data_format()``.

    Returns:
        The warped images, same shape.

    Raises:
        ValueError: On a bad interpolation, rank or corner shape.

    >>> import numpy as np
    >>> corners = np.array([[0, 0], [3, 0], [0, 3], [3, 3]], "float32")
    >>> perspective_transform(np.ones((4, 4, 1), "float32"), corners, corners).shape
    (4, 4, 1)
    """
    data_format = data_format_of(data_format)
    order = check_interpolation(interpolation)
    images = as_array(images)
    start_points = as_array(start_points)
    end_points = as_array(end_points)
    check_image_rank(images)
    _check_points(start_points, "start_points")
    _check_points(end_points, "end_points")
    if start_points.shape != end_points.shape:
        raise ValueError(
            "start_points and end_points must have the same shape. Received "
            f"start_points.shape={start_points.shape}, end_points.shape={end_points.shape}"
        )
    single = images.ndim == 3
    if single:
        images = images[None]
    if start_points.ndim == 2:
        start_points, end_points = start_points[None], end_points[None]
    if data_format == "channels_first":
        images = jnp.transpose(images, (0, 2, 3, 1))
    _, height, width, _ = images.shape
    coefficients = _homography(start_points.astype("float32"), end_points.astype("float32"))
    x, y = jnp.meshgrid(jnp.arange(width), jnp.arange(height), indexing="xy")
    gx, gy = x.ravel(), y.ravel()

    def source_coords(t: jax.Array) -> jax.Array:
        denom = t[6] * gx + t[7] * gy + 1.0
        return jnp.stack([(t[3] * gx + t[4] * gy + t[5]) / denom,
                          (t[0] * gx + t[1] * gy + t[2]) / denom])  # fmt: skip

    coords = jax.vmap(source_coords)(coefficients)

    def warp(image: jax.Array, where: jax.Array) -> jax.Array:
        def plane(channel: jax.Array) -> jax.Array:
            sampled = ndimage.map_coordinates(
                channel, list(where), order=order, mode="constant", cval=fill_value
            )
            return sampled.reshape(height, width)

        return jax.vmap(plane)(jnp.moveaxis(image, -1, 0))

    out = jnp.moveaxis(jax.vmap(warp)(images, coords), 1, -1)
    if data_format == "channels_first":
        out = jnp.transpose(out, (0, 3, 1, 2))
    return out[0] if single else out


@symbolic_op
def map_coordinates(
    inputs: Any,
    coordinates: Any,
    order: int,
    fill_mode: str = "constant",
    fill_value: float = 0,
) -> jax.Array:
    """Sample ``inputs`` at ``coordinates`` by nearest (order 0) or linear (order 1) interpolation.

    Args:
        inputs: The array to sample.
        coordinates: One coordinate array per axis of ``inputs`` (leading axis).
        order: ``0`` (nearest) or ``1`` (linear).
        fill_mode: ``"constant"``, ``"nearest"``, ``"wrap"``, ``"mirror"`` or ``"reflect"``.
        fill_value: Value of points outside with ``fill_mode="constant"``.

    Returns:
        The samples, shaped like ``coordinates[0]``.

    Raises:
        ValueError: On mismatched coordinates, a bad fill mode or order.

    >>> map_coordinates([[0.0, 1.0], [2.0, 3.0]], [[0.5], [0.5]], 1).tolist()
    [1.5]
    """
    inputs = as_array(inputs)
    coordinates = as_array(coordinates)
    if coordinates.shape[0] != inputs.ndim:
        raise ValueError(
            "First dim of `coordinates` must be the same as the rank of `inputs`. Received "
            f"inputs with shape: {inputs.shape} and coordinate leading dim of "
            f"{coordinates.shape[0]}"
        )
    if coordinates.ndim < 2:
        raise ValueError(
            "Invalid coordinates rank: expected at least rank 2. Received input with shape: "
            f"{coordinates.shape}"
        )
    check_fill_mode(fill_mode)
    if order not in (0, 1):
        raise ValueError(
            f"Invalid value for argument `order`. Expected one of [0, 1]. Received: order={order}"
        )
    return ndimage.map_coordinates(inputs, coordinates, order, fill_mode, fill_value)


@symbolic_op
def elastic_transform(
    images: Any,
    alpha: float = 20.0,
    sigma: float = 5.0,
    interpolation: str = "bilinear",
    fill_mode: str = "reflect",
    fill_value: float = 0.0,
    seed: Any = None,
    data_format: str | None = None,
) -> jax.Array:
    """Distort images by a random displacement field smoothed with a Gaussian of ``sigma``.

    As in Keras on JAX, one key drives both displacement components, so the
    field moves each pixel along the diagonal by ``alpha`` times the smoothed noise.

    Args:
        images: One image (rank 3) or a batch (rank 4), float.
        alpha: Strength of the displacement.
        sigma: Standard deviation of the smoothing Gaussian (and of the noise).
        interpolation: ``"nearest"`` or ``"bilinear"``.
        fill_mode: ``"constant"``, ``"nearest"``, ``"wrap"``, ``"mirror"`` or ``"reflect"``.
        fill_value: Value of points outside with ``fill_mode="constant"``.
        seed: An int, a ``SeedGenerator`` or ``None`` (the global generator).
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` means
            ``heft.config.image_data_format()``.

    Returns:
        The distorted images, same shape and dtype.

    Raises:
        ValueError: On a bad interpolation, fill mode or rank.

    >>> import numpy as np
    >>> elastic_transform(np.ones((2, 8, 8, 1), "float32"), seed=1).shape
    (2, 8, 8, 1)
    """
    data_format = data_format_of(data_format)
    order = check_interpolation(interpolation)
    check_fill_mode(fill_mode)
    images = as_array(images)
    check_image_rank(images)
    alpha_t = jnp.asarray(alpha, dtype="float32") if isinstance(alpha, float) else as_array(alpha)
    sigma_t = jnp.asarray(sigma, dtype="float32") if isinstance(sigma, float) else as_array(sigma)
    dtype = images.dtype
    size = int(6 * sigma_t) | 1
    single = images.ndim == 3
    if single:
        images = images[None]
    if data_format == "channels_last":
        batch, height, width, channels = images.shape
        channel_axis = -1
    else:
        batch, channels, height, width = images.shape
        channel_axis = 1
    key = draw_seed(seed)
    noise = jax.random.normal(key, shape=(batch, height, width), dtype=dtype) * sigma_t
    smooth = gaussian_blur(
        jnp.expand_dims(noise, channel_axis), kernel_size=(size, size),
        sigma=(sigma_t, sigma_t), data_format=data_format,  # type: ignore[arg-type]
    )  # fmt: skip
    shift = jnp.squeeze(smooth)
    x, y = jnp.meshgrid(jnp.arange(width), jnp.arange(height))
    source_x = x[None] + alpha_t * shift
    source_y = y[None] + alpha_t * shift

    def warp(plane: jax.Array, sy: jax.Array, sx: jax.Array) -> jax.Array:
        return ndimage.map_coordinates(plane, [sy, sx], order, fill_mode, fill_value)

    planes = images if data_format == "channels_first" else jnp.moveaxis(images, -1, 1)
    warped = jax.vmap(jax.vmap(warp, (0, None, None)), (0, 0, 0))(planes, source_y, source_x)
    out = warped if data_format == "channels_first" else jnp.moveaxis(warped, 1, -1)
    del channels
    out = out.astype(dtype)
    return out[0] if single else out
