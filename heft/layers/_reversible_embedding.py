"""``ReversibleEmbedding``: an embedding that also projects vectors back to vocabulary logits."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from .. import _masking
from .._typing import Shape
from ._embedding import Embedding


class ReversibleEmbedding(Embedding):
    """An ``Embedding`` that, called with ``reverse=True``, maps vectors to logits.

    The reverse call computes ``inputs @ embeddings.T`` (tied weights, the
    default) or ``inputs @ reverse_embeddings``, a separate trainable
    ``(output_dim, input_dim)`` matrix when ``tie_weights=False``.

    Args:
        input_dim: Vocabulary size.
        output_dim: Size of each vector.
        tie_weights: Whether the reverse projection reuses ``embeddings``.
        embeddings_initializer: Initializer of the matrices.
        embeddings_regularizer: Regularizer of ``embeddings``.
        embeddings_constraint: Constraint of ``embeddings``.
        mask_zero: Whether index 0 is padding (the forward call's output carries the mask).
        reverse_dtype: Dtype of the reverse matmul (default: the compute dtype).
        logit_soft_cap: If set, reverse logits become ``tanh(logits / cap) * cap``.
        **kwargs: Base ``Embedding`` arguments.

    >>> import heft
    >>> layer = ReversibleEmbedding(10, 4)
    >>> vectors = layer(heft.ops.convert_to_tensor([[1, 2]]))
    >>> layer(vectors, reverse=True).shape
    (1, 2, 10)
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        tie_weights: bool = True,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        reverse_dtype: Any = None,
        logit_soft_cap: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            input_dim,
            output_dim,
            embeddings_initializer=embeddings_initializer,
            embeddings_regularizer=embeddings_regularizer,
            embeddings_constraint=embeddings_constraint,
            mask_zero=mask_zero,
            **kwargs,
        )
        self.tie_weights = tie_weights
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap

    def build(self, input_shape: Any = None) -> None:
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                shape=(self.output_dim, self.input_dim),
                initializer=self.embeddings_initializer,
                name="reverse_embeddings",
                trainable=True,
            )

    def call(self, inputs: Any, reverse: bool = False) -> Any:
        if not reverse:
            outputs = super().call(inputs)
            if self.mask_zero:
                _masking.set_mask(outputs, jnp.not_equal(jnp.asarray(inputs), 0))
            return outputs
        if self.tie_weights:
            kernel = jnp.transpose(self._embeddings.value)
        else:
            kernel = self.reverse_embeddings.value
        inputs = jnp.asarray(inputs)
        if self.reverse_dtype is not None:
            inputs = inputs.astype(self.reverse_dtype)
            kernel = kernel.astype(self.reverse_dtype)
        else:
            kernel = kernel.astype(inputs.dtype)
        logits = jnp.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            logits = jnp.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None

    def compute_output_shape(self, input_shape: Shape, reverse: bool = False) -> Shape:
        if reverse:
            return (*tuple(input_shape)[:-1], self.input_dim)
        return (*tuple(input_shape), self.output_dim)

    def compute_output_spec(self, inputs: Any, reverse: bool = False) -> Any:
        from .. import _symbolic

        shape = self.compute_output_shape(tuple(inputs.shape), reverse=reverse)
        return _symbolic.KerasTensor(shape, dtype=self.compute_dtype)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "tie_weights": self.tie_weights,
                "reverse_dtype": self.reverse_dtype,
                "logit_soft_cap": self.logit_soft_cap,
            }
        )
        return config
