"""Preprocessing layers in real Keras 3 and in heft: adapted state, configs and outputs."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import heft

RNG = np.random.default_rng(0)
FEATURES = RNG.normal(2.0, 3.0, size=(20, 3, 4)).astype("float32")


class _Indexed:
    """A PyDataset-like object: batches by index."""

    def __init__(self, x, size):
        self.x, self.size = x, size

    def __len__(self):
        return len(self.x) // self.size

    def __getitem__(self, i):
        return self.x[i * self.size : (i + 1) * self.size], None


class _KerasIndexed(keras.utils.PyDataset):
    def __init__(self, x, size):
        super().__init__()
        self.x, self.size = x, size

    def __len__(self):
        return len(self.x) // self.size

    def __getitem__(self, i):
        return self.x[i * self.size : (i + 1) * self.size], None


def _both(name, *args, **kwargs):
    return getattr(keras.layers, name)(*args, **kwargs), getattr(heft.layers, name)(*args, **kwargs)


@pytest.mark.parametrize("axis", [-1, None, (1, 2), 1])
@pytest.mark.parametrize("source", ["array", "list", "generator", "indexed", "tf"])
def test_normalization_adapt_matches(axis, source):
    theirs, ours = _both("Normalization", axis=axis)
    if source == "array":
        make = lambda: FEATURES  # noqa: E731
    elif source == "list":
        make = lambda: [FEATURES[:7], FEATURES[7:]]  # noqa: E731
    elif source == "generator":
        make = lambda: (FEATURES[i : i + 6] for i in range(0, 20, 6))  # noqa: E731
    elif source == "indexed":
        if axis != -1:
            pytest.skip("one axis suffices")
        ours.adapt(_Indexed(FEATURES, 5))
        theirs.adapt(_KerasIndexed(FEATURES, 5))
        make = None
    else:
        tf = pytest.importorskip("tensorflow")
        make = lambda: tf.data.Dataset.from_tensor_slices(FEATURES).batch(6)  # noqa: E731
    if make is not None:
        theirs.adapt(make())
        ours.adapt(make())
    for t, o in zip(theirs.weights, ours.weights, strict=True):
        assert t.name == o.name and t.dtype == o.dtype and tuple(t.shape) == tuple(o.shape)
        assert t.trainable == o.trainable is False
        np.testing.assert_allclose(np.asarray(o.numpy()), np.asarray(t.numpy()), rtol=1e-5)
    x = FEATURES[:2]
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), rtol=1e-5, atol=1e-6)
    assert ours.get_config() | {"name": 0} == theirs.get_config() | {"name": 0}


@pytest.mark.parametrize("invert", [False, True])
def test_normalization_given_statistics(invert):
    kwargs = {"axis": (1, 2), "mean": [1.0, 2.0, 3.0, 4.0], "variance": [1.0, 4.0, 9.0, 0.0]}
    theirs, ours = _both("Normalization", invert=invert, **kwargs)
    x = FEATURES[:3]
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), rtol=1e-6)
    assert ours.weights == [] and theirs.weights == []
    assert ours.get_config() | {"name": 0} == theirs.get_config() | {"name": 0}


def test_normalization_model_archive_both_ways(tmp_path):
    for lib, other, name in ((keras, heft, "k.keras"), (heft, keras, "h.keras")):
        inputs = lib.Input((3, 4))
        norm = lib.layers.Normalization(axis=(1, 2))
        norm.adapt(FEATURES)
        model = lib.Model(inputs, lib.layers.Dense(2)(norm(inputs)))
        model.save(tmp_path / name)
        loaded = other.saving.load_model(tmp_path / name)
        np.testing.assert_allclose(
            np.asarray(loaded.predict(FEATURES[:4], verbose=0)),
            np.asarray(model.predict(FEATURES[:4], verbose=0)),
            rtol=1e-5,
            atol=1e-6,
        )


def test_normalization_bad_input_errors_as_keras():
    theirs, ours = _both("Normalization")
    ours.adapt(FEATURES)
    before = [np.asarray(w.numpy()).copy() for w in ours.weights]
    with pytest.raises(TypeError):
        ours.adapt(np.array([["a", "b", "c", "d"]]))
    with pytest.raises(ValueError, match="empty"):
        ours.adapt(np.zeros((0, 3, 4), "float32"))
    with pytest.raises(ValueError, match="empty"):
        ours.adapt(iter([]))
    with pytest.raises(ValueError, match="empty"):
        theirs.adapt(iter([]))
    with pytest.raises(ValueError, match="incompatible"):
        ours.adapt(np.zeros((2, 3, 5), "float32"))
    for w, b in zip(ours.weights, before, strict=True):
        np.testing.assert_array_equal(np.asarray(w.numpy()), b)
    theirs.adapt(FEATURES)
    strings = np.array([["a", "b", "c", "d"]] * 3)[None]
    with pytest.raises(ValueError):
        theirs(strings)
    with pytest.raises(ValueError, match="takes numbers"):
        ours(strings)
