"""``R2Score``: the coefficient of determination, per output or aggregated, optionally adjusted."""

from __future__ import annotations

import warnings
from typing import Any

import jax
import jax.numpy as jnp

from .._typing import ArrayLike, DTypeLike
from ._f_score import check_2d
from ._metric import Metric
from ._utils import match_ranks, to_array

_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    """The coefficient of determination ``1 - SS_res / SS_tot``, accumulated over batches.

    Its variables are ``num_samples`` (created at once) and, on the first
    ``update_state``, ``squared_sum``, ``sum``, ``residual`` and ``count``, each
    of shape ``(num_outputs,)``. Outputs whose targets have zero variance
    score 0.

    Args:
        class_aggregation: ``"uniform_average"`` (mean over outputs),
            ``"variance_weighted_average"`` (weighted by each output's
            variance) or ``None`` (one score per output).
        num_regressors: The number of independent variables; when > 0 the
            adjusted R² ``1 - (1 - R²)(n - 1) / (n - p - 1)`` is returned, ``n``
            counting every target value seen.
        name: The metric's name.
        dtype: The dtype of the result.

    Raises:
        ValueError: For an unknown ``class_aggregation`` or a negative
            ``num_regressors``.

    >>> m = R2Score()
    >>> m.update_state([[1.0], [2.0], [3.0]], [[1.0], [2.0], [2.0]])
    >>> float(m.result())
    0.5
    """

    def __init__(
        self,
        class_aggregation: str | None = "uniform_average",
        num_regressors: int = 0,
        name: str = "r2_score",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if class_aggregation not in _AGGREGATIONS:
            raise ValueError(
                "Invalid value for argument `class_aggregation`. Expected one of "
                f"{_AGGREGATIONS}. Received: class_aggregation={class_aggregation}"
            )
        if num_regressors < 0:
            raise ValueError(
                "Invalid value for argument `num_regressors`. Expected a value >= 0. "
                f"Received: num_regressors={num_regressors}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable((), "zeros", name="num_samples")
        self._built = False

    def _build(self, y_true_shape: tuple, y_pred_shape: tuple) -> None:
        check_2d(type(self).__name__, y_true_shape, y_pred_shape)
        shape = (y_pred_shape[-1],)
        self.squared_sum = self.add_variable(shape, "zeros", name="squared_sum")
        self.sum = self.add_variable(shape, "zeros", name="sum")
        self.total_mse = self.add_variable(shape, "zeros", name="residual")
        self.count = self.add_variable(shape, "zeros", name="count")
        self._built = True

    def update_state(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        """Accumulate sums, squared sums, residuals and counts per output.

        Args:
            y_true: Targets of shape ``(samples, outputs)``.
            y_pred: Predictions of the same shape.
            sample_weight: Optional weights, per sample or per value.

        Raises:
            ValueError: On the first call, if the inputs are not 2-D.
        """
        y_true = to_array(y_true, dtype=self.dtype)
        y_pred = to_array(y_pred, dtype=self.dtype)
        y_true, y_pred = match_ranks(y_true, y_pred)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        weight = to_array(1 if sample_weight is None else sample_weight, dtype=self.dtype)
        if weight.ndim == 1:
            weight = jnp.expand_dims(weight, 1)
        weight = jnp.broadcast_to(weight, y_true.shape).astype(y_true.dtype)
        weighted_true = y_true * weight
        self.sum.assign(self.sum.value + jnp.sum(weighted_true, axis=0))
        self.squared_sum.assign(self.squared_sum.value + jnp.sum(y_true * weighted_true, axis=0))
        residual = jnp.sum(jnp.square(y_true - y_pred) * weight, axis=0)
        self.total_mse.assign(self.total_mse.value + residual)
        self.count.assign(self.count.value + jnp.sum(weight, axis=0))
        self.num_samples.assign(self.num_samples.value + y_true.size)

    def result(self) -> jax.Array:
        total_sum = self.sum.value
        mean = total_sum / self.count.value
        total = self.squared_sum.value - total_sum * mean
        raw = 1 - self.total_mse.value / total
        raw = jnp.where(jnp.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = jnp.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = jnp.sum(total * raw) / jnp.sum(total)
        else:
            score = raw
        if self.num_regressors == 0:
            return score
        return self._adjusted(score)

    def _adjusted(self, score: jax.Array) -> jax.Array:
        n = self.num_samples.value.astype(jnp.float32)
        p = float(self.num_regressors)
        adjusted = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
        if isinstance(n, jax.core.Tracer):
            # Inside ``jit`` the sample count is not known: fall back silently.
            return jnp.where(p < n - 1, adjusted, score)
        if p > float(n) - 1:
            warnings.warn(
                "More independent predictors than datapoints in adjusted R2 score. "
                "Falling back to standard R2 score.",
                stacklevel=2,
            )
            return score
        if p == float(n) - 1:
            warnings.warn(
                "Division by zero in Adjusted R2 score. Falling back to standard R2 score.",
                stacklevel=2,
            )
            return score
        return adjusted

    def reset_state(self) -> None:
        for variable in self.variables:
            variable.assign(jnp.zeros(variable.shape, dtype=variable.dtype))

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }
