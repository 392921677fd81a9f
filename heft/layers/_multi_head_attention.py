"""``MultiHeadAttention``: scaled dot-product attention over several projected heads."""

from __future__ import annotations

import contextlib
import math
import string
from collections.abc import Iterator
from typing import Any

import jax
import jax.numpy as jnp

from .. import _masking, _scope, _switches, _symbolic, constraints, initializers, regularizers
from ._advanced_activations import Softmax
from ._attention import causal_mask
from ._dropout import Dropout
from ._einsum_dense import EinsumDense
from ._layer import Layer

_LETTERS = string.ascii_lowercase


def _projection_equation(free: int, bound: int, out: int) -> tuple[str, str, int]:
    """``(equation, bias_axes, output_rank)`` of a projection keeping ``free`` axes,
    contracting ``bound`` axes and adding ``out`` axes."""
    kept = _LETTERS[:free]
    contracted = _LETTERS[free : free + bound]
    added = _LETTERS[free + bound : free + bound + out]
    return f"{kept}{contracted},{contracted}{added}->{kept}{added}", added, free + out


def _attention_equations(rank: int, axes: tuple[int, ...]) -> tuple[str, str, int]:
    """Einsum equations for ``scores = key . query`` and ``output = scores . value``.

    ``rank`` is the rank of the projected tensors ``(batch, *attention axes, heads,
    head_dim)``; the scores hold the batch-like axes (heads included), then the
    query's attention axes, then the key's.
    """
    target = _LETTERS[:rank]
    fresh = iter(_LETTERS[rank:])
    source = "".join(next(fresh) if i in axes else target[i] for i in range(rank))
    batch_like = [i for i in range(rank - 1) if i not in axes]
    product = (
        "".join(target[i] for i in batch_like)
        + "".join(target[i] for i in axes)
        + "".join(source[i] for i in axes)
    )
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


@contextlib.contextmanager
def _masks_detached(*tensors: Any) -> Iterator[None]:
    """Hide the masks the tensors carry for the duration (they are put back afterwards).

    The projections consume inputs whose masks this layer has already taken into
    account; without this they would warn that they cannot propagate them.
    """
    saved = []
    for tensor in tensors:
        mask = _masking.get_mask(tensor)
        if mask is not None:
            saved.append((tensor, mask))
            _masking.set_mask(tensor, None)
    try:
        yield
    finally:
        for tensor, mask in saved:
            _masking.set_mask(tensor, mask)


def _check_value_key(where: str, value_shape: tuple, key_shape: tuple) -> None:
    if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
        raise ValueError(
            f"All dimensions of `value` and `key`, except the last one, must be equal "
            f"({where}). Received: value_shape={tuple(value_shape)} and "
            f"key_shape={tuple(key_shape)}"
        )


def build_from_call(layer: Any, args: tuple, kwargs: dict, where: str) -> None:
    """Build an attention layer from the shapes of its call's ``query``, ``value`` and ``key``."""
    if layer.built:
        return
    given = dict(zip(("query", "value", "key"), args, strict=False))
    given.update({k: kwargs[k] for k in ("query", "value", "key") if kwargs.get(k) is not None})
    if "query" not in given or "value" not in given:
        raise ValueError(
            f"{where} must be called with at least `query` and `value`. Received: {sorted(given)}."
        )
    shapes = [_symbolic.shape_of(given["query"]), _symbolic.shape_of(given["value"])]
    if given.get("key") is not None:
        shapes.append(_symbolic.shape_of(given["key"]))
    layer.build(*shapes)


def combined_attention_mask(
    query: Any,
    value: Any,
    query_mask: Any,
    value_mask: Any,
    key_mask: Any,
    attention_mask: Any,
    use_causal_mask: bool,
    sliding_window: int | None,
) -> Any:
    """The masks combined into one boolean ``(batch, T, S)`` mask (``None`` if none).

    Keras's rule: the query mask masks rows, the value and key masks columns,
    the causal and sliding-window masks what lies outside them; all of them and
    ``attention_mask`` must agree for a position to be attended.
    """
    parts = []
    if query_mask is not None:
        parts.append(jnp.asarray(query_mask).astype(bool)[..., :, None])
    if value_mask is not None:
        parts.append(jnp.asarray(value_mask).astype(bool)[..., None, :])
    if key_mask is not None:
        parts.append(jnp.asarray(key_mask).astype(bool)[..., None, :])
    if use_causal_mask:
        parts.append(causal_mask(query.shape[1], value.shape[1]))
    if sliding_window is not None:
        rows = jnp.arange(query.shape[1])[:, None]
        cols = jnp.arange(value.shape[1])[None, :]
        parts.append((jnp.abs(rows - cols) < sliding_window)[None])
    auto = None
    for part in parts:
        auto = part if auto is None else auto & part
    if attention_mask is not None:
        attention_mask = jnp.asarray(attention_mask).astype(bool)
        return attention_mask if auto is None else attention_mask & auto
    return auto


class MultiHeadAttention(Layer):
    """Multi-head attention: project query/key/value into heads, attend, project back.

    With ``query`` of shape ``(batch, T, dim)`` and ``value`` (and ``key``,
    defaulting to ``value``) of shape ``(batch, S, dim_v)``, each head computes
    ``softmax(q k^T / sqrt(key_dim)) v``; the heads are combined by the
    ``attention_output`` projection into ``(batch, T, dim)`` (or ``output_shape``).
    Weights live in the EinsumDense sublayers ``query``, ``key``, ``value`` and
    ``attention_output`` (kernels ``(dim, num_heads, key_dim)``... and
    ``(num_heads, value_dim, dim)``).

    Args:
        num_heads: Number of attention heads.
        key_dim: Size of each head for query and key.
        value_dim: Size of each head for value (defaults to ``key_dim``).
        dropout: Dropout rate on the attention probabilities in training.
        use_bias: Whether the projections have biases.
        output_shape: Output size(s) after the time axes (default: the query's last dim).
        attention_axes: Axes of the query attended over (default: all but batch,
            heads and features).
        sliding_window: If set, position ``i`` only sees positions ``j`` with
            ``|i - j| < sliding_window``.
        flash_attention: Use cuDNN flash attention where it applies (GPU, float16 or
            bfloat16); elsewhere the XLA kernel runs. Excludes dropout and
            returning the attention scores. ``None`` follows
            ``heft.config.enable_flash_attention()``.
        kernel_initializer: Initializer of the projection kernels.
        bias_initializer: Initializer of the projection biases.
        kernel_regularizer: Regularizer of the projection kernels.
        bias_regularizer: Regularizer of the projection biases.
        activity_regularizer: Regularizer of the projections' outputs.
        kernel_constraint: Constraint of the projection kernels.
        bias_constraint: Constraint of the projection biases.
        use_gate: Whether to gate the attention output with a sigmoid projection of the query.
        seed: Seed of the dropout.
        **kwargs: Base layer arguments.

    Call arguments:
        query, value, key: The inputs (``key`` defaults to ``value``).
        query_mask, value_mask, key_mask: Boolean ``(batch, T)`` / ``(batch, S)``
            masks; default to the masks the inputs carry.
        attention_mask: Boolean ``(batch, T, S)``: which positions may attend to which.
        return_attention_scores: Also return the probabilities ``(batch, heads, T, S)``.
        training: Whether dropout is applied.
        use_causal_mask: Forbid position ``i`` from seeing positions after ``i``.

    >>> import heft
    >>> layer = MultiHeadAttention(num_heads=2, key_dim=3)
    >>> layer(heft.ops.ones((1, 4, 5)), heft.ops.ones((1, 6, 5))).shape
    (1, 4, 5)
    >>> [w.path for w in layer.weights][:2]
    ['multi_head_attention/query/kernel', 'multi_head_attention/query/bias']
    """

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        value_dim: int | None = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        output_shape: Any = None,
        attention_axes: Any = None,
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
        super().__init__(**kwargs)
        where = f"MultiHeadAttention layer '{self.name}'"
        for argument, value, optional in (
            ("num_heads", num_heads, False),
            ("key_dim", key_dim, False),
            ("value_dim", value_dim, True),
            ("sliding_window", sliding_window, True),
        ):
            if value is None and optional:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(
                    f"Received an invalid value for argument `{argument}` of {where}, expected "
                    f"a positive integer{' or None' if optional else ''}. "
                    f"Received: {argument}={value!r}"
                )
        if (
            isinstance(dropout, bool)
            or not isinstance(dropout, int | float)
            or not 0 <= dropout <= 1
        ):
            raise ValueError(
                f"Received an invalid value for argument `dropout` of {where}, expected a float "
                f"in [0, 1]. Received: dropout={dropout!r}"
            )
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            elif isinstance(output_shape, list | tuple):
                output_shape = tuple(output_shape)
            else:
                raise ValueError(
                    f"Invalid `output_shape` of {where}: {output_shape!r}. When specified, the "
                    "`output_shape` should be of type tuple, list, or int."
                )
        if isinstance(attention_axes, int) and not isinstance(attention_axes, bool):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, list | tuple):
            raise ValueError(
                f"`attention_axes` of {where} must be an int, list, or tuple. "
                f"Received: attention_axes={attention_axes!r}"
            )
        if attention_axes and not all(
            isinstance(a, int) and not isinstance(a, bool) for a in attention_axes
        ):
            raise ValueError(
                f"`attention_axes` of {where} must hold ints (axes of the query). "
                f"Received: attention_axes={attention_axes!r}"
            )
        self._flash_attention = bool(flash_attention or _switches.is_flash_attention_enabled())
        if self._flash_attention and dropout > 0.0:
            raise ValueError(
                f"Dropout is not supported when flash attention is enabled ({where}). "
                "Please set dropout to 0.0 to use flash attention."
            )
        self.supports_masking = True
        self._num_heads = num_heads
        self._key_dim = key_dim
        self._value_dim = value_dim if value_dim else key_dim
        self._dropout = dropout
        self._use_bias = use_bias
        self._use_gate = use_gate
        self._output_shape = output_shape
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self._attention_axes = attention_axes
        self._sliding_window = sliding_window
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(key_dim))

    # ------------------------------------------------------------------ properties
    @property
    def num_heads(self) -> int:
        return self._num_heads

    @property
    def key_dim(self) -> int:
        return self._key_dim

    @property
    def value_dim(self) -> int:
        return self._value_dim

    @property
    def dropout(self) -> float:
        return self._dropout

    @property
    def use_bias(self) -> bool:
        return self._use_bias

    @property
    def attention_axes(self) -> Any:
        return self._attention_axes

    # ------------------------------------------------------------------ build
    def _where(self) -> str:
        return f"MultiHeadAttention layer '{self.name}'"

    def _normalized_axes(self, query_rank: int) -> tuple[int, ...]:
        """The attention axes as non-negative axes of the query (batch and features excluded)."""
        if self._attention_axes is None:
            return tuple(range(1, query_rank - 1))
        axes = tuple(a if a >= 0 else query_rank + a for a in self._attention_axes)
        if (
            not axes
            or len(set(axes)) != len(axes)
            or any(not 1 <= a <= query_rank - 2 for a in axes)
        ):
            raise ValueError(
                f"Invalid `attention_axes` of {self._where()} for a query of rank {query_rank}: "
                f"{self._attention_axes!r}. They must be distinct axes between 1 and "
                f"{query_rank - 2} (or -2 to {1 - query_rank}): neither the batch axis nor "
                "the feature (last) axis."
            )
        return axes

    def _sublayer_kwargs(self) -> dict[str, Any]:
        def clone(initializer: Any) -> Any:
            # A fresh instance per sublayer, so unseeded initializers draw different values.
            return type(initializer).from_config(initializer.get_config())

        return {
            "kernel_initializer": clone(self._kernel_initializer),
            "bias_initializer": clone(self._bias_initializer),
            "kernel_regularizer": self._kernel_regularizer,
            "bias_regularizer": self._bias_regularizer,
            "activity_regularizer": self._activity_regularizer,
            "kernel_constraint": self._kernel_constraint,
            "bias_constraint": self._bias_constraint,
            "dtype": self.dtype_policy,
        }

    def _projection(
        self, input_rank: int, bound: int, last_dims: list, name: str, **extra: Any
    ) -> EinsumDense:
        equation, bias_axes, output_rank = _projection_equation(
            input_rank - 1, bound, len(last_dims)
        )
        return EinsumDense(
            equation,
            output_shape=[None] * (output_rank - 1 - len(last_dims)) + list(last_dims),
            bias_axes=bias_axes if self._use_bias else None,
            name=name,
            **extra,
            **self._sublayer_kwargs(),
        )

    def build(self, query_shape: Any, value_shape: Any, key_shape: Any = None) -> None:
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        _check_value_key(self._where(), value_shape, key_shape)
        if len(query_shape) < 3 or len(value_shape) != len(query_shape):
            raise ValueError(
                f"{self._where()} expects query and value of the same rank, at least 3: "
                "(batch, time..., features). Received: "
                f"query_shape={query_shape}, value_shape={value_shape}."
            )
        for label, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if shape[-1] is None:
                raise ValueError(
                    f"The last dimension of `{label}` passed to {self._where()} must be known "
                    f"to build its projections. Received: {label}_shape={shape}"
                )
        axes = self._normalized_axes(len(query_shape))
        rank = len(query_shape)
        heads = self._num_heads

        self._query_dense = self._projection(rank, 1, [heads, self._key_dim], "query")
        self._query_dense.build(query_shape)
        self._key_dense = self._projection(rank, 1, [heads, self._key_dim], "key")
        self._key_dense.build(key_shape)
        if self._use_gate:
            self._gate_dense = self._projection(
                rank, 1, [heads, self._value_dim], "gate", activation="sigmoid"
            )
            self._gate_dense.build(query_shape)
        self._value_dense = self._projection(rank, 1, [heads, self._value_dim], "value")
        self._value_dense.build(value_shape)

        # Projected tensors have rank + 1 axes: (batch, *time, heads, head_dim).
        self._attention_axes = axes
        self._dot_product_equation, self._combine_equation, scores_rank = _attention_equations(
            rank + 1, axes
        )
        norm_axes = tuple(range(scores_rank - len(axes), scores_rank))
        self._softmax = Softmax(axis=norm_axes, dtype=self.dtype_policy)
        self._dropout_layer = Dropout(rate=self._dropout, dtype=self.dtype_policy, seed=self.seed)

        output_dims = list(self._output_shape) if self._output_shape else [query_shape[-1]]
        self._output_dense = self._projection(rank, 2, output_dims, "attention_output")
        projected = list(self._query_dense.compute_output_shape(query_shape))
        projected[-1] = self._value_dim
        self._output_dense.build(tuple(projected))
        # Keras reaches these sublayers through public properties of these names, and
        # weight files are laid out by those names.
        self.query_dense = self._query_dense
        self.key_dense = self._key_dense
        self.value_dense = self._value_dense
        self.output_dense = self._output_dense

    def _maybe_build(self, args: tuple, kwargs: dict) -> None:
        build_from_call(self, args, kwargs, self._where())

    # ------------------------------------------------------------------ masks
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
        """Combine the masks into one boolean ``(batch, T, S)`` mask (``None`` if none)."""
        return combined_attention_mask(
            query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask,
            self._sliding_window,
        )  # fmt: skip

    def _expand_mask(self, mask: Any, rank: int) -> Any:
        axis = -len(self._attention_axes) * 2 - 1
        while mask.ndim < rank:
            mask = jnp.expand_dims(mask, axis)
        return mask

    def _masked_softmax(self, attention_scores: Any, attention_mask: Any = None) -> Any:
        if attention_mask is not None:
            attention_mask = self._expand_mask(attention_mask, attention_scores.ndim)
        return self._softmax(attention_scores, mask=attention_mask)

    # ------------------------------------------------------------------ attention
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
        """Attention of projected ``query`` over projected ``key``/``value``: (output, probs)."""
        if self._flash_attention and return_attention_scores:
            raise ValueError(
                f"Returning attention scores is not supported when flash attention is enabled "
                f"({self._where()}). Please disable flash attention to access attention scores."
            )
        fused = (
            self._dropout == 0.0
            and not return_attention_scores
            and query.ndim == 4
            and value.shape[-1] == query.shape[-1]
        )
        if fused:
            if attention_mask is not None:
                attention_mask = self._expand_mask(jnp.asarray(attention_mask).astype(bool), 4)
            output = jax.nn.dot_product_attention(
                query,
                key,
                value,
                mask=attention_mask,
                scale=self._inverse_sqrt_key_dim,
                is_causal=use_causal_mask,
                implementation=self._fused_implementation(query),
            )
            return output, None
        if use_causal_mask:
            causal = causal_mask(query.shape[1], value.shape[1])
            attention_mask = (
                causal
                if attention_mask is None
                else jnp.logical_and(jnp.asarray(attention_mask).astype(bool), causal)
            )
        query = query * jnp.asarray(self._inverse_sqrt_key_dim, query.dtype)
        scores = jnp.einsum(self._dot_product_equation, key, query)
        scores = self._masked_softmax(scores, attention_mask)
        dropped = scores
        if self._dropout > 0.0:
            dropped = self._dropout_layer(scores, training=training)
        output = jnp.einsum(self._combine_equation, dropped, value)
        return output, scores

    def _fused_implementation(self, query: Any) -> str:
        """cuDNN flash attention when requested and usable (GPU, half precision), else XLA."""
        usable = jax.default_backend() == "gpu" and query.dtype in (jnp.float16, jnp.bfloat16)
        return "cudnn" if self._flash_attention and usable else "xla"

    def _check_call_shapes(self, query: Any, value: Any, key: Any) -> None:
        expected = (
            ("query", query, self._query_dense),
            ("value", value, self._value_dense),
            ("key", key, self._key_dense),
        )
        for label, x, dense in expected:
            if x.shape[-1] != dense.kernel.shape[0]:
                raise ValueError(
                    f"{self._where()} was built for `{label}` with last dimension "
                    f"{dense.kernel.shape[0]}, but received {label} of shape {tuple(x.shape)}. "
                    "Pass inputs with the sizes the layer was built for, or use a new layer."
                )
        _check_value_key(self._where(), value.shape, key.shape)

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
        self._check_call_shapes(query, value, key)
        causal_only = (
            use_causal_mask
            and query_mask is None
            and value_mask is None
            and key_mask is None
            and attention_mask is None
            and self._sliding_window is None
            and type(self)._compute_attention is MultiHeadAttention._compute_attention
        )
        if causal_only:
            attention_mask = None
        else:
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
            gate = self._gate_dense(query) if self._use_gate else None
            query = self._query_dense(query)
            key = self._key_dense(key)
            value = self._value_dense(value)
        extra = {"use_causal_mask": True} if causal_only else {}
        output, scores = self._compute_attention(
            query, key, value, attention_mask, training, return_attention_scores, **extra
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
        _check_value_key(self._where(), value_shape, key_shape)
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
        return query_shape

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        with _scope.StatelessScope():
            return _symbolic.compute_output_spec(self.call, args, kwargs)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "num_heads": self._num_heads,
                "key_dim": self._key_dim,
                "value_dim": self._value_dim,
                "dropout": self._dropout,
                "use_bias": self._use_bias,
                "use_gate": self._use_gate,
                "output_shape": self._output_shape,
                "attention_axes": self._attention_axes,
                "sliding_window": self._sliding_window,
                "kernel_initializer": initializers.serialize(self._kernel_initializer),
                "bias_initializer": initializers.serialize(self._bias_initializer),
                "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self._bias_regularizer),
                "activity_regularizer": regularizers.serialize(self._activity_regularizer),
                "kernel_constraint": constraints.serialize(self._kernel_constraint),
                "bias_constraint": constraints.serialize(self._bias_constraint),
                "seed": self.seed,
            }
        )
        return config
