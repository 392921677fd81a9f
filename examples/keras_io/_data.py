"""Local stand-ins for the data the guide programs download: arrays of the same shapes.

The values are random (seeded), so the programs exercise the same code paths and
build the same models without a network; the accuracy they print means nothing.
"""

from __future__ import annotations

import numpy as np

_rng = np.random.default_rng(0)


def images(n: int, shape: tuple[int, ...], dtype: str = "uint8") -> np.ndarray:
    """``n`` images of ``shape`` with values 0-255."""
    return _rng.integers(0, 256, size=(n, *shape)).astype(dtype)


def labels(n: int, classes: int) -> np.ndarray:
    """``n`` integer labels in ``[0, classes)``."""
    return _rng.integers(0, classes, size=(n,)).astype("int64")


def floats(*shape: int) -> np.ndarray:
    """Standard-normal float32 values."""
    return _rng.standard_normal(shape).astype("float32")


def token_ids(n: int, length: int, vocab: int) -> np.ndarray:
    """``n`` sequences of word ids in ``[1, vocab)``."""
    return _rng.integers(1, vocab, size=(n, length)).astype("int64")


def sentences(n: int, words: int = 12) -> np.ndarray:
    """``n`` short English-like strings."""
    vocabulary = np.array(
        "the a movie film was great bad good awful plot actor scene story "
        "not very really boring fun loved hated it and but".split()
    )
    return np.array([" ".join(_rng.choice(vocabulary, size=words)) for _ in range(n)])


def mnist(n_train: int = 256, n_test: int = 64):
    """(x_train, y_train), (x_test, y_test) shaped like ``keras.datasets.mnist``."""
    return (images(n_train, (28, 28)), labels(n_train, 10)), (
        images(n_test, (28, 28)),
        labels(n_test, 10),
    )


def cifar10(n_train: int = 128, n_test: int = 32):
    """Shaped like ``keras.datasets.cifar10`` (labels of shape (n, 1))."""
    return (images(n_train, (32, 32, 3)), labels(n_train, 10)[:, None]), (
        images(n_test, (32, 32, 3)),
        labels(n_test, 10)[:, None],
    )


def imdb(n_train: int = 128, n_test: int = 32, maxlen: int = 200, vocab: int = 20000):
    """Shaped like ``keras.datasets.imdb`` after padding: int ids and 0/1 labels."""
    return (token_ids(n_train, maxlen, vocab), labels(n_train, 2)), (
        token_ids(n_test, maxlen, vocab),
        labels(n_test, 2),
    )
