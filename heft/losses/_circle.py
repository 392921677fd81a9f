"""The Circle loss for metric learning on L2-normalized embeddings."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .._typing import ArrayLike, DTypeLike
from ._utils import to_tensor
from ._wrapper import BuiltinLoss, function_arguments, register_masked_form


def _pair_masks(
    query_labels: jax.Array, key_labels: jax.Array, remove_diagonal: bool
) -> tuple[jax.Array, jax.Array]:
    """Which (query, key) pairs share a label (positives) and which do not (negatives)."""
    if query_labels.ndim == 1:
        query_labels = query_labels.reshape(-1, 1)
    if key_labels.ndim == 1:
        key_labels = key_labels.reshape(-1, 1)
    positive = query_labels == key_labels.T
    negative = jnp.logical_not(positive)
    if remove_diagonal:
        not_self = ~jnp.eye(query_labels.size, key_labels.size, dtype=bool)
        positive = jnp.logical_and(positive, not_self)
    return positive, negative


def _circle_and_mask(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    ref_labels: Any = None,
    ref_embeddings: Any = None,
    remove_diagonal: bool = True,
    gamma: float = 80,
    margin: float = 0.4,
) -> tuple[jax.Array, jax.Array]:
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true).astype(jnp.int32)
    ref_embeddings = y_pred if ref_embeddings is None else to_tensor(ref_embeddings)
    ref_labels = y_true if ref_labels is None else to_tensor(ref_labels).astype(jnp.int32)
    distances = jnp.maximum(1 - jnp.matmul(y_pred, ref_embeddings.T), 0.0)
    positive, negative = _pair_masks(y_true, ref_labels, remove_diagonal)
    pos_weights = jnp.maximum((margin + distances) * positive.astype(distances.dtype), 0.0)
    neg_weights = jnp.maximum((1 + margin - distances) * negative.astype(distances.dtype), 0.0)
    pos_logits = -1 * gamma * pos_weights * (margin - distances)
    neg_logits = gamma * neg_weights * ((1 - margin) - distances)
    pos_term = jax.scipy.special.logsumexp(jnp.where(positive, pos_logits, -jnp.inf), axis=1)
    neg_term = jax.scipy.special.logsumexp(jnp.where(negative, neg_logits, -jnp.inf), axis=1)
    loss = jax.nn.softplus(pos_term + neg_term)
    return loss, loss > 0


def circle(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    ref_labels: Any = None,
    ref_embeddings: Any = None,
    remove_diagonal: bool = True,
    gamma: float = 80,
    margin: float = 0.4,
) -> jax.Array:
    """The Circle loss of each embedding against the reference embeddings.

    Same-label pairs are pulled together and different-label pairs pushed apart,
    each pair weighted by how far it is from its optimum.

    Args:
        y_true: Integer labels, shape ``(batch_size,)``.
        y_pred: L2-normalized embeddings, shape ``(batch_size, dim)``.
        ref_labels: Labels of the reference embeddings; defaults to ``y_true``.
        ref_embeddings: L2-normalized reference embeddings; defaults to ``y_pred``.
        remove_diagonal: Whether an embedding is left out as its own positive.
        gamma: The scale of the loss.
        margin: The relaxation margin.

    Returns:
        The loss per embedding (0 for embeddings without positive pairs).

    >>> embeddings = [[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]]
    >>> [round(float(v), 3) for v in circle([0, 0, 1], embeddings)]
    [0.0, 38.4, 0.0]
    """
    return _circle_and_mask(
        y_true, y_pred, ref_labels, ref_embeddings, remove_diagonal, gamma, margin
    )[0]


register_masked_form(circle, _circle_and_mask)


class Circle(BuiltinLoss):
    """The Circle loss for metric learning; the mean is over embeddings with a positive loss.

    Args:
        gamma: The scale of the loss.
        margin: The relaxation margin.
        remove_diagonal: Whether an embedding is left out as its own positive.
        reduction: How to reduce the values (see ``Loss``).
        name: The loss's name.
        dtype: The dtype of the computation; defaults to ``floatx()``.

    >>> round(float(Circle()([0, 0, 1], [[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])), 3)
    19.2
    """

    _config_keys = ("gamma", "margin", "remove_diagonal")

    def __init__(
        self,
        gamma: float = 80.0,
        margin: float = 0.4,
        remove_diagonal: bool = True,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "circle",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(circle, reduction, name, dtype, **function_arguments(locals()))
