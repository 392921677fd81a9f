"""``Pipeline``: preprocessing layers applied one after the other."""

from __future__ import annotations

from typing import Any

import jax

from .. import _masking
from ._layer import Layer
from ._serialization import deserialize, serialize


class Pipeline(Layer):
    """Applies ``layers`` in order, each to the previous one's output.

    Unlike ``Sequential`` it is a plain layer, meant for preprocessing: use it
    on batches before ``fit`` (host-side layers such as ``StringLookup`` then
    work on numpy arrays) or inside a model. ``training`` (default ``True``)
    and masks are passed to the layers whose ``call`` takes them.

    Args:
        layers: The layers, in the order they apply.
        name: The layer's name.

    >>> import numpy as np
    >>> from heft.layers import Rescaling
    >>> pipeline = Pipeline([Rescaling(2.0), Rescaling(1.0, offset=1.0)])
    >>> pipeline(np.array([1.0, 2.0])).tolist()
    [3.0, 5.0]
    """

    def __init__(self, layers: list[Layer], name: str | None = None) -> None:
        super().__init__(name=name)
        self._pipeline_layers = list(layers)

    @property
    def layers(self) -> list[Layer]:
        return self._pipeline_layers

    def _convert_input(self, x: Any) -> Any:
        return x

    def call(self, inputs: Any, training: Any = True, mask: Any = None) -> Any:
        outputs = inputs
        for layer in self._pipeline_layers:
            kwargs: dict[str, Any] = {}
            params = layer._call_params
            if "mask" in params:
                kwargs["mask"] = mask
            if layer._call_has_training_arg and training is not None:
                kwargs["training"] = training
            outputs = layer(inputs, **kwargs)
            inputs = outputs
            mask = jax.tree_util.tree_map(
                _masking.get_mask, outputs, is_leaf=lambda x: not isinstance(x, list | tuple | dict)
            )
        return outputs

    def get_config(self) -> dict[str, Any]:
        return {"layers": [serialize(layer) for layer in self._pipeline_layers], "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Pipeline:
        layers = config.get("layers")
        if not isinstance(layers, list | tuple):
            raise ValueError(
                "`Pipeline` config must contain a `layers` key mapping to a list of serialized "
                f"layers. Received config with layers={layers}."
            )
        return cls(layers=[deserialize(x) for x in layers], name=config.get("name"))
