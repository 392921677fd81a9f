"""Tests for safe HDF5 reading: links, external and virtual data, bombs, damaged files."""

import h5py
import numpy as np
import pytest

from heft.saving import _hdf5, load_weights, save_weights
from heft.saving._format import StoredArray


@pytest.fixture
def saved(tmp_path, mlp):
    """A model and the ``.weights.h5`` file saved from it."""
    model = mlp(dropout=False)
    path = tmp_path / "m.weights.h5"
    save_weights(model, path)
    return model, path


def test_load_refuses_soft_link(tmp_path, saved, weights_of):
    model, path = saved
    with h5py.File(path, "a") as f:
        f["layers/extra"] = h5py.SoftLink("/layers/dense")
    before = weights_of(model)
    with pytest.raises(ValueError, match=r"'layers/extra' is an HDF5 soft link"):
        load_weights(model, path)
    assert weights_of(model) == before


def test_load_refuses_external_link(tmp_path, saved):
    model, path = saved
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = np.zeros(3)
    with h5py.File(path, "a") as f:
        f["layers/dense/vars/2"] = h5py.ExternalLink(str(other), "/x")
    with pytest.raises(ValueError, match=r"'layers/dense/vars/2' is an HDF5 external link"):
        load_weights(model, path)


def test_load_refuses_external_dataset(tmp_path, saved):
    model, path = saved
    raw = tmp_path / "raw.bin"
    np.zeros(2, "float32").tofile(raw)
    with h5py.File(path, "a") as f:
        del f["layers/dense_1/vars/1"]
        f["layers/dense_1/vars"].create_dataset(
            "1", shape=(2,), dtype="float32", external=[(str(raw), 0, 8)]
        )
    with pytest.raises(
        ValueError, match=r"dataset 'layers/dense_1/vars/1' stores its data in external files"
    ):
        load_weights(model, path)


def test_load_refuses_virtual_dataset(tmp_path, saved):
    model, path = saved
    source = tmp_path / "source.h5"
    with h5py.File(source, "w") as f:
        f["x"] = np.zeros(2, "float32")
    layout = h5py.VirtualLayout(shape=(2,), dtype="float32")
    layout[:] = h5py.VirtualSource(str(source), "x", shape=(2,))
    with h5py.File(path, "a") as f:
        del f["layers/dense_1/vars/1"]
        f["layers/dense_1/vars"].create_virtual_dataset("1", layout)
    with pytest.raises(ValueError, match=r"dataset 'layers/dense_1/vars/1' is a virtual dataset"):
        load_weights(model, path)


def test_load_refuses_shape_bomb(tmp_path, saved):
    model, path = saved
    with h5py.File(path, "a") as f:
        f["layers"].create_dataset(
            "bomb", shape=(2**31,), dtype="float32", chunks=(2**20,), compression="gzip"
        )
    with pytest.raises(
        ValueError, match=r"dataset 'layers/bomb' declares 8589934592 bytes but stores only 0"
    ):
        load_weights(model, path)


def test_load_refuses_unknown_link_type(tmp_path, monkeypatch, saved):
    model, path = saved
    monkeypatch.setattr(_hdf5, "_visit_links", lambda f, filepath: [("layers", 99)])
    with pytest.raises(ValueError, match=r"'layers' is a link of unknown type \(99\)"):
        load_weights(model, path)


def test_load_damaged_link_names_raise_value_error(tmp_path, saved, weights_of):
    model, path = saved
    data = bytearray(path.read_bytes())
    at = data.find(b"layers\x00")
    data[at : at + 6] = b"\xa5" * 6
    path.write_bytes(bytes(data))
    before = weights_of(model)
    with pytest.raises(ValueError, match=r"is corrupted: its structure cannot be read"):
        load_weights(model, path)
    assert weights_of(model) == before


def test_load_damaged_object_header_raises_value_error(tmp_path, saved, weights_of):
    model, path = saved
    data = bytearray(path.read_bytes())
    at = data.find(np.array([3, 4], "<u8").tobytes())  # the kernel's dataspace dimensions
    data[at : at + 16] = b"\xa5" * 16
    path.write_bytes(bytes(data))
    before = weights_of(model)
    with pytest.raises(ValueError, match=r"object 'layers/dense/vars/0' cannot be read"):
        load_weights(model, path)
    assert weights_of(model) == before


def test_open_h5_missing_file_and_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"No weights file at"):
        _hdf5.open_h5(str(tmp_path / "nope.weights.h5"))
    with pytest.raises(IsADirectoryError, match=r"is a folder, not a weights file"):
        _hdf5.open_h5(str(tmp_path))


def test_open_h5_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "m.weights.h5"
    path.write_bytes(b"x")

    def denied(filepath):
        raise PermissionError("Permission denied")

    monkeypatch.setattr(h5py, "is_hdf5", denied)
    with pytest.raises(ValueError, match=r"Cannot read weights file .*Permission denied"):
        _hdf5.open_h5(str(path))


def test_index_file_lists_datasets_with_dtypes(tmp_path, saved):
    _, path = saved
    with h5py.File(path, "r") as f:
        index = _hdf5.index_file(f, str(path))
    assert sorted(index.arrays) == [
        "layers/dense/vars/0",
        "layers/dense/vars/1",
        "layers/dense_1/vars/0",
        "layers/dense_1/vars/1",
    ]
    stored = index.arrays["layers/dense/vars/0"]
    assert stored.checksum.startswith("xxh3:")
    assert stored == StoredArray("layers/dense/vars/0", (3, 4), "float32", True, stored.checksum)
    assert {"layers", "layers/dense/vars", "vars"} <= index.groups


def test_index_file_marks_null_dataspace_unsupported(tmp_path):
    path = tmp_path / "e.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("empty", data=h5py.Empty("f4"))
        f.create_dataset("opaque", data=np.zeros(2, "V2"))
    with h5py.File(path, "r") as f:
        index = _hdf5.index_file(f, str(path))
    assert index.arrays["empty"].numeric is False
    assert index.arrays["opaque"] == StoredArray("opaque", (2,), "|V2", False)
