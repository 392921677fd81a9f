"""Safe readers of the data sets' file formats: npz, gzipped IDX, and CIFAR's pickles."""

from __future__ import annotations

import gzip
import io
import pickle
import zipfile
from typing import Any, BinaryIO

import numpy as np

# What a pickled numpy array needs, and nothing else: dicts, lists, bytes,
# str and int are built by pickle's own opcodes and need no global at all.
_ALLOWED_GLOBALS = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
    }
)


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """An unpickler that builds containers, scalars and numpy arrays, and refuses any other class."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"Refusing to load `{module}.{name}` from a data set file: only numpy arrays, "
            "dicts, lists, strings, bytes and numbers are allowed. The file may be corrupted "
            "or malicious; delete it from the cache and download it again."
        )


def load_pickle(fp: BinaryIO, encoding: str = "ASCII") -> Any:
    """Read one pickle from ``fp`` with only the globals a numpy array needs."""
    return _ArraysOnlyUnpickler(fp, encoding=encoding).load()


def _read_npy(fp: io.BytesIO) -> np.ndarray:
    try:
        return np.lib.format.read_array(fp, allow_pickle=False)
    except ValueError:
        # An object array (sequences of different lengths): its data is a
        # pickle, read with the restricted unpickler after the header.
        fp.seek(0)
        major, _ = np.lib.format.read_magic(fp)
        if major == 1:
            np.lib.format.read_array_header_1_0(fp)
        elif major in (2, 3):
            np.lib.format.read_array_header_2_0(fp)
        else:
            raise ValueError(f"Unsupported `.npy` format version {major}.") from None
        return np.asarray(load_pickle(fp, encoding="latin1"))


def load_npz(path: str) -> dict[str, np.ndarray]:
    """The arrays of the ``.npz`` file at ``path``; object arrays go through the restricted unpickler."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                with archive.open(member) as raw:
                    arrays[member[: -len(".npy")]] = _read_npy(io.BytesIO(raw.read()))
    return arrays


def read_idx(path: str, ndim: int) -> np.ndarray:
    """A gzipped IDX file of unsigned bytes (MNIST's format) as a uint8 array of ``ndim`` axes."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = 0x800 | ndim
    header = 4 + 4 * ndim
    if len(data) < header or int.from_bytes(data[:4], "big") != magic:
        raise ValueError(
            f"'{path}' is not a gzipped IDX file of {ndim}-D unsigned bytes (magic number "
            f"{magic}). Delete it from the cache so that it is downloaded again."
        )
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    body = np.frombuffer(data, np.uint8, offset=header)
    if body.size != int(np.prod(shape)):
        raise ValueError(
            f"'{path}' holds {body.size} bytes of data, but its header declares shape {shape}. "
            "Delete it from the cache so that it is downloaded again."
        )
    return body.reshape(shape)


def load_cifar_batch(path: str, label_key: str = "labels") -> tuple[np.ndarray, list[int]]:
    """One CIFAR batch file: images ``(n, 3, 32, 32)`` uint8 and the list of labels."""
    with open(path, "rb") as f:
        batch = load_pickle(f, encoding="bytes")
    if not isinstance(batch, dict):
        raise ValueError(f"'{path}' is not a CIFAR batch: it holds a {type(batch).__name__}.")
    batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    data = np.asarray(batch["data"])
    return data.reshape(data.shape[0], 3, 32, 32), batch[label_key]
