"""Connectionist temporal classification (CTC) loss for unaligned label sequences."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from .._typing import ArrayLike, DTypeLike
from ._utils import to_tensor
from ._wrapper import BuiltinLoss


def ctc(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """The CTC loss of label sequences given per-step class logits.

    Class 0 is the blank. Labels are read up to the number of non-zero entries
    of each row, so pad label rows with zeros at the end; every step of
    ``y_pred`` is used.

    Args:
        y_true: Integer labels, shape ``(batch_size, max_label_length)``.
        y_pred: Logits, shape ``(batch_size, steps, num_classes)``.

    Returns:
        The negative log-likelihood per sequence, shape ``(batch_size,)``.

    Raises:
        ValueError: If ``y_true`` is not 2-D or ``y_pred`` not 3-D.

    >>> ctc([[1]], [[[0.0, 0.0]]])
    Array([0.6931472], dtype=float32)
    """
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true)
    if y_true.ndim != 2:
        raise ValueError(
            "Targets `y_true` are expected to be a tensor of shape `(batch_size, max_length)` "
            f"in integer format. Received: y_true.shape={y_true.shape}. Pad label sequences "
            "with 0 to a common length."
        )
    if y_pred.ndim != 3:
        raise ValueError(
            "Logits `y_pred` are expected to be a tensor of shape `(batch_size, max_length, "
            f"num_classes)`. Received: y_pred.shape={y_pred.shape}. Pass per-step class logits."
        )
    labels = y_true.astype(jnp.int32)
    label_lengths = jnp.sum(y_true != 0, axis=-1).astype(jnp.int32)
    dtype = jnp.promote_types(y_pred.dtype, jnp.float32)
    logits = y_pred.astype(dtype)
    positions = jnp.arange(labels.shape[1])[None, :]
    label_paddings = (positions >= label_lengths[:, None]).astype(dtype)
    logit_paddings = jnp.zeros(logits.shape[:2], dtype)
    return optax.ctc_loss(logits, logit_paddings, labels, label_paddings, blank_id=0)


class CTC(BuiltinLoss):
    """The connectionist temporal classification loss (see ``ctc``).

    Args:
        reduction: How to reduce the per-sequence values (see ``Loss``).
        name: The loss's name.
        dtype: The dtype of the computation; defaults to ``floatx()``.

    >>> round(float(CTC()([[1]], [[[0.0, 0.0]]])), 6)
    0.693147
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "ctc",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(ctc, name=name, reduction=reduction, dtype=dtype)
