"""scikit-learn estimators around heft models (Keras 3's ``keras.wrappers``).

scikit-learn is optional: the three classes are always importable, and the real
estimators (subclasses of scikit-learn's ``BaseEstimator``) are loaded on first use, so
``import heft`` never imports scikit-learn. Without it installed, constructing one of
them raises an ``ImportError`` that names the pip package ``scikit-learn``.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._sklearn import SKLearnClassifier as SKLearnClassifier
    from ._sklearn import SKLearnRegressor as SKLearnRegressor
    from ._sklearn import SKLearnTransformer as SKLearnTransformer

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if importlib.util.find_spec("sklearn") is None:
        from . import _missing as module
    else:
        from . import _sklearn as module  # type: ignore[no-redef]
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
