"""heft's ``fit``/``evaluate``/``predict`` against real Keras 3: same model, weights, batches."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import heft


@pytest.fixture(autouse=True)
def _fresh_keras_names():
    keras.backend.clear_session()
    yield


OPTIMIZERS = [
    ("SGD", {"learning_rate": 0.05}),
    ("SGD", {"learning_rate": 0.02, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"learning_rate": 0.01}),
    ("AdamW", {"learning_rate": 0.01, "weight_decay": 0.05}),
    ("RMSprop", {"learning_rate": 0.005}),
]


def _classification_data(n=72):
    # 72 samples in batches of 16: four full batches and a partial one of 8.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 20)).astype("float32")
    y = np.argmax(x @ rng.normal(size=(20, 3)), axis=1).astype("int32")
    return x, y


def _regression_data(n=50):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, 20)).astype("float32")
    y = (np.sin(x[:, :1]) + 0.5 * x[:, 1:2]).astype("float32")
    sample_weight = rng.uniform(0.2, 2.0, size=n).astype("float32")
    return x, y, sample_weight


def _pair(lib, hidden_activation, out_units, out_activation):
    return lib.Sequential(
        [
            lib.Input(shape=(20,)),
            lib.layers.Dense(16, activation=hidden_activation),
            lib.layers.Dense(out_units, activation=out_activation),
        ]
    )


def _compile(model, lib, optimizer, **kwargs):
    # Keras runs eagerly: after the first test its per-op kernels are cached, which
    # costs far less than compiling a train, test and predict function per case.
    # heft runs its jitted step, the code under test.
    extra = {"run_eagerly": True} if lib is keras else {}
    model.compile(
        optimizer=getattr(lib.optimizers, optimizer[0])(**optimizer[1]), **kwargs, **extra
    )


def _twins(hidden_activation, out_units, out_activation):
    k_model = _pair(keras, hidden_activation, out_units, out_activation)
    h_model = _pair(heft, hidden_activation, out_units, out_activation)
    h_model.set_weights(k_model.get_weights())
    return k_model, h_model


def _assert_weights_agree(k_model, h_model):
    k_weights, h_weights = k_model.get_weights(), h_model.get_weights()
    assert len(k_weights) == len(h_weights)
    for k, h in zip(k_weights, h_weights, strict=True):
        np.testing.assert_allclose(h, k, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("name", "kwargs"), OPTIMIZERS, ids=lambda p: str(p))
def test_training_classifier_matches_keras(name, kwargs):
    x, y = _classification_data()
    k_model, h_model = _twins("relu", 3, "softmax")
    for model, lib in ((k_model, keras), (h_model, heft)):
        _compile(
            model, lib, (name, kwargs), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
        )
    k_hist = k_model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    h_hist = h_model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    _assert_weights_agree(k_model, h_model)
    np.testing.assert_allclose(h_hist.history["loss"], k_hist.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(h_hist.history["accuracy"], k_hist.history["accuracy"], rtol=1e-5)
    assert int(h_model.optimizer.iterations.numpy()) == int(k_model.optimizer.iterations) == 10
    k_eval = k_model.evaluate(x, y, batch_size=72, verbose=0)
    h_eval = h_model.evaluate(x, y, batch_size=72, verbose=0)
    np.testing.assert_allclose(h_eval, k_eval, rtol=1e-5)
    np.testing.assert_allclose(
        h_model.predict(x, batch_size=72, verbose=0),
        k_model.predict(x, batch_size=72, verbose=0),
        rtol=1e-5,
        atol=1e-7,
    )


def test_training_weighted_regression_matches_keras():
    # 50 samples in batches of 16: a partial last batch of 2; per-sample weights.
    x, y, sample_weight = _regression_data()
    k_model, h_model = _twins("tanh", 1, None)
    for model, lib in ((k_model, keras), (h_model, heft)):
        _compile(model, lib, ("Adam", {"learning_rate": 0.01}), loss="mse", metrics=["mae"])
    fit_kwargs = {"sample_weight": sample_weight, "batch_size": 16, "shuffle": False, "verbose": 0}
    k_hist = k_model.fit(x, y, **fit_kwargs)
    h_hist = h_model.fit(x, y, **fit_kwargs)
    _assert_weights_agree(k_model, h_model)
    np.testing.assert_allclose(h_hist.history["loss"], k_hist.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(h_hist.history["mae"], k_hist.history["mae"], rtol=1e-5)
    k_eval = k_model.evaluate(x, y, sample_weight=sample_weight, verbose=0, return_dict=True)
    h_eval = h_model.evaluate(x, y, sample_weight=sample_weight, verbose=0, return_dict=True)
    assert sorted(h_eval) == sorted(k_eval)
    for key in k_eval:
        np.testing.assert_allclose(h_eval[key], k_eval[key], rtol=1e-5)
    np.testing.assert_allclose(
        h_model.predict(x, batch_size=16, verbose=0),
        k_model.predict(x, batch_size=16, verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )


def test_training_one_batch_methods_match_keras():
    x, y = _classification_data(n=16)
    k_model, h_model = _twins("relu", 3, "softmax")
    for model, lib in ((k_model, keras), (h_model, heft)):
        _compile(
            model,
            lib,
            ("Adam", {"learning_rate": 0.01}),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
    for start in (0, 8):
        batch = (x[start : start + 8], y[start : start + 8])
        np.testing.assert_allclose(
            h_model.train_on_batch(*batch), k_model.train_on_batch(*batch), rtol=1e-5
        )
    np.testing.assert_allclose(
        h_model.test_on_batch(x[:8], y[:8]), k_model.test_on_batch(x[:8], y[:8]), rtol=1e-5
    )
    _assert_weights_agree(k_model, h_model)
    np.testing.assert_allclose(
        h_model.predict_on_batch(x), k_model.predict_on_batch(x), rtol=1e-5, atol=1e-7
    )


def test_fit_with_confusion_matrix_metrics_matches_keras():
    # Precision, Recall and AUC reset their variables to one shared zeros array;
    # a train step donates its state, and XLA refuses to donate a buffer twice
    # ("Attempt to donate the same buffer twice"): heft copies shared arrays first.
    rng = np.random.default_rng(3)
    x = rng.normal(size=(72, 6)).astype("float32")
    y = (x[:, :1] + 0.3 * rng.normal(size=(72, 1)) > 0).astype("float32")
    histories = []
    for lib in (heft, keras):
        model = lib.Sequential([lib.Input((6,)), lib.layers.Dense(1, activation="sigmoid")])
        model.set_weights([np.full((6, 1), 0.1, "float32"), np.zeros(1, "float32")])
        model.compile(
            optimizer=lib.optimizers.SGD(0.1),
            loss="binary_crossentropy",
            metrics=[lib.metrics.Precision(), lib.metrics.Recall(), lib.metrics.AUC()],
        )
        history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
        evaluated = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
        histories.append((history, evaluated, model.get_weights()))
    (h, he, hw), (k, ke, kw) = histories
    assert sorted(h) == sorted(k)
    for name in k:
        np.testing.assert_allclose(h[name], k[name], rtol=1e-5, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(he[name], ke[name], rtol=1e-5, atol=1e-6, err_msg=name)
    for a, b in zip(hw, kw, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
