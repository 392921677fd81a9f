"""Shared checks of ``heft.ops.image``: data formats, image ranks, interpolation names."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ... import _config
from ..._dtypes import standardize_dtype

# ``order`` of ``jax.scipy.ndimage.map_coordinates`` for each interpolation name.
INTERPOLATION_ORDER = {"nearest": 0, "bilinear": 1}
FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def data_format_of(value: Any) -> str:
    """``value`` (``None`` for ``image_data_format()``) checked to be a data format."""
    if value is None:
        return _config.image_data_format()
    data_format = str(value).lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
            f"Received: data_format={value!r}. Use 'channels_last' for (batch, height, "
            "width, channels) images or 'channels_first' for (batch, channels, height, width)."
        )
    return data_format


def as_array(x: Any) -> jax.Array:
    """``x`` (array, list, Variable) as a JAX array."""
    if hasattr(x, "value") and not isinstance(x, np.ndarray | jax.Array):
        x = x.value
    return jnp.asarray(x)


def check_image_rank(images: Any, name: str = "images") -> None:
    if len(images.shape) not in (3, 4):
        raise ValueError(
            f"Invalid {name} rank: expected rank 3 (single image) or rank 4 (batch of "
            f"images). Received input with shape: {name}.shape={tuple(images.shape)}"
        )


def check_interpolation(interpolation: str) -> int:
    if interpolation not in INTERPOLATION_ORDER:
        raise ValueError(
            "Invalid value for argument `interpolation`. Expected one of "
            f"{set(INTERPOLATION_ORDER)}. Received: interpolation={interpolation}"
        )
    return INTERPOLATION_ORDER[interpolation]


def check_fill_mode(fill_mode: str) -> None:
    if fill_mode not in FILL_MODES:
        raise ValueError(
            f"Invalid value for argument `fill_mode`. Expected one of {set(FILL_MODES)}. "
            f"Received: fill_mode={fill_mode}"
        )


def check_float(images: jax.Array) -> None:
    if not jnp.issubdtype(images.dtype, jnp.floating):
        raise ValueError(
            "Invalid images dtype: expected float dtype. "
            f"Received: images.dtype={standardize_dtype(images.dtype)}. Cast the images to "
            "a float dtype first (e.g. `ops.cast(images, 'float32') / 255`)."
        )


def float_dtype_for(dtype: Any) -> Any:
    """The float dtype arithmetic on ``dtype`` promotes to (Keras's ``result_type(x, float)``)."""
    if jnp.issubdtype(dtype, jnp.floating):
        return dtype
    return jnp.dtype(_config.floatx())
