"""``RMSNormalization``: divide by the root mean square over an axis, then scale."""

from __future__ import annotations

from typing import Any

from .._typing import Shape
from ..ops._normalization import rms_normalization
from ._layer import Layer


class RMSNormalization(Layer):
    """``x * rsqrt(mean(x**2, axis) + epsilon) * scale``, with a trainable ``scale``.

    ``scale`` (initialized to ones) has the sizes of the normalized axes. As in
    Keras, ``build`` turns ``axis`` into a sorted list.

    Args:
        axis: Axis or list of axes to normalize over.
        epsilon: Added to the mean square.
        **kwargs: Base layer arguments.

    >>> import heft
    >>> layer = RMSNormalization(epsilon=0.0)
    >>> layer(heft.ops.convert_to_tensor([[3.0, 4.0]])).tolist()
    [[0.8485281467437744, 1.1313709020614624]]
    >>> layer.scale.shape
    (2,)
    """

    def __init__(self, axis: int | list[int] = -1, epsilon: float = 1e-6, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis
        self.epsilon = epsilon

    def build(self, input_shape: Any = None) -> None:
        if isinstance(self.axis, list | tuple):
            self.axis = sorted(self.axis)
            shape = tuple(input_shape[dim] for dim in self.axis)
        else:
            shape = (input_shape[self.axis],)
            self.axis = [self.axis]
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")

    def call(self, x: Any) -> Any:
        return rms_normalization(x, scale=self.scale.value, axis=self.axis, epsilon=self.epsilon)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        axes = [self.axis] if isinstance(self.axis, int) else self.axis
        for axis in axes:
            if axis >= len(input_shape) or axis < -len(input_shape):
                raise ValueError(
                    f"Axis {axis} is out of bounds for input shape {input_shape}. "
                    f"Received: axis={self.axis}"
                )
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"axis": self.axis, "epsilon": self.epsilon})
        return config
