"""Tests for the format registry: suffix lookup, the messages it drives, and adding a format."""

import contextlib
import os

import numpy as np
import pytest

import heft
from heft import layers
from heft.saving import _formats, load_weights, save_weights
from heft.saving._format import FileIndex, Opened, StoredArray, WeightFormat
from heft.saving._store import host_value, saved_groups
from heft.saving._walk import vars_group


@pytest.mark.parametrize(
    ("path", "name", "suffix"),
    [
        ("m.weights.h5", "weights.h5", ".weights.h5"),
        ("M.WEIGHTS.H5", "weights.h5", ".weights.h5"),
        ("m.h5", "legacy h5", ".h5"),
        ("m.hdf5", "legacy h5", ".hdf5"),
        ("m.weights.json", "sharded weights.h5", ".weights.json"),
        ("m.safetensors", "safetensors", ".safetensors"),
        ("m.keras", "keras", ".keras"),
    ],
)
def test_find_picks_the_longest_matching_suffix(path, name, suffix):
    fmt, found = _formats.find(path, "load")
    assert (fmt.name, found) == (name, suffix)


def test_find_offers_read_only_formats_for_loading_only():
    with pytest.raises(ValueError, match=r"Cannot save weights .*and, for loading, `.keras`: "):
        _formats.find("m.keras", "save")
    assert _formats.saving_suffixes() == (
        ".weights.h5",
        ".weights.json",
        ".safetensors",
        ".h5",
        ".hdf5",
    )


def test_registered_formats_are_complete_and_distinct():
    names = [fmt.name for fmt in _formats.FORMATS]
    suffixes = [s for fmt in _formats.FORMATS for s in fmt.suffixes]
    assert len(set(names)) == len(names) and len(set(suffixes)) == len(suffixes)
    assert all(s.startswith(".") and s == s.lower() for s in suffixes)
    for fmt in _formats.FORMATS:
        assert callable(fmt.open) and (fmt.save is None or callable(fmt.save))
        if fmt.sharded_suffix is not None:
            assert _formats.find(f"m{fmt.sharded_suffix}", "save")[0].needs_shard_size


def _npz_save(model, filepath, overwrite, max_shard_size=None):
    arrays = {}
    for path, (_, entries) in saved_groups(model, filepath).items():
        for name, value in entries.items():
            arrays[f"{vars_group(path)}/{name}"] = host_value(value)
    with open(filepath, "wb") as fh:
        np.savez(fh, **arrays)


@contextlib.contextmanager
def _npz_open(filepath):
    with np.load(filepath) as data:
        arrays = {k: StoredArray(k, data[k].shape, data[k].dtype.name, True) for k in data.files}
        groups = {
            "/".join(k.split("/")[:i]) for k in data.files for i in range(1, k.count("/") + 1)
        }

        def read(stored, take):
            out = take(stored.shape, data[stored.key].dtype).array
            out[...] = data[stored.key]
            return out, lambda: None

        yield Opened(os.fspath(filepath), FileIndex(arrays, groups), read)


def test_a_format_added_by_one_registration_line_gets_the_whole_loader(tmp_path, monkeypatch):
    npz = WeightFormat("npz", (".weights.npz",), "numpy archives", _npz_open, _npz_save)
    monkeypatch.setattr(_formats, "FORMATS", (*_formats.FORMATS, npz))
    with pytest.raises(ValueError, match=r"`.weights.npz`: numpy archives; and, for loading"):
        save_weights(heft.Sequential([layers.Input((3,)), layers.Dense(2)]), tmp_path / "m.npz")
    source = heft.Sequential([layers.Input((3,)), layers.Dense(2), layers.Dense(1)])
    save_weights(source, tmp_path / "m.weights.npz")
    target = heft.Sequential([layers.Input((3,)), layers.Dense(2), layers.Dense(1)])
    report = load_weights(target, tmp_path / "m.weights.npz")
    assert report.format == "npz" and report.loaded == 4
    for a, b in zip(target.weights, source.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    wrong = heft.Sequential([layers.Input((3,)), layers.Dense(5), layers.Dense(1)])
    with pytest.raises(ValueError, match=r"3 mismatched\. Nothing was changed"):
        load_weights(wrong, tmp_path / "m.weights.npz")
    with pytest.raises(ValueError, match=r"`by_name=True` only applies to legacy"):
        load_weights(target, tmp_path / "m.weights.npz", by_name=True)
