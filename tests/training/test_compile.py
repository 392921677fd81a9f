"""``Model.compile``: optimizers, losses and metrics by name or instance, weights, execution."""

import jax
import numpy as np
import pytest

import heft
from heft import initializers, layers, losses, metrics, optimizers


def _data(n=24, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = rng.integers(0, 3, n).astype("int32")
    return x, y


def _model(activation="softmax", units=3):
    return heft.Sequential(
        [
            layers.Dense(
                units,
                activation=activation,
                input_shape=(4,),
                kernel_initializer=initializers.RandomNormal(stddev=0.5, seed=4),
                bias_initializer=initializers.RandomNormal(stddev=0.1, seed=5),
            )
        ]
    )


def _forward(model, x):
    kernel, bias = model.get_weights()
    return x @ kernel + bias


def _softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_compile_optimizer_by_name_and_instance():
    model = _model()
    model.compile(optimizer="adam", loss="mse")
    assert isinstance(model.optimizer, optimizers.Adam)
    assert model.compiled
    sgd = optimizers.SGD(learning_rate=0.05)
    model.compile(optimizer=sgd, loss="mse")
    assert model.optimizer is sgd
    model.compile(loss="mse")
    assert isinstance(model.optimizer, optimizers.RMSprop)


@pytest.mark.parametrize(
    "loss",
    [
        "sparse_categorical_crossentropy",
        losses.SparseCategoricalCrossentropy(),
        losses.sparse_categorical_crossentropy,
        lambda y_true, y_pred: losses.sparse_categorical_crossentropy(y_true, y_pred),
    ],
    ids=["name", "instance", "function", "lambda"],
)
def test_compile_loss_by_name_instance_or_function(loss):
    x, y = _data()
    model = _model()
    model.compile(optimizer="sgd", loss=loss)
    probs = _softmax(_forward(model, x))
    expected = -np.log(probs[np.arange(len(y)), y]).mean()
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), expected, rtol=1e-5)


def test_compile_metrics_by_name_and_instance():
    x, y = _data()
    model = _model()
    model.compile(
        optimizer="sgd",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy", metrics.SparseTopKCategoricalAccuracy(k=2, name="top2")],
    )
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(logs) == ["accuracy", "loss", "top2"]  # sorted, as Keras 3 returns them
    probs = _softmax(_forward(model, x))
    assert logs["accuracy"] == pytest.approx(np.mean(probs.argmax(axis=1) == y))
    top2 = np.argsort(-probs, axis=1)[:, :2]
    assert logs["top2"] == pytest.approx(np.mean((top2 == y[:, None]).any(axis=1)))
    # Keras 3: the compiled metrics are one metric, `compile_metrics`.
    assert model.metrics_names == ["loss", "compile_metrics"]
    assert [m.name for m in model.metrics[1].metrics] == ["accuracy", "top2"]


def test_compile_accuracy_follows_the_loss_and_labels():
    x, y = _data()
    # One-hot labels: categorical accuracy.
    model = _model()
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    _, accuracy = model.evaluate(x, np.eye(3, dtype="float32")[y], verbose=0)
    assert accuracy == pytest.approx(np.mean(_forward(model, x).argmax(axis=1) == y))
    # One sigmoid unit: binary accuracy at a 0.5 threshold.
    binary = _model(activation="sigmoid", units=1)
    binary.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    labels = (y == 0).astype("float32")[:, None]
    _, accuracy = binary.evaluate(x, labels, verbose=0)
    probs = 1.0 / (1.0 + np.exp(-_forward(binary, x)))
    assert accuracy == pytest.approx(np.mean((probs > 0.5) == labels))


def test_compile_loss_weights_scale_the_loss():
    x, y = _data()
    targets = np.eye(3, dtype="float32")[y]
    model = _model(activation=None)
    model.compile(optimizer="sgd", loss="mse", loss_weights=2.5)
    mse = np.mean((_forward(model, x) - targets) ** 2)
    np.testing.assert_allclose(model.evaluate(x, targets, verbose=0), 2.5 * mse, rtol=1e-5)


def _two_output_model():
    inputs = heft.Input(shape=(4,), name="features")
    hidden = layers.Dense(5, activation="relu", name="hidden")(inputs)
    reg = layers.Dense(1, name="reg")(hidden)
    cls = layers.Dense(3, activation="softmax", name="cls")(hidden)
    return heft.Model(inputs, [reg, cls])


def _two_output_expected(model, x, y_reg, y_cls):
    hk, hb, rk, rb, ck, cb = model.get_weights()
    h = np.maximum(x @ hk + hb, 0.0)
    mse = np.mean((h @ rk + rb - y_reg) ** 2)
    probs = _softmax(h @ ck + cb)
    ce = -np.log(probs[np.arange(len(y_cls)), y_cls]).mean()
    return mse, ce, probs


def test_compile_list_losses_and_loss_weights_for_several_outputs():
    x, y = _data()
    y_reg = x[:, :1] * 2.0
    model = _two_output_model()
    model.compile(
        optimizer="sgd",
        loss=["mse", "sparse_categorical_crossentropy"],
        loss_weights=[1.0, 0.5],
    )
    mse, ce, _ = _two_output_expected(model, x, y_reg, y)
    logs = model.evaluate(x, [y_reg, y], verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["loss"], mse + 0.5 * ce, rtol=1e-5)


def test_compile_dict_losses_and_metrics_by_output_name():
    # Keras keys losses, loss weights and metrics by the output layers' names and
    # logs per-output losses and metrics with the output's name as a prefix.
    x, y = _data()
    y_reg = x[:, :1] * 2.0
    model = _two_output_model()
    model.compile(
        optimizer="sgd",
        loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
        loss_weights={"reg": 1.0, "cls": 0.5},
        metrics={"cls": ["accuracy"]},
    )
    mse, ce, probs = _two_output_expected(model, x, y_reg, y)
    logs = model.evaluate(x, {"reg": y_reg, "cls": y}, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["loss"], mse + 0.5 * ce, rtol=1e-5)
    np.testing.assert_allclose(logs["reg_loss"], mse, rtol=1e-5)
    np.testing.assert_allclose(logs["cls_loss"], ce, rtol=1e-5)
    assert logs["cls_accuracy"] == pytest.approx(np.mean(probs.argmax(axis=1) == y))


def test_compile_loss_list_of_the_wrong_length_raises():
    x, y = _data()
    model = _two_output_model()
    model.compile(optimizer="sgd", loss=["mse"])
    with pytest.raises(ValueError, match="list of 1 losses but the model has 2 outputs"):
        model.evaluate(x, [x[:, :1], y], verbose=0)


def test_compile_loss_dict_on_unnamed_outputs_raises():
    # A subclassed model returning a list has no output names to key a dict by.
    class TwoHeads(heft.Model):
        def __init__(self):
            super().__init__()
            self.a = layers.Dense(1)
            self.b = layers.Dense(2)

        def call(self, x):
            return [self.a(x), self.b(x)]

    x, _ = _data()
    model = TwoHeads()
    model.compile(optimizer="sgd", loss={"a": "mse", "b": "mse"})
    with pytest.raises(ValueError, match="`loss` was given as a dict"):
        model.evaluate(x, [x[:, :1], x[:, :2]], verbose=0)


def test_compile_loss_dict_naming_an_unknown_output_raises():
    class DictHeads(heft.Model):
        def __init__(self):
            super().__init__()
            self.a = layers.Dense(1)

        def call(self, x):
            return {"a": self.a(x)}

    x, _ = _data()
    model = DictHeads()
    model.compile(optimizer="sgd", loss={"a": "mse", "nope": "mse"})
    with pytest.raises(ValueError, match=r"names outputs \['nope'\]"):
        model.evaluate(x, {"a": x[:, :1]}, verbose=0)


def test_compile_metrics_dict_on_unnamed_outputs_raises():
    x, _ = _data()
    model = _model(activation=None)
    model.compile(optimizer="sgd", loss="mse", metrics={"dense": ["mae"]})
    with pytest.raises(ValueError, match="`metrics` was given as a dict"):
        model.evaluate(x, x[:, :3], verbose=0)


def test_compile_target_count_must_match_outputs():
    x, _ = _data()
    model = _two_output_model()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="2 outputs but 1 targets"):
        model.evaluate(x, [x[:, :1]], verbose=0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"optimizer": "adamz", "loss": "mse"}, "Could not interpret optimizer identifier: adamz"),
        ({"optimizer": "adam", "loss": "msez"}, "Could not interpret loss identifier: 'msez'"),
        (
            {"optimizer": "adam", "loss": "mse", "metrics": ["accurcy"]},
            "Could not interpret metric identifier: 'accurcy'",
        ),
        (
            {"optimizer": "adam", "loss": "mse", "weighted_metrics": ["nope"]},
            "Could not interpret metric identifier: 'nope'",
        ),
        ({"optimizer": "adam", "loss": "mse", "steps_per_execution": 0}, "steps_per_execution"),
        ({"optimizer": "adam", "loss": "mse", "steps_per_execution": "fast"}, "positive int"),
    ],
)
def test_compile_rejects_unknown_names_and_bad_arguments(kwargs, match):
    model = _model()
    with pytest.raises(ValueError, match=match):
        model.compile(**kwargs)


def test_compile_steps_per_execution_auto_is_accepted():
    x, y = _data()
    model = _model()
    model.compile(
        optimizer="sgd", loss="sparse_categorical_crossentropy", steps_per_execution="auto"
    )
    model.fit(x, y, batch_size=8, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 3


@pytest.mark.parametrize("flag", [{"run_eagerly": True}, {"jit_compile": False}])
def test_compile_run_eagerly_trains_like_the_jitted_step(flag):
    x, y = _data(n=16)
    jitted = _model()
    jitted.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h_jit = jitted.fit(x, y, batch_size=8, shuffle=False, verbose=0)
    eager = _model()
    eager.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"], **flag
    )
    assert eager.run_eagerly
    h_eager = eager.fit(x, y, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(jitted.get_weights(), eager.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    np.testing.assert_allclose(h_jit.history["loss"], h_eager.history["loss"], rtol=1e-6)


def test_compile_again_starts_a_fresh_optimizer_and_keeps_the_weights():
    x, y = _data()
    model = _model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=8, verbose=0)
    trained = model.get_weights()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert int(model.optimizer.iterations.numpy()) == 0
    for a, b in zip(trained, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    history = model.fit(x, y, batch_size=8, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss"]
    assert int(model.optimizer.iterations.numpy()) == 3


def test_fit_before_compile_raises_and_changes_nothing():
    x, y = _data()
    model = _model()
    before = model.get_weights()
    for call in (
        lambda: model.fit(x, y, verbose=0),
        lambda: model.evaluate(x, y, verbose=0),
        lambda: model.train_on_batch(x, y),
        lambda: model.test_on_batch(x, y),
    ):
        with pytest.raises(ValueError, match=r"must call `compile\(\)`"):
            call()
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "units, y, expected",
    [
        (1, np.array([[0.0], [1.0]], "float32"), "binary_crossentropy"),
        (3, np.array([0, 2]), "sparse_categorical_crossentropy"),
        (3, np.array([[0], [2]]), "sparse_categorical_crossentropy"),
        (3, np.eye(3, dtype="float32")[[0, 2]], "categorical_crossentropy"),
    ],
)
def test_compile_crossentropy_is_chosen_from_shapes(units, y, expected):
    activation = "sigmoid" if units == 1 else "softmax"
    x = np.ones((2, 4), "float32")
    model = heft.Sequential([layers.Input((4,)), layers.Dense(units, activation=activation)])
    model.compile(optimizer="sgd", loss="crossentropy")
    got = model.evaluate(x, y, verbose=0)
    reference = heft.Sequential([layers.Input((4,)), layers.Dense(units, activation=activation)])
    reference.compile(optimizer="sgd", loss=expected)
    reference.set_weights(model.get_weights())
    np.testing.assert_allclose(got, reference.evaluate(x, y, verbose=0), rtol=1e-6)
    assert model._compile_loss._losses[0].name == "crossentropy"


def test_compile_crossentropy_without_targets_says_to_name_the_loss():
    from heft.training._compile import CompiledLoss

    loss = CompiledLoss("ce")
    with pytest.raises(ValueError, match="needs targets"):
        loss.build(jax.ShapeDtypeStruct((2, 3), "float32"))
