"""Intersection-over-union metrics: ``IoU``, ``MeanIoU``, ``BinaryIoU`` and the one-hot forms."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from .. import _config
from .._typing import ArrayLike, DTypeLike
from ._metric import Metric
from ._utils import to_array


def confusion_matrix(
    labels: jax.Array, predictions: jax.Array, num_classes: int, weights: jax.Array, dtype: Any
) -> jax.Array:
    """The ``(num_classes, num_classes)`` matrix of summed ``weights``: rows true, columns predicted."""
    matrix = jnp.zeros((num_classes, num_classes), dtype=dtype)
    rows = labels.astype(jnp.int32)
    columns = predictions.astype(jnp.int32)
    return matrix.at[rows, columns].add(weights.astype(dtype))


class _IoUBase(Metric):
    """Accumulates a confusion matrix of class ids in ``total_confusion_matrix``."""

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: DTypeLike = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        # Integer counts by default, as Keras keeps them.
        super().__init__(name=name, dtype=dtype or "int32")
        self._direction = "up"
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(
            (num_classes, num_classes), "zeros", dtype=self.dtype, name="total_confusion_matrix"
        )

    def update_state(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        """Add one batch to the confusion matrix.

        Class ids outside ``[0, num_classes)`` and samples labelled
        ``ignore_class`` are left out. Weights are cast to the metric's dtype
        (an integer by default, so fractional weights are truncated, with a
        warning for float arrays).

        Args:
            y_true: Class ids (or one-hot rows when ``sparse_y_true=False``).
            y_pred: Class ids (or scores when ``sparse_y_pred=False``).
            sample_weight: Optional weights, broadcast to the flattened labels.
        """
        if not self.sparse_y_true:
            y_true = jnp.argmax(to_array(y_true), axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = jnp.argmax(to_array(y_pred), axis=self.axis)
        y_true = to_array(y_true, dtype=self.dtype).reshape(-1)
        y_pred = to_array(y_pred, dtype=self.dtype).reshape(-1)
        if sample_weight is None:
            sample_weight = 1
        elif "float" in str(getattr(sample_weight, "dtype", "")) and "int" in str(self.dtype):
            warnings.warn(
                "You are passing weight as `float`, but dtype is `int`. This may result in an "
                "incorrect weight due to type casting Consider using integer weights.",
                stacklevel=2,
            )
        weight = to_array(sample_weight, dtype=self.dtype)
        if weight.ndim > 1:
            weight = weight.reshape(-1)
        weight = jnp.broadcast_to(weight, y_true.shape)
        in_range = (y_true >= 0) & (y_true < self.num_classes)
        in_range = in_range & (y_pred >= 0) & (y_pred < self.num_classes)
        if self.ignore_class is not None:
            in_range = in_range & (y_true != self.ignore_class)
        y_true = jnp.where(in_range, y_true, 0)
        y_pred = jnp.where(in_range, y_pred, 0)
        weight = jnp.where(in_range, weight, 0).astype(self.dtype)
        current = confusion_matrix(y_true, y_pred, self.num_classes, weight, self.dtype)
        self.total_cm.assign(self.total_cm.value + current)

    def reset_state(self) -> None:
        self.total_cm.assign(jnp.zeros(self.total_cm.shape, dtype=self.total_cm.dtype))


class IoU(_IoUBase):
    """The mean intersection-over-union ``TP / (TP + FP + FN)`` of the chosen classes.

    Its one variable is ``total_confusion_matrix`` of shape
    ``(num_classes, num_classes)`` and dtype ``int32`` by default. Classes
    that never occur (in targets or predictions) are left out of the mean.

    Args:
        num_classes: The number of classes.
        target_class_ids: The class ids whose IoU is averaged.
        name: The metric's name.
        dtype: The dtype of the confusion matrix; ``"int32"`` by default.
        ignore_class: A target class id left out of the counts, or ``None``.
        sparse_y_true: Whether targets are class ids (else one-hot rows).
        sparse_y_pred: Whether predictions are class ids (else scores).
        axis: The class axis of one-hot targets or scores.

    Raises:
        ValueError: If a target class id is ``>= num_classes``.

    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 1, 0, 0], [0, 1, 1, 0])
    >>> round(float(m.result()), 4)
    0.6667
    """

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Sequence[int],
        name: str | None = None,
        dtype: DTypeLike = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        super().__init__(
            name=name,
            num_classes=num_classes,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
            dtype=dtype,
        )
        if max(target_class_ids) >= num_classes:
            raise ValueError(
                f"Target class id {max(target_class_ids)} is out of range, which is "
                f"[0, {num_classes}). Pass ids below `num_classes`."
            )
        self.target_class_ids = list(target_class_ids)

    def result(self) -> jax.Array:
        matrix = self.total_cm.value
        column_sums = jnp.sum(matrix, axis=0).astype(self.dtype)
        row_sums = jnp.sum(matrix, axis=1).astype(self.dtype)
        true_positives = jnp.diagonal(matrix).astype(self.dtype)
        denominator = column_sums + row_sums - true_positives
        ids = jnp.asarray(self.target_class_ids, dtype=jnp.int32)
        true_positives = jnp.take_along_axis(true_positives, ids, axis=-1).astype(jnp.float32)
        denominator = jnp.take_along_axis(denominator, ids, axis=-1).astype(jnp.float32)
        valid = (denominator > 1e-9).astype(jnp.float32)
        iou = true_positives / (denominator + _config.epsilon())
        iou = jnp.where(valid.astype(bool), iou, 0.0)
        return jnp.sum(iou, axis=self.axis) / (jnp.sum(valid) + _config.epsilon())

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class BinaryIoU(IoU):
    """IoU of binary labels against predictions thresholded at ``threshold``.

    Args:
        target_class_ids: Which of the classes 0 and 1 to average over.
        threshold: Predictions ``>= threshold`` count as class 1.
        name: The metric's name.
        dtype: The dtype of the confusion matrix; ``"int32"`` by default.

    >>> m = BinaryIoU(target_class_ids=[1], threshold=0.5)
    >>> m.update_state([0, 1, 1, 0], [0.2, 0.7, 0.4, 0.6])
    >>> round(float(m.result()), 4)
    0.3333
    """

    def __init__(
        self,
        target_class_ids: Sequence[int] = (0, 1),
        threshold: float = 0.5,
        name: str | None = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        """Threshold ``y_pred`` (as float32) and add the batch to the confusion matrix."""
        y_true = to_array(y_true, dtype=self.dtype)
        y_pred = (to_array(y_pred, dtype="float32") >= self.threshold).astype(self.dtype)
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self) -> dict[str, Any]:
        return {
            "target_class_ids": self.target_class_ids,
            "threshold": self.threshold,
            "name": self.name,
            "dtype": self.dtype,
        }


class MeanIoU(IoU):
    """The IoU averaged over all ``num_classes`` classes.

    Args:
        num_classes: The number of classes.
        name: The metric's name.
        dtype: The dtype of the confusion matrix; ``"int32"`` by default.
        ignore_class: A target class id left out of the counts, or ``None``.
        sparse_y_true: Whether targets are class ids (else one-hot rows).
        sparse_y_pred: Whether predictions are class ids (else scores).
        axis: The class axis of one-hot targets or scores.

    >>> m = MeanIoU(num_classes=2)
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(float(m.result()), 4)
    0.3333
    """

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: DTypeLike = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        super().__init__(
            name=name,
            num_classes=num_classes,
            target_class_ids=list(range(num_classes)),
            axis=axis,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "num_classes": self.num_classes,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class OneHotIoU(IoU):
    """``IoU`` for one-hot targets (and, by default, score predictions).

    Args:
        num_classes: The number of classes.
        target_class_ids: The class ids whose IoU is averaged.
        name: The metric's name.
        dtype: The dtype of the confusion matrix; ``"int32"`` by default.
        ignore_class: A target class id left out of the counts, or ``None``.
        sparse_y_pred: Whether predictions are class ids (else scores).
        axis: The class axis.

    >>> m = OneHotIoU(num_classes=2, target_class_ids=[1])
    >>> m.update_state([[1, 0], [0, 1]], [[0.8, 0.2], [0.3, 0.7]])
    >>> round(float(m.result()), 4)
    1.0
    """

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Sequence[int],
        name: str | None = None,
        dtype: DTypeLike = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes=num_classes,
            target_class_ids=target_class_ids,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class OneHotMeanIoU(MeanIoU):
    """``MeanIoU`` for one-hot targets (and, by default, score predictions).

    Args:
        num_classes: The number of classes.
        name: The metric's name.
        dtype: The dtype of the confusion matrix; ``"int32"`` by default.
        ignore_class: A target class id left out of the counts, or ``None``.
        sparse_y_pred: Whether predictions are class ids (else scores).
        axis: The class axis.

    >>> m = OneHotMeanIoU(num_classes=2)
    >>> m.update_state([[1, 0], [0, 1]], [[0.8, 0.2], [0.6, 0.4]])
    >>> round(float(m.result()), 4)
    0.25
    """

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: DTypeLike = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes=num_classes,
            axis=axis,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "num_classes": self.num_classes,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }
