"""``CategoryEncoding``: integer categories as one-hot, multi-hot or count vectors."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from . import _categorical
from ._layer import Layer


class CategoryEncoding(Layer):
    """Encodes integer indices in ``[0, num_tokens)`` as vectors of ``num_tokens`` slots.

    ``"one_hot"`` gives one vector per index (a trailing axis of size 1 is
    replaced); ``"multi_hot"`` marks, per sample, every index present (``1.0``);
    ``"count"`` counts them, or sums ``count_weights`` given to the call. Indices
    outside the range are counted nowhere. The output has the layer's dtype.

    Args:
        num_tokens: The number of categories (``>= 1``).
        output_mode: ``"multi_hot"`` (``"binary"`` is an alias), ``"one_hot"`` or ``"count"``.
        sparse: Only ``False`` (heft has no sparse arrays).
        **kwargs: Base layer arguments.

    Raises:
        ValueError: For a missing or non-positive ``num_tokens``, an unknown mode,
            or ``sparse=True``.

    >>> import numpy as np
    >>> CategoryEncoding(4)(np.array([[0, 2, 2]])).tolist()
    [[1.0, 0.0, 1.0, 0.0]]
    """

    def __init__(
        self,
        num_tokens: int | None = None,
        output_mode: str = "multi_hot",
        sparse: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in ("count", "one_hot", "multi_hot"):
            raise ValueError(
                f"Unknown arg for output_mode: {output_mode}. Use 'multi_hot', 'one_hot' or "
                "'count'."
            )
        if num_tokens is None:
            raise ValueError(
                "num_tokens must be set to use this layer. If the number of tokens is not "
                "known beforehand, use the IntegerLookup layer instead."
            )
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        _categorical.check_not_sparse(sparse, "CategoryEncoding")
        self.num_tokens = num_tokens
        self.output_mode = output_mode
        self.sparse = sparse

    def call(self, inputs: Any, count_weights: Any = None) -> Any:
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    "`count_weights` is not used when `output_mode` is not `'count'`. "
                    f"Received `count_weights={count_weights}`."
                )
            count_weights = jnp.asarray(count_weights, dtype=self.compute_dtype)
        return _categorical.encode(
            inputs, self.output_mode, self.num_tokens, self.dtype, count_weights
        )

    def compute_output_shape(self, input_shape: Any) -> Any:
        return _categorical.encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"num_tokens": self.num_tokens, "output_mode": self.output_mode})
        return config
