"""scikit-learn classifier, regressor and transformer estimators built from heft models.

This module imports scikit-learn at its top; ``heft.wrappers`` loads it only when one
of its classes is first used.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin  # type: ignore[import-untyped]
from sklearn.preprocessing import OneHotEncoder  # type: ignore[import-untyped]
from sklearn.utils.metadata_routing import MetadataRequest  # type: ignore[import-untyped]
from sklearn.utils.multiclass import type_of_target  # type: ignore[import-untyped]
from sklearn.utils.validation import check_is_fitted, validate_data  # type: ignore[import-untyped]

from ..callbacks import History
from ..models import Model, clone_model


def _check_compiled(model: Any) -> None:
    """Raise unless ``model`` is a heft model compiled with a loss and an optimizer."""
    if not isinstance(model, Model):
        raise TypeError(
            "The `model` callable must return a compiled heft model (a `heft.Model`); "
            f"it returned {model!r} of type {type(model).__name__}. Build the model, "
            "call `model.compile(loss=..., optimizer=...)` and return it."
        )
    if not model.compiled or not model.loss or not model.optimizer:
        raise RuntimeError(
            "Given model needs to be compiled, and have a loss and an optimizer. "
            "Call `model.compile(loss=..., optimizer=...)` before returning it "
            "from the `model` callable."
        )


def _checked_target_type(y: np.ndarray) -> str:
    """scikit-learn's type of ``y``, refusing targets it cannot name."""
    target_type = str(type_of_target(y))
    if target_type == "unknown":
        raise ValueError(f"Unknown label type for data: {y!r}")
    return target_type


class _ArchivedModel:
    """A model held as the bytes of its ``.keras`` archive, for pickling.

    Custom layers must be registered (``register_keras_serializable``) to load again,
    as for ``heft.saving.load_model``.
    """

    def __init__(self, model: Model) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "model.keras")
            model.save(path)
            with open(path, "rb") as file:
                self.data = file.read()

    def load(self) -> Model:
        from ..saving import load_model

        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "model.keras")
            with open(path, "wb") as file:
                file.write(self.data)
            return load_model(path)  # type: ignore[return-value]


def _detached_history(history: Any) -> Any:
    """A copy of a ``History`` without its model, so that it pickles on its own."""
    copy = History()
    copy.history = history.history
    copy.epoch = history.epoch
    copy.params = dict(getattr(history, "params", None) or {})
    return copy


class _SKLBase(BaseEstimator):
    """What the three wrappers share: building, fitting and predicting with the model.

    Args:
        model: A compiled ``heft.Model``, or a callable returning one. A model is
            cloned (``heft.models.clone_model``, compile settings kept) before each
            fit, so the model given is never trained. A callable is called as
            ``model(X=X, y=y, **model_kwargs)`` with the validated inputs and the
            encoded targets, so it can size the input and output layers from them.
        warm_start: When ``True``, a second ``fit`` trains on the model of the first
            one (``model_``) instead of building a new one.
        model_kwargs: Keyword arguments for the ``model`` callable.
        fit_kwargs: Keyword arguments for ``Model.fit`` (``epochs``, ``batch_size``,
            ``verbose``...). Keyword arguments given to ``fit`` itself override them
            for that call; neither dict is ever modified.

    Attributes (after ``fit``):
        model_: The fitted heft model.
        history_: The ``History`` returned by ``Model.fit``.
        n_features_in_: The number of input features seen by ``fit``.

    A fitted estimator pickles (``pickle``, ``joblib``): its model travels as the
    bytes of a ``.keras`` archive, so custom layers must be registered
    (``register_keras_serializable``) for it to load again.
    """

    def __init__(
        self,
        model: Model | Callable[..., Model],
        warm_start: bool = False,
        model_kwargs: dict[str, Any] | None = None,
        fit_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def __sklearn_clone__(self) -> _SKLBase:
        """An unfitted estimator with the same parameters (the model itself is shared).

        The model (instance or callable) is passed on as it is rather than deep-copied:
        ``fit`` clones a model instance anyway, so the original is never trained.
        """
        return type(self)(
            model=self.model,
            warm_start=self.warm_start,
            model_kwargs=self.model_kwargs,
            fit_kwargs=self.fit_kwargs,
        )

    @property
    def epoch_(self) -> int:
        """The number of the next training epoch: 0 before ``fit``, else one past the last."""
        history = getattr(self, "history_", None)
        if history is None or not history.epoch:
            return 0
        return int(history.epoch[-1]) + 1

    def set_fit_request(self, **kwargs: Any) -> _SKLBase:
        """Ask for metadata (``sample_weight=True``...) to be routed to ``fit``.

        Only available when scikit-learn's metadata routing is enabled
        (``sklearn.set_config(enable_metadata_routing=True)``).

        Args:
            **kwargs: ``param_name=alias``, the alias one of ``True``, ``False``,
                ``None`` or a string.

        Returns:
            This estimator.

        Raises:
            RuntimeError: When metadata routing is not enabled.
        """
        import sklearn  # type: ignore[import-untyped]

        if not sklearn.get_config().get("enable_metadata_routing", False):
            raise RuntimeError(
                "This method is only available when metadata routing is "
                "enabled. You can enable it using "
                "sklearn.set_config(enable_metadata_routing=True)."
            )
        request = MetadataRequest(owner=type(self).__name__)
        for param, alias in kwargs.items():
            request.fit.add_request(param=param, alias=alias)
        self._metadata_request = request
        return self

    def __getstate__(self) -> dict[str, Any]:
        """The estimator's state, the fitted model as the bytes of a ``.keras`` archive."""
        state = dict(super().__getstate__())
        if "model_" in state:
            state["model_"] = _ArchivedModel(state["model_"])
        history = state.get("history_")
        if history is not None:
            state["history_"] = _detached_history(history)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        if isinstance(state.get("model_"), _ArchivedModel):
            state["model_"] = state["model_"].load()
        super().__setstate__(state)

    def _build_model(self, X: np.ndarray, y: np.ndarray) -> Model:
        if self.warm_start and hasattr(self, "model_"):
            model: Any = self.model_
        elif isinstance(self.model, Model):
            model = clone_model(self.model)
        elif callable(self.model):
            model = self.model(X=X, y=y, **(self.model_kwargs or {}))
        else:
            raise TypeError(
                f"{type(self).__name__}'s `model` must be a compiled heft model or a "
                f"callable returning one; received {self.model!r} of type "
                f"{type(self.model).__name__}."
            )
        _check_compiled(model)
        return model  # type: ignore[no-any-return]

    def _encode_target(self, y: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
        """The target as the model trains on it, and the fitted attributes it implies."""
        _checked_target_type(y)
        return (y.reshape(-1, 1) if y.ndim == 1 else y), {"_target_ndim": y.ndim}

    def _decode_output(self, output: np.ndarray) -> np.ndarray:
        if self._target_ndim == 1 and output.ndim == 2 and output.shape[1] == 1:
            return np.squeeze(output, axis=1)
        return output

    def fit(self, X: Any, y: Any, **kwargs: Any) -> _SKLBase:
        """Build (or, with ``warm_start``, reuse) the model and train it on ``X``, ``y``.

        Args:
            X: Array-like of shape ``(n_samples, n_features)``.
            y: Array-like of shape ``(n_samples,)``: the targets.
            **kwargs: Keyword arguments for ``Model.fit``; they override ``fit_kwargs``.

        Returns:
            This estimator, fitted.

        Raises:
            ValueError: For inputs or targets scikit-learn's validation refuses.
            RuntimeError: When the model is not compiled with a loss and an optimizer.
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None. "
                "Pass the targets the model trains on as the second argument, `fit(X, y)`."
            )
        before = dict(self.__dict__)
        try:
            X, y = validate_data(self, X, y)
            target, fitted = self._encode_target(y)
            model = self._build_model(X, target)
            history = model.fit(X, target, **{**(self.fit_kwargs or {}), **kwargs})
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise
        self.__dict__.update(fitted)
        self.model_ = model
        self.history_ = history
        return self

    def _raw_predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return np.asarray(self.model_.predict(X))

    def predict(self, X: Any) -> np.ndarray:
        """The model's predictions for ``X``, mapped back to the targets' form.

        Args:
            X: Array-like of shape ``(n_samples, n_features)``.

        Returns:
            The predictions; one value per sample when the targets were 1-D.

        Raises:
            sklearn.exceptions.NotFittedError: Before ``fit``.
            ValueError: When ``X`` has a different number of features than in ``fit``.
        """
        return self._decode_output(self._raw_predict(X))


class SKLearnClassifier(ClassifierMixin, _SKLBase):
    """A scikit-learn classifier that trains a heft model on one-hot encoded labels.

    ``fit`` takes binary or multiclass labels (numbers or strings), records the sorted
    distinct labels in ``classes_``, and trains the model on their one-hot encoding
    (float64, one column per class, in the order of ``classes_``), so the model
    needs one output per class (``softmax`` with ``categorical_crossentropy``, say).
    ``predict`` returns, for each sample, the label of the model's largest output;
    ``decision_function`` returns the model's outputs themselves. ``score`` is the
    accuracy. There is no ``predict_proba``.

    Args:
        model: A compiled ``heft.Model`` or a callable ``model(X=..., y=...,
            **model_kwargs)`` returning one; ``y`` is the one-hot encoded target.
        warm_start: When ``True``, a second ``fit`` trains on the model of the first.
        model_kwargs: Keyword arguments for the ``model`` callable.
        fit_kwargs: Keyword arguments for ``Model.fit``.

    Attributes (after ``fit``):
        classes_: The distinct labels, sorted.
        model_: The fitted heft model.
        history_: The ``History`` returned by ``Model.fit``.

    >>> import numpy as np
    >>> import heft
    >>> heft.config.disable_interactive_logging()  # keep predict's progress line quiet
    >>> def build(X, y):
    ...     model = heft.Sequential([
    ...         heft.Input((X.shape[1],)), heft.layers.Dense(y.shape[1], activation="softmax")
    ...     ])
    ...     model.compile(loss="categorical_crossentropy", optimizer="adam")
    ...     return model
    >>> X = np.arange(12.0).reshape(6, 2)
    >>> clf = SKLearnClassifier(build, fit_kwargs={"epochs": 2, "verbose": 0})
    >>> clf.fit(X, ["cat", "dog", "cat", "dog", "cat", "dog"]).classes_
    array(['cat', 'dog'], dtype='<U3')
    >>> clf.decision_function(X).shape
    (6, 2)
    >>> heft.config.enable_interactive_logging()
    """

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags

    def _encode_target(self, y: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
        target_type = _checked_target_type(y)
        if target_type not in ("binary", "multiclass"):
            raise ValueError(
                f"Only binary and multiclass target types are supported. Target type: {target_type}"
            )
        classes = np.unique(y)
        if len(classes) == 1:
            raise ValueError("Classifier can't train when only one class is present.")
        column = y.reshape(-1, 1) if y.ndim == 1 else y
        encoder = OneHotEncoder(sparse_output=False).fit(column)
        fitted = {"_target_ndim": y.ndim, "_one_hot": encoder, "classes_": classes}
        return encoder.transform(column), fitted

    def _decode_output(self, output: np.ndarray) -> np.ndarray:
        return super()._decode_output(self._one_hot.inverse_transform(output))

    def decision_function(self, X: Any) -> np.ndarray:
        """The model's raw outputs for ``X``: one column per class, as trained.

        Raises:
            sklearn.exceptions.NotFittedError: Before ``fit``.
        """
        return self._raw_predict(X)


class SKLearnRegressor(RegressorMixin, _SKLBase):
    """A scikit-learn regressor that trains a heft model on a 1-D target.

    The model trains on the target as a column (shape ``(n_samples, 1)``), and
    ``predict`` returns one value per sample. ``score`` is the coefficient of
    determination (R²).

    Args:
        model: A compiled ``heft.Model`` or a callable ``model(X=..., y=...,
            **model_kwargs)`` returning one; ``y`` has shape ``(n_samples, 1)``.
        warm_start: When ``True``, a second ``fit`` trains on the model of the first.
        model_kwargs: Keyword arguments for the ``model`` callable.
        fit_kwargs: Keyword arguments for ``Model.fit``.

    Attributes (after ``fit``):
        model_: The fitted heft model.
        history_: The ``History`` returned by ``Model.fit``.

    >>> import numpy as np
    >>> import heft
    >>> heft.config.disable_interactive_logging()  # keep predict's progress line quiet
    >>> def build(X, y):
    ...     model = heft.Sequential([heft.Input((X.shape[1],)), heft.layers.Dense(1)])
    ...     model.compile(loss="mse", optimizer="sgd")
    ...     return model
    >>> X = np.arange(12.0).reshape(6, 2)
    >>> reg = SKLearnRegressor(build, fit_kwargs={"verbose": 0}).fit(X, X.sum(axis=1))
    >>> reg.predict(X).shape
    (6,)
    >>> heft.config.enable_interactive_logging()
    """

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, _SKLBase):
    """A scikit-learn transformer whose ``transform`` is a trained heft model's output.

    ``fit`` trains the model on ``X`` and a 1-D target ``y`` (as a column, like
    ``SKLearnRegressor``); ``transform`` returns the model's outputs for new inputs,
    for instance an embedding to feed a later step of a ``Pipeline``.

    Args:
        model: A compiled ``heft.Model`` or a callable ``model(X=..., y=...,
            **model_kwargs)`` returning one; ``y`` has shape ``(n_samples, 1)``.
        warm_start: When ``True``, a second ``fit`` trains on the model of the first.
        model_kwargs: Keyword arguments for the ``model`` callable.
        fit_kwargs: Keyword arguments for ``Model.fit``.

    Attributes (after ``fit``):
        model_: The fitted heft model.
        history_: The ``History`` returned by ``Model.fit``.

    >>> import numpy as np
    >>> import heft
    >>> heft.config.disable_interactive_logging()  # keep predict's progress line quiet
    >>> def build(X, y):
    ...     model = heft.Sequential([heft.Input((X.shape[1],)), heft.layers.Dense(3)])
    ...     model.compile(loss="mse", optimizer="sgd")
    ...     return model
    >>> X = np.arange(12.0).reshape(6, 2)
    >>> trs = SKLearnTransformer(build, fit_kwargs={"verbose": 0}).fit(X, X[:, 0])
    >>> trs.transform(X).shape
    (6, 3)
    >>> heft.config.enable_interactive_logging()
    """

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags

    def transform(self, X: Any) -> np.ndarray:
        """The fitted model's outputs for ``X``.

        Args:
            X: Array-like of shape ``(n_samples, n_features)``.

        Returns:
            The model's outputs, unchanged.

        Raises:
            sklearn.exceptions.NotFittedError: Before ``fit``.
        """
        return self._raw_predict(X)
