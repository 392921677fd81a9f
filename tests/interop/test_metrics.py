import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import keras
import numpy as np
import pytest

from heft import _naming
from heft import metrics as hm

N = 16


def _rng(seed):
    return np.random.default_rng(seed)


def _values(seed):
    return (_rng(seed).normal(size=(N, 3)).astype("float32"),)


def _binary(seed):
    rng = _rng(seed)
    y_true = rng.integers(0, 2, size=(N, 1)).astype("float32")
    # Include exact 0, 1 and threshold values, where bucketing edge cases live.
    y_pred = rng.uniform(size=(N, 1)).astype("float32")
    y_pred[:4, 0] = [0.0, 1.0, 0.5, 0.25]
    return y_true, y_pred


def _logits(seed):
    y_true, y_pred = _binary(seed)
    return y_true, (y_pred * 8.0 - 4.0).astype("float32")


def _labels_equal(seed):
    rng = _rng(seed)
    return (
        rng.integers(0, 3, size=(N, 1)).astype("float32"),
        rng.integers(0, 3, size=(N, 1)).astype("float32"),
    )


def _categorical(seed):
    rng = _rng(seed)
    y_true = np.eye(5, dtype="float32")[rng.integers(0, 5, size=N)]
    logits = rng.normal(size=(N, 5)).astype("float32")
    y_pred = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    return y_true, y_pred.astype("float32")


def _multilabel(seed):
    rng = _rng(seed)
    return (
        rng.integers(0, 2, size=(N, 3)).astype("float32"),
        rng.uniform(size=(N, 3)).astype("float32"),
    )


def _sparse(seed):
    y_true, y_pred = _categorical(seed)
    return y_true.argmax(-1).astype("int32"), y_pred


def _sparse_col(seed):
    y_true, y_pred = _sparse(seed)
    return y_true[:, None], y_pred


def _regression(seed):
    rng = _rng(seed)
    return (
        rng.uniform(0.1, 2.0, size=(N, 4)).astype("float32"),
        rng.uniform(0.0, 2.0, size=(N, 4)).astype("float32"),
    )


# (class name, constructor kwargs, batch maker, elementwise weight shape or None)
CASES = [
    ("Mean", {}, _values, (N, 3)),
    ("Sum", {}, _values, (N, 3)),
    ("Accuracy", {}, _labels_equal, None),
    ("BinaryAccuracy", {}, _binary, None),
    ("BinaryAccuracy", {"threshold": 0.3}, _binary, None),
    ("CategoricalAccuracy", {}, _categorical, None),
    ("SparseCategoricalAccuracy", {}, _sparse, None),
    ("SparseCategoricalAccuracy", {}, _sparse_col, None),
    ("TopKCategoricalAccuracy", {"k": 2}, _categorical, None),
    ("TopKCategoricalAccuracy", {}, _categorical, None),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, _sparse, None),
    ("SparseTopKCategoricalAccuracy", {"k": 3}, _sparse_col, None),
    ("MeanSquaredError", {}, _regression, None),
    ("MeanAbsoluteError", {}, _regression, None),
    ("MeanAbsolutePercentageError", {}, _regression, None),
    ("MeanSquaredLogarithmicError", {}, _regression, None),
    ("RootMeanSquaredError", {}, _regression, (N, 4)),
    ("AUC", {}, _binary, None),
    ("AUC", {"curve": "PR"}, _binary, None),
    ("AUC", {"curve": "PR", "summation_method": "majoring"}, _binary, None),
    ("AUC", {"curve": "PRGAIN", "summation_method": "minoring"}, _binary, None),
    ("AUC", {"num_thresholds": 7}, _binary, None),
    ("AUC", {"thresholds": [0.2, 0.5, 0.7]}, _binary, None),
    ("AUC", {"thresholds": [0.25, 0.5, 0.75]}, _binary, None),
    ("AUC", {"from_logits": True}, _logits, None),
    ("AUC", {"multi_label": True, "num_labels": 3}, _multilabel, (N, 3)),
    ("AUC", {"multi_label": True, "label_weights": [1.0, 2.0, 0.5]}, _multilabel, None),
    ("AUC", {"multi_label": True, "thresholds": [0.3, 0.6], "curve": "PR"}, _multilabel, None),
    ("AUC", {"label_weights": [1.0, 2.0, 0.5]}, _multilabel, (N, 3)),
    ("Precision", {}, _binary, None),
    ("Precision", {"thresholds": [0.2, 0.5, 0.9]}, _binary, None),
    ("Precision", {"thresholds": [0.0, 0.5, 1.0]}, _binary, None),
    ("Precision", {"top_k": 2}, _categorical, (N, 5)),
    ("Precision", {"class_id": 1}, _categorical, None),
    ("Recall", {}, _binary, None),
    ("Recall", {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}, _binary, None),
    ("Recall", {"top_k": 1, "class_id": 2}, _categorical, None),
    ("Recall", {"thresholds": 0.7}, _multilabel, (N, 3)),
    ("TruePositives", {}, _binary, None),
    ("FalsePositives", {"thresholds": [0.1, 0.6]}, _binary, None),
    ("TrueNegatives", {}, _binary, None),
    ("FalseNegatives", {"thresholds": [0.0, 0.5, 1.0]}, _binary, None),
    ("SensitivityAtSpecificity", {"specificity": 0.6}, _binary, None),
    ("SpecificityAtSensitivity", {"sensitivity": 0.5, "num_thresholds": 1}, _binary, None),
    ("PrecisionAtRecall", {"recall": 0.4, "num_thresholds": 50}, _binary, None),
    ("RecallAtPrecision", {"precision": 0.5, "class_id": 0}, _categorical, None),
]


def _ids(case):
    name, kwargs, make, _ = case
    args = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return f"{name}({args})-{make.__name__.strip('_')}"


def _weights(kind, seed, elementwise_shape):
    rng = _rng(100 + seed)
    if kind == "per_sample":
        return rng.uniform(0.0, 2.0, size=(N,)).astype("float32")
    if kind == "per_sample_column":
        return rng.uniform(0.0, 2.0, size=(N, 1)).astype("float32")
    return rng.uniform(0.0, 2.0, size=elementwise_shape).astype("float32")


def _batches(case, weighting):
    _, _, make, elementwise_shape = case
    out = []
    for seed in range(2):
        args = make(seed)
        weight = None if weighting == "none" else _weights(weighting, seed, elementwise_shape)
        out.append((args, weight))
    return out


def _build(case):
    name, kwargs, _, _ = case
    keras.backend.clear_session(free_memory=False)
    _naming.reset_names()
    return getattr(keras.metrics, name)(**kwargs), getattr(hm, name)(**kwargs)


def _close(h, k):
    np.testing.assert_allclose(np.asarray(h), np.asarray(k), rtol=1e-6, atol=1e-7)


def _weighted_cases():
    # Every case without and with per-sample weights; (N, 1) weights for every
    # third case; elementwise weights where the metric's values are elementwise.
    out = []
    for i, case in enumerate(CASES):
        weightings = ["none", "per_sample"]
        if i % 3 == 0:
            weightings.append("per_sample_column")
        if case[3] is not None:
            weightings.append("elementwise")
        out.extend(pytest.param(case, w, id=f"{_ids(case)}-{w}") for w in weightings)
    return out


@pytest.mark.parametrize("case, weighting", _weighted_cases())
def test_metric_results_match_keras(case, weighting):
    k_metric, h_metric = _build(case)
    for args, weight in _batches(case, weighting):
        k_metric.update_state(*args, sample_weight=weight)
        h_metric.update_state(*args, sample_weight=weight)
        _close(h_metric.result(), k_metric.result())
    for hv, kv in zip(h_metric.variables, k_metric.variables, strict=True):
        _close(hv.numpy(), np.asarray(kv.value))
    k_metric.reset_state()
    h_metric.reset_state()
    _close(h_metric.result(), k_metric.result())


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_metric_variables_and_config_match_keras(case):
    k_metric, h_metric = _build(case)
    if not h_metric.variables:  # multi-label AUC without num_labels builds on first update
        args, _ = _batches(case, "none")[0]
        k_metric.update_state(*args)
        h_metric.update_state(*args)
    assert [v.path for v in h_metric.variables] == [v.path for v in k_metric.variables]
    assert [v.shape for v in h_metric.variables] == [tuple(v.shape) for v in k_metric.variables]
    assert [v.dtype for v in h_metric.variables] == [v.dtype for v in k_metric.variables]
    assert all(not v.trainable and v.aggregation == "sum" for v in h_metric.variables)
    h_config, k_config = h_metric.get_config(), k_metric.get_config()
    if k_config.get("label_weights") is not None:
        k_config["label_weights"] = np.asarray(k_config["label_weights"]).tolist()
    assert h_config == k_config
    assert list(h_config) == list(k_config)
    assert h_metric.name == k_metric.name


@pytest.mark.parametrize("case", CASES[:30:3], ids=_ids)
def test_metric_stateless_jit_matches_keras(case):
    k_metric, h_metric = _build(case)
    if not h_metric.variables:  # multi-label AUC: build eagerly, then start from zeros
        args, _ = _batches(case, "none")[0]
        h_metric.update_state(*args)
        h_metric.reset_state()

    @jax.jit
    def step(state, args, weight):
        state = h_metric.stateless_update_state(state, *args, sample_weight=weight)
        return state, h_metric.stateless_result(state)

    state = [v.value for v in h_metric.variables]
    for args, weight in _batches(case, "per_sample"):
        k_metric.update_state(*args, sample_weight=weight)
        state, result = step(state, args, weight)
        _close(result, k_metric.result())


def test_metric_default_names_match_keras():
    keras.backend.clear_session(free_memory=False)
    _naming.reset_names()
    for name in ["Precision", "Recall", "AUC", "AUC", "TruePositives", "Mean", "Mean"]:
        k_metric, h_metric = getattr(keras.metrics, name)(), getattr(hm, name)()
        assert h_metric.name == k_metric.name
        assert [v.path for v in h_metric.variables] == [v.path for v in k_metric.variables]


@pytest.mark.parametrize(
    "fn_name, kwargs",
    [
        ("binary_accuracy", {"threshold": 0.3}),
        ("mean_squared_error", {}),
        ("sparse_top_k_categorical_accuracy", {"k": 2}),
    ],
)
def test_metric_mean_metric_wrapper_config_matches_keras(fn_name, kwargs):
    keras.backend.clear_session(free_memory=False)
    _naming.reset_names()
    k_metric = keras.metrics.MeanMetricWrapper(getattr(keras.metrics, fn_name), **kwargs)
    h_metric = hm.MeanMetricWrapper(getattr(hm, fn_name), **kwargs)
    assert h_metric.get_config() == k_metric.get_config()
    assert hm.serialize(h_metric) == keras.metrics.serialize(k_metric)
    assert getattr(h_metric, "_direction", None) == getattr(k_metric, "_direction", None)


@pytest.mark.parametrize(
    "name",
    [
        "binary_accuracy",
        "categorical_accuracy",
        "sparse_categorical_accuracy",
        "top_k_categorical_accuracy",
        "sparse_top_k_categorical_accuracy",
        "mean_squared_error",
        "mean_absolute_error",
        "mean_absolute_percentage_error",
        "mean_squared_logarithmic_error",
    ],
)
def test_metric_functions_match_keras(name):
    makers = {
        "binary_accuracy": _binary,
        "categorical_accuracy": _categorical,
        "top_k_categorical_accuracy": _categorical,
        "sparse_categorical_accuracy": _sparse_col,
        "sparse_top_k_categorical_accuracy": _sparse,
    }
    args = makers.get(name, _regression)(7)
    _close(getattr(hm, name)(*args), getattr(keras.metrics, name)(*args))
    assert keras.metrics.serialize(getattr(keras.metrics, name)) == hm.serialize(getattr(hm, name))


@pytest.mark.parametrize(
    "identifier",
    [
        "accuracy",
        "Accuracy",
        "mse",
        "MAE",
        "mape",
        "msle",
        "auc",
        "AUC",
        "precision",
        "binary_accuracy",
        "SparseTopKCategoricalAccuracy",
        "root_mean_squared_error",
    ],
)
def test_metric_get_matches_keras(identifier):
    keras.backend.clear_session(free_memory=False)
    _naming.reset_names()
    k_metric, h_metric = keras.metrics.get(identifier), hm.get(identifier)
    assert type(h_metric).__name__ == type(k_metric).__name__
    assert h_metric.get_config() == k_metric.get_config()
    assert hm.serialize(h_metric) == keras.metrics.serialize(k_metric)


@pytest.mark.parametrize(
    "identifier, true_shape, pred_shape",
    [
        ("accuracy", (8,), (8, 10)),
        ("acc", (8, 1), (8, 10)),
        ("accuracy", (8, 1), (8, 1)),
        ("ACC", (8, 10), (8, 10)),
        ("accuracy", (8,), (8,)),
        ("mse", (8, 3), (8, 3)),
        ("auc", (8, 1), (8, 1)),
    ],
)
def test_metric_resolve_matches_keras_compile(identifier, true_shape, pred_shape):
    from keras.src.trainers.compile_utils import get_metric

    keras.backend.clear_session(free_memory=False)
    _naming.reset_names()
    k_metric = get_metric(identifier, np.zeros(true_shape), np.zeros(pred_shape))
    h_metric = hm.resolve_metric(identifier, true_shape, pred_shape)
    assert type(h_metric).__name__ == type(k_metric).__name__
    assert h_metric.name == k_metric.name
    assert [v.path for v in h_metric.variables] == [v.path for v in k_metric.variables]


def test_metric_resolve_wraps_functions_like_keras_compile():
    from keras.src.trainers.compile_utils import get_metric

    keras.backend.clear_session(free_memory=False)
    _naming.reset_names()
    k_metric = get_metric(keras.metrics.binary_accuracy, np.zeros((4, 1)), np.zeros((4, 1)))
    h_metric = hm.resolve_metric(hm.binary_accuracy, (4, 1), (4, 1))
    assert type(h_metric).__name__ == type(k_metric).__name__ == "MeanMetricWrapper"
    assert h_metric.name == k_metric.name == "binary_accuracy"
    assert [v.path for v in h_metric.variables] == [v.path for v in k_metric.variables]
