"""``ReduceLROnPlateau``: lowers the learning rate when a monitored quantity stalls."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ._callback import print_msg
from ._learning_rate_scheduler import current_learning_rate
from ._monitor import MonitorCallback


class ReduceLROnPlateau(MonitorCallback):
    """Multiplies the learning rate by ``factor`` after ``patience`` epochs without improvement.

    At each epoch end the learning rate in use is added to the logs as
    ``learning_rate``; then, if ``monitor`` has not improved by more than
    ``min_delta`` for ``patience`` epochs, the rate becomes
    ``max(lr * factor, min_lr)`` (unless it is already at ``min_lr``) and
    the callback waits ``cooldown`` epochs before counting again. The rules
    are Keras 3's.

    Args:
        monitor: The log key to watch.
        factor: Multiplier applied to the learning rate, below 1.
        patience: Epochs without improvement before the rate is reduced.
        verbose: 1 prints a line at each reduction; 0 is silent.
        mode: ``"min"``, ``"max"``, or ``"auto"`` to infer it from ``monitor``.
        min_delta: Smallest change counted as an improvement.
        cooldown: Epochs after a reduction during which no counting happens.
        min_lr: The learning rate is never set below this.

    Raises:
        ValueError: If ``factor >= 1`` or ``mode`` is unknown (Keras only warns
            for a bad mode); at an epoch end, if the model has no optimizer.

    >>> from heft.callbacks import ReduceLROnPlateau
    >>> class Optimizer:
    ...     learning_rate = 0.1
    >>> class Model:
    ...     optimizer = Optimizer()
    >>> reduce = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
    >>> reduce.set_model(Model())
    >>> reduce.on_train_begin()
    >>> for epoch, loss in enumerate([1.0, 1.0, 1.0]):
    ...     reduce.on_epoch_end(epoch, {"loss": loss})
    >>> Model.optimizer.learning_rate
    0.025
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau received factor={factor}, but the factor must be "
                "below 1.0 to reduce the learning rate (new_lr = lr * factor). Use e.g. "
                "factor=0.1 or factor=0.5."
            )
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.min_lr = min_lr
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self) -> None:
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self) -> bool:
        """Whether the callback is still waiting out ``cooldown`` after a reduction."""
        return self.cooldown_counter > 0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._reset()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = {} if logs is None else logs
        logs["learning_rate"] = current_learning_rate(self.model, "ReduceLROnPlateau")
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"ReduceLROnPlateau is monitoring `{self.monitor}`, which is not in the "
                f"logs; the learning rate is left unchanged. Available keys: "
                f"{', '.join(logs)}. Set `monitor` to one of them.",
                stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
            return
        if self.in_cooldown():
            return
        self.wait += 1
        if self.wait >= self.patience and self._reduce(epoch):
            self.cooldown_counter = self.cooldown
            self.wait = 0

    def _reduce(self, epoch: int) -> bool:
        optimizer = self.model.optimizer
        old_lr = float(np.asarray(optimizer.learning_rate))
        if not np.float32(old_lr) > np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: ReduceLROnPlateau set the learning rate to {new_lr}.")
        return True
