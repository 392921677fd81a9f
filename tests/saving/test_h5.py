"""Tests for the ``.weights.h5`` format: layout, round trips, all-or-nothing loading."""

import os
import warnings

import h5py
import ml_dtypes
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import heft
from heft import layers
from heft.saving import _h5, load_weights, save_weights


class Scalar(layers.Layer):
    def build(self, input_shape):
        self.gain = self.add_weight(shape=(), initializer="ones", name="gain")
        self.count = self.add_weight(
            shape=(), initializer="zeros", dtype="int32", trainable=False, name="count"
        )

    def call(self, x):
        return x * self.gain


def test_save_weights_h5_writes_keras_layout(tmp_path, h5_structure, mlp):
    model = mlp()
    path = tmp_path / "m.weights.h5"
    save_weights(model, path)
    assert h5_structure(path) == [
        ("/", "attrs", []),
        ("layers", "group", {}),
        ("layers/dense", "group", {}),
        ("layers/dense/vars", "group", {"name": "dense"}),
        ("layers/dense/vars/0", "dataset", (3, 4), "<f4", {"checksum": "<xxh3>"}, None, None),
        ("layers/dense/vars/1", "dataset", (4,), "<f4", {"checksum": "<xxh3>"}, None, None),
        ("layers/dense_1", "group", {}),
        ("layers/dense_1/vars", "group", {"name": "dense_1"}),
        ("layers/dense_1/vars/0", "dataset", (4, 2), "<f4", {"checksum": "<xxh3>"}, None, None),
        ("layers/dense_1/vars/1", "dataset", (2,), "<f4", {"checksum": "<xxh3>"}, None, None),
        ("layers/dropout", "group", {}),
        ("layers/dropout/vars", "group", {"name": "dropout"}),
        ("vars", "group", {"name": "sequential"}),
    ]


def test_save_weights_h5_scalars_and_bfloat16(tmp_path):
    model = heft.Sequential([layers.Input((3,)), layers.Dense(2, dtype="bfloat16"), Scalar()])
    model.layers[1].gain.assign(2.5)
    path = tmp_path / "m.weights.h5"
    save_weights(model, path)
    with h5py.File(path, "r") as f:
        kernel = f["layers/dense/vars/0"]
        assert kernel.dtype.str == "|V2"
        assert kernel.attrs["dtype"] == "bfloat16"
        assert f["layers/scalar/vars/0"].shape == ()
        assert f["layers/scalar/vars/1"].dtype == np.int32
        raw = kernel[()].view(ml_dtypes.bfloat16)
    np.testing.assert_array_equal(raw, model.layers[0].kernel.numpy())
    other = heft.Sequential([layers.Input((3,)), layers.Dense(2, dtype="bfloat16"), Scalar()])
    load_weights(other, path)
    assert other.layers[0].kernel.dtype == "bfloat16"
    assert other.layers[0].kernel.numpy().tobytes() == model.layers[0].kernel.numpy().tobytes()
    assert float(other.layers[1].gain.numpy()) == 2.5


def test_load_weights_h5_round_trip_is_bitwise_and_predicts_the_same(tmp_path, mlp, weights_of):
    model = mlp(seed=0)
    path = tmp_path / "m.weights.h5"
    save_weights(model, path)
    other = mlp(seed=1)
    report = load_weights(other, path)
    assert report.ok and report.loaded == 4 and not report.unexpected and not report.skipped
    assert weights_of(other) == weights_of(model)
    x = np.random.default_rng(2).normal(size=(5, 3)).astype("float32")
    np.testing.assert_array_equal(np.asarray(other(x)), np.asarray(model(x)))
    assert other.layers[0].kernel.provenance == f"file '{path}', entry 'layers/dense/vars/0'"


def test_load_weights_h5_casts_to_the_variable_dtype(tmp_path):
    source = heft.Sequential([layers.Input((3,)), layers.Dense(2, dtype="float16")])
    path = tmp_path / "m.weights.h5"
    save_weights(source, path)
    target = heft.Sequential([layers.Input((3,)), layers.Dense(2)])
    load_weights(target, path)
    assert target.layers[0].kernel.dtype == "float32"
    np.testing.assert_array_equal(
        target.layers[0].kernel.numpy(), source.layers[0].kernel.numpy().astype("float32")
    )


def test_save_weights_h5_overwrite_false_raises_and_keeps_file(tmp_path, mlp):
    path = tmp_path / "m.weights.h5"
    save_weights(mlp(seed=0), path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match=r"already exists and `overwrite=False`"):
        save_weights(mlp(seed=1), path, overwrite=False)
    assert path.read_bytes() == before
    save_weights(mlp(seed=1), path, overwrite=True)
    assert path.read_bytes() != before


def test_save_weights_h5_failure_mid_write_keeps_previous_file(tmp_path, monkeypatch, mlp):
    path = tmp_path / "m.weights.h5"
    save_weights(mlp(seed=0), path)
    before = path.read_bytes()
    calls = []

    def failing(group, key, value):
        calls.append(key)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        group.create_dataset(key, data=value)

    monkeypatch.setattr(_h5, "write_array", failing)
    with pytest.raises(RuntimeError, match=r"disk full"):
        save_weights(mlp(seed=1), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.weights.h5"]


def test_load_weights_h5_shape_mismatch_changes_nothing(tmp_path, mlp, weights_of):
    path = tmp_path / "m.weights.h5"
    save_weights(mlp(hidden=5, seed=0), path)
    model = mlp(hidden=4, seed=1)
    before = weights_of(model)
    with pytest.raises(
        ValueError, match=r"Cannot load weights from .*m\.weights\.h5.* into model"
    ) as info:
        load_weights(model, path)
    message = str(info.value)
    assert "3 mismatched" in message and "Nothing was changed" in message
    kernel = model.layers[0].kernel.path
    assert f"layers/dense/vars/0 -> {kernel}: shape differs: the file has (3, 5) float32" in message
    assert "skip_mismatch=True" in message
    assert weights_of(model) == before


def test_load_weights_h5_missing_layer_fails_and_lists_it(tmp_path, mlp, weights_of):
    path = tmp_path / "m.weights.h5"
    save_weights(heft.Sequential([layers.Dense(4, input_shape=(3,))]), path)
    model = mlp(dropout=False, seed=1)
    before = weights_of(model)
    with pytest.raises(ValueError, match=r"2 variable\(s\) missing from the file") as info:
        load_weights(model, path)
    kernel = model.layers[1].kernel.path
    assert f"layers/dense_1/vars/0 -> {kernel}: not in the file" in str(info.value)
    assert weights_of(model) == before


def test_load_weights_h5_extra_groups_are_reported_not_fatal(tmp_path, mlp):
    path = tmp_path / "m.weights.h5"
    save_weights(mlp(seed=0), path)
    model = heft.Sequential([layers.Dense(4, input_shape=(3,))])
    report = load_weights(model, path)
    assert report.ok and report.loaded == 2
    assert [e.key for e in report.unexpected] == [
        "layers/dense_1/vars/0",
        "layers/dense_1/vars/1",
        "layers/dropout/vars",
    ]


def test_load_weights_h5_dry_run_reports_and_changes_nothing(tmp_path, mlp, weights_of):
    path = tmp_path / "m.weights.h5"
    save_weights(mlp(hidden=5, seed=0), path)
    model = mlp(hidden=4, seed=1)
    before = weights_of(model)
    report = load_weights(model, path, dry_run=True)
    assert report.dry_run and not report.ok
    assert [e.key for e in report.matched] == ["layers/dense_1/vars/1"]
    assert [e.key for e in report.mismatched] == [
        "layers/dense/vars/0",
        "layers/dense/vars/1",
        "layers/dense_1/vars/0",
    ]
    assert "would load 1 variable(s)" in repr(report)
    assert weights_of(model) == before


def test_load_weights_h5_skip_mismatch_loads_the_rest(tmp_path, mlp, weights_of):
    source = mlp(hidden=5, seed=0)
    path = tmp_path / "m.weights.h5"
    save_weights(source, path)
    model = mlp(hidden=4, seed=1)
    before = weights_of(model)
    with pytest.warns(
        UserWarning, match=r"skipped 3 variable\(s\), which keep their current values"
    ):
        report = load_weights(model, path, skip_mismatch=True)
    assert [e.key for e in report.skipped] == [
        "layers/dense/vars/0",
        "layers/dense/vars/1",
        "layers/dense_1/vars/0",
    ]
    assert weights_of(model)[:3] == before[:3]
    assert weights_of(model)[3] == weights_of(source)[3]


def test_load_weights_h5_count_mismatch_marks_every_variable_of_the_layer(tmp_path):
    path = tmp_path / "m.weights.h5"
    save_weights(heft.Sequential([layers.Dense(4, input_shape=(3,), use_bias=False)]), path)
    model = heft.Sequential([layers.Dense(4, input_shape=(3,))])
    report = load_weights(model, path, dry_run=True)
    assert [e.key for e in report.mismatched] == ["layers/dense/vars/0", "layers/dense/vars/1"]
    name = model.layers[0].name
    assert f"layer '{name}' has 2 variable(s) but the file's group 'layers/dense/vars' holds 1" in (
        report.mismatched[0].detail
    )


def test_load_weights_h5_unconvertible_dtype_is_a_mismatch(tmp_path):
    model = heft.Sequential([layers.Dense(2, input_shape=(3,))])
    path = tmp_path / "m.weights.h5"
    save_weights(model, path)
    with h5py.File(path, "a") as f:
        del f["layers/dense/vars/1"]
        f["layers/dense/vars"].create_dataset("1", data=np.array([b"ab", b"cd"]))
    with pytest.raises(
        ValueError, match=r"dtype \|S2 cannot be converted to the variable's float32"
    ):
        load_weights(model, path)


def test_load_weights_h5_layer_without_variables_but_file_has_some(tmp_path):
    path = tmp_path / "m.weights.h5"
    save_weights(heft.Sequential([layers.Dense(2, input_shape=(3,))]), path)
    with h5py.File(path, "a") as f:
        f.move("layers/dense", "layers/dropout")
    model = heft.Sequential([layers.Input((3,)), layers.Dropout(0.1)])
    with pytest.raises(
        ValueError, match=r"layer 'dropout' has 0 variable\(s\) but the file's group"
    ):
        load_weights(model, path)


def test_load_weights_h5_unbuilt_sublayer_says_how_to_build(tmp_path):
    class Sub(heft.Model):
        def __init__(self):
            super().__init__()
            self.used = layers.Dense(2)
            self.unused = layers.Dense(2)

        def call(self, x):
            return self.used(x)

    built = Sub()
    built(np.ones((1, 3), "float32"))
    built.unused(np.ones((1, 3), "float32"))
    path = tmp_path / "m.weights.h5"
    save_weights(built, path)
    model = Sub()
    model(np.ones((1, 3), "float32"))
    with pytest.raises(ValueError, match=r"the layer is not built: call the model on data"):
        load_weights(model, path)


def test_load_weights_h5_keras_2_13_layer_group_name(tmp_path, mlp, weights_of):
    source = mlp(dropout=False, seed=0)
    path = tmp_path / "m.weights.h5"
    save_weights(source, path)
    with h5py.File(path, "a") as f:
        f.move("layers", "_layer_checkpoint_dependencies")
    model = mlp(dropout=False, seed=1)
    assert load_weights(model, path).loaded == 4
    assert weights_of(model) == weights_of(source)


def test_load_weights_h5_refuses_legacy_layout(tmp_path, mlp):
    path = tmp_path / "legacy.h5"
    save_weights(mlp(), path)
    renamed = tmp_path / "legacy.weights.h5"
    path.rename(renamed)
    with pytest.raises(ValueError, match=r"is a legacy Keras 2 weights file"):
        load_weights(mlp(), renamed)


def test_load_weights_h5_truncated_file_names_it_and_changes_nothing(tmp_path, mlp, weights_of):
    path = tmp_path / "m.weights.h5"
    save_weights(mlp(seed=0), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    model = mlp(seed=1)
    before = weights_of(model)
    with pytest.raises(ValueError, match=r"m\.weights\.h5' is truncated or corrupted"):
        load_weights(model, path)
    assert weights_of(model) == before


def test_load_weights_h5_corrupted_data_chunk_changes_nothing(tmp_path, mlp, weights_of):
    model = mlp(dropout=False, seed=1)
    path = tmp_path / "m.weights.h5"
    with h5py.File(path, "w") as f:
        for i, layer in enumerate(model.layers):
            group = f.create_group(f"layers/dense{'_1' if i else ''}/vars")
            for j, w in enumerate(layer.weights):
                group.create_dataset(str(j), data=w.numpy() + 1, chunks=w.shape, compression="gzip")
        f.create_group("vars")
        info = f["layers/dense_1/vars/0"].id.get_chunk_info(0)
    with open(path, "r+b") as fh:
        fh.seek(info.byte_offset)
        fh.write(b"\xff" * info.size)
    before = weights_of(model)
    with pytest.raises(ValueError, match=r"dataset 'layers/dense_1/vars/0' cannot be read"):
        load_weights(model, path)
    assert weights_of(model) == before


def test_load_weights_h5_not_an_hdf5_file(tmp_path, mlp):
    path = tmp_path / "m.weights.h5"
    path.write_text("hello")
    with pytest.raises(ValueError, match=r"is not an HDF5 file"):
        load_weights(mlp(), path)


def test_load_weights_h5_optimizer_state_round_trip(tmp_path, mlp):
    class StandIn:
        def __init__(self, name, shapes):
            self.name = name
            self.variables = [
                heft.Variable(np.full(s, i, "float32"), name=f"v{i}") for i, s in enumerate(shapes)
            ]

    model = mlp(dropout=False, seed=0)
    model.optimizer = StandIn("adam", [(), (3, 4)])
    path = tmp_path / "m.weights.h5"
    save_weights(model, path)
    with h5py.File(path, "r") as f:
        assert f["optimizer/vars"].attrs["name"] == "adam"
        assert f["optimizer/vars/1"].shape == (3, 4)
    other = mlp(dropout=False, seed=1)
    other.optimizer = StandIn("adam", [(), (3, 4)])
    other.optimizer.variables[1].assign(np.zeros((3, 4)))
    report = load_weights(other, path)
    assert report.loaded == 6
    np.testing.assert_array_equal(other.optimizer.variables[1].numpy(), np.ones((3, 4)))


def test_load_weights_h5_optimizer_count_mismatch_is_skipped_with_a_warning(
    tmp_path, mlp, weights_of
):
    class StandIn:
        name = "adam"

        def __init__(self, n):
            self.variables = [heft.Variable(float(i), name=f"v{i}") for i in range(n)]

    source = mlp(dropout=False, seed=0)
    source.optimizer = StandIn(3)
    path = tmp_path / "m.weights.h5"
    save_weights(source, path)
    model = mlp(dropout=False, seed=1)
    model.optimizer = StandIn(2)
    with pytest.warns(UserWarning, match=r"skipped 2 variable"):
        report = load_weights(model, path)
    assert report.loaded == 4 and report.ok
    assert "optimizer 'adam' has 2 variable(s) but the file's group 'optimizer/vars' holds 3" in (
        report.skipped[0].detail
    )
    assert weights_of(heft.Sequential(model.layers)) == weights_of(
        source
    )  # the layers still loaded
    unbuilt = mlp(dropout=False, seed=1)
    unbuilt.optimizer = StandIn(0)
    with pytest.warns(UserWarning, match=r"the optimizer is not built yet"):
        assert load_weights(unbuilt, path).loaded == 4


def test_load_weights_h5_optimizer_absent_from_file_is_skipped(tmp_path, mlp):
    class StandIn:
        name = "sgd"
        variables = [heft.Variable(1.0, name="iteration")]

    path = tmp_path / "m.weights.h5"
    save_weights(mlp(dropout=False), path)
    model = mlp(dropout=False)
    model.optimizer = StandIn()
    with pytest.warns(UserWarning, match=r"the file holds no optimizer state"):
        assert load_weights(model, path).loaded == 4


def test_load_weights_h5_report_table_lists_rows(tmp_path, mlp):
    path = tmp_path / "m.weights.h5"
    save_weights(mlp(), path)
    model = mlp()
    text = repr(load_weights(model, path))
    assert "loaded 4 variable(s); 0 missing, 0 mismatched, 0 unexpected, 0 skipped" in text
    lines = text.splitlines()
    assert lines[1].split() == ["status", "file", "key", "variable", "detail"]
    assert lines[3].split() == [
        "matched",
        "layers/dense/vars/0",
        model.layers[0].kernel.path,
        "(3,",
        "4)",
        "float32",
    ]


def test_load_weights_h5_failure_lists_are_sorted_and_truncated(tmp_path):
    path = tmp_path / "m.weights.h5"
    save_weights(heft.Sequential([layers.Input((3,))] + [layers.Dense(3) for _ in range(8)]), path)
    model = heft.Sequential([layers.Input((3,))] + [layers.Dense(4) for _ in range(8)])
    with pytest.raises(
        ValueError, match=r"and 6 more \(pass `dry_run=True` for the full report\)"
    ) as info:
        load_weights(model, path)
    lines = [line for line in str(info.value).splitlines() if line.startswith("  layers/")]
    assert lines == sorted(lines) and len(lines) == 10


def test_load_weights_h5_no_warning_when_everything_loads(tmp_path, mlp):
    path = tmp_path / "m.weights.h5"
    save_weights(mlp(), path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_weights(mlp(), path)


@pytest.fixture(scope="module")
def saved_bytes(tmp_path_factory, file_bytes, mlp):
    path = tmp_path_factory.mktemp("saved") / "m.weights.h5"
    save_weights(mlp(seed=0), path)
    return file_bytes(path.read_bytes())


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cut=st.integers(min_value=0, max_value=10**6))
def test_load_weights_h5_any_truncation_raises_and_changes_nothing(
    tmp_path, saved_bytes, cut, mlp, weights_of
):
    cut = cut % len(saved_bytes)
    path = tmp_path / "cut.weights.h5"
    path.write_bytes(saved_bytes[:cut])
    model = mlp(seed=1)
    before = weights_of(model)
    with pytest.raises(ValueError, match=r"cut\.weights\.h5"):
        load_weights(model, path)
    assert weights_of(model) == before


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(offset=st.integers(min_value=0, max_value=10**6), byte=st.integers(0, 255))
def test_load_weights_h5_flipped_byte_loads_or_raises_without_change(
    tmp_path, saved_bytes, offset, byte, mlp, weights_of
):
    data = bytearray(saved_bytes)
    data[offset % len(data)] ^= byte or 1
    path = tmp_path / "flip.weights.h5"
    path.write_bytes(bytes(data))
    model = mlp(seed=1)
    before = weights_of(model)
    try:
        load_weights(model, path)
    except ValueError as err:
        assert "flip.weights.h5" in str(err)
        assert weights_of(model) == before
    else:  # the per-dataset checksums let nothing altered load
        assert weights_of(model) == weights_of(mlp(seed=0))


def test_unreadable_dataset_header_names_the_file():
    # A flipped byte in a float datatype message (found by the property test
    # below) gives h5py a type it cannot represent: ds.dtype raises ValueError.
    class Damaged:
        external, is_virtual, shape = None, False, (3, 4)

        @property
        def dtype(self):
            raise ValueError("Insufficient precision in available types to represent (31, 23)")

    from heft.saving import _hdf5

    with pytest.raises(
        ValueError,
        match=r"'m\.weights\.h5' is corrupted: the header of dataset 'layers/d/vars/0' "
        r"cannot be read \(Insufficient precision",
    ):
        _hdf5._check_dataset(Damaged(), "layers/d/vars/0", "m.weights.h5")


def test_load_weights_h5_attribute_named_model_weights_is_not_legacy(tmp_path, weights_of):
    class Sub(heft.Model):
        def __init__(self):
            super().__init__()
            self.model_weights = layers.Dense(2)

        def call(self, x):
            return self.model_weights(x)

    source = Sub()
    source(np.ones((1, 3), "float32"))
    path = tmp_path / "m.weights.h5"
    save_weights(source, path)
    model = Sub()
    model(np.ones((1, 3), "float32"))
    assert load_weights(model, path).loaded == 2
    assert weights_of(model) == weights_of(source)
