"""Tests for the legacy ``.h5`` weights format (Keras 2 layout)."""

import h5py
import numpy as np
import pytest

import heft
from heft import layers
from heft.saving import _legacy_h5, load_weights, save_weights

# The same layer names in every model, so files match by name too.
NAMES = ("dense", "dropout", "dense_1")


class WithOwn(heft.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(2, name="d")
        self.gain = self.add_weight(shape=(2,), initializer="ones", name="gain")

    def call(self, x):
        return self.dense(x) * self.gain


def test_save_weights_legacy_layout(tmp_path, h5_structure, mlp):
    path = tmp_path / "m.h5"
    save_weights(mlp(names=NAMES), path)
    with h5py.File(path, "r") as f:
        assert list(f.attrs["layer_names"]) == [b"dense", b"dropout", b"dense_1"]
        assert f.attrs["backend"] == "jax"
        assert f.attrs["keras_version"] == f"heft {heft.__version__}"
        assert list(f["dense"].attrs["weight_names"]) == [
            b"sequential/dense/kernel",
            b"sequential/dense/bias",
        ]
        assert list(f["dropout"].attrs["weight_names"]) == []
        assert list(f["top_level_model_weights"].attrs["weight_names"]) == []
    datasets = [(row[0], row[2]) for row in h5_structure(path) if row[1] == "dataset"]
    assert datasets == [
        ("dense/sequential/dense/bias", (4,)),
        ("dense/sequential/dense/kernel", (3, 4)),
        ("dense_1/sequential/dense_1/bias", (2,)),
        ("dense_1/sequential/dense_1/kernel", (4, 2)),
    ]


def test_load_weights_legacy_round_trip_by_position(tmp_path, mlp, weights_of):
    source = mlp(names=NAMES, seed=0)
    path = tmp_path / "m.h5"
    save_weights(source, path)
    model = mlp(seed=1, names=("a", "b", "c"))
    report = load_weights(model, path)
    assert report.ok and report.loaded == 4 and report.format == "legacy h5"
    assert weights_of(model) == weights_of(source)


def test_load_weights_legacy_hdf5_suffix_and_bfloat16(tmp_path, weights_of):
    model = heft.Sequential([layers.Input((3,)), layers.Dense(2, dtype="bfloat16")])
    path = tmp_path / "m.hdf5"
    save_weights(model, path)
    with h5py.File(path, "r") as f:
        assert f["dense/sequential/dense/kernel"].dtype == np.float32
    other = heft.Sequential([layers.Input((3,)), layers.Dense(2, dtype="bfloat16")])
    load_weights(other, path)
    assert weights_of(other) == weights_of(model)


def test_load_weights_legacy_own_weights_round_trip(tmp_path, weights_of):
    source = WithOwn()
    source(np.ones((1, 3), "float32"))
    source.gain.assign([2.0, 3.0])
    path = tmp_path / "m.h5"
    save_weights(source, path)
    with h5py.File(path, "r") as f:
        assert list(f["top_level_model_weights"].attrs["weight_names"]) == [
            source.gain.path.encode()
        ]
    model = WithOwn()
    model(np.ones((1, 3), "float32"))
    load_weights(model, path)
    np.testing.assert_array_equal(model.gain.numpy(), [2.0, 3.0])
    assert weights_of(model) == weights_of(source)


def test_load_weights_legacy_missing_top_level_group_fails(tmp_path):
    source = WithOwn()
    source(np.ones((1, 3), "float32"))
    path = tmp_path / "m.h5"
    save_weights(source, path)
    with h5py.File(path, "a") as f:
        del f["top_level_model_weights"]
    model = WithOwn()
    model(np.ones((1, 3), "float32"))
    with pytest.raises(ValueError, match=r"1 variable\(s\) missing from the file"):
        load_weights(model, path)


def test_load_weights_legacy_descends_into_model_weights(tmp_path, mlp, weights_of):
    source = mlp(names=NAMES, seed=0)
    flat = tmp_path / "flat.h5"
    save_weights(source, flat)
    full = tmp_path / "full.h5"
    with h5py.File(flat, "r") as src, h5py.File(full, "w") as dst:
        dst.attrs["model_config"] = "{}"
        src.copy(src["/"], dst, "model_weights")
        for key, value in src.attrs.items():
            dst["model_weights"].attrs[key] = value
    model = mlp(names=NAMES, seed=1)
    assert load_weights(model, full).loaded == 4
    assert weights_of(model) == weights_of(source)


def test_load_weights_legacy_by_name_skips_absent_layers(tmp_path, mlp, weights_of):
    source = mlp(names=NAMES, seed=0)
    path = tmp_path / "m.h5"
    save_weights(source, path)
    model = heft.Sequential(
        [layers.Dense(4, input_shape=(3,), name="dense"), layers.Dense(2, name="other")]
    )
    before = weights_of(model)
    report = load_weights(model, path, by_name=True)
    assert report.loaded == 2
    assert [e.variable for e in report.skipped] == [w.path for w in model.layers[1].weights]
    assert "no layer named 'other' in the file" in report.skipped[0].detail
    assert [e.key for e in report.unexpected] == [
        "dense_1/sequential/dense_1/bias",
        "dense_1/sequential/dense_1/kernel",
    ]
    after = weights_of(model)
    assert after[:2] == weights_of(source)[:2] and after[2:] == before[2:]


def test_load_weights_legacy_by_name_with_no_common_names_raises(tmp_path, mlp):
    path = tmp_path / "m.h5"
    save_weights(mlp(names=NAMES), path)
    model = mlp(names=("x", "y", "z"))
    with pytest.raises(ValueError, match=r"none of its layer names \['x', 'z'\] is in the file"):
        load_weights(model, path, by_name=True)


def test_load_weights_legacy_layer_count_mismatch_raises(tmp_path, mlp, weights_of):
    path = tmp_path / "m.h5"
    save_weights(mlp(names=NAMES), path)
    model = heft.Sequential([layers.Dense(2, input_shape=(3,))])
    before = weights_of(model)
    with pytest.raises(
        ValueError, match=r"the model has 1 layer\(s\) with weights but the file has 2"
    ):
        load_weights(model, path)
    assert weights_of(model) == before


def test_load_weights_legacy_shape_mismatch_changes_nothing(tmp_path, mlp, weights_of):
    path = tmp_path / "m.h5"
    save_weights(mlp(names=NAMES, hidden=5, seed=0), path)
    model = mlp(names=NAMES, hidden=4, seed=1)
    before = weights_of(model)
    with pytest.raises(
        ValueError, match=r"dense/sequential/dense/kernel -> .*shape differs: the file has \(3, 5\)"
    ):
        load_weights(model, path)
    assert weights_of(model) == before


def test_load_weights_legacy_weight_count_mismatch_and_skip(tmp_path, weights_of):
    source = heft.Sequential([layers.Dense(4, input_shape=(3,), use_bias=False), layers.Dense(2)])
    path = tmp_path / "m.h5"
    save_weights(source, path)
    model = heft.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"has 2 weight\(s\) but the file's group 'dense' lists 1"):
        load_weights(model, path)
    with pytest.warns(UserWarning, match=r"skipped 2 variable"):
        report = load_weights(model, path, skip_mismatch=True)
    assert report.loaded == 2
    assert weights_of(model)[2:] == weights_of(source)[1:]


def test_load_weights_legacy_rejects_keras_3_layout(tmp_path, mlp):
    path = tmp_path / "m.weights.h5"
    save_weights(mlp(names=NAMES), path)
    renamed = tmp_path / "m.h5"
    path.rename(renamed)
    with pytest.raises(
        ValueError, match=r"is not a legacy Keras weights file: it has no `layer_names`"
    ):
        load_weights(mlp(names=NAMES), renamed)


def test_load_weights_legacy_listed_layer_without_group_is_damage(tmp_path, mlp):
    path = tmp_path / "m.h5"
    save_weights(mlp(names=NAMES), path)
    with h5py.File(path, "a") as f:
        del f["dropout"]
    with pytest.raises(
        ValueError, match=r"lists layer 'dropout' in `layer_names` but has no group"
    ):
        load_weights(mlp(names=NAMES), path)


def test_save_weights_legacy_duplicate_layer_names_raise(tmp_path):
    class Twins(heft.Model):
        def __init__(self):
            super().__init__()
            self.a = layers.Dense(2, name="same")
            self.b = layers.Dense(2, name="same")

        def call(self, x):
            return self.b(self.a(x))

    model = Twins()
    model(np.ones((1, 2), "float32"))
    path = tmp_path / "m.h5"
    with pytest.raises(ValueError, match=r"these names are not unique or reserved: \['same'\]"):
        save_weights(model, path)
    assert not path.exists()


def test_legacy_names_are_chunked_when_too_long(tmp_path, monkeypatch, weights_of):
    monkeypatch.setattr(_legacy_h5, "_HEADER_LIMIT", 60)
    source = heft.Sequential(
        [layers.Input((3,))] + [layers.Dense(3, name=f"a_long_layer_name_{i}") for i in range(4)]
    )
    path = tmp_path / "m.h5"
    save_weights(source, path)
    with h5py.File(path, "r") as f:
        assert "layer_names" not in f.attrs
        assert "layer_names0" in f.attrs and "layer_names1" in f.attrs
        assert _legacy_h5.read_names(f.attrs, "layer_names") == [
            layer.name for layer in source.layers
        ]
    model = heft.Sequential([layers.Input((3,))] + [layers.Dense(3) for _ in range(4)])
    assert load_weights(model, path).loaded == 8
    assert weights_of(model) == weights_of(source)


def test_legacy_name_longer_than_an_attribute_raises(tmp_path, monkeypatch, mlp):
    monkeypatch.setattr(_legacy_h5, "_HEADER_LIMIT", 10)
    path = tmp_path / "m.h5"
    with pytest.raises(ValueError, match=r"longer than the 10 bytes an HDF5 attribute can hold"):
        save_weights(mlp(names=NAMES), path)
    assert not path.exists()
