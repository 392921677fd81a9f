"""``Masking``: marks the steps whose features all equal ``mask_value`` as padding."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from ._layer import Layer


class Masking(Layer):
    """Masks the timesteps whose features all equal ``mask_value``.

    The output is the input with those steps set to zero; ``compute_mask``
    returns ``True`` where a step has at least one feature different from
    ``mask_value``, so layers downstream (``LSTM``...) skip the padding.

    Args:
        mask_value: The padding value (default 0.0).
        **kwargs: Base layer arguments.

    >>> import heft
    >>> x = heft.ops.convert_to_tensor([[[1.0, 2.0], [0.0, 0.0]]])
    >>> Masking().compute_mask(x).tolist()
    [[True, False]]
    """

    def __init__(self, mask_value: Any = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True
        self._build_at_init()

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return jnp.any(jnp.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs: Any) -> Any:
        keep = jnp.any(jnp.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return jnp.where(keep, inputs, jnp.zeros((), dtype=inputs.dtype))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config
