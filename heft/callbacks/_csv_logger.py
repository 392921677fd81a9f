"""``CSVLogger``: writes one CSV row of logs per epoch."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from typing import Any

import numpy as np

from ._callback import Callback


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value
    if isinstance(value, Iterable):
        return f"[{', '.join(map(str, value))}]"
    return value


class CSVLogger(Callback):
    """Streams the logs of each epoch to a CSV file, one row per epoch.

    The header is ``epoch`` followed by the log keys of the first epoch in
    sorted order; when those have no ``val_`` entries, a ``val_`` column is
    added for each key (filled with ``NA`` until validation logs appear), as
    in Keras. Epochs are numbered from 0. Rows end with ``\\r\\n`` (the csv
    module's default dialect) and iterable values are written as
    ``[a, b, ...]`` in one quoted cell. The file is opened for each row and
    closed again, so it is complete on disk after every epoch.

    Args:
        filename: Path (``str`` or ``os.PathLike``) of the CSV file.
        separator: The string between cells.
        append: Whether to add rows to an existing file (without repeating its
            header) instead of overwriting it.

    Raises:
        TypeError: If ``separator`` is not a single character (as the csv module).

    >>> import pathlib, tempfile
    >>> from heft.callbacks import CSVLogger
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "log.csv"
    >>> logger = CSVLogger(path)
    >>> logger.on_train_begin()
    >>> logger.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.75})
    >>> logger.on_train_end()
    >>> path.read_bytes()
    b'epoch,loss,val_loss\\r\\n0,0.5,0.75\\r\\n'
    """

    def __init__(
        self, filename: str | os.PathLike[str], separator: str = ",", append: bool = False
    ) -> None:
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise TypeError(
                "CSVLogger expects `separator` to be a single character such as ',' or "
                f"'\\t'. Received: separator={separator!r}."
            )
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.keys: list[str] | None = None
        self.append_header = True

    def _dialect(self) -> type[csv.Dialect]:
        separator = self.sep

        class _Dialect(csv.excel):
            delimiter = separator

        return _Dialect

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.keys = None
        if self.append:
            self.append_header = True
            if os.path.exists(self.filename):
                with open(self.filename, encoding="utf-8", newline="") as existing:
                    self.append_header = not existing.readline()
            mode = "a"
        else:
            self.append_header = True
            mode = "w"
        dirname = os.path.dirname(self.filename)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        with open(self.filename, mode, encoding="utf-8", newline=""):
            pass

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        write_header = False
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys.extend(f"val_{key}" for key in list(self.keys))
            write_header = self.append_header
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        with open(self.filename, "a", encoding="utf-8", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=["epoch", *self.keys], dialect=self._dialect())
            if write_header:
                writer.writeheader()
            writer.writerow(row)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self.keys = None
