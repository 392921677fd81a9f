"""Hostile weight files: nesting, special files, metadata floods, lossy values.

Each case must end in the documented error, quickly, with the model unchanged.
Cases that could hang or exhaust memory run in a subprocess under a timeout
and a memory limit, so a regression fails the test instead of stalling CI.
"""

import json
import os
import struct
import subprocess
import sys
import textwrap
import time

import h5py
import numpy as np
import pytest

import heft
from heft.saving import limits

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _model():
    model = heft.Sequential([heft.Input((4,)), heft.layers.Dense(3), heft.layers.Dense(2)])
    return model


def _safetensors_with_header(path, header, data=b""):
    raw = (
        json.dumps(header, separators=(",", ":")).encode()
        if not isinstance(header, bytes)
        else header
    )
    raw += b" " * (-(8 + len(raw)) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)


def _refused_unchanged(model, path, error, match):
    before = model.get_weights()
    start = time.perf_counter()
    with pytest.raises(error, match=match):
        model.load_weights(path)
    assert time.perf_counter() - start < 1.0
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------------- JSON nesting
@pytest.mark.parametrize(
    "header",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":{"dtype":"F32","shape":' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
        b'{"__metadata__":{"k":' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
    ],
    ids=["whole header", "tensor entry", "metadata"],
)
def test_deeply_nested_safetensors_header_is_refused_naming_the_file(tmp_path, header):
    path = tmp_path / "deep.safetensors"
    _safetensors_with_header(path, header)
    _refused_unchanged(_model(), path, ValueError, r"deep\.safetensors.*more than 100 deep")


def _saved_safetensors(model, path):
    """Save ``model`` to ``path``; return the file's header (parsed) and its data bytes."""
    model.save_weights(path)
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8 : 8 + length]), raw[8 + length :]


def test_deep_checksum_metadata_is_refused(tmp_path):
    model = _model()
    path = tmp_path / "m.safetensors"
    header, data = _saved_safetensors(model, path)
    header["__metadata__"]["checksums"] = "[" * 5000 + "]" * 5000
    _safetensors_with_header(path, header, data)
    _refused_unchanged(model, path, ValueError, r"checksums.*more than 100 deep")


def test_nesting_limit_can_be_raised_for_a_trusted_file(tmp_path):
    model = _model()
    path = tmp_path / "m.safetensors"
    _saved_safetensors(model, path)  # a header nests 3 deep: {tensor: {"shape": [...]}}
    with limits(json_depth=2):
        with pytest.raises(ValueError, match="more than 2 deep"):
            model.load_weights(path)
    with limits(json_depth=3):
        model.load_weights(path)


# ----------------------------------------------------------------------------- special files
_SPECIAL = textwrap.dedent(
    """
    import os, sys, resource
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
    import heft
    model = heft.Sequential([heft.Input((4,)), heft.layers.Dense(3)])
    try:
        model.load_weights(sys.argv[1])
    except OSError as err:
        print("OSError:", err)
    """
)


def _load_in_subprocess(path):
    env = dict(os.environ, PYTHONPATH=ROOT, JAX_PLATFORMS="cpu")
    return subprocess.run(
        [sys.executable, "-c", _SPECIAL, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
@pytest.mark.parametrize("name", ["x.safetensors", "x.weights.h5", "x.h5"])
def test_a_fifo_given_as_a_weights_file_is_refused_without_blocking(tmp_path, name):
    path = tmp_path / name
    os.mkfifo(path)
    result = _load_in_subprocess(path)  # a hang raises TimeoutExpired: the test fails
    assert "OSError:" in result.stdout and "FIFO" in result.stdout, result.stdout + result.stderr


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
@pytest.mark.parametrize("name", ["zero.safetensors", "zero.weights.h5"])
def test_a_link_to_a_device_is_refused(tmp_path, name):
    path = tmp_path / name
    os.symlink("/dev/zero", path)
    result = _load_in_subprocess(path)
    assert "OSError:" in result.stdout and "character device" in result.stdout, (
        result.stdout + result.stderr
    )


# ----------------------------------------------------------------------------- metadata floods
def test_safetensors_header_of_many_empty_tensors_is_refused_before_parsing(tmp_path):
    model = _model()
    header = {
        f"t{i}": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]} for i in range(200_000)
    }
    path = tmp_path / "flood.safetensors"
    _safetensors_with_header(path, header)
    _refused_unchanged(model, path, ValueError, r"flood\.safetensors.*limit of 262,144 values")


def test_safetensors_header_over_the_byte_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.safetensors"
    filler = "x" * (17 << 20)
    _safetensors_with_header(path, {"__metadata__": {"pad": filler}})
    _refused_unchanged(_model(), path, ValueError, r"big\.safetensors.*16,777,216 bytes")


def test_h5_with_more_entries_than_the_limit_is_refused(tmp_path):
    model = _model()
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "a") as f:
        group = f.create_group("extra")
        for i in range(300):
            group.create_dataset(f"d{i}", data=np.zeros(1, "float32"))
    with limits(file_entries=200):
        _refused_unchanged(model, path, ValueError, r"m\.weights\.h5.*limit of 200 entries")
    model.load_weights(path)  # under the default limit it loads (extra groups are ignored)


_FLOOD_MEMORY = textwrap.dedent(
    """
    import sys
    import h5py, numpy as np
    import heft

    def peak_mib():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024

    def rss_mib():
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024

    model = heft.Sequential([heft.Input((4,)), heft.layers.Dense(3)])
    path = sys.argv[1]
    model.save_weights(path)
    model.load_weights(path)  # warm: compiled code and imports are not the file's cost
    with h5py.File(path, "a") as f:
        group = f.create_group("extra")
        for i in range(20_000):
            group.create_dataset(f"d{i}", data=np.zeros(1, "float32"))
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets the peak to the current size
    start = rss_mib()
    model.load_weights(path)
    print(peak_mib() - start)
    """
)


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux /proc")
def test_h5_metadata_flood_stays_within_the_memory_bound(tmp_path):
    # 20,000 one-element datasets (a 7 MiB file) cost a load 108 MiB before HDF5's
    # metadata cache was bounded; the bound for a tiny model is 64 MiB.
    env = dict(os.environ, PYTHONPATH=ROOT, JAX_PLATFORMS="cpu")
    result = subprocess.run(
        [sys.executable, "-c", _FLOOD_MEMORY, str(tmp_path / "flood.weights.h5")],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    added = float(result.stdout.strip().splitlines()[-1])
    assert added < 64, f"the load added {added:.1f} MiB"


# ----------------------------------------------------------------------------- lossy values
def test_set_weights_refuses_complex_values_for_real_variables():
    layer = heft.layers.Dense(2)
    layer.build((None, 3))
    before = layer.get_weights()
    with pytest.raises(ValueError, match=r"complex value .* drop the imaginary part"):
        layer.set_weights([np.ones((3, 2), "complex64"), np.zeros(2, "float32")])
    with pytest.raises(ValueError, match=r"complex value .* 'dense.*/kernel'"):
        layer.kernel.assign(np.ones((3, 2)) * 1j)
    with pytest.raises(ValueError, match="complex value"):
        layer.kernel.assign([[1j, 1], [1, 1], [1, 1]])
    for a, b in zip(before, layer.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    complex_variable = heft.Variable(np.zeros(2, "complex64"))
    complex_variable.assign(np.ones(2) * 1j)  # complex into complex is no loss
    np.testing.assert_array_equal(complex_variable.numpy(), np.ones(2) * 1j)


def test_model_from_json_refuses_deep_nesting_with_a_value_error():
    start = time.perf_counter()
    with pytest.raises(ValueError, match="more than 100 deep"):
        heft.models.model_from_json("[" * 100_000 + "]" * 100_000)
    assert time.perf_counter() - start < 1.0
