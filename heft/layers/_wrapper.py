"""``Wrapper``: the base class of layers that wrap another layer."""

from __future__ import annotations

from typing import Any

from ._layer import Layer
from ._serialization import deserialize, serialize


class Wrapper(Layer):
    """Base class of layers that hold another layer in ``self.layer`` and add to it.

    ``build`` builds the wrapped layer; the config stores it serialized under
    ``"layer"`` and ``from_config`` rebuilds it. Subclasses define ``call``.

    Args:
        layer: The wrapped layer.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: If ``layer`` is not a ``heft.layers.Layer``.
    """

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Layer {layer} supplied to Wrapper isn't a supported layer type. Please "
                "ensure wrapped layer is a valid heft layer (a `heft.layers.Layer` instance)."
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape: Any = None) -> None:
        if not self.layer.built:
            self.layer.build(input_shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["layer"] = serialize(self.layer)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Wrapper:
        config = dict(config)
        layer = deserialize(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)
