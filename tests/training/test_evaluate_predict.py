"""``evaluate``, ``predict`` and the one-batch methods, against values computed by hand."""

import numpy as np
import pytest

import heft
from heft import initializers, layers, optimizers


def _data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = rng.integers(0, 3, n).astype("int32")
    return x, y


def _model(metrics=None, weighted_metrics=None, optimizer=None):
    model = heft.Sequential(
        [
            layers.Dense(
                3,
                activation="softmax",
                input_shape=(4,),
                kernel_initializer=initializers.RandomNormal(stddev=0.5, seed=4),
                bias_initializer=initializers.RandomNormal(stddev=0.1, seed=5),
            )
        ]
    )
    model.compile(
        optimizer=optimizer or optimizers.SGD(learning_rate=0.1),
        loss="sparse_categorical_crossentropy",
        metrics=metrics,
        weighted_metrics=weighted_metrics,
    )
    return model


def _probs(model, x):
    kernel, bias = model.get_weights()
    logits = x @ kernel + bias
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _per_sample_ce(model, x, y):
    return -np.log(_probs(model, x)[np.arange(len(y)), y])


def test_evaluate_return_forms():
    x, y = _data()
    bare = _model()
    loss = bare.evaluate(x, y, verbose=0)
    assert isinstance(loss, float)
    np.testing.assert_allclose(loss, _per_sample_ce(bare, x, y).mean(), rtol=1e-5)
    assert bare.evaluate(x, y, verbose=0, return_dict=True) == {"loss": pytest.approx(loss)}

    model = _model(metrics=["accuracy"])
    values = model.evaluate(x, y, batch_size=7, verbose=0)
    assert isinstance(values, list) and len(values) == 2
    expected_acc = np.mean(_probs(model, x).argmax(axis=1) == y)
    np.testing.assert_allclose(values[0], _per_sample_ce(model, x, y).mean(), rtol=1e-5)
    assert values[1] == pytest.approx(expected_acc)
    logs = model.evaluate(x, y, batch_size=7, verbose=0, return_dict=True)
    assert list(logs) == ["accuracy", "loss"]  # sorted, as Keras 3 returns them
    assert logs["loss"] == pytest.approx(values[0], rel=1e-6)


def test_evaluate_does_not_depend_on_batch_size_and_resets_between_calls():
    x, y = _data()
    model = _model(metrics=["accuracy"])
    before = model.get_weights()
    whole = model.evaluate(x, y, batch_size=40, verbose=0)
    pieces = model.evaluate(x, y, batch_size=6, verbose=0)  # partial last batch of 4
    again = model.evaluate(x, y, batch_size=6, verbose=0)
    np.testing.assert_allclose(pieces, whole, rtol=1e-6)
    assert again == pieces
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_evaluate_with_sample_weight_and_weighted_metrics():
    x, y = _data()
    sw = np.linspace(0.0, 2.0, 40).astype("float32")
    model = _model(metrics=["accuracy"], weighted_metrics=["accuracy"])
    logs = model.evaluate(x, y, sample_weight=sw, batch_size=8, verbose=0, return_dict=True)
    ce = _per_sample_ce(model, x, y)
    correct = (_probs(model, x).argmax(axis=1) == y).astype("float64")
    # The loss is reduced over the batch size (the weights are not normalized).
    np.testing.assert_allclose(logs["loss"], np.sum(sw * ce) / 40, rtol=1e-5)
    assert logs["accuracy"] == pytest.approx(correct.mean())
    assert logs["weighted_accuracy"] == pytest.approx(np.sum(sw * correct) / np.sum(sw), rel=1e-5)


def test_evaluate_weighted_metrics_alone_keep_their_name():
    # As in Keras, the `weighted_` prefix only tells apart a metric listed in both.
    x, y = _data()
    sw = np.linspace(0.0, 2.0, 40).astype("float32")
    model = _model(weighted_metrics=["accuracy"])
    logs = model.evaluate(x, y, sample_weight=sw, verbose=0, return_dict=True)
    correct = (_probs(model, x).argmax(axis=1) == y).astype("float64")
    assert list(logs) == ["accuracy", "loss"]
    assert logs["accuracy"] == pytest.approx(np.sum(sw * correct) / np.sum(sw), rel=1e-5)


def test_evaluate_generator_and_steps():
    x, y = _data()
    model = _model(metrics=["accuracy"])

    def batches():
        for start in range(0, 40, 10):
            yield x[start : start + 10], y[start : start + 10]

    np.testing.assert_allclose(
        model.evaluate(batches(), verbose=0), model.evaluate(x, y, verbose=0), rtol=1e-6
    )
    first_two = model.evaluate(batches(), steps=2, verbose=0)
    np.testing.assert_allclose(
        first_two[0], _per_sample_ce(model, x[:20], y[:20]).mean(), rtol=1e-5
    )
    limited = model.evaluate(x, y, batch_size=10, steps=2, verbose=0)
    np.testing.assert_allclose(limited, first_two, rtol=1e-6)


def test_predict_shapes_batches_and_generators():
    x, _ = _data(n=37)
    model = _model()
    expected = _probs(model, x)
    out = model.predict(x, batch_size=8, verbose=0)  # partial last batch of 5
    assert isinstance(out, np.ndarray)
    assert out.shape == (37, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(model.predict(x, batch_size=37, verbose=0), out, rtol=1e-6)

    def inputs():
        for start in range(0, 37, 10):
            yield x[start : start + 10]

    np.testing.assert_allclose(model.predict(inputs(), verbose=0), out, rtol=1e-6)
    tuples = ((x[i : i + 16],) for i in range(0, 37, 16))
    np.testing.assert_allclose(model.predict(tuples, verbose=0), out, rtol=1e-6)
    assert model.predict(x, batch_size=8, steps=2, verbose=0).shape == (16, 3)
    np.testing.assert_allclose(model.predict_on_batch(x[:5]), out[:5], rtol=1e-6)


def test_predict_builds_an_unbuilt_model_without_compile():
    model = heft.Sequential([layers.Dense(2, kernel_initializer="ones", bias_initializer="zeros")])
    x = np.arange(12, dtype="float32").reshape(4, 3)
    out = model.predict(x, verbose=0)
    np.testing.assert_allclose(out, np.repeat(x.sum(axis=1, keepdims=True), 2, axis=1))


def test_train_on_batch_returns_the_batch_loss_and_takes_one_step():
    x, y = _data(n=8)
    model = _model(metrics=["accuracy"])
    kernel, bias = model.get_weights()
    ce = _per_sample_ce(model, x, y)
    accuracy_before = np.mean(_probs(model, x).argmax(axis=1) == y)
    loss, accuracy = model.train_on_batch(x, y)
    # Loss and metrics are those of the forward pass, before the update.
    np.testing.assert_allclose(loss, ce.mean(), rtol=1e-5)
    assert accuracy == pytest.approx(accuracy_before)
    # One SGD step with the softmax cross-entropy gradient.
    probs = np.exp(x @ kernel + bias)
    probs /= probs.sum(axis=1, keepdims=True)
    delta = (probs - np.eye(3)[y]) / 8
    new_kernel, new_bias = model.get_weights()
    np.testing.assert_allclose(new_kernel, kernel - 0.1 * x.T @ delta, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(new_bias, bias - 0.1 * delta.sum(axis=0), rtol=1e-5, atol=1e-7)
    assert int(model.optimizer.iterations.numpy()) == 1


def test_train_on_batch_logs_only_its_own_batch():
    # Keras resets the metrics before each one-batch call.
    x, y = _data(n=16)
    model = _model(optimizer=optimizers.SGD(learning_rate=0.0))
    first = model.train_on_batch(x[:8], y[:8], return_dict=True)
    second = model.train_on_batch(x[8:], y[8:], return_dict=True)
    np.testing.assert_allclose(first["loss"], _per_sample_ce(model, x[:8], y[:8]).mean(), rtol=1e-5)
    np.testing.assert_allclose(
        second["loss"], _per_sample_ce(model, x[8:], y[8:]).mean(), rtol=1e-5
    )


def test_train_on_batch_with_sample_and_class_weights():
    x, y = _data(n=8)
    sw = np.linspace(0.5, 1.5, 8).astype("float32")
    model = _model(optimizer=optimizers.SGD(learning_rate=0.0))
    ce = _per_sample_ce(model, x, y)
    weighted = model.train_on_batch(x, y, sample_weight=sw)
    np.testing.assert_allclose(weighted, np.sum(sw * ce) / 8, rtol=1e-5)
    class_weight = {0: 2.0, 1: 0.5, 2: 1.0}
    by_class = model.train_on_batch(x, y, class_weight=class_weight)
    cw = np.array([class_weight[int(c)] for c in y])
    np.testing.assert_allclose(by_class, np.sum(cw * ce) / 8, rtol=1e-5)


def test_train_on_batch_rejects_sample_and_class_weight_together():
    x, y = _data(n=8)
    model = _model()
    before = model.get_weights()
    with pytest.raises(
        ValueError, match=r"`sample_weight` and `class_weight`|`class_weight` and `sample_weight`"
    ):
        model.train_on_batch(
            x, y, sample_weight=np.ones(8, "float32"), class_weight={0: 1.0, 1: 1.0, 2: 1.0}
        )
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_test_on_batch_matches_evaluate_and_does_not_accumulate():
    x, y = _data(n=16)
    model = _model(metrics=["accuracy"])
    before = model.get_weights()
    first = model.test_on_batch(x[:8], y[:8])
    second = model.test_on_batch(x[8:], y[8:], return_dict=True)
    np.testing.assert_allclose(first, model.evaluate(x[:8], y[:8], verbose=0), rtol=1e-6)
    expected = model.evaluate(x[8:], y[8:], verbose=0, return_dict=True)
    assert list(second) == list(expected)
    np.testing.assert_allclose(list(second.values()), list(expected.values()), rtol=1e-6)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
