"""F-scores: ``FBetaScore`` and ``F1Score``, per class or averaged (micro, macro, weighted)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .. import _config
from .._typing import ArrayLike, DTypeLike
from .._variable import Variable
from ._metric import Metric
from ._utils import to_array

_AVERAGES = (None, "micro", "macro", "weighted")


def check_2d(metric: str, y_true_shape: tuple, y_pred_shape: tuple) -> None:
    """Raise the error Keras gives when a per-class metric gets inputs that are not 2-D."""
    if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
        raise ValueError(
            f"{metric} expects 2D inputs with shape (batch_size, output_dim). Received input "
            f"shapes: y_pred.shape={tuple(y_pred_shape)} and y_true.shape="
            f"{tuple(y_true_shape)}. Reshape targets and predictions to (samples, classes)."
        )
    if y_pred_shape[-1] is None or y_true_shape[-1] is None:
        raise ValueError(
            f"{metric} expects 2D inputs with shape (batch_size, output_dim), with output_dim "
            f"fully defined (not None). Received input shapes: y_pred.shape="
            f"{tuple(y_pred_shape)} and y_true.shape={tuple(y_true_shape)}."
        )


class FBetaScore(Metric):
    """The F-beta score ``(1 + beta**2) * P * R / (beta**2 * P + R)`` from accumulated counts.

    Its variables, created on the first ``update_state`` (they depend on the
    number of classes), are ``true_positives``, ``false_positives``,
    ``false_negatives`` and ``intermediate_weights``, each of shape
    ``(num_classes,)``, or scalars with ``average="micro"``.

    Args:
        average: ``None`` (one score per class), ``"micro"`` (counts pooled over
            classes), ``"macro"`` (mean of the class scores) or ``"weighted"``
            (class scores weighted by the classes' true counts).
        beta: The weight of recall relative to precision, a float > 0.
        threshold: Predictions above it count as positive; with ``None``, the
            largest prediction of each sample is the positive one.
        name: The metric's name.
        dtype: The dtype of the result.

    Raises:
        ValueError: For an unknown ``average``, a ``beta`` that is not a float
            > 0, or a ``threshold`` that is not a float in ``(0, 1]``.

    >>> m = FBetaScore(beta=2.0, threshold=0.5)
    >>> m.update_state([[1, 1, 0], [0, 1, 1]], [[0.9, 0.1, 0.2], [0.3, 0.8, 0.7]])
    >>> [round(v, 3) for v in m.result().tolist()]
    [1.0, 0.556, 1.0]
    """

    def __init__(
        self,
        average: str | None = None,
        beta: float = 1.0,
        threshold: float | None = None,
        name: str = "fbeta_score",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if average not in _AVERAGES:
            raise ValueError(
                "Invalid `average` argument value. Expected one of: {None, 'micro', 'macro', "
                f"'weighted'}}. Received: average={average}"
            )
        if not isinstance(beta, float):
            raise ValueError(
                "Invalid `beta` argument value. It should be a Python float. "
                f"Received: beta={beta} of type '{type(beta)}'. Write it as a float, e.g. 2.0."
            )
        if beta <= 0.0:
            raise ValueError(
                f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}"
            )
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(
                    "Invalid `threshold` argument value. It should be a Python float. "
                    f"Received: threshold={threshold} of type '{type(threshold)}'."
                )
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(
                    "Invalid `threshold` argument value. It should verify 0 < threshold <= 1. "
                    f"Received: threshold={threshold}"
                )
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape: tuple, y_pred_shape: tuple) -> None:
        check_2d(type(self).__name__, y_true_shape, y_pred_shape)
        shape = () if self.average == "micro" else (y_pred_shape[-1],)

        def zeros(name: str) -> Variable:
            return self.add_variable(shape, "zeros", dtype=self.dtype, name=name)

        self.true_positives = zeros("true_positives")
        self.false_positives = zeros("false_positives")
        self.false_negatives = zeros("false_negatives")
        self.intermediate_weights = zeros("intermediate_weights")
        self._built = True

    def update_state(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        """Accumulate true positives, false positives and false negatives per class.

        Args:
            y_true: 0/1 labels of shape ``(samples, classes)``.
            y_pred: Scores of the same shape.
            sample_weight: Optional weights of shape ``(samples,)``.

        Raises:
            ValueError: On the first call, if the inputs are not 2-D.
        """
        y_true = to_array(y_true, dtype=self.dtype)
        y_pred = to_array(y_pred, dtype=self.dtype)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if self.threshold is None:
            top = jnp.max(y_pred, axis=-1, keepdims=True)
            # An all-zero row must not mark every class positive.
            predicted = (y_pred >= top) & (jnp.abs(y_pred) > 1e-9)
        else:
            predicted = y_pred > self.threshold
        y_pred = predicted.astype(self.dtype)
        weight = None if sample_weight is None else to_array(sample_weight, dtype=self.dtype)

        def weighted_sum(values: jax.Array) -> jax.Array:
            if weight is not None:
                values = values * jnp.expand_dims(weight, 1)
            return jnp.sum(values, axis=self.axis)

        self.true_positives.assign(self.true_positives.value + weighted_sum(y_pred * y_true))
        self.false_positives.assign(
            self.false_positives.value + weighted_sum(y_pred * (1 - y_true))
        )
        self.false_negatives.assign(
            self.false_negatives.value + weighted_sum((1 - y_pred) * y_true)
        )
        self.intermediate_weights.assign(self.intermediate_weights.value + weighted_sum(y_true))

    def result(self) -> jax.Array:
        epsilon = _config.epsilon()
        tp = self.true_positives.value
        precision = tp / (tp + self.false_positives.value + epsilon)
        recall = tp / (tp + self.false_negatives.value + epsilon)
        beta_squared = self.beta**2
        score = precision * recall / (beta_squared * precision + recall + epsilon)
        score = (score * (1 + beta_squared)).astype(self.dtype)
        if self.average == "weighted":
            weights = self.intermediate_weights.value
            weights = weights / (jnp.sum(weights) + epsilon)
            return jnp.sum(score * weights)
        if self.average is not None:
            return jnp.mean(score)
        return score

    def reset_state(self) -> None:
        for variable in self.variables:
            variable.assign(jnp.zeros(variable.shape, dtype=variable.dtype))

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


class F1Score(FBetaScore):
    """The F1 score ``2 * P * R / (P + R)``: ``FBetaScore`` with ``beta=1.0``.

    Args:
        average: ``None``, ``"micro"``, ``"macro"`` or ``"weighted"`` (see
            ``FBetaScore``).
        threshold: Predictions above it count as positive; with ``None``, the
            largest prediction of each sample is the positive one.
        name: The metric's name.
        dtype: The dtype of the result.

    >>> m = F1Score(average="micro", threshold=0.5)
    >>> m.update_state([[1, 0], [0, 1]], [[0.9, 0.2], [0.6, 0.7]])
    >>> round(float(m.result()), 3)
    0.8
    """

    def __init__(
        self,
        average: str | None = None,
        threshold: float | None = None,
        name: str = "f1_score",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["beta"]
        return config
