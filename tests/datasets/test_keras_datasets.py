"""The Keras data set loaders, run offline against small files served on 127.0.0.1."""

from __future__ import annotations

import io
import os
import pickle

import numpy as np
import pytest

from heft import datasets
from heft.datasets import _sources
from heft.datasets._readers import load_cifar_batch, load_npz, read_idx


def test_sources_keep_keras_addresses_and_hashes():
    assert _sources.SOURCES["mnist"].origin == (
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
    )
    assert _sources.SOURCES["cifar10"].origin.endswith("cifar-10-python.tar.gz")
    assert len(_sources.SOURCES) == 13


def test_mnist_shapes_dtypes_and_cache(fake_datasets, local_http, keras_home):
    (x, y), (xt, yt) = datasets.mnist.load_data()
    assert (x.shape, y.shape, xt.shape, yt.shape) == ((12, 28, 28), (12,), (5, 28, 28), (5,))
    assert x.dtype == y.dtype == np.uint8
    assert os.path.isfile(keras_home / "datasets" / "mnist.npz")
    (x2, _), _ = datasets.mnist.load_data()
    np.testing.assert_array_equal(x, x2)
    assert local_http.hits["mnist"] == 1


def test_mnist_hash_refusal_leaves_no_file(fake_datasets, local_http, keras_home, monkeypatch):
    monkeypatch.setitem(
        _sources.SOURCES, "mnist", _sources.Source(local_http.url("mnist"), "0" * 64)
    )
    with pytest.raises(ValueError, match="does not match the provided value"):
        datasets.mnist.load_data()
    assert os.listdir(keras_home / "datasets") == []


def test_fashion_mnist(fake_datasets, keras_home):
    (x, y), (xt, yt) = datasets.fashion_mnist.load_data()
    assert (x.shape, y.shape, xt.shape, yt.shape) == ((12, 28, 28), (12,), (5, 28, 28), (5,))
    np.testing.assert_array_equal(y, np.arange(12) % 10)
    assert sorted(os.listdir(keras_home / "datasets" / "fashion-mnist")) == [
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
    ]


def test_cifar10(fake_datasets, keras_home):
    (x, y), (xt, yt) = datasets.cifar10.load_data()
    assert (x.shape, y.shape, xt.shape, yt.shape) == (
        (15, 32, 32, 3),
        (15, 1),
        (4, 32, 32, 3),
        (4, 1),
    )
    assert x.dtype == y.dtype == xt.dtype == yt.dtype == np.uint8
    np.testing.assert_array_equal(yt[:, 0], [1, 2, 3, 4])
    assert os.path.isdir(
        keras_home / "datasets" / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    )


@pytest.mark.parametrize("mode", ["fine", "coarse"])
def test_cifar100(fake_datasets, mode):
    (x, y), (xt, yt) = datasets.cifar100.load_data(label_mode=mode)
    assert (x.shape, y.shape, xt.shape, yt.shape) == (
        (6, 32, 32, 3),
        (6, 1),
        (3, 32, 32, 3),
        (3, 1),
    )
    assert y.max() < (100 if mode == "fine" else 20)


def test_cifar100_bad_label_mode():
    with pytest.raises(ValueError, match="`label_mode` must be one of"):
        datasets.cifar100.load_data(label_mode="medium")


def test_cifar_pickle_with_other_classes_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    path = tmp_path / "batch"
    path.write_bytes(pickle.dumps({b"data": Evil(), b"labels": [1]}))
    with pytest.raises(pickle.UnpicklingError, match=r"Refusing to load `posix.system`"):
        load_cifar_batch(str(path))


def test_npz_object_array_with_other_classes_is_refused(tmp_path):
    arr = np.empty(1, dtype=object)
    arr[0] = io.BytesIO(b"x")
    np.savez(tmp_path / "evil.npz", x=arr)
    with pytest.raises(pickle.UnpicklingError, match="Refusing to load"):
        load_npz(str(tmp_path / "evil.npz"))


def test_idx_with_bad_header_is_refused(tmp_path):
    import gzip

    (tmp_path / "x.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x03" + b"\x00" * 20))
    with pytest.raises(ValueError, match=r"holds .* bytes of data, but its header declares"):
        read_idx(str(tmp_path / "x.gz"), 3)
    with pytest.raises(ValueError, match="not a gzipped IDX file of 1-D"):
        read_idx(str(tmp_path / "x.gz"), 1)


def test_imdb_and_word_index(fake_datasets, keras_home):
    (x, y), (xt, _yt) = datasets.imdb.load_data(num_words=30)
    assert x.dtype == object and x.shape == (10,) and xt.shape == (8,)
    assert all(s[0] == 1 and max(s) < 30 for s in x)
    assert y.dtype == np.int64
    (x, _), _ = datasets.imdb.load_data(maxlen=10, start_char=None, oov_char=None, skip_top=5)
    assert all(len(s) < 10 and min(s, default=5) >= 5 for s in x)
    with pytest.raises(ValueError, match="no sequence was kept"):
        datasets.imdb.load_data(maxlen=2)
    assert datasets.imdb.get_word_index() == {"the": 1, "and": 2}


def test_reuters(fake_datasets):
    (x, _y), (xt, _yt) = datasets.reuters.load_data(test_split=0.4)
    assert (len(x), len(xt)) == (9, 6)
    assert datasets.reuters.get_word_index() == {"said": 1}
    assert len(datasets.reuters.get_label_names()) == 46


def test_housing(fake_datasets):
    (x, y), (xt, _yt) = datasets.boston_housing.load_data()
    assert (x.shape, xt.shape, y.shape) == ((16, 13), (4, 13), (16,))
    (x, y), (xt, _yt) = datasets.california_housing.load_data(version="small", test_split=0.5)
    assert (x.shape, xt.shape, x.dtype) == ((300, 8), (300, 8), np.float32)
    with pytest.raises(ValueError, match="Invalid `test_split` argument: 1"):
        datasets.boston_housing.load_data(test_split=1)
    with pytest.raises(ValueError, match="must be one of 'small', 'large'"):
        datasets.california_housing.load_data(version="tiny")


def test_cifar_channels_first(fake_datasets):
    from heft import config

    previous = config.image_data_format()
    config.set_image_data_format("channels_first")
    try:
        (x, _), (xt, _) = datasets.cifar10.load_data()
        (x100, _), _ = datasets.cifar100.load_data()
    finally:
        config.set_image_data_format(previous)
    assert x.shape == (15, 3, 32, 32) and xt.shape == (4, 3, 32, 32)
    assert x100.shape == (6, 3, 32, 32)
