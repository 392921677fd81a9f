"""``TerminateOnNaN``: stops training when the loss becomes NaN or infinite."""

from __future__ import annotations

import math
from typing import Any

from ._callback import Callback, print_msg


class TerminateOnNaN(Callback):
    """Stops training as soon as a training batch reports a NaN or infinite ``loss``.

    By default it sets ``model.stop_training`` so that ``fit`` ends cleanly
    (every callback's ``on_train_end`` runs, checkpoints keep the last good
    weights); with ``raise_error=True`` it raises instead.

    The callback is ``chunk_safe``: the ``loss`` in batch logs is the epoch's
    running mean, which stays NaN (or infinite) once any step produced one, so
    checking once per group of steps catches it at the end of that group.

    Args:
        raise_error: Whether to raise ``RuntimeError`` instead of stopping
            gracefully (other callbacks' ``on_train_end`` then does not run).

    Raises:
        RuntimeError: With ``raise_error=True``, when the loss is NaN or infinite.

    >>> from heft.callbacks import TerminateOnNaN
    >>> class Model:
    ...     stop_training = False
    >>> model = Model()
    >>> callback = TerminateOnNaN()
    >>> callback.set_model(model)
    >>> callback.on_train_batch_end(3, {"loss": float("nan")})
    Batch 3: the loss is nan; stopping training.
    >>> model.stop_training
    True
    """

    chunk_safe = True

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        try:
            finite = math.isfinite(float(loss))
        except (TypeError, ValueError):
            return
        if finite:
            return
        if self.raise_error:
            raise RuntimeError(
                f"TerminateOnNaN: the loss is {loss} at batch {batch}. Lower the learning "
                "rate, check the inputs and labels for NaN or infinite values, or clip "
                "gradients (e.g. `clipnorm=1.0`)."
            )
        print_msg(f"Batch {batch}: the loss is {loss}; stopping training.")
        self.model.stop_training = True
