"""Thresholded confusion-matrix counts (TP, FP, TN, FN) accumulated into metric variables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _config
from .._typing import ArrayLike
from ._utils import match_ranks, to_array

#: The threshold used with ``top_k``: every kept prediction is above it.
NEG_INF = -1e10

CONDITIONS = ("tp", "fp", "tn", "fn")


def to_list(value: Any) -> list[Any]:
    """``value`` as a list: lists are copied, tuples converted, anything else wrapped."""
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def parse_thresholds(thresholds: Any, default: float = 0.5) -> list[float]:
    """The list of thresholds a confusion metric evaluates at.

    Args:
        thresholds: ``None``, one float, or a list or tuple of floats in ``[0, 1]``.
        default: The threshold used when ``thresholds`` is ``None``.

    Raises:
        ValueError: If a given threshold is ``None`` or outside ``[0, 1]``.
    """
    if thresholds is None:
        return [default]
    values = to_list(thresholds)
    invalid = [t for t in values if t is None or t < 0 or t > 1]
    if invalid:
        raise ValueError(
            f"Threshold values must be in [0, 1]. Received: {invalid} among "
            f"thresholds={thresholds}. Pass thresholds between 0 and 1."
        )
    return values


def evenly_spaced(thresholds: Sequence[float]) -> bool:
    """Whether ``thresholds`` are ``i / (n - 1)`` for ``i`` in ``0..n-1``, with ``n >= 3``."""
    n = len(thresholds)
    if n < 3:
        return False
    grid = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(np.asarray(thresholds, dtype=np.float64), grid, atol=_config.epsilon()))


def keep_top_k(x: jax.Array, k: int) -> jax.Array:
    """``x`` with everything but the ``k`` largest entries of the last axis set to ``NEG_INF``."""
    _, indices = jax.lax.top_k(x, k)
    mask = jnp.sum(jax.nn.one_hot(indices, x.shape[-1], dtype=x.dtype), axis=-2)
    return x * mask + NEG_INF * (1 - mask)


def update_confusion_matrix(
    variables: Mapping[str, Any],
    y_true: ArrayLike,
    y_pred: ArrayLike,
    thresholds: Sequence[float] | np.ndarray,
    top_k: int | None = None,
    class_id: int | None = None,
    sample_weight: ArrayLike | None = None,
    multi_label: bool = False,
    label_weights: Any = None,
    thresholds_distributed_evenly: bool = False,
) -> None:
    """Add the (weighted) counts of one batch to confusion-matrix variables.

    A prediction is positive at threshold ``t`` when ``y_pred > t``; labels are
    cast to bool. Each variable has one entry per threshold (and per label with
    ``multi_label``).

    Args:
        variables: Variables keyed by ``"tp"``, ``"fp"``, ``"tn"``, ``"fn"``.
        y_true: Labels, cast to bool.
        y_pred: Predictions in ``[0, 1]``.
        thresholds: The thresholds, sorted ascending.
        top_k: Keep only the ``k`` largest predictions of each row positive.
        class_id: Count only this class (the last axis of the inputs).
        sample_weight: Optional weights broadcastable to ``y_true``.
        multi_label: Count each label (the second axis) separately.
        label_weights: Optional weight per label, applied when not ``multi_label``.
        thresholds_distributed_evenly: Use bucketing (O(T + N)) for evenly spaced
            thresholds instead of comparing every prediction with every threshold.

    Raises:
        ValueError: If ``variables`` has an unknown key, or ``class_id`` is given
            with 1-D predictions.
    """
    invalid = [key for key in variables if key not in CONDITIONS]
    if invalid or not variables:
        raise ValueError(
            f"Invalid confusion-matrix keys: {invalid or list(variables)}. Valid keys are "
            f"{list(CONDITIONS)}; pass at least one of them."
        )
    dtype = jnp.dtype(next(iter(variables.values())).dtype)
    y_true = to_array(y_true).astype(dtype)
    y_pred = to_array(y_pred).astype(dtype)
    with_epsilon = bool(
        thresholds_distributed_evenly and (thresholds[0] < 0.0 or thresholds[-1] > 1.0)
    )
    thresholds = jnp.asarray(np.asarray(thresholds), dtype=dtype)

    y_pred, y_true = match_ranks(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = jnp.expand_dims(to_array(sample_weight).astype(dtype), -1)
        _, sample_weight = match_ranks(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = keep_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(
                "When `class_id` is given, `y_pred` must be a 2-D array of shape "
                f"(num_samples, num_classes). Received: y_pred.shape={y_pred.shape}. "
                "Pass per-class predictions, or drop `class_id`."
            )
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]

    if thresholds_distributed_evenly:
        counts = _bucketed_counts(
            y_true,
            y_pred,
            thresholds.shape[0],
            multi_label,
            sample_weight,
            label_weights,
            with_epsilon,
        )
    else:
        counts = _compared_counts(
            y_true, y_pred, thresholds, multi_label, sample_weight, label_weights, list(variables)
        )
    for key, variable in variables.items():
        variable.assign(variable.value + counts[key].astype(variable.dtype))


def _compared_counts(
    y_true: jax.Array,
    y_pred: jax.Array,
    thresholds: jax.Array,
    multi_label: bool,
    sample_weight: jax.Array | None,
    label_weights: Any,
    wanted: Sequence[str],
) -> dict[str, jax.Array]:
    """Counts by comparing every prediction with every threshold (O(T * N))."""
    if multi_label:
        preds = y_pred[None]
        labels = y_true.astype(bool)[None]
        cut = thresholds.reshape((-1,) + (1,) * y_pred.ndim)
    else:
        preds = y_pred.reshape(1, -1)
        labels = y_true.astype(bool).reshape(1, -1)
        cut = thresholds.reshape(-1, 1)
    pred_pos = preds > cut
    label_pos = jnp.broadcast_to(labels, pred_pos.shape)

    weights = None
    if sample_weight is not None:
        weights = jnp.broadcast_to(sample_weight.astype(y_pred.dtype), y_pred.shape).reshape(
            preds.shape
        )
    if label_weights is not None and not multi_label:
        per_label = jnp.broadcast_to(jnp.expand_dims(jnp.asarray(label_weights), 0), y_pred.shape)
        per_label = per_label.reshape(preds.shape)
        weights = per_label if weights is None else weights * per_label

    def count(label: jax.Array, pred: jax.Array) -> jax.Array:
        both = label & pred
        if weights is None:
            return jnp.sum(both.astype(y_pred.dtype), axis=1)
        return jnp.sum(jnp.where(both, jnp.broadcast_to(weights, both.shape), 0), axis=1)

    cells = {
        "tp": (label_pos, pred_pos),
        "fp": (~label_pos, pred_pos),
        "tn": (~label_pos, ~pred_pos),
        "fn": (label_pos, ~pred_pos),
    }
    return {key: count(*cells[key]) for key in wanted}


def _bucketed_counts(
    y_true: jax.Array,
    y_pred: jax.Array,
    num_thresholds: int,
    multi_label: bool,
    sample_weight: jax.Array | None,
    label_weights: Any,
    with_epsilon: bool,
) -> dict[str, jax.Array]:
    """Counts for evenly spaced thresholds by bucketing predictions (O(T + N)).

    A prediction ``p`` falls in bucket ``ceil(p * (T - 1)) - 1``: it is above
    every threshold up to that bucket's. A reversed cumulative sum over the
    buckets then gives, per threshold, the weight of predictions above it.
    With end thresholds nudged outside ``[0, 1]`` (``with_epsilon``), bucket
    -1 (predictions of exactly 0) joins bucket 0.
    """
    weights: Any = 1.0
    if sample_weight is not None:
        weights = jnp.broadcast_to(sample_weight.astype(y_pred.dtype), y_pred.shape)
        if not multi_label:
            weights = weights.reshape(-1)
    per_label: Any = 1.0
    if label_weights is not None:
        per_label = jnp.broadcast_to(jnp.expand_dims(jnp.asarray(label_weights), 0), y_pred.shape)
        if not multi_label:
            per_label = per_label.reshape(-1)
    weights = jnp.asarray(weights * per_label).astype(y_true.dtype)

    y_pred = jnp.clip(y_pred, 0.0, 1.0)
    y_true = y_true.astype(bool).astype(y_true.dtype)
    if not multi_label:
        y_true = y_true.reshape(-1)
        y_pred = y_pred.reshape(-1)
    true_labels = y_true * weights
    false_labels = (1.0 - y_true) * weights

    buckets = jnp.ceil(y_pred * (jnp.asarray(num_thresholds, dtype=y_pred.dtype) - 1)) - 1
    if with_epsilon:
        buckets = jnp.maximum(buckets, 0)
    buckets = buckets.astype(jnp.int32)

    def above(data: jax.Array, ids: jax.Array) -> jax.Array:
        per_bucket = jax.ops.segment_sum(data, ids, num_thresholds, indices_are_sorted=False)
        return jnp.flip(jnp.cumsum(jnp.flip(per_bucket)))

    if multi_label:
        label_above = jax.vmap(above)
        tp = label_above(true_labels.T, buckets.T).T
        fp = label_above(false_labels.T, buckets.T).T
        total_true = jnp.sum(true_labels, axis=0)
        total_false = jnp.sum(false_labels, axis=0)
    else:
        tp = above(true_labels, buckets)
        fp = above(false_labels, buckets)
        total_true = jnp.sum(true_labels)
        total_false = jnp.sum(false_labels)
    return {"tp": tp, "fp": fp, "tn": total_false - fp, "fn": total_true - tp}
