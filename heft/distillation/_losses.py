"""The distillation losses: how a teacher's outputs are compared with a student's.

``LogitsDistillation`` compares final outputs after dividing them by a
temperature; ``FeatureDistillation`` compares final outputs or the outputs of
named intermediate layers. Subclass ``DistillationLoss`` for other comparisons.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax.numpy as jnp

from .. import losses as losses_module
from . import _structure


def _to_loss(item: Any) -> Any:
    """A loss function or instance from a name, instance or ``None`` (kept)."""
    if item is None:
        return None
    if isinstance(item, str):
        return losses_module.get(item)
    return item


def _serialize_losses(loss: Any) -> Any:
    return _structure._map(losses_module.serialize, loss)


def _deserialize_losses(config: Any) -> Any:
    """Inverse of ``_serialize_losses``: a serialized loss is a dict with a ``class_name``."""
    if config is None or isinstance(config, str):
        return losses_module.deserialize(config) if config is not None else None
    if isinstance(config, Mapping):
        if "class_name" in config:
            return losses_module.deserialize(config)
        return {key: _deserialize_losses(value) for key, value in config.items()}
    if isinstance(config, list | tuple):
        return type(config)(_deserialize_losses(value) for value in config)
    return config


def _summed(loss_values: Any) -> Any:
    """The sum of the per-output losses, as one float32 scalar."""
    flat = [jnp.asarray(value, jnp.float32) for value in _structure.flatten(loss_values)]
    return jnp.sum(jnp.stack(flat))


class DistillationLoss:
    """The base class of distillation losses; subclasses define ``compute_loss``.

    ``Distiller`` calls ``validate_model_compatibility(teacher, student)`` once
    when it is built, then, at every step, ``validate_outputs`` and
    ``compute_loss`` with the teacher's and the student's outputs (or features).
    """

    def compute_loss(self, teacher_outputs: Any, student_outputs: Any, **kwargs: Any) -> Any:
        """The distillation loss (a scalar) between teacher and student outputs.

        Raises:
            NotImplementedError: Always, in the base class.
        """
        raise NotImplementedError("Subclasses must implement compute_loss")

    def validate_outputs(self, teacher_outputs: Any, student_outputs: Any) -> None:
        """Check that the outputs can be compared.

        Raises:
            ValueError: If the two outputs are not nested the same way.
        """
        _structure.assert_same_structure(teacher_outputs, student_outputs)

    def validate_model_compatibility(self, teacher: Any, student: Any) -> None:
        """Check that this loss can be used with these models (the base class accepts all)."""


class FeatureDistillation(DistillationLoss):
    """Compare the outputs of teacher and student layers (by default the final outputs).

    Each output's loss is averaged to a scalar; the scalars are summed.

    Args:
        loss: A loss name (``"mse"``, ``"cosine_similarity"``...), function or
            instance, or a nested structure of them matching the outputs, where
            ``None`` skips an output. At least one must not be ``None``.
        teacher_layer_name: The teacher layer whose output is compared
            (``None``: the teacher's final output).
        student_layer_name: The student layer whose output is compared
            (``None``: the student's final output).

    Raises:
        ValueError: If every loss is ``None`` or a loss name is unknown.

    >>> import numpy as np
    >>> loss = FeatureDistillation(loss="mse")
    >>> float(loss.compute_loss(np.ones((2, 3)), np.zeros((2, 3))))
    1.0
    """

    def __init__(
        self,
        loss: Any = "mse",
        teacher_layer_name: str | None = None,
        student_layer_name: str | None = None,
    ) -> None:
        self.teacher_layer_name = teacher_layer_name
        self.student_layer_name = student_layer_name
        self.loss = _structure._map(_to_loss, loss)
        if all(item is None for item in _structure.flatten(self.loss)):
            raise ValueError(
                "The `loss` argument in `FeatureDistillation` must contain at least one "
                f"non-`None` value. Received: loss={loss!r}. Pass a loss such as 'mse'."
            )

    def validate_model_compatibility(self, teacher: Any, student: Any) -> None:
        """Check that named layers exist, in models that have symbolic inputs.

        Raises:
            ValueError: If a layer name is given and a model is subclassed (no
                symbolic ``inputs``), or if a named layer is missing.
        """
        if self.teacher_layer_name is not None or self.student_layer_name is not None:
            subclassed = [
                role
                for role, model in (("teacher", teacher), ("student", student))
                if getattr(model, "inputs", None) is None
            ]
            if subclassed:
                raise ValueError(
                    "FeatureDistillation with specific layer names requires Functional or "
                    f"Sequential models. The {' and '.join(subclassed)} model(s) appear to be "
                    "subclassed (no symbolic inputs/outputs). Either use Functional/Sequential "
                    "models, or use FeatureDistillation without layer names (to distill final "
                    "outputs only), or use LogitsDistillation instead."
                )
        for role, model, name in (
            ("teacher", teacher, self.teacher_layer_name),
            ("student", student, self.student_layer_name),
        ):
            if name is not None:
                try:
                    model.get_layer(name=name)
                except ValueError as error:
                    raise ValueError(f"In {role} model: {error}") from None

    def validate_outputs(self, teacher_outputs: Any, student_outputs: Any) -> None:
        """Check that the outputs match each other and the structure of ``loss``.

        Raises:
            ValueError: If they are nested differently.
        """
        super().validate_outputs(teacher_outputs, student_outputs)
        try:
            _structure.assert_same_structure(self.loss, teacher_outputs)
        except ValueError as error:
            raise ValueError(
                f"Loss structure mismatch. Loss structure: {_structure.describe(self.loss)}, "
                f"Output structure: {_structure.describe(teacher_outputs)}. Give one loss per "
                f"output (None to skip one). Error: {error}"
            ) from None

    def compute_loss(self, teacher_outputs: Any, student_outputs: Any, **kwargs: Any) -> Any:
        """The sum over outputs of the mean of ``loss(teacher, student)``."""

        def one(loss_fn: Any, teacher: Any, student: Any) -> Any:
            if loss_fn is None:
                return 0.0
            return jnp.mean(loss_fn(teacher, student))

        return _summed(_structure.map_structure(one, self.loss, teacher_outputs, student_outputs))

    def get_config(self) -> dict[str, Any]:
        """``loss`` (serialized), ``teacher_layer_name`` and ``student_layer_name``."""
        return {
            "loss": _serialize_losses(self.loss),
            "teacher_layer_name": self.teacher_layer_name,
            "student_layer_name": self.student_layer_name,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> FeatureDistillation:
        """Rebuild the loss from ``get_config()``'s output."""
        config = dict(config)
        config["loss"] = _deserialize_losses(config["loss"])
        return cls(**config)


class LogitsDistillation(DistillationLoss):
    """Compare final outputs (logits) divided by a temperature.

    Both outputs are divided by ``temperature``. A ``heft.losses.KLDivergence``
    instance is applied to their softmax and its mean is multiplied by
    ``temperature ** 2``; any other loss (the function ``"kl_divergence"``
    given by name included, as in Keras) is applied to the scaled logits and
    averaged. Per-output losses are summed.

    Args:
        temperature: A positive number (default 3.0).
        loss: A loss name, function or instance, or a nested structure of them
            matching the outputs (``None`` skips an output; at least one must
            not be ``None``). Default ``"kl_divergence"``.

    Raises:
        ValueError: If every loss is ``None``, ``temperature`` is not a positive
            number, or a loss name is unknown.

    >>> import numpy as np
    >>> loss = LogitsDistillation(temperature=2.0, loss="mse")
    >>> float(loss.compute_loss(np.full((1, 2), 2.0), np.zeros((1, 2))))
    1.0
    """

    def __init__(self, temperature: float = 3.0, loss: Any = "kl_divergence") -> None:
        self.temperature = temperature
        self.loss = _structure._map(_to_loss, loss)
        if all(item is None for item in _structure.flatten(self.loss)):
            raise ValueError(
                "At least one loss must be non-`None`. "
                f"Received: loss={loss!r}. Pass a loss such as 'kl_divergence'."
            )
        if isinstance(temperature, bool) or not isinstance(temperature, int | float):
            raise ValueError(
                f"temperature must be a number, got {type(temperature)}. "
                "Pass a positive float such as 3.0."
            )
        if temperature <= 0.0:
            raise ValueError(f"temperature must be positive. Received: temperature={temperature}")

    def compute_loss(self, teacher_outputs: Any, student_outputs: Any, **kwargs: Any) -> Any:
        """The temperature-scaled loss, summed over outputs (see the class docstring)."""
        temperature = self.temperature

        def one(loss_fn: Any, teacher: Any, student: Any) -> Any:
            if loss_fn is None:
                return 0.0
            teacher = jnp.divide(jnp.asarray(teacher), temperature)
            student = jnp.divide(jnp.asarray(student), temperature)
            if isinstance(loss_fn, losses_module.KLDivergence):
                teacher_probs = _softmax(teacher)
                student_probs = _softmax(student)
                return jnp.mean(loss_fn(teacher_probs, student_probs)) * (temperature**2)
            return jnp.mean(loss_fn(teacher, student))

        return _summed(_structure.map_structure(one, self.loss, teacher_outputs, student_outputs))

    def get_config(self) -> dict[str, Any]:
        """``temperature`` and ``loss`` (serialized)."""
        return {"temperature": self.temperature, "loss": _serialize_losses(self.loss)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LogitsDistillation:
        """Rebuild the loss from ``get_config()``'s output."""
        config = dict(config)
        config["loss"] = _deserialize_losses(config["loss"])
        return cls(**config)


def _softmax(x: Any) -> Any:
    from .. import ops

    return ops.softmax(x, axis=-1)
