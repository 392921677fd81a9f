"""``split_dataset`` and ``timeseries_dataset_from_array`` give Keras's samples, batches and order."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import heft


def _heft_batches(ds):
    return [ds[i] for i in range(len(ds))]


def _keras_batches(ds):
    return list(ds.as_numpy_iterator())


def _assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        if isinstance(x, tuple):
            for u, v in zip(x, y, strict=True):
                np.testing.assert_array_equal(u, v)
        else:
            np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sequence_length": 10, "sequence_stride": 3, "sampling_rate": 2, "batch_size": 8},
        {"sequence_length": 4, "batch_size": 5, "start_index": 7, "end_index": 60},
        {"sequence_length": 5, "batch_size": None, "sequence_stride": 11},
    ],
)
@pytest.mark.parametrize("with_targets", [True, False])
def test_timeseries_dataset_matches_keras(kwargs, with_targets):
    data = np.arange(99 * 2, dtype="float32").reshape(99, 2)
    targets = np.arange(99) * 10 if with_targets else None
    ours = heft.utils.timeseries_dataset_from_array(data, targets, **kwargs)
    theirs = keras.utils.timeseries_dataset_from_array(data, targets, **kwargs)
    _assert_same(_heft_batches(ours), _keras_batches(theirs))


def test_timeseries_dataset_errors_match_keras():
    data = np.zeros((10, 1))
    for kwargs in ({"start_index": 20}, {"sampling_rate": 0}, {"sequence_stride": 10}):
        with pytest.raises(ValueError) as theirs:
            keras.utils.timeseries_dataset_from_array(data, None, 3, **kwargs)
        with pytest.raises(ValueError) as ours:
            heft.utils.timeseries_dataset_from_array(data, None, 3, **kwargs)
        assert str(ours.value).split(".")[0] == str(theirs.value).split(".")[0]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"left_size": 0.7},
        {"right_size": 4},
        {"left_size": 5, "right_size": 0.25},
        {"left_size": 0.5, "shuffle": True, "seed": 3},
    ],
)
def test_split_dataset_matches_keras(kwargs):
    x = np.arange(40, dtype="float32").reshape(20, 2)
    y = np.arange(20)
    ours = heft.utils.split_dataset((x, y), **kwargs)
    theirs = keras.utils.split_dataset((x, y), **kwargs)
    for o, t in zip(ours, theirs, strict=True):
        _assert_same(_heft_batches(o), _keras_batches(t))


def test_split_dataset_errors_match_keras():
    for kwargs, error in (
        ({}, ValueError),
        ({"left_size": 30}, ValueError),
        ({"left_size": "a"}, TypeError),
    ):
        with pytest.raises(error) as theirs:
            keras.utils.split_dataset(np.zeros((20, 2)), **kwargs)
        with pytest.raises(error) as ours:
            heft.utils.split_dataset(np.zeros((20, 2)), **kwargs)
        assert str(ours.value)[:40] == str(theirs.value)[:40]


def test_timeseries_dataset_trains_a_model():
    data = np.random.default_rng(0).normal(size=(60, 3)).astype("float32")
    ds = heft.utils.timeseries_dataset_from_array(data[:-5], data[5:, 0], 5, batch_size=16)
    model = heft.Sequential([heft.Input((5, 3)), heft.layers.Flatten(), heft.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(ds, epochs=2, verbose=0, shuffle=False)
    assert len(history.history["loss"]) == 2 and history.params["steps"] == len(ds)
