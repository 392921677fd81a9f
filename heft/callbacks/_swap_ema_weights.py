"""``SwapEMAWeights``: evaluate and predict with the optimizer's moving averages of the weights."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ._callback import Callback


class SwapEMAWeights(Callback):
    """Put the optimizer's exponential moving averages (``use_ema=True``) into the model.

    During evaluation and prediction the model's trainable weights are
    swapped with their moving averages and swapped back afterwards, so that
    validation uses the averaged weights and training goes on from the
    trained ones. With ``swap_on_epoch=True`` the averages are also put in
    at each epoch end (and taken out at the next epoch's start), so
    callbacks such as ``ModelCheckpoint`` save them; after the last epoch
    the model keeps them, and the averages are set to those weights.

    Args:
        swap_on_epoch: Also swap at epoch ends.

    Raises:
        ValueError: (when swapping) if the optimizer, or every inner
            optimizer of a multi-optimizer, was made without ``use_ema=True``.
    """

    chunk_safe = True

    def __init__(self, swap_on_epoch: bool = False) -> None:
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _optimizers(self) -> list[Any]:
        optimizer = self.model.optimizer
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if hasattr(optimizer, "optimizers"):
            found = [o for o in optimizer.optimizers if getattr(o, "use_ema", False)]
            if not found:
                raise ValueError(
                    "SwapEMAWeights must be used when at least one inner optimizer has "
                    "`use_ema=True` set. Received a multi-optimizer whose inner optimizers "
                    "all have `use_ema=False`."
                )
            return found
        if not getattr(optimizer, "use_ema", False):
            raise ValueError(
                "SwapEMAWeights must be used when `use_ema=True` is set on the optimizer. "
                f"Received: use_ema={getattr(optimizer, 'use_ema', None)}"
            )
        return [optimizer]

    def _pairs(self) -> Iterator[tuple[Any, Any]]:
        for optimizer in self._optimizers():
            table = optimizer._table
            for variable in table.order:
                average = table.average(variable)
                if average is not None:
                    yield variable, average

    def _swap_variables(self) -> None:
        for variable, average in list(self._pairs()):
            current = np.asarray(variable.numpy())
            variable.assign(average.value)
            average.assign(current)

    def _finalize_ema_values(self) -> None:
        for variable, average in list(self._pairs()):
            average.assign(variable.value)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True
            if self.params and epoch == self.params.get("epochs", 0) - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None:
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False
