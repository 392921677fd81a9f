"""``cifar10`` and ``cifar100``: 32x32 colour images, read from CIFAR's python pickles safely."""

from __future__ import annotations

import os

import numpy as np

from .._config import image_data_format
from ._readers import load_cifar_batch
from ._sources import fetch

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _layout(x: np.ndarray) -> np.ndarray:
    return x.transpose(0, 2, 3, 1) if image_data_format() == "channels_last" else x


def load_cifar10() -> Arrays:
    """Load CIFAR-10: 50,000 training and 10,000 test 32x32 colour images in 10 classes.

    The archive ``cifar-10-python.tar.gz`` is downloaded once (sha256-checked)
    and extracted into ``~/.keras/datasets/cifar-10-batches-py-target``, as
    Keras does. Its batches are python pickles; they are read with an
    unpickler that builds only dicts, lists, strings, bytes, numbers and numpy
    arrays, and refuses any other class. Classes: 0 airplane, 1 automobile,
    2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse, 8 ship, 9 truck.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape
        ``(n, 32, 32, 3)`` (``(n, 3, 32, 32)`` when ``image_data_format()`` is
        ``"channels_first"``) and uint8 labels of shape ``(n, 1)``.
    """
    path = os.path.join(
        fetch("cifar10", "cifar-10-batches-py-target", extract=True), "cifar-10-batches-py"
    )
    batches = [load_cifar_batch(os.path.join(path, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([x for x, _ in batches]).astype("uint8")
    y_train = np.concatenate([np.asarray(y) for _, y in batches]).astype("uint8")
    x_test, labels = load_cifar_batch(os.path.join(path, "test_batch"))
    y_test = np.reshape(labels, (len(labels), 1)).astype("uint8")
    return (
        (_layout(x_train), y_train.reshape(len(y_train), 1)),
        (_layout(x_test).astype("uint8"), y_test),
    )


def load_cifar100(label_mode: str = "fine") -> Arrays:
    """Load CIFAR-100: 50,000 training and 10,000 test 32x32 colour images in 100 classes.

    The archive ``cifar-100-python.tar.gz`` is downloaded once (sha256-checked)
    and extracted into ``~/.keras/datasets/cifar-100-python-target``; its
    pickles are read as for :func:`cifar10.load_data`.

    Args:
        label_mode: ``"fine"`` (100 classes) or ``"coarse"`` (20 superclasses).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images as for CIFAR-10
        and int64 labels of shape ``(n, 1)``, as Keras returns them.

    Raises:
        ValueError: If ``label_mode`` is neither ``"fine"`` nor ``"coarse"``.
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(
            f'`label_mode` must be one of `"fine"`, `"coarse"`. Received: label_mode={label_mode}.'
        )
    path = os.path.join(
        fetch("cifar100", "cifar-100-python-target", extract=True), "cifar-100-python"
    )
    out = []
    for part in ("train", "test"):
        x, labels = load_cifar_batch(os.path.join(path, part), label_key=f"{label_mode}_labels")
        out.append((_layout(x), np.reshape(labels, (len(labels), 1))))
    return out[0], out[1]
