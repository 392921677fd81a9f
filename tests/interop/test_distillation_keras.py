"""``heft.distillation`` against Keras 3's ``keras.distillation`` (JAX backend).

The same teacher and student (same weights, set with ``set_weights``) are
distilled for a few steps by each library; the per-step logs, the student's
weights after, the distiller's weight layout, its config and the errors for
bad arguments must be the same.
"""

import json
import warnings

import keras
import numpy as np
import pytest

import heft

LIBS = {"keras": keras, "heft": heft}


def _dense_pair(K, teacher_units=8, student_units=8):
    def mlp(name, units):
        return K.Sequential(
            [
                K.Input((5,)),
                K.layers.Dense(units, activation="relu", name="hidden"),
                K.layers.Dense(4, activation="tanh", name="features"),
                K.layers.Dense(3, name="logits"),
            ],
            name=name,
        )

    return mlp("teacher", teacher_units), mlp("student", student_units)


def _functional_pair(K):
    def mlp(name, units):
        inputs = K.Input((5,), name="x")
        h = K.layers.Dense(units, activation="relu", name="hidden")(inputs)
        h = K.layers.Dense(4, name="mid")(h)
        return K.Model(inputs, K.layers.Dense(3, name="logits")(h), name=name)

    return mlp("teacher", 10), mlp("student", 6)


def _conv_pair(K):
    def cnn(name, filters):
        return K.Sequential(
            [
                K.Input((6, 6, 2)),
                K.layers.Conv2D(filters, 3, activation="relu", name="conv"),
                K.layers.Conv2D(4, 3, padding="same", name="mid"),
                K.layers.GlobalAveragePooling2D(name="pool"),
                K.layers.Dense(3, name="logits"),
            ],
            name=name,
        )

    return cnn("teacher", 6), cnn("student", 3)


def _seed_weights(model, seed):
    rng = np.random.default_rng(seed)
    model.set_weights([(rng.normal(size=w.shape) * 0.4).astype("float32") for w in model.weights])


def _data(shape, n=12, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, *shape)).astype("float32")
    return x, rng.integers(0, 3, size=n)


def _distill(K, pair, losses, x, y, **options):
    """Distill with library ``K``; return the per-step logs and the student's weights."""
    teacher, student = pair(K)
    _seed_weights(teacher, 1)
    _seed_weights(student, 2)
    distiller = K.distillation.Distiller(teacher, student, losses(K), **options)
    distiller.compile(
        optimizer=K.optimizers.Adam(0.05),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    steps = []

    class Record(K.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            steps.append({k: float(v) for k, v in logs.items()})

    distiller.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0, callbacks=[Record()])
    return steps, [np.asarray(w) for w in student.get_weights()], distiller


def _all_losses(K):
    return [
        K.distillation.LogitsDistillation(),
        K.distillation.LogitsDistillation(temperature=2.0, loss=K.losses.KLDivergence()),
        K.distillation.FeatureDistillation(loss="mse"),
        K.distillation.FeatureDistillation(
            loss="cosine_similarity", teacher_layer_name="mid", student_layer_name="mid"
        ),
    ]


def test_distillation_matches_keras_step_by_step():
    options = {"distillation_loss_weights": [0.5, 1.0, 2.0, 1.5], "student_loss_weight": 0.3}
    x, y = _data((5,))
    k_steps, k_student, k_model = _distill(keras, _functional_pair, _all_losses, x, y, **options)
    h_steps, h_student, h_model = _distill(heft, _functional_pair, _all_losses, x, y, **options)
    assert len(h_steps) == len(k_steps) == 6
    assert len({round(s["loss"], 6) for s in h_steps}) > 1  # the loss moved
    for step, (h, k) in enumerate(zip(h_steps, k_steps, strict=True)):
        assert sorted(h) == sorted(k)
        for name in k:
            np.testing.assert_allclose(
                h[name], k[name], rtol=1e-5, atol=1e-5, err_msg=f"{name}@{step}"
            )
    for h, k in zip(h_student, k_student, strict=True):
        np.testing.assert_allclose(h, k, rtol=1e-5, atol=1e-5)
    # The teacher was frozen: only the student's weights train.
    assert [w.path for w in h_model.weights] == [w.path for w in k_model.weights]
    assert [w.path for w in h_model.trainable_weights] == [
        w.path for w in k_model.trainable_weights
    ]
    assert [layer.name for layer in h_model.layers] == [layer.name for layer in k_model.layers]
    assert [m.name for m in h_model.metrics] == [m.name for m in k_model.metrics]
    assert h_model.teacher.trainable is k_model.teacher.trainable is False
    # Evaluation goes through the student too.
    k_eval = k_model.evaluate(x, y, verbose=0, return_dict=True)
    h_eval = h_model.evaluate(x, y, verbose=0, return_dict=True)
    assert sorted(h_eval) == sorted(k_eval)
    for name in k_eval:
        np.testing.assert_allclose(h_eval[name], k_eval[name], rtol=1e-5, atol=1e-5, err_msg=name)


def test_sequential_conv_loss_matches_keras():
    """Sequential models (features from a named layer, the logits from the last one)."""

    def loss_and_trackers(K):
        teacher, student = _conv_pair(K)
        _seed_weights(teacher, 3)
        _seed_weights(student, 4)
        distiller = K.distillation.Distiller(
            teacher,
            student,
            [
                K.distillation.LogitsDistillation(temperature=4.0),
                K.distillation.FeatureDistillation(
                    loss="mae", teacher_layer_name="mid", student_layer_name="mid"
                ),
            ],
            student_loss_weight=0.6,
        )
        distiller.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        x, y = _data((6, 6, 2), n=4, seed=5)
        with warnings.catch_warnings():
            # Keras warns that its feature extractor (built on `model.inputs`, a list) is
            # called with a bare array: its own warning, unrelated to the values compared.
            warnings.simplefilter("ignore", UserWarning)
            loss = distiller.compute_loss(x, y, distiller(x), training=False)
        trackers = [distiller.student_loss_tracker, distiller.distillation_loss_tracker]
        return [float(loss)] + [float(t.result()) for t in trackers], distiller

    (k_values, k_model), (h_values, h_model) = loss_and_trackers(keras), loss_and_trackers(heft)
    np.testing.assert_allclose(h_values, k_values, rtol=1e-5, atol=1e-6)
    assert [w.path for w in h_model.weights] == [w.path for w in k_model.weights]


def _jsonable(config):
    return json.loads(json.dumps(config, default=lambda v: list(v)))


def _without_input_names(value):
    """Drop the auto-numbered input layer names, which depend on how many models were made."""
    if isinstance(value, list):
        return [_without_input_names(v) for v in value]
    if isinstance(value, dict):
        out = {k: _without_input_names(v) for k, v in value.items()}
        if out.get("class_name") == "InputLayer":
            out["config"].pop("name", None)
        return out
    return value


def test_config_matches_keras_and_round_trips():
    def build(K):
        teacher, student = _dense_pair(K, 8, 6)
        return K.distillation.Distiller(
            teacher,
            student,
            [
                K.distillation.LogitsDistillation(temperature=5.0),
                K.distillation.FeatureDistillation(
                    loss="mae", teacher_layer_name="features", student_layer_name="features"
                ),
            ],
            distillation_loss_weights=[0.7, 0.3],
            student_loss_weight=0.25,
            name="dist",
        )

    k_config, h_config = build(keras).get_config(), build(heft).get_config()
    assert _without_input_names(_jsonable(h_config)) == _without_input_names(_jsonable(k_config))
    rebuilt = heft.distillation.Distiller.from_config(h_config)
    assert _jsonable(rebuilt.get_config()) == _jsonable(h_config)
    assert isinstance(rebuilt.distillation_losses[1], heft.distillation.FeatureDistillation)
    assert rebuilt.distillation_losses[1].loss is heft.losses.mean_absolute_error
    # heft's config of the distillation losses is read by Keras and the other way round.
    for loss_config, h_loss in zip(
        h_config["distillation_losses"], rebuilt.distillation_losses, strict=True
    ):
        k_loss = keras.saving.deserialize_keras_object(loss_config)
        assert k_loss.get_config() == h_loss.get_config()
    for K in LIBS.values():
        loss = K.distillation.LogitsDistillation.from_config(
            {"temperature": 2.0, "loss": K.losses.serialize(K.losses.KLDivergence())}
        )
        assert loss.get_config()["loss"]["class_name"] == "KLDivergence"


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value)


class _Subclassed:
    @staticmethod
    def make(K):
        class Net(K.Model):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.dense = K.layers.Dense(3, name="logits")

            def call(self, x):
                return self.dense(x)

        return Net()


BAD_CALLS = {
    "teacher-not-model": lambda K: K.distillation.Distiller(
        K.layers.Dense(3), _dense_pair(K)[1], K.distillation.LogitsDistillation()
    ),
    "student-not-model": lambda K: K.distillation.Distiller(
        _dense_pair(K)[0], "model", K.distillation.LogitsDistillation()
    ),
    "weight-above-1": lambda K: K.distillation.Distiller(
        *_dense_pair(K), K.distillation.LogitsDistillation(), student_loss_weight=1.5
    ),
    "weight-not-number": lambda K: K.distillation.Distiller(
        *_dense_pair(K), K.distillation.LogitsDistillation(), student_loss_weight="0.5"
    ),
    "losses-none": lambda K: K.distillation.Distiller(*_dense_pair(K), None),
    "weights-count": lambda K: K.distillation.Distiller(
        *_dense_pair(K),
        [K.distillation.LogitsDistillation()],
        distillation_loss_weights=[1.0, 2.0],
    ),
    "output-shape": lambda K: K.distillation.Distiller(
        K.Sequential([K.Input((5,)), K.layers.Dense(4)]),
        K.Sequential([K.Input((5,)), K.layers.Dense(3)]),
        K.distillation.LogitsDistillation(),
    ),
    "input-rank": lambda K: K.distillation.Distiller(
        K.Sequential([K.Input((5,)), K.layers.Dense(3)]),
        K.Sequential([K.Input((2, 5)), K.layers.Flatten(), K.layers.Dense(3)]),
        K.distillation.LogitsDistillation(),
    ),
    "missing-layer": lambda K: K.distillation.Distiller(
        *_dense_pair(K),
        K.distillation.FeatureDistillation(teacher_layer_name="nope"),
    ),
    "subclassed-with-layer-names": lambda K: K.distillation.Distiller(
        _Subclassed.make(K),
        _dense_pair(K)[1],
        K.distillation.FeatureDistillation(student_layer_name="hidden"),
    ),
    "temperature-zero": lambda K: K.distillation.LogitsDistillation(temperature=0.0),
    "temperature-string": lambda K: K.distillation.LogitsDistillation(temperature="3"),
    "logits-all-none": lambda K: K.distillation.LogitsDistillation(loss=[None, None]),
    "features-none": lambda K: K.distillation.FeatureDistillation(loss=None),
    "unknown-loss-name": lambda K: K.distillation.FeatureDistillation(loss="no_such_loss"),
    "base-compute-loss": lambda K: K.distillation.DistillationLoss().compute_loss(1.0, 1.0),
    "compile-without-loss": lambda K: K.distillation.Distiller(
        *_dense_pair(K), K.distillation.LogitsDistillation()
    ).compile(optimizer="sgd"),
    "compile-metrics-not-list": lambda K: K.distillation.Distiller(
        *_dense_pair(K), K.distillation.LogitsDistillation()
    ).compile(loss="mse", metrics="accuracy"),
}


@pytest.mark.parametrize("case", sorted(BAD_CALLS))
def test_bad_arguments_raise_as_in_keras(case):
    k_type = _error(lambda: BAD_CALLS[case](keras))
    h_type = _error(lambda: BAD_CALLS[case](heft))
    assert h_type is k_type
