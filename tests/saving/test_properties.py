"""Damaged weight files of every format: loading raises a ValueError naming the file, or loads
exactly the saved values; either way a failed load changes nothing."""

import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import textwrap

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import heft
from heft import layers
from heft.saving import load_weights, save_weights

# Shards of at most 50 bytes: three shards for the model below (48 + 16 + 32 + 8 bytes).
SMALL = 50 / 1024**3
SUFFIXES = ("weights.h5", "h5", "safetensors", "weights.json")
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


class _Files:
    """The seed-0 model saved once in each format, and the model damaged copies are loaded into."""

    def __init__(self, root, source, target, weights_of):
        self.root, self.source, self.target = root, source, target
        self.values = weights_of(source)
        rng = np.random.default_rng(1)
        self._before = [rng.normal(size=w.shape).astype("float32") for w in target.weights]
        self._weights_of = weights_of

    def copy(self, suffix, folder):
        """Copy the saved files of ``suffix`` into ``folder``; return the path to load."""
        folder = os.path.join(folder, suffix)
        shutil.copytree(os.path.join(self.root, suffix), folder)
        return os.path.join(folder, f"m.{suffix}")

    def reset_target(self):
        """Give the target its values before a load; return them (see ``weights_of``)."""
        self.target.set_weights(self._before)
        return self._weights_of(self.target)

    def load_outcome(self, path, errors=(ValueError,)):
        """Load ``path``: a documented error naming the file and no change, or the saved values."""
        expected_before = self.reset_target()
        folder = os.path.dirname(path)
        try:
            load_weights(self.target, path)
        except errors as err:
            assert folder in str(err), str(err)
            assert self._weights_of(self.target) == expected_before
            return "raised"
        assert self._weights_of(self.target) == self.values
        return "loaded"


@pytest.fixture(scope="module")
def files(tmp_path_factory, mlp, weights_of):
    root = str(tmp_path_factory.mktemp("saved"))
    source = mlp(dropout=False, seed=0)
    for suffix in SUFFIXES:
        os.mkdir(os.path.join(root, suffix))
        kwargs = {"max_shard_size": SMALL} if suffix == "weights.json" else {}
        save_weights(source, os.path.join(root, suffix, f"m.{suffix}"), **kwargs)
    return _Files(root, source, mlp(dropout=False), weights_of)


def _shard_path(json_path, shard):
    """The path of shard number ``shard`` of the sharded save whose index is ``json_path``."""
    with open(json_path) as fh:
        names = sorted(json.load(fh)["metadata"]["heft"]["shards"])
    return os.path.join(os.path.dirname(json_path), names[shard])


def _damage_bytes(path, data):
    """Apply ``data``'s drawn damage (a cut or flipped bytes) to the file at ``path``."""
    with open(path, "rb") as fh:
        raw = bytearray(fh.read())
    if data.draw(st.booleans(), label="truncate"):
        cut = data.draw(st.integers(0, len(raw) - 1), label="cut")
        del raw[cut:]
    else:
        for _ in range(data.draw(st.integers(1, 4), label="flips")):
            at = data.draw(st.integers(0, len(raw) - 1), label="offset")
            raw[at] ^= data.draw(st.integers(1, 255), label="xor")
    with open(path, "wb") as fh:
        fh.write(bytes(raw))


# --------------------------------------------------------------- bytes: cut and flipped
@FUZZ
@given(data=st.data())
def test_load_weights_legacy_h5_damaged_bytes_raise_or_load_the_saved_values(tmp_path, data, files):
    path = files.copy("h5", tempfile.mkdtemp(dir=tmp_path))
    _damage_bytes(path, data)
    files.load_outcome(path)


@FUZZ
@given(data=st.data(), shard=st.integers(0, 2))
def test_load_weights_sharded_damaged_shard_raises_or_loads_the_saved_values(
    tmp_path, data, shard, files
):
    path = files.copy("weights.json", tempfile.mkdtemp(dir=tmp_path))
    _damage_bytes(_shard_path(path, shard), data)
    files.load_outcome(path)


@FUZZ
@given(data=st.data())
def test_load_weights_sharded_damaged_map_bytes_raise_or_load_the_saved_values(
    tmp_path, data, files
):
    path = files.copy("weights.json", tempfile.mkdtemp(dir=tmp_path))
    _damage_bytes(path, data)
    # A flipped byte can name a shard that does not exist.
    files.load_outcome(path, errors=(ValueError, FileNotFoundError))


# --------------------------------------------------------------- HDF5: structure edits
def _datasets_and_groups(path):
    datasets, groups = [], []
    with h5py.File(path, "r") as f:
        f.visititems(lambda k, o: (datasets if isinstance(o, h5py.Dataset) else groups).append(k))
    return datasets, groups


def _rewrite(f, key, data):
    """Replace dataset ``key`` by ``data``, keeping its attributes (checksum included)."""
    attrs = dict(f[key].attrs)
    del f[key]
    ds = f.create_dataset(key, data=data)
    for name, value in attrs.items():
        ds.attrs[name] = value


def _edit_structure(path, data):
    datasets, groups = _datasets_and_groups(path)
    op = data.draw(
        st.sampled_from(
            [
                "delete dataset",
                "move dataset",
                "swap datasets",
                "reshape",
                "retype",
                "delete group",
                "rename group",
                "add dataset",
                "edit names attribute",
            ]
        ),
        label="op",
    )
    key = data.draw(st.sampled_from(datasets), label="dataset")
    group = data.draw(st.sampled_from(groups), label="group")
    with h5py.File(path, "a") as f:
        if op == "delete dataset":
            del f[key]
        elif op == "move dataset":
            parent = key.rsplit("/", 1)[0]
            name = data.draw(st.sampled_from(["0", "1", "2", "x"]), label="name")
            destination = f"{parent}/{name}"
            if destination not in f:
                f.move(key, destination)
        elif op == "swap datasets":
            other = data.draw(st.sampled_from(datasets), label="other")
            if other != key:
                f.move(key, "swap_tmp")
                f.move(other, key)
                f.move("swap_tmp", other)
        elif op == "reshape":
            value = f[key][()]
            shape = data.draw(
                st.sampled_from([value.shape[::-1], (value.size,), (1, *value.shape)]),
                label="shape",
            )
            _rewrite(f, key, value.reshape(shape))
        elif op == "retype":
            dtype = data.draw(st.sampled_from(["float64", "float16", "int32", "<f4"]))
            _rewrite(f, key, f[key][()].astype(dtype))
        elif op == "delete group":
            del f[group]
        elif op == "rename group":
            f.move(group, f"{group}_renamed")
        elif op == "add dataset":
            f.require_group("layers/extra/vars").create_dataset("0", data=np.ones(3))
        else:
            for name, value in list(f[group].attrs.items()):
                if name.endswith("_names") and np.size(value) > 1:
                    f[group].attrs[name] = np.asarray(value)[::-1]
    return op


@FUZZ
@given(data=st.data(), suffix=st.sampled_from(["weights.h5", "h5"]))
def test_load_weights_h5_structure_edits_raise_or_load_the_saved_values(
    tmp_path, data, suffix, files
):
    path = files.copy(suffix, tempfile.mkdtemp(dir=tmp_path))
    _edit_structure(path, data)
    files.load_outcome(path)


@FUZZ
@given(data=st.data(), shard=st.integers(0, 2))
def test_load_weights_sharded_shard_structure_edits_raise_or_load_the_saved_values(
    tmp_path, data, shard, files
):
    path = files.copy("weights.json", tempfile.mkdtemp(dir=tmp_path))
    _edit_structure(_shard_path(path, shard), data)
    files.load_outcome(path)


def test_load_weights_h5_retyped_dataset_with_its_checksum_is_refused(tmp_path, files):
    path = files.copy("weights.h5", str(tmp_path))
    with h5py.File(path, "a") as f:
        _rewrite(f, "layers/dense/vars/0", f["layers/dense/vars/0"][()].astype("float64"))
    assert files.load_outcome(path) == "raised"


# --------------------------------------------------------------- sharded: the map and shards
@FUZZ
@given(data=st.data())
def test_load_weights_sharded_map_edits_raise_or_load_the_saved_values(tmp_path, data, files):
    path = files.copy("weights.json", tempfile.mkdtemp(dir=tmp_path))
    folder = os.path.dirname(path)
    with open(path) as fh:
        config = json.load(fh)
    weight_map = config["weight_map"]
    group = data.draw(st.sampled_from(sorted(weight_map)), label="group")
    shard = data.draw(st.integers(0, 2), label="shard")
    name = os.path.basename(_shard_path(path, shard))
    op = data.draw(
        st.sampled_from(
            ["drop entry", "point elsewhere", "missing shard", "drop shard", "swap shards"]
        ),
        label="op",
    )
    if op == "drop entry":
        del weight_map[group]
    elif op == "point elsewhere":
        weight_map[group] = name
    elif op == "missing shard":
        weight_map[group] = "m_00009.weights.h5"
    elif op == "drop shard":
        os.remove(os.path.join(folder, name))
    else:
        other = _shard_path(path, (shard + 1) % 3)
        os.replace(os.path.join(folder, name), os.path.join(folder, "tmp"))
        os.replace(other, os.path.join(folder, name))
        os.replace(os.path.join(folder, "tmp"), other)
    with open(path, "w") as fh:
        fh.write(json.dumps(config))
    outcome = files.load_outcome(path, errors=(ValueError, FileNotFoundError))
    assert outcome == "raised" or op in ("drop entry", "point elsewhere")


# --------------------------------------------------------------- safetensors: header edits
@FUZZ
@given(data=st.data())
def test_load_weights_safetensors_header_edits_raise_or_load_the_saved_values(
    tmp_path, data, files, safetensors_bytes
):
    path = files.copy("safetensors", tempfile.mkdtemp(dir=tmp_path))
    header, body = safetensors_bytes.split(path)
    keys = sorted(k for k in header if k != "__metadata__")
    key = data.draw(st.sampled_from(keys), label="key")
    other = data.draw(st.sampled_from(keys), label="other")
    entry = header[key]
    op = data.draw(
        st.sampled_from(
            [
                "dtype",
                "shape",
                "swap offsets",
                "rename",
                "delete",
                "shift offsets",
                "drop checksums",
                "edit checksum",
                "add metadata",
            ]
        ),
        label="op",
    )
    if op == "dtype":
        entry["dtype"] = data.draw(st.sampled_from(["F16", "BF16", "I32", "U32", "F64", "X"]))
    elif op == "shape":
        entry["shape"] = data.draw(
            st.sampled_from([entry["shape"][::-1], [int(np.prod(entry["shape"]))], [1, 1]])
        )
    elif op == "swap offsets":
        entry["data_offsets"], header[other]["data_offsets"] = (
            header[other]["data_offsets"],
            entry["data_offsets"],
        )
    elif op == "rename":
        header[key + "_x"] = header.pop(key)
    elif op == "delete":
        del header[key]
    elif op == "shift offsets":
        shift = data.draw(st.sampled_from([-4, 4]))
        entry["data_offsets"] = [max(0, o + shift) for o in entry["data_offsets"]]
    elif op == "drop checksums":
        header["__metadata__"].pop("checksums")
    elif op == "edit checksum":
        sums = json.loads(header["__metadata__"]["checksums"])
        zeros = "xxh3:" + "0" * 16
        sums[key] = zeros if sums[key] != zeros else "xxh3:" + "1" * 16
        header["__metadata__"]["checksums"] = json.dumps(sums)
    else:
        header["__metadata__"]["note"] = "hello"
    safetensors_bytes.join(path, header, body)
    outcome = files.load_outcome(path)
    assert outcome == "raised" or op in ("drop checksums", "add metadata", "shape", "swap offsets")


# --------------------------------------------------------------- Keras-written bfloat16
_KERAS_BF16_CHILD = textwrap.dedent(
    """
    import sys
    import heft
    from heft import layers
    from heft.saving import load_weights

    model = heft.Sequential(
        [layers.Input((3,)), layers.Dense(4, dtype="bfloat16"), layers.Dense(2, dtype="bfloat16")]
    )
    try:
        load_weights(model, sys.argv[1])
        print("loaded")
    except ValueError as err:
        print("raised" if sys.argv[1] in str(err) else f"unnamed: {err}")
    """
)


def _keras_bfloat16_file(path):
    """A ``.weights.h5`` file written the way Keras writes bfloat16 (no checksums)."""
    import ml_dtypes

    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as f:
        f.create_group("vars").attrs["name"] = "sequential"
        for layer, shapes in (("dense", [(3, 4), (4,)]), ("dense_1", [(4, 2), (2,)])):
            group = f.create_group(f"layers/{layer}/vars")
            group.attrs["name"] = layer
            for i, shape in enumerate(shapes):
                value = rng.normal(size=shape).astype(ml_dtypes.bfloat16)
                ds = group.create_dataset(str(i), data=value.view("V2"))
                ds.attrs["dtype"] = "bfloat16"  # a variable-length string in the global heap


def test_load_weights_keras_bfloat16_file_with_damaged_global_heap_does_not_hang(tmp_path):
    path = tmp_path / "k.weights.h5"
    _keras_bfloat16_file(path)
    raw = bytearray(path.read_bytes())
    assert raw.find(b"GCOL") > 0  # the global heap
    # The size field of a heap object holding the string "bfloat16" (8 bytes
    # before it): a huge size made HDF5 loop forever when the value was read.
    size_at = raw.find(b"bfloat16") - 8
    assert struct.unpack("<Q", raw[size_at : size_at + 8]) == (8,)
    raw[size_at] ^= 57
    path.write_bytes(bytes(raw))
    result = subprocess.run(
        [sys.executable, "-c", _KERAS_BF16_CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "loaded"  # the value of the attribute is never read


@FUZZ
@given(data=st.data())
def test_load_weights_damaged_keras_bfloat16_file_raises_or_loads(tmp_path, data, weights_of):
    path = os.path.join(tempfile.mkdtemp(dir=tmp_path), "k.weights.h5")
    _keras_bfloat16_file(path)
    _damage_bytes(path, data)
    model = heft.Sequential(
        [layers.Input((3,)), layers.Dense(4, dtype="bfloat16"), layers.Dense(2, dtype="bfloat16")]
    )
    before = weights_of(model)
    try:
        load_weights(model, path)  # no checksums: damaged values may load
    except ValueError as err:
        assert path in str(err)
        assert weights_of(model) == before


# --------------------------------------------------------------- deterministic damage
def _patch(path, old, new, count=1):
    """Replace the first ``count`` occurrences of the bytes ``old`` in the file."""
    raw = open_bytes(path)
    assert raw.count(old) >= count
    with open(path, "wb") as fh:
        fh.write(raw.replace(old, new, count))


def open_bytes(path):
    with open(path, "rb") as fh:
        return fh.read()


def test_load_weights_h5_dataset_larger_than_its_storage_is_refused(tmp_path, files, weights_of):
    path = files.copy("weights.h5", str(tmp_path))
    dims = np.array([3, 4], "<u8").tobytes()
    # The kernel's dataspace (dims, then max dims) now says (3, 5): 60 bytes, 48 stored.
    _patch(path, dims + dims, np.array([3, 5, 3, 5], "<u8").tobytes())
    model = files.target
    before = files.reset_target()
    with pytest.raises(
        ValueError,
        match=r"dataset 'layers/dense/vars/0' does not add up: its shape needs 60 bytes but "
        r"it stores 48",
    ):
        load_weights(model, path)
    assert weights_of(model) == before


def test_load_weights_h5_chunked_dataset_with_impossible_storage_is_refused(tmp_path, mlp):
    path = str(tmp_path / "m.weights.h5")
    save_weights(mlp(dropout=False), path)
    with h5py.File(path, "a") as f:
        value = f["layers/dense/vars/0"][()]
        del f["layers/dense/vars/0"]
        f.create_dataset("layers/dense/vars/0", data=value, chunks=(1, 4))
    dims = np.array([3, 4], "<u8").tobytes()
    _patch(path, dims + dims, np.array([2, 4, 2, 4], "<u8").tobytes())
    with pytest.raises(
        ValueError, match=r"its unfiltered chunks of 16 bytes cannot add up to the 48 bytes"
    ):
        load_weights(mlp(dropout=False), path)


def test_load_weights_legacy_h5_unreadable_attributes_raise_value_error(
    tmp_path, monkeypatch, files, mlp
):
    from heft.saving import _legacy_h5

    path = files.copy("h5", str(tmp_path))

    def broken(*args):
        raise RuntimeError("Can't synchronously determine if attribute exists by name")

    monkeypatch.setattr(_legacy_h5, "plan", broken)
    with pytest.raises(
        ValueError, match=r"m\.h5' is corrupted: its attributes cannot be read \(Can't"
    ):
        load_weights(mlp(dropout=False), path)


def test_load_weights_safetensors_gaps_and_trailing_bytes_are_refused(
    tmp_path, files, mlp, safetensors_bytes
):
    path = files.copy("safetensors", str(tmp_path))
    header, body = safetensors_bytes.split(path)
    safetensors_bytes.join(path, header, body + b"\0" * 4)
    with pytest.raises(ValueError, match=r"its tensors end at byte 104 but the file holds 108"):
        load_weights(mlp(dropout=False), path)
    header["layers/dense/vars/1"]["data_offsets"] = [
        o + 4 for o in header["layers/dense/vars/1"]["data_offsets"]
    ]
    safetensors_bytes.join(path, header, body + b"\0" * 4)
    with pytest.raises(
        ValueError,
        match=r"tensor 'layers/dense/vars/1' starts at byte \d+ of the data, but the tensor "
        r"before it ends at byte \d+",
    ):
        load_weights(mlp(dropout=False), path)


def test_load_weights_safetensors_read_errors_raise_value_error(
    tmp_path, monkeypatch, files, weights_of
):
    path = files.copy("safetensors", str(tmp_path))
    model = files.target
    before = files.reset_target()
    monkeypatch.setattr(os, "preadv", lambda fd, buffers, offset: 0)  # shrunk while reading
    with pytest.raises(ValueError, match=r"it ended while tensor '.*' was read"):
        load_weights(model, path)

    def failing(fd, buffers, offset):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "preadv", failing)
    with pytest.raises(ValueError, match=r"cannot be read: tensor '.*' failed \(\[Errno 5\]"):
        load_weights(model, path)
    assert weights_of(model) == before


def _stored_checksums(safetensors_bytes, path):
    if path.endswith(".safetensors"):
        return json.loads(safetensors_bytes.split(path)[0]["__metadata__"]["checksums"])
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(
            lambda k, o: (
                out.update({k: o.attrs["checksum"]}) if isinstance(o, h5py.Dataset) else None
            )
        )
    return out


@pytest.mark.parametrize("suffix", ["weights.h5", "h5", "safetensors"])
def test_weights_in_pieces_and_on_the_helper_thread_round_trip(
    tmp_path, monkeypatch, suffix, files, weights_of, safetensors_bytes
):
    from heft.saving import _checksum

    # Pieces of 8 bytes, every checksum on the helper thread: the paths of large values.
    monkeypatch.setattr(_checksum, "CHUNK_BYTES", 8)
    monkeypatch.setattr(_checksum, "BACKGROUND_BYTES", 0)
    path = str(tmp_path / f"m.{suffix}")
    save_weights(files.source, path)
    # The same checksums as written whole.
    written = os.path.join(files.root, suffix, f"m.{suffix}")
    assert _stored_checksums(safetensors_bytes, path) == _stored_checksums(
        safetensors_bytes, written
    )
    model = files.target
    before = files.reset_target()
    load_weights(model, path)
    assert weights_of(model) == files.values
    raw = bytearray(open_bytes(path))
    raw[_kernel_data_byte(safetensors_bytes, path)] ^= 1
    with open(path, "wb") as fh:
        fh.write(bytes(raw))
    files.reset_target()
    with pytest.raises(ValueError, match=r"does not match the checksum written with it"):
        load_weights(model, path)
    assert weights_of(model) == before


def _kernel_data_byte(safetensors_bytes, path):
    """The offset of a byte in the last piece of the first kernel's data."""
    if path.endswith(".safetensors"):
        header, _ = safetensors_bytes.split(path)
        (n,) = struct.unpack("<Q", open_bytes(path)[:8])
        return 8 + n + header["layers/dense/vars/0"]["data_offsets"][1] - 3
    key = next(k for k in _datasets_and_groups(path)[0] if k.endswith(("vars/0", "kernel")))
    with h5py.File(path, "r") as f:
        return f[key].id.get_offset() + f[key].id.get_storage_size() - 3
