"""Crossentropy, hinge, KL, Poisson, log-cosh, cosine, F-score, R², IoU and correlation metrics
compared with Keras 3: results over batches, variables, configs, jit, and use in ``fit``."""

import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import keras
import numpy as np
import pytest

import heft
from heft import _naming
from heft import metrics as hm

N = 12
# Keras's confusion matrix asks for int64 indices, which JAX truncates with a warning.
pytestmark = pytest.mark.filterwarnings("ignore:Explicitly requested dtype int64")


def _rng(seed):
    return np.random.default_rng(seed)


def _probabilities(seed, classes=4):
    rng = _rng(seed)
    logits = rng.normal(size=(N, classes)).astype("float32")
    return (np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)).astype("float32")


def _binary(seed):
    rng = _rng(seed)
    return (
        rng.integers(0, 2, size=(N, 3)).astype("float32"),
        rng.uniform(0.02, 0.98, size=(N, 3)).astype("float32"),
    )


def _binary_logits(seed):
    y_true, y_pred = _binary(seed)
    return y_true, (y_pred * 6.0 - 3.0).astype("float32")


def _categorical(seed):
    rng = _rng(seed)
    return np.eye(4, dtype="float32")[rng.integers(0, 4, size=N)], _probabilities(seed)


def _sparse(seed):
    y_true, y_pred = _categorical(seed)
    return y_true.argmax(-1).astype("int32"), y_pred


def _positive(seed):
    rng = _rng(seed)
    return (
        rng.uniform(0.1, 2.0, size=(N, 4)).astype("float32"),
        rng.uniform(0.1, 2.0, size=(N, 4)).astype("float32"),
    )


def _real(seed):
    rng = _rng(seed)
    y_true = rng.normal(size=(N, 5)).astype("float32")
    return y_true, (y_true + 0.7 * rng.normal(size=(N, 5))).astype("float32")


def _one_hot_scores(seed):
    y_true, _ = _categorical(seed)
    return y_true, _rng(50 + seed).uniform(size=(N, 4)).astype("float32")


def _class_ids(seed):
    rng = _rng(seed)
    y_true = rng.integers(0, 4, size=(N,)).astype("int32")
    y_pred = np.where(rng.uniform(size=N) < 0.6, y_true, rng.integers(-1, 5, size=N))
    return y_true, y_pred.astype("int32")


def _binary_column(seed):
    rng = _rng(seed)
    return (
        rng.integers(0, 2, size=(N, 1)).astype("int32"),
        rng.uniform(size=(N, 1)).astype("float32"),
    )


def _one_hot_and_ids(seed):
    y_true, _ = _categorical(seed)
    return y_true, _rng(70 + seed).integers(0, 4, size=(N,)).astype("int32")


# (class name, constructor kwargs, batch maker, weightings besides "none" and "per_sample":
# "elementwise" where values are per element, None where a per-sample weight cannot apply)
CASES = [
    ("BinaryCrossentropy", {}, _binary, ()),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, _binary_logits, ()),
    ("CategoricalCrossentropy", {}, _categorical, ()),
    ("CategoricalCrossentropy", {"label_smoothing": 0.2}, _categorical, ()),
    ("SparseCategoricalCrossentropy", {}, _sparse, ()),
    ("SparseCategoricalCrossentropy", {"ignore_class": 2}, _sparse, ("per_sample",)),
    ("Hinge", {}, _binary, ()),
    ("SquaredHinge", {}, _binary, ()),
    ("CategoricalHinge", {}, _categorical, ()),
    ("KLDivergence", {}, _categorical, ()),
    ("Poisson", {}, _positive, ()),
    ("LogCoshError", {}, _real, ()),
    ("CosineSimilarity", {}, _real, ()),
    ("CosineSimilarity", {"axis": 0}, _real, None),
    ("PearsonCorrelation", {}, _real, ()),
    ("ConcordanceCorrelation", {}, _real, ()),
    ("ConcordanceCorrelation", {"axis": 0}, _real, None),
    ("F1Score", {}, _categorical, ()),
    ("F1Score", {"average": "micro", "threshold": 0.3}, _binary, ()),
    ("FBetaScore", {"beta": 2.0, "average": "macro"}, _one_hot_scores, ()),
    (
        "FBetaScore",
        {"beta": 0.5, "average": "weighted", "threshold": 0.5},
        _binary,
        ("per_sample",),
    ),
    ("R2Score", {}, _real, ("elementwise",)),
    ("R2Score", {"class_aggregation": None}, _real, ()),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, _real, ("elementwise",)),
    ("R2Score", {"num_regressors": 2}, _real, ()),
    ("IoU", {"num_classes": 4, "target_class_ids": [0, 2]}, _class_ids, ()),
    ("IoU", {"num_classes": 4, "target_class_ids": [1], "ignore_class": 0}, _class_ids, ()),
    ("MeanIoU", {"num_classes": 4}, _class_ids, ()),
    ("MeanIoU", {"num_classes": 4, "dtype": "float32"}, _class_ids, ()),
    (
        "MeanIoU",
        {"num_classes": 4, "sparse_y_true": False, "sparse_y_pred": False},
        _one_hot_scores,
        (),
    ),
    ("BinaryIoU", {}, _binary_column, ()),
    ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3}, _binary_column, ()),
    ("OneHotIoU", {"num_classes": 4, "target_class_ids": [1, 3]}, _one_hot_scores, ()),
    ("OneHotMeanIoU", {"num_classes": 4}, _one_hot_scores, ()),
    ("OneHotMeanIoU", {"num_classes": 4, "sparse_y_pred": True}, _one_hot_and_ids, ()),
]


def _ids(case):
    name, kwargs, make, _ = case
    args = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return f"{name}({args})-{make.__name__.strip('_')}"


def _build(case):
    name, kwargs, _, _ = case
    keras.backend.clear_session(free_memory=False)
    _naming.reset_names()
    return getattr(keras.metrics, name)(**kwargs), getattr(hm, name)(**kwargs)


def _is_iou(name):
    return "IoU" in name


def _weights(case, weighting, seed, args):
    name = case[0]
    rng = _rng(100 + seed)
    if weighting == "none":
        return None
    if _is_iou(name):  # integer counts: integer weights
        return rng.integers(0, 3, size=(N,)).astype("int32")
    if weighting == "per_sample":
        return rng.uniform(0.0, 2.0, size=(N,)).astype("float32")
    return rng.uniform(0.0, 2.0, size=args[1].shape).astype("float32")


def _close(h, k):
    np.testing.assert_allclose(np.asarray(h), np.asarray(k), rtol=2e-6, atol=1e-6)


def _weighted_cases():
    # Weighted runs for every other case (and every case with elementwise weights).
    out = []
    for i, case in enumerate(CASES):
        weightings = ["none"] if case[3] is None or i % 3 else ["none", "per_sample"]
        weightings = list(dict.fromkeys([*weightings, *(case[3] or ())]))
        out.extend(pytest.param(case, w, id=f"{_ids(case)}-{w}") for w in weightings)
    return out


@pytest.mark.parametrize("case, weighting", _weighted_cases())
def test_metric_family_results_match_keras_over_batches(case, weighting):
    k_metric, h_metric = _build(case)
    for seed in range(2):
        args = case[2](seed)
        weight = _weights(case, weighting, seed, args)
        k_metric.update_state(*args, sample_weight=weight)
        h_metric.update_state(*args, sample_weight=weight)
        _close(h_metric.result(), k_metric.result())
    assert [v.path for v in h_metric.variables] == [v.path for v in k_metric.variables]
    for hv, kv in zip(h_metric.variables, k_metric.variables, strict=True):
        assert hv.dtype == kv.dtype and hv.shape == tuple(kv.shape)
        _close(hv.numpy(), np.asarray(kv.value))
    k_metric.reset_state()
    h_metric.reset_state()
    with warnings.catch_warnings():  # adjusted R² of no samples warns in both
        warnings.simplefilter("ignore", UserWarning)
        _close(h_metric.result(), k_metric.result())
    for hv in h_metric.variables:
        assert not np.asarray(hv.numpy()).any()


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_metric_family_variables_config_and_direction_match_keras(case):
    k_metric, h_metric = _build(case)
    assert [v.path for v in h_metric.variables] == [v.path for v in k_metric.variables]
    assert h_metric.name == k_metric.name
    assert h_metric.dtype == k_metric.dtype
    h_config, k_config = h_metric.get_config(), k_metric.get_config()
    assert h_config == k_config and list(h_config) == list(k_config)
    assert getattr(h_metric, "_direction", None) == getattr(k_metric, "_direction", None)
    assert hm.serialize(h_metric) == keras.metrics.serialize(k_metric)
    rebuilt = type(h_metric).from_config(h_config)
    assert rebuilt.get_config() == h_config
    snake = _naming.to_snake_case(case[0]) if hasattr(_naming, "to_snake_case") else None
    if not case[1] and snake is not None:
        assert type(hm.get(snake)) is type(h_metric)


@pytest.mark.parametrize("case", [c for c in CASES[::7] if c[3] is not None], ids=_ids)
def test_metric_family_stateless_jit_matches_keras(case):
    k_metric, h_metric = _build(case)
    args0 = case[2](0)
    if not h_metric.variables or getattr(h_metric, "_built", True) is False:
        h_metric.update_state(*args0)
        h_metric.reset_state()

    @jax.jit
    def step(state, args, weight):
        state = h_metric.stateless_update_state(state, *args, sample_weight=weight)
        return state, h_metric.stateless_result(state)

    state = [v.value for v in h_metric.variables]
    for seed in range(2):
        args = case[2](seed)
        weight = _weights(case, "per_sample", seed, args)
        k_metric.update_state(*args, sample_weight=weight)
        state, result = step(state, args, weight)
        _close(result, k_metric.result())


FUNCTIONS = [
    ("binary_crossentropy", _binary, {}),
    ("binary_focal_crossentropy", _binary, {"gamma": 1.5}),
    ("categorical_crossentropy", _categorical, {"label_smoothing": 0.1}),
    ("categorical_focal_crossentropy", _categorical, {}),
    ("sparse_categorical_crossentropy", _sparse, {}),
    ("categorical_hinge", _categorical, {}),
    ("hinge", _binary, {}),
    ("squared_hinge", _binary, {}),
    ("huber", _real, {"delta": 0.5}),
    ("kl_divergence", _categorical, {}),
    ("log_cosh", _real, {}),
    ("poisson", _positive, {}),
    ("pearson_correlation", _real, {}),
    ("concordance_correlation", _real, {"axis": 0}),
]


@pytest.mark.parametrize("name, make, kwargs", FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_metric_family_functions_match_keras(name, make, kwargs):
    args = make(5)
    _close(getattr(hm, name)(*args, **kwargs), getattr(keras.metrics, name)(*args, **kwargs))
    assert hm.serialize(getattr(hm, name)) == keras.metrics.serialize(getattr(keras.metrics, name))
    wrapped_k = keras.metrics.MeanMetricWrapper(getattr(keras.metrics, name), **kwargs)
    wrapped_h = hm.MeanMetricWrapper(getattr(hm, name), **kwargs)
    assert getattr(wrapped_h, "_direction", None) == getattr(wrapped_k, "_direction", None)
    restored = hm.MeanMetricWrapper.from_config(wrapped_h.get_config())
    assert restored._fn is getattr(hm, name)


@pytest.mark.parametrize("identifier", ["bce", "BCE", "binary_crossentropy", "f1_score", "io_u"])
def test_metric_family_get_matches_keras(identifier):
    keras.backend.clear_session(free_memory=False)
    _naming.reset_names()
    if identifier == "io_u":
        with pytest.raises(TypeError):
            keras.metrics.get(identifier)
        with pytest.raises(TypeError):
            hm.get(identifier)
        return
    k_metric, h_metric = keras.metrics.get(identifier), hm.get(identifier)
    assert type(h_metric).__name__ == type(k_metric).__name__
    assert h_metric.get_config() == k_metric.get_config()


@pytest.mark.parametrize(
    "name, kwargs, match",
    [
        ("FBetaScore", {"average": "mean"}, "Invalid `average`"),
        ("FBetaScore", {"beta": 2}, "Python float"),
        ("FBetaScore", {"beta": -1.0}, "should be > 0"),
        ("F1Score", {"threshold": 1}, "Python float"),
        ("F1Score", {"threshold": 1.5}, "0 < threshold <= 1"),
        ("R2Score", {"class_aggregation": "mean"}, "class_aggregation"),
        ("R2Score", {"num_regressors": -1}, "num_regressors"),
        ("IoU", {"num_classes": 2, "target_class_ids": [2]}, "out of range"),
    ],
)
def test_metric_family_bad_arguments_raise_like_keras(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        getattr(keras.metrics, name)(**kwargs)
    with pytest.raises(ValueError, match=match):
        getattr(hm, name)(**kwargs)


@pytest.mark.parametrize("name", ["F1Score", "R2Score"])
def test_metric_family_rejects_non_2d_inputs_like_keras(name):
    y = np.zeros((4,), "float32")
    with pytest.raises(ValueError, match="expects 2D inputs"):
        getattr(keras.metrics, name)().update_state(y, y)
    metric = getattr(hm, name)()
    before = [v.path for v in metric.variables]
    with pytest.raises(ValueError, match="expects 2D inputs"):
        metric.update_state(y, y)
    assert [v.path for v in metric.variables] == before


def test_metric_family_iou_warns_on_float_weights_like_keras():
    y = np.array([0, 1, 1], "int32")
    weight = np.array([1.0, 0.5, 2.0], "float32")
    with pytest.warns(UserWarning, match="weight as `float`"):
        keras.metrics.IoU(2, [0, 1]).update_state(y, y, sample_weight=weight)
    metric = hm.IoU(2, [0, 1])
    with pytest.warns(UserWarning, match="weight as `float`"):
        metric.update_state(y, y, sample_weight=weight)
    np.testing.assert_array_equal(metric.total_cm.numpy(), [[1, 0], [0, 2]])


def test_metric_family_r2_adjusted_falls_back_with_warning_like_keras():
    y = np.array([[1.0], [2.0], [4.0]], "float32")
    pred = np.array([[1.5], [2.0], [3.0]], "float32")
    k_metric, h_metric = keras.metrics.R2Score(num_regressors=2), hm.R2Score(num_regressors=2)
    k_metric.update_state(y, pred)
    h_metric.update_state(y, pred)
    with pytest.warns(UserWarning, match="Division by zero"):
        expected = k_metric.result()
    with pytest.warns(UserWarning, match="Division by zero"):
        _close(h_metric.result(), expected)


def _fit(lib, metrics, x, y, sample_weight):
    model = lib.Sequential([lib.Input((5,)), lib.layers.Dense(4, activation="softmax")])
    model.set_weights(
        [np.linspace(-0.5, 0.5, 20, dtype="float32").reshape(5, 4), np.zeros(4, "float32")]
    )
    model.compile(
        optimizer=lib.optimizers.SGD(0.1),
        loss="categorical_crossentropy",
        metrics=metrics(lib),
        weighted_metrics=[lib.metrics.R2Score(name="wr2")],
    )
    history = model.fit(
        x, y, sample_weight=sample_weight, batch_size=8, epochs=1, shuffle=False, verbose=0
    ).history
    evaluated = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    return history, evaluated, [v.path for v in model.metrics_variables]


def test_metric_family_in_compile_and_fit_match_keras():
    rng = _rng(9)
    x = rng.normal(size=(32, 5)).astype("float32")
    y = np.eye(4, dtype="float32")[rng.integers(0, 4, size=32)]
    sample_weight = rng.uniform(0.5, 1.5, size=32).astype("float32")

    def metrics(lib):
        m = lib.metrics
        return [
            m.F1Score(average="macro"),
            m.OneHotMeanIoU(4),
            "bce",
        ]

    h_hist, h_eval, h_paths = _fit(heft, metrics, x, y, sample_weight)
    keras.backend.clear_session(free_memory=False)
    k_hist, k_eval, k_paths = _fit(keras, metrics, x, y, sample_weight)
    assert h_paths == k_paths
    assert sorted(h_hist) == sorted(k_hist)
    for name in k_hist:
        np.testing.assert_allclose(h_hist[name], k_hist[name], rtol=1e-5, atol=1e-5, err_msg=name)
        np.testing.assert_allclose(h_eval[name], k_eval[name], rtol=1e-5, atol=1e-5, err_msg=name)
