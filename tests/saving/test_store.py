"""Tests for layers' own ``save_own_variables``/``load_own_variables`` in every walk-based format."""

import h5py
import ml_dtypes
import numpy as np
import pytest

import heft
from heft import layers
from heft.saving import load_model, load_weights, save_weights
from heft.saving._store import LoadStore, SaveStore, saved_groups
from heft.saving._walk import walk

FORMATS = (".weights.h5", ".weights.json", ".safetensors", ".keras")
X = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")


class Lora(layers.Layer):
    """``x @ (kernel + a @ b) + bias``, saved as a Dense: the merged kernel and the bias."""

    def __init__(self, units=2, rank=1, **kwargs):
        super().__init__(**kwargs)
        self.units, self.rank = units, rank

    def build(self, input_shape):
        n = input_shape[-1]
        self.kernel = self.add_weight(shape=(n, self.units), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
        self.a = self.add_weight(shape=(n, self.rank), initializer="ones", name="a")
        self.b = self.add_weight(shape=(self.rank, self.units), initializer="ones", name="b")

    def call(self, x):
        return x @ (self.kernel + self.a @ self.b) + self.bias

    def save_own_variables(self, store):
        store["0"] = np.asarray(self.kernel) + np.asarray(self.a) @ np.asarray(self.b)
        store["1"] = self.bias

    def load_own_variables(self, store):
        self.kernel.assign(store["0"])
        self.bias.assign(store["1"])
        self.a.assign(np.zeros(self.a.shape, "float32"))
        self.b.assign(np.zeros(self.b.shape, "float32"))

    def get_config(self):
        return {**super().get_config(), "units": self.units, "rank": self.rank}


class Checked(layers.Layer):
    """Saves its kernel and an extra derived entry, and refuses a file where they disagree."""

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 2), name="kernel")

    def call(self, x):
        return x @ self.kernel

    def save_own_variables(self, store):
        store["kernel"] = self.kernel
        store["total"] = np.asarray(self.kernel).sum(dtype="float64")

    def load_own_variables(self, store):
        kernel = store["kernel"]
        self.kernel.assign(kernel)  # staged: undone if the check below fails
        if not np.isclose(kernel.sum(dtype="float64"), store["total"]):
            raise ValueError(f"layer '{self.name}': the saved total does not match the kernel")


class Raising(layers.Layer):
    """Assigns its kernel, then raises."""

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 2), name="kernel")

    def call(self, x):
        return x @ self.kernel

    def load_own_variables(self, store):
        self.kernel.assign(np.zeros(self.kernel.shape))
        raise RuntimeError("this layer refuses to load")


def _model(*middle):
    stack = [layers.Input((3,)), layers.Dense(3), *middle, layers.Dense(2)]
    model = heft.Sequential(stack, name="m")
    rng = np.random.default_rng(1)
    model.set_weights([rng.normal(size=w.shape).astype(w.dtype) for w in model.weights])
    return model


def _save(model, path):
    if str(path).endswith(".keras"):
        model.save(path)
    else:
        kwargs = {"max_shard_size": 1e-7} if str(path).endswith(".json") else {}
        save_weights(model, path, **kwargs)


def _snapshot(model):
    return [(w.path, w.numpy().tobytes()) for w in model.weights]


def test_layer_save_own_variables_default_stores_the_walk_variables():
    model = heft.Sequential([layers.Input((3,)), layers.Dense(2), layers.BatchNormalization()])
    groups = saved_groups(model, "m.weights.h5")
    assert list(groups) == list(walk(model))
    for path, (obj, variables) in walk(model).items():
        assert groups[path].obj is obj
        assert list(groups[path].entries) == [str(i) for i in range(len(variables))]
        assert all(a is b for a, b in zip(groups[path].entries.values(), variables, strict=True))


def test_save_weights_default_hook_called_by_an_override_writes_identical_bytes(tmp_path):
    class Dense(layers.Dense):  # the same class name: the same file paths
        def save_own_variables(self, store):
            super().save_own_variables(store)

    def build(cls):
        heft._naming.reset_names()
        model = heft.Sequential([layers.Input((3,)), cls(4, name="d"), layers.Dense(2)])
        model.set_weights([np.full(w.shape, 0.5, "float32") for w in model.weights])
        return model

    for suffix in (".weights.h5", ".safetensors"):
        save_weights(build(layers.Dense), tmp_path / f"a{suffix}")
        save_weights(build(Dense), tmp_path / f"b{suffix}")
        assert (tmp_path / f"a{suffix}").read_bytes() == (tmp_path / f"b{suffix}").read_bytes()


def test_layer_load_own_variables_default_checks_then_assigns_all():
    layer = layers.Dense(2)
    layer.build((None, 3))
    before = [w.numpy().copy() for w in layer.weights]
    with pytest.raises(ValueError, match=r"expected 2 variables, but received 1 variables"):
        layer.load_own_variables({"0": np.ones((3, 2))})
    with pytest.raises(ValueError, match=r"incompatible|not compatible"):
        layer.load_own_variables({"0": np.ones((3, 2)), "1": np.ones(5)})
    for w, b in zip(layer.weights, before, strict=True):
        np.testing.assert_array_equal(w.numpy(), b)
    layer.load_own_variables({"0": np.ones((3, 2)), "1": np.full(2, 3.0)})
    np.testing.assert_array_equal(layer.bias.numpy(), [3.0, 3.0])


def test_layer_load_own_variables_default_on_unbuilt_layer_says_to_build_it():
    with pytest.raises(ValueError, match=r"Layer 'dense' has no variables because it was never"):
        layers.Dense(2).load_own_variables({"0": np.ones((3, 2))})


@pytest.mark.parametrize("suffix", FORMATS)
def test_hooks_round_trip_through_every_format(tmp_path, suffix):
    source = _model(Lora(2, name="lora"), Checked(name="checked"))
    source.layers[1].a.assign(np.full((3, 1), 0.25, "float32"))
    expected = np.asarray(source(X))
    path = tmp_path / f"m{suffix}"
    _save(source, path)
    if suffix == ".keras":
        objects = {"Lora": Lora, "Checked": Checked}
        target = load_model(path, custom_objects=objects)
    else:
        target = _model(Lora(2, name="lora"), Checked(name="checked"))
        report = load_weights(target, path)
        matched = {e.key: e.variable for e in report.matched}
        assert matched["layers/lora/vars/0"] == "m/lora"
        assert matched["layers/checked/vars/total"] == "m/checked"
        assert report.loaded == 8
    np.testing.assert_allclose(np.asarray(target(X)), expected, rtol=1e-6)
    lora = target.layers[1]
    assert not np.asarray(lora.a).any() and not np.asarray(lora.b).any()
    assert "read by `load_own_variables` of layer 'lora'" in lora.kernel.provenance


def test_hooks_write_their_own_entries_in_the_keras_layout(tmp_path, h5_structure):
    model = _model(Lora(2, name="lora"), Checked(name="checked"))
    save_weights(model, tmp_path / "m.weights.h5")
    rows = {row[0]: row for row in h5_structure(tmp_path / "m.weights.h5")}
    assert rows["layers/lora/vars"][2] == {"name": "lora"}
    assert rows["layers/lora/vars/0"][2:4] == ((3, 2), "<f4")
    assert "layers/lora/vars/2" not in rows
    assert rows["layers/checked/vars/total"][2:4] == ((), "<f8")
    with h5py.File(tmp_path / "m.weights.h5") as f:
        lora = model.layers[1]
        merged = np.asarray(lora.kernel) + np.asarray(lora.a) @ np.asarray(lora.b)
        np.testing.assert_allclose(f["layers/lora/vars/0"][()], merged, rtol=1e-6)


@pytest.mark.parametrize("suffix", FORMATS)
def test_load_weights_hook_that_raises_leaves_the_model_unchanged(tmp_path, suffix):
    _save(_model(Raising(name="raising")), tmp_path / f"m{suffix}")
    model = _model(Raising(name="raising"))
    for w in model.weights:
        w.assign(np.full(w.shape, 7.0, "float32"))
    before = _snapshot(model)
    path = tmp_path / f"m{suffix}"
    with pytest.raises(RuntimeError, match=r"this layer refuses to load") as info:
        load_weights(model, path)
    assert any("Nothing was loaded" in note for note in info.value.__notes__)
    assert _snapshot(model) == before


def test_load_weights_hook_value_that_does_not_fit_leaves_the_model_unchanged(tmp_path):
    source = heft.Sequential([layers.Input((3,)), layers.Dense(3), Lora(2, name="lora")])
    save_weights(source, tmp_path / "m.weights.h5")
    model = heft.Sequential([layers.Input((3,)), layers.Dense(3), Lora(4, name="lora")])
    before = _snapshot(model)
    with pytest.raises(ValueError, match=r"must match") as info:
        load_weights(model, tmp_path / "m.weights.h5")
    assert "`load_own_variables` of layer 'lora'" in info.value.__notes__[0]
    assert _snapshot(model) == before


def test_load_weights_hook_that_raises_is_skipped_with_skip_mismatch(tmp_path):
    source = _model(Raising(name="raising"))
    save_weights(source, tmp_path / "m.weights.h5")
    model = _model(Raising(name="raising"))
    kept = model.layers[1].kernel.numpy().copy()
    with pytest.warns(UserWarning, match=r"skipped 1 variable\(s\)"):
        report = load_weights(model, tmp_path / "m.weights.h5", skip_mismatch=True)
    assert [e.key for e in report.skipped] == ["layers/raising/vars"]
    assert "RuntimeError: this layer refuses to load" in report.skipped[0].detail
    np.testing.assert_array_equal(model.layers[1].kernel.numpy(), kept)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), source.layers[0].kernel.numpy())


def test_load_weights_dry_run_reports_a_raising_hook_without_raising(tmp_path):
    save_weights(_model(Raising(name="raising")), tmp_path / "m.weights.h5")
    model = _model(Raising(name="raising"))
    before = _snapshot(model)
    report = load_weights(model, tmp_path / "m.weights.h5", dry_run=True)
    assert not report.ok
    assert [e.key for e in report.mismatched] == ["layers/raising/vars"]
    assert _snapshot(model) == before


def test_load_weights_dry_run_runs_hooks_but_assigns_nothing(tmp_path):
    save_weights(_model(Lora(2, name="lora")), tmp_path / "m.weights.h5")
    model = _model(Lora(2, name="lora"))
    before = _snapshot(model)
    report = load_weights(model, tmp_path / "m.weights.h5", dry_run=True)
    assert report.ok and report.loaded == 6
    assert _snapshot(model) == before


def test_load_weights_report_lists_entries_a_hook_left_unread(tmp_path):
    def kernel_only(self, store):
        self.kernel.assign(store["kernel"])

    # The same class name as the saved layer's: the same file paths.
    KernelOnly = type("Checked", (Checked,), {"load_own_variables": kernel_only})
    save_weights(_model(Checked(name="checked")), tmp_path / "m.weights.h5")
    report = load_weights(_model(KernelOnly(name="checked")), tmp_path / "m.weights.h5")
    assert [e.key for e in report.unexpected] == ["layers/checked/vars/total"]
    assert "layers/checked/vars/kernel" in {e.key for e in report.matched}


@pytest.mark.parametrize("swallow", [False, True])
def test_load_weights_hook_reading_a_damaged_entry_fails_the_load(tmp_path, swallow):
    def swallowing(self, store):
        try:
            Checked.load_own_variables(self, store)
        except ValueError:
            pass

    # The same class name as the saved layer's: the same file paths.
    cls = type("Checked", (Checked,), {"load_own_variables": swallowing}) if swallow else Checked
    path = tmp_path / "m.weights.h5"
    save_weights(_model(Checked(name="checked")), path)
    with h5py.File(path, "r") as f:
        offset = f["layers/checked/vars/kernel"].id.get_offset()
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    model = _model(cls(name="checked"))
    before = _snapshot(model)
    with pytest.raises(ValueError, match=r"entry 'layers/checked/vars/kernel' does not match"):
        load_weights(model, path)
    assert _snapshot(model) == before


def test_load_weights_hook_layer_under_an_alias(tmp_path):
    source = heft.Sequential([layers.Input((3,)), Lora(2, name="lora")])
    save_weights(source, tmp_path / "m.weights.h5")
    expected = np.asarray(source(X))

    class Renamed(heft.Model):
        def __init__(self):
            super().__init__()
            self.adapter = Lora(2)

        def call(self, x):
            return self.adapter(x)

    model = Renamed()
    model(X)
    load_weights(model, tmp_path / "m.weights.h5", aliases={"adapter": "layers/lora"})
    np.testing.assert_allclose(np.asarray(model(X)), expected, rtol=1e-6)


def test_load_store_is_read_only_and_names_missing_entries():
    stored = {"0": np.arange(3, dtype="float32")}
    index = {name: _stored(name, value) for name, value in stored.items()}

    def read(entry, take):
        return stored[entry.key.rsplit("/", 1)[-1]], lambda: None

    store = LoadStore("layer 'x'", "layers/x/vars", index, read)
    assert list(store.keys()) == ["0"] and len(store) == 1 and "0" in store and "1" not in store
    np.testing.assert_array_equal(store["0"], [0, 1, 2])
    assert store.read_keys == ["0"]
    with pytest.raises(KeyError, match=r"layer 'x' asked for entry '1'.*holds \['0'\]"):
        store["1"]
    with pytest.raises(TypeError):
        store["0"] = 1  # a Mapping: layers read from it, never write


def _stored(name, value):
    from heft.saving._format import StoredArray

    return StoredArray(f"layers/x/vars/{name}", value.shape, value.dtype.name, True)


def test_load_store_gives_bfloat16_entries_as_bfloat16(tmp_path):
    seen = {}

    class Dense(layers.Dense):
        def load_own_variables(self, store):
            seen["dtype"] = store["0"].dtype
            super().load_own_variables(store)

    source = heft.Sequential([layers.Input((3,)), layers.Dense(2, dtype="bfloat16")])
    save_weights(source, tmp_path / "m.weights.h5")
    model = heft.Sequential([layers.Input((3,)), Dense(2, dtype="bfloat16")])
    load_weights(model, tmp_path / "m.weights.h5")
    assert seen["dtype"] == ml_dtypes.bfloat16


def test_save_store_keeps_variables_and_converts_other_values():
    variable = heft.Variable(np.ones(2, "float32"))
    store = SaveStore("layer 'x'")
    store["0"] = variable
    store["1"] = [1, 2]
    assert store["0"] is variable
    assert isinstance(store["1"], np.ndarray) and store["1"].dtype == np.int64
    del store["1"]
    assert list(store) == ["0"]


@pytest.mark.parametrize(
    ("key", "value", "error", "match"),
    [
        (0, 1.0, TypeError, r"stored a value under the key 0 \(of type int\)"),
        ("a/b", 1.0, ValueError, r"key 'a/b', which cannot name a file entry"),
        ("", 1.0, ValueError, r"key '', which cannot name a file entry"),
        ("..", 1.0, ValueError, r"key '\.\.', which cannot name a file entry"),
        ("s", "text", TypeError, r"stored a value of dtype <U4 under the key 's'"),
        ("o", object(), TypeError, r"stored a value of dtype object under the key 'o'"),
    ],
)
def test_save_store_refuses_bad_keys_and_values(key, value, error, match):
    with pytest.raises(error, match=match):
        SaveStore("layer 'x'")[key] = value


@pytest.mark.parametrize("suffix", FORMATS)
def test_save_hook_that_raises_writes_nothing(tmp_path, suffix):
    class Broken(layers.Dense):
        def save_own_variables(self, store):
            store["0"] = self.kernel
            raise RuntimeError("cannot save")

    model = heft.Sequential([layers.Input((3,)), Broken(2, name="broken")])
    with pytest.raises(RuntimeError, match=r"cannot save") as info:
        _save(model, tmp_path / f"m{suffix}")
    assert "`save_own_variables` of layer 'broken'" in info.value.__notes__[0]
    assert list(tmp_path.iterdir()) == []


def test_save_weights_sharded_counts_hook_values_against_the_shard_size(tmp_path):
    class Extra(layers.Dense):
        def save_own_variables(self, store):
            super().save_own_variables(store)
            store["big"] = np.zeros(1000, "float32")

    model = heft.Sequential([layers.Input((3,)), Extra(2, name="extra")])
    with pytest.raises(ValueError, match=r"the value saved under file key 'layers/extra/vars/big'"):
        save_weights(model, tmp_path / "m.weights.json", max_shard_size=1000 / 1024**3)


def test_save_weights_safetensors_refuses_hook_values_of_unstorable_dtype(tmp_path):
    class Wide(layers.Dense):
        def save_own_variables(self, store):
            store["0"] = np.zeros(2, "complex128")

    model = heft.Sequential([layers.Input((3,)), Wide(2, name="wide")])
    with pytest.raises(ValueError, match=r"the value saved under file key .*complex128"):
        save_weights(model, tmp_path / "m.safetensors")
