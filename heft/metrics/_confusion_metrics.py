"""Thresholded classification metrics: TP/FP/TN/FN counts, Precision and Recall."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .._typing import ArrayLike, DTypeLike
from ._confusion_matrix import NEG_INF, evenly_spaced, parse_thresholds, update_confusion_matrix
from ._metric import Metric
from ._utils import divide_no_nan


def _plain(thresholds: Any) -> Any:
    """The thresholds as given, with a (tracked) list turned back into a plain list."""
    return list(thresholds) if isinstance(thresholds, list) else thresholds


class _ConditionCount(Metric):
    """The (weighted) count of one confusion-matrix cell at each threshold."""

    _condition = ""

    def __init__(
        self, thresholds: Any = None, name: str | None = None, dtype: DTypeLike = None
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = parse_thresholds(thresholds, default=0.5)
        self._thresholds_distributed_evenly = evenly_spaced(self.thresholds)
        self.accumulator = self.add_variable(
            shape=(len(self.thresholds),), initializer="zeros", name="accumulator"
        )

    def update_state(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        """Add one batch's count (a prediction is positive when above the threshold).

        Args:
            y_true: Labels, cast to bool.
            y_pred: Predictions in ``[0, 1]``.
            sample_weight: Optional weights broadcastable to ``y_true``.
        """
        update_confusion_matrix(
            {self._condition: self.accumulator},
            y_true,
            y_pred,
            thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight,
        )

    def result(self) -> jax.Array:
        value = self.accumulator.value
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "thresholds": _plain(self.init_thresholds)}


class TruePositives(_ConditionCount):
    """The (weighted) number of true positives: label 1, prediction above the threshold.

    Args:
        thresholds: One float or a list of floats in ``[0, 1]`` (default 0.5);
            with a list the result has one count per threshold.
        name: The metric's name.
        dtype: The dtype of the result.

    >>> m = TruePositives()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> float(m.result())
    2.0
    """

    _condition = "tp"


class FalsePositives(_ConditionCount):
    """The (weighted) number of false positives: label 0, prediction above the threshold.

    Args:
        thresholds: One float or a list of floats in ``[0, 1]`` (default 0.5).
        name: The metric's name.
        dtype: The dtype of the result.

    >>> m = FalsePositives()
    >>> m.update_state([0, 1, 0, 0], [0, 0, 1, 1])
    >>> float(m.result())
    2.0
    """

    _condition = "fp"


class TrueNegatives(_ConditionCount):
    """The (weighted) number of true negatives: label 0, prediction not above the threshold.

    Args:
        thresholds: One float or a list of floats in ``[0, 1]`` (default 0.5).
        name: The metric's name.
        dtype: The dtype of the result.

    >>> m = TrueNegatives()
    >>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0])
    >>> float(m.result())
    2.0
    """

    _condition = "tn"


class FalseNegatives(_ConditionCount):
    """The (weighted) number of false negatives: label 1, prediction not above the threshold.

    Args:
        thresholds: One float or a list of floats in ``[0, 1]`` (default 0.5).
        name: The metric's name.
        dtype: The dtype of the result.

    >>> m = FalseNegatives()
    >>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
    >>> float(m.result())
    2.0
    """

    _condition = "fn"


class _PrecisionRecall(Metric):
    """Shared state of Precision and Recall: true positives and one other cell."""

    _other = ""
    _other_name = ""

    def __init__(
        self,
        thresholds: Any = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = parse_thresholds(thresholds, default=default)
        self._thresholds_distributed_evenly = evenly_spaced(self.thresholds)
        shape = (len(self.thresholds),)
        self.true_positives = self.add_variable(
            shape=shape, initializer="zeros", name="true_positives"
        )
        self._other_variable = self.add_variable(
            shape=shape, initializer="zeros", name=self._other_name
        )

    def update_state(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        """Accumulate one batch's counts.

        Args:
            y_true: Labels, cast to bool.
            y_pred: Predictions in ``[0, 1]``.
            sample_weight: Optional weights broadcastable to ``y_true``.
        """
        update_confusion_matrix(
            {"tp": self.true_positives, self._other: self._other_variable},
            y_true,
            y_pred,
            thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            top_k=self.top_k,
            class_id=self.class_id,
            sample_weight=sample_weight,
        )

    def result(self) -> jax.Array:
        tp = self.true_positives.value
        value = divide_no_nan(tp, tp + self._other_variable.value)
        return value[0] if len(self.thresholds) == 1 else value

    def reset_state(self) -> None:
        zeros = jnp.zeros((len(self.thresholds),))
        self.true_positives.assign(zeros)
        self._other_variable.assign(zeros)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "thresholds": _plain(self.init_thresholds),
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Precision(_PrecisionRecall):
    """Precision, ``tp / (tp + fp)``: how many predicted positives are positive.

    Args:
        thresholds: One float or a list of floats in ``[0, 1]``; a prediction
            above the threshold is positive. Default 0.5 (or, with ``top_k``,
            every kept prediction). With a list the result has one value per threshold.
        top_k: Count only the ``k`` largest predictions of each row as positive.
        class_id: Compute the metric for this class (last axis) only.
        name: The metric's name.
        dtype: The dtype of the result.

    >>> m = Precision()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(float(m.result()), 4)
    0.6667
    """

    _other = "fp"
    _other_name = "false_positives"

    @property
    def false_positives(self) -> Any:
        """The variable accumulating false positives."""
        return self._other_variable


class Recall(_PrecisionRecall):
    """Recall, ``tp / (tp + fn)``: how many positives are predicted positive.

    Args:
        thresholds: One float or a list of floats in ``[0, 1]``; a prediction
            above the threshold is positive. Default 0.5 (or, with ``top_k``,
            every kept prediction). With a list the result has one value per threshold.
        top_k: Count only the ``k`` largest predictions of each row as positive.
        class_id: Compute the metric for this class (last axis) only.
        name: The metric's name.
        dtype: The dtype of the result.

    >>> m = Recall()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(float(m.result()), 4)
    0.6667
    """

    _other = "fn"
    _other_name = "false_negatives"

    @property
    def false_negatives(self) -> Any:
        """The variable accumulating false negatives."""
        return self._other_variable
