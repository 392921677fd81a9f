"""``boston_housing`` and ``california_housing``: regression tables split as Keras splits them."""

from __future__ import annotations

import numpy as np

from ._sources import fetch

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _check_split(test_split: float) -> None:
    if not 0 <= test_split < 1:
        raise ValueError(
            f"Invalid `test_split` argument: {test_split}. It must be between 0 and 1 "
            "(exclusive of 1)."
        )


def _split(x: np.ndarray, y: np.ndarray, test_split: float, seed: int) -> Arrays:
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    n = int(len(x) * (1 - test_split))
    return (np.array(x[:n]), np.array(y[:n])), (np.array(x[n:]), np.array(y[n:]))


def load_boston_housing(
    path: str = "boston_housing.npz", test_split: float = 0.2, seed: int = 113
) -> Arrays:
    """Load the Boston housing prices: 506 samples of 13 features and a price.

    The file is downloaded once (sha256-checked); the samples are shuffled
    with ``numpy.random.RandomState(seed)`` and the last ``test_split`` of
    them form the test set, as in Keras.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: float64 features ``(n, 13)``
        and float64 prices ``(n,)`` (thousands of dollars).

    Raises:
        ValueError: If ``test_split`` is not in ``[0, 1)``.
    """
    _check_split(test_split)
    path = fetch("boston_housing", path)
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    return _split(x, y, test_split, seed)


def load_california_housing(
    version: str = "large",
    path: str = "california_housing.npz",
    test_split: float = 0.2,
    seed: int = 113,
) -> Arrays:
    """Load the California housing prices: 20,640 districts of 8 features and a median price.

    Args:
        version: ``"large"`` (all districts) or ``"small"`` (the first 600).
        path: Name of the file in the cache.
        test_split: Fraction of the samples in the test set.
        seed: Seed of the shuffle before the split.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: float32 features ``(n, 8)``
        and float32 prices ``(n,)``.

    Raises:
        ValueError: If ``test_split`` is not in ``[0, 1)`` or ``version`` is unknown.
    """
    _check_split(test_split)
    path = fetch("california_housing", path)
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    elif version != "large":
        raise ValueError(
            f"Argument `version` must be one of 'small', 'large'. Received: version={version}"
        )
    return _split(x, y, test_split, seed)
