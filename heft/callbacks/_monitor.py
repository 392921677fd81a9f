"""``MonitorCallback``: the shared "is this value better than the best so far" logic."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._callback import Callback

_MODES = ("auto", "min", "max")

# Directions of Keras's built-in metrics under their default names, used in
# ``mode="auto"`` when the model's own metric objects do not say.
_HIGHER_IS_BETTER = frozenset(
    {
        "accuracy",
        "acc",
        "binary_accuracy",
        "categorical_accuracy",
        "sparse_categorical_accuracy",
        "top_k_categorical_accuracy",
        "sparse_top_k_categorical_accuracy",
        "precision",
        "recall",
        "auc",
        "prc",
        "f1_score",
        "fbeta_score",
        "iou",
        "binary_iou",
        "mean_iou",
        "one_hot_iou",
        "one_hot_mean_iou",
        "r2_score",
        "cosine_similarity",
        "pearson_correlation",
        "concordance_correlation",
    }
)
_LOWER_IS_BETTER = frozenset(
    {
        "loss",
        "mean_squared_error",
        "mse",
        "mean_absolute_error",
        "mae",
        "mean_absolute_percentage_error",
        "mape",
        "mean_squared_logarithmic_error",
        "msle",
        "root_mean_squared_error",
        "rmse",
        "huber",
        "log_cosh",
        "logcosh",
        "hinge",
        "squared_hinge",
        "categorical_hinge",
        "binary_crossentropy",
        "categorical_crossentropy",
        "sparse_categorical_crossentropy",
        "binary_focal_crossentropy",
        "kl_divergence",
        "kld",
        "poisson",
    }
)


def _f32(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=np.float32)


def check_mode(owner: str, mode: str) -> str:
    """Return ``mode`` if it is ``"auto"``, ``"min"`` or ``"max"``.

    Raises:
        ValueError: For any other value (Keras warns and falls back to ``"auto"``).
    """
    if mode not in _MODES:
        raise ValueError(
            f"{owner} received mode={mode!r}, which is not one of 'auto', 'min', 'max'. "
            "Use 'min' when lower values of the monitored quantity are better (losses), "
            "'max' when higher values are better (accuracy), or 'auto' to infer it "
            "from the metric's name."
        )
    return mode


def _metric_direction(model: Any, name: str) -> str | None:
    pending = list(getattr(model, "metrics", None) or [])
    direction = None
    while pending:
        metric = pending.pop(0)
        inner = getattr(metric, "metrics", None)
        if isinstance(inner, (list, tuple)):
            pending.extend(inner)
        if getattr(metric, "name", None) == name:
            found = getattr(metric, "_direction", None)
            if found in ("up", "down"):
                direction = found
    return direction


class MonitorCallback(Callback):
    """Base of callbacks that track the best value of a monitored log entry.

    Values are compared as float32, as Keras does, after shifting by
    ``min_delta`` towards "worse", so a change smaller than ``min_delta``
    does not count as an improvement.

    Args:
        monitor: The log key to watch, e.g. ``"val_loss"``.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (inferred from the name on
            the first epoch end).
        baseline: Initial best value, or ``None`` to take the first value.
        min_delta: Smallest change that counts as an improvement.

    Raises:
        ValueError: If ``mode`` is not one of the three.

    >>> from heft.callbacks._monitor import MonitorCallback
    >>> watcher = MonitorCallback(monitor="loss", mode="min", min_delta=0.1)
    >>> watcher._set_monitor_op()
    >>> watcher._is_improvement(0.85, 1.0), watcher._is_improvement(0.95, 1.0)
    (True, False)
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        mode: str = "auto",
        baseline: float | None = None,
        min_delta: float = 0,
    ) -> None:
        super().__init__()
        self.monitor = monitor
        self.mode = check_mode(type(self).__name__, mode)
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op: Any = None

    def _set_monitor_op(self) -> None:
        """Choose ``np.less`` or ``np.greater`` from ``mode`` (or the metric's name).

        Raises:
            ValueError: In ``"auto"`` mode, when the direction of the monitored
                metric cannot be told from its name or the model's metrics.
        """
        if self.mode == "min":
            op = np.less
        elif self.mode == "max":
            op = np.greater
        else:
            name = self.monitor.removeprefix("val_")
            direction = _metric_direction(getattr(self, "_model", None), name)
            if name == "loss" or direction == "down":
                op = np.less
            elif direction == "up":
                op = np.greater
            elif name in _LOWER_IS_BETTER or name.endswith("_loss"):
                op = np.less
            elif name in _HIGHER_IS_BETTER:
                op = np.greater
            else:
                raise ValueError(
                    f"{type(self).__name__} received monitor={self.monitor!r} with "
                    "mode='auto', but cannot tell whether that metric should be "
                    "minimized or maximized. Pass mode='min' if lower values are "
                    "better, or mode='max' if higher values are better."
                )
        self.monitor_op = op
        if op is np.less:
            self.min_delta = -abs(self.min_delta)
        else:
            self.min_delta = abs(self.min_delta)

    def _is_improvement(self, monitor_value: Any, reference_value: Any) -> bool:
        if reference_value is None:
            return True
        result = self.monitor_op(_f32(monitor_value - self.min_delta), _f32(reference_value))
        return bool(result) if np.ndim(result) == 0 else result
