"""Tests for whole-model ``.keras`` archives: ``save_model``/``load_model``/``Model.save``."""

import json
import os
import shutil
import struct
import warnings
import zipfile

import numpy as np
import pytest

import heft
from heft import layers
from heft.callbacks import ModelCheckpoint
from heft.saving import load_model, load_weights, save_model, save_weights

X = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
Y = np.random.default_rng(1).normal(size=(4, 2)).astype("float32")


@heft.saving.register_keras_serializable(package="archive_tests")
class TwoDense(heft.Model):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = layers.Dense(units, activation="relu")
        self.out = layers.Dense(2)

    def call(self, x):
        return self.out(self.hidden(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class Scaled(layers.Layer):
    """An unregistered custom layer; records safe mode when rebuilt from its config."""

    seen_safe_mode: list = []

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}

    @classmethod
    def from_config(cls, config):
        cls.seen_safe_mode.append(heft.saving.in_safe_mode())
        return super().from_config(config)


def _sequential():
    return heft.Sequential(
        [layers.Input((3,)), layers.Dense(4, activation="relu"), layers.Dense(2)]
    )


def _functional():
    x = heft.Input((3,), name="x")
    h = layers.Dense(4, name="d1")(x)
    h = layers.BatchNormalization(name="bn")(h)
    h = layers.Dropout(0.5, name="drop")(h)
    return heft.Model(x, layers.Dense(2, name="d2")(h), name="func")


def _subclassed():
    model = TwoDense(name="two")
    model(X)
    return model


def _trained(model):
    model.compile(optimizer=heft.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    model.fit(X, Y, epochs=1, batch_size=4, verbose=0)
    return model


def _member_bytes(path, name):
    with zipfile.ZipFile(path) as zf:
        return zf.read(name)


def _rewrite(src, dst, replace=None, extra=(), compression=zipfile.ZIP_STORED):
    """Copy archive ``src`` to ``dst``, replacing members by name and appending ``extra``."""
    replace = replace or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression) as zout:
        for info in zin.infolist():
            if info.filename in replace:
                if replace[info.filename] is not None:
                    zout.writestr(info.filename, replace[info.filename])
            else:
                zout.writestr(info.filename, zin.read(info.filename))
        for name, data in extra:
            zout.writestr(name, data)


def _patch_central_entry(path, member, offset, fmt, value):
    """Overwrite one field of ``member``'s central directory entry."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    start = 0
    while True:
        start = data.index(b"PK\x01\x02", start)
        name_length = struct.unpack_from("<H", data, start + 28)[0]
        if bytes(data[start + 46 : start + 46 + name_length]) == name:
            break
        start += 4
    struct.pack_into(fmt, data, start + offset, value)
    path.write_bytes(bytes(data))


# ------------------------------------------------------------------ writing


def test_save_model_writes_keras_archive_members(tmp_path):
    path = tmp_path / "m.keras"
    _sequential().save(path)
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["metadata.json", "config.json", "model.weights.h5"]
        assert {i.compress_type for i in infos} == {zipfile.ZIP_STORED}
        metadata = json.loads(zf.read("metadata.json"))
        config = json.loads(zf.read("config.json"))
    assert sorted(metadata) == ["date_saved", "keras_version"]
    assert metadata["keras_version"] == "3.15.1"
    assert config["class_name"] == "Sequential" and config["module"] == "keras"
    assert config["build_config"] == {"input_shape": [None, 3]}
    assert config["compile_config"] == {}
    assert [entry["class_name"] for entry in config["config"]["layers"]] == [
        "InputLayer",
        "Dense",
        "Dense",
    ]


def test_save_model_weights_member_has_the_weights_h5_layout(tmp_path, h5_structure):
    model = _trained(_functional())
    model.save(tmp_path / "m.keras")
    (tmp_path / "inner.weights.h5").write_bytes(
        _member_bytes(tmp_path / "m.keras", "model.weights.h5")
    )
    save_weights(model, tmp_path / "direct.weights.h5")
    inner = h5_structure(tmp_path / "inner.weights.h5")
    assert inner == h5_structure(tmp_path / "direct.weights.h5")
    assert ("optimizer/vars/0", "dataset", (), "<i4", {"checksum": "<xxh3>"}, None, None) in inner


def test_save_model_compile_config_in_keras_form(tmp_path):
    model = _sequential()
    model.compile(
        optimizer="sgd",
        loss=heft.losses.MeanSquaredError(),
        metrics=[heft.metrics.MeanAbsoluteError(), "mse"],
        loss_weights=[np.float32(0.5)],
    )
    model.save(tmp_path / "m.keras")
    compile_config = json.loads(_member_bytes(tmp_path / "m.keras", "config.json"))[
        "compile_config"
    ]
    assert compile_config["optimizer"]["class_name"] == "SGD"
    assert compile_config["loss"]["class_name"] == "MeanSquaredError"
    assert compile_config["loss"]["module"] == "keras.losses"
    assert compile_config["metrics"][0]["class_name"] == "MeanAbsoluteError"
    assert compile_config["metrics"][1] == "mse"
    assert compile_config["loss_weights"] == [0.5]
    assert compile_config["jit_compile"] is True
    assert compile_config["steps_per_execution"] == 1


def test_save_model_writes_module_null_for_main_classes(tmp_path, monkeypatch):
    monkeypatch.setattr(TwoDense, "__module__", "__main__")
    _subclassed().save(tmp_path / "m.keras")
    config = json.loads(_member_bytes(tmp_path / "m.keras", "config.json"))
    assert config["module"] is None
    assert config["registered_name"] == "archive_tests>TwoDense"


def test_save_model_functional_names_keras_module(tmp_path):
    _functional().save(tmp_path / "m.keras")
    config = json.loads(_member_bytes(tmp_path / "m.keras", "config.json"))
    assert config["module"] == "keras.src.models.functional"
    assert config["registered_name"] == "Functional"
    assert config["build_config"] == {"input_shape": None}


def test_save_model_overwrite(tmp_path):
    path = tmp_path / "m.keras"
    save_model(_sequential(), path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match=r"Model file .*m.keras' already exists"):
        save_model(_functional(), path, overwrite=False)
    assert path.read_bytes() == before
    save_model(_functional(), str(path), overwrite=True)
    assert json.loads(_member_bytes(path, "config.json"))["class_name"] == "Functional"
    assert sorted(os.listdir(tmp_path)) == ["m.keras"]


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("m.weights.h5", r"weights-only file: use `model.save_weights\(\)`"),
        ("m.h5", r"weights-only file"),
        ("m.zip", r"must end in `.keras`\. Suffixes"),
    ],
)
def test_save_model_rejects_other_suffixes(tmp_path, name, hint):
    with pytest.raises(ValueError, match=hint + r".*`.keras`: the whole model"):
        save_model(_sequential(), tmp_path / name)
    assert os.listdir(tmp_path) == []


def test_save_model_argument_errors(tmp_path):
    path = tmp_path / "m.keras"
    with pytest.raises(ValueError, match=r"`save_format` argument is not supported"):
        save_model(_sequential(), path, save_format="keras")
    with pytest.raises(ValueError, match=r"argument\(s\) are not supported: \['options'\]"):
        _sequential().save(path, options=None)
    with pytest.raises(ValueError, match=r"zip archives only. Received: zipped=False"):
        _sequential().save(path, zipped=False)
    with pytest.raises(TypeError, match=r"Can only save a heft model"):
        save_model(object(), path)
    with pytest.raises(TypeError, match=r"`overwrite` must be True or False"):
        save_model(_sequential(), path, overwrite=1)
    assert os.listdir(tmp_path) == []


def test_save_model_failure_leaves_nothing(tmp_path):
    class Bad(layers.Layer):
        def call(self, x):
            return x

        def get_config(self):
            return {**super().get_config(), "thing": object()}

    path = tmp_path / "m.keras"
    save_model(_sequential(), path)
    before = path.read_bytes()
    model = heft.Sequential([layers.Input((3,)), Bad()])
    with pytest.raises(TypeError, match=r"cannot be written to JSON"):
        save_model(model, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.keras"]


def test_save_model_unbuilt_model_warns(tmp_path):
    path = tmp_path / "m.keras"
    with pytest.warns(UserWarning, match=r"has not been built yet, so .*holds its config"):
        save_model(heft.Sequential([layers.Dense(2)]), path)
    model = load_model(path)
    assert not model.built and model.weights == []


# ------------------------------------------------------------------ loading


@pytest.mark.parametrize("make", [_sequential, _functional, _subclassed])
def test_load_model_round_trip_with_optimizer_state(tmp_path, make):
    model = _trained(make())
    model.save(tmp_path / "m.keras")
    loaded = heft.models.load_model(tmp_path / "m.keras")
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    assert [v.numpy().tolist() for v in loaded.weights] == [
        v.numpy().tolist() for v in model.weights
    ]
    assert len(loaded.optimizer.variables) == len(model.optimizer.variables)
    for ours, theirs in zip(loaded.optimizer.variables, model.optimizer.variables, strict=True):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert int(loaded.optimizer.iterations.numpy()) == 1
    assert loaded.get_config() == model.get_config()


def test_load_model_continues_training_like_the_original(tmp_path):
    model = _trained(_sequential())
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    for m in (model, loaded):
        m.fit(X, Y, epochs=1, batch_size=4, verbose=0)
    for ours, theirs in zip(loaded.weights, model.weights, strict=True):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)
    assert sorted(loaded.evaluate(X, Y, verbose=0, return_dict=True)) == ["loss", "mae"]


def test_load_model_compiled_untrained_keeps_optimizer_unbuilt(tmp_path):
    model = _sequential()
    model.compile(optimizer="adam", loss="mse")
    model.save(tmp_path / "m.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = load_model(tmp_path / "m.keras")
    assert loaded.compiled and not loaded.optimizer.built
    assert len(loaded.optimizer.variables) == 2


def test_load_model_compile_false(tmp_path):
    _trained(_sequential()).save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras", compile=False)
    assert not getattr(loaded, "compiled", False)
    with pytest.raises(ValueError, match=r"You must call `compile\(\)`"):
        loaded.fit(X, Y, verbose=0)


def test_load_model_custom_objects_for_unregistered_layers(tmp_path):
    model = heft.Sequential([layers.Input((3,)), Scaled(3.0), layers.Dense(2)])
    model.save(tmp_path / "m.keras")
    with pytest.raises(
        ValueError,
        match=r"Cannot rebuild the model saved in .*m.keras.*'Scaled' is not a known layer"
        r".*register_keras_serializable\(\)` or pass it in `custom_objects`",
    ):
        load_model(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras", custom_objects={"Scaled": Scaled})
    assert loaded.layers[0].factor == 3.0
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_load_model_safe_mode_is_active_while_deserializing(tmp_path):
    heft.Sequential([layers.Input((3,)), Scaled()]).save(tmp_path / "m.keras")
    Scaled.seen_safe_mode.clear()
    load_model(tmp_path / "m.keras", custom_objects={"Scaled": Scaled})
    load_model(tmp_path / "m.keras", custom_objects={"Scaled": Scaled}, safe_mode=False)
    with heft.saving.SafeModeScope(True):
        load_model(tmp_path / "m.keras", custom_objects={"Scaled": Scaled}, safe_mode=False)
    heft.config.enable_unsafe_deserialization()
    try:
        load_model(tmp_path / "m.keras", custom_objects={"Scaled": Scaled})
    finally:
        heft.config.disable_unsafe_deserialization()
    # In safe mode `from_config` runs twice: abstractly for the allocation estimate
    # (saving/_allocation.py), then for real.
    assert Scaled.seen_safe_mode == [True, True, False, True, True, False]
    assert heft.saving.in_safe_mode()


def test_load_model_uses_compile_hooks(tmp_path):
    @heft.saving.register_keras_serializable(package="archive_tests")
    class Hooked(heft.Model):
        compile_configs: list = []

        def call(self, x):
            return x

        def get_compile_config(self):
            return {"marker": 7}

        def compile_from_config(self, config):
            Hooked.compile_configs.append(config)

    model = Hooked(name="hooked")
    model(X)
    model.save(tmp_path / "m.keras")
    assert json.loads(_member_bytes(tmp_path / "m.keras", "config.json"))["compile_config"] == {
        "marker": 7
    }
    load_model(tmp_path / "m.keras")
    assert Hooked.compile_configs == [{"marker": 7}]


def test_load_model_custom_compile_warns_and_skips(tmp_path):
    @heft.saving.register_keras_serializable(package="archive_tests")
    class OwnCompile(heft.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

        def compile(self, **kwargs):
            super().compile(**kwargs)

    model = OwnCompile(name="own")
    model(X)
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "m.keras")
    with pytest.warns(UserWarning, match=r"loaded uncompiled: its class overrides `compile\(\)`"):
        loaded = load_model(tmp_path / "m.keras")
    assert not getattr(loaded, "compiled", False)


def test_load_model_argument_errors(tmp_path):
    _sequential().save(tmp_path / "m.keras")
    with pytest.raises(TypeError, match=r"`custom_objects` must be a dict"):
        load_model(tmp_path / "m.keras", custom_objects=[Scaled])
    with pytest.raises(TypeError, match=r"`compile` must be True or False"):
        load_model(tmp_path / "m.keras", compile="yes")
    with pytest.raises(TypeError, match=r"`safe_mode` must be True or False"):
        load_model(tmp_path / "m.keras", safe_mode=None)
    with pytest.raises(ValueError, match=r"weights-only file: build the model and call"):
        load_model(tmp_path / "m.weights.h5")


def test_load_model_missing_file(tmp_path):
    for kind in (FileNotFoundError, ValueError):
        with pytest.raises(kind, match=r"File not found: filepath=.*nope.keras"):
            load_model(tmp_path / "nope.keras")
    (tmp_path / "d.keras").mkdir()
    with pytest.raises(IsADirectoryError, match=r"is a folder, not a `.keras` archive"):
        load_model(tmp_path / "d.keras")


def test_load_model_not_a_zip(tmp_path):
    (tmp_path / "text.keras").write_text("not a zip at all")
    with pytest.raises(ValueError, match=r"has the `.keras` suffix but is not a zip archive"):
        load_model(tmp_path / "text.keras")
    save_weights(_sequential(), tmp_path / "w.weights.h5")
    shutil.copy(tmp_path / "w.weights.h5", tmp_path / "w.keras")
    with pytest.raises(ValueError, match=r"It is an HDF5 file: .*rename it to end in"):
        load_model(tmp_path / "w.keras")


def test_load_model_truncated_archive(tmp_path):
    path = tmp_path / "m.keras"
    _sequential().save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"archive .*m.keras' is truncated or corrupted"):
        load_model(path)
    assert sorted(os.listdir(tmp_path)) == ["m.keras"]


@pytest.mark.parametrize(
    ("member", "problem"),
    [
        ("../evil.txt", r"member '../evil.txt' climbs out of the archive"),
        ("assets/../../evil.txt", r"climbs out of the archive with '..'"),
        ("/etc/evil.txt", r"member '/etc/evil.txt' has an absolute path"),
        ("C:/evil.txt", r"has an absolute path"),
        ("config.json", r"member 'config.json' appears twice"),
    ],
)
def test_load_model_refuses_unsafe_members(tmp_path, member, problem):
    _sequential().save(tmp_path / "m.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns on the duplicate name
        _rewrite(tmp_path / "m.keras", tmp_path / "bad.keras", extra=[(member, b"x")])
    with pytest.raises(ValueError, match=r"Refusing to read the `.keras` archive .*" + problem):
        load_model(tmp_path / "bad.keras")
    model = _sequential()
    with pytest.raises(ValueError, match=problem):
        model.load_weights(tmp_path / "bad.keras")
    assert sorted(os.listdir(tmp_path)) == ["bad.keras", "m.keras"]


def test_load_model_refuses_sizes_beyond_the_file(tmp_path):
    path = tmp_path / "m.keras"
    _sequential().save(path)
    _patch_central_entry(path, "model.weights.h5", 20, "<L", 0x7FFFFFFF)
    with pytest.raises(ValueError, match=r"declares 2147483647 stored bytes .*beyond the end"):
        load_model(path)


def test_load_model_refuses_stored_size_mismatch_and_huge_declared_config(tmp_path):
    _sequential().save(tmp_path / "m.keras")
    shutil.copy(tmp_path / "m.keras", tmp_path / "s.keras")
    _patch_central_entry(tmp_path / "s.keras", "config.json", 24, "<L", 10)
    with pytest.raises(ValueError, match=r"uncompressed member 'config.json' declares 10 bytes"):
        load_model(tmp_path / "s.keras")
    _rewrite(tmp_path / "m.keras", tmp_path / "z.keras", compression=zipfile.ZIP_DEFLATED)
    _patch_central_entry(tmp_path / "z.keras", "config.json", 24, "<L", 0x7FFFFFFF)
    with pytest.raises(
        ValueError,
        match=r"Refusing to read member 'config.json' of '.*z.keras': it holds 2,147,483,647 "
        r"bytes, more than the limit of 16,777,216 bytes.*limits\(json_bytes=",
    ):
        load_model(tmp_path / "z.keras")


def test_load_model_refuses_encrypted_members(tmp_path):
    path = tmp_path / "m.keras"
    _sequential().save(path)
    _patch_central_entry(path, "config.json", 8, "<H", 1)
    with pytest.raises(ValueError, match=r"member 'config.json' is encrypted"):
        load_model(path)


def test_load_model_corrupted_weights_fail_crc(tmp_path):
    path = tmp_path / "m.keras"
    _sequential().save(path)
    data = bytearray(path.read_bytes())
    data[-400] ^= 0xFF  # inside model.weights.h5, before the zip directory
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"member 'model.weights.h5' fails its CRC-32 check"):
        load_model(path)


def test_load_model_missing_members(tmp_path):
    _sequential().save(tmp_path / "m.keras")
    _rewrite(tmp_path / "m.keras", tmp_path / "a.keras", replace={"config.json": None})
    with pytest.raises(ValueError, match=r"has no 'config.json' member \(it holds"):
        load_model(tmp_path / "a.keras")
    _rewrite(tmp_path / "m.keras", tmp_path / "b.keras", replace={"model.weights.h5": None})
    with pytest.raises(ValueError, match=r"has no 'model.weights.h5' member"):
        load_model(tmp_path / "b.keras")
    _rewrite(
        tmp_path / "m.keras",
        tmp_path / "c.keras",
        replace={"model.weights.h5": None},
        extra=[("model.weights.npz", b"")],
    )
    with pytest.raises(ValueError, match=r"stores its weights as 'model.weights.npz'"):
        load_model(tmp_path / "c.keras")


def test_load_model_bad_config_member(tmp_path):
    _sequential().save(tmp_path / "m.keras")
    _rewrite(tmp_path / "m.keras", tmp_path / "a.keras", replace={"config.json": b"{nope"})
    with pytest.raises(ValueError, match=r"Member 'config.json' of .* is not valid JSON"):
        load_model(tmp_path / "a.keras")
    _rewrite(tmp_path / "m.keras", tmp_path / "b.keras", replace={"config.json": b"[1, 2]"})
    with pytest.raises(ValueError, match=r"is not a serialized model"):
        load_model(tmp_path / "b.keras")
    _rewrite(tmp_path / "m.keras", tmp_path / "c.keras", replace={"model.weights.h5": b"junk"})
    with pytest.raises(ValueError, match=r"'model.weights.h5' of .* is not a readable HDF5"):
        load_model(tmp_path / "c.keras")


def test_load_model_weights_mismatch_is_all_or_nothing(tmp_path):
    _sequential().save(tmp_path / "m.keras")
    config = json.loads(_member_bytes(tmp_path / "m.keras", "config.json"))
    config["config"]["layers"][2]["config"]["units"] = 5
    _rewrite(
        tmp_path / "m.keras", tmp_path / "b.keras", replace={"config.json": json.dumps(config)}
    )
    with pytest.raises(ValueError, match=r"layers/dense_1/vars/0.*shape differs"):
        load_model(tmp_path / "b.keras")


def test_load_model_reads_deflated_archives(tmp_path):
    model = _trained(_functional())
    model.save(tmp_path / "m.keras")
    _rewrite(tmp_path / "m.keras", tmp_path / "z.keras", compression=zipfile.ZIP_DEFLATED)
    loaded = load_model(tmp_path / "z.keras")
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


# ------------------------------------------------------------------ load_weights, callbacks


def test_load_weights_from_keras_archive(tmp_path):
    model = _trained(_sequential())
    model.save(tmp_path / "m.keras")
    fresh = _sequential()
    report = fresh.load_weights(tmp_path / "m.keras", dry_run=True)
    assert report.ok and report.format == "keras" and report.dry_run
    assert "m.keras/model.weights.h5" in report.filepath
    assert not np.array_equal(fresh.predict(X, verbose=0), model.predict(X, verbose=0))
    report = load_weights(fresh, tmp_path / "m.keras")
    assert report.loaded == 4
    assert {e.key.split("/")[0] for e in report.unexpected} == {"optimizer"}
    np.testing.assert_array_equal(fresh.predict(X, verbose=0), model.predict(X, verbose=0))
    with pytest.raises(ValueError, match=r"`by_name=True` only applies to legacy"):
        load_weights(fresh, tmp_path / "m.keras", by_name=True)


def test_save_weights_refuses_keras_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"`.keras`: the weights part of .*`model.save\(\)`"):
        save_weights(_sequential(), tmp_path / "m.keras")


def test_model_checkpoint_saves_loadable_archives(tmp_path):
    model = _sequential()
    model.compile(optimizer="sgd", loss="mse")
    checkpoint = ModelCheckpoint(tmp_path / "ckpt-{epoch}.keras", monitor="loss")
    model.fit(X, Y, epochs=2, batch_size=4, verbose=0, callbacks=[checkpoint])
    assert sorted(os.listdir(tmp_path)) == ["ckpt-1.keras", "ckpt-2.keras"]
    loaded = load_model(tmp_path / "ckpt-2.keras")
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    assert int(loaded.optimizer.iterations.numpy()) == 2


def test_load_model_safe_mode_refuses_lambda_bytecode(tmp_path):
    if not hasattr(layers, "Lambda"):
        pytest.skip("heft.layers.Lambda is not available")
    model = heft.Sequential([layers.Input((3,)), layers.Lambda(lambda x: x * 2), layers.Dense(2)])
    model.save(tmp_path / "m.keras")
    with pytest.raises(
        ValueError, match=r"Cannot rebuild the model .*Lambda layer whose `function` is a Python"
    ):
        load_model(tmp_path / "m.keras")
    with heft.saving.SafeModeScope(False):
        inside_scope = load_model(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras", safe_mode=False)
    for other in (loaded, inside_scope):
        np.testing.assert_array_equal(other.predict(X, verbose=0), model.predict(X, verbose=0))


def _local_header_offset(path, member):
    with zipfile.ZipFile(path) as zf:
        return zf.getinfo(member).header_offset


def test_load_model_damaged_local_header(tmp_path):
    path = tmp_path / "m.keras"
    _sequential().save(path)
    shutil.copy(path, tmp_path / "n.keras")
    data = bytearray(path.read_bytes())
    offset = _local_header_offset(path, "model.weights.h5")
    data[offset : offset + 4] = b"XXXX"
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"local header of member 'model.weights.h5' is missing"):
        load_model(path)
    data = bytearray((tmp_path / "n.keras").read_bytes())
    struct.pack_into("<H", data, offset + 28, 0xFFFF)  # a huge extra field
    (tmp_path / "n.keras").write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"is truncated: member 'model.weights.h5' ends past"):
        load_model(tmp_path / "n.keras")


def test_load_model_config_member_fails_crc(tmp_path):
    path = tmp_path / "m.keras"
    _sequential().save(path)
    data = bytearray(path.read_bytes())
    at = data.index(b'"units": 4')
    data[at + 9 : at + 10] = b"5"
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"corrupted: member 'config.json' fails its CRC-32"):
        load_model(path)


def test_load_model_refuses_huge_config_member(tmp_path):
    _sequential().save(tmp_path / "m.keras")
    config = json.loads(_member_bytes(tmp_path / "m.keras", "config.json"))
    config["padding"] = os.urandom(300_000).hex()
    _rewrite(
        tmp_path / "m.keras",
        tmp_path / "big.keras",
        replace={"config.json": json.dumps(config)},
        compression=zipfile.ZIP_DEFLATED,
    )
    _patch_central_entry(tmp_path / "big.keras", "config.json", 24, "<L", 257 << 20)
    with pytest.raises(ValueError, match=r"it holds 269,484,032 bytes, more than the limit"):
        load_model(tmp_path / "big.keras")
    # Past the limit, the header's lie shows when the data ends.
    with (
        heft.saving.limits(json_bytes=300 << 20),
        pytest.raises(
            ValueError, match=r"member 'config.json' holds 6\d\d,\d{3} bytes, not the 269,484,032"
        ),
    ):
        load_model(tmp_path / "big.keras")


@pytest.mark.parametrize("member", ["config.json", "model.weights.h5"])
def test_load_model_stops_at_the_declared_size(tmp_path, member):
    # A header declaring less than its data holds: extraction stops one byte past
    # the declared size instead of trusting the stream.
    _sequential().save(tmp_path / "m.keras")
    _rewrite(tmp_path / "m.keras", tmp_path / "z.keras", compression=zipfile.ZIP_DEFLATED)
    _patch_central_entry(tmp_path / "z.keras", member, 24, "<L", 100)
    with pytest.raises(
        ValueError, match=rf"corrupted: member '{member}' goes on past the 100 bytes its header"
    ):
        load_model(tmp_path / "z.keras")
    assert sorted(os.listdir(tmp_path)) == ["m.keras", "z.keras"]


def test_load_model_corrupted_deflated_weights(tmp_path):
    _sequential().save(tmp_path / "m.keras")
    _rewrite(tmp_path / "m.keras", tmp_path / "z.keras", compression=zipfile.ZIP_DEFLATED)
    data = bytearray((tmp_path / "z.keras").read_bytes())
    start = _local_header_offset(tmp_path / "z.keras", "model.weights.h5") + 100
    for i in range(start, start + 40):
        data[i] ^= 0x5A
    (tmp_path / "z.keras").write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"member 'model.weights.h5' cannot be decompressed"):
        load_model(tmp_path / "z.keras")


def test_load_model_bad_build_config(tmp_path):
    _subclassed().save(tmp_path / "m.keras")
    config = json.loads(_member_bytes(tmp_path / "m.keras", "config.json"))
    config["build_config"] = {"input_shape": "three"}
    _rewrite(
        tmp_path / "m.keras", tmp_path / "b.keras", replace={"config.json": json.dumps(config)}
    )
    with pytest.raises(ValueError, match=r"Cannot read the input shape 'three'"):
        load_model(tmp_path / "b.keras")


def test_load_model_refuses_configs_of_non_layers(tmp_path):
    class Thing:
        @classmethod
        def from_config(cls, config):
            return cls()

    _sequential().save(tmp_path / "m.keras")
    config = {"module": None, "class_name": "Thing", "config": {}, "registered_name": None}
    _rewrite(
        tmp_path / "m.keras", tmp_path / "t.keras", replace={"config.json": json.dumps(config)}
    )
    with pytest.raises(ValueError, match=r"it describes 'Thing', which is not a heft model"):
        load_model(tmp_path / "t.keras", custom_objects={"Thing": Thing})


def test_load_model_keeps_error_subclasses_and_adds_the_file(tmp_path):
    class ConfigProblem(ValueError):
        pass

    class Fragile(Scaled):
        @classmethod
        def from_config(cls, config):
            raise ConfigProblem("fragile refuses")

    heft.Sequential([layers.Input((3,)), Fragile()]).save(tmp_path / "m.keras")
    with pytest.raises(ConfigProblem, match=r"fragile refuses") as info:
        load_model(tmp_path / "m.keras", custom_objects={"Fragile": Fragile})
    assert "Cannot rebuild the model saved in" in str(info.value.__notes__)


@heft.saving.register_keras_serializable(package="archive_tests")
class FixedProjection(layers.Layer):
    """Saves its kernel only: its seeded random projection is rebuilt from its initializer."""

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 2), initializer="glorot_uniform")
        self.projection = self.add_weight(
            shape=(2, 2),
            initializer=heft.initializers.RandomNormal(seed=7),
            trainable=False,
        )

    def call(self, x):
        return (x @ self.kernel) @ self.projection

    def save_own_variables(self, store):
        store["kernel"] = self.kernel

    def load_own_variables(self, store):
        self.kernel.assign(store["kernel"])


def test_load_model_draws_the_initial_values_the_file_leaves_alone(tmp_path):
    # load_model does not draw initial values the file replaces; a variable the
    # file does not hold gets the values its initializer gives, as if drawn at once.
    model = heft.Sequential([layers.Input((3,)), FixedProjection(), layers.Dense(2)])
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    projection = loaded.layers[0].projection
    np.testing.assert_array_equal(projection.numpy(), model.layers[0].projection.numpy())
    assert np.abs(projection.numpy()).sum() > 0
    assert projection.provenance.startswith("initializer RandomNormal")
    assert loaded.layers[0].kernel.provenance.startswith("file ")
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
