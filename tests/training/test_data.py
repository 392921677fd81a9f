"""What ``fit``/``evaluate``/``predict`` accept as data, and the errors for data that cannot train."""

import numpy as np
import pytest

import heft
from heft import callbacks, initializers, layers, optimizers


def _data(n=24, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = rng.integers(0, 3, n).astype("int32")
    return x, y


def _model(loss="sparse_categorical_crossentropy"):
    model = heft.Sequential(
        [
            layers.Dense(
                3,
                activation="softmax",
                input_shape=(4,),
                kernel_initializer=initializers.GlorotUniform(seed=4),
            )
        ]
    )
    model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss=loss)
    return model


def _snapshot(model):
    """The model's weights and the optimizer's variables (its step count at least)."""
    return [np.array(w) for w in model.get_weights()] + [
        np.array(v.numpy()) for v in model.optimizer.variables
    ]


def _assert_unchanged(model, snapshot):
    # An optimizer built by the failed call only gained zero slots: compare what existed.
    after = _snapshot(model)
    n_weights = len(model.get_weights())
    assert len(after) >= len(snapshot)
    for a, b in zip(snapshot, after[: len(snapshot)], strict=True):
        np.testing.assert_array_equal(a, b)
    for slot in after[len(snapshot) :]:
        assert not np.any(slot)
    assert int(model.optimizer.iterations.numpy()) == int(snapshot[n_weights])


# ---------------------------------------------------------------- bad input: clear errors, no step


@pytest.mark.parametrize(
    ("make_args", "match"),
    [
        (lambda x, y: (x, y[:10]), r"Data cardinality is ambiguous in `fit`.*y sizes: \[10\]"),
        # An extra trailing axis of 1 is squeezed (as Keras); of 2 it is an error.
        (lambda x, y: (np.stack([x, x], -1), y), "Invalid input shape for input 0"),
        (lambda x, y: (x[:, :3], y), "expected axis -1 of input shape to have value 4"),
        (
            lambda x, y: (x, np.zeros((24, 5), "float32")),
            "`target` and `output` must have the same shape",
        ),
        (
            lambda x, y: (x, None),
            "received inputs `x` but no targets `y`, and `compile` was given a",
        ),
        (lambda x, y: (None, None), "`fit` needs data"),
    ],
    ids=["lengths", "rank", "features", "label_shape", "no_targets", "no_data"],
)
def test_fit_bad_input_raises_before_any_step(make_args, match):
    x, y = _data()
    model = _model()
    model.fit(x, y, batch_size=8, verbose=0)  # built, with optimizer slots
    snapshot = _snapshot(model)
    bad_x, bad_y = make_args(x, y)
    with pytest.raises(ValueError, match=match):
        model.fit(bad_x, bad_y, batch_size=8, verbose=0)
    _assert_unchanged(model, snapshot)


def test_fit_integer_labels_with_categorical_crossentropy_raise():
    x, y = _data()
    model = _model(loss="categorical_crossentropy")
    snapshot = _snapshot(model)
    with pytest.raises(ValueError, match="use `sparse_categorical_crossentropy` instead"):
        model.fit(x, y, verbose=0)
    _assert_unchanged(model, snapshot)


def test_fit_sample_weight_of_another_length_raises():
    x, y = _data()
    model = _model()
    snapshot = _snapshot(model)
    with pytest.raises(ValueError, match=r"sample_weight sizes: \[5\]"):
        model.fit(x, y, sample_weight=np.ones(5, "float32"), verbose=0)
    _assert_unchanged(model, snapshot)


def test_fit_class_weight_errors():
    x, y = _data()
    model = _model()
    snapshot = _snapshot(model)
    with pytest.raises(ValueError, match=r"no entry for classes \[2\]"):
        model.fit(x, y, class_weight={0: 1.0, 1: 2.0}, verbose=0)
    with pytest.raises(ValueError, match="`class_weight` needs targets"):
        model.fit(x, class_weight={0: 1.0}, verbose=0)
    with pytest.raises(ValueError, match="single output"):
        model.fit(x, [y, y], class_weight={0: 1.0, 1: 1.0, 2: 1.0}, verbose=0)
    _assert_unchanged(model, snapshot)


def test_fit_rejects_sample_weight_and_class_weight_together():
    x, y = _data()
    model = _model()
    snapshot = _snapshot(model)
    with pytest.raises(
        ValueError, match=r"`sample_weight` and `class_weight`|`class_weight` and `sample_weight`"
    ):
        model.fit(
            x,
            y,
            sample_weight=np.ones(24, "float32"),
            class_weight={0: 1.0, 1: 1.0, 2: 1.0},
            verbose=0,
        )
    _assert_unchanged(model, snapshot)


@pytest.mark.parametrize(
    ("split", "match"),
    [(1.5, "between 0 and 1"), (0.99, "leaves no training or no validation samples")],
)
def test_fit_bad_validation_split_raises(split, match):
    x, y = _data()
    model = _model()
    snapshot = _snapshot(model)
    with pytest.raises(ValueError, match=match):
        model.fit(x, y, validation_split=split, verbose=0)
    _assert_unchanged(model, snapshot)


def test_fit_generator_errors():
    x, y = _data()
    model = _model()
    snapshot = _snapshot(model)

    def pairs():
        yield x[:8], y[:8]

    with pytest.raises(ValueError, match="`validation_split` is only supported for array inputs"):
        model.fit(pairs(), validation_split=0.2, verbose=0)
    with pytest.raises(ValueError, match="`y` must not be given"):
        model.fit(pairs(), y, verbose=0)
    with pytest.raises(ValueError, match="must contain targets"):
        model.fit((x[i : i + 8] for i in (0, 8)), verbose=0)
    with pytest.raises(ValueError, match="tuple of length 4"):
        model.fit(iter([(x[:8], y[:8], None, None)]), verbose=0)
    with pytest.raises(ValueError, match="produced no batches"):
        model.fit(iter([]), verbose=0)
    _assert_unchanged(model, snapshot)


def test_fit_exhausted_generator_on_a_later_epoch_replays_its_first_batches_as_keras():
    # Keras peeks two batches of a generator and replays them once it has ended:
    # epoch 1 trains on all three batches, epoch 2 on the two peeked ones, and warns.
    x, y = _data()
    model = _model()
    batches = ((x[i : i + 8], y[i : i + 8]) for i in (0, 8, 16))
    with pytest.warns(UserWarning, match="Your input ran out of data"):
        history = model.fit(batches, epochs=2, verbose=0)
    assert history.epoch == [0, 1]
    assert int(model.optimizer.iterations.numpy()) == 5


def test_evaluate_and_predict_data_errors():
    x, y = _data()
    model = _model()
    with pytest.raises(ValueError, match="`evaluate` needs targets"):
        model.evaluate(x, verbose=0)
    with pytest.raises(ValueError, match="`evaluate` received no data"):
        model.evaluate(iter([]), verbose=0)
    with pytest.raises(ValueError, match="`evaluate` needs data"):
        model.evaluate(None, verbose=0)
    with pytest.raises(ValueError, match="`y` must not be given to `evaluate`"):
        model.evaluate(iter([(x, y)]), y, verbose=0)
    with pytest.raises(ValueError, match="`predict` received no data"):
        model.predict(iter([]), verbose=0)
    with pytest.raises(ValueError, match=r"Data cardinality is ambiguous in `evaluate`"):
        model.evaluate(x, y[:3], verbose=0)


# ---------------------------------------------------------------- NaN loss


def test_terminate_on_nan_stops_cleanly_and_checkpoint_keeps_the_last_good_weights(tmp_path):
    x, y = _data(n=8)
    bad = np.full_like(x, np.nan)
    drawn = []

    def batches():
        while True:
            # Epoch 0 is clean; the loss turns NaN at the third batch of epoch 1.
            drawn.append(len(drawn))
            yield (bad if len(drawn) == 7 else x), y

    model = _model()
    path = tmp_path / "best.weights.h5"
    after_epoch = []
    history = model.fit(
        batches(),
        steps_per_epoch=4,
        epochs=5,
        verbose=0,
        callbacks=[
            callbacks.TerminateOnNaN(),
            callbacks.ModelCheckpoint(
                path, monitor="loss", save_best_only=True, save_weights_only=True
            ),
            callbacks.LambdaCallback(
                on_epoch_end=lambda epoch, logs: after_epoch.append(model.get_weights())
            ),
        ],
    )
    # Training stops with the dispatch holding the NaN step (TerminateOnNaN is
    # chunk-safe): here the epoch's last three batches, stacked into one dispatch
    # after its first. No later dispatch runs (the prefetch may draw batches ahead).
    assert int(model.optimizer.iterations.numpy()) == 8
    assert history.epoch == [0, 1]
    assert np.isfinite(history.history["loss"][0])
    assert np.isnan(history.history["loss"][1])
    assert model.stop_training
    assert np.isnan(model.get_weights()[0]).any()
    restored = _model()
    restored.optimizer.build(restored.trainable_variables)
    restored.load_weights(path)
    for a, b in zip(restored.get_weights(), after_epoch[0], strict=True):
        np.testing.assert_array_equal(a, b)
    assert np.isfinite(restored.get_weights()[0]).all()


def test_terminate_on_nan_stops_an_array_fit(tmp_path):
    x, y = _data(n=32)
    x[20] = np.nan  # the third batch of eight
    model = _model()
    history = model.fit(
        x,
        y,
        batch_size=8,
        epochs=3,
        shuffle=False,
        verbose=0,
        callbacks=[callbacks.TerminateOnNaN()],
    )
    assert history.epoch == [0]
    assert np.isnan(history.history["loss"][0])
    assert int(model.optimizer.iterations.numpy()) <= 4


# ---------------------------------------------------------------- several inputs


class _AddPair(layers.Layer):
    def call(self, inputs):
        return inputs[0] + inputs[1]


def _two_input_model():
    a = heft.Input(shape=(3,), name="a")
    b = heft.Input(shape=(2,), name="b")
    ha = layers.Dense(4, name="da", kernel_initializer=initializers.GlorotUniform(seed=1))(a)
    hb = layers.Dense(4, name="db", kernel_initializer=initializers.GlorotUniform(seed=2))(b)
    out = layers.Dense(1, name="out", kernel_initializer=initializers.GlorotUniform(seed=3))(
        _AddPair()([ha, hb])
    )
    model = heft.Model([a, b], out)
    model.compile(optimizer=optimizers.SGD(learning_rate=0.05), loss="mse")
    return model


def test_fit_lists_and_dicts_of_arrays_for_several_inputs():
    rng = np.random.default_rng(0)
    xa = rng.normal(size=(24, 3)).astype("float32")
    xb = rng.normal(size=(24, 2)).astype("float32")
    y = (xa[:, :1] - xb[:, 1:]).astype("float32")
    as_list = _two_input_model()
    h_list = as_list.fit([xa, xb], y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    as_dict = _two_input_model()
    h_dict = as_dict.fit({"a": xa, "b": xb}, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for p, q in zip(as_list.get_weights(), as_dict.get_weights(), strict=True):
        np.testing.assert_allclose(p, q, rtol=0, atol=1e-6)
    np.testing.assert_allclose(h_list.history["loss"], h_dict.history["loss"], rtol=1e-6)
    assert h_list.history["loss"][1] < h_list.history["loss"][0]
    np.testing.assert_allclose(
        as_list.predict([xa, xb], verbose=0),
        as_dict.predict({"a": xa, "b": xb}, verbose=0),
        rtol=1e-6,
    )
    with pytest.raises(ValueError, match="Data cardinality is ambiguous"):
        as_list.fit([xa, xb[:10]], y, verbose=0)
