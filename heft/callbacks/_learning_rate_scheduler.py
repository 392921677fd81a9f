"""``LearningRateScheduler``: sets the optimizer's learning rate at each epoch start."""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from ._callback import Callback, print_msg


def _optimizer_of(model: Any, owner: str) -> Any:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(
            f"{owner} needs a model whose optimizer has a `learning_rate` attribute, but "
            f"model.optimizer is {optimizer!r}. Call `model.compile(optimizer=...)` "
            "before `fit`."
        )
    return optimizer


def current_learning_rate(model: Any, owner: str) -> float:
    """Return the model's optimizer learning rate as a Python float.

    Raises:
        ValueError: If the model has no optimizer with a ``learning_rate``.
    """
    return float(np.asarray(_optimizer_of(model, owner).learning_rate))


def _accepts_two_arguments(schedule: Callable[..., Any]) -> bool:
    try:
        signature = inspect.signature(schedule)
    except (TypeError, ValueError):
        return True
    positional = 0
    for parameter in signature.parameters.values():
        if parameter.kind is parameter.VAR_POSITIONAL:
            return True
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            positional += 1
    return positional >= 2


class LearningRateScheduler(Callback):
    """Sets the learning rate from ``schedule(epoch, lr)`` at the start of each epoch.

    The new rate is written to ``model.optimizer.learning_rate``; at the end
    of each epoch the rate in use is added to the logs as ``learning_rate``
    (so ``History`` records it).

    Args:
        schedule: A function of the epoch index (from 0) and the current
            learning rate returning the new rate as a float. A function of the
            epoch alone is accepted too.
        verbose: 1 prints the new rate at each epoch start; 0 is silent.

    Raises:
        ValueError: At an epoch start, if the model has no optimizer with a
            ``learning_rate``, or if ``schedule`` returns something that is not
            a real number (Keras also rejects integers; heft accepts them).

    >>> from heft.callbacks import LearningRateScheduler
    >>> class Optimizer:
    ...     learning_rate = 0.1
    >>> class Model:
    ...     optimizer = Optimizer()
    >>> scheduler = LearningRateScheduler(lambda epoch, lr: lr / 2 if epoch > 0 else lr)
    >>> scheduler.set_model(Model())
    >>> for epoch in range(3):
    ...     scheduler.on_epoch_begin(epoch)
    >>> Model.optimizer.learning_rate
    0.025
    """

    def __init__(self, schedule: Callable[..., Any], verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                "LearningRateScheduler expects `schedule` to be a function "
                f"`(epoch, lr) -> new_lr`. Received: {schedule!r}."
            )
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        optimizer = _optimizer_of(self.model, "LearningRateScheduler")
        if _accepts_two_arguments(self.schedule):
            learning_rate = self.schedule(epoch, float(np.asarray(optimizer.learning_rate)))
        else:
            learning_rate = self.schedule(epoch)
        is_real = isinstance(learning_rate, numbers.Real) and not isinstance(learning_rate, bool)
        is_scalar_array = getattr(learning_rate, "shape", None) == () and np.issubdtype(
            np.asarray(learning_rate).dtype, np.number
        )
        if not (is_real or is_scalar_array):
            raise ValueError(
                "The `schedule` of LearningRateScheduler must return the learning rate as "
                f"a float, but returned {learning_rate!r} at epoch {epoch}. Make it "
                "return a number, e.g. `lambda epoch, lr: lr * 0.9`."
            )
        learning_rate = float(learning_rate)
        optimizer.learning_rate = learning_rate
        if self.verbose > 0:
            print_msg(
                f"\nEpoch {epoch + 1}: LearningRateScheduler set the learning rate to "
                f"{learning_rate}."
            )

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = current_learning_rate(self.model, "LearningRateScheduler")
