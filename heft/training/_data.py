"""Training data: check, split, weight and batch what ``fit``/``evaluate``/``predict`` receive."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax
import numpy as np

from .._variable import Variable


def _is_array(x: Any) -> bool:
    return isinstance(x, np.ndarray | jax.Array | Variable) or (
        hasattr(x, "shape") and hasattr(x, "dtype") and hasattr(x, "__array__")
    )


def _leaves(x: Any) -> list[Any]:
    return jax.tree_util.tree_leaves(x, is_leaf=_is_array)


def _to_host(x: Any) -> Any:
    def convert(a: Any) -> Any:
        if isinstance(a, Variable):
            return a.value
        if isinstance(a, jax.Array):
            return a
        arr = np.asarray(a)
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        elif arr.dtype == np.int64:
            arr = arr.astype(np.int32)
        return arr

    return jax.tree_util.tree_map(convert, x, is_leaf=_is_array)


def is_array_data(x: Any) -> bool:
    """True when ``x`` is an array, or a list/tuple/dict of arrays."""
    if x is None:
        return False
    if _is_array(x):
        return True
    if isinstance(x, list | tuple | dict):
        leaves = _leaves(x)
        return bool(leaves) and all(_is_array(leaf) for leaf in leaves)
    return False


def num_samples(x: Any) -> int:
    return int(_leaves(x)[0].shape[0])


@dataclass
class ArrayData:
    """In-memory arrays: inputs, targets and per-sample weights, all of one length."""

    x: Any
    y: Any
    sample_weight: Any
    size: int

    def take(self, indices: np.ndarray) -> ArrayData:
        def pick(a: Any) -> Any:
            return None if a is None else jax.tree_util.tree_map(lambda v: v[indices], a)

        return ArrayData(pick(self.x), pick(self.y), pick(self.sample_weight), len(indices))


def make_array_data(
    x: Any, y: Any = None, sample_weight: Any = None, class_weight: Any = None, where: str = "fit"
) -> ArrayData:
    """Check that ``x``, ``y`` and ``sample_weight`` agree in length, and build weights."""
    if class_weight is not None and sample_weight is not None:
        raise ValueError(
            f"`{where}` received both `sample_weight` and `class_weight`. Pass one of them: "
            "fold the class weights into `sample_weight` if you need both."
        )
    x = _to_host(x)
    y = _to_host(y) if y is not None else None
    sizes = {"x": {int(leaf.shape[0]) if np.ndim(leaf) else 0 for leaf in _leaves(x)}}
    if y is not None:
        sizes["y"] = {int(leaf.shape[0]) if np.ndim(leaf) else 0 for leaf in _leaves(y)}
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float32)
        sizes["sample_weight"] = {int(sample_weight.shape[0]) if sample_weight.ndim else 0}
    all_sizes = set().union(*sizes.values())
    if len(all_sizes) != 1:
        detail = ", ".join(f"{k} sizes: {sorted(v)}" for k, v in sizes.items())
        raise ValueError(
            f"Data cardinality is ambiguous in `{where}`: the arrays do not all have the same "
            f"number of samples ({detail}). Make sure all arrays contain the same number of "
            "samples (the first dimension)."
        )
    size = all_sizes.pop()
    if class_weight is not None:
        if y is None:
            raise ValueError("`class_weight` needs targets `y` to weight samples by their class.")
        sample_weight = class_weight_to_sample_weight(y, class_weight)
    return ArrayData(x, y, sample_weight, size)


def class_weight_to_sample_weight(y: Any, class_weight: dict[int, float]) -> np.ndarray:
    """Per-sample weights from a ``{class index: weight}`` dict (int or one-hot targets)."""
    leaves = _leaves(y)
    if len(leaves) != 1:
        raise ValueError(
            "`class_weight` is only supported for models with a single output; received "
            f"{len(leaves)} targets. Use `sample_weight` instead."
        )
    labels = np.asarray(leaves[0])
    if labels.ndim > 1 and labels.shape[-1] > 1:
        labels = labels.argmax(axis=-1)
    labels = labels.reshape(labels.shape[0], -1)[:, 0].astype(np.int64)
    unknown = sorted(set(np.unique(labels).tolist()) - set(class_weight))
    if unknown:
        raise ValueError(
            f"`class_weight` has no entry for classes {unknown[:10]} present in the targets. "
            f"Received class_weight keys {sorted(class_weight)}; add a weight for every class."
        )
    table = np.zeros(max(max(class_weight), int(labels.max())) + 1, dtype=np.float32)
    for cls, weight in class_weight.items():
        table[int(cls)] = weight
    return table[labels]


def split_validation(data: ArrayData, validation_split: float) -> tuple[ArrayData, ArrayData]:
    """Keep the last ``validation_split`` fraction (before shuffling) for validation."""
    if not 0.0 < validation_split < 1.0:
        raise ValueError(
            f"`validation_split` must be a float between 0 and 1. Received: {validation_split}"
        )
    split_at = int(data.size * (1.0 - validation_split))
    if split_at == 0 or split_at == data.size:
        raise ValueError(
            f"`validation_split={validation_split}` leaves no training or no validation samples "
            f"out of {data.size}. Use a split that keeps samples on both sides."
        )
    return data.take(np.arange(split_at)), data.take(np.arange(split_at, data.size))


def unpack_batch(batch: Any) -> tuple[Any, Any, Any]:
    """``x``, ``(x, y)`` or ``(x, y, sample_weight)`` -> ``(x, y, sample_weight)``."""
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
