"""The step layer: pure, overridable ``train_step``/``test_step``/``predict_step`` and their parts.

These are Keras 3's JAX-trainer methods with the same names, arguments and
state layout, so a model that overrides ``train_step`` or ``compute_loss`` (a
GAN, a VAE, a contrastive model) is trained by ``fit`` with its override,
jitted. Every method here is a pure function of the values it is given: model
variables are read and written only through ``StatelessScope`` mappings.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from .. import _config, _scope
from ..utils import unpack_x_y_sample_weight
from ._state import PredictState, TestState, TrainState


class TrainingSteps:
    """Mixin giving ``Model`` Keras's step API; ``Trainer`` runs it over epochs."""

    # Set by `compile`; class defaults so that subclasses need no `__init__` call.
    compiled = False
    optimizer: Any = None
    loss: Any = None
    _compile_loss: Any = None
    _compile_metrics: Any = None
    _loss_tracker: Any = None

    # ------------------------------------------------------------------ metrics
    @property
    def metrics(self) -> list[Any]:
        """The model's metrics: the loss tracker, the compiled metrics (one metric,
        ``compile_metrics``), each output's loss tracker, then the metrics of the
        model and its layers (not those of nested models, which train on their own).
        """
        out: list[Any] = []
        if self.compiled:
            if self._loss_tracker is not None:
                out.append(self._loss_tracker)
            if self._compile_metrics is not None:
                out.append(self._compile_metrics)
            if self._compile_loss is not None:
                out.extend(self._compile_loss.metrics)
        out.extend(self._tracker.metrics)  # type: ignore[attr-defined]
        for layer in self._tracker.layers:  # type: ignore[attr-defined]
            if not isinstance(layer, TrainingSteps):
                out.extend(layer.metrics)
        return out

    @property
    def metrics_names(self) -> list[str]:
        """``[m.name for m in model.metrics]``."""
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        """Reset the state of every metric of ``model.metrics``."""
        for metric in self.metrics:
            metric.reset_state()

    def get_metrics_result(self) -> dict[str, Any]:
        """The value of each metric of ``model.metrics``, by name.

        A metric whose result is a dict (``compile_metrics``) adds its entries.
        Inside a step this reads the metrics' values from the step's scope.
        """
        results: dict[str, Any] = {}
        for metric in self.metrics:
            result = metric.result()
            if isinstance(result, dict):
                results.update(result)
            else:
                results[metric.name] = result
        return results

    def compute_metrics(
        self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None
    ) -> dict[str, Any]:
        """Update the compiled metrics with one batch and return ``get_metrics_result()``.

        Override it to update metrics of your own; the default ignores ``x``.
        """
        del x
        if self._compile_metrics is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    # ------------------------------------------------------------------ loss
    @property
    def losses(self) -> list[Any]:
        """The losses of the last call; inside a step, those of the step's forward pass."""
        override = self.__dict__.get("_losses_override")
        if override is not None:
            return list(override)
        return super().losses  # type: ignore[misc]

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Any:
        """The total loss of one batch: the compiled loss plus ``model.losses``.

        Override it for a loss of your own (it may update metrics of your own,
        which then appear in the logs). Each entry of ``model.losses`` (weight
        penalties, ``add_loss`` terms) is summed to a scalar first.

        Args:
            x: The inputs (unused by the default).
            y: The targets.
            y_pred: The model's outputs.
            sample_weight: Per-sample weights of the loss.
            training: Whether the step trains (unused by the default).

        Returns:
            A scalar; zero when there is no loss at all.
        """
        del x, training
        losses = []
        if self._compile_loss is not None:
            loss = self._compile_loss(y, y_pred, sample_weight)
            if loss is not None:
                losses.append(loss)
        for loss in self.losses:
            loss = jnp.asarray(loss)
            if not jnp.issubdtype(loss.dtype, jnp.floating):
                loss = loss.astype(_config.floatx())
            losses.append(jnp.sum(loss))
        if not losses:
            return jnp.zeros(())
        if len(losses) == 1:
            return losses[0]
        return jnp.sum(jnp.stack(losses))

    def _compute_loss(self, x: Any, y: Any, y_pred: Any, sample_weight: Any, training: bool) -> Any:
        """``compute_loss``, also for overrides written without the ``training`` argument."""
        if "training" in inspect.signature(self.compute_loss).parameters:
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def stateless_compute_loss(
        self,
        trainable_variables: Sequence[Any],
        non_trainable_variables: Sequence[Any],
        metrics_variables: Sequence[Any],
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> tuple[Any, tuple[list, list, list]]:
        """``compute_loss`` as a pure function of the variable values given.

        Returns:
            ``(loss, (trainable_values, non_trainable_values, metrics_values))``,
            the last two as ``compute_loss`` left them (it may update metrics).
        """
        trainable = self.trainable_variables  # type: ignore[attr-defined]
        non_trainable = self.non_trainable_variables  # type: ignore[attr-defined]
        metric_vars = self.metrics_variables
        mapping = [
            *zip(trainable, trainable_variables, strict=True),
            *zip(non_trainable, non_trainable_variables, strict=True),
            *zip(metric_vars, metrics_variables, strict=True),
        ]
        with _scope.StatelessScope(mapping) as scope:
            loss = self._compute_loss(x, y, y_pred, sample_weight, training)
        return loss, (
            list(trainable_variables),
            [scope.get_current_value(v) for v in non_trainable],
            [scope.get_current_value(v) for v in metric_vars],
        )

    @property
    def metrics_variables(self) -> list[Any]:
        """The variables of ``model.metrics``, metric by metric."""
        return [v for m in self.metrics for v in m.variables]

    def compute_loss_and_updates(
        self,
        trainable_variables: Sequence[Any],
        non_trainable_variables: Sequence[Any],
        metrics_variables: Sequence[Any],
        x: Any,
        y: Any,
        sample_weight: Any,
        training: bool = False,
        optimizer_variables: Sequence[Any] | None = None,
    ) -> tuple[Any, tuple[Any, Any, list, list]]:
        """The forward pass and the loss, as a function ``jax.value_and_grad`` can take.

        When training with an optimizer, the returned loss is scaled by
        ``optimizer.scale_loss`` (its ``loss_scale_factor``); the optimizer
        divides the gradients by the same factor.

        Returns:
            ``(loss, (unscaled_loss, y_pred, non_trainable_values, metrics_values))``.
        """
        kwargs = {"training": training} if self._call_has_training_arg else {}  # type: ignore[attr-defined]
        y_pred, non_trainable_variables, losses = self.stateless_call(  # type: ignore[attr-defined]
            trainable_variables, non_trainable_variables, x, return_losses=True, **kwargs
        )
        object.__setattr__(self, "_losses_override", losses or None)
        try:
            loss, (_, non_trainable_variables, metrics_variables) = self.stateless_compute_loss(
                trainable_variables,
                non_trainable_variables,
                metrics_variables,
                x=x,
                y=y,
                y_pred=y_pred,
                sample_weight=sample_weight,
                training=training,
            )
        finally:
            object.__setattr__(self, "_losses_override", None)
        unscaled_loss = loss
        if training and self.optimizer is not None:
            mapping = (
                list(zip(self.optimizer.variables, optimizer_variables, strict=True))
                if optimizer_variables is not None
                else None
            )
            with _scope.StatelessScope(mapping):
                loss = self.optimizer.scale_loss(loss)
        return loss, (unscaled_loss, y_pred, non_trainable_variables, metrics_variables)

    def _update_metrics_variables(
        self,
        metrics_variables: Sequence[Any],
        unscaled_loss: Any,
        x: Any,
        y: Any,
        y_pred: Any,
        sample_weight: Any,
    ) -> tuple[dict[str, Any], list]:
        """Track the loss, run ``compute_metrics``; return its logs and the new values."""
        metric_vars = self.metrics_variables
        with _scope.StatelessScope(list(zip(metric_vars, metrics_variables, strict=True))) as scope:
            if self._loss_tracker is not None:
                self._loss_tracker.update_state(unscaled_loss, sample_weight=_batch_size(x))
            logs = self.compute_metrics(x, y, y_pred, sample_weight)
        return logs, [scope.get_current_value(v) for v in metric_vars]

    # ------------------------------------------------------------------ steps
    def train_step(self, state: Any, data: Any) -> tuple[dict[str, Any], TrainState]:
        """One training step on one batch, as a pure function (``fit`` jits it).

        Args:
            state: ``(trainable_variables, non_trainable_variables,
                optimizer_variables, metrics_variables)``: lists of values.
            data: The batch: ``(x, y)`` or ``(x, y, sample_weight)``.

        Returns:
            ``(logs, state)``: the metrics' values after this batch and the new state.
        """
        trainable, non_trainable, optimizer_values, metric_values = state
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
        (_, aux), grads = grad_fn(
            trainable,
            non_trainable,
            metric_values,
            x,
            y,
            sample_weight,
            training=True,
            optimizer_variables=optimizer_values,
        )
        unscaled_loss, y_pred, non_trainable, metric_values = aux
        trainable, optimizer_values = self.optimizer.stateless_apply(
            optimizer_values, grads, trainable
        )
        logs, metric_values = self._update_metrics_variables(
            metric_values, unscaled_loss, x, y, y_pred, sample_weight
        )
        return logs, TrainState(trainable, non_trainable, optimizer_values, metric_values)

    def test_step(self, state: Any, data: Any) -> tuple[dict[str, Any], TestState]:
        """One evaluation step on one batch, as a pure function (``evaluate`` jits it).

        Args:
            state: ``(trainable_variables, non_trainable_variables, metrics_variables)``.
            data: The batch: ``(x, y)`` or ``(x, y, sample_weight)``.

        Returns:
            ``(logs, state)``.
        """
        trainable, non_trainable, metric_values = state
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        _, aux = self.compute_loss_and_updates(
            trainable, non_trainable, metric_values, x, y, sample_weight, training=False
        )
        unscaled_loss, y_pred, non_trainable, metric_values = aux
        logs, metric_values = self._update_metrics_variables(
            metric_values, unscaled_loss, x, y, y_pred, sample_weight
        )
        return logs, TestState(list(trainable), non_trainable, metric_values)

    def predict_step(self, state: Any, data: Any) -> tuple[Any, list]:
        """The model's outputs on one batch, as a pure function (``predict`` jits it).

        Args:
            state: ``(trainable_variables, non_trainable_variables)``.
            data: The batch's inputs (or ``(x,)``).

        Returns:
            ``(outputs, non_trainable_values)``.
        """
        trainable, non_trainable = state
        kwargs = {"training": False} if self._call_has_training_arg else {}  # type: ignore[attr-defined]
        x, _, _ = unpack_x_y_sample_weight(data)
        return self.stateless_call(trainable, non_trainable, x, **kwargs)  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ state
    def _train_state(self) -> TrainState:
        return TrainState(
            _values(self.trainable_variables),  # type: ignore[attr-defined]
            _values(self.non_trainable_variables),  # type: ignore[attr-defined]
            _values(self.optimizer.variables),
            _values(self.metrics_variables),
        )

    def _logs_from_metrics(self, metrics_variables: Sequence[Any]) -> dict[str, Any]:
        """``get_metrics_result()`` with the metrics holding ``metrics_variables``."""
        mapping = list(zip(self.metrics_variables, metrics_variables, strict=True))
        with _scope.StatelessScope(mapping):
            return self.get_metrics_result()


def _values(variables: Sequence[Any]) -> list[Any]:
    from .._variable import read_values

    return read_values(variables)


def _batch_size(x: Any) -> int:
    leaves = [leaf for leaf in jax.tree_util.tree_leaves(x) if leaf is not None]
    return int(jnp.shape(leaves[0])[0]) if leaves else 0


__all__ = ["PredictState", "TestState", "TrainState", "TrainingSteps"]
