"""Accuracy metrics: exact, binary, categorical, sparse categorical and top-k accuracy."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .._typing import ArrayLike, DTypeLike
from ..ops import in_top_k
from ._reduction import MeanMetricWrapper
from ._utils import argmax_last, floatx_dtype, match_ranks, to_array


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """1.0 where ``y_pred`` equals ``y_true``, else 0.0 (elementwise).

    >>> accuracy([1, 2, 3], [1, 2, 4]).tolist()
    [1.0, 1.0, 0.0]
    """
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, dtype=y_pred.dtype)
    y_true, y_pred = match_ranks(y_true, y_pred)
    return (y_true == y_pred).astype(floatx_dtype())


def binary_accuracy(y_true: ArrayLike, y_pred: ArrayLike, threshold: float = 0.5) -> jax.Array:
    """1.0 where ``y_pred > threshold`` agrees with the binary label ``y_true``.

    Args:
        y_true: Binary labels (0 or 1).
        y_pred: Predicted probabilities (or scores).
        threshold: Predictions above it count as 1.

    Returns:
        Per-element matches as floats, shaped like the rank-matched inputs.

    >>> binary_accuracy([[1], [0]], [[0.7], [0.6]]).tolist()
    [[1.0], [0.0]]
    """
    y_pred = to_array(y_pred)
    y_true = to_array(y_true)
    threshold = to_array(threshold)
    y_true, y_pred = match_ranks(y_true, y_pred)
    y_pred = (y_pred > threshold).astype(y_true.dtype)
    return (y_true == y_pred).astype(floatx_dtype())


def categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """1.0 where the arg-max of the one-hot ``y_true`` equals that of ``y_pred``.

    >>> categorical_accuracy([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]]).tolist()
    [1.0, 0.0]
    """
    y_true = argmax_last(to_array(y_true))
    y_pred = to_array(y_pred)
    y_true = y_true.astype(y_pred.dtype)
    true_shape = y_true.shape
    squeezed = y_true.ndim == y_pred.ndim
    if squeezed:
        y_true = jnp.squeeze(y_true, -1)
    y_pred = argmax_last(y_pred).astype(y_true.dtype)
    matches = (y_true == y_pred).astype(floatx_dtype())
    return matches.reshape(true_shape) if squeezed else matches


def sparse_categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """1.0 where the integer label ``y_true`` equals the arg-max of ``y_pred``.

    Labels of shape ``(batch, 1)`` are treated as ``(batch,)``.

    >>> sparse_categorical_accuracy([1, 0], [[0.2, 0.8], [0.3, 0.7]]).tolist()
    [1.0, 0.0]
    """
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, dtype=y_pred.dtype)
    true_shape = y_true.shape
    squeezed = y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1
    if squeezed:
        y_true = jnp.squeeze(y_true, -1)
    y_pred = argmax_last(y_pred).astype(y_true.dtype)
    matches = (y_true == y_pred).astype(floatx_dtype())
    if squeezed:
        matches = matches.reshape(true_shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = jnp.squeeze(matches, -1)
    return matches


def _flatten_for_top_k(y_true: jax.Array, y_pred: jax.Array) -> tuple[jax.Array, jax.Array, bool]:
    if y_pred.ndim > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    flattened = y_true.ndim > 1
    if flattened:
        y_true = y_true.reshape(-1)
    return y_true, y_pred, flattened


def top_k_categorical_accuracy(y_true: ArrayLike, y_pred: ArrayLike, k: int = 5) -> jax.Array:
    """1.0 where the one-hot target's class is among the ``k`` highest predictions.

    >>> top_k_categorical_accuracy([[0, 0, 1], [1, 0, 0]],
    ...                            [[0.1, 0.5, 0.4], [0.1, 0.2, 0.7]], k=2).tolist()
    [1.0, 0.0]
    """
    y_pred = to_array(y_pred)
    y_true = argmax_last(to_array(y_true, dtype=y_pred.dtype))
    true_shape = y_true.shape
    y_true, y_pred, flattened = _flatten_for_top_k(y_true, y_pred)
    matches = in_top_k(y_true.astype(jnp.int32), y_pred, k).astype(floatx_dtype())
    return matches.reshape(true_shape) if flattened else matches


def sparse_top_k_categorical_accuracy(
    y_true: ArrayLike, y_pred: ArrayLike, k: int = 5, from_sorted_ids: bool = False
) -> jax.Array:
    """1.0 where the integer target is among the ``k`` highest predictions.

    Args:
        y_true: Integer labels.
        y_pred: Scores per class, or (with ``from_sorted_ids=True``) class ids
            already sorted by decreasing score.
        k: How many top predictions count.
        from_sorted_ids: Whether ``y_pred`` holds sorted class ids.

    Returns:
        Per-sample matches as floats, shaped like ``y_true``.

    >>> sparse_top_k_categorical_accuracy([2, 0], [[0.1, 0.5, 0.4], [0.1, 0.2, 0.7]],
    ...                                   k=2).tolist()
    [1.0, 0.0]
    """
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, dtype=y_pred.dtype if from_sorted_ids else jnp.int32)
    true_shape = y_true.shape
    y_true, y_pred, flattened = _flatten_for_top_k(y_true, y_pred)
    if from_sorted_ids:
        matches = jnp.any(y_true[:, None] == y_pred[:, :k], axis=1)
    else:
        matches = in_top_k(y_true, y_pred, k)
    matches = matches.astype(floatx_dtype())
    return matches.reshape(true_shape) if flattened else matches


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly.

    Args:
        name: The metric's name.
        dtype: The dtype of the result.

    >>> m = Accuracy()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    >>> float(m.result())
    0.75
    """

    def __init__(self, name: str = "accuracy", dtype: DTypeLike = None) -> None:
        super().__init__(fn=accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches binary labels.

    Args:
        name: The metric's name.
        dtype: The dtype of the result.
        threshold: Predictions above it count as positive.

    >>> m = BinaryAccuracy()
    >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    >>> float(m.result())
    0.75
    """

    def __init__(
        self, name: str = "binary_accuracy", dtype: DTypeLike = None, threshold: float = 0.5
    ) -> None:
        super().__init__(fn=binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold
        self._direction = "up"

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max of predictions matches one-hot labels.

    Args:
        name: The metric's name.
        dtype: The dtype of the result.

    >>> m = CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name: str = "categorical_accuracy", dtype: DTypeLike = None) -> None:
        super().__init__(fn=categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max of predictions matches integer labels.

    Args:
        name: The metric's name.
        dtype: The dtype of the result.

    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: DTypeLike = None) -> None:
        super().__init__(fn=sparse_categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot target is among the ``k`` highest predictions.

    Args:
        k: How many top predictions count.
        name: The metric's name.
        dtype: The dtype of the result.

    >>> m = TopKCategoricalAccuracy(k=1)
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(
        self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype: DTypeLike = None
    ) -> None:
        super().__init__(fn=top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k
        self._direction = "up"

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer target is among the ``k`` highest predictions.

    Args:
        k: How many top predictions count.
        name: The metric's name.
        dtype: The dtype of the result.
        from_sorted_ids: Whether predictions are class ids sorted by score.

    >>> m = SparseTopKCategoricalAccuracy(k=1)
    >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(
        self,
        k: int = 5,
        name: str = "sparse_top_k_categorical_accuracy",
        dtype: DTypeLike = None,
        from_sorted_ids: bool = False,
    ) -> None:
        super().__init__(
            fn=sparse_top_k_categorical_accuracy,
            name=name,
            dtype=dtype,
            k=k,
            from_sorted_ids=from_sorted_ids,
        )
        self.k = k
        self.from_sorted_ids = from_sorted_ids
        self._direction = "up"

    def get_config(self) -> dict[str, Any]:
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config
