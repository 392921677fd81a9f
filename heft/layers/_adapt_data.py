"""The data that preprocessing layers' ``adapt`` reads, as a stream of numpy batches.

``adapt`` takes an array, a ``tf.data.Dataset`` (when TensorFlow is installed),
a dataset object with ``__getitem__`` and ``__len__`` (``PyDataset``,
``Sequence``) or any iterable of batches (a list, a generator). Batches that are
``(x, y)`` or ``(x, y, sample_weight)`` tuples contribute their ``x``. All of it
is read on the host with numpy: strings stay numpy string arrays.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np


def first_of_tuple(batch: Any) -> Any:
    """The inputs of a batch: ``x`` of an ``(x, y[, sample_weight])`` tuple, else the batch."""
    if isinstance(batch, tuple):
        return batch[0]
    return batch


def is_tf_dataset(data: Any) -> bool:
    """Whether ``data`` is a ``tf.data.Dataset`` (without importing TensorFlow)."""
    return type(data).__module__.startswith("tensorflow") and hasattr(data, "element_spec")


def is_indexed_dataset(data: Any) -> bool:
    """Whether ``data`` is a ``PyDataset``/``Sequence``-like object (indexed batches)."""
    return (
        hasattr(data, "__getitem__")
        and hasattr(data, "__len__")
        and not isinstance(data, list | tuple | dict | str | bytes | np.ndarray)
    )


def to_numpy(x: Any) -> np.ndarray:
    """A batch as a numpy array; strings become numpy ``str`` arrays (bytes decoded)."""
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        x = x.numpy()
    arr = np.asarray(x)
    if arr.dtype.kind == "S" or (arr.dtype.kind == "O" and _holds_bytes(arr)):
        arr = np.vectorize(_decode, otypes=[object])(arr).astype(str)
    return arr


def _holds_bytes(arr: np.ndarray) -> bool:
    flat = arr.reshape(-1)
    return flat.size > 0 and isinstance(flat[0], bytes)


def _decode(value: Any) -> Any:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def is_array(data: Any) -> bool:
    """Whether ``data`` is one array (numpy, JAX, a tensor or a nested list of values)."""
    if isinstance(data, np.ndarray):
        return True
    if hasattr(data, "shape") and hasattr(data, "dtype") and not is_tf_dataset(data):
        return True
    return False


def batches(data: Any, steps: int | None = None, tf_batch: int | None = None) -> Iterator[Any]:
    """The batches of non-array adapt data, ``x`` parts only, at most ``steps`` of them.

    Args:
        data: A ``tf.data.Dataset``, an indexed dataset or an iterable of batches.
        steps: The most batches to read; ``None`` reads them all.
        tf_batch: Batch a ``tf.data.Dataset`` of rank-0/1 elements by this size first.

    Raises:
        TypeError: If ``data`` is none of the accepted kinds.
    """
    source: Iterable[Any]
    if is_tf_dataset(data):
        if tf_batch is not None:
            spec = data.element_spec
            spec = spec[0] if isinstance(spec, tuple) else spec
            if spec.shape.rank is not None and spec.shape.rank <= 1:
                data = data.batch(tf_batch)
        source = data.as_numpy_iterator()
    elif is_indexed_dataset(data):
        source = (data[i] for i in range(len(data)))
    elif hasattr(data, "__iter__"):
        source = data
    else:
        raise TypeError(
            f"Unsupported data type: {type(data)}. `adapt` supports numpy arrays, tensors, "
            "a `tf.data.Dataset`, a `PyDataset`-like object (with `__getitem__` and `__len__`) "
            "and iterables of batches (a list of arrays, a generator)."
        )
    it = (first_of_tuple(b) for b in source)
    if steps is not None:
        return itertools.islice(it, int(steps))
    return it
