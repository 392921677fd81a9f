"""``BackupAndRestore``: back training up as it runs, and resume an interrupted run from it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from typing import Any

from ._callback import Callback


def _write_atomically(path: str, text: str) -> None:
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _digest(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class BackupAndRestore(Callback):
    """Back up the model, its optimizer and the training position; resume from them.

    Every ``save_freq`` (``"epoch"``, or a number of batches) the weights and
    optimizer state go to ``backup_dir/latest.weights.h5`` and the position to
    ``backup_dir/training_metadata.json`` (Keras's files and keys). When ``fit``
    starts and a backup exists, it is loaded and training resumes at its epoch.
    heft also resumes at its step: a backup made after batch ``b`` of an epoch
    resumes that epoch at batch ``b + 1`` (the data source must give the same
    batches in the same order, e.g. arrays with ``shuffle=False``), so a run
    killed mid-epoch ends with the weights an uninterrupted run would have.
    Keras restarts the epoch from its first batch. A backup that cannot be
    read falls back to the previous one when ``double_checkpoint`` keeps it.

    The weights and the position change together: a backup is written to
    ``.pending.weights.h5``, the position (with the SHA-256 of those weights)
    replaces the old one, and only then do the weights replace theirs. A run
    killed between the two steps is completed when training restarts, and one
    killed before them resumes from the previous backup, so restored weights
    always belong to the restored position.
    The backup folder is removed when training ends, unless
    ``delete_checkpoint=False``.

    Args:
        backup_dir: Folder of the backup files.
        save_freq: ``"epoch"`` or a positive int (every that many batches).
        double_checkpoint: Keep the previous backup (``.bkp`` files) as well.
        delete_checkpoint: Remove ``backup_dir`` when ``fit`` ends normally.

    Raises:
        ValueError: For an empty ``backup_dir`` or a bad ``save_freq``; at
            ``fit`` start, for a model that is not built.

    >>> import tempfile, numpy as np, heft
    >>> model = heft.Sequential([heft.Input((2,)), heft.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> folder = tempfile.mkdtemp()
    >>> backup = BackupAndRestore(folder + "/backup", delete_checkpoint=False)
    >>> _ = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, callbacks=[backup], verbose=0)
    >>> import json, pathlib
    >>> json.loads(pathlib.Path(folder, "backup", "training_metadata.json").read_text())["epoch"]
    2
    """

    def __init__(
        self,
        backup_dir: str | os.PathLike,
        save_freq: str | int = "epoch",
        double_checkpoint: bool = False,
        delete_checkpoint: bool = True,
    ) -> None:
        super().__init__()
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        self._steps_in_epoch = 0
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)):
            raise ValueError(
                "Invalid value for argument `save_freq`. "
                f"Received: save_freq={save_freq}. "
                "Expected either 'epoch' or an integer value."
            )
        self.backup_dir = os.fspath(backup_dir)
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._training_metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._pending_weights_path = os.path.join(self.backup_dir, ".pending.weights.h5")
        self._prev_weights_path = f"{self._weights_path}.bkp"
        self._prev_training_metadata_path = f"{self._training_metadata_path}.bkp"
        # Saving at epoch ends only needs no per-batch hook: fit may run chunks of steps.
        self.chunk_safe = save_freq == "epoch"

    # ------------------------------------------------------------------ restore
    def on_train_begin(self, logs: Any = None) -> None:
        try:
            self._load_model()
        except (OSError, ValueError):  # a damaged weights file (heft raises ValueError)
            if not os.path.exists(self._prev_weights_path):
                raise
            shutil.copyfile(self._prev_weights_path, self._weights_path)
            if os.path.exists(self._prev_training_metadata_path):
                shutil.copyfile(self._prev_training_metadata_path, self._training_metadata_path)
            elif os.path.exists(self._training_metadata_path):
                os.remove(self._training_metadata_path)
            self._load_model()

    def _load_model(self) -> None:
        model = self.model
        if not model.built:
            raise ValueError(
                "To use the BackupAndRestore callback, you model must be built before you call "
                f"`fit()`. Model {model} is unbuilt. You can build it beforehand by calling it "
                "on a batch of data."
            )
        metadata = None
        if os.path.exists(self._training_metadata_path):
            with open(self._training_metadata_path) as f:
                metadata = json.loads(f.read())
            self._match_weights(metadata.get("weights_sha256"))
        if os.path.exists(self._pending_weights_path):
            os.remove(self._pending_weights_path)  # a backup that was never committed
        if os.path.exists(self._weights_path):
            if model.optimizer is not None and not model.optimizer.built:
                model.optimizer.build(model.trainable_variables)
            model.load_weights(self._weights_path)
        if metadata is not None:
            object.__setattr__(model, "_initial_epoch", int(metadata["epoch"]))
            step = int(metadata.get("steps_in_epoch", 0))
            object.__setattr__(model, "_initial_step", step)
            self._current_epoch = int(metadata["epoch"])

    def _match_weights(self, expected: str | None) -> None:
        """Make the weights file the one the position was recorded with.

        ``None`` (a position written by Keras, which records no digest) accepts any file.
        """
        if expected is None:
            return
        if os.path.exists(self._weights_path) and _digest(self._weights_path) == expected:
            return
        pending = self._pending_weights_path
        if os.path.exists(pending) and _digest(pending) == expected:
            os.replace(pending, self._weights_path)  # finish the backup a kill interrupted
            return
        raise ValueError(
            f"The backup in {self.backup_dir} is inconsistent: {self._training_metadata_path} "
            f"records weights with SHA-256 {expected}, but {self._weights_path} is another "
            "file. Remove the backup folder to train from the start, or restore the "
            "weights file that belongs to it."
        )

    # ------------------------------------------------------------------ backup
    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self._current_epoch = epoch
        self._steps_in_epoch = 0

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        self._steps_in_epoch = 0
        if self.save_freq == "epoch":
            self._save_model()

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self._steps_in_epoch = batch + 1
        if self._should_save_on_batch(batch):
            self._save_model()

    def _should_save_on_batch(self, batch: int) -> bool:
        if self.save_freq == "epoch":
            return False
        if batch <= self._last_batch_seen:
            add_batches = batch + 1
        else:
            add_batches = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += add_batches
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= int(self.save_freq):
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save_model(self) -> None:
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._weights_path):
            shutil.copyfile(self._weights_path, self._prev_weights_path)
        if self.double_checkpoint and os.path.exists(self._training_metadata_path):
            shutil.copyfile(self._training_metadata_path, self._prev_training_metadata_path)
        self.model.save_weights(self._pending_weights_path, overwrite=True)
        metadata = {
            "epoch": self._current_epoch,
            "batch": self._last_batch_seen,
            "steps_in_epoch": self._steps_in_epoch,
            "weights_sha256": _digest(self._pending_weights_path),
        }
        _write_atomically(self._training_metadata_path, json.dumps(metadata))
        os.replace(self._pending_weights_path, self._weights_path)

    def on_train_end(self, logs: Any = None) -> None:
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)
