"""Batch sources for ``fit``/``evaluate``/``predict``: generators, ``PyDataset``, framework loaders.

Each source hands out raw batches epoch by epoch, with Keras 3's rules for
how many: ``steps_per_epoch`` draws that many from one iterator kept across
epochs; without it an epoch lasts until the source's iterator ends. Batches
are converted to host arrays here (``torch``/``tensorflow`` tensors through
their ``numpy()``); no framework is imported unless the data is of its type.
"""

from __future__ import annotations

import itertools
import math
import queue
import random
import threading
import types
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import jax
import numpy as np

from .._variable import Variable

_PEEKED = 2  # batches a generator is peeked for, and replayed from on later epochs


def _module_classes(x: Any) -> list[tuple[str, str]]:
    return [(c.__name__, str(c.__module__)) for c in type(x).__mro__]


def is_tf_dataset(x: Any) -> bool:
    return any(
        name in ("DatasetV2", "DistributedDataset", "DistributedDatasetsFromFunction")
        and "tensorflow.python." in module
        for name, module in _module_classes(x)
    )


def is_torch_dataloader(x: Any) -> bool:
    return any(
        name == "DataLoader" and "torch.utils.data" in module for name, module in _module_classes(x)
    )


def is_grain_dataset(x: Any) -> bool:
    return any(
        name in ("MapDataset", "IterDataset", "DataLoader") and "grain" in module
        for name, module in _module_classes(x)
    )


def is_py_dataset(x: Any) -> bool:
    from ..utils._py_dataset import PyDataset

    return isinstance(x, PyDataset)


def source_kind(x: Any) -> str:
    """``"PyDataset"``, ``"tf.data.Dataset"``, ``"torch DataLoader"``, ``"grain"``,
    ``"generator"`` or ``"iterable"``."""
    if is_py_dataset(x):
        return "PyDataset"
    if is_tf_dataset(x):
        return "tf.data.Dataset"
    if is_torch_dataloader(x):
        return "torch DataLoader"
    if is_grain_dataset(x):
        return "grain.Dataset and grain.DataLoader"
    if isinstance(x, types.GeneratorType):
        return "generator"
    return "iterable"


def check_no_y(x: Any, y: Any, sample_weight: Any, where: str) -> None:
    """Keras's error for ``y``/``sample_weight`` given beside a dataset ``x``."""
    kind = source_kind(x)
    for value, arg, what in (
        (y, "y", "the targets"),
        (sample_weight, "sample_weights", "the sample weights"),
    ):
        if value is not None:
            raise ValueError(
                f"When providing `x` as a {kind}, `{arg}` should not be passed. Instead, "
                f"{what} should be included as part of the {kind} (`{where}` received both)."
            )


# ---------------------------------------------------------------------- host conversion
def _leaf_to_host(a: Any) -> Any:
    if type(a) is np.ndarray and a.dtype not in _NARROWED:  # the common case, kept cheap
        return a
    if a is None:
        return None
    if isinstance(a, Variable):
        return a.value
    if isinstance(a, jax.Array):
        return a
    module = type(a).__module__
    if module.startswith("torch"):
        a = a.detach().cpu().numpy()
    elif module.startswith("tensorflow"):
        a = a.numpy()
    arr = np.asarray(a)
    if arr.dtype == np.float64:
        return arr.astype(np.float32)
    if arr.dtype == np.int64:
        return arr.astype(np.int32)
    return arr


_NARROWED = (np.dtype(np.float64), np.dtype(np.int64))


def to_host(tree: Any) -> Any:
    """Every leaf as a numpy (or jax) array; float64/int64 narrowed as Keras's floatx does."""
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    return jax.tree_util.tree_unflatten(treedef, [_leaf_to_host(a) for a in leaves])


def standardize(batch: Any, kind: str) -> tuple[Any, Any, Any]:
    """A raw batch as ``(x, y, sample_weight)``."""
    if isinstance(batch, dict) and kind != "iterable":
        return batch, None, None
    if isinstance(batch, list) and kind in ("torch DataLoader", "PyDataset"):
        batch = tuple(batch)
    if isinstance(batch, tuple):
        if len(batch) == 1:
            return batch[0], None, None
        if len(batch) == 2:
            return batch[0], batch[1], None
        if len(batch) == 3:
            return batch
        raise ValueError(
            "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
            f"found a tuple of length {len(batch)}."
        )
    return batch, None, None


def class_weights_of(y: Any, class_weight: dict[int, float]) -> np.ndarray:
    """Per-sample weights of one batch's targets (classes not in the dict weigh 1, as Keras)."""
    leaves = jax.tree_util.tree_leaves(y)
    if len(leaves) != 1:
        raise ValueError(
            "`class_weight` is only supported for models with a single output; received "
            f"{len(leaves)} targets. Use `sample_weight` instead."
        )
    labels = np.asarray(leaves[0])
    if labels.ndim > 1:
        labels = labels.argmax(axis=-1) if labels.shape[-1] != 1 else labels[..., 0]
    labels = np.round(labels).astype(np.int64).reshape(labels.shape[0], -1)[:, 0]
    return np.array([class_weight.get(int(c), 1.0) for c in labels], dtype=np.float32)


def _signature(tree: Any) -> tuple[Any, list[tuple[tuple[int, ...], Any]]]:
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    return treedef, [(np.shape(a), a.dtype) for a in leaves]


class Converter:
    """Turns raw batches into host ``(x, y, sample_weight)`` and checks they agree.

    The structure, ranks and dtypes of every batch must be those of the first;
    the batch axis may change (a smaller last batch) and so may other axes
    (the model decides whether it accepts them).
    """

    def __init__(self, kind: str, class_weight: dict[int, float] | None) -> None:
        self.kind = kind
        self.class_weight = class_weight
        self.first: tuple[Any, list[tuple[tuple[int, ...], Any]]] | None = None
        self.index = 0

    def __call__(self, raw: Any) -> tuple[Any, Any, Any]:
        index = self.index
        self.index += 1
        x, y, sw = standardize(raw, self.kind)
        x, y = to_host((x, y))
        if sw is not None:
            sw = np.asarray(_leaf_to_host(sw), dtype=np.float32)
        if self.class_weight is not None and y is not None:
            if sw is not None:
                raise ValueError(
                    "You cannot specify `class_weight` and `sample_weight` at the same time: "
                    f"batch {index} holds sample weights. Fold the class weights into them."
                )
            sw = class_weights_of(y, self.class_weight)
        self.check((x, y, sw), index)
        return x, y, sw

    def check(self, batch: Any, index: int) -> None:
        treedef, leaves = _signature(batch)
        if self.first is None:
            self.first = (treedef, leaves)
            return
        first_def, first_leaves = self.first
        if treedef == first_def and leaves == first_leaves:
            return
        if treedef != first_def:
            raise ValueError(
                f"The data source yielded batches of inconsistent structure: batch {index} is "
                f"{treedef}, but batch 0 was {first_def}. Yield the same structure (the same "
                "tuple length, dict keys and nesting) in every batch."
            )
        for pos, ((shape, dtype), (shape0, dtype0)) in enumerate(
            zip(leaves, first_leaves, strict=True)
        ):
            if len(shape) != len(shape0) or dtype != dtype0:
                raise ValueError(
                    f"The data source yielded inconsistent batches: array {pos} of batch {index} "
                    f"has shape {shape} and dtype {dtype}, but in batch 0 it had shape {shape0} "
                    f"and dtype {dtype0}. Every batch must have the same rank and dtype; only "
                    "the batch size (first axis) may change."
                )


# ---------------------------------------------------------------------- sources
class Source:
    """One data source: a fresh raw iterator per call, its length, and the epoch hooks."""

    def __init__(self, x: Any, kind: str, shuffle: bool = False) -> None:
        self.x = x
        self.kind = kind
        self.shuffle = shuffle
        self._peeked: list[Any] = []
        if kind == "generator":
            self._peeked = list(itertools.islice(x, _PEEKED))

    @property
    def num_batches(self) -> int | None:
        x = self.x
        if self.kind == "PyDataset":
            return x.num_batches
        if self.kind == "tf.data.Dataset":
            count = int(x.cardinality())
            return count if count >= 0 else None
        if self.kind in ("torch DataLoader",) or (
            self.kind.startswith("grain") and hasattr(x, "__len__")
        ):
            try:
                return len(x)
            except TypeError:
                return None
        return None

    def iterator(self) -> Iterator[Any]:
        x = self.x
        if self.kind == "generator":
            return itertools.chain(self._peeked, x)
        if self.kind == "PyDataset":
            return py_dataset_batches(x, self.shuffle)
        if self.kind == "tf.data.Dataset":
            return iter(x.as_numpy_iterator())
        return iter(x)

    def on_epoch_begin(self) -> None:
        if self.kind == "PyDataset":
            self.x.on_epoch_begin()

    def on_epoch_end(self) -> None:
        if self.kind == "PyDataset":
            self.x.on_epoch_end()


def py_dataset_batches(ds: Any, shuffle: bool) -> Iterator[Any]:
    """A ``PyDataset``'s batches in order (or shuffled), made ahead by its workers if it has any."""
    count = ds.num_batches
    indices: Iterator[int] | list[int] = itertools.count() if count is None else list(range(count))
    if shuffle and count is not None:
        random.shuffle(indices)  # type: ignore[arg-type]
    workers, multi = ds.workers, ds.use_multiprocessing
    if workers > 1 or (workers > 0 and multi):
        return _ordered_pool(ds, iter(indices), workers, multi, ds.max_queue_size)
    return (ds[i] for i in indices)


_POOL_DATASETS: dict[int, Any] = {}


def _pool_init(ds: Any) -> None:
    _POOL_DATASETS[0] = ds


def _pool_get(index: int) -> Any:
    return _POOL_DATASETS[0][index]


def _ordered_pool(
    ds: Any, indices: Iterator[int], workers: int, processes: bool, max_queue_size: int
) -> Iterator[Any]:
    """Batches made by ``workers`` threads (or processes), at most ``max_queue_size`` ahead."""
    import concurrent.futures as cf

    if processes:
        import multiprocessing

        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
        executor: cf.Executor = cf.ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context(method),
            initializer=_pool_init,
            initargs=(ds,),
        )
        submit: Callable[[int], cf.Future] = lambda i: executor.submit(_pool_get, i)  # noqa: E731
    else:
        executor = cf.ThreadPoolExecutor(workers)
        submit = lambda i: executor.submit(ds.__getitem__, i)  # noqa: E731
    pending: list[cf.Future] = []
    try:
        with warnings.catch_warnings():
            # The workers only run the dataset's ``__getitem__`` (no JAX), so forking
            # from a process that runs JAX's threads is safe here.
            warnings.filterwarnings("ignore", message=r"os\.fork\(\) was called")
            for i in itertools.islice(indices, max(1, max_queue_size)):
                pending.append(submit(i))
        while pending:
            future = pending.pop(0)
            nxt = next(indices, None)
            if nxt is not None:
                pending.append(submit(nxt))
            yield future.result()
    finally:
        for future in pending:
            future.cancel()
        executor.shutdown(wait=True, cancel_futures=True)


class EpochBatches:
    """Keras's epoch rules over a ``Source``: which raw batches each epoch draws.

    With ``steps_per_epoch``, one iterator is drawn from across epochs until it
    ends (then a fresh one); without it, each epoch takes a fresh iterator and
    ends with it. An iterator that ends before ``steps_per_epoch`` batches ends
    the epoch early with Keras's "ran out of data" warning.
    """

    def __init__(self, source: Source, steps_per_epoch: int | None) -> None:
        self.source = source
        self.steps = int(steps_per_epoch) if steps_per_epoch else None
        self.known = source.num_batches
        self._current: Iterator[Any] | None = None
        self._seen = 0
        self.ran_out = False

    @property
    def num_batches(self) -> int | None:
        return self.steps or self.known

    def epoch(self) -> Iterator[Any]:
        """The raw batches of one epoch (call the source's epoch hooks around it)."""
        self.ran_out = False
        limit = self.steps or self.known
        if self.steps is None or self._current is None:
            self._current = self.source.iterator()
            self._seen = 0
        drawn = 0
        while limit is None or drawn < limit:
            if self.known and self._seen >= self.known:
                if self.steps:
                    self.ran_out = True
                break
            try:
                batch = next(self._current)
            except StopIteration:
                if self.known is None:
                    self.known = self._seen
                if self.steps is not None or limit is not None:
                    self.ran_out = True
                self._current = None
                return
            self._seen += 1
            drawn += 1
            yield batch
        if self.known and self._seen >= self.known:
            self._current = None

    def warn_if_ran_out(self) -> None:
        if self.ran_out:
            warnings.warn(
                "Your input ran out of data; interrupting training. Make sure that your "
                "dataset or generator can generate at least `steps_per_epoch * epochs` "
                "batches. You may need to use the `.repeat()` function when building your "
                "dataset.",
                stacklevel=3,
            )


# ---------------------------------------------------------------------- prefetch
_DONE = object()


def _aligned_stack(arrays: list[Any], rows: int) -> np.ndarray:
    """``arrays`` stacked on a new first axis of ``rows`` (the rest zeros), 64-byte aligned.

    XLA's CPU client adopts a host array aligned to 64 bytes as a device buffer
    without copying it (other devices copy it either way), so a group of batches
    reaches the device with one copy, this one. The buffer is never written again.
    """
    first = np.asarray(arrays[0])
    shape = (rows, *first.shape)
    nbytes = math.prod(shape) * first.dtype.itemsize
    raw = np.empty(nbytes + _ALIGN, dtype=np.uint8)
    start = -raw.ctypes.data % _ALIGN
    out = raw[start : start + nbytes].view(first.dtype).reshape(shape)
    np.stack(arrays, out=out[: len(arrays)])
    out[len(arrays) :] = 0
    return out


_ALIGN = 64


class Prefetcher:
    """Converts and places batches on the device in a background thread, ``depth`` ahead.

    ``prepare(raw) -> item`` runs in the thread; items come out in order, each
    ``("one", batch)`` or, once :meth:`set_group` chose ``group`` > 1,
    ``("stack", (batches, count))``: ``count`` consecutive batches of one
    structure and shape stacked on the host into arrays with a leading axis of
    length ``group``. ``count`` is ``group`` except for the batches left when the
    source ends or changes shape, whose stack is padded with zeros to ``group``
    rows so that one compiled scan serves every stack; batches of another shape
    than the first grouped one (a smaller last batch) go one by one. An
    exception in the thread is raised where the item would have been taken.

    With ``grouped=True`` the thread sends the first batch alone and waits for
    :meth:`set_group` before preparing more, so every epoch groups alike.
    """

    def __init__(
        self,
        raw: Iterator[Any],
        prepare: Callable[[Any], Any],
        depth: int = 2,
        grouped: bool = False,
    ) -> None:
        self._raw = raw
        self._prepare = prepare
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._decided = threading.Event()
        if not grouped:
            self._decided.set()
        self.group = 1
        self._thread = threading.Thread(target=self._work, name="heft-prefetch", daemon=True)
        self._thread.start()

    def set_group(self, group: int) -> None:
        """Stack ``group`` batches per item from the next batch on."""
        self.group = group
        self._decided.set()

    def _wait_for_group(self) -> bool:
        while not self._decided.wait(timeout=0.1):
            if self._stop.is_set():
                return False
        return True

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _put_one(self, host: Any) -> bool:
        return self._put(("one", jax.device_put(host)))

    def _put_stack(self, held: list[list[Any]], treedef: Any, rows: int) -> bool:
        stacked = [_aligned_stack(list(column), rows) for column in zip(*held, strict=True)]
        batches = jax.device_put(jax.tree_util.tree_unflatten(treedef, stacked))
        return self._put(("stack", (batches, len(held))))

    def _flush(self, held: list[list[Any]], key: Any, main_key: Any) -> bool:
        if key == main_key:
            return self._put_stack(held, key[0], self.group)
        return all(self._put_one(jax.tree_util.tree_unflatten(key[0], h)) for h in held)

    def _work(self) -> None:
        held: list[list[Any]] = []  # the flat leaves of batches waiting for a full group
        held_key: Any = None
        main_key: Any = None  # the structure and shapes of the first grouped batch
        try:
            for raw in self._raw:
                if self._stop.is_set():
                    return
                host = self._prepare(raw)
                group = self.group
                if group <= 1:
                    if not self._put_one(host) or not self._wait_for_group():
                        return
                    continue
                leaves, treedef = jax.tree_util.tree_flatten(host)
                key = (treedef, [(np.shape(a), a.dtype) for a in leaves])
                main_key = main_key or key
                if held and key != held_key:
                    if not self._flush(held, held_key, main_key):
                        return
                    held = []
                held_key = key
                held.append(leaves)
                if len(held) == group:
                    if not self._put_stack(held, treedef, group):
                        return
                    held = []
            if held and not self._flush(held, held_key, main_key):
                return
            self._put(_DONE)
        except BaseException as e:  # handed to the consumer
            self._put(("error", e))

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if item[0] == "error":
                raise item[1]
            yield item

    def close(self) -> None:
        """Stop the thread (it ends after the batch it is preparing)."""
        self._stop.set()
        self._thread.join(timeout=60)
