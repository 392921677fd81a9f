"""Freezing and unfreezing between ``fit`` calls, without ``compile()`` again."""

import collections

import numpy as np

import heft
from heft import initializers, layers, optimizers

TRACES = collections.Counter()


class CountingDense(layers.Layer):
    """A bias-free dense layer counting how often its ``call`` runs in Python (traces)."""

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
        TRACES[id(self)] += 1
        return heft.ops.relu(heft.ops.matmul(x, self.kernel))


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = np.argmax(x @ rng.normal(size=(4, 3)), axis=1).astype("int32")
    return x, y


def _model(**compile_kwargs):
    model = heft.Sequential(
        [
            layers.Input(shape=(4,)),
            CountingDense(6, name="base"),
            layers.Dense(
                3,
                activation="softmax",
                name="head",
                kernel_initializer=initializers.GlorotUniform(seed=7),
            ),
        ]
    )
    model.compile(
        optimizer=optimizers.Adam(learning_rate=0.01),
        loss="sparse_categorical_crossentropy",
        **compile_kwargs,
    )
    return model


def _traces(model):
    return TRACES[id(model.get_layer("base"))]


def _optimizer_values(model):
    return {v.path: np.array(v.numpy()) for v in model.optimizer.variables}


def _slots_of(values, layer_name):
    return {k: v for k, v in values.items() if f"_{layer_name}_" in k}


def test_freeze_keeps_frozen_weights_and_one_new_trace():
    x, y = _data()
    model = _model(steps_per_execution=4)
    model.fit(x, y, batch_size=8, shuffle=False, verbose=0)
    traces = _traces(model)
    base = model.get_layer("base")
    base.trainable = False
    frozen_kernel = np.array(base.kernel.numpy())
    head_before = [np.array(w) for w in model.get_layer("head").get_weights()]
    base_slots = _slots_of(_optimizer_values(model), "base")
    assert base_slots  # Adam's momentum and velocity of the base kernel

    model.fit(x, y, batch_size=8, shuffle=False, verbose=0)
    assert _traces(model) == traces + 1
    np.testing.assert_array_equal(base.kernel.numpy(), frozen_kernel)
    for path, value in _slots_of(_optimizer_values(model), "base").items():
        np.testing.assert_array_equal(value, base_slots[path])
    for before, after in zip(head_before, model.get_layer("head").get_weights(), strict=True):
        assert not np.array_equal(before, after)
    assert int(model.optimizer.iterations.numpy()) == 16

    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert _traces(model) == traces + 1  # the frozen configuration is reused
    np.testing.assert_array_equal(base.kernel.numpy(), frozen_kernel)

    base.trainable = True
    model.fit(x, y, batch_size=8, shuffle=False, verbose=0)
    assert not np.array_equal(base.kernel.numpy(), frozen_kernel)
    assert _traces(model) <= traces + 2
    assert int(model.optimizer.iterations.numpy()) == 40


def test_freeze_keeps_the_optimizer_state_of_the_variables_still_trained():
    # One step after freezing the base gives the head exactly the update it gets
    # when nothing is frozen: its Adam slots and the step count carry on.
    x, y = _data()
    frozen, reference = _model(), _model()
    for model in (frozen, reference):
        model.fit(x, y, batch_size=16, shuffle=False, verbose=0)
    for a, b in zip(frozen.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    frozen.get_layer("base").trainable = False
    base_before = np.array(frozen.get_layer("base").kernel.numpy())
    frozen_values = _optimizer_values(frozen)
    for model in (frozen, reference):
        model.fit(x[:16], y[:16], batch_size=16, shuffle=False, verbose=0)

    f_head = frozen.get_layer("head").get_weights()
    r_head = reference.get_layer("head").get_weights()
    for a, b in zip(f_head, r_head, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    after_f = _optimizer_values(frozen)
    after_r = _optimizer_values(reference)
    f_slots, r_slots = _slots_of(after_f, "head"), _slots_of(after_r, "head")
    assert len(f_slots) == len(r_slots) == 4
    for (fk, fv), (rk, rv) in zip(sorted(f_slots.items()), sorted(r_slots.items()), strict=True):
        assert fk.split("_head_")[-1] == rk.split("_head_")[-1]
        np.testing.assert_allclose(fv, rv, rtol=1e-6, atol=1e-8)
    assert int(frozen.optimizer.iterations.numpy()) == 5
    # The frozen base kept its weights and its slots; the reference's base moved.
    np.testing.assert_array_equal(frozen.get_layer("base").kernel.numpy(), base_before)
    for path, value in _slots_of(after_f, "base").items():
        np.testing.assert_array_equal(value, frozen_values[path])
    assert not np.array_equal(reference.get_layer("base").kernel.numpy(), base_before)


def test_freeze_a_single_variable_between_fits():
    x, y = _data()
    model = _model()
    model.fit(x, y, batch_size=16, verbose=0)
    head = model.get_layer("head")
    head.kernel.trainable = False
    kernel = np.array(head.kernel.numpy())
    bias = np.array(head.bias.numpy())
    base = np.array(model.get_layer("base").kernel.numpy())
    model.fit(x, y, batch_size=16, verbose=0)
    np.testing.assert_array_equal(head.kernel.numpy(), kernel)
    assert not np.array_equal(head.bias.numpy(), bias)
    assert not np.array_equal(model.get_layer("base").kernel.numpy(), base)


def test_freeze_after_compile_before_the_first_fit():
    x, y = _data()
    model = _model()
    model.get_layer("head").trainable = False
    head = [np.array(w) for w in model.get_layer("head").get_weights()]
    base = np.array(model.get_layer("base").kernel.numpy())
    model.fit(x, y, batch_size=16, verbose=0)
    for before, after in zip(head, model.get_layer("head").get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)
    assert not np.array_equal(model.get_layer("base").kernel.numpy(), base)
    # Unfreezing later adds the head's slots and trains it.
    model.get_layer("head").trainable = True
    model.fit(x, y, batch_size=16, verbose=0)
    assert not np.array_equal(model.get_layer("head").kernel.numpy(), head[0])
    assert _slots_of(_optimizer_values(model), "head")
