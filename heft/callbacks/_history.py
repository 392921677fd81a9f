"""``History``: records each epoch's logs; ``fit`` returns it."""

from __future__ import annotations

from typing import Any

from ._callback import Callback


class History(Callback):
    """Records the logs of every epoch in ``history``, keyed by metric name.

    ``fit`` adds one to its callbacks and returns it; it is also set as
    ``model.history``.

    Attributes:
        history: Dict from each log key (``"loss"``, ``"val_loss"``, ...) to the
            list of its values, one per epoch.
        epoch: The indices of the epochs recorded during the last ``fit``.

    >>> from heft.callbacks import History
    >>> history = History()
    >>> history.on_train_begin()
    >>> history.on_epoch_end(0, {"loss": 0.9})
    >>> history.on_epoch_end(1, {"loss": 0.5})
    >>> history.history
    {'loss': [0.9, 0.5]}
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[Any]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        model = self.model
        if model is not None:
            model.history = self
