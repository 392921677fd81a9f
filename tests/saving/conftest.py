"""Shared helpers for weight-file tests: models, their weights as comparable values, file dumps."""

import json
import re
import struct
import subprocess
import sys

import h5py
import numpy as np
import pytest

import heft
from heft import layers


def make_mlp(hidden=4, out=2, *, dropout=True, seed=None, dtype=None, names=None):
    """``Input(3) -> Dense(hidden) [-> Dropout] -> Dense(out)``, with seeded random weights.

    ``names`` names the three layers (``None``: automatic names); ``seed``
    draws normal weights (``None``: the initializers' values).
    """
    names = names or (None, None, None)
    stack = [layers.Input((3,)), layers.Dense(hidden, dtype=dtype, name=names[0])]
    if dropout:
        stack.append(layers.Dropout(0.1, name=names[1]))
    stack.append(layers.Dense(out, dtype=dtype, name=names[2]))
    model = heft.Sequential(stack)
    if seed is not None:
        rng = np.random.default_rng(seed)
        model.set_weights([rng.normal(size=w.shape).astype(w.dtype) for w in model.weights])
    return model


def weights_of(model):
    """Each weight's dtype, shape and bytes: two models' lists are equal when bit for bit equal."""
    return [(a.dtype.str, a.shape, a.tobytes()) for a in (w.numpy() for w in model.weights)]


@pytest.fixture(scope="session")
def mlp():
    """:func:`make_mlp`."""
    return make_mlp


@pytest.fixture(scope="session", name="weights_of")
def weights_of_fixture():
    """:func:`weights_of`."""
    return weights_of


def structure(path):
    """Every group and dataset of an HDF5 file: names, attributes, dtypes, shapes, storage.

    A well-formed ``checksum`` attribute shows as ``"<xxh3>"``.
    """
    out = [("/", "attrs", sorted(h5py.File(path, "r").attrs.keys()))]
    with h5py.File(path, "r") as f:

        def visit(name, obj):
            attrs = {
                k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in obj.attrs.items()
            }
            if re.fullmatch(r"xxh3:[0-9a-f]{16}", attrs.get("checksum", "")):
                attrs["checksum"] = "<xxh3>"  # the value depends on the data
            if isinstance(obj, h5py.Dataset):
                out.append(
                    (name, "dataset", obj.shape, obj.dtype.str, attrs, obj.chunks, obj.compression)
                )
            else:
                out.append((name, "group", attrs))

        f.visititems(visit)
    return out


@pytest.fixture
def h5_structure():
    return structure


@pytest.fixture
def dead_pid():
    """The pid of a process that has exited (as a killed save's would be)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


class _FileBytes(bytes):
    """A weight file's bytes whose repr is one line.

    Hypothesis prints a failing example's arguments; a file's full repr is
    tens of kB, and its warning about that (an error here) would hide the failure.
    """

    def __repr__(self) -> str:
        return f"<{len(self)} bytes of a weight file>"


@pytest.fixture(scope="session")
def file_bytes():
    """Wraps ``bytes`` read from a weight file so that they print as one line."""
    return _FileBytes


class SafetensorsBytes:
    """A safetensors file's header and data, read and written directly to craft or damage files."""

    @staticmethod
    def split(path):
        """``(header, data)``: the parsed JSON header and the bytes after it."""
        with open(path, "rb") as fh:
            raw = fh.read()
        (n,) = struct.unpack("<Q", raw[:8])
        return json.loads(raw[8 : 8 + n]), raw[8 + n :]

    @staticmethod
    def join(path, header, data, pad=True):
        """Write ``header`` and ``data`` as a file, the header padded to 8 bytes unless not ``pad``."""
        raw = json.dumps(header).encode()
        if pad:
            raw += b" " * (-len(raw) % 8)
        with open(path, "wb") as fh:
            fh.write(struct.pack("<Q", len(raw)) + raw + data)

    @staticmethod
    def data_offset(path, key):
        """The file offset of the first byte of tensor ``key``."""
        with open(path, "rb") as fh:
            (n,) = struct.unpack("<Q", fh.read(8))
            return 8 + n + json.loads(fh.read(n))[key]["data_offsets"][0]


@pytest.fixture(scope="session")
def safetensors_bytes():
    """:class:`SafetensorsBytes`."""
    return SafetensorsBytes


# A script the hostile-file properties run in a subprocess, not a test module.
collect_ignore = ["hostile_child.py"]
