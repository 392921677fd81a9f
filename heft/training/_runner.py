"""The epoch runner: data in, step functions dispatched, callbacks and logs out."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _platform
from .._variable import read_values, write_values
from . import _data, _dispatch
from ._state import PredictState, TestState, TrainState, as_state, unaliased


class Run:
    """One ``fit``/``evaluate``/``predict`` call's model, variables and compiled steps.

    The variable lists are fixed when the run starts: the state a step receives
    holds their values in this order, and what it returns is written back to
    them (through each variable's writer) after every dispatch, so callbacks and
    user code always see the current weights.
    """

    def __init__(self, model: Any, kind: str) -> None:
        self.model = model
        self.kind = kind
        self.trainable = model.trainable_variables
        self.non_trainable = model.non_trainable_variables
        self.optimizer = (
            model.optimizer.variables if kind == "train" and model.optimizer is not None else []
        )
        self.metrics = model.metrics_variables if kind != "predict" else []
        self.plans: _dispatch.PlanCache = model.__dict__["_plans"]

    # ------------------------------------------------------------------ state
    def state(self) -> Any:
        """The current values, as the kind of state this run's step takes."""
        if self.kind == "train":
            return unaliased(
                TrainState(
                    read_values(self.trainable),
                    read_values(self.non_trainable),
                    read_values(self.optimizer),
                    read_values(self.metrics),
                )
            )
        if self.kind == "test":
            return TestState(
                read_values(self.trainable),
                read_values(self.non_trainable),
                read_values(self.metrics),
            )
        return PredictState(read_values(self.trainable), read_values(self.non_trainable))

    def write(self, state: Any) -> None:
        """Point the variables at a step's new state (no copy)."""
        if self.kind == "train":
            write_values(self.trainable, state.trainable_variables)
            write_values(self.optimizer, state.optimizer_variables)
        write_values(self.non_trainable, state.non_trainable_variables)
        if self.kind != "predict":
            write_values(self.metrics, state.metrics_variables)

    def reset_metrics(self) -> Any:
        """Reset every metric and return the state holding the reset values."""
        self.model.reset_metrics()
        return self.state()

    def check_not_donated(self) -> None:
        """After an interrupted step, say so if a variable lost its (donated) buffer."""
        for v in [*self.trainable, *self.non_trainable, *self.optimizer]:
            if v._value_deleted():
                raise RuntimeError(
                    f"Training was interrupted inside a step and variable '{v.path}' lost its "
                    "value. Reload the weights from your last checkpoint."
                )

    # ------------------------------------------------------------------ steps
    def step(self) -> Callable[[Any, Any], tuple[Any, Any]]:
        """The model's step of this run's kind, returning ``(logs, state)`` as a named state."""
        model = self.model
        if self.kind == "train":

            def train(state: Any, data: Any) -> tuple[Any, Any]:
                logs, new = model.train_step(state, data)
                return logs, as_state(TrainState, new, "train_step")

            return train
        if self.kind == "test":

            def test(state: Any, data: Any) -> tuple[Any, Any]:
                logs, new = model.test_step(state, data)
                return logs, as_state(TestState, new, "test_step")

            return test

        def predict(state: Any, data: Any) -> tuple[Any, Any]:
            outputs, non_trainable = model.predict_step(state, data)
            return outputs, PredictState(state.trainable_variables, list(non_trainable))

        return predict

    def jit(self, fn: Callable) -> Callable:
        if self.model.run_eagerly:
            return fn
        return jax.jit(fn, donate_argnums=(0,) if self.kind == "train" else ())

    def logs_of_state(self) -> Callable[[Any], Any] | None:
        """How logs follow from a state, when the model's steps are Keras's own.

        The default ``train_step``/``test_step`` return ``compute_metrics``'s
        result, which is ``get_metrics_result()`` of the new metric values, so a
        scan of such steps need not carry logs. An override may log anything, so
        ``None`` then (the scan carries the logs of its latest step).
        """
        from ._steps import TrainingSteps

        cls = type(self.model)
        step_name = "train_step" if self.kind == "train" else "test_step"
        for name in (step_name, "compute_metrics"):
            if getattr(cls, name) is not getattr(TrainingSteps, name):
                return None
        return lambda state: self.model._logs_from_metrics(state.metrics_variables)

    def plan(self, *parts: Any) -> _dispatch.StepPlan:
        return self.plans.get(self.kind, (self.trainable, self.non_trainable), *parts)

    def single(self, *parts: Any) -> Callable:
        """The jitted one-step function ``(state, data) -> (logs, state)`` for these parts."""
        plan = self.plan("batch", *parts)
        if plan.single is None:
            plan.single = self.jit(self.step())
        return plan.single

    def chunk_fn(self, plan: _dispatch.StepPlan, k: int, batch_size: int) -> Callable:
        """The ``k``-step function over device data of a plan, compiled once."""
        if k == 1:
            if plan.single is None:
                plan.single = _dispatch.gathered(self.step(), 1, batch_size, None, self.jit)
            return plan.single
        fn = plan.chunks.get(k)
        if fn is None:
            fn = plan.chunks[k] = _dispatch.gathered(
                self.step(), k, batch_size, self.logs_of_state(), self.jit
            )
        return fn


class Reporter:
    """Hands each dispatch's logs to the callbacks, one dispatch late when it can.

    Without per-batch callbacks, a chunk's logs are fetched from the device
    after the next chunk is dispatched, so the device never waits for the host.
    """

    def __init__(self, callback_list: Any, hook: str, per_batch: bool) -> None:
        self._hook = getattr(callback_list, hook)
        self._per_batch = per_batch
        self._pending: list[tuple[int, Any]] = []

    def report(self, index: int, logs: Any) -> None:
        if self._per_batch:
            self._hook(index, host_logs(logs))
            return
        self.flush()
        self._pending.append((index, logs))

    def flush(self) -> None:
        while self._pending:
            index, logs = self._pending.pop()
            self._hook(index, host_logs(logs))


def host_logs(logs: Any) -> Any:
    """Logs fetched to the host in one transfer; scalars become Python floats."""
    if not isinstance(logs, dict):
        return logs
    return _flat_logs(jax.device_get(logs))


def _flat_logs(host: dict) -> dict:
    # A custom train_step may return a metric's result that is itself a dict (the
    # compiled metrics' results); its entries join the logs under their own names.
    flat: dict = {}
    for key, value in host.items():
        if isinstance(value, dict):
            flat.update(_flat_logs(value))
        else:
            flat[key] = float(np.asarray(value)) if np.ndim(value) == 0 else np.asarray(value)
    return flat


# ---------------------------------------------------------------------- train
def train_arrays_epoch(
    run: Run,
    device_data: tuple,
    size: int,
    order: jax.Array,
    batch_size: int,
    steps: int,
    callback_list: Any,
    per_batch_hooks: bool,
    first_step: int = 0,
) -> Any:
    """One epoch over device-resident arrays, ``k`` steps per dispatch; returns its logs.

    ``first_step`` > 0 resumes the epoch there (after a restored backup).
    """
    model = run.model
    full = min(steps, size // batch_size)
    structure = jax.tree_util.tree_structure(device_data)
    plan = run.plan("arrays", batch_size, structure)
    state = run.reset_metrics()
    if per_batch_hooks or model.run_eagerly:
        k: int | None = 1
    elif model._user_steps_per_execution is not None:
        k = model._user_steps_per_execution
    else:
        k = plan.k
    i = first_step
    if first_step and k is None:
        k = 1  # steps per dispatch are measured from an epoch's start, next epoch
    measured = False
    logs: Any = None
    reporter = Reporter(callback_list, "on_train_batch_end", per_batch_hooks)
    try:
        while i < full and not model.stop_training:
            if k is None:
                logs, state, i = _dispatch.measure_k(
                    plan,
                    lambda n: run.chunk_fn(plan, n, batch_size),
                    state,
                    device_data,
                    order,
                    batch_size,
                    full,
                )
                k = plan.k
                measured = True
                run.write(state)
                reporter.report(i - 1, logs)
                continue
            # The measuring epoch's odd tail runs as single steps: a scan of its
            # length would be compiled for this epoch alone.
            chunk = 1 if measured and full - i < k else _dispatch.chunk_length(k, full - i)
            if per_batch_hooks:
                callback_list.on_train_batch_begin(i)
            fn = run.chunk_fn(plan, chunk, batch_size)
            logs, state = fn(state, device_data, order, jnp.int32(i * batch_size))
            i += chunk
            run.write(state)
            reporter.report(i - 1, logs)
        remainder = size - full * batch_size if steps > full and i == full else 0
        if remainder and not model.stop_training:
            rplan = run.plan("arrays", remainder, structure)
            fn = run.chunk_fn(rplan, 1, remainder)
            if per_batch_hooks:
                callback_list.on_train_batch_begin(i)
            logs, state = fn(state, device_data, order, jnp.int32(full * batch_size))
            i += 1
            run.write(state)
            reporter.report(i - 1, logs)
        reporter.flush()
    except BaseException:
        run.check_not_donated()
        raise
    return host_logs(logs)


def _default_group(model: Any, per_batch_hooks: bool) -> int:
    """Batches stacked per dispatch for iterable data (1 with per-batch callbacks)."""
    if per_batch_hooks or model.run_eagerly:
        return 1
    if model._user_steps_per_execution is not None:
        return int(model._user_steps_per_execution)
    return _ITERABLE_GROUP


# Batches of an iterable source run this many per dispatch (one ``lax.scan``) when
# no callback needs every batch: per-batch dispatch is Python's cost, not the device's.
_ITERABLE_GROUP = 64


def stacked_fn(run: Run, k: int, structure: Any) -> Callable:
    """``fn(state, stacked, count) -> (logs, state)``: steps over the first ``count`` of ``k``
    batches stacked on axis 0; the rest are padding and change nothing."""
    plan = run.plan("stacked", structure)
    fn = plan.chunks.get(k)
    if fn is not None:
        return fn
    step = run.step()
    logs_of_state = run.logs_of_state()

    def many(state: Any, stacked: tuple, count: jax.Array) -> Any:
        def over(body: Callable, carry: Any) -> Any:
            def guarded(carry: Any, xs: tuple) -> tuple[Any, None]:
                index, b = xs
                return jax.lax.cond(index < count, body, lambda c, _: c, carry, b), None

            return jax.lax.scan(guarded, carry, (jnp.arange(k), stacked))[0]

        if logs_of_state is not None:
            state = over(lambda c, b: step(c, _dispatch.batch_data(*b))[1], state)
            return logs_of_state(state), state

        first = jax.tree_util.tree_map(lambda a: a[0], stacked)
        shapes = jax.eval_shape(lambda s: step(s, _dispatch.batch_data(*first))[0], state)
        logs0 = jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)
        return over(lambda c, b: step(c[1], _dispatch.batch_data(*b)), (logs0, state))

    fn = plan.chunks[k] = run.jit(many)
    return fn


def _needs_targets(y: Any) -> None:
    if y is None:
        raise ValueError(
            "Each training batch must contain targets: yield `(x, y)` or "
            "`(x, y, sample_weight)` tuples."
        )


def train_stream_epoch(
    model: Any,
    stream: Any,
    converter: Any,
    callback_list: Any,
    per_batch_hooks: bool,
    first_step: int = 0,
) -> Any:
    """One epoch over a batch stream (``_sources.EpochBatches``); returns its logs.

    Batches are converted and put on the device by a background thread while the
    previous dispatch runs; without per-batch callbacks, runs of same-shaped
    batches are stacked and trained ``k`` per dispatch.
    """
    from . import _sources

    run: Run | None = None
    state = None
    logs: Any = None
    step_index = 0
    stream.source.on_epoch_begin()
    raw = stream.epoch()
    for _ in range(first_step):  # resuming the epoch after a restored backup
        if next(raw, None) is None:
            break
    step_index = first_step
    prefetch = _sources.Prefetcher(raw, converter, grouped=True)
    grouping_decided = False  # after the epoch's first step (``Prefetcher.set_group``)
    # Logs reach the callbacks after every dispatch, so that one stopping training
    # (``TerminateOnNaN``) stops it before the next dispatch.
    reporter = Reporter(callback_list, "on_train_batch_end", True)
    try:
        for kind, batch in prefetch:
            _needs_targets((batch[0] if kind == "stack" else batch)[1])
            if run is None:  # the first item is always one batch: ``group`` starts at 1
                prepare(model, batch[0], batch[1])
                run = Run(model, "train")
                state = run.reset_metrics()
            if kind == "stack":
                batches, count = batch
                k = jax.tree_util.tree_leaves(batches)[0].shape[0]
                structure = jax.tree_util.tree_structure(batches)
                logs, state = stacked_fn(run, k, structure)(state, batches, jnp.int32(count))
                step_index += count
            else:
                fn = run.single(jax.tree_util.tree_structure(batch))
                if per_batch_hooks:
                    callback_list.on_train_batch_begin(step_index)
                logs, state = fn(state, _dispatch.batch_data(*batch))
                if not grouping_decided:
                    grouping_decided = True
                    group = _default_group(model, per_batch_hooks)
                    if group > 1 and _platform.convolves_on_cpu(
                        fn, (state, _dispatch.batch_data(*batch))
                    ):
                        group = 1
                    prefetch.set_group(group)
                step_index += 1
            run.write(state)
            reporter.report(step_index - 1, logs)
            if model.stop_training:
                break
        reporter.flush()
    except BaseException:
        if run is not None:
            run.check_not_donated()
        raise
    finally:
        prefetch.close()
    stream.source.on_epoch_end()
    stream.warn_if_ran_out()
    if run is None:
        raise ValueError(
            "The training data produced no batches. Check that the data source is not empty "
            "or exhausted."
        )
    return host_logs(logs)


# ---------------------------------------------------------------------- evaluate / predict
def batches(
    x: Any, y: Any, sample_weight: Any, batch_size: int | None, steps: int | None, where: str
) -> Iterator[tuple[Any, Any, Any]]:
    """``(x, y, sample_weight)`` batches of arrays (sliced on the device) or of an iterable."""
    if _data.is_array_data(x):
        data = _data.make_array_data(x, y, sample_weight, where=where)
        batch_size = batch_size or 32
        n_batches = math.ceil(data.size / batch_size)
        if steps is not None:
            n_batches = min(n_batches, int(steps))
        device = jax.device_put((data.x, data.y, data.sample_weight))
        for i in range(n_batches):
            yield _rows(device, slice(i * batch_size, (i + 1) * batch_size))
        return
    if x is None:
        raise ValueError(f"`{where}` needs data: pass arrays, or an iterable of batches.")
    from . import _sources

    if isinstance(x, _sources.EpochBatches):
        stream = x
    else:
        if y is not None:
            raise ValueError(
                f"`y` must not be given to `{where}` when `x` is an iterable of batches."
            )
        _sources.check_no_y(x, None, sample_weight, where)
        stream = make_stream(x, steps)
    yield from stream_batches(stream, _sources.Converter(stream.source.kind, None))


def make_stream(x: Any, steps: int | None, shuffle: bool = False) -> Any:
    """The ``EpochBatches`` of a non-array data source."""
    from . import _sources

    source = _sources.Source(x, _sources.source_kind(x), shuffle)
    return _sources.EpochBatches(source, steps)


def stream_batches(stream: Any, converter: Any) -> Iterator[tuple[Any, Any, Any]]:
    """One epoch of a stream's batches, on the device, prefetched; the epoch hooks around it."""
    from . import _sources

    stream.source.on_epoch_begin()
    prefetch = _sources.Prefetcher(stream.epoch(), converter)
    try:
        for _, batch in prefetch:
            yield batch
    finally:
        prefetch.close()
    stream.source.on_epoch_end()
    stream.warn_if_ran_out()


def _rows(data: tuple, rows: slice) -> tuple[Any, Any, Any]:
    """Rows ``rows`` of ``(x, y, sample_weight)``; ``None`` parts stay ``None``."""
    x, y, sample_weight = (
        None if part is None else jax.tree_util.tree_map(lambda a: a[rows], part) for part in data
    )
    return x, y, sample_weight


def evaluate_batches(model: Any, data: Iterator[tuple[Any, Any, Any]], callback_list: Any) -> Any:
    """Run ``test_step`` over every batch; the metrics start from zero. Returns the logs."""
    run: Run | None = None
    state = None
    logs: Any = None
    for index, (bx, by, bsw) in enumerate(data):
        if by is None:
            raise ValueError("`evaluate` needs targets: pass `y`, or batches of `(x, y)`.")
        if run is None:
            prepare(model, bx, by)
            run = Run(model, "test")
            state = run.reset_metrics()
        batch = _dispatch.batch_data(bx, by, bsw)
        fn = run.single(jax.tree_util.tree_structure(batch))
        callback_list.on_test_batch_begin(index)
        logs, state = fn(state, batch)
        callback_list.on_test_batch_end(
            index, host_logs(logs) if callback_list.needs_test_batch_hooks else None
        )
    if run is None:
        raise ValueError("`evaluate` received no data.")
    run.write(state)
    return host_logs(logs)


def predict_batches(model: Any, data: Iterator[tuple[Any, Any, Any]], callback_list: Any) -> Any:
    """Run ``predict_step`` over every batch; returns the outputs concatenated on the host."""
    run: Run | None = None
    state = None
    outputs = []
    for index, (bx, _, _) in enumerate(data):
        if run is None:
            if not model.built:
                model(jax.tree_util.tree_map(lambda a: a[:1], bx))
            run = Run(model, "predict")
            state = run.state()
        batch = _dispatch.batch_data(bx, None, None)
        fn = run.single(jax.tree_util.tree_structure(batch))
        callback_list.on_predict_batch_begin(index)
        out, state = fn(state, batch)
        outputs.append(out)
        callback_list.on_predict_batch_end(index, {"outputs": out})
    if run is None:
        raise ValueError("`predict` received no data.")
    run.write(state)
    host = jax.device_get(outputs)
    return jax.tree_util.tree_map(lambda *parts: np.concatenate(parts, axis=0), *host)


# ---------------------------------------------------------------------- building
def prepare(model: Any, x: Any, y: Any) -> None:
    """Build the model, its compiled loss and metrics from one batch, and the optimizer."""
    model._check_compiled()
    if not model.built:
        model(jax.tree_util.tree_map(lambda a: a[:1], x))
    loss, metrics = model._compile_loss, model._compile_metrics
    if (loss is not None and not loss.built) or (
        metrics is not None and not metrics.built and y is not None
    ):

        def spec_of(tree: Any) -> Any:
            return jax.tree_util.tree_map(
                lambda a: jax.ShapeDtypeStruct((2, *a.shape[1:]), a.dtype), tree
            )

        y_pred = jax.eval_shape(
            lambda xs: model.stateless_call(
                read_values(model.trainable_variables),
                read_values(model.non_trainable_variables),
                xs,
            )[0],
            spec_of(x),
        )
        names = getattr(model, "output_names", None)
        y_spec = spec_of(y) if y is not None else None
        if loss is not None and not loss.built:
            loss.build(y_pred, names, y_spec)
        if metrics is not None and not metrics.built and y_spec is not None:
            metrics.build(y_spec, y_pred, names)
    if model.optimizer is not None:
        model.optimizer.build(model.trainable_variables)
