"""``Rescaling``: ``inputs * scale + offset`` in the layer's compute dtype."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from .. import _config
from ._lambda import deserialize_value, serialize_value
from ._layer import Layer


class Rescaling(Layer):
    """Multiplies inputs by ``scale`` and adds ``offset``, e.g. to map ``[0, 255]`` to ``[0, 1]``.

    Inputs of any dtype (``uint8`` images...) are cast to the layer's compute
    dtype first. ``scale`` and ``offset`` may be numbers or arrays broadcast
    against the inputs; with ``image_data_format() == "channels_first"`` an array
    ``scale`` is laid along the channel axis (trailing axes of size 1 added up to rank 3).

    Args:
        scale: The multiplier (number or array).
        offset: The value added after scaling (number or array).
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> Rescaling(1 / 255)(np.array([[0, 255]], dtype="uint8")).tolist()
    [[0.0, 1.0]]
    """

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        self.supports_masking = True

    def call(self, inputs: Any) -> Any:
        dtype = self.compute_dtype
        scale = jnp.asarray(self.scale, dtype=dtype)
        offset = jnp.asarray(self.offset, dtype=dtype)
        if scale.ndim > 0 and _config.image_data_format() == "channels_first":
            scale = jnp.reshape(scale, scale.shape + (1,) * (3 - scale.ndim))
        return jnp.asarray(inputs).astype(dtype) * scale + offset

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {"scale": serialize_value(self.scale), "offset": serialize_value(self.offset)}
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Rescaling:
        """Rebuild a layer from ``get_config()``, decoding array-valued ``scale``/``offset``."""
        config = dict(config)
        where = f"the config of Rescaling layer '{config.get('name', 'rescaling')}'"
        for key in ("scale", "offset"):
            if key in config:
                config[key] = deserialize_value(
                    config[key], custom_objects, f"the `{key}` of {where}"
                )
        return super().from_config(config)
