"""Stand-ins for the scikit-learn wrappers when scikit-learn is not installed."""

from __future__ import annotations

from typing import Any


class _NeedsSklearn:
    """Raises, on construction, an ImportError that says how to install scikit-learn."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise ImportError(
            f"{type(self).__name__} requires `scikit-learn` to be installed. "
            "Run `pip install scikit-learn` (or `pip install heft[sklearn]`) to install it."
        )


class SKLearnClassifier(_NeedsSklearn):
    """Needs scikit-learn; see ``heft.wrappers``."""


class SKLearnRegressor(_NeedsSklearn):
    """Needs scikit-learn; see ``heft.wrappers``."""


class SKLearnTransformer(_NeedsSklearn):
    """Needs scikit-learn; see ``heft.wrappers``."""
