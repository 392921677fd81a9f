"""``Activation`` and ``Identity``: weightless elementwise layers."""

from __future__ import annotations

from typing import Any

from .. import activations
from ._layer import Layer


class Activation(Layer):
    """Applies an activation function to its input.

    Args:
        activation: An activation name (``"relu"``) or function.
        **kwargs: Base layer arguments.

    >>> import heft
    >>> Activation("relu")(heft.ops.array([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self.activation = activations.get(activation)
        self._build_at_init()

    def call(self, inputs: Any) -> Any:
        return self.activation(inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


class Identity(Layer):
    """Returns its input unchanged; a placeholder layer.

    >>> import heft
    >>> Identity()(heft.ops.ones((2,))).tolist()
    [1.0, 1.0]
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape
