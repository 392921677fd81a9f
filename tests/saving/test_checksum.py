"""Tests for per-entry checksums: damaged data in heft-written files never loads silently."""

import json
import os

import h5py
import ml_dtypes
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import heft
from heft import layers
from heft.saving import _checksum, load_weights, save_weights


def _flip(path, offset):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _h5_data_offset(path, key):
    with h5py.File(path, "r") as f:
        return f[key].id.get_offset()


def test_digest_binds_name_dtype_byte_order_shape_and_data():
    a = np.arange(6, dtype="float32").reshape(2, 3)
    base = _checksum.digest(a, "0")
    assert base == _checksum.digest(a.copy(), "0")
    assert base.startswith("xxh3:") and len(base) == 21
    others = [
        _checksum.digest(a, "1"),
        _checksum.digest(a.view("int32"), "0"),
        _checksum.digest(a.view(">f4"), "0"),
        _checksum.digest(a.reshape(3, 2), "0"),
        _checksum.digest(a + 1, "0"),
        _checksum.digest(a.astype(ml_dtypes.bfloat16), "0"),
    ]
    assert len({base, *others}) == 7
    assert _checksum.digest(np.float32(2.0).reshape(()), "0") != _checksum.digest(
        np.array([2.0], "float32"), "0"
    )


def test_parse_and_verify_errors():
    assert _checksum.parse(b"crc32:0123abcd", "k", "f.weights.h5") == "crc32:0123abcd"
    sixteen = "xxh3:0123456789abcdef"
    assert _checksum.parse(sixteen, "k", "f.weights.h5") == sixteen
    for bad in ("crc32:xyz", "xxh3:0123abcd", "crc32:0123456789abcdef", "md5:0123abcd"):
        with pytest.raises(ValueError, match=r"'f\.weights\.h5' is corrupted: the checksum of 'k'"):
            _checksum.parse(bad, "k", "f.weights.h5")
    with pytest.raises(ValueError, match=r"Unknown checksum algorithm 'md5'; heft knows xxh3"):
        _checksum.Digest(np.zeros(2), "0", "md5")
    a = np.zeros(3, "float32")
    _checksum.verify(a, "g/vars/0", None, "f.weights.h5")  # no checksum: nothing to check
    _checksum.verify(a, "g/vars/0", _checksum.digest(a, "0"), "f.weights.h5")
    with pytest.raises(ValueError, match=r"the data of entry 'g/vars/1' does not match"):
        _checksum.verify(a, "g/vars/1", _checksum.digest(a, "0"), "f.weights.h5")


@pytest.mark.parametrize("dtype", [None, "bfloat16"])
def test_load_weights_h5_flipped_data_byte_raises_and_changes_nothing(
    tmp_path, dtype, mlp, weights_of
):
    path = tmp_path / "m.weights.h5"
    save_weights(mlp(seed=0, dtype=dtype), path)
    _flip(path, _h5_data_offset(path, "layers/dense_1/vars/0") + 5)
    model = mlp(seed=1, dtype=dtype)
    before = weights_of(model)
    message = r"'.*m\.weights\.h5' is corrupted: the data of entry 'layers/dense_1/vars/0'"
    with pytest.raises(ValueError, match=message):
        load_weights(model, path)
    with pytest.raises(ValueError, match=message):
        load_weights(model, path, dry_run=True)
    assert weights_of(model) == before


def test_load_weights_safetensors_flipped_data_byte_raises_and_changes_nothing(
    tmp_path, mlp, weights_of, safetensors_bytes
):
    path = tmp_path / "m.safetensors"
    save_weights(mlp(seed=0), path)
    _flip(path, safetensors_bytes.data_offset(path, "layers/dense/vars/1") + 2)
    model = mlp(seed=1)
    before = weights_of(model)
    with pytest.raises(
        ValueError,
        match=r"'.*m\.safetensors' is corrupted: the data of entry 'layers/dense/vars/1'",
    ):
        load_weights(model, path)
    assert weights_of(model) == before


def test_load_weights_sharded_flipped_data_byte_names_the_shard(tmp_path, mlp, weights_of):
    path = tmp_path / "m.weights.json"
    save_weights(mlp(seed=0), path, max_shard_size=50 / 1024**3)
    shard = tmp_path / json.loads(path.read_text())["weight_map"]["/layers/dense/vars"][1]
    _flip(shard, _h5_data_offset(shard, "layers/dense/vars/1"))
    model = mlp(seed=1)
    before = weights_of(model)
    with pytest.raises(
        ValueError, match=r"'.*m_00001\.[0-9a-f]{8}\.weights\.h5' is corrupted: the data of"
    ):
        load_weights(model, path)
    assert weights_of(model) == before


def test_load_weights_h5_without_or_with_malformed_checksums(tmp_path, mlp, weights_of):
    source = mlp(seed=0)
    path = tmp_path / "m.weights.h5"
    save_weights(source, path)
    with h5py.File(path, "a") as f:
        del f["layers/dense/vars/0"].attrs["checksum"]  # as in files written by Keras
    model = mlp(seed=1)
    assert load_weights(model, path).loaded == 4
    assert weights_of(model) == weights_of(source)
    with h5py.File(path, "a") as f:
        f["layers/dense/vars/1"].attrs["checksum"] = np.bytes_("md5:abc")
    with pytest.raises(ValueError, match=r"the checksum of 'layers/dense/vars/1' is 'md5:abc'"):
        load_weights(mlp(), path)
    with h5py.File(path, "a") as f:
        f["layers/dense/vars/1"].attrs["checksum"] = "xxh3:0000000000000000"  # variable-length
    with pytest.raises(ValueError, match=r"is '\(not a short fixed-length string\)'"):
        load_weights(mlp(), path)


def test_load_weights_h5_data_moved_within_a_group_fails_its_checksum(tmp_path):
    class Pair(layers.Layer):
        def build(self, input_shape):
            self.a = self.add_weight(shape=(3,), initializer="ones")
            self.b = self.add_weight(shape=(3,), initializer="zeros")

        def call(self, x):
            return x * self.a + self.b

    model = heft.Sequential([layers.Input((3,)), Pair()])
    path = tmp_path / "m.weights.h5"
    save_weights(model, path)
    with h5py.File(path, "a") as f:
        f.move("layers/pair/vars/0", "layers/pair/vars/tmp")
        f.move("layers/pair/vars/1", "layers/pair/vars/0")
        f.move("layers/pair/vars/tmp", "layers/pair/vars/1")
    with pytest.raises(ValueError, match=r"entry 'layers/pair/vars/0' does not match"):
        load_weights(model, path)  # same shape and dtype, but written as entry "1"
    np.testing.assert_array_equal(model.layers[0].a.numpy(), np.ones(3))


def _rewrite_metadata(safetensors_bytes, path, edit):
    header, data = safetensors_bytes.split(path)
    edit(header["__metadata__"])
    safetensors_bytes.join(path, header, data)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m.update(checksums="{"), r"its `checksums` metadata is not valid JSON"),
        (lambda m: m.update(checksums="[]"), r"its `checksums` metadata is not a JSON object"),
        (
            lambda m: m.update(
                checksums=json.dumps({"layers/dense/vars/0": "xxh3:0000000000000000"})
            ),
            r"tensor 'layers/dense/vars/1' has no checksum although the file carries",
        ),
        (
            lambda m: m.update(
                checksums=m["checksums"].replace('"layers/dense/vars/0":"xxh3:', '"x":"xxh3:')
            ),
            r"tensor 'layers/dense/vars/0' has no checksum",
        ),
    ],
)
def test_load_weights_safetensors_bad_checksum_metadata(
    tmp_path, edit, message, mlp, weights_of, safetensors_bytes
):
    path = tmp_path / "m.safetensors"
    save_weights(mlp(seed=0), path)
    _rewrite_metadata(safetensors_bytes, path, edit)
    model = mlp(seed=1)
    before = weights_of(model)
    with pytest.raises(ValueError, match=message):
        load_weights(model, path)
    assert weights_of(model) == before


def test_load_weights_safetensors_without_checksums_loads(
    tmp_path, mlp, weights_of, safetensors_bytes
):
    source = mlp(seed=0)
    path = tmp_path / "m.safetensors"
    save_weights(source, path)
    _rewrite_metadata(safetensors_bytes, path, lambda m: m.pop("checksums"))
    model = mlp(seed=1)
    assert load_weights(model, path).loaded == 4
    assert weights_of(model) == weights_of(source)


def _as_crc32(checksums, values):
    """``checksums`` (key -> digest) redone with CRC-32, as heft wrote them before XXH3."""
    keys = sorted(checksums)
    assert len(keys) == len(values)
    return {
        k: _checksum.digest(v, k.rsplit("/", 1)[-1], "crc32")
        for k, v in zip(keys, values, strict=True)
    }


@pytest.mark.parametrize("suffix", [".weights.h5", ".safetensors"])
def test_load_weights_verifies_crc32_checksums_of_earlier_files(
    tmp_path, suffix, mlp, weights_of, safetensors_bytes
):
    source = mlp(seed=0)
    path = tmp_path / f"m{suffix}"
    save_weights(source, path)
    values = [
        w.numpy() for w in source.weights
    ]  # file order: dense/0, dense/1, dense_1/0, dense_1/1
    if suffix == ".safetensors":

        def to_crc32(meta):
            meta["checksums"] = json.dumps(_as_crc32(json.loads(meta["checksums"]), values))

        _rewrite_metadata(safetensors_bytes, path, to_crc32)
    else:
        with h5py.File(path, "a") as f:
            keys = [k for k in _h5_keys(f) if "checksum" in f[k].attrs]
            for key, digest in _as_crc32(dict.fromkeys(keys), values).items():
                f[key].attrs["checksum"] = np.bytes_(digest)
    model = mlp(seed=1)
    assert load_weights(model, path).loaded == 4
    assert weights_of(model) == weights_of(source)
    # a damaged entry still fails its CRC-32, and nothing changes
    offset = (
        safetensors_bytes.data_offset(path, "layers/dense_1/vars/0")
        if suffix == ".safetensors"
        else _h5_data_offset(path, "layers/dense_1/vars/0")
    )
    _flip(path, offset)
    model = mlp(seed=1)
    before = weights_of(model)
    with pytest.raises(ValueError, match=r"entry 'layers/dense_1/vars/0' does not match.*crc32:"):
        load_weights(model, path)
    assert weights_of(model) == before


def _h5_keys(f):
    keys = []
    f.visititems(lambda name, obj: keys.append(name) if isinstance(obj, h5py.Dataset) else None)
    return keys


@pytest.fixture(scope="module")
def saved_files(tmp_path_factory, mlp, weights_of):
    """The bytes of one model saved in each format, and its values."""
    folder = tmp_path_factory.mktemp("saved")
    source = mlp(seed=0, dtype="bfloat16")
    out = {"values": weights_of(source)}
    for suffix in ("weights.h5", "safetensors"):
        path = os.path.join(folder, f"m.{suffix}")
        save_weights(source, path)
        with open(path, "rb") as fh:
            out[suffix] = fh.read()
    return out


def _flip_and_load(tmp_path, saved, mlp, weights_of, suffix, offset, byte):
    data = bytearray(saved[suffix])
    data[offset % len(data)] ^= byte or 1
    path = tmp_path / f"flip.{suffix}"
    path.write_bytes(bytes(data))
    model = mlp(seed=1, dtype="bfloat16")
    before = weights_of(model)
    try:
        load_weights(model, path)
    except ValueError as err:
        assert "flip." in str(err)
        assert weights_of(model) == before
    else:
        assert weights_of(model) == saved["values"]  # loaded: then bitwise the saved values


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(offset=st.integers(min_value=0, max_value=10**6), byte=st.integers(0, 255))
def test_load_weights_h5_any_flipped_byte_raises_or_loads_the_saved_values(
    tmp_path, saved_files, mlp, weights_of, offset, byte
):
    _flip_and_load(tmp_path, saved_files, mlp, weights_of, "weights.h5", offset, byte)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(offset=st.integers(min_value=0, max_value=10**6), byte=st.integers(0, 255))
def test_load_weights_safetensors_any_flipped_byte_raises_or_loads_the_saved_values(
    tmp_path, saved_files, mlp, weights_of, offset, byte
):
    _flip_and_load(tmp_path, saved_files, mlp, weights_of, "safetensors", offset, byte)
