"""heft's data set loaders and get_file against Keras 3's, on the same small files served locally."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile

import numpy as np
import pytest
from keras.src.datasets import (
    boston_housing,
    california_housing,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)
from keras.src.utils import file_utils

import heft
from heft.datasets import _sources

# The real addresses, kept before any test points the table at the local server.
_KEY_OF_ORIGIN = {src.origin: key for key, src in _sources.SOURCES.items()}


@pytest.fixture
def keras_loaders(fake_datasets, tmp_path, monkeypatch):
    """Keras's loaders, their ``get_file`` redirected to the same local files (own cache)."""
    cache = tmp_path / "keras_cache"
    cache.mkdir()

    def redirected(fname=None, origin=None, **kwargs):
        local = fake_datasets[_KEY_OF_ORIGIN[origin]]
        kwargs["file_hash"] = local.file_hash
        return file_utils.get_file(fname, local.origin, cache_dir=str(cache), **kwargs)

    modules = (mnist, fashion_mnist, cifar100, imdb, reuters, boston_housing, california_housing)
    for module in modules:
        monkeypatch.setattr(module, "get_file", redirected)


def _same(a, b):
    (x, y), (xt, yt) = a
    (kx, ky), (kxt, kyt) = b
    for ours, theirs in ((x, kx), (y, ky), (xt, kxt), (yt, kyt)):
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        if ours.dtype == object:
            assert [list(s) for s in ours] == [list(s) for s in theirs]
        else:
            np.testing.assert_array_equal(ours, theirs)


@pytest.mark.usefixtures("keras_loaders")
def test_image_datasets_match_keras(capsys):
    _same(heft.datasets.mnist.load_data(), mnist.load_data())
    _same(heft.datasets.fashion_mnist.load_data(), fashion_mnist.load_data())
    for mode in ("fine", "coarse"):
        _same(heft.datasets.cifar100.load_data(mode), cifar100.load_data(mode))


@pytest.mark.usefixtures("keras_loaders")
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"num_words": 20, "skip_top": 3, "seed": 7},
        {"maxlen": 9, "oov_char": None, "start_char": None},
        {"index_from": 0, "start_char": None},
    ],
)
def test_sequence_datasets_match_keras(kwargs, capsys):
    _same(heft.datasets.imdb.load_data(**kwargs), imdb.load_data(**kwargs))
    _same(
        heft.datasets.reuters.load_data(test_split=0.3, **kwargs),
        reuters.load_data(test_split=0.3, **kwargs),
    )
    assert heft.datasets.imdb.get_word_index() == imdb.get_word_index()
    assert heft.datasets.reuters.get_word_index() == reuters.get_word_index()
    assert heft.datasets.reuters.get_label_names() == reuters.get_label_names()


@pytest.mark.usefixtures("keras_loaders")
def test_housing_datasets_match_keras(capsys):
    _same(heft.datasets.boston_housing.load_data(), boston_housing.load_data())
    _same(
        heft.datasets.boston_housing.load_data(test_split=0.35, seed=3),
        boston_housing.load_data(test_split=0.35, seed=3),
    )
    for version in ("small", "large"):
        _same(
            heft.datasets.california_housing.load_data(version, seed=1),
            california_housing.load_data(version, seed=1),
        )


def test_keras_dataset_namespaces_match():
    import keras

    for name in dir(keras.datasets):
        if not name.startswith("_"):
            ours = getattr(heft.datasets, name)
            for fn in dir(getattr(keras.datasets, name)):
                if not fn.startswith("_"):
                    assert hasattr(ours, fn), f"heft.datasets.{name}.{fn}"


def _archive(kind: str) -> bytes:
    buf = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("top/x.txt", "X")
    else:
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            info = tarfile.TarInfo("top/x.txt")
            info.size = 1
            tar.addfile(info, io.BytesIO(b"X"))
    return buf.getvalue()


@pytest.mark.parametrize("kind", ["tar", "zip"])
@pytest.mark.parametrize("fname", [None, "data", "data.tar.gz"])
def test_get_file_paths_match_keras(local_http, tmp_path, kind, fname, capsys):
    url = local_http.put(f"arch.{kind}", _archive(kind))
    for extract in (False, True):
        ours_dir, theirs_dir = tmp_path / f"ours{extract}", tmp_path / f"theirs{extract}"
        ours_dir.mkdir()
        theirs_dir.mkdir()
        ours = heft.utils.get_file(fname, url, extract=extract, cache_dir=str(ours_dir))
        theirs = file_utils.get_file(fname, url, extract=extract, cache_dir=str(theirs_dir))
        assert os.path.relpath(ours, ours_dir) == os.path.relpath(theirs, theirs_dir)
        assert sorted(os.listdir(ours_dir / "datasets")) == sorted(
            os.listdir(theirs_dir / "datasets")
        )
    with open(os.path.join(ours, "top", "x.txt")) as f:
        assert f.read() == "X"


def test_cifar10_matches_keras_batch_reader(fake_datasets, keras_home):
    # Keras's cifar10.load_data expects 10,000 images per batch file; its batch
    # reader is compared here on the same small files instead.
    from keras.src.datasets.cifar import load_batch

    (x, y), (xt, yt) = heft.datasets.cifar10.load_data()
    folder = keras_home / "datasets" / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    parts = [load_batch(str(folder / f"data_batch_{i}")) for i in range(1, 6)]
    np.testing.assert_array_equal(x, np.concatenate([p[0] for p in parts]).transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y[:, 0], np.concatenate([p[1] for p in parts]))
    kx, ky = load_batch(str(folder / "test_batch"))
    np.testing.assert_array_equal(xt, kx.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(yt[:, 0], ky)
