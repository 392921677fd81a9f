"""Shared helpers for weight-file tests."""

import re
import subprocess
import sys

import h5py
import pytest


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
