"""Weight files move both ways between heft and real Keras 3, with identical layouts."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import h5py
import keras
import numpy as np
import pytest

import heft
from heft.saving import load_weights, save_weights

X = np.random.default_rng(0).normal(size=(6, 3)).astype("float32")


@pytest.fixture(autouse=True)
def _fresh_keras_names():
    keras.utils.clear_session()
    yield


def structure(path):
    """Every group and dataset: names, attributes, dtypes, shapes and storage.

    heft's per-dataset ``checksum`` attribute (which Keras ignores) is left out.
    """
    with h5py.File(path, "r") as f:
        out = [("/", sorted(f.attrs))]

        def visit(name, obj):
            attrs = {k: str(v) for k, v in obj.attrs.items()}
            attrs.pop("checksum", None)
            if isinstance(obj, h5py.Dataset):
                kind = obj.id.get_type().get_class()
                out.append(
                    (name, obj.shape, obj.dtype.str, kind, attrs, obj.chunks, obj.compression)
                )
            else:
                out.append((name, attrs))

        f.visititems(visit)
    return out


def _random_weights(model, seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=w.shape).astype(w.dtype) for w in model.get_weights()]


def _sequential(lib, dtype=None):
    return lib.Sequential(
        [
            lib.layers.Input((3,)),
            lib.layers.Dense(4, activation="relu", dtype=dtype),
            lib.layers.Dropout(0.2),
            lib.layers.Dense(2, dtype=dtype),
        ]
    )


def _subclassed(lib):
    L = lib.layers

    class Block(L.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = L.Dense(3)
            self.scale = self.add_weight(shape=(3,), initializer="ones", name="scale")

        def call(self, x):
            return self.inner(x) * self.scale

    class Sub(lib.Model):
        def __init__(self):
            super().__init__(name="sub")
            self.zdict = {"b": L.Dense(3), "a": L.Dense(3)}
            self.blocks = [Block(), L.Dense(3), [L.Dense(3), (L.Dense(3),)]]
            self._priv = L.Dense(3)
            self.tup = (L.Dropout(0.1), Block())
            self.enc = L.Dense(3)
            self.alias = self.enc
            self.w = self.add_weight(shape=(3,), initializer="ones", name="own")

        @property
        def head(self):
            return self._priv

        def call(self, x):
            x = self.enc(x) * self.w
            for layer in [
                self.zdict["b"],
                self.zdict["a"],
                self.blocks[0],
                self.blocks[1],
                self.blocks[2][0],
                self.blocks[2][1][0],
                self.tup[0],
                self.tup[1],
                self._priv,
            ]:
                x = layer(x)
            return x

    model = Sub()
    model(X)
    return model


def _predict(model):
    return np.asarray(model(X))


def test_weights_h5_layout_equals_keras_for_sequential(tmp_path):
    k, h = _sequential(keras), _sequential(heft)
    k.save_weights(tmp_path / "k.weights.h5")
    save_weights(h, tmp_path / "h.weights.h5")
    expected = structure(tmp_path / "k.weights.h5")
    assert [row[0] for row in expected] == [
        "/",
        "layers",
        "layers/dense",
        "layers/dense/vars",
        "layers/dense/vars/0",
        "layers/dense/vars/1",
        "layers/dense_1",
        "layers/dense_1/vars",
        "layers/dense_1/vars/0",
        "layers/dense_1/vars/1",
        "layers/dropout",
        "layers/dropout/vars",
        "vars",
    ]
    assert structure(tmp_path / "h.weights.h5") == expected


def test_weights_h5_layout_equals_keras_for_subclassed_model(tmp_path):
    k, h = _subclassed(keras), _subclassed(heft)
    k.save_weights(tmp_path / "k.weights.h5")
    save_weights(h, tmp_path / "h.weights.h5")
    expected = structure(tmp_path / "k.weights.h5")
    assert "layers/block_1/inner/vars/0" in [row[0] for row in expected]
    assert structure(tmp_path / "h.weights.h5") == expected


def test_weights_h5_layout_equals_keras_for_bfloat16(tmp_path):
    k, h = _sequential(keras, "bfloat16"), _sequential(heft, "bfloat16")
    k.save_weights(tmp_path / "k.weights.h5")
    save_weights(h, tmp_path / "h.weights.h5")
    assert structure(tmp_path / "h.weights.h5") == structure(tmp_path / "k.weights.h5")
    h.set_weights(_random_weights(h, 1))
    save_weights(h, tmp_path / "h.weights.h5")
    k.load_weights(tmp_path / "h.weights.h5")
    for a, b in zip(k.weights, h.weights, strict=True):
        assert np.asarray(a.value).tobytes() == b.numpy().tobytes()


@pytest.mark.parametrize("build", [_sequential, _subclassed])
def test_weights_h5_heft_to_keras_predicts_the_same(tmp_path, build):
    h, k = build(heft), build(keras)
    h.set_weights(_random_weights(h, 2))
    save_weights(h, tmp_path / "h.weights.h5")
    k.load_weights(tmp_path / "h.weights.h5")
    np.testing.assert_array_equal(_predict(k), _predict(h))


@pytest.mark.parametrize("build", [_sequential, _subclassed])
def test_weights_h5_keras_to_heft_predicts_the_same(tmp_path, build):
    k, h = build(keras), build(heft)
    k.set_weights(_random_weights(k, 3))
    h.set_weights(k.get_weights())  # both start identical...
    k.set_weights(_random_weights(k, 4))  # ...then Keras moves on and saves
    k.save_weights(tmp_path / "k.weights.h5")
    report = load_weights(h, tmp_path / "k.weights.h5")
    assert report.ok and not report.unexpected and report.loaded == len(h.weights)
    np.testing.assert_array_equal(_predict(h), _predict(k))


def test_weights_h5_keras_file_with_extra_layer_loads_and_reports_it(tmp_path):
    k = _sequential(keras)
    k.set_weights(_random_weights(k, 5))
    k.save_weights(tmp_path / "k.weights.h5")
    h = heft.Sequential([heft.layers.Input((3,)), heft.layers.Dense(4, activation="relu")])
    report = load_weights(h, tmp_path / "k.weights.h5")
    assert [e.key for e in report.unexpected] == [
        "layers/dense_1/vars/0",
        "layers/dense_1/vars/1",
        "layers/dropout/vars",
    ]
    np.testing.assert_array_equal(h.layers[0].kernel.numpy(), np.asarray(k.layers[0].kernel.value))


def test_weights_h5_optimizer_state_moves_both_ways(tmp_path):
    k = _sequential(keras)
    k.compile(optimizer="adam", loss="mse")
    k.fit(X, np.ones((6, 2), "float32"), epochs=2, verbose=0)
    k.save_weights(tmp_path / "k.weights.h5")

    class StandIn:
        name = "adam"

        def __init__(self, shapes_dtypes):
            self.variables = [heft.Variable(np.zeros(s, d)) for s, d in shapes_dtypes]

    h = _sequential(heft)
    h.optimizer = StandIn([(tuple(v.shape), v.dtype) for v in k.optimizer.variables])
    load_weights(h, tmp_path / "k.weights.h5")
    for hv, kv in zip(h.optimizer.variables, k.optimizer.variables, strict=True):
        np.testing.assert_array_equal(hv.numpy(), np.asarray(kv.value))
    assert int(h.optimizer.variables[0].numpy()) == 2

    for v in h.optimizer.variables[2:]:
        v.assign(np.full(v.shape, 0.5, "float32"))
    save_weights(h, tmp_path / "h.weights.h5")
    assert structure(tmp_path / "h.weights.h5") == structure(tmp_path / "k.weights.h5")
    k.load_weights(tmp_path / "h.weights.h5")
    for kv in k.optimizer.variables[2:]:
        np.testing.assert_array_equal(np.asarray(kv.value), np.full(kv.shape, 0.5, "float32"))


def test_legacy_h5_heft_to_keras_predicts_the_same(tmp_path):
    h, k = _sequential(heft), _sequential(keras)
    h.set_weights(_random_weights(h, 6))
    save_weights(h, tmp_path / "model_weights.h5")
    k.load_weights(tmp_path / "model_weights.h5")
    np.testing.assert_array_equal(_predict(k), _predict(h))


def test_legacy_h5_keras_model_file_to_heft_predicts_the_same(tmp_path):
    k, h = _sequential(keras), _sequential(heft)
    k.set_weights(_random_weights(k, 7))
    k.save(tmp_path / "k.h5")  # Keras's legacy whole-model file: weights under model_weights
    report = load_weights(h, tmp_path / "k.h5")
    assert report.ok and report.loaded == 4
    np.testing.assert_array_equal(_predict(h), _predict(k))
    renamed = heft.Sequential(
        [
            heft.layers.Input((3,)),
            heft.layers.Dense(4, activation="relu", name="dense"),
            heft.layers.Dense(2, name="head"),
        ]
    )
    report = load_weights(renamed, tmp_path / "k.h5", by_name=True)
    assert report.loaded == 2 and len(report.skipped) == 2
    np.testing.assert_array_equal(
        renamed.layers[0].kernel.numpy(), np.asarray(k.layers[0].kernel.value)
    )


def test_legacy_h5_subclassed_model_moves_both_ways(tmp_path):
    h, k = _subclassed(heft), _subclassed(keras)
    assert [layer.name for layer in h.layers] == [layer.name for layer in k.layers]
    h.set_weights(_random_weights(h, 8))
    save_weights(h, tmp_path / "h.h5")
    k.load_weights(tmp_path / "h.h5")
    np.testing.assert_array_equal(_predict(k), _predict(h))
    k.set_weights(_random_weights(k, 9))
    k.save(tmp_path / "k.h5")
    load_weights(h, tmp_path / "k.h5")
    np.testing.assert_array_equal(_predict(h), _predict(k))


def test_weights_h5_heft_adam_state_matches_keras_layout_and_values(tmp_path):
    from heft.optimizers import Adam

    k = _sequential(keras)
    k.compile(optimizer="adam", loss="mse")
    k.fit(X, np.ones((6, 2), "float32"), epochs=2, verbose=0)
    h = _sequential(heft)
    h.optimizer = Adam(name="adam")
    h.optimizer.build(h.trainable_variables)
    save_weights(h, tmp_path / "h.weights.h5")
    k.save_weights(tmp_path / "k.weights.h5")
    assert structure(tmp_path / "h.weights.h5") == structure(tmp_path / "k.weights.h5")
    assert load_weights(h, tmp_path / "k.weights.h5").loaded == 4 + 10
    for hv, kv in zip(h.optimizer.variables, k.optimizer.variables, strict=True):
        np.testing.assert_array_equal(hv.numpy(), np.asarray(kv.value))
    unbuilt = _sequential(heft)
    unbuilt.optimizer = Adam(name="adam")
    with pytest.warns(UserWarning, match="the optimizer is not built yet"):
        report = load_weights(unbuilt, tmp_path / "k.weights.h5")
    assert report.loaded == 4 and len(report.skipped) == 2


def _nested(lib):
    L = lib.layers
    inner = lib.Sequential([L.Dense(4), L.Dense(4)], name="inner")
    outer = lib.Sequential([L.Input((3,)), inner, L.Dense(2)], name="outer")

    class Sub(lib.Model):
        def __init__(self):
            super().__init__(name="sub")
            self.backbone = lib.Sequential([L.Dense(4), L.Dropout(0.1)], name="bb")
            self.heads = {"x": L.Dense(1), "y": L.Dense(2)}

        def call(self, x):
            x = self.backbone(x)
            return self.heads["x"](x) + self.heads["y"](x)[:, :1]

    sub = Sub()
    sub(X)
    return outer, sub


def test_weights_h5_layout_equals_keras_for_nested_models(tmp_path):
    keras_models, heft_models = _nested(keras), _nested(heft)
    for i, (k, h) in enumerate(zip(keras_models, heft_models, strict=True)):
        k.save_weights(tmp_path / f"k{i}.weights.h5")
        save_weights(h, tmp_path / f"h{i}.weights.h5")
        assert structure(tmp_path / f"h{i}.weights.h5") == structure(tmp_path / f"k{i}.weights.h5")
    with h5py.File(tmp_path / "h0.weights.h5", "r") as f:
        assert "layers/sequential/layers/dense_1/vars/0" in f


def _shard_files(folder):
    import json

    names = sorted(p.name for p in folder.iterdir())
    config = json.loads((folder / "m.weights.json").read_text())
    shards = {n: structure(folder / n) for n in names if n.endswith(".h5")}
    return names, config, shards


def _as_keras_names(folder):
    """heft's sharded files as Keras names them: without heft's additions.

    heft adds the save's tag to each shard's name (``m_00000.<tag>.weights.h5``),
    its record to the index's metadata, a ``save_id`` attribute to each
    shard's root, Keras's name of the first shard (a second name of it) and
    the lock file.
    """
    import json
    import re

    names, config, shards = _shard_files(folder)
    record = config["metadata"].pop("heft")
    untagged = {n: re.sub(r"\.[0-9a-f]{8}(?=\.weights\.h5$)", "", n) for n in record["shards"]}
    assert (folder / "m_00000.weights.h5").samefile(folder / min(untagged))
    assert names == sorted(
        [".m.weights.json.lock", "m.weights.json", "m_00000.weights.h5", *untagged]
    )
    config["weight_map"] = {
        group: [untagged[n] for n in listed] if isinstance(listed, list) else untagged[listed]
        for group, listed in config["weight_map"].items()
    }
    renamed = {}
    for name, layout in shards.items():
        if name in untagged:
            assert layout[0] == ("/", ["save_id"])
            renamed[untagged[name]] = [("/", []), *layout[1:]]
    text = (folder / "m.weights.json").read_text()
    assert text == json.dumps(json.loads(text), indent=4)  # laid out as Keras writes it
    return sorted(["m.weights.json", *untagged.values()]), config, renamed


@pytest.mark.parametrize("build", [_sequential, _subclassed])
def test_sharded_weights_layout_equals_keras(tmp_path, build):
    import json

    k, h = build(keras), build(heft)
    (tmp_path / "k").mkdir()
    (tmp_path / "h").mkdir()
    size = 50 / 1024**3
    k.save_weights(tmp_path / "k" / "m.weights.json", max_shard_size=size)
    save_weights(h, tmp_path / "h" / "m.weights.json", max_shard_size=size)
    expected = _shard_files(tmp_path / "k")
    assert len(expected[0]) > 3  # several shards, groups split across them
    assert any(isinstance(v, list) for v in expected[1]["weight_map"].values())
    found = _as_keras_names(tmp_path / "h")
    assert found == expected
    assert json.dumps(found[1], indent=4) == (tmp_path / "k" / "m.weights.json").read_text()


@pytest.mark.parametrize("build", [_sequential, _subclassed])
def test_sharded_weights_saved_by_heft_over_a_keras_save(tmp_path, build):
    h, k = build(heft), build(keras)
    path = tmp_path / "m.weights.json"
    k.set_weights(_random_weights(k, 15))
    k.save_weights(path, max_shard_size=60 / 1024**3)
    keras_shards = sorted(p.name for p in tmp_path.iterdir() if p.name != "m.weights.json")
    assert len(keras_shards) >= 2
    assert load_weights(h, path).ok  # no save id: the shards load as the index names them
    np.testing.assert_array_equal(_predict(h), _predict(k))
    h.set_weights(_random_weights(h, 16))
    save_weights(h, path, max_shard_size=60 / 1024**3)
    left = {p.name for p in tmp_path.iterdir()}
    # Keras's shards are gone but for its first name, now heft's first shard's.
    assert left & set(keras_shards) == {"m_00000.weights.h5"}
    k.load_weights(path)
    np.testing.assert_array_equal(_predict(k), _predict(h))
    # Keras saves over heft's: heft's shards stay (Keras does not know them), the index is Keras's.
    k.set_weights(_random_weights(k, 17))
    k.save_weights(path, max_shard_size=60 / 1024**3)
    assert load_weights(h, path).ok
    np.testing.assert_array_equal(_predict(h), _predict(k))


def test_keras_opens_the_first_shard_by_its_own_name_whatever_the_index_says(tmp_path):
    # Why heft gives its first shard Keras's name too: without it Keras cannot load.
    h, k = _sequential(heft), _sequential(keras)
    h.set_weights(_random_weights(h, 18))
    save_weights(h, tmp_path / "m.weights.json", max_shard_size=60 / 1024**3)
    k.load_weights(tmp_path / "m.weights.json")
    np.testing.assert_array_equal(_predict(k), _predict(h))
    (tmp_path / "m_00000.weights.h5").unlink()
    with pytest.raises((OSError, FileNotFoundError), match=r"m_00000\.weights\.h5"):
        k.load_weights(tmp_path / "m.weights.json")
    assert load_weights(h, tmp_path / "m.weights.json").ok  # heft reads only what the index names


@pytest.mark.parametrize("build", [_sequential, _subclassed])
def test_sharded_weights_move_both_ways(tmp_path, build):
    h, k = build(heft), build(keras)
    h.set_weights(_random_weights(h, 10))
    save_weights(h, tmp_path / "h.weights.json", max_shard_size=60 / 1024**3)
    k.load_weights(tmp_path / "h.weights.json")
    np.testing.assert_array_equal(_predict(k), _predict(h))
    k.set_weights(_random_weights(k, 11))
    k.save_weights(tmp_path / "k.weights.json", max_shard_size=60 / 1024**3)
    report = load_weights(h, tmp_path / "k.weights.json")
    assert report.ok and not report.unexpected and report.loaded == len(h.weights)
    np.testing.assert_array_equal(_predict(h), _predict(k))


def test_sharded_weights_optimizer_state_moves_both_ways(tmp_path):
    from heft.optimizers import Adam

    k = _sequential(keras)
    k.compile(optimizer="adam", loss="mse")
    k.fit(X, np.ones((6, 2), "float32"), epochs=2, verbose=0)
    k.save_weights(tmp_path / "k.weights.json", max_shard_size=60 / 1024**3)
    h = _sequential(heft)
    h.optimizer = Adam(name="adam")
    h.optimizer.build(h.trainable_variables)
    assert load_weights(h, tmp_path / "k.weights.json").loaded == 4 + 10
    for hv, kv in zip(h.optimizer.variables, k.optimizer.variables, strict=True):
        assert hv.numpy().tobytes() == np.asarray(kv.value).tobytes()
    for v in h.optimizer.variables[2:]:
        v.assign(np.full(v.shape, 0.25, "float32"))
    save_weights(h, tmp_path / "h.weights.json", max_shard_size=60 / 1024**3)
    k.load_weights(tmp_path / "h.weights.json")
    for kv in k.optimizer.variables[2:]:
        np.testing.assert_array_equal(np.asarray(kv.value), np.full(kv.shape, 0.25, "float32"))


def _checksums(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(
            lambda n, o: (
                out.update({n: o.attrs.get("checksum")}) if isinstance(o, h5py.Dataset) else None
            )
        )
    return out


def test_weights_h5_checksums_only_in_heft_files_and_keras_ignores_them(tmp_path):
    h, k = _sequential(heft, "bfloat16"), _sequential(keras, "bfloat16")
    h.set_weights(_random_weights(h, 12))
    save_weights(h, tmp_path / "h.weights.h5")
    k.save_weights(tmp_path / "k.weights.h5")
    heft_sums = _checksums(tmp_path / "h.weights.h5")
    assert len(heft_sums) == 4
    # fixed-length strings (kept in each dataset's header, not in the global heap)
    assert all(isinstance(v, bytes) and v.startswith(b"xxh3:") for v in heft_sums.values())
    assert set(_checksums(tmp_path / "k.weights.h5").values()) == {None}
    k.load_weights(tmp_path / "h.weights.h5")  # the extra attribute is ignored
    for a, b in zip(k.weights, h.weights, strict=True):
        assert np.asarray(a.value).tobytes() == b.numpy().tobytes()
    report = load_weights(h, tmp_path / "k.weights.h5")  # no checksums: loads as before
    assert report.ok and report.loaded == 4


def _lora_class(lib):
    """A Dense with a rank-1 adapter, saved (by its own hooks) as a plain Dense: merged kernel, bias.

    The class is named ``Dense`` so that its group has a ``Dense``'s path.
    """

    class Dense(lib.layers.Layer):
        def build(self, input_shape):
            n = input_shape[-1]
            self.kernel = self.add_weight(shape=(n, 2), name="kernel")
            self.bias = self.add_weight(shape=(2,), initializer="zeros", name="bias")
            self.a = self.add_weight(shape=(n, 1), initializer="ones", name="a")
            self.b = self.add_weight(shape=(1, 2), initializer="ones", name="b")

        def call(self, x):
            return lib.ops.matmul(x, self.kernel + lib.ops.matmul(self.a, self.b)) + self.bias

        def save_own_variables(self, store):
            merged = np.asarray(self.kernel) + np.asarray(self.a) @ np.asarray(self.b)
            store["0"] = merged
            store["1"] = np.asarray(self.bias)

        def load_own_variables(self, store):
            self.kernel.assign(store["0"])
            self.bias.assign(store["1"])
            self.a.assign(np.zeros(self.a.shape, "float32"))
            self.b.assign(np.zeros(self.b.shape, "float32"))

    return Dense


def _with_head(lib, head):
    model = lib.Sequential([lib.layers.Input((3,)), lib.layers.Dense(4, name="d"), head])
    model(X)
    return model


@pytest.mark.parametrize("suffix", [".weights.h5", ".weights.json"])
def test_hooked_layer_files_load_in_keras_both_ways(tmp_path, suffix):
    kwargs = {"max_shard_size": 60 / 1024**3} if suffix == ".weights.json" else {}
    h = _with_head(heft, _lora_class(heft)(name="lora"))
    h.set_weights(_random_weights(h, 13))
    expected = _predict(h)
    save_weights(h, tmp_path / f"h{suffix}", **kwargs)
    # The saved layout is a Dense's: Keras loads it into a Dense, or into its own Lora.
    k_dense = _with_head(keras, keras.layers.Dense(2, name="lora"))
    k_dense.load_weights(tmp_path / f"h{suffix}")
    np.testing.assert_allclose(_predict(k_dense), expected, rtol=1e-5, atol=1e-6)
    k_lora = _with_head(keras, _lora_class(keras)(name="lora"))
    k_lora.load_weights(tmp_path / f"h{suffix}")
    np.testing.assert_allclose(_predict(k_lora), expected, rtol=1e-5, atol=1e-6)
    k_lora.set_weights(_random_weights(k_lora, 14))
    k_lora.save_weights(tmp_path / f"k{suffix}", **kwargs)
    h_lora = _with_head(heft, _lora_class(heft)(name="lora"))
    assert load_weights(h_lora, tmp_path / f"k{suffix}").ok
    np.testing.assert_allclose(_predict(h_lora), _predict(k_lora), rtol=1e-5, atol=1e-6)
    h_dense = _with_head(heft, heft.layers.Dense(2, name="lora"))
    load_weights(h_dense, tmp_path / f"k{suffix}")
    np.testing.assert_allclose(_predict(h_dense), _predict(k_lora), rtol=1e-5, atol=1e-6)
