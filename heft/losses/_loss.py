"""The ``Loss`` base class and the reduction of per-sample losses to one value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _config, _naming, dtype_policies
from .._variable import Variable
from ._utils import divide_no_nan, keras_mask_of, squeeze_or_expand_to_same_rank, to_tensor

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def standardize_reduction(reduction: str | None) -> str | None:
    """Check ``reduction`` is one of Keras's names and return it.

    Raises:
        ValueError: If ``reduction`` is not one of ``REDUCTIONS``.

    >>> standardize_reduction("sum")
    'sum'
    """
    if not isinstance(reduction, str | type(None)) or reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`. Expected one of {REDUCTIONS}. "
            f"Received: reduction={reduction!r}. Use 'sum_over_batch_size' (the default) "
            "for a mean over all loss values, or None/'none' to keep them all."
        )
    return reduction


def _holds_only_numbers(x: Any) -> bool:
    if isinstance(x, list | tuple):
        return all(_holds_only_numbers(e) for e in x)
    if isinstance(x, Mapping | Variable):
        return False
    return np.ndim(x) == 0


def _is_leaf(x: Any) -> bool:
    """Whether ``x`` is one tensor, not a dict/list/tuple of tensors.

    Nested lists of numbers (``[[0.0, 1.0]]``) are one tensor.
    """
    if isinstance(x, Mapping):
        return False
    if isinstance(x, list | tuple):
        return _holds_only_numbers(x)
    return True


def convert_structure(x: Any, dtype: Any) -> Any:
    """``x`` converted to ``dtype``: one array, or a dict/list/tuple of arrays."""
    if _is_leaf(x):
        return to_tensor(x, dtype)
    if isinstance(x, Mapping):
        return {key: convert_structure(value, dtype) for key, value in x.items()}
    return type(x)(convert_structure(value, dtype) for value in x)


def apply_mask(
    sample_weight: jax.Array | None, mask: jax.Array | None, dtype: Any, reduction: str | None
) -> jax.Array | None:
    """Fold a mask of valid entries into the sample weights.

    For the mean reductions, valid entries get weight ``total / valid`` so the
    mean is taken over valid entries only; otherwise the mask is 0/1.
    """
    if mask is None:
        return sample_weight
    if reduction in ("mean", "sum_over_batch_size"):
        total = jnp.asarray(int(np.prod(mask.shape)), jnp.int32).astype(dtype)
        valid = jnp.sum(mask.astype(dtype))
        mask_weight = divide_no_nan(total, valid)
        float_mask = jnp.where(mask.astype(bool), mask_weight, jnp.zeros((), dtype))
    else:
        float_mask = mask.astype(dtype)
    if sample_weight is None:
        return float_mask
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(
        float_mask, sample_weight.astype(dtype)
    )
    return sample_weight * float_mask


def _check_broadcastable(values_shape: tuple[int, ...], weight_shape: tuple[int, ...]) -> None:
    """Raise if the weights cannot multiply the values.

    Raises:
        TypeError: If the ranks are equal but a dimension differs (as JAX does).
        ValueError: If the ranks differ and the shapes do not broadcast.
    """
    try:
        jnp.broadcast_shapes(values_shape, weight_shape)
    except ValueError:
        error = TypeError if len(values_shape) == len(weight_shape) else ValueError
        raise error(
            f"`sample_weight` of shape {weight_shape} cannot be broadcast to the loss values "
            f"of shape {values_shape}. Pass one weight per sample (shape {values_shape[:1]}), "
            f"one per loss value (shape {values_shape}), or a scalar."
        ) from None


def reduce_values(
    values: jax.Array,
    sample_weight: jax.Array | None = None,
    reduction: str | None = "sum_over_batch_size",
) -> jax.Array:
    """Reduce (already weighted) loss values as ``reduction`` says.

    Scalars and empty vectors are returned unchanged. ``"sum_over_batch_size"``
    and ``"mean"`` divide the sum by the number of values;
    ``"mean_with_sample_weight"`` by the sum of the weights (when given).
    """
    if reduction is None or reduction == "none" or values.shape in ((), (0,)):
        return values
    loss = jnp.sum(values)
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            divisor = jnp.sum(sample_weight).astype(loss.dtype)
        else:
            divisor = jnp.asarray(int(np.prod(values.shape)), jnp.int32).astype(loss.dtype)
        loss = divide_no_nan(loss, divisor)
    return loss


def reduce_weighted_values(
    values: Any,
    sample_weight: Any = None,
    mask: Any = None,
    reduction: str | None = "sum_over_batch_size",
    dtype: Any = None,
) -> jax.Array:
    """Weight per-sample loss values, fold in the mask, and reduce them.

    Args:
        values: The unreduced loss values.
        sample_weight: Optional weights, broadcastable to ``values`` once a
            trailing size-1 axis is squeezed (or added) to match ranks.
        mask: Optional boolean mask of valid entries.
        reduction: One of ``REDUCTIONS``.
        dtype: The dtype to compute in.

    Returns:
        The reduced loss (or the weighted values for ``None``/``"none"``).

    Raises:
        ValueError: For an unknown ``reduction``, or weights that do not
            broadcast to the loss values.
    """
    reduction = standardize_reduction(reduction)
    values = to_tensor(values, dtype)
    if sample_weight is not None:
        sample_weight = to_tensor(sample_weight, dtype)
    if mask is not None:
        mask = to_tensor(mask, dtype)
    sample_weight = apply_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        sample_weight = sample_weight.astype(values.dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        _check_broadcastable(values.shape, sample_weight.shape)
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


class Loss:
    """Base class of losses: compute per-sample values in ``call``, then reduce them.

    Subclasses implement ``call(y_true, y_pred)``, returning one loss value per
    sample (or per entry). ``__call__`` converts both inputs to ``dtype``,
    applies ``sample_weight`` and reduces the result.

    Args:
        name: The loss's name; defaults to the snake_case class name.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``
            (the same as the default), ``"mean_with_sample_weight"`` (sum
            divided by the sum of the sample weights), or ``"none"``/``None``
            (no reduction).
        dtype: The dtype of the computation, or a dtype policy (its compute
            dtype is used). Defaults to ``floatx()``.

    Raises:
        ValueError: If ``reduction`` is not one of the names above.

    >>> import jax.numpy as jnp
    >>> class AbsoluteError(Loss):
    ...     def call(self, y_true, y_pred):
    ...         return jnp.abs(y_true - y_pred)
    >>> float(AbsoluteError()([0.0, 1.0], [1.0, 3.0]))
    1.5
    """

    def __init__(
        self,
        name: str | None = None,
        reduction: str | None = "sum_over_batch_size",
        dtype: Any = None,
    ) -> None:
        self.name = name or _naming.auto_name(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype_policy = dtype_policies.get(dtype or _config.floatx())
        self._dtype = self._dtype_policy.compute_dtype

    @property
    def dtype(self) -> str:
        """The dtype the loss is computed in."""
        return self._dtype

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> jax.Array:
        """The reduced loss of ``y_pred`` against ``y_true``.

        Args:
            y_true: Targets, shaped like ``y_pred`` (or as the loss documents).
            y_pred: Predictions.
            sample_weight: Optional weights: a scalar, one per sample, or one
                per loss value.

        Returns:
            A scalar for the reducing reductions; the weighted values otherwise.
        """
        in_mask = keras_mask_of(y_pred)
        y_pred = convert_structure(y_pred, self.dtype)
        y_true = convert_structure(y_true, self.dtype)
        values, out_mask = self._call_with_mask(y_true, y_pred)
        if in_mask is not None and out_mask is not None:
            mask = jnp.logical_and(jnp.asarray(in_mask, bool), jnp.asarray(out_mask, bool))
        else:
            mask = in_mask if in_mask is not None else out_mask
        return reduce_weighted_values(
            values,
            sample_weight=sample_weight,
            mask=mask,
            reduction=self.reduction,
            dtype=self.dtype,
        )

    def _call_with_mask(self, y_true: Any, y_pred: Any) -> tuple[Any, Any]:
        """``call``'s values and the mask of valid values (``None`` for all valid)."""
        values = self.call(y_true, y_pred)
        return values, keras_mask_of(values)

    def call(self, y_true: Any, y_pred: Any) -> jax.Array:
        """The unreduced loss values; subclasses must implement it.

        Raises:
            NotImplementedError: Always, on the base class.
        """
        raise NotImplementedError(
            f"{type(self).__name__} does not implement `call(y_true, y_pred)`. Subclasses of "
            "`Loss` must define it to return the unreduced loss values."
        )

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments: ``name`` and ``reduction``."""
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        """A new loss from ``get_config``'s output."""
        return cls(**config)
