"""``heft.datasets.digits``: the 8x8 handwritten digits, shipped inside the package."""

from __future__ import annotations

import importlib.resources

import numpy as np


def load_data(
    test_split: float = 0.2, seed: int = 0
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load the 1,797 images of handwritten digits (8x8 pixels, values 0-16).

    The data is the UCI "Optical Recognition of Handwritten Digits" test set
    (Alpaydin and Kaynak, 1998; CC BY 4.0), stored compressed in heft, so
    nothing is downloaded.

    Args:
        test_split: Fraction of the samples held out as the test set.
        seed: Seed of the shuffle that assigns samples to the two sets.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape
        ``(n, 8, 8)`` and uint8 labels 0-9.

    Raises:
        ValueError: If ``test_split`` is not in ``[0, 1)``.

    >>> (x_train, y_train), (x_test, y_test) = load_data()
    >>> x_train.shape, x_test.shape
    ((1438, 8, 8), (359, 8, 8))
    """
    if not 0.0 <= test_split < 1.0:
        raise ValueError(f"`test_split` must be in [0, 1). Received: test_split={test_split}")
    with importlib.resources.files(__package__).joinpath("digits.npz").open("rb") as f:
        with np.load(f) as data:
            images, labels = data["images"], data["labels"]
    order = np.random.default_rng(seed).permutation(len(labels))
    n_test = round(len(labels) * test_split)
    test, train = order[:n_test], order[n_test:]
    return (images[train], labels[train]), (images[test], labels[test])
