"""``AUC``: area under the ROC or precision-recall curve, from thresholded counts."""

from __future__ import annotations

import enum
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _config
from .._typing import ArrayLike, DTypeLike
from ._confusion_matrix import evenly_spaced, update_confusion_matrix
from ._metric import Metric
from ._utils import divide_no_nan, to_array


class AUCCurve(enum.StrEnum):
    """The curve whose area ``AUC`` computes (compares equal to its name)."""

    ROC = "ROC"
    PR = "PR"
    PRGAIN = "PRGAIN"


class AUCSummationMethod(enum.StrEnum):
    """How ``AUC`` sums the area between thresholds (compares equal to its name)."""

    INTERPOLATION = "interpolation"
    MAJORING = "majoring"
    MINORING = "minoring"


_CURVES = {"roc": AUCCurve.ROC, "pr": AUCCurve.PR, "prgain": AUCCurve.PRGAIN}
_SUMMATIONS = {m.value: m for m in AUCSummationMethod}


def _parse_curve(curve: Any) -> AUCCurve:
    if isinstance(curve, AUCCurve):
        return curve
    if isinstance(curve, str) and curve in ("ROC", "roc", "PR", "pr", "PRGAIN", "prgain"):
        return _CURVES[curve.lower()]
    raise ValueError(
        f'Invalid AUC curve value: "{curve}". Expected one of "ROC", "PR" or "PRGAIN" '
        "(or their lower-case spellings)."
    )


def _parse_summation(method: Any) -> AUCSummationMethod:
    if isinstance(method, AUCSummationMethod):
        return method
    if (
        isinstance(method, str)
        and method.lower() in _SUMMATIONS
        and method
        in (
            method.lower(),
            method.capitalize(),
        )
    ):
        return _SUMMATIONS[method.lower()]
    raise ValueError(
        f'Invalid AUC summation method value: "{method}". Expected one of "interpolation", '
        '"majoring" or "minoring".'
    )


class AUC(Metric):
    """Approximate area under the ROC or PR curve, accumulated over batches.

    Predictions are compared with ``num_thresholds`` thresholds (evenly spaced
    in ``[0, 1]``, the two ends nudged by ``epsilon()`` outwards); the true and
    false positive and negative counts at each threshold give points of the
    curve, and a Riemann sum over them gives the area.

    Args:
        num_thresholds: How many thresholds to use (> 1). Ignored when
            ``thresholds`` is given.
        curve: ``"ROC"``, ``"PR"`` (precision-recall) or ``"PRGAIN"``.
        summation_method: ``"interpolation"`` (trapezoids for ROC; for PR the
            interpolation of Davis & Goadrich 2006), ``"minoring"`` or ``"majoring"``.
        name: The metric's name.
        dtype: The dtype of the metric's computations.
        thresholds: Explicit thresholds in ``[0, 1]``; the end points are added.
        multi_label: Compute one AUC per label (the second axis of the data)
            and average them, instead of flattening all labels.
        num_labels: The number of labels with ``multi_label`` (else the
            variables are created at the first update).
        label_weights: Weights per label: for the average with ``multi_label``,
            for the counts otherwise.
        from_logits: Whether predictions are logits (a sigmoid is applied).

    Raises:
        ValueError: For an unknown ``curve`` or ``summation_method``,
            ``num_thresholds <= 1``, or ``num_labels`` without ``multi_label``.

    >>> m = AUC(num_thresholds=3)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> float(m.result())
    0.75
    """

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        dtype: DTypeLike = None,
        thresholds: Any = None,
        multi_label: bool = False,
        num_labels: int | None = None,
        label_weights: Any = None,
        from_logits: bool = False,
    ) -> None:
        self._direction = "up"
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            inner = sorted(thresholds)
            self._thresholds_distributed_evenly = evenly_spaced([0.0, *inner, 1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    "Argument `num_thresholds` must be an integer > 1. "
                    f"Received: num_thresholds={num_thresholds}. Pass, e.g., 200."
                )
            self.num_thresholds = num_thresholds
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._thresholds_distributed_evenly = True
        eps = _config.epsilon()
        self._thresholds = np.array([0.0 - eps, *inner, 1.0 + eps])
        self.curve = _parse_curve(curve)
        self.summation_method = _parse_summation(summation_method)
        super().__init__(name=name, dtype=dtype)

        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = (
            None if label_weights is None else jnp.asarray(label_weights, dtype=self.dtype)
        )
        self._from_logits = from_logits
        self._built = False
        if multi_label:
            if num_labels:
                self._build((None, num_labels))
        else:
            if num_labels:
                raise ValueError(
                    f"`num_labels` is needed only when `multi_label` is True. Received: "
                    f"num_labels={num_labels} with multi_label=False. Pass "
                    "`multi_label=True` or drop `num_labels`."
                )
            self._build(None)

    @property
    def thresholds(self) -> list[float]:
        """The thresholds used, including the two end points outside ``[0, 1]``."""
        return [float(t) for t in self._thresholds]

    def _variable_shape(self) -> tuple[int, ...]:
        if self.multi_label:
            return (self.num_thresholds, self._num_labels)
        return (self.num_thresholds,)

    def _build(self, shape: Any) -> None:
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(
                    "`y_pred` must have rank 2 when `multi_label=True`. Found rank "
                    f"{len(shape)}. Full shape received for `y_pred`: {tuple(shape)}. "
                    "Pass predictions of shape (num_samples, num_labels)."
                )
            self._num_labels = shape[1]
        var_shape = self._variable_shape()
        self.true_positives = self.add_variable(var_shape, "zeros", name="true_positives")
        self.false_positives = self.add_variable(var_shape, "zeros", name="false_positives")
        self.true_negatives = self.add_variable(var_shape, "zeros", name="true_negatives")
        self.false_negatives = self.add_variable(var_shape, "zeros", name="false_negatives")
        self._built = True

    def update_state(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        """Accumulate the confusion counts of one batch at every threshold.

        Args:
            y_true: Labels, cast to bool.
            y_pred: Probabilities in ``[0, 1]`` (logits with ``from_logits``).
            sample_weight: Optional weights broadcastable to ``y_true``.

        Raises:
            ValueError: With ``multi_label``, if the first ``y_pred`` is not 2-D.
        """
        y_pred = to_array(y_pred)
        if not self._built:
            self._build(y_pred.shape)
        if self._from_logits:
            y_pred = jax.nn.sigmoid(y_pred)
        update_confusion_matrix(
            {
                "tp": self.true_positives,
                "tn": self.true_negatives,
                "fp": self.false_positives,
                "fn": self.false_negatives,
            },
            y_true,
            y_pred,
            self._thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
        )

    def _average(self, per_threshold: jax.Array) -> jax.Array:
        if not self.multi_label:
            return jnp.sum(per_threshold)
        by_label = jnp.sum(per_threshold, axis=0)
        if self.label_weights is None:
            return jnp.mean(by_label)
        return divide_no_nan(jnp.sum(by_label * self.label_weights), jnp.sum(self.label_weights))

    def interpolate_pr_auc(self) -> jax.Array:
        """The PR-curve area with precision interpolated between thresholds.

        Between two thresholds, true positives grow linearly with predicted
        positives ``p``, so precision is ``slope + intercept / p`` there and its
        integral over recall has a closed form (Davis & Goadrich, 2006).
        """
        tp, fp, fn = (
            self.true_positives.value,
            self.false_positives.value,
            self.false_negatives.value,
        )
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = divide_no_nan(dtp, jnp.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        p_ratio = jnp.where(
            (p[:-1] > 0) & (p[1:] > 0),
            divide_no_nan(p[:-1], jnp.maximum(p[1:], 0)),
            jnp.ones_like(p[1:]),
        )
        increments = divide_no_nan(
            slope * (dtp + intercept * jnp.log(p_ratio)), jnp.maximum(tp[1:] + fn[1:], 0)
        )
        return self._average(increments)

    def result(self) -> jax.Array:
        if self.curve == AUCCurve.PR and self.summation_method == AUCSummationMethod.INTERPOLATION:
            return self.interpolate_pr_auc()
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == AUCCurve.ROC:
            x, y = divide_no_nan(fp, fp + tn), recall
        elif self.curve == AUCCurve.PR:
            x, y = recall, divide_no_nan(tp, tp + fp)
        else:
            # Gains are measured against the ratio of positives to negatives;
            # without true positives the recall gain is 0 and the precision gain 1.
            scale = divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scale * divide_no_nan(fn, tp)
            precision_gain = 1.0 - scale * divide_no_nan(fp, tp)
            no_tp = tp == 0.0
            x = jnp.maximum(jnp.where(no_tp, 0.0, recall_gain), 0.0)
            y = jnp.where(no_tp, 1.0, precision_gain)
        if self.summation_method == AUCSummationMethod.INTERPOLATION:
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == AUCSummationMethod.MINORING:
            heights = jnp.minimum(y[:-1], y[1:])
        else:
            heights = jnp.maximum(y[:-1], y[1:])
        return self._average((x[:-1] - x[1:]) * heights)

    def reset_state(self) -> None:
        if self._built:
            zeros = jnp.zeros(self._variable_shape())
            for variable in (
                self.true_positives,
                self.false_positives,
                self.true_negatives,
                self.false_negatives,
            ):
                variable.assign(zeros)

    def get_config(self) -> dict[str, Any]:
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve.value,
            "summation_method": self.summation_method.value,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None
            if self.label_weights is None
            else np.asarray(self.label_weights).tolist(),
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config
