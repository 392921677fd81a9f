"""``EarlyStopping``: ends ``fit`` when a monitored quantity stops improving."""

from __future__ import annotations

import warnings
from typing import Any

from ._callback import print_msg
from ._monitor import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Stops training once the monitored quantity has not improved for ``patience`` epochs.

    At each epoch end the value of ``monitor`` is compared with the best so
    far; after ``patience`` epochs in a row without an improvement of at
    least ``min_delta``, ``model.stop_training`` is set and ``fit`` ends after
    the current epoch. The rules are Keras 3's, including its corner cases: a
    stop is never requested at the first epoch, and with a ``baseline`` an
    epoch that improves on the best but not on the baseline still counts
    towards ``patience``.

    Args:
        monitor: The log key to watch (``"val_loss"``, ``"loss"``, ``"val_accuracy"``...).
        min_delta: Smallest change counted as an improvement.
        patience: Epochs without improvement after which training stops.
        verbose: 1 prints a line when stopping and when restoring weights; 0 is silent.
        mode: ``"min"``, ``"max"``, or ``"auto"`` to infer it from ``monitor``.
        baseline: A value the monitored quantity must beat; epochs that do not
            beat it count towards ``patience``.
        restore_best_weights: Whether to set the weights of the best epoch back
            on the model when training ends (whether or not it stopped early).
        start_from_epoch: Number of initial epochs (warm-up) that are not watched.

    Raises:
        ValueError: If ``mode`` is not ``"auto"``, ``"min"`` or ``"max"`` (Keras
            warns and uses ``"auto"``; heft refuses so that a typo is not
            silently ignored), or, at the first epoch end, if ``mode="auto"``
            cannot tell the direction of ``monitor``.

    >>> from heft.callbacks import CallbackList, EarlyStopping
    >>> class Model:
    ...     stop_training = False
    >>> model = Model()
    >>> callbacks = CallbackList([EarlyStopping(monitor="loss", patience=1)], model=model)
    >>> callbacks.on_train_begin()
    >>> for epoch, loss in enumerate([1.0, 0.8, 0.9, 0.95]):
    ...     callbacks.on_epoch_end(epoch, {"loss": loss})
    ...     if model.stop_training:
    ...         break
    >>> epoch
    2
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights: list[Any] | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # The first watched epoch is the fallback "best" when none improves.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            epochs = "epoch" if self.wait == 1 else "epochs"
            print_msg(
                f"Epoch {self.stopped_epoch + 1}: early stopping, {self.monitor} "
                f"did not improve for {self.wait} {epochs}."
            )
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print_msg(f"Restoring the weights of the best epoch, {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs: dict[str, Any] | None) -> Any:
        """Return ``logs[monitor]``, or warn and return ``None`` when it is missing."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"EarlyStopping is monitoring `{self.monitor}`, which is not in the "
                f"logs; this epoch is not counted. Available keys: {', '.join(logs)}. "
                "Set `monitor` to one of them (validation metrics need validation data).",
                stacklevel=2,
            )
        return value
