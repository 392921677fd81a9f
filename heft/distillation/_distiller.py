"""``Distiller``: a model that trains a student from a frozen teacher."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from .. import _registry
from .. import metrics as metrics_module
from ..models._model import Model
from . import _structure
from ._losses import DistillationLoss, FeatureDistillation, LogitsDistillation, _to_loss

_FINAL = "final_output"


class Distiller(Model):
    """Train ``student`` on its own loss and on how far it is from ``teacher``.

    The teacher is frozen (``teacher.trainable = False``); only the student's
    weights train. Each step's loss is
    ``w * student_loss + (1 - w) * sum_i(weight_i * distillation_loss_i)`` with
    ``w = student_loss_weight``; the student loss is the ``loss`` given to
    ``compile`` (sample weights are not used). Calling the distiller calls the
    student. Its weights are the teacher's, then the student's; its metrics add
    ``student_loss``, ``distillation_loss`` and ``total_loss`` trackers.
    ``get_config``/``from_config`` round-trip it; ``save`` (a whole-model
    ``.keras`` archive) is not supported: save ``distiller.student``.

    Args:
        teacher: A trained ``heft.Model``.
        student: The ``heft.Model`` to train.
        distillation_losses: A ``DistillationLoss`` or a list of them.
        distillation_loss_weights: One weight per loss (a list; default all 1.0).
            Ignored when a single loss (not a list) is given.
        student_loss_weight: A number in [0, 1] (default 0.5).
        name: The model's name (default ``"distiller"``).
        **kwargs: Other ``Model`` keyword arguments.

    Raises:
        ValueError: If a model is not a ``heft.Model``, the models' input or
            output shapes or dtypes differ, ``student_loss_weight`` is not a
            number in [0, 1], ``distillation_losses`` is ``None``, the weights
            and losses differ in number, or a loss rejects the models.

    >>> import heft, numpy as np
    >>> def mlp(name):
    ...     return heft.Sequential([heft.Input((4,)), heft.layers.Dense(3)], name=name)
    >>> distiller = Distiller(mlp("teacher"), mlp("student"), LogitsDistillation())
    >>> distiller.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    >>> history = distiller.fit(np.ones((4, 4)), np.zeros(4), verbose=0)
    >>> sorted(history.history)
    ['distillation_loss', 'loss', 'student_loss', 'total_loss']
    """

    _student_loss: Any = None

    def __init__(
        self,
        teacher: Any,
        student: Any,
        distillation_losses: Any,
        distillation_loss_weights: Any = None,
        student_loss_weight: float = 0.5,
        name: str = "distiller",
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        _check_models(teacher, student)
        if isinstance(student_loss_weight, bool) or not isinstance(
            student_loss_weight, int | float
        ):
            raise ValueError(
                f"student_loss_weight must be a number, got {type(student_loss_weight)}. "
                "Pass a float between 0.0 and 1.0."
            )
        if not 0.0 <= student_loss_weight <= 1.0:
            raise ValueError(
                f"student_loss_weight must be between 0.0 and 1.0, got {student_loss_weight}"
            )
        if distillation_losses is None:
            raise ValueError(
                "'distillation_losses' cannot be `None`. Provide a distillation loss (e.g., "
                "LogitsDistillation or FeatureDistillation) or a list of distillation losses."
            )
        if not isinstance(distillation_losses, list | tuple):
            distillation_losses = [distillation_losses]
            distillation_loss_weights = [1.0]
        elif distillation_loss_weights is None:
            distillation_loss_weights = [1.0] * len(distillation_losses)
        elif len(distillation_loss_weights) != len(distillation_losses):
            raise ValueError(
                f"Number of distillation_loss_weights ({len(distillation_loss_weights)}) must "
                f"match number of distillation_losses ({len(distillation_losses)})"
            )
        for distillation_loss in distillation_losses:
            distillation_loss.validate_model_compatibility(teacher, student)
        # Everything is checked: only now does the distiller take the models.
        self.teacher = teacher
        self.student = student
        self.student_loss_weight = student_loss_weight
        self.distillation_losses = distillation_losses
        self.distillation_loss_weights = distillation_loss_weights
        teacher_names = _layer_names(distillation_losses, "teacher_layer_name")
        student_names = _layer_names(distillation_losses, "student_layer_name")
        self._teacher_feature_extractor = _feature_extractor(teacher, teacher_names)
        self._student_feature_extractor = _feature_extractor(student, student_names)
        teacher.trainable = False
        self.student_loss_tracker = metrics_module.Mean(name="student_loss")
        self.distillation_loss_tracker = metrics_module.Mean(name="distillation_loss")
        self.total_loss_tracker = metrics_module.Mean(name="total_loss")

    def compile(  # type: ignore[override]
        self, optimizer: Any = "adam", loss: Any = None, metrics: Any = None, **kwargs: Any
    ) -> None:
        """Configure training: ``loss`` is the student's supervised loss (required).

        Args:
            optimizer: The optimizer (name or instance) of the student's weights.
            loss: A loss name, function or instance, or a structure of them
                matching the student's outputs.
            metrics: A list or tuple of metrics, or ``None``.
            **kwargs: Other ``Model.compile`` arguments.

        Raises:
            ValueError: If ``loss`` is ``None`` or ``metrics`` is not a list or tuple.
        """
        if loss is None:
            raise ValueError(
                "'loss' cannot be `None`. Pass the student's loss, e.g. "
                "loss='sparse_categorical_crossentropy'."
            )
        if metrics is not None and not isinstance(metrics, list | tuple):
            raise ValueError(
                f"metrics must be a list or tuple, got {type(metrics)}. "
                "Wrap it in a list: metrics=['accuracy']."
            )
        student_loss = _structure._map(_to_loss, loss)
        super().compile(optimizer=optimizer, loss=None, metrics=metrics, **kwargs)
        object.__setattr__(self, "_student_loss", student_loss)
        object.__setattr__(self, "_student_loss_for_serialization", loss)

    def call(self, inputs: Any, training: Any = None, **kwargs: Any) -> Any:
        """The student's output."""
        return self.student(inputs, training=training, **kwargs)

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Any:
        """The combined loss of one batch (see the class docstring); updates the trackers.

        Raises:
            ValueError: If a distillation loss returns a non-scalar.
            RuntimeError: If a loss names a layer whose features were not extracted.
        """
        if y_pred is None:
            y_pred = self(x, training=training)
        student_loss: Any = 0.0
        if self.student_loss_weight > 0.0 and y is not None:
            values = _structure.map_structure(
                lambda fn, target, prediction: fn(target, prediction),
                self._student_loss,
                y,
                y_pred,
            )
            flat = _structure.flatten(values)
            student_loss = jnp.sum(jnp.stack(flat)) if len(flat) > 1 else flat[0]
            if jnp.ndim(student_loss) > 0:
                student_loss = jnp.mean(student_loss)
        distillation_loss: Any = 0.0
        if self.student_loss_weight < 1.0:
            teacher_features = self._teacher_features(x)
            student_features = self._student_features(x, y_pred)
            for loss_fn, weight in zip(
                self.distillation_losses, self.distillation_loss_weights, strict=True
            ):
                if getattr(loss_fn, "teacher_layer_name", None) is not None:
                    try:
                        teacher_out = _pick(loss_fn, teacher_features, "teacher")
                        student_out = _pick(loss_fn, student_features, "student")
                    except ValueError as error:
                        raise RuntimeError(
                            f"Failed to extract features for {type(loss_fn).__name__} targeting "
                            f"teacher layer '{loss_fn.teacher_layer_name}' and student layer "
                            f"'{loss_fn.student_layer_name}'. Original error: {error}"
                        ) from error
                else:
                    teacher_out = teacher_features[_FINAL]
                    student_out = y_pred
                loss_fn.validate_outputs(teacher_out, student_out)
                value = loss_fn.compute_loss(teacher_out, student_out)
                if jnp.ndim(value) > 0:
                    raise ValueError(
                        f"Distillation loss {type(loss_fn).__name__} returned a non-scalar loss "
                        f"with shape {jnp.shape(value)}. The compute_loss method must return a "
                        "scalar tensor."
                    )
                distillation_loss = jnp.add(distillation_loss, jnp.multiply(weight, value))
        total_loss = jnp.add(
            jnp.multiply(self.student_loss_weight, student_loss),
            jnp.multiply(jnp.subtract(1.0, self.student_loss_weight), distillation_loss),
        )
        self.student_loss_tracker.update_state(student_loss)
        self.distillation_loss_tracker.update_state(distillation_loss)
        self.total_loss_tracker.update_state(total_loss)
        return total_loss

    def _teacher_features(self, x: Any) -> dict[str, Any]:
        if self._teacher_feature_extractor is not None:
            return dict(self._teacher_feature_extractor(x, training=False))
        return {_FINAL: self.teacher(x, training=False)}

    def _student_features(self, x: Any, y_pred: Any) -> dict[str, Any]:
        if self._student_feature_extractor is not None:
            return dict(self._student_feature_extractor(x, training=True))
        return {_FINAL: y_pred}

    def save(
        self, filepath: str, overwrite: bool = True, zipped: bool | None = None, **kwargs: Any
    ) -> None:
        """Not supported: heft cannot yet write a distiller as a ``.keras`` archive.

        Raises:
            NotImplementedError: Always, before any file is touched. Save the
                trained ``distiller.student`` instead, or use ``save_weights``.
        """
        raise NotImplementedError(
            f"Saving a whole Distiller to {filepath!r} is not supported. Save the trained "
            "student with `distiller.student.save(path)`, or the weights of the teacher and "
            "the student with `distiller.save_weights(path)`."
        )

    def get_config(self) -> dict[str, Any]:
        """The model's base config with ``teacher``, ``student``, ``distillation_losses``,
        ``distillation_loss_weights`` and ``student_loss_weight`` (Keras's keys)."""
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": _dtype_config(self),
        }
        config.update(
            {
                "teacher": _serialize_model(self.teacher),
                "student": _serialize_model(self.student),
                "distillation_losses": [
                    _serialize_distillation_loss(loss) for loss in self.distillation_losses
                ],
                "distillation_loss_weights": self.distillation_loss_weights,
                "student_loss_weight": self.student_loss_weight,
            }
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Distiller:
        """Rebuild the distiller (new models, fresh weights) from ``get_config()``'s output."""
        from .. import layers

        config = dict(config)
        config["teacher"] = layers.deserialize(config["teacher"], custom_objects)
        config["student"] = layers.deserialize(config["student"], custom_objects)
        config["distillation_losses"] = [
            _deserialize_distillation_loss(item, custom_objects)
            for item in config["distillation_losses"]
        ]
        return cls(**config)


def _check_models(teacher: Any, student: Any) -> None:
    """Raise ``ValueError`` unless both are models with compatible inputs and outputs."""
    for role, model in (("Teacher", teacher), ("Student", student)):
        if not isinstance(model, Model):
            raise ValueError(
                f"{role} must be a keras.Model, got {type(model)}. Wrap it in a "
                "heft.Model (Sequential, Functional or a subclass)."
            )
    for attribute, context in (("inputs", "input"), ("outputs", "output")):
        first, second = getattr(teacher, attribute, None), getattr(student, attribute, None)
        if first is None or second is None:
            continue
        _structure.map_structure(
            lambda a, b, c=context: _check_shapes(a.shape, b.shape, c), first, second
        )
    for attribute, context in (("inputs", "input"), ("outputs", "output")):
        first, second = getattr(teacher, attribute, None), getattr(student, attribute, None)
        if first is None or second is None:
            return
        _structure.map_structure(
            lambda a, b, c=context: _check_dtypes(a.dtype, b.dtype, c), first, second
        )


def _check_shapes(teacher_shape: Any, student_shape: Any, context: str) -> None:
    if len(teacher_shape) != len(student_shape):
        raise ValueError(
            f"Teacher and student {context} shapes have different dimensions. "
            f"Teacher: {teacher_shape}, Student: {student_shape}."
        )
    for first, second in zip(teacher_shape, student_shape, strict=True):
        if first is not None and second is not None and first != second:
            raise ValueError(
                f"Teacher and student {context} shapes are incompatible. Teacher: "
                f"{teacher_shape}, Student: {student_shape}. All dimensions must match."
            )


def _check_dtypes(teacher_dtype: Any, student_dtype: Any, context: str) -> None:
    if teacher_dtype != student_dtype:
        raise ValueError(
            f"Teacher and student {context} dtypes must match. "
            f"Teacher: {teacher_dtype}, Student: {student_dtype}."
        )


def _layer_names(distillation_losses: Any, attribute: str) -> list[str]:
    """The distinct layer names the losses ask for, in first-seen order."""
    names: list[str] = []
    for loss in distillation_losses:
        name = getattr(loss, attribute, None)
        if name and name not in names:
            names.append(name)
    return names


def _feature_extractor(model: Any, layer_names: list[str]) -> Any:
    """A Functional model giving ``final_output`` and each named layer's output, or ``None``."""
    if not layer_names:
        return None
    if getattr(model, "inputs", None) is None:
        raise ValueError(
            f"Cannot create feature extractor for {model.name}. "
            "The model has no symbolic inputs attribute."
        )
    from ..models import Sequential

    final = model.layers[-1].output if isinstance(model, Sequential) else model.output
    outputs = {_FINAL: final}
    for name in layer_names:
        outputs[name] = model.get_layer(name=name).output
    return Model(inputs=model.inputs, outputs=outputs, name=f"{model.name}_multi_feature_extractor")


def _pick(loss: Any, features: dict[str, Any], role: str) -> Any:
    name = getattr(loss, f"{role}_layer_name") or _FINAL
    if name not in features:
        raise ValueError(
            f"Layer '{name}' not found in extracted features. Available: {list(features)}"
        )
    return features[name]


def _dtype_config(model: Any) -> Any:
    from .. import dtype_policies

    return dtype_policies.serialize(model.dtype_policy)


def _serialize_model(model: Any) -> dict[str, Any]:
    from .. import layers
    from ..saving._model_config import compile_config

    config = layers.serialize(model)
    config["compile_config"] = compile_config(model)
    return config


_BUILTIN_LOSSES: dict[str, Any] = {
    "DistillationLoss": DistillationLoss,
    "LogitsDistillation": LogitsDistillation,
    "FeatureDistillation": FeatureDistillation,
}


def _serialize_distillation_loss(loss: Any) -> dict[str, Any]:
    """Keras's dict form; the built-in losses are filed under ``keras.distillation``."""
    cls = type(loss)
    registered = _registry.get_registered_name(cls)
    builtin = _BUILTIN_LOSSES.get(cls.__name__) is cls
    return {
        "module": "keras.distillation" if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": loss.get_config(),
        "registered_name": None if builtin or registered == cls.__name__ else registered,
    }


def _deserialize_distillation_loss(config: Any, custom_objects: Any) -> Any:
    if isinstance(config, DistillationLoss):
        return config
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"Could not interpret distillation loss config: {config!r}. Expected a dict with "
            "'class_name' and 'config', as in `Distiller.get_config()['distillation_losses']`."
        )
    name = config.get("registered_name") or config["class_name"]
    cls = _registry.get_registered_object(name, custom_objects, _BUILTIN_LOSSES)
    if cls is None:
        cls = _registry.get_registered_object(config["class_name"], custom_objects, _BUILTIN_LOSSES)
    if cls is None:
        raise ValueError(
            f"Unknown distillation loss {config['class_name']!r}. Register a custom class with "
            "`heft.saving.register_keras_serializable()` or pass it in `custom_objects`."
        )
    if hasattr(cls, "from_config"):
        return cls.from_config(config.get("config", {}))
    return cls(**config.get("config", {}))
