"""``Model.fit``: inputs, options, History, the step's semantics and the fast path."""

import collections
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import heft
from heft import callbacks, initializers, layers, optimizers

TRACES = collections.Counter()


def _data(n=64, d=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    y = np.argmax(x @ rng.normal(size=(d, classes)), axis=1).astype("int32")
    return x, y


def _mlp(d=4, classes=3, hidden=8):
    return heft.Sequential(
        [
            layers.Dense(
                hidden,
                activation="relu",
                input_shape=(d,),
                kernel_initializer=initializers.GlorotUniform(seed=1),
            ),
            layers.Dense(
                classes,
                activation="softmax",
                kernel_initializer=initializers.GlorotUniform(seed=2),
            ),
        ]
    )


def _compiled(optimizer=None, metrics=("accuracy",), **compile_kwargs):
    model = _mlp()
    model.compile(
        optimizer=optimizer or optimizers.SGD(learning_rate=0.1),
        loss="sparse_categorical_crossentropy",
        metrics=list(metrics),
        **compile_kwargs,
    )
    return model


def _assert_weights_close(a, b, atol=1e-6):
    assert len(a) == len(b)
    for wa, wb in zip(a, b, strict=True):
        np.testing.assert_allclose(wa, wb, rtol=0, atol=atol)


def _assert_weights_equal(a, b):
    assert len(a) == len(b)
    for wa, wb in zip(a, b, strict=True):
        np.testing.assert_array_equal(wa, wb)


class CountingDense(layers.Layer):
    """A dense layer that counts how often its ``call`` runs in Python (i.e. is traced)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer=initializers.GlorotUniform(seed=3),
            name="kernel",
        )

    def call(self, x):
        TRACES[self.name] += 1
        return heft.ops.matmul(x, self.kernel)


class CallCounter(layers.Layer):
    """Passes its input through; counts training calls in a non-trainable weight."""

    def build(self, input_shape):
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")

    def call(self, x, training=False):
        if training:
            self.count.assign_add(1.0)
        return x


class BatchRecorder(callbacks.Callback):
    """Records batch indices and the first kernel as seen at each batch end."""

    def __init__(self):
        super().__init__()
        self.begins = []
        self.ends = []
        self.kernels = []

    def on_train_batch_begin(self, batch, logs=None):
        self.begins.append(batch)

    def on_train_batch_end(self, batch, logs=None):
        self.ends.append(batch)
        self.kernels.append(np.array(self.model.layers[0].kernel.numpy()))


# ---------------------------------------------------------------- API and History


def test_fit_returns_history_with_one_entry_per_epoch():
    x, y = _data()
    model = _compiled()
    history = model.fit(x, y, batch_size=32, epochs=3, verbose=0)
    assert history is model.history
    assert isinstance(history, callbacks.History)
    assert history.epoch == [0, 1, 2]
    assert sorted(history.history) == ["accuracy", "loss"]
    assert all(len(v) == 3 for v in history.history.values())
    assert history.params == {"verbose": 0, "epochs": 3, "steps": 2}
    assert all(isinstance(v, float) for v in history.history["loss"])
    # SGD at 0.1 on a separable task: the loss goes down epoch after epoch.
    assert history.history["loss"][2] < history.history["loss"][0]


def test_fit_history_loss_is_the_epoch_mean_over_samples():
    # With a zero learning rate the weights never move: the epoch's logged loss and
    # accuracy are those of `evaluate` on the same data (mean over all samples, the
    # partial last batch weighted by its size).
    x, y = _data(n=50)
    model = _compiled(optimizer=optimizers.SGD(learning_rate=0.0))
    before = model.get_weights()
    history = model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    _assert_weights_equal(model.get_weights(), before)
    loss, accuracy = model.evaluate(x, y, batch_size=50, verbose=0)
    k1, b1, k2, b2 = before
    logits = np.maximum(x @ k1 + b1, 0.0) @ k2 + b2
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(probs[np.arange(50), y]))
    np.testing.assert_allclose(history.history["loss"][0], expected, rtol=1e-5)
    np.testing.assert_allclose(history.history["loss"][0], loss, rtol=1e-5)
    assert history.history["accuracy"][0] == pytest.approx(np.mean(probs.argmax(1) == y))
    assert history.history["accuracy"][0] == pytest.approx(accuracy)


def test_fit_jax_arrays_and_64_bit_numpy_arrays_train_like_float32_numpy():
    x, y = _data()
    reference = _compiled()
    reference.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    for xs, ys in ((jnp.asarray(x), jnp.asarray(y)), (x.astype("float64"), y.astype("int64"))):
        model = _compiled()
        model.fit(xs, ys, batch_size=16, epochs=2, shuffle=False, verbose=0)
        _assert_weights_close(model.get_weights(), reference.get_weights())


class _Batches:
    """A re-iterable collection of ``(x, y)`` batches (not a generator, not arrays)."""

    def __init__(self, x, y, batch_size):
        self.parts = [
            (x[i : i + batch_size], y[i : i + batch_size]) for i in range(0, len(x), batch_size)
        ]

    def __iter__(self):
        return iter(self.parts)


def test_fit_iterable_of_batches_trains_like_arrays():
    x, y = _data()
    a = _compiled()
    ha = a.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    b = _compiled()
    hb = b.fit(_Batches(x, y, 16), epochs=2, verbose=0)
    _assert_weights_close(a.get_weights(), b.get_weights())
    np.testing.assert_allclose(hb.history["loss"], ha.history["loss"], rtol=1e-5)
    assert len(hb.epoch) == 2


def test_fit_generator_with_steps_per_epoch_keeps_drawing_batches():
    x, y = _data(n=32)
    drawn = []

    def endless():
        i = 0
        while True:
            drawn.append(i)
            start = (i % 2) * 16
            yield x[start : start + 16], y[start : start + 16]
            i += 1

    a = _compiled()
    history = a.fit(endless(), steps_per_epoch=2, epochs=3, verbose=0)
    assert history.epoch == [0, 1, 2]
    assert history.params["steps"] == 2
    assert len(drawn) >= 6
    b = _compiled()
    b.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    _assert_weights_close(a.get_weights(), b.get_weights())


def test_fit_generator_of_weighted_batches_matches_sample_weight():
    x, y = _data(n=32)
    sw = np.linspace(0.0, 2.0, 32).astype("float32")

    def batches():
        for start in (0, 16):
            yield x[start : start + 16], y[start : start + 16], sw[start : start + 16]

    a = _compiled()
    a.fit(batches(), verbose=0)
    b = _compiled()
    b.fit(x, y, sample_weight=sw, batch_size=16, shuffle=False, verbose=0)
    _assert_weights_close(a.get_weights(), b.get_weights())
    c = _compiled()
    c.fit(x, y, batch_size=16, shuffle=False, verbose=0)
    assert not np.allclose(c.get_weights()[0], a.get_weights()[0], atol=1e-6)


def test_fit_sample_weight_scales_the_gradient():
    # With plain SGD, weights of 2 on every sample are the same as twice the rate.
    x, y = _data()
    a = _compiled(optimizer=optimizers.SGD(learning_rate=0.05))
    a.fit(x, y, sample_weight=np.full(64, 2.0, "float32"), batch_size=64, shuffle=False, verbose=0)
    b = _compiled(optimizer=optimizers.SGD(learning_rate=0.1))
    b.fit(x, y, batch_size=64, shuffle=False, verbose=0)
    _assert_weights_close(a.get_weights(), b.get_weights())


def test_fit_class_weight_equals_the_matching_sample_weight():
    x, y = _data()
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    a = _compiled()
    a.fit(x, y, class_weight=class_weight, batch_size=16, shuffle=False, verbose=0)
    b = _compiled()
    sw = np.array([class_weight[int(c)] for c in y], "float32")
    b.fit(x, y, sample_weight=sw, batch_size=16, shuffle=False, verbose=0)
    _assert_weights_close(a.get_weights(), b.get_weights())
    c = _compiled()
    c.fit(x, y, batch_size=16, shuffle=False, verbose=0)
    assert not np.allclose(c.get_weights()[0], a.get_weights()[0], atol=1e-6)


def test_fit_validation_split_holds_out_the_last_samples():
    x, y = _data()
    a = _compiled()
    history = a.fit(x, y, validation_split=0.25, batch_size=16, shuffle=False, verbose=0)
    b = _compiled()
    b.fit(x[:48], y[:48], batch_size=16, shuffle=False, verbose=0)
    _assert_weights_close(a.get_weights(), b.get_weights())
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    val_loss, val_accuracy = a.evaluate(x[48:], y[48:], verbose=0)
    np.testing.assert_allclose(history.history["val_loss"][0], val_loss, rtol=1e-5)
    assert history.history["val_accuracy"][0] == pytest.approx(val_accuracy)


def test_fit_validation_data_is_evaluated_every_validation_freq_epochs():
    x, y = _data()
    xv, yv = _data(n=20, seed=5)
    model = _compiled()
    recorded = []
    history = model.fit(
        x,
        y,
        validation_data=(xv, yv),
        validation_freq=2,
        epochs=4,
        batch_size=16,
        verbose=0,
        callbacks=[
            callbacks.LambdaCallback(
                on_epoch_end=lambda epoch, logs: recorded.append(
                    (epoch, model.evaluate(xv, yv, verbose=0))
                )
            )
        ],
    )
    assert len(history.history["loss"]) == 4
    assert len(history.history["val_loss"]) == len(history.history["val_accuracy"]) == 2
    for index, epoch in enumerate((1, 3)):
        val_loss, val_accuracy = recorded[epoch][1]
        np.testing.assert_allclose(history.history["val_loss"][index], val_loss, rtol=1e-5)
        assert history.history["val_accuracy"][index] == pytest.approx(val_accuracy)


def test_fit_validation_data_with_sample_weights():
    x, y = _data()
    xv, yv = _data(n=20, seed=5)
    swv = np.linspace(0.0, 1.0, 20).astype("float32")
    model = _compiled()
    history = model.fit(x, y, validation_data=(xv, yv, swv), batch_size=16, verbose=0)
    weighted = model.evaluate(xv, yv, sample_weight=swv, verbose=0)
    plain = model.evaluate(xv, yv, verbose=0)
    np.testing.assert_allclose(history.history["val_loss"][0], weighted[0], rtol=1e-5)
    assert abs(weighted[0] - plain[0]) > 1e-4


def test_fit_initial_epoch_resumes_numbering():
    x, y = _data()
    model = _compiled()
    seen = []
    history = model.fit(
        x,
        y,
        epochs=3,
        initial_epoch=1,
        batch_size=32,
        verbose=0,
        callbacks=[callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: seen.append(e))],
    )
    assert seen == [1, 2]
    assert history.epoch == [1, 2]
    assert len(history.history["loss"]) == 2


def test_fit_steps_per_epoch_limits_array_steps():
    x, y = _data()
    a = _compiled()
    history = a.fit(x, y, batch_size=16, steps_per_epoch=1, shuffle=False, verbose=0)
    assert history.params["steps"] == 1
    b = _compiled()
    b.fit(x[:16], y[:16], batch_size=16, shuffle=False, verbose=0)
    _assert_weights_close(a.get_weights(), b.get_weights())


def test_fit_shuffle_false_is_deterministic_across_identical_runs():
    def run():
        model = heft.Sequential(
            [
                layers.Dense(
                    8,
                    activation="relu",
                    input_shape=(4,),
                    kernel_initializer=initializers.GlorotUniform(seed=11),
                ),
                layers.Dropout(0.3, seed=12),
                layers.Dense(
                    3, activation="softmax", kernel_initializer=initializers.GlorotUniform(seed=13)
                ),
            ]
        )
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(*_data(n=40), batch_size=8, epochs=2, shuffle=False, verbose=0)
        return model.get_weights()

    first, second = run(), run()
    _assert_weights_equal(first, second)


@pytest.mark.parametrize("seed_model", ["add_weight", "weight_property"])
def test_fit_seed_programs_models_learn(seed_model):
    rng = np.random.default_rng(0)
    x = rng.random((224, 784)).astype("float32")
    y = np.argmax((x - 0.5) @ rng.normal(size=(784, 10)), axis=1).astype("int32")
    if seed_model == "add_weight":

        class CustomLayer(layers.Layer):
            def __init__(self, units=32, input_dim=32):
                super().__init__()
                self.w = self.add_weight(
                    shape=(input_dim, units), initializer="random_normal", trainable=True
                )
                self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

            def call(self, inputs):
                return heft.ops.matmul(inputs, self.w) + self.b

        model = heft.keras.Sequential(
            [CustomLayer(64, input_dim=784), layers.Activation("relu"), layers.Dense(10)]
        )
        loss = heft.losses.SparseCategoricalCrossentropy(from_logits=True)
    else:
        model = heft.models.Sequential(
            [
                layers.Dense(64, input_shape=(784,), activation="relu"),
                layers.Dense(10, activation="softmax"),
            ]
        )
        loss = "sparse_categorical_crossentropy"
    model.build((None, 784))
    # Seeded starting weights and no shuffling: the run is the same every time.
    model.set_weights([rng.normal(0.0, 0.05, w.shape).astype("float32") for w in model.weights])
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    history = model.fit(x, y, epochs=10, batch_size=32, shuffle=False, verbose=0)
    losses, accuracy = history.history["loss"], history.history["accuracy"]
    assert all(np.isfinite(losses))
    assert all(later < earlier for earlier, later in itertools.pairwise(losses))
    assert losses[-1] < 0.9 * losses[0]
    assert accuracy[-1] > accuracy[0] + 0.15


# ---------------------------------------------------------------- the step's semantics


def _linear(kernel, **dense_kwargs):
    """A one-layer linear model with the given kernel (no bias)."""
    model = heft.Sequential(
        [
            layers.Dense(
                kernel.shape[1], use_bias=False, input_shape=(kernel.shape[0],), **dense_kwargs
            )
        ]
    )
    model.set_weights([kernel])
    return model


def _linear_data():
    x = np.array([[1.0, 2.0], [-1.0, 0.5], [0.5, -1.5], [2.0, 1.0]], "float32")
    y = np.array([[1.0], [0.0], [-1.0], [2.0]], "float32")
    return x, y


def _mse_grad(x, y, kernel):
    return 2.0 / (x.shape[0] * y.shape[1]) * x.T @ (x @ kernel - y)


def test_fit_adds_regularization_losses_to_the_loss():
    x, y = _linear_data()
    kernel = np.array([[0.5], [-0.3]], "float32")
    model = _linear(kernel, kernel_regularizer=heft.regularizers.L2(0.1))
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
    history = model.fit(x, y, batch_size=4, verbose=0)
    mse = np.mean((x @ kernel - y) ** 2)
    np.testing.assert_allclose(history.history["loss"][0], mse + 0.1 * np.sum(kernel**2), rtol=1e-5)
    expected = kernel - 0.1 * (_mse_grad(x, y, kernel) + 0.2 * kernel)
    np.testing.assert_allclose(model.get_weights()[0], expected, rtol=1e-5)


def test_fit_adds_losses_from_add_loss_in_call():
    class Penalized(layers.Layer):
        def call(self, x):
            self.add_loss(0.5 * heft.ops.sum(x**2) / 4.0)
            return x

    x, y = _linear_data()
    kernel = np.array([[0.5], [-0.3]], "float32")
    model = heft.Sequential([layers.Dense(1, use_bias=False, input_shape=(2,)), Penalized()])
    model.set_weights([kernel])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
    history = model.fit(x, y, batch_size=4, verbose=0)
    pred = x @ kernel
    expected = np.mean((pred - y) ** 2) + 0.5 * np.sum(pred**2) / 4.0
    np.testing.assert_allclose(history.history["loss"][0], expected, rtol=1e-5)


def test_fit_applies_constraints_after_the_update():
    x, y = _linear_data()
    kernel = np.array([[-1.0], [0.4]], "float32")
    model = _linear(kernel, kernel_constraint="non_neg")
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
    assert model.get_weights()[0][0, 0] == -1.0  # not applied before any step
    model.fit(x, y, batch_size=4, verbose=0)
    updated = kernel - 0.1 * _mse_grad(x, y, kernel)
    # The unconstrained update leaves one entry negative and one positive.
    assert updated[0, 0] < 0 < updated[1, 0]
    np.testing.assert_allclose(model.get_weights()[0], np.maximum(updated, 0.0), rtol=1e-5)


def test_fit_sets_overwrite_with_gradient_variables_to_their_gradient():
    class Scaled(layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(
                shape=(), initializer="ones", overwrite_with_gradient=True, name="scale"
            )

        def call(self, x):
            return x * self.scale

    x, y = _linear_data()
    kernel = np.array([[0.5], [-0.3]], "float32")
    model = heft.Sequential([layers.Dense(1, use_bias=False, input_shape=(2,)), Scaled()])
    model.set_weights([kernel, np.float32(1.0)])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
    model.fit(x, y, batch_size=4, verbose=0)
    pred = x @ kernel
    grad_scale = np.mean(2.0 * (pred - y) * pred)
    new_kernel, new_scale = model.get_weights()
    np.testing.assert_allclose(new_scale, grad_scale, rtol=1e-5)
    np.testing.assert_allclose(new_kernel, kernel - 0.1 * _mse_grad(x, y, kernel), rtol=1e-5)


def test_fit_keeps_non_trainable_updates():
    x, y = _data(n=40)
    model = heft.Sequential(
        [layers.Dense(8, input_shape=(4,)), CallCounter(), layers.Dense(3, activation="softmax")]
    )
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    counter = model.layers[1].count
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)  # 5 steps per epoch
    assert float(counter.numpy()) == 10.0
    model.predict(x, verbose=0)  # not training: no count
    assert float(counter.numpy()) == 10.0
    model.fit(x, y, batch_size=16, verbose=0)  # 2 full batches and a partial one
    assert float(counter.numpy()) == 13.0


def test_fit_dropout_is_active_in_fit_and_not_in_predict():
    x, y = _data(n=32)
    model = heft.Sequential(
        [
            layers.Dense(8, activation="relu", input_shape=(4,)),
            layers.Dropout(0.5, seed=3),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=optimizers.SGD(learning_rate=0.0), loss="sparse_categorical_crossentropy"
    )
    seed_state = model.layers[1].seed_generator.state
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    # The generator's state (a non-trainable update) advanced once per step.
    np.testing.assert_array_equal(seed_state.numpy(), [3, 4])
    eval_loss = model.evaluate(x, y, verbose=0)
    assert abs(history.history["loss"][0] - eval_loss) > 1e-3
    assert abs(history.history["loss"][1] - history.history["loss"][0]) > 1e-4
    np.testing.assert_array_equal(seed_state.numpy(), [3, 4])
    first, second = model.predict(x, verbose=0), model.predict(x, verbose=0)
    np.testing.assert_array_equal(first, second)
    k1, b1, k2, b2 = model.get_weights()
    logits = np.maximum(x @ k1 + b1, 0.0) @ k2 + b2
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(first, expected, rtol=1e-5, atol=1e-6)


def test_fit_weights_are_current_inside_callbacks_and_after_fit():
    x, y = _data()
    model = _compiled()
    recorder = BatchRecorder()
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[recorder])
    kernels = recorder.kernels
    assert len(kernels) == 8
    for before, after in itertools.pairwise(kernels):
        assert not np.array_equal(before, after)
    np.testing.assert_array_equal(kernels[-1], model.get_weights()[0])
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), model.get_weights()[0])


def test_fit_variables_hold_the_final_values_after_fit():
    x, y = _data()
    model = _compiled()
    weights_before = model.get_weights()
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    after = model.get_weights()
    assert not np.array_equal(after[0], weights_before[0])
    # Predicting with the variables' values by hand agrees with predict.
    k1, b1, k2, b2 = after
    logits = np.maximum(x @ k1 + b1, 0.0) @ k2 + b2
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    assert int(model.optimizer.iterations.numpy()) == 8


# ---------------------------------------------------------------- the fast path


class _PerBatch(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append(batch)


def test_fit_steps_per_execution_gives_the_same_results():
    # Automatic K (measured on the first epoch), four steps per dispatch, and one
    # step per dispatch (forced by a per-batch hook) train identically.
    x, y = _data(n=100)  # twelve batches of eight and a partial one of four
    runs = []
    per_batch = _PerBatch()
    for compile_kwargs, extra in (({}, []), ({"steps_per_execution": 4}, []), ({}, [per_batch])):
        model = _compiled(optimizer="adam", **compile_kwargs)
        history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0, callbacks=extra)
        runs.append((model, history))
        assert int(model.optimizer.iterations.numpy()) == 39
    (auto, h_auto), *others = runs
    for model, history in others:
        _assert_weights_close(auto.get_weights(), model.get_weights())
        np.testing.assert_allclose(h_auto.history["loss"], history.history["loss"], rtol=1e-6)
        np.testing.assert_allclose(
            h_auto.history["accuracy"], history.history["accuracy"], rtol=1e-6
        )
    assert per_batch.seen == list(range(13)) * 3


def test_fit_does_not_retrace_between_epochs_or_fits():
    TRACES.clear()
    x, y = _data(n=100)
    model = heft.Sequential(
        [
            layers.Input(shape=(4,)),
            CountingDense(8, name="counting"),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    after_first = TRACES["counting"]
    assert after_first >= 1
    model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert TRACES["counting"] == after_first


def test_fit_does_not_retrace_with_a_fixed_steps_per_execution():
    TRACES.clear()
    x, y = _data(n=64)
    model = heft.Sequential(
        [layers.Input(shape=(4,)), CountingDense(3, name="counting"), layers.Activation("softmax")]
    )
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", steps_per_execution=4)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    after_first = TRACES["counting"]
    model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert TRACES["counting"] == after_first
    assert int(model.optimizer.iterations.numpy()) == 32


def test_fit_batch_hook_receives_every_batch_index():
    x, y = _data(n=100)
    model = _compiled()
    recorder = BatchRecorder()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[recorder])
    assert recorder.ends == list(range(13)) * 2
    assert recorder.begins == list(range(13)) * 2


def test_fit_epoch_hooks_run_once_per_epoch_on_the_fast_path():
    x, y = _data(n=100)
    model = _compiled()
    epochs = []
    model.fit(
        x,
        y,
        batch_size=4,
        epochs=3,
        verbose=0,
        callbacks=[callbacks.LambdaCallback(on_epoch_end=lambda e, logs: epochs.append((e, logs)))],
    )
    assert [e for e, _ in epochs] == [0, 1, 2]
    assert all(set(logs) == {"loss", "accuracy"} for _, logs in epochs)
    assert int(model.optimizer.iterations.numpy()) == 75


def test_fit_epoch_tail_runs_as_one_scan_with_the_same_results():
    # 28 full batches with 10 steps per dispatch: 10, 10, then a tail scan of 8.
    x, y = _data(n=28 * 8)
    runs = []
    for compile_kwargs, extra in (({"steps_per_execution": 10}, []), ({}, [_PerBatch()])):
        model = _compiled(optimizer="adam", **compile_kwargs)
        history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0, callbacks=extra)
        assert int(model.optimizer.iterations.numpy()) == 56
        runs.append((model, history))
    (scanned, h_scanned), (single, h_single) = runs
    compiled_lengths = {n for plan in scanned._plans for n in plan.chunks}
    assert compiled_lengths == {10, 8}
    _assert_weights_close(scanned.get_weights(), single.get_weights())
    np.testing.assert_allclose(h_scanned.history["loss"], h_single.history["loss"], rtol=1e-6)


def test_fit_chunk_helpers_pick_divisors_and_tails():
    from heft.training._dispatch import chunk_length as _chunk_length
    from heft.training._dispatch import near_divisor as _near_divisor

    assert _near_divisor(1875, 57) == 75
    assert _near_divisor(1000, 64) == 50
    assert _near_divisor(997, 50) == 50  # a prime: no divisor near, keep k
    assert _chunk_length(75, 200) == 75
    assert _chunk_length(75, 30) == 30
    assert _chunk_length(75, 5) == 1


def test_fit_convolution_models_keep_one_step_per_dispatch_on_cpu():
    from heft._platform import convolves_on_cpu as _convolves_on_cpu

    conv = jax.jit(lambda x, w: jax.lax.conv_general_dilated(x, w, (1, 1), "VALID"))
    dense = jax.jit(lambda x, w: x @ w)
    x4, w4 = jnp.ones((1, 1, 5, 5)), jnp.ones((1, 1, 3, 3))
    assert _convolves_on_cpu(conv, (x4, w4)) is (jax.default_backend() == "cpu")
    assert _convolves_on_cpu(dense, (jnp.ones((2, 3)), jnp.ones((3, 4)))) is False
    x = np.random.default_rng(0).normal(size=(64, 6, 6, 1)).astype("float32")
    y = np.zeros(64, "int64")
    model = heft.Sequential(
        [
            layers.Input((6, 6, 1)),
            layers.Conv2D(2, 3),
            layers.Flatten(),
            layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    plans = [plan for plan in model._plans if plan.k is not None]
    assert plans and all(plan.k == 1 and not plan.chunks for plan in plans)
