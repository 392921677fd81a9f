"""``to_categorical`` and ``normalize``: class vectors to one-hot, rows to unit norm."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np


def to_categorical(x: Any, num_classes: int | None = None) -> Any:
    """One-hot encode integer class labels, the class axis last.

    A trailing axis of size 1 is dropped first (labels of shape ``(n, 1)``
    give ``(n, num_classes)``). NumPy-like input gives a float64 NumPy array;
    a JAX array gives a JAX array (``heft.ops.one_hot``).

    Args:
        x: Integer class labels in ``[0, num_classes)``.
        num_classes: Number of classes; by default ``max(x) + 1``.

    Raises:
        ValueError: If a label is negative or not below ``num_classes``.

    >>> to_categorical([0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]])
    """
    if isinstance(x, jax.Array):
        from .. import ops

        if x.ndim > 1 and x.shape[-1] == 1:
            x = x.reshape(x.shape[:-1])
        if num_classes is None:
            num_classes = int(jax.numpy.max(x)) + 1
        return ops.one_hot(x, num_classes)
    labels = np.array(x, dtype="int64")
    shape = labels.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    labels = labels.reshape(-1)
    if not num_classes:
        num_classes = int(np.max(labels)) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)][0]
        raise ValueError(
            f"to_categorical got class label {bad}, outside [0, {num_classes}). Labels must "
            "be integers from 0 to num_classes - 1; pass a larger `num_classes` or fix the labels."
        )
    categorical = np.zeros((labels.shape[0], num_classes))
    categorical[np.arange(labels.shape[0]), labels] = 1
    return categorical.reshape((*tuple(shape), num_classes))


def normalize(x: Any, axis: int = -1, order: int = 2) -> Any:
    """Divide ``x`` by its ``order``-norm along ``axis`` (zero norms left as 1).

    A NumPy array gives a NumPy array (computed in NumPy); anything else goes
    through ``heft.ops.normalize`` and gives a JAX array. Unlike Keras 3.15,
    ``axis=0`` on a NumPy array divides by the norms along axis 0.

    >>> normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    array([[0.6, 0.8],
           [0. , 0. ]])
    """
    if isinstance(x, np.ndarray):
        norm = np.atleast_1d(np.linalg.norm(x, order, axis))
        norm[norm == 0] = 1
        # The norm is put back on `axis` itself (Keras 3.15 puts it on the last axis
        # whenever `axis` is 0, which fails or divides by the wrong norms).
        return x / np.expand_dims(norm, -1 if axis is None else axis)
    from .. import ops

    return ops.normalize(x, axis=axis, order=order)
