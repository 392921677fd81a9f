"""``Flatten``: collapse every axis but the batch axis into one."""

from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp

from .. import _config
from ._layer import Layer


class Flatten(Layer):
    """Flattens each sample to one axis; the batch axis is kept.

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``; with
            ``channels_first`` the channel axis is moved last before flattening
            so weights match a channels-last model.
        **kwargs: Base layer arguments.

    >>> import heft
    >>> Flatten()(heft.ops.ones((2, 3, 4))).shape
    (2, 12)
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        data_format = data_format or _config.image_data_format()
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(
                "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
                f"Received: data_format={data_format}"
            )
        self.data_format = data_format

    def call(self, inputs: Any) -> Any:
        x = inputs
        if self.data_format == "channels_first" and x.ndim > 2:
            x = jnp.moveaxis(x, 1, -1)
        return jnp.reshape(x, (x.shape[0], -1))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        rest = tuple(input_shape)[1:]
        flat = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], flat)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["data_format"] = self.data_format
        return config
