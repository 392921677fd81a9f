"""``Attention`` (dot-product, Luong) and ``AdditiveAttention`` (Bahdanau) layers."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .. import _scope, _symbolic, random
from ..random._seed_generator import SeedGenerator
from ._layer import Layer


def causal_mask(tq: int, tv: int) -> Any:
    """A ``(1, tq, tv)`` boolean mask letting query position ``i`` see value positions ``<= i``."""
    rows = jnp.arange(tq)[:, None]
    cols = jnp.arange(tv)[None, :]
    return (rows >= cols)[None]


class Attention(Layer):
    """Dot-product attention of a query over values (Luong style).

    Called on ``[query, value]`` or ``[query, value, key]`` (``key`` defaults to
    ``value``) of shapes ``(batch, Tq, dim)``, ``(batch, Tv, dim_v)`` and
    ``(batch, Tv, dim)``. Scores are ``query @ key^T`` (``score_mode="dot"``) or
    ``sum(tanh(query + key))`` (``"concat"``); their softmax over ``Tv`` weights
    the values.

    Args:
        use_scale: Whether to learn a scalar ``scale`` multiplying the scores.
        score_mode: ``"dot"`` or ``"concat"``.
        dropout: Fraction of the attention weights dropped in training.
        seed: Seed of the dropout.
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: ``[query, value]`` or ``[query, value, key]``.
        mask: ``[query_mask, value_mask]`` booleans of shapes ``(batch, Tq)`` and
            ``(batch, Tv)``: masked values get no attention, masked queries give 0.
        training: Whether dropout is applied.
        return_attention_scores: Also return the attention weights ``(batch, Tq, Tv)``.
        use_causal_mask: Forbid query position ``i`` from seeing values after ``i``.

    >>> import heft
    >>> q, v = heft.ops.ones((2, 3, 4)), heft.ops.ones((2, 5, 4))
    >>> Attention()([q, v]).shape
    (2, 3, 4)
    """

    def __init__(
        self,
        use_scale: bool = False,
        score_mode: str = "dot",
        dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                f"Invalid value for argument score_mode of {type(self).__name__} layer "
                f"'{self.name}'. Expected one of {{'dot', 'concat'}}. "
                f"Received: score_mode={score_mode!r}"
            )
        if (
            isinstance(dropout, bool)
            or not isinstance(dropout, int | float)
            or not 0 <= dropout < 1
        ):
            raise ValueError(
                f"Invalid value for argument dropout of {type(self).__name__} layer "
                f"'{self.name}': expected a float in [0, 1). Received: dropout={dropout!r}"
            )
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = dropout
        self.seed = seed
        if dropout > 0:
            self.seed_generator = SeedGenerator(seed)
        self.supports_masking = True

    # ------------------------------------------------------------------ checks
    def _validate_inputs(self, inputs: Any, mask: Any = None) -> None:
        name = f"{type(self).__name__} layer '{self.name}'"
        if not isinstance(inputs, list):
            raise ValueError(
                f"{name} must be called on a list of inputs, namely [query, value] or "
                f"[query, value, key]. Received: inputs={inputs!r}."
            )
        if not 2 <= len(inputs) <= 3:
            raise ValueError(
                f"{name} accepts inputs list of length 2 or 3, namely [query, value] or "
                f"[query, value, key]. Received length: {len(inputs)}."
            )
        if mask is not None:
            if not isinstance(mask, list):
                raise ValueError(
                    f"{name} mask must be a list, namely [query_mask, value_mask]. "
                    f"Received: mask={mask!r}."
                )
            if not 2 <= len(mask) <= 3:
                raise ValueError(
                    f"{name} accepts mask list of length 2 or 3, namely [query_mask, "
                    f"value_mask]. Received: mask of length {len(mask)}."
                )

    def _check_shapes(self, shapes: list) -> None:
        """Check that query/key last dims agree and that key and value have the same Tv."""
        q, v = tuple(shapes[0]), tuple(shapes[1])
        k = tuple(shapes[2]) if len(shapes) > 2 else v
        name = f"{type(self).__name__} layer '{self.name}'"
        if q[-1] is not None and k[-1] is not None and q[-1] != k[-1]:
            what = "value" if len(shapes) == 2 else "key"
            raise ValueError(
                f"The last dimension of the query and of the {what} passed to {name} must be "
                f"equal (scores compare them). Received: query shape {q}, {what} shape "
                f"{k if len(shapes) > 2 else v}. Project them to the same size first, "
                "e.g. with a Dense layer."
            )
        if len(shapes) > 2 and None not in (k[-2], v[-2]) and k[-2] != v[-2]:
            raise ValueError(
                f"The key and the value passed to {name} must have the same number of "
                f"time steps (second-to-last axis). Received: value shape {v}, key shape {k}."
            )

    # ------------------------------------------------------------------ build and call
    def build(self, input_shape: Any) -> None:
        self._validate_inputs(input_shape)
        self._check_shapes(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(
                name="concat_score_weight", shape=(), initializer="ones"
            )

    def _calculate_scores(self, query: Any, key: Any) -> Any:
        if self.score_mode == "dot":
            scores = jnp.matmul(query, jnp.swapaxes(key, -2, -1))
            if self.scale is not None:
                scores = scores * self.scale.value
            return scores
        # concat: broadcast (batch, Tq, 1, dim) against (batch, 1, Tv, dim).
        summed = query[..., :, None, :] + key[..., None, :, :]
        if self.scale is not None:
            summed = self.scale.value * summed
        return self.concat_score_weight.value * jnp.sum(jnp.tanh(summed), axis=-1)

    def _apply_scores(
        self, scores: Any, value: Any, scores_mask: Any = None, training: Any = False
    ) -> tuple[Any, Any]:
        if scores_mask is not None:
            padding = jnp.logical_not(scores_mask)
            large = 65504.0 if scores.dtype == jnp.float16 else 1.0e9
            if padding.ndim == 2:
                padding = padding[:, None, :]
            scores = jnp.where(padding, scores - large, scores)
        weights = jax.nn.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = random.dropout(weights, self.dropout, seed=self.seed_generator)
        return jnp.matmul(weights, value), weights

    def call(
        self,
        inputs: Any,
        mask: Any = None,
        training: Any = False,
        return_attention_scores: bool = False,
        use_causal_mask: bool = False,
    ) -> Any:
        self._validate_inputs(inputs, mask)
        self._check_shapes([tuple(x.shape) for x in inputs])
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        scores = self._calculate_scores(query, key)
        scores_mask = v_mask
        if use_causal_mask:
            scores_mask = causal_mask(scores.shape[-2], scores.shape[-1])
            if v_mask is not None:
                scores_mask = jnp.logical_and(jnp.asarray(v_mask, bool)[..., None, :], scores_mask)
        elif scores_mask is not None:
            scores_mask = jnp.asarray(scores_mask, bool)
        output, weights = self._apply_scores(scores, value, scores_mask, training)
        if q_mask is not None:
            output = jnp.where(jnp.asarray(q_mask, bool)[..., None], output, 0)
        if return_attention_scores:
            return output, weights
        return output

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        self._validate_inputs(inputs, mask)
        if mask is None or mask[0] is None:
            return None
        return jnp.asarray(mask[0])

    def compute_output_shape(self, input_shape: Any) -> tuple:
        query_shape, value_shape = tuple(input_shape[0]), tuple(input_shape[1])
        return (*query_shape[:-1], value_shape[-1])

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        with _scope.StatelessScope():
            return _symbolic.compute_output_spec(self.call, args, kwargs)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "use_scale": self.use_scale,
                "score_mode": self.score_mode,
                "dropout": self.dropout,
                "seed": self.seed,
            }
        )
        return config


class AdditiveAttention(Attention):
    """Additive attention (Bahdanau style): scores ``sum(scale * tanh(query + key))``.

    Inputs, masks and call arguments are those of ``Attention``.

    Args:
        use_scale: Whether to learn a per-feature ``scale`` vector (else 1).
        dropout: Fraction of the attention weights dropped in training.
        **kwargs: Base layer arguments and ``seed``.

    >>> import heft
    >>> q, v = heft.ops.ones((2, 3, 4)), heft.ops.ones((2, 5, 4))
    >>> layer = AdditiveAttention()
    >>> layer([q, v]).shape
    (2, 3, 4)
    >>> tuple(layer.scale.shape)
    (4,)
    """

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs: Any) -> None:
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape: Any) -> None:
        self._validate_inputs(input_shape)
        self._check_shapes(input_shape)
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight(
                name="scale", shape=(input_shape[0][-1],), initializer="glorot_uniform"
            )

    def _calculate_scores(self, query: Any, key: Any) -> Any:
        summed = jnp.tanh(query[..., :, None, :] + key[..., None, :, :])
        if self.use_scale:
            summed = self.scale.value * summed
        return jnp.sum(summed, axis=-1)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["score_mode"]
        return config
