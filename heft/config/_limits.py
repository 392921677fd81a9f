"""Debugging caps on training length: ``max_epochs`` and ``max_steps_per_epoch``.

Both start from the ``KERAS_MAX_EPOCHS`` / ``KERAS_MAX_STEPS_PER_EPOCH``
environment variables (as in Keras), so a script can be shortened without
editing it.
"""

from __future__ import annotations

import os
import warnings

_LIMITS: dict[str, int | None] = {
    "epochs": int(os.environ["KERAS_MAX_EPOCHS"]) if "KERAS_MAX_EPOCHS" in os.environ else None,
    "steps": int(os.environ["KERAS_MAX_STEPS_PER_EPOCH"])
    if "KERAS_MAX_STEPS_PER_EPOCH" in os.environ
    else None,
}


def max_epochs() -> int | None:
    """The cap on the epochs of any ``fit`` call, or ``None`` (no cap).

    >>> set_max_epochs(2)
    >>> max_epochs()
    2
    >>> set_max_epochs(None)
    """
    return _LIMITS["epochs"]


def set_max_epochs(max_epochs: int | None) -> None:
    """Cap the epochs of every later ``fit`` call (for debugging); ``None`` removes the cap.

    ``fit(epochs=n)`` with ``n`` above the cap trains ``max_epochs`` epochs and warns.
    """
    _LIMITS["epochs"] = max_epochs


def max_steps_per_epoch() -> int | None:
    """The cap on the steps of one epoch of ``fit``, ``evaluate`` or ``predict``, or ``None``.

    >>> set_max_steps_per_epoch(3)
    >>> max_steps_per_epoch()
    3
    >>> set_max_steps_per_epoch(None)
    """
    return _LIMITS["steps"]


def set_max_steps_per_epoch(max_steps_per_epoch: int | None) -> None:
    """Cap the steps per epoch of every later ``fit``/``evaluate``/``predict`` (for debugging).

    A call with no ``steps``/``steps_per_epoch``, or with more, runs
    ``max_steps_per_epoch`` steps and warns; ``None`` removes the cap.
    """
    _LIMITS["steps"] = max_steps_per_epoch


def capped_epochs(epochs: int) -> int:
    cap = _LIMITS["epochs"]
    if cap and cap < epochs:
        warnings.warn(f"Limiting epochs to {cap}", stacklevel=3)
        return cap
    return epochs


def capped_steps(steps: int | None) -> int | None:
    cap = _LIMITS["steps"]
    if cap and (not steps or cap < steps):
        warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=3)
        return cap
    return steps
