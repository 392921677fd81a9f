"""How ``compile`` turns one entry of ``metrics=[...]`` into a named ``Metric`` for an output."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _registry
from .._typing import ArrayLike
from ._accuracy import BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy
from ._get import get
from ._metric import Metric
from ._reduction import MeanMetricWrapper


def _shape_of(x: ArrayLike) -> tuple[Any, ...]:
    if isinstance(x, tuple):
        return x
    shape = getattr(x, "shape", None)
    return tuple(shape) if shape is not None else tuple(np.shape(x))


def accuracy_kind(y_true: ArrayLike, y_pred: ArrayLike) -> str:
    """Which accuracy ``"accuracy"`` means for these targets and predictions.

    ``"binary"`` when predictions have a last axis of size 1; otherwise
    ``"sparse_categorical"`` when the targets have lower rank than the
    predictions, or a last axis of size 1 against more than one prediction;
    otherwise ``"categorical"``.

    Args:
        y_true: The targets, or their shape as a tuple.
        y_pred: The predictions, or their shape as a tuple.

    >>> accuracy_kind((32,), (32, 10)), accuracy_kind((32, 1), (32, 1))
    ('sparse_categorical', 'binary')
    """
    true_shape, pred_shape = _shape_of(y_true), _shape_of(y_pred)
    if pred_shape[-1] == 1:
        return "binary"
    if len(true_shape) < len(pred_shape) or (true_shape[-1] == 1 and pred_shape[-1] > 1):
        return "sparse_categorical"
    return "categorical"


def _object_name(obj: Any) -> str:
    if hasattr(obj, "name"):
        return obj.name
    if hasattr(obj, "__name__"):
        return _registry.to_snake_case(obj.__name__)
    return _registry.to_snake_case(type(obj).__name__)


def resolve_metric(identifier: Any, y_true: ArrayLike, y_pred: ArrayLike) -> Metric:
    """The metric ``compile(metrics=[identifier])`` uses for one model output.

    ``"accuracy"`` and ``"acc"`` (any case) become ``BinaryAccuracy``,
    ``SparseCategoricalAccuracy`` or ``CategoricalAccuracy`` as chosen by
    ``accuracy_kind`` from the shapes; other identifiers go through ``get``,
    and plain functions are wrapped in ``MeanMetricWrapper``. The metric is
    named by the identifier when it is a string (so ``"acc"`` reports as
    ``acc`` and ``"mse"`` as ``mse``), else by the object's own name.

    Args:
        identifier: A metric name, class, instance, config dict or function.
        y_true: The targets for this output, or their shape as a tuple.
        y_pred: The predictions for this output, or their shape as a tuple.

    Returns:
        A ``Metric``.

    Raises:
        ValueError: If ``identifier`` is ``None`` or names no metric.

    >>> m = resolve_metric("accuracy", (32,), (32, 10))
    >>> type(m).__name__, m.name
    ('SparseCategoricalAccuracy', 'accuracy')
    """
    if identifier is None:
        raise ValueError(
            "Expected metric, received `None`. Remove the `None` entry from `metrics`, or "
            "replace it with a metric name such as 'accuracy'."
        )
    if str(identifier).lower() in ("accuracy", "acc"):
        kind = accuracy_kind(y_true, y_pred)
        cls = {
            "binary": BinaryAccuracy,
            "sparse_categorical": SparseCategoricalAccuracy,
            "categorical": CategoricalAccuracy,
        }[kind]
        metric: Any = cls(name=str(identifier))
    else:
        metric = get(identifier)
    name = identifier if isinstance(identifier, str) else _object_name(metric)
    if not isinstance(metric, Metric):
        metric = MeanMetricWrapper(metric)
    metric.name = name
    return metric
