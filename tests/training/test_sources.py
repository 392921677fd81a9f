"""fit/evaluate/predict from generators, PyDataset, tf.data, torch and grain loaders."""

import numpy as np
import pytest

import heft
from heft import initializers, layers, optimizers

X = np.random.default_rng(0).normal(size=(48, 4)).astype("float32")
Y = (X.sum(axis=1) > 0).astype("int32")


def _model():
    model = heft.Sequential(
        [
            heft.Input((4,)),
            layers.Dense(2, activation="softmax", kernel_initializer=initializers.GlorotUniform(1)),
        ]
    )
    model.compile(optimizers.SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _reference(epochs=2, **kwargs):
    model = _model()
    model.fit(X, Y, batch_size=8, epochs=epochs, shuffle=False, verbose=0, **kwargs)
    return model.get_weights()


def _close(model, expected):
    for a, b in zip(model.get_weights(), expected, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


class Batches(heft.utils.PyDataset):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.epochs_ended = 0

    def __len__(self):
        return 6

    def __getitem__(self, i):
        return X[i * 8 : (i + 1) * 8], Y[i * 8 : (i + 1) * 8]

    def on_epoch_end(self):
        self.epochs_ended += 1


@pytest.mark.parametrize(
    "kwargs", [{}, {"workers": 3, "max_queue_size": 2}, {"workers": 2, "use_multiprocessing": True}]
)
def test_fit_py_dataset_matches_arrays(kwargs):
    model, ds = _model(), Batches(**kwargs)
    history = model.fit(ds, epochs=2, shuffle=False, verbose=0)
    _close(model, _reference())
    assert history.params["steps"] == 6
    assert ds.epochs_ended == 2


def test_fit_py_dataset_shuffle_visits_every_batch_once():
    seen = []

    class Logged(Batches):
        def __getitem__(self, i):
            seen.append(i)
            return super().__getitem__(i)

    _model().fit(Logged(), epochs=1, verbose=0)
    assert sorted(seen) == list(range(6))


def test_fit_torch_tf_and_grain_loaders_match_arrays():
    torch = pytest.importorskip("torch")
    tf = pytest.importorskip("tensorflow")
    grain = pytest.importorskip("grain")
    expected = _reference()
    loaders = [
        torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(Y)), batch_size=8
        ),
        tf.data.Dataset.from_tensor_slices((X, Y)).batch(8),
        grain.MapDataset.source(list(zip(X, Y, strict=True))).batch(8),
    ]
    for loader in loaders:
        model = _model()
        model.fit(loader, epochs=2, shuffle=False, verbose=0)
        _close(model, expected)
        np.testing.assert_allclose(model.predict(loader, verbose=0), model.predict(X, verbose=0))


def test_fit_generator_class_weight_and_validation_sources():
    weights = {0: 0.5, 1: 2.0}

    def gen():
        for i in range(6):
            yield X[i * 8 : (i + 1) * 8], Y[i * 8 : (i + 1) * 8]

    model = _model()
    history = model.fit(gen(), class_weight=weights, validation_data=Batches(), verbose=0)
    _close(model, _reference(epochs=1, class_weight=weights))
    assert history.history["val_loss"][0] == pytest.approx(model.evaluate(X, Y, verbose=0)[0])


def test_fit_generator_smaller_last_batch_and_prefetch_order():
    def gen():
        for i in range(0, 48, 10):
            yield X[i : i + 10], Y[i : i + 10]

    model = _model()
    model.fit(gen(), verbose=0)
    ref = _model()
    ref.fit(X, Y, batch_size=10, shuffle=False, verbose=0)
    _close(model, ref.get_weights())


def test_fit_generator_inconsistent_batches_name_the_batch():
    def structure():
        yield X[:8], Y[:8]
        yield X[8:16], Y[8:16]
        yield X[16:24], Y[16:24], np.ones(8, "float32")

    def rank():
        yield X[:8], Y[:8]
        yield X[8:16, :, None], Y[8:16]

    with pytest.raises(ValueError, match="batch 2 is"):
        _model().fit(structure(), verbose=0)
    with pytest.raises(ValueError, match=r"array 0 of batch 1 has shape \(8, 4, 1\)"):
        _model().fit(rank(), verbose=0)


def test_fit_dataset_with_y_or_sample_weight_is_an_error():
    with pytest.raises(ValueError, match="When providing `x` as a PyDataset, `y` should not"):
        _model().fit(Batches(), Y, verbose=0)
    with pytest.raises(ValueError, match="`sample_weights` should not be passed"):
        _model().fit(Batches(), sample_weight=np.ones(48), verbose=0)
    with pytest.raises(ValueError, match="class_weight` and `sample_weight` at the same time"):
        _model().fit(
            iter([(X[:8], Y[:8], np.ones(8, "float32"))]), class_weight={0: 1.0}, verbose=0
        )


def test_fit_generator_steps_per_epoch_ran_out_warns():
    def gen():
        for i in range(3):
            yield X[i * 8 : (i + 1) * 8], Y[i * 8 : (i + 1) * 8]

    model = _model()
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(gen(), steps_per_epoch=2, epochs=2, verbose=0)
    assert history.epoch == [0, 1]
    assert int(model.optimizer.iterations.numpy()) == 3


def test_fit_generator_stacked_groups_match_arrays(monkeypatch):
    # Batches are trained a group per dispatch (stacked on the host): the result
    # must equal one batch per step, including a smaller last batch and a
    # remainder that does not fill a group.
    from heft.training import _runner

    monkeypatch.setattr(_runner, "_ITERABLE_GROUP", 2)

    def gen():
        for i in range(0, 48, 5):  # 9 batches of 5 and one of 3
            yield X[i : i + 5], Y[i : i + 5], np.linspace(0.5, 1.5, 5)[: len(X[i : i + 5])]

    model = _model()
    history = model.fit(gen(), verbose=0)
    ref = _model()
    sw = np.concatenate([np.linspace(0.5, 1.5, 5)[: len(X[i : i + 5])] for i in range(0, 48, 5)])
    ref_history = ref.fit(X, Y, sample_weight=sw, batch_size=5, shuffle=False, verbose=0)
    _close(model, ref.get_weights())
    for key, values in ref_history.history.items():
        assert history.history[key] == pytest.approx(values, abs=1e-6)


def test_prefetcher_stacks_groups_aligned_and_in_order():
    from heft.training import _sources

    batches = [(X[i : i + 4], {"a": Y[i : i + 4], "b": None}) for i in range(0, 40, 4)]
    batches.append((X[40:43], {"a": Y[40:43], "b": None}))  # another shape ends the group

    started = __import__("threading").Event()

    def raw():
        started.wait(10)
        yield from batches

    prefetch = _sources.Prefetcher(raw(), lambda b: b)
    prefetch.set_group(3)
    started.set()
    items = list(prefetch)
    prefetch.close()
    # Three full groups, the tenth batch padded to a group of 3, the odd batch alone.
    assert [kind for kind, _ in items] == ["stack"] * 4 + ["one"]
    flat = []
    for kind, item in items:
        if kind == "stack":
            (x, y), count = item
            assert x.shape == (3, 4, 4) and y["b"] is None
            assert x.unsafe_buffer_pointer() % 64 == 0
            assert not np.asarray(x[count:]).any()  # the padding is zeros
            flat += [(x[j], y["a"][j]) for j in range(count)]
        else:
            flat.append((item[0], item[1]["a"]))
    for (x, y), (ex, ey) in zip(flat, batches, strict=True):
        np.testing.assert_array_equal(x, ex)
        np.testing.assert_array_equal(y, ey["a"])


def test_prefetcher_waits_for_the_group_before_preparing_more():
    from heft.training import _sources

    batches = [(X[i : i + 4], Y[i : i + 4]) for i in range(0, 44, 4)]  # 11 batches
    prefetch = _sources.Prefetcher(iter(batches), lambda b: b, grouped=True)
    kind, first = next(iter(prefetch))
    assert kind == "one"
    np.testing.assert_array_equal(first[0], X[:4])
    # Nothing more is prepared until the group is decided, so every epoch groups alike.
    assert prefetch._queue.empty()
    prefetch.set_group(4)
    rest = list(prefetch)
    prefetch.close()
    assert [kind for kind, _ in rest] == ["stack"] * 3
    assert [count for _, (_, count) in rest] == [4, 4, 2]
    np.testing.assert_array_equal(rest[-1][1][0][0][1], X[40:44])
