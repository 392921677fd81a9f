"""``compile``/``fit``/``evaluate``/``predict``: one pure jitted step, K steps per dispatch."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _host_memory
from .._variable import write_values
from . import _data

# A chunk of steps should take about this long, so the progress bar moves several
# times a second while Python dispatches rarely.
_TARGET_CHUNK_SECONDS = 0.1
# Steps slower than this gain nothing from running several per dispatch.
_SCAN_WORTHWHILE_SECONDS = 0.02
_MAX_STEPS_PER_CHUNK = 512
_MIN_TAIL_SCAN = 8


def _leaves(tree: Any) -> list[Any]:
    return jax.tree_util.tree_leaves(tree)


class _StepPlan:
    """The compiled functions of one configuration (trainable set, batch structure)."""

    def __init__(self) -> None:
        self.single: Callable | None = None
        self.chunks: dict[int, Callable] = {}
        self.k: int | None = None


class Trainer:
    """Mixin giving ``Model`` Keras's training API on top of ``stateless_call``."""

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
        from .. import optimizers as optimizers_module
        from ._compile import CompiledLoss, CompiledMetrics

        _set(self, "optimizer", optimizers_module.get(optimizer))
        if loss is not None and not isinstance(loss, list | tuple | dict) and not _is_ce(loss):
            losses_module.get(loss)  # fail now on an unknown name
        _set(self, "_compiled_loss", CompiledLoss(loss, loss_weights))
        _set(self, "_compiled_metrics", CompiledMetrics(metrics, weighted_metrics, loss))
        _check_metric_names(metrics)
        _check_metric_names(weighted_metrics)
        from .. import metrics as metrics_module

        _set(self, "_loss_tracker", metrics_module.Mean(name="loss"))
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
        _set(
            self,
            "_user_steps_per_execution",
            steps_per_execution if steps_per_execution > 1 else None,
        )
        _set(self, "run_eagerly", bool(run_eagerly) or jit_compile is False)
        _set(self, "compiled", True)
        self.stop_training = False
        self._plans: dict[Any, _StepPlan] = {}
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
        if not getattr(self, "compiled", False):
            raise ValueError(
                "You must call `compile()` before using the model: "
                "`model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')`."
            )

    @property
    def metrics(self) -> list[Any]:
        """The loss tracker and compiled metrics (once compiled), then layers' metrics."""
        own = self._all_metrics() if getattr(self, "compiled", False) else []
        return own + super().metrics  # type: ignore[misc]

    @property
    def metrics_names(self) -> list[str]:
        if getattr(self, "_compiled_metrics", None) is None:
            return ["loss"]
        return self._log_names()

    def _log_names(self) -> list[str]:
        """The name of each of ``_all_metrics()``'s values in the logs."""
        return [
            self._loss_tracker.name,
            *(m.name for m in self._compiled_loss.output_trackers),
            *self._compiled_metrics.log_names,
        ]

    def _all_metrics(self) -> list[Any]:
        return [
            self._loss_tracker,
            *self._compiled_loss.output_trackers,
            *self._compiled_metrics.metrics,
        ]

    # ------------------------------------------------------------------ pure functions
    def _ensure_built_for(self, x: Any, y: Any) -> None:
        """Build the model, the loss and the metrics from one sample of the data."""
        if not self.built:
            sample = jax.tree_util.tree_map(lambda a: a[:1], x)
            self(sample)
        if not self._compiled_metrics.built or self._compiled_loss._losses is None:
            spec = jax.eval_shape(
                lambda xs: self.stateless_call(
                    [v.value for v in self.trainable_variables],
                    [v.value for v in self.non_trainable_variables],
                    xs,
                )[0],
                jax.tree_util.tree_map(
                    lambda a: jax.ShapeDtypeStruct((2, *a.shape[1:]), a.dtype), x
                ),
            )
            names = getattr(self, "output_names", None)
            y_spec = None
            if y is not None:
                y_spec = jax.tree_util.tree_map(
                    lambda a: jax.ShapeDtypeStruct((2, *a.shape[1:]), a.dtype), y
                )
            if self._compiled_loss._losses is None:
                self._compiled_loss.build(spec, names, y_spec)
            if not self._compiled_metrics.built and y_spec is not None:
                self._compiled_metrics.build(y_spec, spec, names)

    def _state(self) -> tuple[list, list, list, list]:
        return (
            [v.value for v in self._plan_trainable],
            [v.value for v in self._plan_non_trainable],
            [v.value for v in self.optimizer.variables],
            [[v.value for v in m.variables] for m in self._all_metrics()],
        )

    def _write_back(self, state: tuple) -> None:
        """Point the variables at the newest state (no copy); user code sees current weights."""
        tv, ntv, ov, mv = state
        write_values(self._plan_trainable, tv)
        write_values(self._plan_non_trainable, ntv)
        write_values(self.optimizer.variables, ov)
        for metric, vals in zip(self._all_metrics(), mv, strict=True):
            write_values(metric.variables, vals)

    def _loss_and_updates(
        self, tv: list, ntv: list, x: Any, y: Any, sw: Any, training: bool
    ) -> tuple:
        y_pred, new_ntv, losses = self.stateless_call(
            tv, ntv, x, training=training, return_losses=True
        )
        loss, parts = self._compiled_loss.compute(y, y_pred, sw)
        for extra in losses:
            loss = loss + jnp.asarray(extra, jnp.float32)
        return loss, (y_pred, new_ntv, parts)

    def _update_metrics(
        self, mv: list, loss: Any, parts: list, x: Any, y: Any, y_pred: Any, sw: Any
    ) -> list:
        batch = _leaves(x)[0].shape[0]
        out = [self._loss_tracker.stateless_update_state(mv[0], loss, sample_weight=batch)]
        trackers = self._compiled_loss.output_trackers
        for i, (tracker, part) in enumerate(zip(trackers, parts, strict=True)):
            out.append(tracker.stateless_update_state(mv[1 + i], part, sample_weight=batch))
        rest = mv[1 + len(trackers) :]
        if y is not None:
            rest = self._compiled_metrics.stateless_update(rest, y, y_pred, sw)
        return [*out, *rest]

    def _train_step(self, state: tuple, batch: tuple) -> tuple:
        tv, ntv, ov, mv = state
        x, y, sw = batch
        (loss, (y_pred, new_ntv, parts)), grads = jax.value_and_grad(
            lambda t: self._loss_and_updates(t, ntv, x, y, sw, True), has_aux=True
        )(tv)
        new_tv, new_ov = self.optimizer.stateless_apply(ov, grads, tv)
        new_mv = self._update_metrics(mv, loss, parts, x, y, y_pred, sw)
        return (new_tv, new_ntv, new_ov, new_mv)

    def _test_step(self, state: tuple, batch: tuple) -> tuple:
        tv, ntv, ov, mv = state
        x, y, sw = batch
        loss, (y_pred, new_ntv, parts) = self._loss_and_updates(tv, ntv, x, y, sw, False)
        return (tv, new_ntv, ov, self._update_metrics(mv, loss, parts, x, y, y_pred, sw))

    def _jit(self, fn: Callable, donate: bool = True) -> Callable:
        if self.run_eagerly:
            return fn
        return jax.jit(fn, donate_argnums=(0,) if donate else ())

    def _gathered(self, step: Callable, k: int, batch_size: int) -> Callable:
        """K steps over batches gathered on the device from full arrays and an index order."""

        def take(data: tuple, order: jax.Array, start: jax.Array) -> tuple:
            idx = jax.lax.dynamic_slice_in_dim(order, start, batch_size)
            return jax.tree_util.tree_map(lambda a: jnp.take(a, idx, axis=0), data)

        if k == 1:

            def one(state: tuple, data: tuple, order: jax.Array, start: jax.Array) -> tuple:
                return step(state, take(data, order, start))

            return self._jit(one)

        def many(state: tuple, data: tuple, order: jax.Array, start: jax.Array) -> tuple:
            def body(carry: tuple, i: jax.Array) -> tuple:
                return step(carry, take(data, order, start + i * batch_size)), None

            state, _ = jax.lax.scan(body, state, jnp.arange(k))
            return state

        return self._jit(many)

    def _metric_results(self, mv: list) -> dict[str, Any]:
        logs: dict[str, Any] = {}
        for name, metric, vals in zip(self._log_names(), self._all_metrics(), mv, strict=True):
            result = metric.stateless_result(vals)
            if isinstance(result, dict):
                logs.update(result)
            else:
                logs[name] = result
        return logs

    def _results(self, mv: list) -> dict[str, float]:
        """The current loss and metric values, fetched to the host in one transfer."""
        return self._host_logs(self._results_async(mv))

    def _results_async(self, mv: list) -> dict[str, Any]:
        """Dispatch the computation of the loss and metric values; returns device arrays."""
        fn = self.__dict__.get("_results_fn")
        if fn is None or fn[0] is not self._compiled_metrics:
            fn = (
                self._compiled_metrics,
                self._metric_results if self.run_eagerly else jax.jit(self._metric_results),
            )
            object.__setattr__(self, "_results_fn", fn)
        return fn[1](mv)

    def _host_logs(self, results: dict[str, Any]) -> dict[str, float]:
        host = jax.device_get(results)
        # jit returns dicts with sorted keys; logs keep the metrics' order, loss first.
        ordered = [name for name in self.metrics_names if name in host]
        ordered += [name for name in host if name not in ordered]
        return {
            k: float(np.asarray(host[k])) if np.ndim(host[k]) == 0 else np.asarray(host[k])
            for k in ordered
        }

    def _reset_metrics(self, state: tuple) -> tuple:
        tv, ntv, ov, _ = state
        for metric in self._all_metrics():
            metric.reset_state()
        return (tv, ntv, ov, [[v.value for v in m.variables] for m in self._all_metrics()])

    # ------------------------------------------------------------------ plan
    def _prepare(self, x: Any, y: Any) -> None:
        self._check_compiled()
        self._ensure_built_for(x, y)
        self.optimizer.build(self.trainable_variables)
        _set(self, "_plan_trainable", self.trainable_variables)
        _set(self, "_plan_non_trainable", self.non_trainable_variables)

    def _plan(self, kind: str, batch_size: int, structure: Any) -> _StepPlan:
        key = (
            kind,
            batch_size,
            structure,
            tuple(id(v) for v in self._plan_trainable),
        )
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = _StepPlan()
        return plan

    # ------------------------------------------------------------------ fit
    @_host_memory.keep_freed_memory()
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
            if data.y is None:
                raise ValueError(
                    "`fit` received inputs `x` but no targets `y`. Pass `y=...`, or an iterable "
                    "of `(x, y)` batches."
                )
            if validation_split and validation_data is None:
                data, val_data = _data.split_validation(data, validation_split)
            batch_size = batch_size or 32
            steps = math.ceil(data.size / batch_size)
            if steps_per_epoch is not None:
                steps = min(steps, int(steps_per_epoch))
            first_x, first_y = data.x, data.y
        else:
            if x is None:
                raise ValueError(
                    "`fit` needs data: pass arrays `x` and `y`, or an iterable of batches."
                )
            if y is not None:
                raise ValueError(
                    "`y` must not be given when `x` is a generator or iterable: the batches "
                    "must contain the targets, as `(x, y)` tuples."
                )
            steps = steps_per_epoch
            first_x = first_y = None
        if validation_data is not None:
            vx, vy, vsw = (
                _data.unpack_batch(tuple(validation_data))
                if isinstance(validation_data, tuple | list)
                else (validation_data, None, None)
            )
            if _data.is_array_data(vx):
                val_data = _data.make_array_data(vx, vy, vsw, where="fit (validation_data)")
            else:
                val_data = validation_data

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
        if first_x is not None:
            self._prepare(first_x, first_y)
            device_data = jax.device_put((data.x, data.y, data.sample_weight))
        self.stop_training = False
        callback_list.on_train_begin()
        logs: dict[str, Any] = {}
        rng = np.random.default_rng()
        for epoch in range(initial_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            if array_mode:
                order = rng.permutation(data.size) if shuffle else np.arange(data.size)
                logs = self._fit_epoch_arrays(
                    device_data,
                    data.size,
                    jnp.asarray(order, jnp.int32),
                    batch_size,
                    steps,
                    callback_list,
                    per_batch_hooks,
                )
            else:
                logs = self._fit_epoch_iterable(x, steps, callback_list)
            if logs is None:
                break
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
                    _internal=True,
                )
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callback_list.on_epoch_end(epoch, epoch_logs)
            logs = epoch_logs
            if self.stop_training:
                break
        callback_list.on_train_end(logs)
        return self.history

    def _fit_epoch_arrays(
        self,
        device_data: tuple,
        size: int,
        order: jax.Array,
        batch_size: int,
        steps: int,
        callback_list: Any,
        per_batch_hooks: bool,
    ) -> dict[str, Any]:
        full = min(steps, size // batch_size)
        structure = jax.tree_util.tree_structure(device_data)
        plan = self._plan("train", batch_size, structure)
        state = self._reset_metrics(self._state())
        if per_batch_hooks or self.run_eagerly:
            k = 1
        elif self._user_steps_per_execution is not None:
            k = self._user_steps_per_execution
        else:
            k = plan.k
        i = 0
        measured = False
        # Without per-batch callbacks, a chunk's logs are fetched after the next chunk
        # is dispatched, so the device never waits for the host between chunks.
        pending: list[tuple[int, Any]] = []

        def report(index: int, state: tuple) -> None:
            results = self._results_async(state[3])
            if per_batch_hooks:
                callback_list.on_train_batch_end(index, self._host_logs(results))
                return
            flush()
            pending.append((index, results))

        def flush() -> None:
            while pending:
                index, results = pending.pop()
                callback_list.on_train_batch_end(index, self._host_logs(results))

        try:
            while i < full and not self.stop_training:
                if k is None:
                    state, i = self._measure_k(plan, state, device_data, order, batch_size, full)
                    k = plan.k
                    measured = True
                    self._write_back(state)
                    report(i - 1, state)
                    continue
                # The measuring epoch's odd tail runs as single steps: a scan of its
                # length would be compiled for this epoch alone.
                chunk = 1 if measured and full - i < k else _chunk_length(k, full - i)
                if per_batch_hooks:
                    callback_list.on_train_batch_begin(i)
                fn = self._chunk_fn(plan, chunk, batch_size)
                state = fn(state, device_data, order, jnp.int32(i * batch_size))
                i += chunk
                self._write_back(state)
                report(i - 1, state)
            remainder = size - full * batch_size if steps > full else 0
            if remainder and not self.stop_training:
                rplan = self._plan("train", remainder, structure)
                fn = self._chunk_fn(rplan, 1, remainder)
                if per_batch_hooks:
                    callback_list.on_train_batch_begin(i)
                state = fn(state, device_data, order, jnp.int32(full * batch_size))
                i += 1
                self._write_back(state)
                report(i - 1, state)
            flush()
        except BaseException:
            self._check_not_donated()
            raise
        return self._results(state[3])

    def _check_not_donated(self) -> None:
        """After an interrupted step, say so if a variable lost its (donated) buffer."""
        for v in [*self._plan_trainable, *self._plan_non_trainable, *self.optimizer.variables]:
            if v._value_deleted():
                raise RuntimeError(
                    f"Training was interrupted inside a step and variable '{v.path}' lost its "
                    "value. Reload the weights from your last checkpoint."
                )

    def _chunk_fn(self, plan: _StepPlan, k: int, batch_size: int) -> Callable:
        if k == 1:
            if plan.single is None:
                plan.single = self._gathered(self._train_step, 1, batch_size)
            return plan.single
        fn = plan.chunks.get(k)
        if fn is None:
            fn = plan.chunks[k] = self._gathered(self._train_step, k, batch_size)
        return fn

    def _measure_k(
        self,
        plan: _StepPlan,
        state: tuple,
        data: tuple,
        order: jax.Array,
        batch_size: int,
        full: int,
    ) -> tuple[tuple, int]:
        """Choose steps per dispatch by timing: one-step dispatches, then a scanned chunk.

        Runs real training steps (from the start of the epoch) while measuring.
        Returns the new state and the number of steps done.
        """
        single = self._chunk_fn(plan, 1, batch_size)
        done = 0

        def run(fn: Callable, state: tuple, n: int) -> tuple:
            nonlocal done
            state = fn(state, data, order, jnp.int32(done * batch_size))
            done += n
            return jax.block_until_ready(state)

        state = run(single, state, 1)  # compiles
        probes = min(3, full - done)
        t0 = time.perf_counter()
        for _ in range(probes):
            state = run(single, state, 1)
        per_step = (time.perf_counter() - t0) / max(probes, 1)
        k = 1
        if (
            probes
            and per_step < _SCAN_WORTHWHILE_SECONDS
            and not _convolves_on_cpu(single, (state, data, order, jnp.int32(0)))
        ):
            candidate = int(
                min(_MAX_STEPS_PER_CHUNK, max(2, _TARGET_CHUNK_SECONDS / max(per_step, 1e-6)))
            )
            candidate = min(candidate, max(2, (full - done) // 2))
            candidate = _near_divisor(full, candidate)
            if full - done >= 2 * candidate:
                chunk = self._chunk_fn(plan, candidate, batch_size)
                state = run(chunk, state, candidate)  # compiles
                t0 = time.perf_counter()
                state = run(chunk, state, candidate)
                scanned = (time.perf_counter() - t0) / candidate
                k = candidate if scanned < per_step else 1
        plan.k = k
        return state, done

    def _fit_epoch_iterable(
        self, data: Any, steps: int | None, callback_list: Any
    ) -> dict[str, Any]:
        state = None
        plan = None
        step_index = 0
        for x, y, sw in _data.iterate_batches(data, steps):
            if y is None:
                raise ValueError(
                    "Each training batch must contain targets: yield `(x, y)` or "
                    "`(x, y, sample_weight)` tuples."
                )
            if state is None:
                self._prepare(x, y)
                state = self._reset_metrics(self._state())
            structure = jax.tree_util.tree_structure((x, y, sw))
            plan = self._plan("train_batch", _leaves(x)[0].shape[0], structure)
            if plan.single is None:
                plan.single = self._jit(self._train_step)
            callback_list.on_train_batch_begin(step_index)
            sw = None if sw is None else jnp.asarray(sw, jnp.float32)
            state = plan.single(state, (x, y, sw))
            self._write_back(state)
            callback_list.on_train_batch_end(step_index, self._results(state[3]))
            step_index += 1
            if self.stop_training:
                break
        if state is None:
            raise ValueError(
                "The training data produced no batches. Check that the iterable is not exhausted "
                "(a generator can be consumed only once; pass `steps_per_epoch` and an endless "
                "generator to train several epochs)."
            )
        return self._results(state[3])

    # ------------------------------------------------------------------ evaluate / predict
    @_host_memory.keep_freed_memory()
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
        callback_list = _callbacks().CallbackList(
            callbacks,
            add_progbar=verbose != 0 and not _internal,
            model=self,
            verbose=verbose,
            epochs=1,
            steps=None,
        )
        callback_list.on_test_begin()
        state = None
        batches = self._batches(x, y, sample_weight, batch_size, steps, where="evaluate")
        for index, (bx, by, bsw) in enumerate(batches):
            if by is None:
                raise ValueError("`evaluate` needs targets: pass `y`, or batches of `(x, y)`.")
            if state is None:
                self._prepare(bx, by)
                state = self._reset_metrics(self._state())
            structure = jax.tree_util.tree_structure((bx, by, bsw))
            plan = self._plan("test", _leaves(bx)[0].shape[0], structure)
            if plan.single is None:
                plan.single = self._jit(self._test_step, donate=False)
            callback_list.on_test_batch_begin(index)
            state = plan.single(state, (bx, by, bsw))
            callback_list.on_test_batch_end(index, None)
        if state is None:
            raise ValueError("`evaluate` received no data.")
        for metric, vals in zip(self._all_metrics(), state[3], strict=True):
            write_values(metric.variables, vals)
        write_values(self._plan_non_trainable, state[1])
        logs = self._results(state[3])
        callback_list.on_test_end(logs)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def _batches(
        self,
        x: Any,
        y: Any,
        sample_weight: Any,
        batch_size: int | None,
        steps: int | None,
        where: str,
    ):
        if _data.is_array_data(x):
            data = _data.make_array_data(x, y, sample_weight, where=where)
            batch_size = batch_size or 32
            n_batches = math.ceil(data.size / batch_size)
            if steps is not None:
                n_batches = min(n_batches, int(steps))
            device = jax.device_put((data.x, data.y, data.sample_weight))
            for i in range(n_batches):
                yield _slice_batch(device, slice(i * batch_size, (i + 1) * batch_size))
            return
        if x is None:
            raise ValueError(f"`{where}` needs data: pass arrays, or an iterable of batches.")
        if y is not None:
            raise ValueError(
                f"`y` must not be given to `{where}` when `x` is an iterable of batches."
            )
        for bx, by, bsw in _data.iterate_batches(x, steps):
            yield bx, by, (None if bsw is None else jnp.asarray(bsw, jnp.float32))

    @_host_memory.keep_freed_memory()
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
        outputs = []
        fn_cache: dict[Any, Callable] = getattr(self, "_predict_fns", {})
        _set(self, "_predict_fns", fn_cache)
        for index, (bx, _, _) in enumerate(
            self._batches(x, None, None, batch_size, steps, "predict")
        ):
            if not self.built:
                self(jax.tree_util.tree_map(lambda a: a[:1], bx))
            key = (jax.tree_util.tree_structure(bx), tuple(id(v) for v in self.trainable_variables))
            fn = fn_cache.get(key)
            if fn is None:

                def run(tv: list, ntv: list, xs: Any) -> Any:
                    return self.stateless_call(tv, ntv, xs, training=False)[0]

                fn = fn_cache[key] = run if getattr(self, "run_eagerly", False) else jax.jit(run)
            callback_list.on_predict_batch_begin(index)
            out = fn(
                [v.value for v in self.trainable_variables],
                [v.value for v in self.non_trainable_variables],
                bx,
            )
            outputs.append(out)
            callback_list.on_predict_batch_end(index, {"outputs": out})
        if not outputs:
            raise ValueError("`predict` received no data.")
        host = jax.device_get(outputs)
        result = jax.tree_util.tree_map(lambda *parts: np.concatenate(parts, axis=0), *host)
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
        """Run one training step on one batch; return the loss and metrics so far."""
        data = _data.make_array_data(x, y, sample_weight, class_weight, where="train_on_batch")
        self._prepare(data.x, data.y)
        plan = self._plan(
            "train_batch",
            data.size,
            jax.tree_util.tree_structure((data.x, data.y, data.sample_weight)),
        )
        if plan.single is None:
            plan.single = self._jit(self._train_step)
        sw = None if data.sample_weight is None else jnp.asarray(data.sample_weight)
        state = self._reset_metrics(self._state())  # logs describe this batch only
        state = plan.single(state, (jax.device_put(data.x), jax.device_put(data.y), sw))
        self._write_back(state)
        return self._format_logs(self._results(state[3]), return_dict)

    def test_on_batch(
        self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False
    ) -> Any:
        """Evaluate one batch; return the loss and metrics so far."""
        data = _data.make_array_data(x, y, sample_weight, where="test_on_batch")
        self._prepare(data.x, data.y)
        plan = self._plan(
            "test", data.size, jax.tree_util.tree_structure((data.x, data.y, data.sample_weight))
        )
        if plan.single is None:
            plan.single = self._jit(self._test_step, donate=False)
        sw = None if data.sample_weight is None else jnp.asarray(data.sample_weight)
        state = self._reset_metrics(self._state())  # logs describe this batch only
        state = plan.single(state, (jax.device_put(data.x), jax.device_put(data.y), sw))
        self._write_back(state)
        return self._format_logs(self._results(state[3]), return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        """The model's outputs on one batch, as numpy arrays."""
        return self.predict(x, batch_size=_data.num_samples(x), verbose=0)

    @staticmethod
    def _format_logs(logs: dict[str, Any], return_dict: bool) -> Any:
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def reset_metrics(self) -> None:
        for metric in self._all_metrics():
            metric.reset_state()


def _convolves_on_cpu(step: Callable, args: tuple) -> bool:
    """Whether ``step`` runs a convolution on XLA:CPU, where a scanned loop of it is slow.

    Inside ``lax.scan`` XLA:CPU leaves the kernel-gradient convolution in a layout
    its slow generic path runs (measured ~20x a single step), so such models keep
    one step per dispatch without paying for a probe.
    """
    if jax.default_backend() != "cpu":
        return False
    try:
        jaxpr = step.trace(*args).jaxpr
    except AttributeError:  # run_eagerly: a plain function, never scanned anyway
        return False
    return "conv_general_dilated" in str(jaxpr)


def _near_divisor(total: int, k: int) -> int:
    """A divisor of ``total`` within a factor of two of ``k`` (nearest first), else ``k``.

    Chunks that divide the epoch leave no tail of single steps.
    """
    for delta in range(k):
        for d in (k + delta, k - delta):
            if k // 2 <= d <= 2 * k and d >= 2 and total % d == 0:
                return d
    return k


def _chunk_length(k: int, left: int) -> int:
    """Steps in the next dispatch: ``k``, or for the epoch's tail one scan of what is
    left when that is worth a compile (at least 8 steps), else single steps."""
    if left >= k:
        return k
    return left if left >= _MIN_TAIL_SCAN else 1


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


def _slice_batch(data: tuple, rows: slice) -> tuple:
    """Rows ``rows`` of ``(x, y, sample_weight)``; ``None`` parts stay ``None``."""
    return tuple(
        None if part is None else jax.tree_util.tree_map(lambda a: a[rows], part) for part in data
    )
