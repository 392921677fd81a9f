"""The dataset ``*_dataset_from_directory`` return: files decoded on the host, batch by batch."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ._py_dataset import PyDataset


def encode_labels(labels: np.ndarray, label_mode: str, num_classes: int) -> np.ndarray:
    """Labels as Keras's pipeline gives them: int32, one-hot float32, or float32 ``(n, 1)``."""
    if label_mode == "binary":
        return labels.astype("float32")[:, None]
    if label_mode == "categorical":
        one_hot = np.zeros((len(labels), num_classes), "float32")
        inside = (labels >= 0) & (labels < num_classes)
        one_hot[np.nonzero(inside)[0], labels[inside]] = 1.0
        return one_hot
    return labels.astype("int32")


class FileDataset(PyDataset):
    """Files read and decoded in batches on the host; ``fit`` takes it like any ``PyDataset``.

    Item ``i`` is batch ``i``: ``(x, y)`` with labels, ``x`` alone without.
    With ``shuffle`` the order of the samples is drawn anew for every epoch
    from a generator seeded with ``seed`` (Keras reshuffles with
    ``tf.data``; the sets of files are the same, the order within an epoch is
    heft's own).

    Attributes:
        class_names: The class names (``None`` without labels).
        file_paths: The files, in the order of the split.
    """

    def __init__(
        self,
        file_paths: list[str],
        labels: np.ndarray | None,
        class_names: list[str] | None,
        load: Callable[[str], np.ndarray],
        batch_size: int | None,
        shuffle: bool,
        seed: int,
        collate: Callable[[list[np.ndarray]], Any] = np.stack,
    ) -> None:
        super().__init__()
        self.file_paths = list(file_paths)
        self.labels = labels
        self.class_names = class_names
        self.batch_size = batch_size
        self._load = load
        self._collate = collate
        self._shuffle = shuffle
        self._rng = np.random.default_rng(seed)
        self._order = self._new_order()

    def _new_order(self) -> np.ndarray:
        n = len(self.file_paths)
        return self._rng.permutation(n) if self._shuffle else np.arange(n)

    def __len__(self) -> int:
        if self.batch_size is None:
            return len(self.file_paths)
        return math.ceil(len(self.file_paths) / self.batch_size)

    def __getitem__(self, index: int) -> Any:
        if not -len(self) <= index < len(self):
            raise IndexError(f"Batch index {index} is out of range: the dataset has {len(self)}.")
        index %= len(self)
        if self.batch_size is None:
            chosen = self._order[index : index + 1]
        else:
            chosen = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        x = self._collate([self._load(self.file_paths[i]) for i in chosen])
        if self.batch_size is None:
            x = x[0]
        if self.labels is None:
            return x
        y = self.labels[chosen]
        return x, (y[0] if self.batch_size is None else y)

    def on_epoch_end(self) -> None:
        """Draw a new order of the samples for the next epoch (with ``shuffle``)."""
        if self._shuffle:
            self._order = self._new_order()
