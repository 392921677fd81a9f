"""Tests for layout='torch': pairing, the load report, and every refused input leaving things as they were."""

import json
import os
import sys

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

import heft
from heft import layers as L

RNG = np.random.default_rng(0)


def _mlp():
    return heft.Sequential([heft.Input((4,)), L.Dense(8, activation="relu"), L.Dense(3)])


def _state(**extra):
    """An ``nn.Sequential(Linear(4, 8), ReLU(), Linear(8, 3))`` state dict, as numpy."""
    state = {
        "0.weight": RNG.normal(size=(8, 4)).astype("float32"),
        "0.bias": RNG.normal(size=(8,)).astype("float32"),
        "2.weight": RNG.normal(size=(3, 8)).astype("float32"),
        "2.bias": RNG.normal(size=(3,)).astype("float32"),
    }
    state.update(extra)
    return {k: v for k, v in state.items() if v is not None}


def _snapshot(model):
    return [np.array(w) for w in model.weights]


def _unchanged(model, before):
    return all(np.array_equal(a, np.asarray(b)) for a, b in zip(before, model.weights, strict=True))


def test_load_converts_and_reports_each_tensor(tmp_path):
    state = _state()
    path = tmp_path / "m.safetensors"
    save_file(state, str(path))
    model = _mlp()
    report = model.load_weights(path, layout="torch")
    np.testing.assert_array_equal(np.asarray(model.layers[0].kernel), state["0.weight"].T)
    assert [(e.key, e.variable) for e in report.matched][:2] == [
        ("0.weight", "sequential/dense/kernel"),
        ("0.bias", "sequential/dense/bias"),
    ]
    assert "layout='torch'" in repr(report) and "transposed from (8, 4)" in repr(report)


def test_unmatched_keys_are_refused_and_change_nothing(tmp_path):
    path = tmp_path / "m.safetensors"
    save_file(_state(**{"head.weight": np.ones((2, 3), "float32")}), str(path))
    model = _mlp()
    before = _snapshot(model)
    with pytest.raises(
        ValueError,
        match=r"m\.safetensors.*1 key\(s\) of the file match no layer(.|\n)*head\.weight",
    ):
        model.load_weights(path, layout="torch")
    assert _unchanged(model, before)
    report = model.load_weights(path, layout="torch", dry_run=True)
    assert [e.key for e in report.unexpected] == ["head.weight"] and _unchanged(model, before)
    # Allowing a missing variable to be skipped does not let unmatched keys through.
    with pytest.raises(ValueError, match=r"match no layer(.|\n)*head\.weight"):
        model.load_weights(path, layout="torch", skip_mismatch=["*/dense_9/*"])
    assert _unchanged(model, before)
    report = model.load_weights(path, layout="torch", skip_mismatch=["head.*"])
    assert report.loaded == 4 and not _unchanged(model, before)


def test_save_refuses_to_overwrite_when_asked_and_writes_pickles(tmp_path):
    model = heft.Sequential([heft.Input((4,)), L.Dense(8, name="fc1"), L.Dense(3, name="fc2")])
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"previous")
    with pytest.raises(FileExistsError, match=r"m\.safetensors"):
        model.save_weights(path, layout="torch", overwrite=False)
    assert path.read_bytes() == b"previous"
    model.save_weights(path, layout="torch")
    assert sorted(load_file(str(path))) == ["fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight"]
    torch = pytest.importorskip("torch")
    pickled = tmp_path / "m.pt"
    model.save_weights(pickled, layout="torch")
    state = torch.load(str(pickled), weights_only=True)
    np.testing.assert_array_equal(state["fc2.weight"].numpy(), np.asarray(model.layers[1].kernel).T)


def test_a_shape_that_converts_wrong_is_refused(tmp_path):
    path = tmp_path / "m.safetensors"
    state = _state(**{"0.weight": np.ones((9, 4), "float32"), "0.bias": np.ones((9,), "float32")})
    save_file(state, str(path))
    model = _mlp()
    before = _snapshot(model)
    with pytest.raises(
        ValueError,
        match=r"m\.safetensors(.|\n)*0\.weight -> sequential/dense/kernel: shape differs: the file has \(4, 9\) float32 \(transposed from \(9, 4\)\)",
    ):
        model.load_weights(path, layout="torch")
    assert _unchanged(model, before)


def test_a_missing_tensor_is_refused(tmp_path):
    path = tmp_path / "m.safetensors"
    save_file(_state(**{"2.bias": None}), str(path))
    model = _mlp()
    before = _snapshot(model)
    with pytest.raises(
        ValueError, match=r"1 variable\(s\) missing(.|\n)*2\.bias -> sequential/dense_1/bias"
    ):
        model.load_weights(path, layout="torch")
    assert _unchanged(model, before)


def test_a_depthwise_weight_that_does_not_split_is_refused(tmp_path):
    path = tmp_path / "dw.safetensors"
    save_file({"dw.weight": np.ones((5, 1, 3, 3), "float32")}, str(path))
    model = heft.Sequential(
        [heft.Input((6, 6, 2)), L.DepthwiseConv2D(3, depth_multiplier=2, use_bias=False)]
    )
    before = _snapshot(model)
    with pytest.raises(
        ValueError, match=r"dw\.weight(.|\n)*does not convert: .*does not split into 2"
    ):
        model.load_weights(path, layout="torch")
    assert _unchanged(model, before)


def test_gru_without_reset_after_is_refused(tmp_path):
    path = tmp_path / "gru.safetensors"
    save_file(
        {
            "gru.weight_ih_l0": np.ones((6, 3), "float32"),
            "gru.weight_hh_l0": np.ones((6, 2), "float32"),
            "gru.bias_ih_l0": np.ones((6,), "float32"),
            "gru.bias_hh_l0": np.ones((6,), "float32"),
        },
        str(path),
    )
    model = heft.Sequential([heft.Input((4, 3)), L.GRU(2, reset_after=False)])
    before = _snapshot(model)
    with pytest.raises(ValueError, match=r"reset_after=True"):
        model.load_weights(path, layout="torch")
    assert _unchanged(model, before)


def test_a_layer_without_a_torch_twin_is_reported(tmp_path):
    path = tmp_path / "m.safetensors"
    save_file(_state(), str(path))
    model = heft.Sequential([heft.Input((4,)), L.Dense(8), L.PReLU(), L.Dense(3)])
    before = _snapshot(model)
    with pytest.raises(ValueError, match=r"has no PyTorch twin"):
        model.load_weights(path, layout="torch")
    assert _unchanged(model, before)
    with pytest.warns(UserWarning, match=r"skipped 1 variable(.|\n)*p_re_lu\.alpha"):
        report = model.load_weights(path, layout="torch", skip_mismatch=True)
    assert report.loaded == 4


def test_mapping_pairs_modules_explicitly(tmp_path):
    path = tmp_path / "m.safetensors"
    state = {
        "out.weight": RNG.normal(size=(3, 8)).astype("float32"),
        "out.bias": np.zeros(3, "float32"),
        "hidden.weight": RNG.normal(size=(8, 4)).astype("float32"),
        "hidden.bias": np.zeros(8, "float32"),
    }
    save_file(state, str(path))
    model = heft.Sequential([heft.Input((4,)), L.Dense(8, name="h"), L.Dense(3, name="o")])
    before = _snapshot(model)
    # By structure, sorted names pair "hidden" with the first Dense: that works here.
    with pytest.raises(ValueError, match="shape differs"):
        model.load_weights(path, layout="torch", mapping={"out": "h", "hidden.weight": "o"})
    assert _unchanged(model, before)
    report = model.load_weights(
        path, layout="torch", mapping={"hidden": "h", "out.weight": "o/kernel"}
    )
    assert report.mapping == {"hidden": "layers/dense", "out": "layers/dense_1"}
    back = tmp_path / "back.safetensors"
    model.save_weights(back, layout="torch", mapping=report.mapping)
    saved = load_file(str(back))
    assert sorted(saved) == sorted(state)
    np.testing.assert_array_equal(saved["out.weight"], state["out.weight"])
    model.save_weights(back, layout="torch", mapping=[(r"h", "enc.0"), (r"(o)", r"enc.\1")])
    assert sorted(load_file(str(back))) == [
        "enc.0.bias",
        "enc.0.weight",
        "enc.o.bias",
        "enc.o.weight",
    ]


@pytest.mark.parametrize(
    ("mapping", "error", "match"),
    [
        (
            {"nope": "first"},
            ValueError,
            r"`mapping` names 'nope', which is no key or module of '.*m\.safetensors'",
        ),
        ({"0": "nowhere"}, ValueError, r"`mapping\['0'\]` names 'nowhere', which is no layer"),
        ({"0": "first", "2": "first"}, ValueError, r"sends the modules '0', '2' .* which takes 1"),
        ([("(", "x")], ValueError, r"not a valid regular expression"),
        ([("a", "b", "c")], TypeError, r"\(regex, replacement\) pair"),
        ("0", TypeError, r"`mapping` must be a dict"),
        ({0: "first"}, TypeError, r"all strings"),
    ],
)
def test_bad_mappings_are_refused(tmp_path, mapping, error, match):
    path = tmp_path / "m.safetensors"
    save_file(_state(), str(path))
    model = heft.Sequential([heft.Input((4,)), L.Dense(8, name="first"), L.Dense(3, name="last")])
    before = _snapshot(model)
    with pytest.raises(error, match=match):
        model.load_weights(path, layout="torch", mapping=mapping)
    assert _unchanged(model, before)


def test_layout_arguments_are_checked(tmp_path):
    path = tmp_path / "m.safetensors"
    save_file(_state(), str(path))
    model = _mlp()
    with pytest.raises(ValueError, match=r"`layout` must be 'keras' .* Received: layout='pytorch'"):
        model.load_weights(path, layout="pytorch")
    with pytest.raises(ValueError, match=r"`mapping` .* only applies with layout='torch'"):
        model.load_weights(path, mapping={"0": "dense"})
    with pytest.raises(ValueError, match=r"by_name.*do not apply to layout='torch'"):
        model.load_weights(path, layout="torch", strip_prefix="x")
    keras_file = tmp_path / "m.weights.h5"
    model.save_weights(keras_file)
    with pytest.raises(
        ValueError, match=r"layout='torch' reads PyTorch state dicts.*m\.weights\.h5"
    ):
        model.load_weights(keras_file, layout="torch")
    with pytest.raises(ValueError, match=r"`max_shard_size` does not apply to layout='torch'"):
        model.save_weights(tmp_path / "s.safetensors", layout="torch", max_shard_size=1)
    with pytest.raises(ValueError, match=r"a PyTorch state dict is written to a `.safetensors`"):
        model.save_weights(tmp_path / "s.weights.h5", layout="torch")


def test_saving_a_layer_without_a_twin_writes_nothing(tmp_path):
    model = heft.Sequential([heft.Input((4,)), L.Dense(8), L.PReLU()])
    path = tmp_path / "s.safetensors"
    with pytest.raises(ValueError, match=r"layer 'layers/p_re_lu'.*no PyTorch twin"):
        model.save_weights(path, layout="torch")
    assert list(tmp_path.iterdir()) == []


def test_a_pickle_checkpoint_without_torch_names_the_file_and_the_package(tmp_path, monkeypatch):
    path = tmp_path / "m.pt"
    path.write_bytes(b"not read")
    monkeypatch.setitem(sys.modules, "torch", None)
    model = _mlp()
    before = _snapshot(model)
    with pytest.raises(
        ImportError, match=r"'.*m\.pt' needs PyTorch.*pip install torch.*\.safetensors"
    ):
        model.load_weights(path, layout="torch")
    assert _unchanged(model, before)


def test_a_pickle_checkpoint_needs_layout_torch(tmp_path):
    path = tmp_path / "m.bin"
    path.write_bytes(b"x")
    with pytest.raises(ValueError, match=r"PyTorch state dict.*pass `layout='torch'`"):
        _mlp().load_weights(path)


class Payload:
    """Not a tensor: ``torch.load(weights_only=True)`` refuses to build it."""


def test_a_pickle_with_objects_is_refused_without_unpickling(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "evil.pt"
    torch.save({"0.weight": torch.ones(8, 4), "payload": Payload()}, str(path))
    model = _mlp()
    before = _snapshot(model)
    with pytest.raises(ValueError, match=r"evil\.pt.*refused it.*never unpickles"):
        model.load_weights(path, layout="torch")
    assert _unchanged(model, before)
    torch.save({"0.weight": torch.ones(8, 4), "note": "text"}, str(path))
    with pytest.raises(ValueError, match=r"evil\.pt.*does not hold a PyTorch state dict"):
        model.load_weights(path, layout="torch")
    assert _unchanged(model, before)


def test_a_checkpoint_wrapping_its_state_dict_loads(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "ckpt.pth"
    state = {k: torch.from_numpy(v) for k, v in _state().items()}
    torch.save({"epoch": 3, "state_dict": state}, str(path))
    assert _mlp().load_weights(path, layout="torch").loaded == 4


def _sharded(tmp_path, weight_map=None):
    state = _state()
    save_file({k: state[k] for k in ("0.weight", "0.bias")}, str(tmp_path / "a.safetensors"))
    save_file({k: state[k] for k in ("2.weight", "2.bias")}, str(tmp_path / "b.safetensors"))
    if weight_map is None:
        weight_map = {k: "a.safetensors" if k.startswith("0") else "b.safetensors" for k in state}
    index = tmp_path / "model.safetensors.index.json"
    index.write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    return index, state


def test_sharded_safetensors_load_through_the_index(tmp_path):
    index, state = _sharded(tmp_path)
    model = _mlp()
    report = model.load_weights(index, layout="torch")
    assert report.format == "sharded safetensors" and report.loaded == 4
    np.testing.assert_array_equal(np.asarray(model.layers[1].kernel), state["2.weight"].T)


@pytest.mark.parametrize(
    ("weight_map", "match"),
    [
        ({"0.weight": "../a.safetensors"}, r"shard '\.\./a\.safetensors' is not a file name"),
        ({"0.weight": "b.safetensors"}, r"tensor '0\.weight' is not in its shard"),
        (
            {"0.weight": "a.safetensors"},
            r"shard 'a\.safetensors' holds '0\.bias', which it does not list",
        ),
        ([1], r"no `weight_map`"),
    ],
)
def test_a_bad_shard_index_is_refused(tmp_path, weight_map, match):
    index, _ = _sharded(tmp_path, weight_map)
    model = _mlp()
    before = _snapshot(model)
    with pytest.raises(
        ValueError, match=r"model\.safetensors\.index\.json' is not a valid sharded(.|\n)*" + match
    ):
        model.load_weights(index, layout="torch")
    assert _unchanged(model, before)


def test_a_single_layer_loads_a_bare_module_state_dict(tmp_path):
    path = tmp_path / "linear.safetensors"
    weight = RNG.normal(size=(3, 4)).astype("float32")
    save_file({"weight": weight, "bias": np.zeros(3, "float32")}, str(path))
    layer = L.Dense(3)
    layer.build((None, 4))
    report = heft.saving.load_weights(layer, path, layout="torch")
    assert report.mapping == {"": ""} and report.loaded == 2
    np.testing.assert_array_equal(np.asarray(layer.kernel), weight.T)
    back = tmp_path / "back.safetensors"
    heft.saving.save_weights(layer, back, layout="torch")
    assert sorted(load_file(str(back))) == ["bias", "weight"]


@pytest.mark.parametrize("name", ["m.pt", "model.safetensors.index.json"])
def test_special_files_are_refused_before_reading(tmp_path, name):
    path = tmp_path / name
    os.mkfifo(path)
    with pytest.raises(OSError, match=r"it is a FIFO"):
        _mlp().load_weights(path, layout="torch")


class _Scaled(L.Layer):
    """A layer holding a variable of its own and a Dense sublayer."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.proj = L.Dense(3)

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(3,), initializer="ones", name="scale")
        self.proj.build(input_shape)

    def call(self, x):
        return self.proj(x) * self.scale


def test_a_custom_layer_pairs_its_sublayers_and_reports_its_own_variables(tmp_path):
    path = tmp_path / "m.safetensors"
    weight = RNG.normal(size=(3, 4)).astype("float32")
    save_file({"block.proj.weight": weight, "block.proj.bias": np.zeros(3, "float32")}, str(path))
    model = heft.Sequential([heft.Input((4,)), _Scaled(name="block")])
    report = model.load_weights(path, layout="torch", dry_run=True)
    assert [e.variable for e in report.mismatched] == ["sequential/block/scale"]
    with pytest.warns(UserWarning, match="skipped 1"):
        report = model.load_weights(path, layout="torch", skip_mismatch=["*/scale"])
    assert report.loaded == 2
    np.testing.assert_array_equal(np.asarray(model.layers[0].proj.kernel), weight.T)


def test_saved_tensors_carry_checksums_that_loading_checks(tmp_path):
    model = heft.Sequential([heft.Input((4,)), L.Dense(8, name="fc1"), L.Dense(3, name="fc2")])
    path = tmp_path / "m.safetensors"
    model.save_weights(path, layout="torch")
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0xFF  # the last byte of the data
    path.write_bytes(bytes(raw))
    before = _snapshot(model)
    with pytest.raises(ValueError, match=r"m\.safetensors.*checksum"):
        model.load_weights(path, layout="torch")
    assert _unchanged(model, before)
