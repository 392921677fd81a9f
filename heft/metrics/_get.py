"""Metrics by name: ``get``, ``serialize`` and ``deserialize``, with Keras 3's names and forms."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from .. import _registry, losses
from ._accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from ._auc import AUC
from ._confusion_metrics import (
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from ._correlation import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from ._f_score import F1Score, FBetaScore
from ._iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from ._loss_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    KLDivergence,
    LogCoshError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
from ._metric import Metric
from ._r2 import R2Score
from ._rate_at import (
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
)
from ._reduction import Mean, MeanMetricWrapper, Sum, serialize_function
from ._regression import (
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    RootMeanSquaredError,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)

_CLASSES: tuple[type[Metric], ...] = (
    Metric,
    Mean,
    Sum,
    MeanMetricWrapper,
    MeanSquaredError,
    RootMeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCoshError,
    R2Score,
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    PrecisionAtRecall,
    Recall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    ConcordanceCorrelation,
    PearsonCorrelation,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    F1Score,
    FBetaScore,
    IoU,
    BinaryIoU,
    MeanIoU,
    OneHotIoU,
    OneHotMeanIoU,
)

#: Metric classes by class name, snake_case name and Keras's short aliases.
ALL_OBJECTS_DICT: dict[str, Any] = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({_registry.to_snake_case(cls.__name__): cls for cls in _CLASSES})
ALL_OBJECTS_DICT.update(
    {
        "bce": BinaryCrossentropy,
        "BCE": BinaryCrossentropy,
        "mse": MeanSquaredError,
        "MSE": MeanSquaredError,
        "mae": MeanAbsoluteError,
        "MAE": MeanAbsoluteError,
        "mape": MeanAbsolutePercentageError,
        "MAPE": MeanAbsolutePercentageError,
        "msle": MeanSquaredLogarithmicError,
        "MSLE": MeanSquaredLogarithmicError,
    }
)

#: The per-sample metric functions, by name (what ``MeanMetricWrapper`` configs name).
FUNCTIONS: dict[str, Callable] = {
    fn.__name__: fn
    for fn in (
        binary_accuracy,
        categorical_accuracy,
        sparse_categorical_accuracy,
        top_k_categorical_accuracy,
        sparse_top_k_categorical_accuracy,
        mean_squared_error,
        mean_absolute_error,
        mean_absolute_percentage_error,
        mean_squared_logarithmic_error,
        pearson_correlation,
        concordance_correlation,
        losses.binary_crossentropy,
        losses.binary_focal_crossentropy,
        losses.categorical_crossentropy,
        losses.categorical_focal_crossentropy,
        losses.sparse_categorical_crossentropy,
        losses.hinge,
        losses.squared_hinge,
        losses.categorical_hinge,
        losses.huber,
        losses.kl_divergence,
        losses.log_cosh,
        losses.poisson,
    )
}

_HINT = (
    "Pass a metric instance, a metric class, a function `fn(y_true, y_pred)`, or one of the "
    "names " + ", ".join(repr(n) for n in sorted(ALL_OBJECTS_DICT)) + "."
)


def serialize(metric: Any) -> Any:
    """The Keras config form of a metric instance or metric function.

    Instances give ``{"module": "keras.metrics", "class_name", "config",
    "registered_name"}``; functions give Keras's ``"builtins"`` function form.

    Args:
        metric: A ``Metric`` or a metric function.

    Returns:
        A config dict.

    Raises:
        ValueError: If ``metric`` is a lambda or an object without ``get_config``.

    >>> serialize(Mean())["config"]
    {'name': 'mean', 'dtype': 'float32'}
    """
    if isinstance(metric, Metric):
        return _registry.serialize_object(metric, "keras.metrics")
    return serialize_function(metric)


def deserialize_function(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Any:
    """The function (or object) named by a ``MeanMetricWrapper``'s ``fn`` config.

    Raises:
        ValueError: If the function is not a builtin metric function, registered,
            or in ``custom_objects``.
    """
    if isinstance(config, Mapping) and config.get("class_name") == "function":
        config = config.get("config")
    if isinstance(config, str):
        found = _registry.get_registered_object(config, custom_objects, FUNCTIONS)
        if found is None:
            raise ValueError(
                f"Could not locate the metric function {config!r}. Builtin metric functions "
                f"are {sorted(FUNCTIONS)}; decorate custom ones with "
                "`@heft.saving.register_keras_serializable()` or pass them in `custom_objects`."
            )
        return found
    return _registry.deserialize_object(config, ALL_OBJECTS_DICT, custom_objects, "metric")


def deserialize(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Rebuild a metric (or metric function) from a name or a ``serialize`` dict.

    Args:
        config: A metric name (``"mse"``, ``"AUC"``), a class dict from
            ``serialize``, or a ``"builtins"`` function dict.
        custom_objects: Extra ``{name: class or function}`` to look names up in.

    Returns:
        A ``Metric`` instance, or a function for function configs.

    Raises:
        ValueError: If the name or class is unknown, or the config malformed.

    >>> deserialize({"class_name": "Mean", "config": {"name": "m", "dtype": "float32"}}).name
    'm'
    """
    if isinstance(config, Mapping) and config.get("class_name") == "function":
        return deserialize_function(config, custom_objects)
    if isinstance(config, str) and config not in ALL_OBJECTS_DICT:
        found = _registry.get_registered_object(config, custom_objects, None)
        if found is None:
            raise ValueError(f"Could not interpret metric identifier: {config!r}. {_HINT}")
        return found() if inspect.isclass(found) else found
    return _registry.deserialize_object(config, ALL_OBJECTS_DICT, custom_objects, "metric")


def get(identifier: Any) -> Any:
    """A metric instance or function from an identifier, as ``compile`` accepts them.

    Args:
        identifier: ``None``; a name of a metric class (``"AUC"``,
            ``"binary_accuracy"``, ``"mse"``), which gives a new instance; a
            config dict from ``serialize``; a ``Metric`` class (instantiated);
            or a metric instance or function (returned as is).

    Returns:
        A ``Metric``, a function, or ``None`` for ``None``.

    Raises:
        ValueError: If ``identifier`` names no metric or is not callable.

    >>> get("mse").name
    'mean_squared_error'
    """
    if identifier is None:
        return None
    if isinstance(identifier, Mapping):
        found = deserialize(identifier)
    elif isinstance(identifier, str):
        found = ALL_OBJECTS_DICT.get(identifier)
        if found is None and identifier.lower() == "acc":
            raise ValueError(
                f"Could not interpret metric identifier: {identifier!r}. 'acc' is only "
                "understood by `compile(metrics=[...])`, which picks binary, categorical or "
                "sparse categorical accuracy from the shapes (see `resolve_metric`). "
                "Pass 'acc' to `compile`, or name the accuracy, e.g. 'binary_accuracy'."
            )
    else:
        found = identifier
    if callable(found):
        return found() if inspect.isclass(found) else found
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}. {_HINT}")
