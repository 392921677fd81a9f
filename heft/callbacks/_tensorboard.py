"""``TensorBoard``: scalars, weight histograms and the model graph in TensorBoard event files.

Event files are written with ``tensorboardX`` (``pip install tensorboardX``),
imported when the first file is opened; ``tensorboard --logdir <log_dir>``
shows them. The layout is Keras's: ``<log_dir>/train`` and
``<log_dir>/validation``, with the same tags.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from ._callback import Callback


def _summary_writer(logdir: str) -> Any:
    try:
        from tensorboardX import SummaryWriter  # type: ignore[import-untyped]
    except ImportError:
        raise ImportError(
            "The TensorBoard callback writes event files with tensorboardX, which is not "
            "installed. Install it with `pip install tensorboardX`."
        ) from None
    return SummaryWriter(logdir=logdir)


def _scalar(value: Any) -> float | None:
    try:
        array = np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        return None
    return float(array) if array.ndim == 0 else None


class TensorBoard(Callback):
    """Write training curves, weight histograms and the model graph for TensorBoard.

    Under ``log_dir/train``: ``epoch_<metric>`` for each training metric and
    ``epoch_learning_rate`` every epoch, ``batch_<metric>`` every
    ``update_freq`` batches (when it is an integer or ``"batch"``),
    ``<weight path>/histogram`` for every weight every ``histogram_freq``
    epochs, ``epoch_steps_per_second`` / ``batch_steps_per_second`` with
    ``write_steps_per_second``, and, with ``write_graph``, the model's JSON
    config as TensorBoard's conceptual Keras graph (tag ``keras``). Under
    ``log_dir/validation``: ``epoch_<metric>`` for the ``val_`` metrics and
    ``evaluation_<metric>_vs_iterations`` after each evaluation in ``fit``.

    Args:
        log_dir: Folder of the event files.
        histogram_freq: Every how many epochs weight histograms are written
            (0: never).
        write_graph: Write the model graph (Functional and Sequential models).
        write_images: Also write 1-4 dimensional weights as images, with the
            histograms.
        write_steps_per_second: Log training steps per second.
        update_freq: ``"epoch"``, ``"batch"`` or an integer number of batches
            between batch-level scalars.
        profile_batch: Must be 0: heft does not profile from this callback
            (use ``jax.profiler``).
        embeddings_freq: Must be 0: embedding projections are not written.
        embeddings_metadata: Must be ``None``.

    Raises:
        ValueError: For ``profile_batch``/``embeddings_freq`` other than 0, or
            an invalid ``update_freq``.
        ImportError: When training starts without ``tensorboardX`` installed.
    """

    def __init__(
        self,
        log_dir: str | os.PathLike = "logs",
        histogram_freq: int = 0,
        write_graph: bool = True,
        write_images: bool = False,
        write_steps_per_second: bool = False,
        update_freq: str | int = "epoch",
        profile_batch: int = 0,
        embeddings_freq: int = 0,
        embeddings_metadata: Any = None,
    ) -> None:
        super().__init__()
        if profile_batch not in (0, None, (0, 0), "0"):
            raise ValueError(
                f"profile_batch={profile_batch!r} is not supported: heft's TensorBoard callback "
                "does not profile. Leave profile_batch=0 and use `jax.profiler.trace(...)`."
            )
        if embeddings_freq or embeddings_metadata is not None:
            raise ValueError(
                "Embedding projections are not written by heft's TensorBoard callback: leave "
                "embeddings_freq=0 and embeddings_metadata=None."
            )
        if update_freq not in ("epoch", "batch") and not (
            isinstance(update_freq, int) and update_freq > 0
        ):
            raise ValueError(
                f"update_freq={update_freq!r} is invalid: use 'epoch', 'batch' or a positive "
                "number of batches."
            )
        self.log_dir = str(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq: str | int = 1 if update_freq == "batch" else update_freq
        self._writers: dict[str, Any] = {}
        self._global_train_batch = 0
        self._global_test_batch = 0
        self._batch_start_time = 0.0
        self._epoch_start_time = 0.0
        self._previous_epoch_iterations = 0
        self._graph_written = False
        if self.update_freq != "epoch" or write_steps_per_second:
            # Batch hooks only when batch-level scalars are asked for, so that
            # epoch-level logging keeps the trainer's many-steps-per-dispatch path.
            self.on_train_batch_begin = self._train_batch_begin  # type: ignore[method-assign]
            self.on_train_batch_end = self._train_batch_end  # type: ignore[method-assign]

    # ------------------------------------------------------------------ writers
    def _writer(self, which: str) -> Any:
        if which not in self._writers:
            folder = "train" if which == "train" else "validation"
            self._writers[which] = _summary_writer(os.path.join(self.log_dir, folder))
        return self._writers[which]

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def _write_scalars(self, which: str, prefix: str, logs: dict[str, Any], step: int) -> None:
        writer = self._writer(which)
        for name, value in logs.items():
            number = _scalar(value)
            if number is not None:
                writer.add_scalar(f"{prefix}{name}", number, global_step=step)

    # ------------------------------------------------------------------ hooks
    def set_model(self, model: Any) -> None:
        super().set_model(model)
        self._close_writers()
        self._graph_written = False

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._global_train_batch = 0
        self._previous_epoch_iterations = 0
        if self.write_graph and not self._graph_written:
            self._write_model_graph()
            self._graph_written = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self._close_writers()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.write_steps_per_second:
            self._previous_epoch_iterations = self._iterations()
            self._epoch_start_time = time.time()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        train_logs.update(self._learning_rates())
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._epoch_start_time, 1e-9)
            steps = self._iterations() - self._previous_epoch_iterations
            train_logs["steps_per_second"] = steps / elapsed
        if train_logs:
            self._write_scalars("train", "epoch_", train_logs, epoch)
        if val_logs:
            self._write_scalars("val", "epoch_", val_logs, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_weights(epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._global_test_batch = 0

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        optimizer = getattr(self.model, "optimizer", None)
        if logs and optimizer is not None and hasattr(optimizer, "iterations"):
            step = self._iterations()
            renamed = {f"evaluation_{k}_vs_iterations": v for k, v in logs.items()}
            self._write_scalars("val", "", renamed, step)

    def _train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.time()

    def _train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        step = self._global_train_batch
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._batch_start_time, 1e-9)
            self._writer("train").add_scalar("batch_steps_per_second", 1.0 / elapsed, step)
        if self.update_freq == "epoch" or step % int(self.update_freq) != 0:
            return
        if isinstance(logs, dict):
            self._write_scalars("train", "batch_", logs, step)

    # ------------------------------------------------------------------ content
    def _iterations(self) -> int:
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not hasattr(optimizer, "iterations"):
            return 0
        return int(np.asarray(optimizer.iterations))

    def _learning_rates(self) -> dict[str, float]:
        optimizer = getattr(self.model, "optimizer", None)
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if optimizer is None:
            return {}
        if hasattr(optimizer, "optimizers"):
            return {
                f"learning_rate_{opt.name}": float(np.asarray(opt.learning_rate))
                for opt in optimizer.optimizers
            }
        if hasattr(optimizer, "learning_rate"):
            return {"learning_rate": float(np.asarray(optimizer.learning_rate))}
        return {}

    def _write_weights(self, epoch: int) -> None:
        writer = self._writer("train")
        for layer in self.model.layers:
            for weight in layer.weights:
                name = weight.path.replace(":", "_")
                values = np.asarray(weight.numpy(), dtype="float64")
                writer.add_histogram(f"{name}/histogram", values, global_step=epoch)
                if self.write_images:
                    image = _weight_image(values)
                    if image is not None:
                        writer.add_images(f"{name}/image", image, epoch, dataformats="NHWC")

    def _write_model_graph(self) -> None:
        """The model's JSON config as the conceptual graph TensorBoard draws for Keras models."""
        model = self.model
        if type(model).__name__ not in ("Functional", "Sequential") and not hasattr(
            model, "_graph"
        ):
            return
        try:
            text = model.to_json()
        except Exception:
            return
        writer = self._writer("train")
        from tensorboardX.proto import (  # type: ignore[import-untyped]
            summary_pb2,
            tensor_pb2,
            tensor_shape_pb2,
            types_pb2,
        )

        metadata = summary_pb2.SummaryMetadata()
        metadata.plugin_data.plugin_name = "graph_keras_model"
        metadata.plugin_data.content = b"1"
        tensor = tensor_pb2.TensorProto(
            dtype=types_pb2.DT_STRING,
            string_val=[text.encode("utf-8")],
            tensor_shape=tensor_shape_pb2.TensorShapeProto(),
        )
        summary = summary_pb2.Summary(
            value=[summary_pb2.Summary.Value(tag="keras", tensor=tensor, metadata=metadata)]
        )
        writer._get_file_writer().add_summary(summary, 0)
        writer.flush()


def _weight_image(values: np.ndarray) -> np.ndarray | None:
    """A weight as a batch of grey images (NHWC), as Keras draws it; ``None`` if it has no image."""
    image = np.squeeze(values)
    if image.ndim == 1:
        image = image.reshape(1, image.shape[0], 1, 1)
    elif image.ndim == 2:
        if image.shape[0] > image.shape[1]:
            image = image.T
        image = image.reshape(1, image.shape[0], image.shape[1], 1)
    elif image.ndim == 3:
        image = np.transpose(image, (2, 0, 1))[..., None]
    if image.ndim != 4 or image.shape[-1] not in (1, 3, 4):
        return None
    low, high = float(image.min()), float(image.max())
    return (image - low) / (high - low) if high > low else np.zeros_like(image)
