"""Datasets built on the host from arrays: ``split_dataset`` and ``timeseries_dataset_from_array``.

Keras builds these as ``tf.data`` pipelines; heft builds them with numpy as
``PyDataset`` subclasses, which ``fit``, ``evaluate`` and ``predict`` take.
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np

from ._py_dataset import PyDataset


def _tree_map(fn: Any, tree: Any) -> Any:
    if isinstance(tree, dict):
        return {k: _tree_map(fn, v) for k, v in tree.items()}
    if isinstance(tree, tuple | list):
        return type(tree)(_tree_map(fn, v) for v in tree)
    return fn(tree)


class ArrayDataset(PyDataset):
    """Samples held as arrays (one array, or a tuple/dict of arrays of one length).

    Unbatched (``batch_size=None``) it yields one sample per index, as an
    unbatched ``tf.data.Dataset`` would; ``batch(n)`` gives the batched form
    that ``fit`` takes, the last batch holding what is left.

    >>> ds = ArrayDataset((np.arange(5.0), np.arange(5)))
    >>> len(ds), len(ds.batch(2))
    (5, 3)
    >>> ds.batch(2)[2]
    (array([4.]), array([4]))
    """

    def __init__(self, data: Any, batch_size: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data = _tree_map(np.asarray, data)
        lengths = {len(a) for a in _leaves(self.data)}
        if len(lengths) != 1:
            raise ValueError(
                f"All arrays of the dataset must have the same length; received lengths "
                f"{sorted(lengths)}."
            )
        self.num_samples = lengths.pop()
        self.batch_size = batch_size

    def batch(self, batch_size: int) -> ArrayDataset:
        """The same samples in batches of ``batch_size``."""
        return ArrayDataset(self.data, batch_size)

    def __len__(self) -> int:
        if self.batch_size is None:
            return self.num_samples
        return math.ceil(self.num_samples / self.batch_size)

    def __getitem__(self, index: int) -> Any:
        if not 0 <= index < len(self):
            raise IndexError(f"Index {index} is out of range for a dataset of {len(self)} items.")
        if self.batch_size is None:
            return _tree_map(lambda a: a[index], self.data)
        rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return _tree_map(lambda a: a[rows], self.data)


def _leaves(tree: Any) -> list[np.ndarray]:
    if isinstance(tree, dict):
        return [leaf for v in tree.values() for leaf in _leaves(v)]
    if isinstance(tree, tuple | list):
        return [leaf for v in tree for leaf in _leaves(v)]
    return [tree]


def _samples_of(dataset: Any) -> tuple[Any, int | None]:
    """The dataset's samples as arrays of one length, and its batch size if it was batched."""
    if isinstance(dataset, ArrayDataset):
        return dataset.data, dataset.batch_size
    if isinstance(dataset, np.ndarray | tuple | list | dict):
        return _tree_map(np.asarray, dataset), None
    names = [(c.__name__, c.__module__) for c in type(dataset).__mro__]
    if any(n == "DatasetV2" and "tensorflow" in m for n, m in names):
        batch_size = getattr(dataset, "_batch_size", None)
        if batch_size is not None:
            dataset = dataset.unbatch()
            batch_size = int(batch_size)
        rows = list(dataset.as_numpy_iterator())
        if not rows:
            raise ValueError("`split_dataset` received an empty dataset.")
        first = rows[0]
        if isinstance(first, tuple):
            return tuple(np.stack([r[i] for r in rows]) for i in range(len(first))), batch_size
        if isinstance(first, dict):
            return {k: np.stack([r[k] for r in rows]) for k in first}, batch_size
        return np.stack(rows), batch_size
    raise TypeError(
        "The `dataset` argument must be either a `tf.data.Dataset`, a heft `ArrayDataset` "
        f"or a list/tuple of arrays. Received: dataset={dataset!r} of type {type(dataset)}"
    )


def _split_sizes(left: Any, right: Any, total: int) -> tuple[int, int]:
    for name, size in (("left_size", left), ("right_size", right)):
        if size is not None and type(size) not in (int, float):
            raise TypeError(
                f"Invalid `{name}` Type. Expected: int or float or None, "
                f"Received: type({name})={type(size)}."
            )
    if left == 0 and right == 0:
        raise ValueError(
            "Both `left_size` and `right_size` are zero. At least one of the split sizes must "
            "be non-zero."
        )
    for name, size in (("left_size", left), ("right_size", right)):
        if (type(size) is int and not 0 < size < total) or (
            type(size) is float and not 0 < size < 1
        ):
            raise ValueError(
                f"`{name}` should be either a positive integer smaller than {total}, or a "
                f"float within the range `[0, 1]`. Received: {name}={size}"
            )
    if type(left) is float and type(right) is float and left + right > 1:
        raise ValueError(
            "The sum of `left_size` and `right_size` is greater than 1. It must be less than "
            "or equal to 1."
        )
    lsize = round(left * total) if type(left) is float else left
    rsize = round(right * total) if type(right) is float else right
    if lsize is None:
        lsize = total - rsize
    elif rsize is None:
        rsize = total - lsize
    if lsize + rsize > total:
        raise ValueError(
            f"The sum of `left_size` and `right_size` should be smaller than the {total}. "
            f"Received: left_size + right_size = {lsize + rsize} and total_length = {total}"
        )
    for size, side in ((lsize, "left"), (rsize, "right")):
        if size == 0:
            raise ValueError(
                f"With `dataset` of length={total}, `left_size`={left} and `right_size`="
                f"{right}. Resulting {side} side dataset split will be empty. Adjust any of "
                "the aforementioned parameters"
            )
    return int(lsize), int(rsize)


def split_dataset(
    dataset: Any,
    left_size: int | float | None = None,
    right_size: int | float | None = None,
    shuffle: bool = False,
    seed: int | None = None,
    preferred_backend: str | None = None,
) -> tuple[ArrayDataset, ArrayDataset]:
    """Split a dataset's samples in two: the first ``left_size``, the last ``right_size``.

    Sizes are sample counts (int) or fractions (float); the side left out
    takes the rest. With ``shuffle``, the samples are shuffled first with
    Python's ``random.Random(seed)`` (the order Keras gives for the same seed).
    The splits are ``ArrayDataset``s, batched as ``dataset`` was. Where Keras
    returns ``tf.data`` datasets, heft splits on the host without TensorFlow.

    Args:
        dataset: An array, a tuple/list/dict of arrays, an ``ArrayDataset`` or a
            ``tf.data.Dataset``.
        left_size: Samples (int) or fraction (float) of the left split.
        right_size: Samples (int) or fraction (float) of the right split.
        shuffle: Shuffle the samples before splitting.
        seed: Seed of the shuffle.
        preferred_backend: Accepted for Keras compatibility (the splits are heft datasets).

    Returns:
        ``(left, right)``.

    Raises:
        TypeError: For a dataset of another kind, or sizes that are not numbers.
        ValueError: For sizes that leave a side empty or add up to more than the data.

    >>> left, right = split_dataset(np.arange(10), left_size=0.8)
    >>> len(left), len(right), right[0]
    (8, 2, np.int64(8))
    """
    del preferred_backend
    if left_size is None and right_size is None:
        raise ValueError(
            "At least one of the `left_size` or `right_size` must be specified. Received: "
            "left_size=None and right_size=None"
        )
    data, batch_size = _samples_of(dataset)
    total = len(_leaves(data)[0])
    order = list(range(total))
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(1e6))
        random.Random(seed).shuffle(order)
    lsize, rsize = _split_sizes(left_size, right_size, total)
    left_rows = np.asarray(order[:lsize])
    right_rows = np.asarray(order[-rsize:])
    left = ArrayDataset(_tree_map(lambda a: a[left_rows], data), batch_size)
    right = ArrayDataset(_tree_map(lambda a: a[right_rows], data), batch_size)
    return left, right


class TimeseriesDataset(PyDataset):
    """Windows over a time series, batched, as ``timeseries_dataset_from_array`` makes them."""

    def __init__(
        self,
        data: np.ndarray,
        targets: np.ndarray | None,
        starts: np.ndarray,
        sequence_length: int,
        sampling_rate: int,
        batch_size: int | None,
    ) -> None:
        super().__init__()
        self.data = data
        self.targets = targets
        self.starts = starts
        self.offsets = np.arange(sequence_length) * sampling_rate
        self.batch_size = batch_size

    def __len__(self) -> int:
        if self.batch_size is None:
            return len(self.starts)
        return math.ceil(len(self.starts) / self.batch_size)

    def __getitem__(self, index: int) -> Any:
        if not 0 <= index < len(self):
            raise IndexError(f"Index {index} is out of range for a dataset of {len(self)} items.")
        if self.batch_size is None:
            starts = self.starts[index : index + 1]
        else:
            starts = self.starts[index * self.batch_size : (index + 1) * self.batch_size]
        windows = self.data[starts[:, None] + self.offsets]
        if self.batch_size is None:
            windows = windows[0]
        if self.targets is None:
            return windows
        targets = self.targets[starts]
        return windows, (targets[0] if self.batch_size is None else targets)


def timeseries_dataset_from_array(
    data: Any,
    targets: Any,
    sequence_length: int,
    sequence_stride: int = 1,
    sampling_rate: int = 1,
    batch_size: int | None = 128,
    shuffle: bool = False,
    seed: int | None = None,
    start_index: int | None = None,
    end_index: int | None = None,
    format: str = "tf",
) -> TimeseriesDataset:
    """Batches of sliding windows over ``data`` (axis 0 is time), with their targets.

    Window ``j`` starts at ``start_index + j * sequence_stride`` and takes
    ``sequence_length`` steps ``sampling_rate`` apart; its target is
    ``targets[start_index + j * sequence_stride]``. Windows that would pass
    ``end_index`` are dropped. With ``shuffle``, the window order is shuffled
    by ``np.random.RandomState(seed)`` as Keras does; Keras's further
    per-batch buffer shuffle (a ``tf.data`` step) is not reproduced. Built on
    the host with numpy (Keras builds a ``tf.data`` or grain pipeline).

    Returns:
        A ``PyDataset`` yielding ``(windows, targets)`` batches (``windows``
        alone when ``targets`` is ``None``; single samples when
        ``batch_size`` is ``None``).

    Raises:
        ValueError: For indices, strides or rates outside the data.

    >>> ds = timeseries_dataset_from_array(np.arange(10), None, sequence_length=3, batch_size=4)
    >>> len(ds), ds[0].tolist()
    (2, [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]])
    """
    data = np.asarray(data)
    n = len(data)
    if start_index:
        if start_index < 0:
            raise ValueError(
                f"`start_index` must be 0 or greater. Received: start_index={start_index}"
            )
        if start_index >= n:
            raise ValueError(
                "`start_index` must be lower than the length of the data. Received: "
                f"start_index={start_index}, for data of length {n}"
            )
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(
                "`end_index` must be higher than `start_index`. Received: "
                f"start_index={start_index}, and end_index={end_index} "
            )
        if end_index >= n:
            raise ValueError(
                "`end_index` must be lower than the length of the data. Received: "
                f"end_index={end_index}, for data of length {n}"
            )
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: end_index={end_index}")
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value <= 0:
            raise ValueError(f"`{name}` must be higher than 0. Received: {name}={value}")
        if value >= n:
            raise ValueError(
                f"`{name}` must be lower than the length of the data. Received: "
                f"{name}={value}, for data of length {n}"
            )
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    start = start_index or 0
    end = end_index if end_index is not None else n
    num_seqs = end - start - (sequence_length - 1) * sampling_rate
    target_array = None if targets is None else np.asarray(targets)
    if target_array is not None:
        num_seqs = min(num_seqs, len(target_array))
    starts = np.arange(0, max(num_seqs, 0), sequence_stride)
    if shuffle:
        if seed is None:
            seed = int(np.random.randint(1_000_000))
        np.random.RandomState(seed).shuffle(starts)
    return TimeseriesDataset(
        data[start:end],
        None if target_array is None else target_array[start:end],
        starts,
        sequence_length,
        sampling_rate,
        batch_size,
    )
