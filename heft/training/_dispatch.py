"""Steps per dispatch: a model's compiled step functions, K steps per call over device data.

A training epoch over arrays runs as few Python dispatches as pays: the data
lives on the device, each dispatch gathers its batches there from an index
order and runs ``K`` steps in one ``lax.scan``. ``K`` is chosen per model by
timing real steps (``measure_k``), or given by ``compile(steps_per_execution=)``.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Any

import jax
import jax.numpy as jnp

from .. import _platform
from .._variable import identity_key

# A chunk of steps should take about this long, so the progress bar moves several
# times a second while Python dispatches rarely.
_TARGET_CHUNK_SECONDS = 0.1
# Steps slower than this gain nothing from running several per dispatch.
_SCAN_WORTHWHILE_SECONDS = 0.02
_MAX_STEPS_PER_CHUNK = 512
_MIN_TAIL_SCAN = 8
# Compiled configurations kept per model (a new trainable set, batch size or data
# structure makes a new one); the least recently used is dropped beyond this.
PLAN_LIMIT = 8

Step = Callable[[Any, Any], tuple[Any, Any]]


class StepPlan:
    """The compiled functions of one configuration (trainable set, batch structure)."""

    def __init__(self) -> None:
        self.single: Callable | None = None
        self.chunks: dict[int, Callable] = {}
        self.k: int | None = None


class PlanCache:
    """A model's step plans, keyed by what their compiled code depends on, at most ``limit``.

    Keys name variables by ``identity_key`` (serial numbers never reused), not by
    ``id()``, so a plan is never taken for variables it was not compiled for.
    """

    def __init__(self, limit: int = PLAN_LIMIT) -> None:
        self._plans: OrderedDict[Hashable, StepPlan] = OrderedDict()
        self._limit = limit

    def get(self, kind: str, variables: tuple[list, ...], *parts: Hashable) -> StepPlan:
        """The plan of ``kind`` for these variable lists and parts (made if new)."""
        key = (kind, *(identity_key(vs) for vs in variables), *parts)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = StepPlan()
            while len(self._plans) > self._limit:
                self._plans.popitem(last=False)
        else:
            self._plans.move_to_end(key)
        return plan

    def __len__(self) -> int:
        return len(self._plans)

    def __iter__(self) -> Iterator[StepPlan]:
        """The plans, least recently used first."""
        return iter(list(self._plans.values()))


def batch_data(x: Any, y: Any, sample_weight: Any) -> Any:
    """The batch as a step receives it: ``(x, y)``, ``(x, y, sample_weight)``, or the inputs."""
    if y is None and sample_weight is None:
        return (x,) if isinstance(x, list | tuple) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def gathered(
    step: Step,
    k: int,
    batch_size: int,
    logs_of_state: Callable[[Any], Any] | None,
    jit: Callable[[Callable], Callable],
) -> Callable:
    """``fn(state, data, order, start) -> (logs, state)`` running ``k`` steps.

    Step ``i`` trains on rows ``order[start + i * batch_size :][:batch_size]`` of
    the device arrays ``data = (x, y, sample_weight)``. With ``logs_of_state``
    (the step's logs are a function of its new state), the scan keeps only the
    state and the logs are computed once at the end; otherwise the scan carries
    the logs of the latest step.
    """

    def take(data: tuple, order: jax.Array, start: jax.Array) -> Any:
        idx = jax.lax.dynamic_slice_in_dim(order, start, batch_size)
        x, y, sample_weight = (
            None
            if part is None
            else jax.tree_util.tree_map(lambda a: jnp.take(a, idx, axis=0), part)
            for part in data
        )
        return batch_data(x, y, sample_weight)

    if k == 1:

        def one(state: Any, data: tuple, order: jax.Array, start: jax.Array) -> Any:
            return step(state, take(data, order, start))

        return jit(one)

    if logs_of_state is not None:

        def many(state: Any, data: tuple, order: jax.Array, start: jax.Array) -> Any:
            def body(carry: Any, i: jax.Array) -> tuple[Any, None]:
                return step(carry, take(data, order, start + i * batch_size))[1], None

            state, _ = jax.lax.scan(body, state, jnp.arange(k))
            return logs_of_state(state), state

        return jit(many)

    def many_with_logs(state: Any, data: tuple, order: jax.Array, start: jax.Array) -> Any:
        def body(carry: tuple, i: jax.Array) -> tuple[tuple, None]:
            logs, new_state = step(carry[1], take(data, order, start + i * batch_size))
            return (logs, new_state), None

        shapes = jax.eval_shape(lambda s: step(s, take(data, order, start))[0], state)
        logs0 = jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)
        (logs, state), _ = jax.lax.scan(body, (logs0, state), jnp.arange(k))
        return logs, state

    return jit(many_with_logs)


def measure_k(
    plan: StepPlan,
    chunk_fn: Callable[[int], Callable],
    state: Any,
    data: tuple,
    order: jax.Array,
    batch_size: int,
    full: int,
) -> tuple[Any, Any, int]:
    """Choose steps per dispatch by timing: one-step dispatches, then a scanned chunk.

    Runs real training steps (from the start of the epoch) while measuring and
    sets ``plan.k``. Returns the latest logs, the new state and the number of
    steps done.
    """
    single = chunk_fn(1)
    done = 0

    def run(fn: Callable, state: Any, n: int) -> tuple[Any, Any]:
        nonlocal done
        logs, state = fn(state, data, order, jnp.int32(done * batch_size))
        done += n
        return jax.block_until_ready((logs, state))

    logs, state = run(single, state, 1)  # compiles
    probes = min(3, full - done)
    t0 = time.perf_counter()
    for _ in range(probes):
        logs, state = run(single, state, 1)
    per_step = (time.perf_counter() - t0) / max(probes, 1)
    k = 1
    if (
        probes
        and per_step < _SCAN_WORTHWHILE_SECONDS
        and not _platform.convolves_on_cpu(single, (state, data, order, jnp.int32(0)))
    ):
        candidate = int(
            min(_MAX_STEPS_PER_CHUNK, max(2, _TARGET_CHUNK_SECONDS / max(per_step, 1e-6)))
        )
        candidate = min(candidate, max(2, (full - done) // 2))
        candidate = near_divisor(full, candidate)
        if full - done >= 2 * candidate:
            chunk = chunk_fn(candidate)
            logs, state = run(chunk, state, candidate)  # compiles
            t0 = time.perf_counter()
            logs, state = run(chunk, state, candidate)
            scanned = (time.perf_counter() - t0) / candidate
            k = candidate if scanned < per_step else 1
    plan.k = k
    return logs, state, done


def near_divisor(total: int, k: int) -> int:
    """A divisor of ``total`` within a factor of two of ``k`` (nearest first), else ``k``.

    Chunks that divide the epoch leave no tail of single steps.
    """
    for delta in range(k):
        for d in (k + delta, k - delta):
            if k // 2 <= d <= 2 * k and d >= 2 and total % d == 0:
                return d
    return k


def chunk_length(k: int, left: int) -> int:
    """Steps in the next dispatch: ``k``, or for the epoch's tail one scan of what is
    left when that is worth a compile (at least 8 steps), else single steps."""
    if left >= k:
        return k
    return left if left >= _MIN_TAIL_SCAN else 1
