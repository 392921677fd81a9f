"""``LambdaCallback``: a callback built from plain functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._callback import ALL_HOOKS, Callback


class LambdaCallback(Callback):
    """A callback whose hooks are the functions given to it.

    Epoch hooks are called as ``fn(epoch, logs)``; begin/end hooks as
    ``fn(logs)``; batch hooks as ``fn(batch, logs=logs)``. Any other hook of
    ``Callback`` can be given by name as a keyword argument. A batch hook
    given here makes the trainer call batch hooks after every step.

    Args:
        on_epoch_begin: Called at the start of each epoch.
        on_epoch_end: Called at the end of each epoch.
        on_train_begin: Called when training starts.
        on_train_end: Called when training ends.
        on_train_batch_begin: Called before each training batch.
        on_train_batch_end: Called after each training batch.
        **kwargs: Other hooks by name, e.g. ``on_test_end=fn``.

    Raises:
        TypeError: If a keyword is not a hook name or a hook is not callable.

    >>> from heft.callbacks import LambdaCallback
    >>> losses = []
    >>> callback = LambdaCallback(on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]))
    >>> callback.on_epoch_end(0, {"loss": 0.5})
    >>> losses
    [0.5]
    """

    def __init__(
        self,
        on_epoch_begin: Callable[..., Any] | None = None,
        on_epoch_end: Callable[..., Any] | None = None,
        on_train_begin: Callable[..., Any] | None = None,
        on_train_end: Callable[..., Any] | None = None,
        on_train_batch_begin: Callable[..., Any] | None = None,
        on_train_batch_end: Callable[..., Any] | None = None,
        **kwargs: Callable[..., Any],
    ) -> None:
        super().__init__()
        unknown = sorted(set(kwargs) - set(ALL_HOOKS))
        if unknown:
            raise TypeError(
                f"LambdaCallback got unknown hook names {unknown}. Valid names are: "
                f"{', '.join(ALL_HOOKS)}."
            )
        hooks = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
            **kwargs,
        }
        for name, function in hooks.items():
            if function is None:
                continue
            if not callable(function):
                raise TypeError(
                    f"LambdaCallback expects `{name}` to be a function, but received "
                    f"{function!r} of type {type(function).__name__}."
                )
            setattr(self, name, function)
