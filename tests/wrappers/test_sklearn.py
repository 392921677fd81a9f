"""heft-only behaviour of the scikit-learn wrappers: warm starts, untouched arguments,
failed fits, metadata requests and the stand-ins used without scikit-learn."""

import pickle
import subprocess
import sys

import numpy as np
import pytest
import sklearn
from sklearn.base import clone

import heft
import heft.wrappers
from heft.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer, _missing

FIT = {"epochs": 2, "batch_size": 16, "shuffle": False, "verbose": 0}


def _build(X, y, hidden=3):
    model = heft.Sequential(
        [heft.Input((X.shape[1],)), heft.layers.Dense(hidden), heft.layers.Dense(y.shape[1])]
    )
    model.compile(loss="mse", optimizer="sgd")
    return model


def _data(n=16):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(n, 3))
    return X, X.sum(axis=1)


@pytest.fixture(autouse=True)
def _quiet_predict():
    heft.config.disable_interactive_logging()
    yield
    heft.config.enable_interactive_logging()


def test_warm_start_trains_the_same_model_further():
    X, y = _data()
    reg = SKLearnRegressor(_build, warm_start=True, fit_kwargs=FIT).fit(X, y)
    first = reg.model_
    weights = [w.copy() for w in first.get_weights()]
    reg.fit(X, y)
    assert reg.model_ is first
    assert not all(np.array_equal(a, b) for a, b in zip(weights, first.get_weights(), strict=True))

    cold = SKLearnRegressor(_build, fit_kwargs=FIT).fit(X, y)
    model = cold.model_
    cold.fit(X, y)
    assert cold.model_ is not model


def test_fit_leaves_fit_kwargs_and_model_kwargs_unchanged():
    X, y = _data()
    fit_kwargs, model_kwargs = dict(FIT), {"hidden": 2}
    reg = SKLearnRegressor(_build, model_kwargs=model_kwargs, fit_kwargs=fit_kwargs)
    reg.fit(X, y, epochs=3)
    assert fit_kwargs == FIT and model_kwargs == {"hidden": 2}
    assert reg.epoch_ == 3
    assert reg.model_.layers[0].units == 2


def test_clone_keeps_every_parameter_and_drops_the_fit():
    X, y = _data()
    reg = SKLearnRegressor(_build, warm_start=True, model_kwargs={"hidden": 2}, fit_kwargs=FIT)
    reg.fit(X, y)
    copy = clone(reg)
    assert copy.get_params() == reg.get_params()
    assert not hasattr(copy, "model_") and copy.epoch_ == 0


def test_failed_fit_leaves_a_fitted_estimator_as_it_was():
    X, y = _data()
    clf = SKLearnClassifier(_build, fit_kwargs=FIT).fit(X, np.where(y > 0, "a", "b"))
    before = (clf.model_, clf.classes_, clf.n_features_in_, clf.history_)
    with pytest.raises(ValueError, match="only one class"):
        clf.fit(X[:, :2], np.array(["c"] * 16))
    assert (clf.model_, clf.classes_, clf.n_features_in_, clf.history_) == before
    assert clf.predict(X).shape == (16,)


def test_model_that_is_not_a_model_is_refused():
    X, y = _data()
    with pytest.raises(TypeError, match="must return a compiled heft model"):
        SKLearnRegressor(lambda X, y: "not a model").fit(X, y)
    with pytest.raises(TypeError, match="must be a compiled heft model or a callable"):
        SKLearnRegressor(3).fit(X, y)
    with pytest.raises(ValueError, match="requires y to be passed, but the target y is None"):
        SKLearnTransformer(_build).fit(X, None)


def test_fitted_estimator_pickles_with_its_model():
    X, y = _data()
    clf = SKLearnClassifier(_build, fit_kwargs=FIT).fit(X, np.where(y > 0, "a", "b"))
    copy = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(copy.decision_function(X), clf.decision_function(X))
    np.testing.assert_array_equal(copy.classes_, clf.classes_)
    assert copy.history_.history == clf.history_.history and copy.epoch_ == 2
    assert clf.history_.model is clf.model_  # the original keeps its model


def test_set_fit_request_records_a_fit_request_when_routing_is_enabled():
    reg = SKLearnRegressor(_build)
    with pytest.raises(RuntimeError, match="enable_metadata_routing=True"):
        reg.set_fit_request(sample_weight=True)
    with sklearn.config_context(enable_metadata_routing=True):
        assert reg.set_fit_request(sample_weight=True) is reg
        routing = reg.get_metadata_routing()
    assert routing.fit.requests == {"sample_weight": True}


def test_without_sklearn_construction_names_the_package(monkeypatch):
    for name in ("SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"):
        with pytest.raises(ImportError, match=r"pip install scikit-learn"):
            getattr(_missing, name)(model=_build)
    monkeypatch.delitem(vars(heft.wrappers), "SKLearnRegressor", raising=False)
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    assert heft.wrappers.SKLearnRegressor is _missing.SKLearnRegressor
    with pytest.raises(ImportError, match=r"SKLearnRegressor requires `scikit-learn`"):
        heft.wrappers.SKLearnRegressor(_build)
    with pytest.raises(AttributeError, match="has no attribute 'SKLearnNothing'"):
        heft.wrappers.SKLearnNothing  # noqa: B018


def test_importing_heft_does_not_import_sklearn():
    code = "import heft, sys; heft.wrappers; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert set(dir(heft.wrappers)) >= {
        "SKLearnClassifier",
        "SKLearnRegressor",
        "SKLearnTransformer",
    }
