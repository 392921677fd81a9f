"""Where each data set is downloaded from: one table of addresses and hashes, as Keras's.

Every loader fetches through :func:`fetch`, which looks its file up in
:data:`SOURCES`. The table is the one place that names the remote addresses;
tests replace its entries (``monkeypatch.setitem(SOURCES, key, Source(...))``)
to serve small files of the same formats from a local server. Users never
need to touch it.
"""

from __future__ import annotations

from typing import NamedTuple

from ..utils._get_file import get_file

_TF_KERAS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


class Source(NamedTuple):
    """A remote file: its address and its hash (``None``: Keras checks none)."""

    origin: str
    file_hash: str | None


SOURCES: dict[str, Source] = {
    "mnist": Source(
        f"{_TF_KERAS}mnist.npz",
        "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    ),
    "fashion_mnist/train-labels-idx1-ubyte.gz": Source(
        f"{_TF_KERAS}train-labels-idx1-ubyte.gz", None
    ),
    "fashion_mnist/train-images-idx3-ubyte.gz": Source(
        f"{_TF_KERAS}train-images-idx3-ubyte.gz", None
    ),
    "fashion_mnist/t10k-labels-idx1-ubyte.gz": Source(
        f"{_TF_KERAS}t10k-labels-idx1-ubyte.gz", None
    ),
    "fashion_mnist/t10k-images-idx3-ubyte.gz": Source(
        f"{_TF_KERAS}t10k-images-idx3-ubyte.gz", None
    ),
    "cifar10": Source(
        "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    ),
    "cifar100": Source(
        "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
        "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7",
    ),
    "imdb": Source(
        f"{_TF_KERAS}imdb.npz",
        "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
    ),
    "imdb_word_index": Source(
        f"{_TF_KERAS}imdb_word_index.json", "bfafd718b763782e994055a2d397834f"
    ),
    "reuters": Source(
        f"{_TF_KERAS}reuters.npz",
        "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916",
    ),
    "reuters_word_index": Source(
        f"{_TF_KERAS}reuters_word_index.json", "4d44cc38712099c9e383dc6e5f11a921"
    ),
    "boston_housing": Source(
        f"{_TF_KERAS}boston_housing.npz",
        "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5",
    ),
    "california_housing": Source(
        f"{_TF_KERAS}california_housing.npz",
        "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f",
    ),
}


def fetch(key: str, fname: str, cache_subdir: str = "datasets", extract: bool = False) -> str:
    """Download (once) the file ``SOURCES[key]`` as ``fname`` and return its cached path."""
    source = SOURCES[key]
    return get_file(
        fname=fname,
        origin=source.origin,
        file_hash=source.file_hash,
        cache_subdir=cache_subdir,
        extract=extract,
    )
