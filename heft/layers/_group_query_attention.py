"""``GroupQueryAttention``: attention where groups of query heads share key/value heads.

As in Keras, the class is named ``GroupedQueryAttention`` (so default layer names
and weight-file groups are ``grouped_query_attention``) and is exported, and
named in configs, as ``GroupQueryAttention``.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from .. import _masking, _scope, _symbolic, constraints, initializers, regularizers
from ._advanced_activations import Softmax
from ._attention import causal_mask
from ._dropout import Dropout
from ._einsum_dense import EinsumDense
from ._layer import Layer
from ._multi_head_attention import _masks_detached, build_from_call, combined_attention_mask


class GroupedQueryAttention(Layer):
    """Grouped-query attention (GQA): ``num_query_heads`` query heads over fewer K/V heads.

    Each of the ``num_key_value_heads`` key/value heads serves
    ``num_query_heads // num_key_value_heads`` consecutive query heads. With
    ``query`` ``(batch, T, dim)`` and ``value`` (and ``key``, default ``value``)
    ``(batch, S, dim_v)``, the output is ``(batch, T, dim)``. Weights live in the
    EinsumDense sublayers ``query`` ``(dim, num_query_heads, head_dim)``, ``key``
    and ``value`` ``(dim, num_key_value_heads, head_dim)``, optionally ``gate``,
    and ``attention_output`` ``(num_query_heads, head_dim, dim)``.

    Args:
        head_dim: Size of each attention head.
        num_query_heads: Number of query heads.
        num_key_value_heads: Number of key and value heads (divides ``num_query_heads``).
        dropout: Dropout rate on the attention probabilities in training.
        use_bias: Whether the projections have biases.
        sliding_window: If set, position ``i`` only sees positions ``j`` with
            ``|i - j| < sliding_window``.
        flash_attention: Use cuDNN flash attention where it applies (GPU, half
            precision); excludes dropout and returning the scores.
        kernel_initializer: Initializer of the projection kernels.
        bias_initializer: Initializer of the projection biases.
        kernel_regularizer: Regularizer of the projection kernels.
        bias_regularizer: Regularizer of the projection biases.
        activity_regularizer: Regularizer of the projections' and the layer's outputs.
        kernel_constraint: Constraint of the projection kernels.
        bias_constraint: Constraint of the projection biases.
        use_gate: Whether to gate the attention output with a sigmoid projection of the query.
        seed: Seed of the dropout.
        **kwargs: Base layer arguments.

    Call arguments are those of ``MultiHeadAttention``: ``query``, ``value``,
    ``key``, the masks, ``return_attention_scores``, ``training`` and
    ``use_causal_mask``; scores have shape ``(batch, num_query_heads, T, S)``.

    >>> import heft
    >>> layer = heft.layers.GroupQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=2)
    >>> layer(heft.ops.ones((1, 3, 5)), heft.ops.ones((1, 6, 5))).shape
    (1, 3, 5)
    >>> layer.weights[0].path
    'grouped_query_attention/query/kernel'
    """

    def __init__(
        self,
        head_dim: int,
        num_query_heads: int,
        num_key_value_heads: int,
        dropout: float = 0.0,
        use_bias: bool = True,
        sliding_window: int | None = None,
        flash_attention: bool | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        use_gate: bool = False,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.supports_masking = True
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError(
                "`num_query_heads` must be divisible by `num_key_value_heads`. Received: "
                f"num_query_heads={num_query_heads}, num_key_value_heads={num_key_value_heads}."
            )
        self.num_repeats = num_query_heads // num_key_value_heads
        self.dropout = dropout
        self.use_bias = use_bias
        self.use_gate = use_gate
        if sliding_window is not None and (
            isinstance(sliding_window, bool)
            or not isinstance(sliding_window, int)
            or sliding_window <= 0
        ):
            raise ValueError(
                "`sliding_window` must be `None` or a positive integer. "
                f"Received: sliding_window={sliding_window}"
            )
        self.sliding_window = sliding_window
        self._flash_attention = bool(flash_attention)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._inverse_sqrt_head_dim = 1.0 / math.sqrt(float(head_dim))
        if self._flash_attention and dropout > 0.0:
            raise ValueError(
                "Dropout is not supported when flash attention is enabled. "
                "Please set dropout to 0.0 to use flash attention."
            )

    # ------------------------------------------------------------------ build
    def _sublayer_kwargs(self) -> dict[str, Any]:
        def clone(initializer: Any) -> Any:
            # A fresh instance per sublayer, so unseeded initializers draw different values.
            return type(initializer).from_config(initializer.get_config())

        return {
            "kernel_initializer": clone(self.kernel_initializer),
            "bias_initializer": clone(self.bias_initializer),
            "kernel_regularizer": self.kernel_regularizer,
            "bias_regularizer": self.bias_regularizer,
            "activity_regularizer": self.activity_regularizer,
            "kernel_constraint": self.kernel_constraint,
            "bias_constraint": self.bias_constraint,
            "dtype": self.dtype_policy,
        }

    def _projection(self, equation: str, heads: int, bias_axes: str, name: str, **extra: Any):
        return EinsumDense(
            equation,
            output_shape=(None, heads, self.head_dim),
            bias_axes=bias_axes if self.use_bias else None,
            name=name,
            **extra,
            **self._sublayer_kwargs(),
        )

    def build(  # type: ignore[override]
        self, query_shape: Any, value_shape: Any, key_shape: Any = None
    ) -> None:
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        for label, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != 3 or shape[-1] is None:
                raise ValueError(
                    f"GroupQueryAttention layer '{self.name}' takes `{label}` of shape "
                    f"(batch, length, features) with known features. Received: "
                    f"{label}_shape={shape}"
                )
        self.feature_dim = query_shape[-1]
        self._query_dense = self._projection("bqm,muh->bquh", self.num_query_heads, "uh", "query")
        self._query_dense.build(query_shape)
        self._key_dense = self._projection("bkm,mvh->bkvh", self.num_key_value_heads, "vh", "key")
        self._key_dense.build(key_shape)
        if self.use_gate:
            self._gate_dense = self._projection(
                "bqm,muh->bquh", self.num_query_heads, "uh", "gate", activation="sigmoid"
            )
            self._gate_dense.build(query_shape)
        self._value_dense = self._projection(
            "bkm,mvh->bkvh", self.num_key_value_heads, "vh", "value"
        )
        self._value_dense.build(value_shape)
        self._softmax = Softmax(axis=-1, dtype=self.dtype_policy)
        self._dropout_layer = Dropout(rate=self.dropout, dtype=self.dtype_policy, seed=self.seed)
        self._dot_product_equation = "bquh,bkuh->buqk"
        self._combine_equation = "buqk,bkuh->bquh"
        self._output_dense = EinsumDense(
            "bquh,uhm->bqm",
            output_shape=(None, self.feature_dim),
            bias_axes="m" if self.use_bias else None,
            name="attention_output",
            **self._sublayer_kwargs(),
        )
        self._output_dense.build((None, None, self.num_query_heads, self.head_dim))

    def _maybe_build(self, args: tuple, kwargs: dict) -> None:
        build_from_call(self, args, kwargs, f"GroupQueryAttention layer '{self.name}'")

    # ------------------------------------------------------------------ attention
    def _compute_attention_mask(
        self,
        query: Any,
        value: Any,
        query_mask: Any = None,
        value_mask: Any = None,
        key_mask: Any = None,
        attention_mask: Any = None,
        use_causal_mask: bool = False,
    ) -> Any:
        """The masks combined into one boolean ``(batch, T, S)`` mask (``None`` if none)."""
        return combined_attention_mask(
            query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask,
            self.sliding_window,
        )  # fmt: skip

    def _compute_attention(
        self,
        query: Any,
        key: Any,
        value: Any,
        attention_mask: Any = None,
        training: Any = None,
        return_attention_scores: bool = False,
        use_causal_mask: bool = False,
    ) -> tuple[Any, Any]:
        if self._flash_attention and return_attention_scores:
            raise ValueError(
                "Returning attention scores is not supported when flash attention is "
                "enabled. Please disable flash attention to access attention scores."
            )
        if attention_mask is not None:
            attention_mask = jnp.asarray(attention_mask).astype(bool)
            while attention_mask.ndim < 4:
                attention_mask = jnp.expand_dims(attention_mask, -3)
        if self.dropout == 0.0 and not return_attention_scores:
            usable = jax.default_backend() == "gpu" and query.dtype in (
                jnp.float16,
                jnp.bfloat16,
            )
            output = jax.nn.dot_product_attention(
                query,
                key,
                value,
                mask=attention_mask,
                scale=self._inverse_sqrt_head_dim,
                is_causal=use_causal_mask,
                implementation="cudnn" if self._flash_attention and usable else "xla",
            )
            return output, None
        if use_causal_mask:
            causal = causal_mask(query.shape[1], value.shape[1])[:, None]
            attention_mask = causal if attention_mask is None else attention_mask & causal
        query = query * jnp.asarray(self._inverse_sqrt_head_dim, query.dtype)
        scores = jnp.einsum(self._dot_product_equation, query, key)
        scores = self._softmax(scores, mask=attention_mask)
        dropped = self._dropout_layer(scores, training=training) if self.dropout > 0 else scores
        output = jnp.einsum(self._combine_equation, dropped, value)
        return output, scores

    def call(
        self,
        query: Any,
        value: Any,
        key: Any = None,
        query_mask: Any = None,
        value_mask: Any = None,
        key_mask: Any = None,
        attention_mask: Any = None,
        return_attention_scores: bool = False,
        training: Any = None,
        use_causal_mask: bool = False,
    ) -> Any:
        if key is None:
            key = value
        if query_mask is None:
            query_mask = _masking.get_mask(query)
        if value_mask is None:
            value_mask = _masking.get_mask(value)
        if key_mask is None and key is not value:
            key_mask = _masking.get_mask(key)
        causal_only = (
            use_causal_mask
            and query_mask is None
            and value_mask is None
            and key_mask is None
            and attention_mask is None
            and self.sliding_window is None
        )
        if not causal_only:
            attention_mask = self._compute_attention_mask(
                query,
                value,
                query_mask=query_mask,
                value_mask=value_mask,
                key_mask=key_mask,
                attention_mask=attention_mask,
                use_causal_mask=use_causal_mask,
            )
        with _masks_detached(query, value, key):
            gate = self._gate_dense(query) if self.use_gate else None
            query = self._query_dense(query)
            key = self._key_dense(key)
            value = self._value_dense(value)
        key = jnp.repeat(key, self.num_repeats, axis=2)
        value = jnp.repeat(value, self.num_repeats, axis=2)
        output, scores = self._compute_attention(
            query,
            key,
            value,
            attention_mask=None if causal_only else attention_mask,
            training=training,
            return_attention_scores=return_attention_scores,
            use_causal_mask=causal_only,
        )
        if gate is not None:
            output = output * gate
        output = self._output_dense(output)
        if query_mask is not None:
            _masking.set_mask(output, query_mask)
        if return_attention_scores:
            return output, scores
        return output

    # ------------------------------------------------------------------ shapes and config
    def compute_output_shape(
        self, query_shape: Any, value_shape: Any, key_shape: Any = None
    ) -> tuple:
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if query_shape[-1] != value_shape[-1]:
            raise ValueError(
                "The last dimension of `query_shape` and `value_shape` must be equal, but are "
                f"{query_shape[-1]}, {value_shape[-1]}. Received: query_shape={query_shape}, "
                f"value_shape={value_shape}"
            )
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                "All dimensions of `value` and `key`, except the last one, must be equal. "
                f"Received: value_shape={value_shape} and key_shape={key_shape}"
            )
        return query_shape

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        with _scope.StatelessScope():
            return _symbolic.compute_output_spec(self.call, args, kwargs)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "head_dim": self.head_dim,
                "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads,
                "use_bias": self.use_bias,
                "use_gate": self.use_gate,
                "sliding_window": self.sliding_window,
                "dropout": self.dropout,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "seed": self.seed,
            }
        )
        return config


# Configs name the class by its exported name, as Keras's do (read by `heft._registry`).
GroupedQueryAttention._heft_serialized_class = type(  # type: ignore[attr-defined]
    "GroupQueryAttention", (), {"__module__": GroupedQueryAttention.__module__}
)
