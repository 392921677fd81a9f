"""``imdb`` and ``reuters``: word-index sequences, with Keras's shuffling, offsets and filters."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ._readers import load_npz
from ._sources import fetch

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _offset(xs: Any, start_char: int | None, index_from: int) -> list[list[int]]:
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    if index_from:
        return [[w + index_from for w in x] for x in xs]
    return [list(x) for x in xs]


def _drop_long(maxlen: int, xs: list[list[int]], labels: Any) -> tuple[list[list[int]], list[Any]]:
    kept = [(x, y) for x, y in zip(xs, labels, strict=True) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def _vocabulary(
    xs: list[list[int]], num_words: int | None, skip_top: int, oov_char: int | None
) -> list[list[int]]:
    if not num_words:
        num_words = max(max(x) for x in xs)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def _shuffled(rng: np.random.RandomState, *arrays: np.ndarray) -> list[np.ndarray]:
    indices = np.arange(len(arrays[0]))
    rng.shuffle(indices)
    return [a[indices] for a in arrays]


def load_imdb(
    path: str = "imdb.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
    **kwargs: Any,
) -> Arrays:
    """Load the IMDB reviews: 25,000 training and 25,000 test reviews labelled by sentiment.

    Each review is a list of word indices (a word's index is its frequency
    rank, offset by ``index_from``). The file ``imdb.npz`` is downloaded once
    (sha256-checked); its arrays of lists are read with a restricted
    unpickler. Each split is shuffled with ``numpy.random.RandomState(seed)``,
    training set first, exactly as Keras does.

    Args:
        path: Name of the file in the cache.
        num_words: Keep the words of index below this; others become
            ``oov_char`` (or are dropped when ``oov_char`` is None). Default: all.
        skip_top: Treat the words of index below this as out of vocabulary too.
        maxlen: Drop the reviews of ``maxlen`` words or more.
        seed: Seed of the shuffle.
        start_char: Index that starts each review (None: none).
        oov_char: Index of out-of-vocabulary words.
        index_from: Offset added to every word index.
        **kwargs: Accepted and ignored, as in Keras.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: object arrays of lists of
        ints, and int64 labels (1 positive).

    Raises:
        ValueError: If ``maxlen`` removes every review of a split.
    """
    path = fetch("imdb", path)
    f = load_npz(path)
    rng = np.random.RandomState(seed)
    x_train, labels_train = _shuffled(rng, f["x_train"], f["y_train"])
    x_test, labels_test = _shuffled(rng, f["x_test"], f["y_test"])
    train, test = _offset(x_train, start_char, index_from), _offset(x_test, start_char, index_from)
    if maxlen:
        train, labels_train = _drop_long(maxlen, train, labels_train)  # type: ignore[assignment]
        test, labels_test = _drop_long(maxlen, test, labels_test)  # type: ignore[assignment]
        if not train or not test:
            raise ValueError(
                f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was "
                "kept. Increase maxlen."
            )
    xs = _vocabulary(train + test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    idx = len(train)
    return (
        (np.array(xs[:idx], dtype="object"), labels[:idx]),
        (np.array(xs[idx:], dtype="object"), labels[idx:]),
    )


def load_reuters(
    path: str = "reuters.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    test_split: float = 0.2,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
) -> Arrays:
    """Load the Reuters newswires: 11,228 texts labelled with 46 topics.

    The file ``reuters.npz`` is downloaded once (sha256-checked) and read as
    for :func:`imdb.load_data`; the texts are shuffled with
    ``numpy.random.RandomState(seed)`` and the last ``test_split`` of them
    form the test set. Arguments as for :func:`imdb.load_data`.

    Args:
        path: Name of the file in the cache.
        num_words: Largest word index kept (others become ``oov_char``).
        skip_top: Word indices below this are out of vocabulary too.
        maxlen: Drop texts of ``maxlen`` words or more.
        test_split: Fraction of the texts in the test set.
        seed: Seed of the shuffle.
        start_char: Index that starts each text (None: none).
        oov_char: Index of out-of-vocabulary words.
        index_from: Offset added to every word index.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: object arrays of lists of
        ints, and int64 topic labels (names from :func:`get_label_names`).
    """
    path = fetch("reuters", path)
    f = load_npz(path)
    xs_raw, labels = _shuffled(np.random.RandomState(seed), f["x"], f["y"])
    xs = _offset(xs_raw, start_char, index_from)
    labels_out: Any = labels
    if maxlen:
        xs, labels_out = _drop_long(maxlen, xs, labels)
    xs = _vocabulary(xs, num_words, skip_top, oov_char)
    idx = int(len(xs) * (1 - test_split))
    return (
        (np.array(xs[:idx], dtype="object"), np.array(labels_out[:idx])),
        (np.array(xs[idx:], dtype="object"), np.array(labels_out[idx:])),
    )


def _word_index(key: str, path: str) -> dict[str, int]:
    with open(fetch(key, path)) as f:
        index: dict[str, int] = json.load(f)
    return index


def imdb_word_index(path: str = "imdb_word_index.json") -> dict[str, int]:
    """The IMDB vocabulary: a dict from word to its index (before ``index_from``).

    Downloaded once (md5-checked) into the cache.
    """
    return _word_index("imdb_word_index", path)


def reuters_word_index(path: str = "reuters_word_index.json") -> dict[str, int]:
    """The Reuters vocabulary: a dict from word to its index (before ``index_from``).

    Downloaded once (md5-checked) into the cache.
    """
    return _word_index("reuters_word_index", path)


_REUTERS_LABELS = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing",
    "money-supply", "coffee", "sugar", "trade", "reserves", "ship", "cotton",
    "carcass", "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp",
    "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock",
    "retail", "ipi", "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc",
    "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)  # fmt: skip


def reuters_label_names() -> tuple[str, ...]:
    """The 46 Reuters topic names, indexed by label.

    >>> reuters_label_names()[:3]
    ('cocoa', 'grain', 'veg-oil')
    """
    return _REUTERS_LABELS
