"""``CallbackList``: calls each hook on every callback, and tells the trainer which hooks it needs."""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

from ._callback import (
    PREDICT_BATCH_HOOKS,
    TEST_BATCH_HOOKS,
    TRAIN_BATCH_HOOKS,
    Callback,
)
from ._history import History
from ._progbar import ProgbarLogger


def _flatten(callbacks: Any) -> list[Callback]:
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(
            "`callbacks` must be a Callback or a list of Callback instances. "
            f"Received: callbacks={callbacks!r} of type {type(callbacks).__name__}. "
            "Pass e.g. `callbacks=[heft.callbacks.EarlyStopping()]`."
        )
    flat: list[Callback] = []
    for item in callbacks:
        if isinstance(item, (list, tuple)):
            flat.extend(_flatten(item))
        elif isinstance(item, Callback):
            flat.append(item)
        else:
            raise TypeError(
                "Each entry of `callbacks` must be an instance of "
                f"heft.callbacks.Callback. Received: {item!r} of type "
                f"{type(item).__name__}. Subclass heft.callbacks.Callback, or wrap "
                "functions with heft.callbacks.LambdaCallback."
            )
    return flat


def _to_python(value: Any) -> Any:
    if isinstance(value, numbers.Real):
        return float(value)
    if getattr(value, "shape", None) == ():
        try:
            return float(value)
        except (TypeError, ValueError):
            return value
    return value


def pythonify_logs(logs: dict[str, Any] | None) -> dict[str, Any]:
    """A new dict of ``logs`` sorted by key, nested dicts merged, scalars as floats.

    Scalars (Python numbers, NumPy or JAX arrays of shape ``()``) become
    Python floats; other values (e.g. prediction arrays) are kept as they are.
    """
    result: dict[str, Any] = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            result.update(pythonify_logs(value))
        else:
            result[key] = _to_python(value)
    return result


def _needs_every_step(callback: Callback, name: str) -> bool:
    if name in getattr(callback, "__dict__", {}):
        return not callback.__dict__.get("chunk_safe", False)
    owner = next(cls for cls in type(callback).__mro__ if name in vars(cls))
    if owner is Callback:
        return False
    return not (vars(owner).get("chunk_safe", False) or callback.__dict__.get("chunk_safe", False))


class CallbackList(Callback):
    """Calls a list of callbacks together, as ``fit``, ``evaluate`` and ``predict`` do.

    Logs given to a hook are copied once (sorted by key, scalars converted to
    Python floats) and the copy is passed to every callback in order, so a
    callback may add entries (``ReduceLROnPlateau`` adds ``learning_rate``)
    that later callbacks see, while the caller's dict stays unchanged.

    Args:
        callbacks: A ``Callback`` or a (nested) list of them.
        add_history: Whether to append a ``History`` if none is in ``callbacks``.
        add_progbar: Whether to append a ``ProgbarLogger`` if none is in ``callbacks``.
        model: The model the callbacks act on; set on each callback.
        **params: Run parameters (``verbose``, ``epochs``, ``steps``) given to
            each callback's ``set_params``.

    Raises:
        TypeError: If an entry of ``callbacks`` is not a ``Callback``.

    >>> from heft.callbacks import CallbackList, LambdaCallback
    >>> seen = []
    >>> record = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(logs["loss"]))
    >>> callbacks = CallbackList([record], add_history=True, epochs=1, steps=2, verbose=0)
    >>> callbacks.needs_batch_hooks
    False
    >>> callbacks.on_train_begin()
    >>> callbacks.on_epoch_begin(0)
    >>> callbacks.on_epoch_end(0, {"loss": 0.25})
    >>> callbacks.on_train_end()
    >>> seen
    [0.25]
    """

    def __init__(
        self,
        callbacks: Callback | Iterable[Any] | None = None,
        add_history: bool = False,
        add_progbar: bool = False,
        model: Any = None,
        **params: Any,
    ) -> None:
        super().__init__()
        self.callbacks: list[Callback] = _flatten(callbacks)
        self._open_blocks = 0
        self._history: History | None = None
        self._progbar: ProgbarLogger | None = None
        for callback in self.callbacks:
            if isinstance(callback, ProgbarLogger):
                self._progbar = callback
            elif isinstance(callback, History):
                self._history = callback
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        self.set_model(model)
        self.set_params(params)

    def set_params(self, params: dict[str, Any] | None) -> None:
        """Store ``params`` and, when not empty, give them to every callback."""
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def set_model(self, model: Any) -> None:
        """Attach ``model`` to every callback (``None`` is ignored); sets ``model.history``."""
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def _needs(self, names: tuple[str, ...]) -> bool:
        for callback in self.callbacks:
            if isinstance(callback, CallbackList):
                if callback._needs(names):
                    return True
            elif any(_needs_every_step(callback, name) for name in names):
                return True
        return False

    @property
    def needs_train_batch_hooks(self) -> bool:
        """Whether a callback overrides a train batch hook and needs it after every step."""
        return self._needs(TRAIN_BATCH_HOOKS)

    @property
    def needs_test_batch_hooks(self) -> bool:
        """Whether a callback overrides a test batch hook and needs it after every step."""
        return self._needs(TEST_BATCH_HOOKS)

    @property
    def needs_predict_batch_hooks(self) -> bool:
        """Whether a callback overrides a predict batch hook and needs it after every step."""
        return self._needs(PREDICT_BATCH_HOOKS)

    @property
    def needs_batch_hooks(self) -> bool:
        """Whether any phase needs its batch hooks after every step.

        When ``False``, the trainer may run many steps per dispatch and call
        ``on_*_batch_end`` once per group of steps, with the index of the last
        step; callbacks that are ``chunk_safe`` (the progress bar,
        ``ModelCheckpoint``, ``TerminateOnNaN``) do not count.
        """
        return (
            self.needs_train_batch_hooks
            or self.needs_test_batch_hooks
            or self.needs_predict_batch_hooks
        )

    def _begin(self) -> None:
        self._open_blocks += 1

    def _end(self, hook: str) -> None:
        if self._open_blocks <= 0:
            raise ValueError(
                f"CallbackList.{hook} was called without a matching begin call. Call "
                "`on_train_begin`, `on_test_begin` or `on_predict_begin` before the "
                "corresponding end hook."
            )
        self._open_blocks -= 1

    def on_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_batch_begin(batch, logs=logs)

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_batch_end(batch, logs=logs)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_train_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_train_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_test_batch_begin(batch, logs=logs)

    def on_test_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_test_batch_end(batch, logs=logs)

    def on_predict_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_predict_batch_begin(batch, logs=logs)

    def on_predict_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_predict_batch_end(batch, logs=logs)

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._begin()
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_train_begin(logs)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_train_end(logs)
        self._end("on_train_end")

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._begin()
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_test_begin(logs)

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_test_end(logs)
        self._end("on_test_end")

    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._begin()
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_predict_begin(logs)

    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            callback.on_predict_end(logs)
        self._end("on_predict_end")
