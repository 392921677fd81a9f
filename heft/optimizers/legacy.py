"""``heft.optimizers.legacy``: the Keras 2 optimizer names, which Keras 3 refuses and so does heft.

Keras 3 keeps ``keras.optimizers.legacy.Adam`` and its siblings only to say,
when one is made, that they belong to Keras 2. heft has the same names with
the same ``ImportError``, so a Keras 2 program fails here as it does on
Keras 3, with a message that says what to use instead.

>>> import heft
>>> heft.optimizers.legacy.Adam(learning_rate=0.01)
Traceback (most recent call last):
ImportError: `heft.optimizers.legacy.Adam` is a Keras 2 optimizer, which neither Keras 3 nor heft supports. Use `heft.optimizers.Adam` (the same arguments, minus Keras 2's `decay`), or run the program on Keras 2 (`tf_keras`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["SGD", "Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop"]


class _Keras2Optimizer:
    """A Keras 2 optimizer name: making one raises ``ImportError``, as in Keras 3."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name = type(self).__name__
        raise ImportError(
            f"`heft.optimizers.legacy.{name}` is a Keras 2 optimizer, which neither Keras 3 "
            f"nor heft supports. Use `heft.optimizers.{name}` (the same arguments, minus "
            "Keras 2's `decay`), or run the program on Keras 2 (`tf_keras`)."
        )


class Adagrad(_Keras2Optimizer):
    """Keras 2's ``Adagrad``; use ``heft.optimizers.Adagrad``."""


class Adam(_Keras2Optimizer):
    """Keras 2's ``Adam``; use ``heft.optimizers.Adam``."""


class Ftrl(_Keras2Optimizer):
    """Keras 2's ``Ftrl``; use ``heft.optimizers.Ftrl``."""


class Optimizer(_Keras2Optimizer):
    """Keras 2's optimizer base class; subclass ``heft.optimizers.Optimizer``."""


class RMSprop(_Keras2Optimizer):
    """Keras 2's ``RMSprop``; use ``heft.optimizers.RMSprop``."""


class SGD(_Keras2Optimizer):
    """Keras 2's ``SGD``; use ``heft.optimizers.SGD``."""
