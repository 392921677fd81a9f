"""Tests for the ``.safetensors`` format: keys, round trips, safe reading, all-or-nothing."""

import json
import struct
import subprocess
import sys

import h5py
import ml_dtypes
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors import safe_open
from safetensors.numpy import save_file

import heft
from heft import layers
from heft.optimizers import Adam
from heft.saving import load_weights, save_weights


def test_save_weights_safetensors_keys_match_weights_h5(tmp_path, mlp):
    model = mlp(seed=0)
    save_weights(model, tmp_path / "m.safetensors")
    save_weights(model, tmp_path / "m.weights.h5")
    with h5py.File(tmp_path / "m.weights.h5", "r") as f:
        h5 = {}
        f.visititems(lambda k, o: h5.update({k: o[()]}) if isinstance(o, h5py.Dataset) else None)
    with safe_open(tmp_path / "m.safetensors", framework="np") as f:
        metadata = f.metadata()
        st_values = {k: f.get_tensor(k) for k in f.keys()}
    assert (
        sorted(st_values)
        == sorted(h5)
        == [
            "layers/dense/vars/0",
            "layers/dense/vars/1",
            "layers/dense_1/vars/0",
            "layers/dense_1/vars/1",
        ]
    )
    for key, value in h5.items():
        assert st_values[key].tobytes() == value.tobytes()
    checksums = json.loads(metadata.pop("checksums"))
    assert metadata == {"format": "heft", "heft_format_version": "1"}
    assert sorted(checksums) == sorted(h5)
    with h5py.File(tmp_path / "m.weights.h5", "r") as f:
        assert checksums == {k: f[k].attrs["checksum"].decode() for k in h5}  # the same digests


def test_load_weights_safetensors_round_trip_is_bitwise(tmp_path, mlp, weights_of):
    model = mlp(seed=0)
    path = tmp_path / "m.safetensors"
    save_weights(model, path)
    other = mlp(seed=1)
    report = load_weights(other, path)
    assert report.ok and report.loaded == 4 and report.format == "safetensors"
    assert not report.unexpected and not report.skipped
    assert weights_of(other) == weights_of(model)
    x = np.random.default_rng(2).normal(size=(5, 3)).astype("float32")
    np.testing.assert_array_equal(np.asarray(other(x)), np.asarray(model(x)))
    assert other.layers[0].kernel.provenance == f"file '{path}', entry 'layers/dense/vars/0'"


def test_save_weights_safetensors_bfloat16_is_native(tmp_path, mlp, weights_of, safetensors_bytes):
    model = mlp(seed=0, dtype="bfloat16")
    path = tmp_path / "m.safetensors"
    save_weights(model, path)
    header = safetensors_bytes.split(path)[0]
    assert header["layers/dense/vars/0"]["dtype"] == "BF16"
    assert header["layers/dense/vars/0"]["shape"] == [3, 4]
    other = mlp(seed=1, dtype="bfloat16")
    load_weights(other, path)
    assert other.layers[0].kernel.dtype == "bfloat16"
    assert weights_of(other) == weights_of(model)
    assert other.weights[0].numpy().dtype == ml_dtypes.bfloat16


def test_weights_h5_and_safetensors_are_interchangeable(tmp_path, mlp):
    model = mlp(seed=0)
    save_weights(model, tmp_path / "m.weights.h5")
    with h5py.File(tmp_path / "m.weights.h5", "r") as f:
        arrays = {k: f[f"layers/{k}"][()] for k in ("dense/vars/0", "dense/vars/1")}
    arrays["layers/dense_1/vars/0"] = np.full((4, 2), 3.0, "float32")
    arrays["layers/dense_1/vars/1"] = np.full((2,), 4.0, "float32")
    arrays = {(k if k.startswith("layers/") else f"layers/{k}"): v for k, v in arrays.items()}
    save_file(arrays, tmp_path / "other.safetensors")
    other = mlp(seed=1)
    assert load_weights(other, tmp_path / "other.safetensors").loaded == 4
    np.testing.assert_array_equal(other.layers[0].kernel.numpy(), model.layers[0].kernel.numpy())
    np.testing.assert_array_equal(other.layers[2].bias.numpy(), [4.0, 4.0])


def test_load_weights_safetensors_optimizer_state_round_trip(tmp_path, mlp, safetensors_bytes):
    model = mlp(seed=0)
    model.optimizer = Adam(name="adam")
    model.optimizer.build(model.trainable_variables)
    for i, v in enumerate(model.optimizer.variables):
        v.assign(np.full(v.shape, i + 1, v.dtype))
    path = tmp_path / "m.safetensors"
    save_weights(model, path)
    header = safetensors_bytes.split(path)[0]
    n = len(model.optimizer.variables)
    assert [f"optimizer/vars/{i}" in header for i in range(n)] == [True] * n
    other = mlp(seed=1)
    other.optimizer = Adam(name="adam")
    other.optimizer.build(other.trainable_variables)
    assert load_weights(other, path).loaded == 4 + n
    for a, b in zip(other.optimizer.variables, model.optimizer.variables, strict=True):
        assert a.numpy().tobytes() == b.numpy().tobytes()


def test_load_weights_safetensors_shape_mismatch_changes_nothing(tmp_path, mlp, weights_of):
    path = tmp_path / "m.safetensors"
    save_weights(mlp(hidden=5, seed=0), path)
    model = mlp(hidden=4, seed=1)
    before = weights_of(model)
    with pytest.raises(
        ValueError, match=r"Cannot load weights from .*m\.safetensors.*3 mismatched"
    ):
        load_weights(model, path)
    assert weights_of(model) == before


def test_load_weights_safetensors_dry_run_and_skip_mismatch(tmp_path, mlp, weights_of):
    source = mlp(hidden=5, seed=0)
    path = tmp_path / "m.safetensors"
    save_weights(source, path)
    model = mlp(hidden=4, seed=1)
    before = weights_of(model)
    report = load_weights(model, path, dry_run=True)
    assert report.dry_run and not report.ok
    assert [e.key for e in report.matched] == ["layers/dense_1/vars/1"]
    assert weights_of(model) == before
    with pytest.warns(UserWarning, match=r"skipped 3 variable\(s\)"):
        report = load_weights(model, path, skip_mismatch=True)
    assert report.loaded == 1
    np.testing.assert_array_equal(model.layers[2].bias.numpy(), source.layers[2].bias.numpy())
    assert weights_of(model)[0] == before[0]


def test_load_weights_safetensors_unknown_dtype_is_a_mismatch(
    tmp_path, mlp, weights_of, safetensors_bytes
):
    path = tmp_path / "m.safetensors"
    kernel = {"dtype": "F32", "shape": [4, 2], "data_offsets": [0, 32]}
    bias = {"dtype": "F8_E8M0", "shape": [2], "data_offsets": [32, 34]}
    header = {"layers/dense_1/vars/0": kernel, "layers/dense_1/vars/1": bias}
    safetensors_bytes.join(path, header, b"\0" * 32 + b"\1\2", pad=False)
    model = mlp(seed=1)
    before = weights_of(model)
    report = load_weights(model, path, dry_run=True)
    [mismatched] = report.mismatched
    assert mismatched.key == "layers/dense_1/vars/1"
    assert "dtype F8_E8M0 cannot be converted to the variable's float32" in mismatched.detail
    with pytest.raises(ValueError, match=r"2 variable\(s\) missing from the file and 1 mismatched"):
        load_weights(model, path)
    assert weights_of(model) == before


def test_save_weights_safetensors_complex_round_trip_and_refusal(tmp_path, safetensors_bytes):
    class Complex(layers.Layer):
        def build(self, input_shape):
            self.z = self.add_weight(shape=(2,), initializer="zeros", dtype="complex64")

        def call(self, x):
            return x

    model = heft.Sequential([layers.Input((3,)), Complex()])
    model.layers[0].z.assign(np.array([1 + 2j, 3 - 4j], "complex64"))
    path = tmp_path / "c.safetensors"
    save_weights(model, path)
    assert safetensors_bytes.split(path)[0]["layers/complex/vars/0"]["dtype"] == "C64"
    other = heft.Sequential([layers.Input((3,)), Complex()])
    load_weights(other, path)
    np.testing.assert_array_equal(other.layers[0].z.numpy(), [1 + 2j, 3 - 4j])

    class Wide:
        path, shape, dtype = "opt/wide", (2,), "complex128"

        def numpy(self):
            return np.zeros(2, "complex128")

    class StandIn:
        name = "opt"
        variables = [Wide()]

    model.optimizer = StandIn()
    with pytest.raises(
        ValueError,
        match=r"'opt/wide' \(file key 'optimizer/vars/0'\).*its dtype complex128 is not one safetensors stores",
    ):
        save_weights(model, tmp_path / "w.safetensors")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.safetensors"]


def test_load_weights_safetensors_by_name_is_refused(tmp_path, mlp):
    path = tmp_path / "m.safetensors"
    save_weights(mlp(), path)
    with pytest.raises(ValueError, match=r"'.*m\.safetensors' is a `\.safetensors` file"):
        load_weights(mlp(), path, by_name=True)


def test_save_weights_safetensors_overwrite_false_keeps_file(tmp_path, mlp):
    path = tmp_path / "m.safetensors"
    save_weights(mlp(seed=0), path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match=r"already exists and `overwrite=False`"):
        save_weights(mlp(seed=1), path, overwrite=False)
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"it has 0 byte\(s\), fewer than the 8"),
        (b"\x89HDF\r\n\x1a\nrest", r"its header declares \d+ bytes but the file has 12"),
        (struct.pack("<Q", 3) + b"{{{", r"its header is not valid JSON"),
        (struct.pack("<Q", 2) + b"[]", r"its header is not a JSON object"),
        (
            struct.pack("<Q", 26) + b'{"__metadata__": {"a": 1}}',
            r"its `__metadata__` is not a mapping",
        ),
    ],
)
def test_load_weights_safetensors_damaged_headers(tmp_path, content, message, mlp, weights_of):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    model = mlp(seed=1)
    before = weights_of(model)
    with pytest.raises(
        ValueError, match=r"'.*bad\.safetensors' is not a valid safetensors file: " + message
    ):
        load_weights(model, path)
    assert weights_of(model) == before


def test_load_weights_safetensors_declared_sizes_are_checked(tmp_path, mlp, safetensors_bytes):
    path = tmp_path / "m.safetensors"
    entry = {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}
    safetensors_bytes.join(path, {"layers/dense/vars/1": entry}, b"\0" * 8, pad=False)
    with pytest.raises(ValueError, match=r"declares bytes 0\.\.16 but the file holds 8 bytes"):
        load_weights(mlp(), path)
    entry = {"dtype": "F32", "shape": [4, 1000], "data_offsets": [0, 16]}
    safetensors_bytes.join(path, {"layers/dense/vars/1": entry}, b"\0" * 16, pad=False)
    with pytest.raises(ValueError, match=r"needs 16000 bytes but its offsets span 16"):
        load_weights(mlp(), path)
    safetensors_bytes.join(
        path, {"k": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4, pad=False
    )
    with pytest.raises(ValueError, match=r"the header entry of tensor 'k' is malformed"):
        load_weights(mlp(), path)


def test_load_weights_safetensors_library_checks_the_layout(tmp_path, mlp, safetensors_bytes):
    path = tmp_path / "m.safetensors"
    a = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
    b = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}  # overlaps a
    safetensors_bytes.join(
        path, {"layers/dense/vars/1": a, "layers/dense_1/vars/1": b}, b"\0" * 8, pad=False
    )
    with pytest.raises(ValueError, match=r"'.*m\.safetensors' is not a valid safetensors file"):
        load_weights(mlp(), path)


def test_load_weights_safetensors_missing_file_and_folder(tmp_path, mlp):
    with pytest.raises(FileNotFoundError, match=r"No weights file at"):
        load_weights(mlp(), tmp_path / "none.safetensors")
    (tmp_path / "d.safetensors").mkdir()
    with pytest.raises(IsADirectoryError, match=r"is a folder, not a weights file"):
        load_weights(mlp(), tmp_path / "d.safetensors")


@pytest.fixture(scope="module")
def saved_bytes(tmp_path_factory, file_bytes, mlp):
    path = tmp_path_factory.mktemp("saved") / "m.safetensors"
    save_weights(mlp(seed=0), path)
    return file_bytes(path.read_bytes())


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cut=st.integers(min_value=0, max_value=10**6))
def test_load_weights_safetensors_any_truncation_raises_and_changes_nothing(
    tmp_path, saved_bytes, cut, mlp, weights_of
):
    path = tmp_path / "cut.safetensors"
    path.write_bytes(saved_bytes[: cut % len(saved_bytes)])
    model = mlp(seed=1)
    before = weights_of(model)
    with pytest.raises(ValueError, match=r"cut\.safetensors"):
        load_weights(model, path)
    assert weights_of(model) == before


def test_safetensors_files_need_no_safetensors_package(tmp_path):
    # The package is a test dependency only: heft reads and writes the format itself.
    script = (
        "import sys; sys.modules['safetensors'] = None\n"
        "import numpy as np, heft\n"
        "from heft import layers\n"
        "m = heft.Sequential([layers.Input((3,)), layers.Dense(2)])\n"
        f"heft.saving.save_weights(m, {str(tmp_path / 'm.safetensors')!r})\n"
        f"print(heft.saving.load_weights(m, {str(tmp_path / 'm.safetensors')!r}).loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-1] == "2"
