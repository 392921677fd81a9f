"""``mnist`` and ``fashion_mnist``: 28x28 grayscale images of digits and of clothes."""

from __future__ import annotations

import os

import numpy as np

from ._readers import read_idx
from ._sources import fetch

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def load_mnist(path: str = "mnist.npz") -> Arrays:
    """Load MNIST: 60,000 training and 10,000 test images of handwritten digits.

    The file ``mnist.npz`` is downloaded once (sha256-checked) into
    ``~/.keras/datasets`` (or ``$KERAS_HOME/datasets``), as Keras does.

    Args:
        path: Name of the file in the cache.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape
        ``(60000, 28, 28)`` and ``(10000, 28, 28)``, values 0-255, and uint8
        labels 0-9 of shape ``(60000,)`` and ``(10000,)``.
    """
    path = fetch("mnist", path)
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


_FASHION = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)


def load_fashion_mnist() -> Arrays:
    """Load Fashion-MNIST: 60,000 training and 10,000 test images of 10 kinds of clothing.

    The four gzipped IDX files are downloaded once into
    ``~/.keras/datasets/fashion-mnist``. Labels: 0 T-shirt/top, 1 trouser,
    2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt, 7 sneaker, 8 bag, 9 ankle boot.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape
        ``(n, 28, 28)`` and uint8 labels of shape ``(n,)``.

    Raises:
        ValueError: If a cached file is not a gzipped IDX file of the right shape.
    """
    subdir = os.path.join("datasets", "fashion-mnist")
    paths = [fetch(f"fashion_mnist/{name}", name, cache_subdir=subdir) for name in _FASHION]
    y_train, x_train = read_idx(paths[0], 1), read_idx(paths[1], 3)
    y_test, x_test = read_idx(paths[2], 1), read_idx(paths[3], 3)
    return (x_train, y_train), (x_test, y_test)
