"""``compile`` and the public training API: ``fit``, ``evaluate``, ``predict`` and ``*_on_batch``.

The loops live in ``_runner`` (the epoch runner) and the steps they dispatch
in ``_steps`` (the step layer a subclass may override).
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _platform
from . import _data, _dispatch, _runner
from ._dispatch import PlanCache
from ._steps import TrainingSteps


class Trainer(TrainingSteps):
    """Mixin giving ``Model`` Keras's training API on top of ``stateless_call``."""

    run_eagerly = False
    _user_steps_per_execution: int | None = None

    # ------------------------------------------------------------------ compile
    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        loss_weights: Any = None,
        metrics: Any = None,
        weighted_metrics: Any = None,
        run_eagerly: bool = False,
        steps_per_execution: int | str = 1,
        jit_compile: bool | str = "auto",
        auto_scale_loss: bool = True,
    ) -> None:
        """Configure the model for training.

        Args:
            optimizer: An optimizer name (``"adam"``) or instance.
            loss: A loss name, instance or function; a list or dict for several outputs.
            loss_weights: Scalars weighting each output's loss.
            metrics: Metrics to track (``["accuracy"]``...).
            weighted_metrics: Metrics that also receive the sample weights.
            run_eagerly: Run steps without ``jax.jit`` (for debugging).
            steps_per_execution: Steps per dispatch; ``"auto"`` or ``1`` lets heft
                choose per model from measured speed; an int above 1 is used as given.
            jit_compile: ``False`` is the same as ``run_eagerly=True``.
            auto_scale_loss: Accepted for Keras compatibility (no loss scaling is needed
                for float32 or bfloat16 training).

        Raises:
            ValueError: For unknown optimizer, loss or metric names, or a bad
                ``steps_per_execution``.
        """
        from .. import losses as losses_module
        from .. import metrics as metrics_module
        from .. import optimizers as optimizers_module
        from ._compile import CompiledLoss, CompiledMetrics

        if loss is not None and not isinstance(loss, list | tuple | dict) and not _is_ce(loss):
            losses_module.get(loss)  # fail now on an unknown name
        _check_metric_names(metrics)
        _check_metric_names(weighted_metrics)
        if steps_per_execution == "auto":
            steps_per_execution = 1
        if (
            isinstance(steps_per_execution, bool)
            or not isinstance(steps_per_execution, int)
            or steps_per_execution < 1
        ):
            raise ValueError(
                "`steps_per_execution` must be a positive int or 'auto'. "
                f"Received: steps_per_execution={steps_per_execution}"
            )
        optimizer = optimizers_module.get(optimizer)
        compiled_metrics = (
            CompiledMetrics(metrics, weighted_metrics, loss)
            if metrics is not None or weighted_metrics is not None
            else None
        )
        _set(self, "optimizer", optimizer)
        _set(self, "loss", loss)
        _set(self, "_compile_loss", CompiledLoss(loss, loss_weights) if loss is not None else None)
        _set(self, "_compile_metrics", compiled_metrics)
        _set(self, "_loss_tracker", metrics_module.Mean(name="loss"))
        _set(self, "steps_per_execution", steps_per_execution)
        _set(
            self,
            "_user_steps_per_execution",
            steps_per_execution if steps_per_execution > 1 else None,
        )
        _set(self, "run_eagerly", bool(run_eagerly) or jit_compile is False)
        _set(self, "compiled", True)
        _set(self, "_plans", PlanCache())
        self.stop_training = False
        compile_config = {
            "optimizer": optimizers_module.serialize(self.optimizer),
            "loss": loss,
            "loss_weights": loss_weights,
            "metrics": metrics,
            "weighted_metrics": weighted_metrics,
            "run_eagerly": run_eagerly,
            "steps_per_execution": steps_per_execution,
            "jit_compile": jit_compile,
        }
        _set(self, "_compile_config", compile_config)

    def _check_compiled(self) -> None:
        if not self.compiled:
            raise ValueError(
                "You must call `compile()` before using the model: "
                "`model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')`."
            )

    # ------------------------------------------------------------------ fit
    @_platform.keep_freed_memory()
    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: int | str = "auto",
        callbacks: list[Any] | None = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        class_weight: dict[int, float] | None = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: int = 1,
    ) -> Any:
        """Train the model for ``epochs`` epochs and return a ``History``.

        Args:
            x: Inputs: arrays (or lists/dicts of arrays), or an iterable of
                ``(x, y)``/``(x, y, sample_weight)`` batches.
            y: Targets, when ``x`` is arrays.
            batch_size: Samples per step (default 32), for arrays.
            epochs: Index of the last epoch to train.
            verbose: 0 silent, 1 progress bar, 2 one line per epoch, ``"auto"`` is 1.
            callbacks: ``heft.callbacks.Callback`` instances.
            validation_split: Fraction of the arrays held out (the last samples) for validation.
            validation_data: ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight)``.
            shuffle: Whether to reshuffle array data every epoch.
            class_weight: ``{class: weight}`` weighting the loss per sample by its class.
            sample_weight: Per-sample loss weights, for arrays.
            initial_epoch: Epoch to start from (to resume training).
            steps_per_epoch: Steps per epoch (required for endless iterables).
            validation_steps: Steps of validation per epoch, for iterables.
            validation_batch_size: Batch size for validation arrays.
            validation_freq: Validate every ``validation_freq`` epochs.

        Returns:
            The ``History`` callback, whose ``history`` dict holds each epoch's logs.

        Raises:
            ValueError: Before any step runs, for data that cannot train the
                compiled model (lengths, ranks, label shapes, missing compile).
        """
        self._check_compiled()
        from ..config import _limits

        epochs = _limits.capped_epochs(epochs)
        steps_per_epoch = _limits.capped_steps(steps_per_epoch)
        if validation_data is not None or validation_split:
            validation_steps = _limits.capped_steps(validation_steps)
        verbose = 1 if verbose == "auto" else int(verbose)
        if validation_split and validation_data is None and not _data.is_array_data(x):
            raise ValueError(
                "`validation_split` is only supported for array inputs; pass `validation_data` "
                "when training from a generator or iterable."
            )
        array_mode = _data.is_array_data(x)
        val_data = None
        if array_mode:
            data = _data.make_array_data(x, y, sample_weight, class_weight, where="fit")
            if data.y is None and self._compile_loss is not None:
                # Without a compiled loss, `x` alone trains on the losses the model adds.
                raise ValueError(
                    "`fit` received inputs `x` but no targets `y`, and `compile` was given a "
                    "`loss` that needs them. Pass `y=...`, or compile without `loss` when the "
                    "model adds its own losses."
                )
            if validation_split and validation_data is None:
                data, val_data = _data.split_validation(data, validation_split)
            batch_size = batch_size or 32
            steps = math.ceil(data.size / batch_size)
            if steps_per_epoch is not None:
                steps = min(steps, int(steps_per_epoch))
        else:
            if x is None:
                raise ValueError(
                    "`fit` needs data: pass arrays `x` and `y`, or an iterable of batches."
                )
            from . import _sources

            if y is not None and _sources.source_kind(x) in ("generator", "iterable"):
                raise ValueError(
                    "`y` must not be given when `x` is a generator or iterable: the batches "
                    "must contain the targets, as `(x, y)` tuples."
                )
            _sources.check_no_y(x, y, sample_weight, "fit")
            stream = _runner.make_stream(x, steps_per_epoch, shuffle)
            converter = _sources.Converter(stream.source.kind, class_weight)
            steps = stream.num_batches
        if validation_data is not None:
            vx, vy, vsw = (
                _data.unpack_batch(tuple(validation_data))
                if isinstance(validation_data, tuple | list)
                else (validation_data, None, None)
            )
            if _data.is_array_data(vx):
                val_data = _data.make_array_data(vx, vy, vsw, where="fit (validation_data)")
            else:
                from . import _sources

                _sources.check_no_y(vx, vy, vsw, "fit (validation_data)")
                val_data = _runner.make_stream(vx, validation_steps)

        callback_list = _callbacks().CallbackList(
            callbacks,
            add_history=True,
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=epochs,
            steps=steps,
        )
        per_batch_hooks = callback_list.needs_train_batch_hooks
        run = None
        if array_mode:
            _runner.prepare(self, data.x, data.y)
            run = _runner.Run(self, "train")
            device_data = jax.device_put((data.x, data.y, data.sample_weight))
        self.stop_training = False
        callback_list.on_train_begin()
        # A restored backup (``BackupAndRestore``) says where training resumes.
        resumed_epoch = self.__dict__.pop("_initial_epoch", None)
        first_step = int(self.__dict__.pop("_initial_step", 0) or 0)
        if resumed_epoch is not None:
            initial_epoch = int(resumed_epoch)
        logs: dict[str, Any] = {}
        for epoch in range(initial_epoch, epochs):
            if epoch != initial_epoch:
                first_step = 0
            callback_list.on_epoch_begin(epoch)
            if run is not None:
                # NumPy's global generator, which `heft.utils.set_random_seed` seeds.
                order = np.random.permutation(data.size) if shuffle else np.arange(data.size)
                logs = _runner.train_arrays_epoch(
                    run,
                    device_data,
                    data.size,
                    jnp.asarray(order, jnp.int32),
                    batch_size,
                    steps,
                    callback_list,
                    per_batch_hooks,
                    first_step,
                )
            else:
                logs = _runner.train_stream_epoch(
                    self, stream, converter, callback_list, per_batch_hooks, first_step
                )
            epoch_logs = dict(logs)
            if val_data is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self.evaluate(
                    val_data.x if isinstance(val_data, _data.ArrayData) else val_data,
                    val_data.y if isinstance(val_data, _data.ArrayData) else None,
                    sample_weight=val_data.sample_weight
                    if isinstance(val_data, _data.ArrayData)
                    else None,
                    batch_size=validation_batch_size or batch_size,
                    steps=validation_steps,
                    verbose=0,
                    return_dict=True,
                    # fit's callbacks see the validation run (test hooks), as in Keras.
                    callbacks=callback_list,
                    _internal=True,
                )
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callback_list.on_epoch_end(epoch, epoch_logs)
            logs = epoch_logs
            if self.stop_training:
                break
        optimizer: Any = getattr(self, "optimizer", None)
        if epochs > 0 and getattr(optimizer, "use_ema", False):
            # As Keras: with `use_ema`, training ends with the moving averages as weights.
            optimizer.finalize_variable_values(getattr(self, "trainable_weights"))  # noqa: B009
        callback_list.on_train_end(logs)
        return self.history

    # ------------------------------------------------------------------ evaluate / predict
    @_platform.keep_freed_memory()
    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: int | str = "auto",
        sample_weight: Any = None,
        steps: int | None = None,
        callbacks: list[Any] | None = None,
        return_dict: bool = False,
        _internal: bool = False,
    ) -> Any:
        """The loss and metrics of the model on the given data.

        Returns:
            The loss (a float) when there are no metrics, else ``[loss, *metrics]``,
            or a dict with ``return_dict=True``.
        """
        self._check_compiled()
        verbose = 1 if verbose == "auto" else int(verbose)
        if isinstance(callbacks, _callbacks().CallbackList):
            callback_list = callbacks
        else:
            callback_list = _callbacks().CallbackList(
                callbacks,
                add_progbar=verbose != 0 and not _internal,
                model=self,
                verbose=verbose,
                epochs=1,
                steps=None,
            )
        callback_list.on_test_begin()
        if not _internal:
            from ..config import _limits

            steps = _limits.capped_steps(steps)
        batches = _runner.batches(x, y, sample_weight, batch_size, steps, where="evaluate")
        logs = _runner.evaluate_batches(self, batches, callback_list)
        callback_list.on_test_end(logs)
        return self._format_logs(logs, return_dict)

    @_platform.keep_freed_memory()
    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: int | str = "auto",
        steps: int | None = None,
        callbacks: list[Any] | None = None,
    ) -> Any:
        """The model's outputs on ``x``, batch by batch, as numpy arrays."""
        verbose = 1 if verbose == "auto" else int(verbose)
        callback_list = _callbacks().CallbackList(
            callbacks, add_progbar=verbose != 0, model=self, verbose=verbose, epochs=1, steps=None
        )
        callback_list.on_predict_begin()
        if "_plans" not in self.__dict__:
            _set(self, "_plans", PlanCache())
        from ..config import _limits

        steps = _limits.capped_steps(steps)
        batches = _runner.batches(x, None, None, batch_size, steps, "predict")
        result = _runner.predict_batches(self, batches, callback_list)
        callback_list.on_predict_end()
        return result

    # ------------------------------------------------------------------ one batch
    def train_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        class_weight: Any = None,
        return_dict: bool = False,
    ) -> Any:
        """Run one training step on one batch; return the loss and metrics of that batch.

        The metrics are reset first, so the logs describe this batch only.
        """
        data = _data.make_array_data(x, y, sample_weight, class_weight, where="train_on_batch")
        _runner.prepare(self, data.x, data.y)
        run = _runner.Run(self, "train")
        sw = None if data.sample_weight is None else jnp.asarray(data.sample_weight)
        batch = _dispatch.batch_data(data.x, data.y, sw)
        state = run.reset_metrics()
        try:
            logs, state = run.single(jax.tree_util.tree_structure(batch))(state, batch)
        except BaseException:
            run.check_not_donated()
            raise
        run.write(state)
        return self._format_logs(_runner.host_logs(logs), return_dict)

    def test_on_batch(
        self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False
    ) -> Any:
        """Evaluate one batch; return the loss and metrics of that batch."""
        data = _data.make_array_data(x, y, sample_weight, where="test_on_batch")
        _runner.prepare(self, data.x, data.y)
        run = _runner.Run(self, "test")
        sw = None if data.sample_weight is None else jnp.asarray(data.sample_weight)
        batch = _dispatch.batch_data(data.x, data.y, sw)
        state = run.reset_metrics()
        logs, state = run.single(jax.tree_util.tree_structure(batch))(state, batch)
        run.write(state)
        return self._format_logs(_runner.host_logs(logs), return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        """The model's outputs on one batch, as numpy arrays."""
        return self.predict(x, batch_size=_data.num_samples(x), verbose=0)

    def _format_logs(self, logs: Any, return_dict: bool) -> Any:
        """Logs as Keras returns them: a dict sorted by name, or a list in metric order."""
        if not isinstance(logs, dict):
            return logs
        from ..callbacks._callback_list import pythonify_logs
        from ._compile import CompiledMetrics

        logs = pythonify_logs(logs)
        if return_dict:
            return logs
        # Keras's order: each metric's name (the names of the metrics compiled), then
        # the other entries sorted; a name is listed once.
        names: list[str] = []
        for metric in self.metrics:
            inner = metric.metrics if isinstance(metric, CompiledMetrics) else [metric]
            names.extend(m.name for m in inner if m.name not in names)
        values = [logs[name] for name in names if name in logs]
        values += [logs[key] for key in sorted(logs) if key not in names]
        return values[0] if len(values) == 1 else values


def _is_ce(loss: Any) -> bool:
    return isinstance(loss, str) and loss.lower() in ("crossentropy", "ce")


def _check_metric_names(metrics: Any) -> None:
    from .. import metrics as metrics_module

    for item in jax.tree_util.tree_leaves(
        metrics, is_leaf=lambda m: not isinstance(m, list | tuple | dict)
    ):
        if isinstance(item, str) and item not in ("accuracy", "acc", "crossentropy", "ce"):
            metrics_module.get(item)


def _callbacks() -> Any:
    from .. import callbacks

    return callbacks


def _set(model: Any, name: str, value: Any) -> None:
    """Set trainer bookkeeping without the layer's state tracking (it is not model state)."""
    object.__setattr__(model, name, value)
