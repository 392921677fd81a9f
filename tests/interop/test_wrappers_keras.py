"""``heft.wrappers`` against Keras 3's ``keras.wrappers`` (JAX backend).

The same model-building callable, written once for both libraries (seeded initializers,
full-batch SGD without shuffling, so training is deterministic), is wrapped by each;
the fitted estimators must give the same predictions, classes, scores, parameters and
tags, and the same errors for bad input.
"""

import warnings

import keras
import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import get_tags

import heft

LIBS = {"keras": keras, "heft": heft}
NAMES = ("SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer")
FIT = {"epochs": 3, "batch_size": 64, "shuffle": False, "verbose": 0}


def _builder(K):
    """``build(X, y, ...)`` for library ``K``: a small MLP sized from the data."""

    def build(X, y, loss="mse", activation=None, hidden=5, compile=True):
        init = K.initializers.GlorotUniform
        model = K.Sequential(
            [
                K.Input((X.shape[1],)),
                K.layers.Dense(hidden, activation="tanh", kernel_initializer=init(seed=3)),
                K.layers.Dense(y.shape[1], activation=activation, kernel_initializer=init(seed=4)),
            ]
        )
        if compile:
            model.compile(loss=loss, optimizer=K.optimizers.SGD(0.1))
        return model

    return build


def _wrapper(K, name, **model_kwargs):
    return getattr(K.wrappers, name)(_builder(K), model_kwargs=model_kwargs, fit_kwargs=FIT)


def _data(n=24, features=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, features))
    return X, X @ rng.normal(size=features)


@pytest.fixture(autouse=True)
def _quiet_predict():
    """Both libraries print a progress line from ``predict``; keep the test output clean."""
    for K in LIBS.values():
        K.config.disable_interactive_logging()
    yield
    for K in LIBS.values():
        K.config.enable_interactive_logging()


def _both(fn):
    return {lib: fn(K) for lib, K in LIBS.items()}


@pytest.mark.parametrize("labels", ["strings", "binary_ints"])
def test_classifier_matches_keras(labels):
    X, z = _data()
    y = np.array(["ant", "bee", "cat"])[np.digitize(z, [-0.5, 0.5])]
    if labels == "binary_ints":
        y = np.where(z > 0, 7, 2)

    def run(K):
        clf = _wrapper(
            K, "SKLearnClassifier", loss="categorical_crossentropy", activation="softmax"
        )
        clf.fit(X, y)
        return clf.classes_, clf.decision_function(X), clf.predict(X), clf.score(X, y)

    out = _both(run)
    np.testing.assert_array_equal(out["heft"][0], out["keras"][0])
    assert out["heft"][0].dtype == out["keras"][0].dtype
    np.testing.assert_allclose(out["heft"][1], out["keras"][1], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(out["heft"][2], out["keras"][2])
    assert out["heft"][2].dtype == out["keras"][2].dtype
    assert out["heft"][3] == pytest.approx(out["keras"][3])


def test_regressor_and_transformer_match_keras():
    """The transformer is given a compiled model instance: both libraries clone it."""
    X, y = _data()

    def run(K):
        reg = _wrapper(K, "SKLearnRegressor").fit(X, y)
        model = _builder(K)(X, y.reshape(-1, 1), hidden=3)
        before = [w.copy() for w in model.get_weights()]
        trs = K.wrappers.SKLearnTransformer(model, fit_kwargs=FIT).fit(X, y)
        untouched = all(
            np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True)
        )
        return (
            reg.predict(X),
            reg.score(X, y),
            trs.transform(X),
            (trs.n_features_in_, trs.model_ is not model, untouched),
        )

    out = _both(run)
    assert out["heft"][0].shape == out["keras"][0].shape == (24,)
    np.testing.assert_allclose(out["heft"][0], out["keras"][0], rtol=1e-5, atol=1e-6)
    assert out["heft"][1] == pytest.approx(out["keras"][1], rel=1e-5)
    assert out["heft"][2].shape == out["keras"][2].shape == (24, 1)
    np.testing.assert_allclose(out["heft"][2], out["keras"][2], rtol=1e-5, atol=1e-6)
    assert out["heft"][3] == out["keras"][3] == (4, True, True)


@pytest.mark.parametrize("name", NAMES)
def test_params_and_tags_match_keras(name):
    est = {lib: _wrapper(K, name, loss="mse") for lib, K in LIBS.items()}
    params = {lib: e.get_params() for lib, e in est.items()}
    assert sorted(params["heft"]) == sorted(params["keras"])
    assert sorted(params["heft"]) == ["fit_kwargs", "model", "model_kwargs", "warm_start"]
    assert params["heft"]["model_kwargs"] == params["keras"]["model_kwargs"]
    assert sorted(clone(est["heft"]).get_params()) == sorted(params["keras"])
    assert get_tags(est["heft"]) == get_tags(est["keras"])
    assert type(est["heft"]).__name__ == name
    assert est["heft"].epoch_ == est["keras"].epoch_ == 0


def _error(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fn()
        except Exception as exc:
            return type(exc), str(exc)
    raise AssertionError("no error raised")


@pytest.mark.parametrize(
    "case",
    [
        "continuous_labels",
        "one_class",
        "multilabel",
        "not_fitted",
        "feature_count",
        "uncompiled",
        "regressor_2d_target",
        "fit_request_without_routing",
    ],
)
def test_errors_match_keras(case):
    X, y = _data(n=8)
    labels = np.where(y > 0, "yes", "no")

    def act(K):
        clf = _wrapper(K, "SKLearnClassifier", loss="categorical_crossentropy")
        reg = _wrapper(K, "SKLearnRegressor")
        if case == "continuous_labels":
            clf.fit(X, y)
        elif case == "one_class":
            clf.fit(X, np.array(["a"] * 8))
        elif case == "multilabel":
            clf.fit(X, np.eye(2, dtype=int)[np.arange(8) % 2])
        elif case == "not_fitted":
            reg.predict(X)
        elif case == "feature_count":
            clf.fit(X, labels).predict(X[:, :3])
        elif case == "uncompiled":
            _wrapper(K, "SKLearnRegressor", compile=False).fit(X, y)
        elif case == "regressor_2d_target":
            reg.fit(X, np.stack([y, y], axis=1))
        elif case == "fit_request_without_routing":
            reg.set_fit_request(sample_weight=True)

    errors = {lib: _error(lambda K=K: act(K)) for lib, K in LIBS.items()}
    assert errors["heft"][0] is errors["keras"][0]
    # heft may add how to fix it after Keras's own message.
    assert errors["heft"][1].startswith(errors["keras"][1].rstrip("."))


def test_not_fitted_error_type():
    X, _ = _data(n=4)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        heft.wrappers.SKLearnTransformer(_builder(heft)).transform(X)


def test_works_in_pipeline_grid_search_and_cross_val_score():
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, z = _data(n=32)
    y = np.where(z > 0, "pos", "neg")
    kwargs = {"loss": "categorical_crossentropy", "activation": "softmax"}
    clf = heft.wrappers.SKLearnClassifier(_builder(heft), model_kwargs=kwargs, fit_kwargs=FIT)
    pipe = make_pipeline(StandardScaler(), clf)
    grid = {"sklearnclassifier__model_kwargs": [kwargs, {**kwargs, "hidden": 2}]}
    search = GridSearchCV(pipe, grid, cv=2).fit(X, y)
    assert len(search.cv_results_["mean_test_score"]) == 2
    best = search.best_estimator_[-1]
    assert best.model_.layers[0].units == search.best_params_[
        "sklearnclassifier__model_kwargs"
    ].get("hidden", 5)
    assert best.epoch_ == FIT["epochs"] and best.fit_kwargs == FIT
    assert set(search.predict(X)) <= {"neg", "pos"}
    assert sklearn.base.is_classifier(best)

    reg = heft.wrappers.SKLearnRegressor(_builder(heft), fit_kwargs=FIT)
    scores = cross_val_score(reg, X, z, cv=2)
    assert scores.shape == (2,) and np.all(np.isfinite(scores))
