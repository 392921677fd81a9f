"""Rates at a target: sensitivity at specificity, precision at recall, and the reverses."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .._typing import ArrayLike, DTypeLike
from ._confusion_matrix import update_confusion_matrix
from ._metric import Metric
from ._utils import divide_no_nan


class _AtConstraint(Metric):
    """Best value of one rate among thresholds where another rate meets a target."""

    _value_arg = ""

    def __init__(
        self,
        value: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: DTypeLike = None,
    ) -> None:
        if value < 0 or value > 1:
            raise ValueError(
                f"Argument `{self._value_arg}` must be in the range [0, 1]. "
                f"Received: {self._value_arg}={value}. Pass a rate between 0 and 1."
            )
        if num_thresholds <= 0:
            raise ValueError(
                "Argument `num_thresholds` must be an integer > 0. "
                f"Received: num_thresholds={num_thresholds}. Pass, e.g., 200."
            )
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.value = value
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
            self._thresholds_distributed_evenly = False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0, *inner, 1.0]
            self._thresholds_distributed_evenly = True
        shape = (len(self.thresholds),)
        self.true_positives = self.add_variable(
            shape=shape, initializer="zeros", name="true_positives"
        )
        self.false_positives = self.add_variable(
            shape=shape, initializer="zeros", name="false_positives"
        )
        self.true_negatives = self.add_variable(
            shape=shape, initializer="zeros", name="true_negatives"
        )
        self.false_negatives = self.add_variable(
            shape=shape, initializer="zeros", name="false_negatives"
        )

    def update_state(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        """Accumulate one batch's counts at every threshold.

        Args:
            y_true: Labels, cast to bool.
            y_pred: Predictions in ``[0, 1]``.
            sample_weight: Optional weights broadcastable to ``y_true``.
        """
        update_confusion_matrix(
            {
                "tp": self.true_positives,
                "tn": self.true_negatives,
                "fp": self.false_positives,
                "fn": self.false_negatives,
            },
            y_true,
            y_pred,
            thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            class_id=self.class_id,
            sample_weight=sample_weight,
        )

    def reset_state(self) -> None:
        zeros = jnp.zeros((len(self.thresholds),))
        for variable in (
            self.true_positives,
            self.false_positives,
            self.true_negatives,
            self.false_negatives,
        ):
            variable.assign(zeros)

    def _rates(self) -> dict[str, jax.Array]:
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        return {
            "sensitivity": divide_no_nan(tp, tp + fn),
            "specificity": divide_no_nan(tn, tn + fp),
            "precision": divide_no_nan(tp, tp + fp),
        }

    def _best(self, constrained: str, dependent: str) -> jax.Array:
        rates = self._rates()
        feasible = rates[constrained] >= self.value
        return jnp.max(jnp.where(feasible, rates[dependent], 0), initial=0)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "class_id": self.class_id,
            "num_thresholds": self.num_thresholds,
            self._value_arg: self.value,
        }


class SensitivityAtSpecificity(_AtConstraint):
    """The best sensitivity (recall) among thresholds whose specificity is >= ``specificity``.

    Args:
        specificity: The target specificity, in ``[0, 1]``.
        num_thresholds: How many evenly spaced thresholds in ``[0, 1]`` to evaluate.
        class_id: Compute the metric for this class (last axis) only.
        name: The metric's name.
        dtype: The dtype of the result.

    Raises:
        ValueError: If ``specificity`` is outside ``[0, 1]`` or ``num_thresholds <= 0``.

    >>> m = SensitivityAtSpecificity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> float(m.result())
    0.5
    """

    _value_arg = "specificity"

    def __init__(
        self,
        specificity: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(specificity, num_thresholds, class_id, name, dtype)
        self.specificity = specificity

    def result(self) -> jax.Array:
        return self._best("specificity", "sensitivity")


class SpecificityAtSensitivity(_AtConstraint):
    """The best specificity among thresholds whose sensitivity (recall) is >= ``sensitivity``.

    Args:
        sensitivity: The target sensitivity, in ``[0, 1]``.
        num_thresholds: How many evenly spaced thresholds in ``[0, 1]`` to evaluate.
        class_id: Compute the metric for this class (last axis) only.
        name: The metric's name.
        dtype: The dtype of the result.

    Raises:
        ValueError: If ``sensitivity`` is outside ``[0, 1]`` or ``num_thresholds <= 0``.

    >>> m = SpecificityAtSensitivity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> round(float(m.result()), 4)
    0.6667
    """

    _value_arg = "sensitivity"

    def __init__(
        self,
        sensitivity: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)
        self.sensitivity = sensitivity

    def result(self) -> jax.Array:
        return self._best("sensitivity", "specificity")


class PrecisionAtRecall(_AtConstraint):
    """The best precision among thresholds whose recall is >= ``recall``.

    Args:
        recall: The target recall, in ``[0, 1]``.
        num_thresholds: How many evenly spaced thresholds in ``[0, 1]`` to evaluate.
        class_id: Compute the metric for this class (last axis) only.
        name: The metric's name.
        dtype: The dtype of the result.

    Raises:
        ValueError: If ``recall`` is outside ``[0, 1]`` or ``num_thresholds <= 0``.

    >>> m = PrecisionAtRecall(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> float(m.result())
    0.5
    """

    _value_arg = "recall"

    def __init__(
        self,
        recall: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(recall, num_thresholds, class_id, name, dtype)
        self.recall = recall

    def result(self) -> jax.Array:
        return self._best("sensitivity", "precision")


class RecallAtPrecision(_AtConstraint):
    """The best recall among thresholds whose precision is >= ``precision``.

    Args:
        precision: The target precision, in ``[0, 1]``.
        num_thresholds: How many evenly spaced thresholds in ``[0, 1]`` to evaluate.
        class_id: Compute the metric for this class (last axis) only.
        name: The metric's name.
        dtype: The dtype of the result.

    Raises:
        ValueError: If ``precision`` is outside ``[0, 1]`` or ``num_thresholds <= 0``.

    >>> m = RecallAtPrecision(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> float(m.result())
    1.0
    """

    _value_arg = "precision"

    def __init__(
        self,
        precision: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(precision, num_thresholds, class_id, name, dtype)
        self.precision = precision

    def result(self) -> jax.Array:
        return self._best("precision", "sensitivity")
