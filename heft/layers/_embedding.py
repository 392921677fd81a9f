"""``Embedding``: integer indices to rows of a trainable ``(input_dim, output_dim)`` matrix."""

from __future__ import annotations

import warnings
from typing import Any

import jax.numpy as jnp
import numpy as np

from .. import constraints, initializers, regularizers
from .._typing import Shape
from ._arguments import argument_config, weight_arguments
from ._layer import Layer


def _check_dim(value: Any, argument: str, name: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        where = f"Embedding layer '{name}'" if name else "Embedding layer"
        raise ValueError(
            f"{where}: `{argument}` must be a positive integer. Received: "
            f"{argument}={value!r} (of type {type(value).__name__}). Pass the "
            + ("vocabulary size" if argument == "input_dim" else "size of each vector")
            + f", e.g. {argument}={1000 if argument == 'input_dim' else 64}."
        )


# The config keys of ``Embedding``, in Keras's order (then ``quantization_config``).
_CONFIG_KEYS = (
    "input_dim",
    "output_dim",
    *weight_arguments("embeddings", activity=True),
    "mask_zero",
)


class Embedding(Layer):
    """Turns integer indices into dense vectors: ``embeddings[inputs]``.

    Inputs of any shape hold indices in ``[0, input_dim)`` (floats are cast to
    int32, as Keras does); the output adds an axis of size ``output_dim``.

    Args:
        input_dim: Vocabulary size (largest index + 1), a positive int.
        output_dim: Size of each vector, a positive int.
        embeddings_initializer: Initializer of the matrix (default ``"uniform"``).
        embeddings_regularizer: Regularizer of the matrix.
        embeddings_constraint: Constraint of the matrix.
        mask_zero: Whether index 0 is padding: the layer then supports masking
            and ``compute_mask`` returns ``inputs != 0``.
        weights: Optional initial value of the matrix (builds the layer at once).
        **kwargs: Base layer arguments.

    >>> import heft
    >>> layer = Embedding(10, 3, mask_zero=True)
    >>> layer(heft.ops.convert_to_tensor([[1, 2, 0]])).shape
    (1, 3, 3)
    >>> layer.compute_mask(heft.ops.convert_to_tensor([[1, 2, 0]])).tolist()
    [[True, True, False]]
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        weights: Any = None,
        lora_rank: int | None = None,
        lora_alpha: float | None = None,
        quantization_config: Any = None,
        **kwargs: Any,
    ) -> None:
        _check_dim(input_dim, "input_dim", kwargs.get("name"))
        _check_dim(output_dim, "output_dim", kwargs.get("name"))
        if lora_rank is not None or lora_alpha is not None or quantization_config is not None:
            raise ValueError(
                "Embedding layer: LoRA (`lora_rank`, `lora_alpha`) and quantization "
                "(`quantization_config`) are not supported by heft. Remove these arguments."
            )
        if kwargs.pop("input_length", None) is not None:
            warnings.warn("Argument `input_length` is deprecated. Just remove it.", stacklevel=2)
        super().__init__(**kwargs)
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self.autocast = False
        if weights is not None:
            self.build()
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape: Any = None) -> None:
        if self.built:
            return
        self._embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            name="embeddings",
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
            trainable=True,
        )

    @property
    def embeddings(self) -> Any:
        """The ``(input_dim, output_dim)`` matrix (after build)."""
        if not self.built:
            raise AttributeError(
                f"You must build the Embedding layer '{self.name}' before accessing "
                "`embeddings`: call it on data or call `build()`."
            )
        return self._embeddings

    def call(self, inputs: Any) -> Any:
        inputs = jnp.asarray(inputs)
        if inputs.dtype not in (jnp.int32, jnp.int64):
            inputs = inputs.astype(jnp.int32)
        outputs = jnp.take(self._embeddings.value, inputs, axis=0)
        return outputs.astype(self.compute_dtype)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if not self.mask_zero:
            return None
        return jnp.not_equal(jnp.asarray(inputs), 0)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (*tuple(input_shape), self.output_dim)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(argument_config(self, _CONFIG_KEYS))
        config["quantization_config"] = None
        return config
