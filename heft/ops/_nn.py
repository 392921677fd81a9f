"""Neural-network ops: one-hot and multi-hot encodings, crossentropies, PSNR."""

from __future__ import annotations

from typing import Any

import jax
import jax.nn as jnn
import jax.numpy as jnp

from .. import _config
from .._typing import ArrayLike, DTypeLike
from ._core import convert_to_tensor, jax_dtype
from ._dispatch import symbolic_op


@symbolic_op
def one_hot(
    x: ArrayLike, num_classes: int, axis: int = -1, dtype: DTypeLike = None, sparse: bool = False
) -> jax.Array:
    """One-hot encode the int tensor ``x`` into ``num_classes`` classes.

    Args:
        x: Int tensor of class indices (out-of-range indices give all-zero rows).
        num_classes: Number of classes.
        axis: Where the new class axis goes.
        dtype: The dtype of the result; ``floatx()`` by default.
        sparse: Must be false: heft only returns dense tensors.

    Returns:
        A tensor with one more axis than ``x``.

    Raises:
        ValueError: If ``sparse=True``.

    >>> ops.one_hot([0, 2], 3)
    Array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    if sparse:
        raise ValueError(
            "`sparse=True` is not supported by heft: pass sparse=False for a dense result."
        )
    dtype = jax_dtype(_config.floatx() if dtype is None else dtype)
    return jnn.one_hot(convert_to_tensor(x), num_classes, dtype=dtype, axis=axis)


@symbolic_op
def multi_hot(
    inputs: Any,
    num_classes: int | None = None,
    axis: int = -1,
    dtype: DTypeLike = None,
    sparse: bool = False,
    **kwargs: Any,
) -> jax.Array:
    """Multi-hot encode: a 1 for every class index present in each row of ``inputs``.

    Args:
        inputs: Int tensor of class indices, 1-D (one sample) or 2-D (a batch).
        num_classes: Number of classes (``num_tokens`` is accepted as an alias).
        axis: Where the class axis goes.
        dtype: The dtype of the result; ``floatx()`` by default.
        sparse: Must be false: heft only returns dense tensors.
        **kwargs: Only ``num_tokens``.

    Returns:
        Shape ``(num_classes,)`` for 1-D inputs, ``(batch, num_classes)`` for 2-D.

    Raises:
        ValueError: If ``num_classes`` is missing or ``sparse=True``.
        TypeError: If an unknown keyword argument is given.

    >>> ops.multi_hot([[0, 2], [1, 1]], 3)
    Array([[1., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    """
    if num_classes is None and "num_tokens" in kwargs:
        num_classes = kwargs.pop("num_tokens")
    if kwargs:
        raise TypeError(f"Unexpected keyword arguments for `multi_hot`: {sorted(kwargs)}.")
    if num_classes is None:
        raise ValueError("Argument `num_classes` must be specified. Received: num_classes=None")
    x = convert_to_tensor(inputs).astype(jnp.int32)
    encoded = one_hot(x, num_classes, axis=axis, dtype=dtype, sparse=sparse)
    return jnp.max(encoded, axis=1 if x.ndim > 1 else 0)


def _clip_probabilities(output: jax.Array) -> jax.Array:
    eps = _config.epsilon()
    return jnp.clip(output, eps, 1.0 - eps)


@symbolic_op
def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> jax.Array:
    """Elementwise binary crossentropy between ``target`` and ``output``.

    Args:
        target: Labels in ``[0, 1]``.
        output: Probabilities (clipped to ``[eps, 1 - eps]``), or logits when ``from_logits``.
        from_logits: Whether ``output`` holds logits.

    Returns:
        The loss per element (no reduction).

    Raises:
        ValueError: If ``target`` and ``output`` have different shapes.

    >>> ops.binary_crossentropy([1.0, 0.0], [0.5, 0.5])
    Array([0.6931472, 0.6931472], dtype=float32)
    """
    target, output = convert_to_tensor(target), convert_to_tensor(output)
    if target.shape != output.shape:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. Received: "
            f"target.shape={target.shape}, output.shape={output.shape}"
        )
    if from_logits:
        return -target * jnn.log_sigmoid(output) - (1.0 - target) * jnn.log_sigmoid(-output)
    output = _clip_probabilities(output)
    return -(target * jnp.log(output) + (1.0 - target) * jnp.log(1.0 - output))


def _log_probabilities(output: jax.Array, from_logits: bool, axis: int) -> jax.Array:
    if from_logits:
        return jnn.log_softmax(output, axis=axis)
    output = output / jnp.sum(output, axis, keepdims=True)
    return jnp.log(_clip_probabilities(output))


@symbolic_op
def categorical_crossentropy(
    target: Any, output: Any, from_logits: bool = False, axis: int = -1
) -> jax.Array:
    """Crossentropy between one-hot (or soft) ``target`` and ``output`` along ``axis``.

    Args:
        target: Class probabilities, same shape as ``output``.
        output: Probabilities (renormalized to sum to 1 and clipped), or logits.
        from_logits: Whether ``output`` holds logits.
        axis: The class axis.

    Returns:
        The loss, with ``axis`` reduced.

    Raises:
        ValueError: If the shapes differ or the inputs are scalars.

    >>> ops.categorical_crossentropy([[0.0, 1.0]], [[0.5, 0.5]])
    Array([0.6931472], dtype=float32)
    """
    target, output = convert_to_tensor(target), convert_to_tensor(output)
    if target.shape != output.shape:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. Received: "
            f"target.shape={target.shape}, output.shape={output.shape}"
        )
    if target.ndim < 1:
        raise ValueError(
            "Arguments `target` and `output` must be at least rank 1. Received: "
            f"target.shape={target.shape}, output.shape={output.shape}"
        )
    return -jnp.sum(target * _log_probabilities(output, from_logits, axis), axis=axis)


@symbolic_op
def sparse_categorical_crossentropy(
    target: Any, output: Any, from_logits: bool = False, axis: int = -1
) -> jax.Array:
    """Crossentropy between integer class ``target`` and ``output`` along ``axis``.

    Args:
        target: Int class indices, shaped like ``output`` without its class axis
            (a trailing axis of size 1 is also accepted).
        output: Probabilities (renormalized and clipped), or logits.
        from_logits: Whether ``output`` holds logits.
        axis: The class axis of ``output``.

    Returns:
        The loss per sample.

    Raises:
        ValueError: If ``output`` is a scalar, or ``target``'s shape does not match
            ``output``'s leading dimensions.

    >>> ops.sparse_categorical_crossentropy([1], [[0.5, 0.5]])
    Array([0.6931472], dtype=float32)
    """
    target = convert_to_tensor(target, dtype="int32")
    output = convert_to_tensor(output)
    if target.ndim == output.ndim and target.ndim > 0 and target.shape[-1] == 1:
        target = jnp.squeeze(target, axis=-1)
    if output.ndim < 1:
        raise ValueError(
            f"Argument `output` must be at least rank 1. Received: output.shape={output.shape}"
        )
    if target.shape != output.shape[:-1]:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape up to the last "
            f"dimension. Received: target.shape={target.shape}, output.shape={output.shape}"
        )
    log_prob = _log_probabilities(output, from_logits, axis)
    labels = jnn.one_hot(target, output.shape[axis], axis=axis, dtype=log_prob.dtype)
    return -jnp.sum(labels * log_prob, axis=axis)


@symbolic_op
def psnr(x1: ArrayLike, x2: ArrayLike, max_val: Any) -> jax.Array:
    """Peak signal-to-noise ratio between two images, in decibels.

    Args:
        x1: First image tensor.
        x2: Second image tensor, same shape.
        max_val: The largest possible pixel value (e.g. 1.0 or 255).

    Returns:
        A scalar float tensor.

    Raises:
        ValueError: If ``x1`` and ``x2`` have different shapes.

    >>> ops.psnr([0.0, 1.0], [0.0, 0.9], 1.0)
    Array(23.0103, dtype=float32)
    """
    x1, x2 = convert_to_tensor(x1), convert_to_tensor(x2)
    if x1.shape != x2.shape:
        raise ValueError(f"Input shapes {x1.shape} and {x2.shape} must match for PSNR calculation.")
    max_val = convert_to_tensor(max_val, dtype=x2.dtype)
    mse = jnp.mean(jnp.square(x1 - x2))
    return 20 * jnp.log10(max_val) - 10 * jnp.log10(mse)
