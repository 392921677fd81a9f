"""Reduction metrics: ``Sum``, ``Mean`` and ``MeanMetricWrapper`` (the mean of a function)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from .. import _masking, _registry
from ..losses._loss import apply_mask
from ..losses._wrapper import _MASKED_FORMS
from ._metric import Metric
from ._utils import divide_no_nan, match_ranks, to_array

# Functions and objects from these modules are losses: their mean should go down.
_LOSS_MODULES = ("heft.losses", "heft.metrics._regression")


def samplewise_values(
    values: Any, sample_weight: Any, reduce_fn: Callable, dtype: Any
) -> tuple[jax.Array, jax.Array | None]:
    """Weight ``values`` and reduce them to one value per sample.

    ``values`` and ``sample_weight`` are first brought to the same rank (see
    ``match_ranks``); axes of ``values`` beyond the weight's rank are reduced
    with ``reduce_fn``, the weight is broadcast over ``values`` and multiplied
    in, and weights of rank > 1 are reduced to one per sample. Finally axes
    after the first are reduced, leaving a scalar or a vector over samples.

    Returns:
        ``(values, sample_weight)``: the weighted per-sample values and the
        per-sample weights (``None`` when no weight was given).
    """
    mask = _masking.get_mask(values)
    values = to_array(values, dtype=dtype)
    if sample_weight is not None:
        sample_weight = to_array(sample_weight, dtype=dtype)
        if mask is not None:
            sample_weight = apply_mask(sample_weight, mask, dtype=dtype, reduction="sum")
        values, sample_weight = match_ranks(values, sample_weight)
        weight_ndim = sample_weight.ndim
        if values.ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values.ndim)))
        sample_weight = jnp.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of all values seen.

    Its one variable is ``total``.

    Args:
        name: The metric's name.
        dtype: The dtype of the result.

    >>> m = Sum()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> float(m.result())
    4.0
    """

    def __init__(self, name: str = "sum", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(
            shape=(), initializer="zeros", dtype=self.dtype, name="total"
        )

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        """Add the (weighted) sum of ``values``.

        Args:
            values: Values of any shape.
            sample_weight: Optional weights broadcastable to ``values``.
        """
        values, _ = samplewise_values(values, sample_weight, jnp.sum, self.dtype)
        self.total.assign_add(jnp.sum(values))

    def reset_state(self) -> None:
        self.total.assign(0)

    def result(self) -> jax.Array:
        return self.total.value.astype(self.dtype)


class Mean(Metric):
    """The (weighted) mean of all values seen: ``total / count``.

    Its variables are ``total`` and ``count``. Values of rank > 1 are first
    averaged per sample; with weights, ``count`` sums the weights.

    Args:
        name: The metric's name.
        dtype: The dtype of the result.

    >>> m = Mean()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> float(m.result())
    2.0
    """

    def __init__(self, name: str = "mean", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(
            shape=(), initializer="zeros", dtype=self.dtype, name="total"
        )
        self.count = self.add_variable(
            shape=(), initializer="zeros", dtype=self.dtype, name="count"
        )

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        """Accumulate the (weighted) sum of ``values`` and their count.

        Args:
            values: Values of any shape.
            sample_weight: Optional weights broadcastable to ``values``.
        """
        values, sample_weight = samplewise_values(values, sample_weight, jnp.mean, self.dtype)
        self.total.assign_add(jnp.sum(values))
        if sample_weight is not None:
            num_samples = jnp.sum(sample_weight)
        elif values.ndim >= 1:
            num_samples = values.shape[0]
        else:
            num_samples = 1
        self.count.assign_add(jnp.asarray(num_samples, dtype=self.dtype))

    def reset_state(self) -> None:
        self.total.assign(0)
        self.count.assign(0)

    def result(self) -> jax.Array:
        return divide_no_nan(self.total.value, self.count.value.astype(self.dtype))


class MeanMetricWrapper(Mean):
    """The mean of ``fn(y_true, y_pred, **kwargs)`` over all samples seen.

    Args:
        fn: A function ``fn(y_true, y_pred, **kwargs)`` returning one value per
            sample (or per element).
        name: The metric's name.
        dtype: The dtype of the result.
        **kwargs: Extra keyword arguments passed to ``fn``.

    >>> import numpy as np
    >>> def abs_error(y_true, y_pred):
    ...     return abs(y_true - y_pred)
    >>> m = MeanMetricWrapper(abs_error, name="abs_error")
    >>> m.update_state(np.array([0.0, 1.0]), np.array([1.0, 1.0]))
    >>> float(m.result())
    0.5
    """

    def __init__(
        self, fn: Callable, name: str | None = None, dtype: Any = None, **kwargs: Any
    ) -> None:
        if not callable(fn):
            raise TypeError(
                f"Argument `fn` of MeanMetricWrapper must be callable as "
                f"`fn(y_true, y_pred, **kwargs)`. Received: fn={fn!r} of type "
                f"{type(fn).__name__}. Pass a function such as "
                "`heft.metrics.binary_accuracy`."
            )
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        module = fn.__module__ if inspect.isfunction(fn) else type(fn).__module__
        if module.startswith(_LOSS_MODULES):
            self._direction = "down"

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Accumulate ``fn(y_true, y_pred)`` for one batch.

        Args:
            y_true: The targets.
            y_pred: The predictions.
            sample_weight: Optional weights per sample (or per element).
        """
        mask = _masking.get_mask(y_pred)
        masked_form = _MASKED_FORMS.get(self._fn)
        if masked_form is None:
            values = self._fn(y_true, y_pred, **self._fn_kwargs)
        else:
            # The loss marks entries it leaves out (an ignored class): they carry no weight.
            values, valid = masked_form(y_true, y_pred, **self._fn_kwargs)
            _masking.set_mask(values, valid)
        if mask is not None:
            sample_weight = apply_mask(sample_weight, mask, dtype=self.dtype, reduction="sum")
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), "fn": serialize_function(self._fn)}
        config.update(dict(self._fn_kwargs))
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> MeanMetricWrapper:
        config = dict(config)
        if "fn" in config:
            from ._get import deserialize_function

            config["fn"] = deserialize_function(config["fn"])
        return cls(**config)


def serialize_function(fn: Callable) -> Any:
    """The Keras config form of the function (or callable object) wrapped by a metric.

    Raises:
        ValueError: If ``fn`` is a lambda or an object without ``get_config``.
    """
    if inspect.isfunction(fn) or inspect.isbuiltin(fn):
        if fn.__name__ == "<lambda>":
            raise ValueError(
                "Cannot serialize a metric wrapping a lambda: it has no name to store in "
                "the config. Define the function with `def`, decorate it with "
                "`@heft.saving.register_keras_serializable()`, and wrap that function."
            )
        return {
            "module": "builtins",
            "class_name": "function",
            "config": _registry.get_registered_name(fn),
            "registered_name": "function",
        }
    if hasattr(fn, "get_config"):
        module = type(fn).__module__
        if module.startswith("heft."):
            module = "keras." + module.split(".")[1]
        return _registry.serialize_object(fn, module)
    raise ValueError(
        f"Cannot serialize the metric function {fn!r}: it is neither a named function nor "
        "an object with `get_config()`. Wrap a named, registered function instead."
    )
