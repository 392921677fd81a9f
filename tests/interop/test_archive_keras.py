""".keras archives move both ways between heft and real Keras 3: configs, weights, optimizer."""

import json
import os
import zipfile

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import heft

X = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
Y = np.random.default_rng(1).normal(size=(4, 2)).astype("float32")
IMAGES = np.random.default_rng(2).normal(size=(4, 6, 6, 2)).astype("float32")


@pytest.fixture(autouse=True)
def _fresh_keras_names():
    keras.utils.clear_session()
    yield


def _two_dense(lib):
    class TwoDense(lib.Model):
        def __init__(self, units=4, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.hidden = lib.layers.Dense(units, activation="relu")
            self.out = lib.layers.Dense(2)

        def call(self, x):
            return self.out(self.hidden(x))

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return lib.saving.register_keras_serializable(package="interop", name="TwoDense")(TwoDense)


KerasTwoDense = _two_dense(keras)
HeftTwoDense = _two_dense(heft)


def _sequential(lib):
    return lib.Sequential(
        [
            lib.layers.Input((3,)),
            lib.layers.Dense(4, activation="relu"),
            lib.layers.Dropout(0.2),
            lib.layers.Dense(2),
        ]
    )


def _functional(lib):
    x = lib.Input((3,), name="x")
    a = lib.layers.Dense(4, name="a")(x)
    a = lib.layers.BatchNormalization(name="bn")(a)
    b = lib.layers.Dense(4, activation="tanh", name="b")(x)
    h = lib.layers.Concatenate(name="cat")([lib.layers.Add(name="add")([a, b]), b])
    return lib.Model(x, lib.layers.Dense(2, name="out")(h), name="func")


def _conv(lib):
    x = lib.Input((6, 6, 2), name="img")
    h = lib.layers.Conv2D(3, 3, padding="same", activation="relu", name="conv")(x)
    h = lib.layers.BatchNormalization(name="bn")(h)
    h = lib.layers.MaxPooling2D(2, name="pool")(h)
    h = lib.layers.LayerNormalization(name="ln")(h)
    h = lib.layers.Flatten(name="flat")(h)
    return lib.Model(x, lib.layers.Dense(2, name="out")(h), name="convnet")


def _subclassed(lib):
    model = (KerasTwoDense if lib is keras else HeftTwoDense)(name="two")
    model(X)
    return model


MAKERS = {"sequential": _sequential, "functional": _functional, "subclassed": _subclassed}


def _data(kind):
    return IMAGES if kind == "conv" else X


def _trained(lib, kind):
    model = {**MAKERS, "conv": _conv}[kind](lib)
    model.compile(optimizer=lib.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    model.fit(_data(kind), Y, epochs=1, batch_size=4, verbose=0)
    return model


def _config(path):
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("config.json"))


def _without_sharing_ids(value):
    if isinstance(value, dict):
        return {k: _without_sharing_ids(v) for k, v in value.items() if k != "shared_object_id"}
    if isinstance(value, list):
        return [_without_sharing_ids(v) for v in value]
    return value


@pytest.mark.parametrize("kind", ["sequential", "functional", "subclassed", "conv"])
def test_keras_archive_loads_in_heft(tmp_path, kind):
    original = _trained(keras, kind)
    original.save(tmp_path / "k.keras")
    loaded = heft.models.load_model(tmp_path / "k.keras")
    data = _data(kind)
    np.testing.assert_allclose(
        loaded.predict(data, verbose=0), original.predict(data, verbose=0), rtol=1e-5, atol=1e-6
    )
    assert loaded.compiled and type(loaded.optimizer).__name__ == "Adam"
    assert loaded.optimizer.get_config()["learning_rate"] == pytest.approx(0.01)
    theirs = [np.asarray(v) for v in original.optimizer.variables]
    ours = [v.numpy() for v in loaded.optimizer.variables]
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)
    assert int(loaded.optimizer.iterations.numpy()) == 1


@pytest.mark.parametrize("kind", ["sequential", "functional", "subclassed", "conv"])
def test_heft_archive_loads_in_keras(tmp_path, kind):
    original = _trained(heft, kind)
    original.save(tmp_path / "h.keras")
    loaded = keras.saving.load_model(tmp_path / "h.keras")
    data = _data(kind)
    np.testing.assert_allclose(
        loaded.predict(data, verbose=0), original.predict(data, verbose=0), rtol=1e-5, atol=1e-6
    )
    theirs = [np.asarray(v) for v in loaded.optimizer.variables]
    ours = [v.numpy() for v in original.optimizer.variables]
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)
    assert int(loaded.optimizer.iterations) == 1
    assert loaded.compiled and loaded.loss == "mse"


def test_heft_sequential_config_equals_keras(tmp_path):
    for lib, name in ((keras, "k.keras"), (heft, "h.keras")):
        model = _sequential(lib)
        model.compile(optimizer=lib.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
        model.save(tmp_path / name)
    ours, theirs = _config(tmp_path / "h.keras"), _config(tmp_path / "k.keras")
    assert ours == _without_sharing_ids(theirs)
    for name in ("h.keras", "k.keras"):
        with zipfile.ZipFile(tmp_path / name) as zf:
            infos = zf.infolist()
            metadata = json.loads(zf.read("metadata.json"))
        assert [i.filename for i in infos] == ["metadata.json", "config.json", "model.weights.h5"]
        assert {i.compress_type for i in infos} == {zipfile.ZIP_STORED}
        assert sorted(metadata) == ["date_saved", "keras_version"]


def test_heft_subclassed_config_matches_keras_form(tmp_path):
    _trained(keras, "subclassed").save(tmp_path / "k.keras")
    _trained(heft, "subclassed").save(tmp_path / "h.keras")
    ours, theirs = _config(tmp_path / "h.keras"), _config(tmp_path / "k.keras")
    assert ours["registered_name"] == theirs["registered_name"] == "interop>TwoDense"
    assert ours["config"] == theirs["config"]
    assert ours["compile_config"] == theirs["compile_config"]
    assert sorted(ours) == sorted(theirs)


def test_heft_functional_config_top_level_matches_keras(tmp_path):
    _functional(keras).save(tmp_path / "k.keras")
    _functional(heft).save(tmp_path / "h.keras")
    ours, theirs = _config(tmp_path / "h.keras"), _config(tmp_path / "k.keras")
    for key in ("module", "class_name", "registered_name", "build_config", "compile_config"):
        assert ours[key] == theirs[key], key


def test_keras_archive_weights_load_into_heft_model(tmp_path):
    original = _trained(keras, "functional")
    original.save(tmp_path / "k.keras")
    model = _functional(heft)
    report = model.load_weights(tmp_path / "k.keras")
    assert report.loaded == len(model.weights)
    np.testing.assert_allclose(
        model.predict(X, verbose=0), original.predict(X, verbose=0), rtol=1e-5, atol=1e-6
    )


def test_keras_archive_without_compile(tmp_path):
    original = _trained(keras, "sequential")
    original.save(tmp_path / "k.keras")
    loaded = heft.models.load_model(tmp_path / "k.keras", compile=False)
    assert not getattr(loaded, "compiled", False)
    np.testing.assert_allclose(
        loaded.predict(X, verbose=0), original.predict(X, verbose=0), rtol=1e-5, atol=1e-6
    )


def _sequence_model(lib):
    tokens = lib.Input((5,), dtype="int32", name="tokens")
    h = lib.layers.Embedding(10, 4, name="emb")(tokens)
    h = lib.layers.LSTM(3, return_sequences=True, name="lstm")(h)
    h = lib.layers.MultiHeadAttention(2, 2, name="mha")(h, h)
    h = lib.layers.GlobalAveragePooling1D(name="gap")(h)
    return lib.Model(tokens, lib.layers.Dense(2, name="out")(h), name="seqnet")


@pytest.mark.parametrize(("writer", "reader"), [(keras, heft), (heft, keras)])
def test_sequence_layers_archive_both_ways(tmp_path, writer, reader):
    tokens = np.array([[1, 2, 3, 0, 0], [4, 5, 6, 7, 8], [1, 1, 0, 0, 0], [9, 8, 7, 6, 5]])
    tokens = tokens.astype("int32")
    original = _sequence_model(writer)
    original.compile(optimizer="adam", loss="mse")
    original.fit(tokens, Y, epochs=1, batch_size=4, verbose=0)
    original.save(tmp_path / "m.keras")
    loaded = reader.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(
        loaded.predict(tokens, verbose=0),
        original.predict(tokens, verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )
    saved = [np.asarray(v) for v in original.optimizer.variables]
    restored = [np.asarray(v) for v in loaded.optimizer.variables]
    assert len(saved) == len(restored)
    for a, b in zip(saved, restored, strict=True):
        np.testing.assert_array_equal(a, b)
