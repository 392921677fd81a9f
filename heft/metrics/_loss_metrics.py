"""Means of loss functions as metrics: crossentropies, hinges, KL, Poisson, log-cosh, cosine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from .._typing import ArrayLike, DTypeLike
from ..losses import (
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    hinge,
    kl_divergence,
    log_cosh,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from ..losses._utils import l2_normalize
from ._reduction import MeanMetricWrapper
from ._utils import match_ranks, to_array


def cosine_similarity(y_true: ArrayLike, y_pred: ArrayLike, axis: int = -1) -> jax.Array:
    """The cosine of the angle between ``y_true`` and ``y_pred`` along ``axis`` (1 = aligned).

    Unlike the loss of the same name, the sign is not flipped.

    >>> cosine_similarity([[1.0, 0.0]], [[2.0, 0.0]]).tolist()
    [1.0]
    """
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, dtype=y_pred.dtype)
    y_true, y_pred = match_ranks(y_true, y_pred)
    return jnp.sum(l2_normalize(y_true, axis) * l2_normalize(y_pred, axis), axis=axis)


class _FunctionMean(MeanMetricWrapper):
    """The mean of a named function; the config holds name, dtype and ``_config_keys``."""

    _config_keys: tuple[str, ...] = ()

    def __init__(
        self, fn: Callable, name: str, dtype: DTypeLike, direction: str, **kwargs: Any
    ) -> None:
        super().__init__(fn, name=name, dtype=dtype, **kwargs)
        for key in self._config_keys:
            setattr(self, key, kwargs[key])
        self._direction = direction

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"name": self.name, "dtype": self.dtype}
        config.update({key: getattr(self, key) for key in self._config_keys})
        return config


class BinaryCrossentropy(_FunctionMean):
    """The mean binary crossentropy between labels and predicted probabilities.

    Its variables are ``total`` and ``count`` (as ``Mean``).

    Args:
        name: The metric's name.
        dtype: The dtype of the result.
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: Squeezes the labels towards 0.5 by this amount.

    >>> m = BinaryCrossentropy()
    >>> m.update_state([[0.0, 1.0]], [[0.0, 1.0]])
    >>> round(float(m.result()), 5)
    0.0
    """

    _config_keys = ("from_logits", "label_smoothing")

    def __init__(
        self,
        name: str = "binary_crossentropy",
        dtype: DTypeLike = None,
        from_logits: bool = False,
        label_smoothing: float = 0,
    ) -> None:
        super().__init__(
            binary_crossentropy,
            name,
            dtype,
            "down",
            from_logits=from_logits,
            label_smoothing=label_smoothing,
        )


class CategoricalCrossentropy(_FunctionMean):
    """The mean crossentropy between one-hot labels and predicted class probabilities.

    Args:
        name: The metric's name.
        dtype: The dtype of the result.
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: Squeezes the one-hot labels towards uniform by this amount.
        axis: The class axis.

    >>> m = CategoricalCrossentropy()
    >>> m.update_state([[0.0, 1.0]], [[0.5, 0.5]])
    >>> round(float(m.result()), 5)
    0.69315
    """

    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        name: str = "categorical_crossentropy",
        dtype: DTypeLike = None,
        from_logits: bool = False,
        label_smoothing: float = 0,
        axis: int = -1,
    ) -> None:
        super().__init__(
            categorical_crossentropy,
            name,
            dtype,
            "down",
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(_FunctionMean):
    """The mean crossentropy between integer labels and predicted class probabilities.

    Args:
        name: The metric's name.
        dtype: The dtype of the result.
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        ignore_class: A label whose samples are left out, or ``None``.
        axis: The class axis.

    >>> m = SparseCategoricalCrossentropy()
    >>> m.update_state([1], [[0.5, 0.5]])
    >>> round(float(m.result()), 5)
    0.69315
    """

    _config_keys = ("from_logits", "ignore_class", "axis")

    def __init__(
        self,
        name: str = "sparse_categorical_crossentropy",
        dtype: DTypeLike = None,
        from_logits: bool = False,
        ignore_class: int | None = None,
        axis: int = -1,
    ) -> None:
        super().__init__(
            sparse_categorical_crossentropy,
            name,
            dtype,
            "down",
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )


class KLDivergence(_FunctionMean):
    """The mean Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred))``.

    Args:
        name: The metric's name.
        dtype: The dtype of the result.

    >>> m = KLDivergence()
    >>> m.update_state([[0.5, 0.5]], [[0.5, 0.5]])
    >>> float(m.result())
    0.0
    """

    def __init__(self, name: str = "kl_divergence", dtype: DTypeLike = None) -> None:
        super().__init__(kl_divergence, name, dtype, "down")


class Poisson(_FunctionMean):
    """The mean Poisson deviance ``y_pred - y_true * log(y_pred)``.

    Args:
        name: The metric's name.
        dtype: The dtype of the result.

    >>> m = Poisson()
    >>> m.update_state([[1.0]], [[1.0]])
    >>> round(float(m.result()), 5)
    1.0
    """

    def __init__(self, name: str = "poisson", dtype: DTypeLike = None) -> None:
        super().__init__(poisson, name, dtype, "down")


class Hinge(_FunctionMean):
    """The mean hinge loss ``max(1 - y_true * y_pred, 0)`` (0/1 labels become -1/1).

    Args:
        name: The metric's name.
        dtype: The dtype of the result.

    >>> m = Hinge()
    >>> m.update_state([[1.0]], [[0.25]])
    >>> float(m.result())
    0.75
    """

    def __init__(self, name: str = "hinge", dtype: DTypeLike = None) -> None:
        super().__init__(hinge, name, dtype, "down")


class SquaredHinge(_FunctionMean):
    """The mean squared hinge loss ``max(1 - y_true * y_pred, 0) ** 2``.

    Args:
        name: The metric's name.
        dtype: The dtype of the result.

    >>> m = SquaredHinge()
    >>> m.update_state([[1.0]], [[0.5]])
    >>> float(m.result())
    0.25
    """

    def __init__(self, name: str = "squared_hinge", dtype: DTypeLike = None) -> None:
        super().__init__(squared_hinge, name, dtype, "down")


class CategoricalHinge(_FunctionMean):
    """The mean categorical hinge loss ``max(0, 1 + max(wrong scores) - true score)``.

    Args:
        name: The metric's name.
        dtype: The dtype of the result.

    >>> m = CategoricalHinge()
    >>> m.update_state([[0.0, 1.0]], [[0.5, 0.25]])
    >>> float(m.result())
    1.25
    """

    def __init__(self, name: str = "categorical_hinge", dtype: DTypeLike = None) -> None:
        super().__init__(categorical_hinge, name, dtype, "down")


class LogCoshError(_FunctionMean):
    """The mean of ``log(cosh(y_pred - y_true))`` over the last axis.

    Args:
        name: The metric's name.
        dtype: The dtype of the result.

    >>> m = LogCoshError()
    >>> m.update_state([[0.0]], [[0.0]])
    >>> float(m.result())
    0.0
    """

    def __init__(self, name: str = "logcosh", dtype: DTypeLike = None) -> None:
        super().__init__(log_cosh, name, dtype, "down")


class CosineSimilarity(_FunctionMean):
    """The mean cosine similarity between targets and predictions (to be maximised).

    As in Keras, ``axis`` is not part of ``get_config``.

    Args:
        name: The metric's name.
        dtype: The dtype of the result.
        axis: The axis along which the cosine is taken.

    >>> m = CosineSimilarity()
    >>> m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
    >>> round(float(m.result()), 5)
    0.5
    """

    def __init__(
        self, name: str = "cosine_similarity", dtype: DTypeLike = None, axis: int = -1
    ) -> None:
        super().__init__(cosine_similarity, name, dtype, "up", axis=axis)
