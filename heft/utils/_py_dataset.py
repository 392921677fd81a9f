"""``PyDataset`` (alias ``Sequence``): batches produced by Python code, indexed by position."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from typing import Any


class PyDataset:
    """Base class of a dataset whose batches are made by Python code.

    A subclass implements ``__getitem__(index)``, returning one whole batch
    (``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``), and ``__len__``
    (or the ``num_batches`` property), the number of batches; ``num_batches``
    may be ``None`` for an endless dataset. ``on_epoch_begin`` and
    ``on_epoch_end`` are called by ``fit`` around every epoch (for instance to
    reshuffle the samples between epochs).

    ``workers``, ``use_multiprocessing`` and ``max_queue_size`` tell ``fit``,
    ``evaluate`` and ``predict`` how to produce the batches: with ``workers``
    above 1 (or ``use_multiprocessing=True``) batches are made ahead by a pool
    of threads (or of processes, which needs a dataset that can be pickled),
    at most ``max_queue_size`` of them waiting, and handed to the model in
    index order. Iterating a ``PyDataset`` directly uses no parallelism.

    Args:
        workers: Threads or processes producing batches.
        use_multiprocessing: Use processes instead of threads.
        max_queue_size: Most batches made ahead of the one the model consumes.

    >>> import numpy as np
    >>> class Squares(PyDataset):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...     def __len__(self):
    ...         return 3
    ...     def __getitem__(self, index):
    ...         x = np.full((2, 1), index, "float32")
    ...         return x, x**2
    >>> ds = Squares(workers=2)
    >>> ds.workers, ds.use_multiprocessing, ds.max_queue_size, ds.num_batches
    (2, False, 10, 3)
    >>> [float(y[0, 0]) for _, y in ds]
    [0.0, 1.0, 4.0]
    """

    def __init__(
        self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10
    ) -> None:
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    def _warn_if_super_not_called(self) -> None:
        missing = False
        for name, default in (
            ("_workers", 1),
            ("_use_multiprocessing", False),
            ("_max_queue_size", 10),
        ):
            if name not in self.__dict__:
                self.__dict__[name] = default
                missing = True
        if missing:
            warnings.warn(
                f"Your `PyDataset` class {type(self).__name__} should call "
                "`super().__init__(**kwargs)` in its constructor. `**kwargs` can include "
                "`workers`, `use_multiprocessing`, `max_queue_size`. Do not pass these "
                "arguments to `fit()`, as they will be ignored.",
                stacklevel=3,
            )

    @property
    def workers(self) -> int:
        """Threads or processes ``fit`` uses to produce batches."""
        self._warn_if_super_not_called()
        return self._workers

    @workers.setter
    def workers(self, value: int) -> None:
        self._workers = value

    @property
    def use_multiprocessing(self) -> bool:
        """Whether the workers are processes rather than threads."""
        self._warn_if_super_not_called()
        return self._use_multiprocessing

    @use_multiprocessing.setter
    def use_multiprocessing(self, value: bool) -> None:
        self._use_multiprocessing = value

    @property
    def max_queue_size(self) -> int:
        """Most batches made ahead of the one being consumed."""
        self._warn_if_super_not_called()
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value: int) -> None:
        self._max_queue_size = value

    def __getitem__(self, index: int) -> Any:
        """The batch at position ``index``."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement `__getitem__(self, index)`, returning the "
            "batch at that position."
        )

    @property
    def num_batches(self) -> int | None:
        """The number of batches, from ``__len__``; ``None`` means endless."""
        length = getattr(self, "__len__", None)
        if length is not None:
            return int(length())
        raise NotImplementedError(
            f"{type(self).__name__} must implement `__len__` or the `num_batches` property:"
            "\n\n@property\ndef num_batches(self):\n  return ..."
        )

    def __iter__(self) -> Iterator[Any]:
        try:
            count = self.num_batches
        except NotImplementedError:
            count = None
        indices = itertools.count() if count is None else range(count)
        for index in indices:
            yield self[index]

    def on_epoch_begin(self) -> None:
        """Called before every epoch of ``fit`` (and before ``evaluate``/``predict``)."""

    def on_epoch_end(self) -> None:
        """Called after every epoch of ``fit`` (and after ``evaluate``/``predict``)."""


Sequence = PyDataset
