"""``ModelCheckpoint``: saves the model or its weights during training."""

from __future__ import annotations

import math
import os
import string
import warnings
from typing import Any

import numpy as np

from ._callback import print_msg
from ._monitor import MonitorCallback

_WEIGHT_SUFFIXES = (".weights.h5", ".h5", ".safetensors")
_MODEL_SUFFIXES = (".keras",)


def _is_finite_scalar(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return True


class ModelCheckpoint(MonitorCallback):
    """Saves the model, or only its weights, at the end of epochs or every few batches.

    ``filepath`` may hold format fields filled from ``epoch`` (counted from
    1) and the log entries, e.g. ``"ckpt/{epoch:02d}-{val_loss:.2f}.weights.h5"``.
    With ``save_best_only`` a file is written only when the monitored value
    improves on the best so far (start: ``initial_value_threshold``).

    heft never overwrites a checkpoint with weights whose ``loss`` (or
    monitored value) is NaN or infinite: such a save is skipped with a
    message, so the file keeps the last good weights (for instance after
    ``TerminateOnNaN`` stops training).

    Args:
        filepath: Path (``str`` or ``os.PathLike``) of the file to write. It must
            end in ``.weights.h5``, ``.h5`` or ``.safetensors`` with
            ``save_weights_only=True``, and in ``.keras`` otherwise.
        monitor: The log key compared by ``save_best_only``.
        verbose: 1 prints a line for each save decision; 0 is silent.
        save_best_only: Whether to save only when ``monitor`` improves.
        save_weights_only: Whether to call ``model.save_weights`` (``True``)
            or ``model.save`` (``False``).
        mode: ``"min"``, ``"max"``, or ``"auto"`` to infer it from ``monitor``.
        save_freq: ``"epoch"`` to save at each epoch end, or a positive integer
            to save every that many training batches.
        initial_value_threshold: The value the monitored quantity must beat
            for the first save with ``save_best_only``.

    Raises:
        ValueError: If ``filepath`` has the wrong suffix or unbalanced braces,
            ``save_freq`` is neither ``"epoch"`` nor a positive integer, or
            ``mode`` is unknown (Keras only warns for a bad mode).

    >>> import os, tempfile
    >>> from heft.callbacks import ModelCheckpoint
    >>> class Model:
    ...     def save_weights(self, path, overwrite=True):
    ...         open(path, "wb").close()
    >>> folder = tempfile.mkdtemp()
    >>> checkpoint = ModelCheckpoint(os.path.join(folder, "{epoch:02d}.weights.h5"),
    ...                              save_weights_only=True)
    >>> checkpoint.set_model(Model())
    >>> checkpoint.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.7})
    >>> sorted(os.listdir(folder))
    ['01.weights.h5']
    """

    chunk_safe = True

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: str | int = "epoch",
        initial_value_threshold: float | None = None,
    ) -> None:
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen: int | None = None
        self._current_epoch = 0
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1
        ):
            raise ValueError(
                f"ModelCheckpoint received save_freq={save_freq!r}; expected 'epoch' "
                "(save at each epoch end) or a positive integer (save every that many "
                "training batches)."
            )
        if save_weights_only and not self.filepath.endswith(_WEIGHT_SUFFIXES):
            raise ValueError(
                "ModelCheckpoint with save_weights_only=True writes a weights file, so "
                "`filepath` must end in '.weights.h5' (Keras 3 format), '.h5' or "
                f"'.safetensors'. Received: filepath={self.filepath!r}. Rename it, e.g. "
                "'ckpt.weights.h5'."
            )
        if not save_weights_only and not self.filepath.endswith(_MODEL_SUFFIXES):
            raise ValueError(
                "ModelCheckpoint with save_weights_only=False saves the whole model, so "
                f"`filepath` must end in '.keras'. Received: filepath={self.filepath!r}. "
                "Use a '.keras' name, or pass save_weights_only=True with a "
                "'.weights.h5' name."
            )
        try:
            list(string.Formatter().parse(self.filepath))
        except ValueError as error:
            raise ValueError(
                f"ModelCheckpoint cannot use filepath={self.filepath!r} as a format "
                f"pattern: {error}. Write fields like '{{epoch:02d}}' or "
                "'{val_loss:.2f}', and double literal braces ('{{', '}}')."
            ) from None

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._current_epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self._should_save_on_batch(batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=logs)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, batch=None, logs=logs)

    def _should_save_on_batch(self, batch: int) -> bool:
        if self.save_freq == "epoch":
            return False
        # Batch indices restart at each epoch and may jump when the trainer
        # runs several steps per dispatch: count the steps actually covered.
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _should_save_model(self, epoch: int, logs: dict[str, Any], filepath: str) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: saving the model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"ModelCheckpoint(save_best_only=True) needs `{self.monitor}` in the logs "
                f"to compare with the best so far, but it is missing (available: "
                f"{', '.join(logs)}); saving anyway. Set `monitor` to one of the keys.",
                stacklevel=2,
            )
            return True
        if np.ndim(current) > 0:
            warnings.warn(
                f"ModelCheckpoint(save_best_only=True) can only compare a scalar "
                f"`{self.monitor}`, but received {current!r}; saving anyway, as with "
                "save_best_only=False.",
                stacklevel=2,
            )
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print_msg(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                    f"{current:.5f}; saving the model to {filepath}"
                )
            self.best = current
            return True
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save_model(self, epoch: int, batch: int | None, logs: dict[str, Any] | None) -> None:
        logs = logs or {}
        filepath = self._get_file_path(epoch, batch, logs)
        for key in ("loss", self.monitor):
            if key in logs and not _is_finite_scalar(logs[key]):
                print_msg(
                    f"\nEpoch {epoch + 1}: not saving to {filepath}: {key} is "
                    f"{logs[key]}, so the weights are not trustworthy; the last good "
                    "checkpoint is kept."
                )
                return
        if not self._should_save_model(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IsADirectoryError(
                f"ModelCheckpoint cannot save to {filepath!r}: it is an existing "
                "directory. Give `filepath` a file name inside it, e.g. "
                f"{os.path.join(filepath, 'model.keras')!r}."
            )
        dirname = os.path.dirname(filepath)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)

    def _get_file_path(self, epoch: int, batch: int | None, logs: dict[str, Any]) -> str:
        fields = dict(logs)
        fields["epoch"] = epoch + 1
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as error:
            raise KeyError(
                f"ModelCheckpoint cannot fill filepath={self.filepath!r}: the field "
                f"{error} is not in the logs. Available fields: "
                f"{', '.join(sorted(fields))}. Use one of them, or monitor validation "
                "metrics only when validation data is given."
            ) from None
