"""The parts of a ``FeatureSpace``: feature and cross specs, and its two small layers."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Any

import jax.numpy as jnp

from .. import _serialization
from ..layers._layer import Layer

_MODULE = "keras.src.layers.preprocessing.feature_space"


def _check_mode(output_mode: str, allowed: tuple[str, ...]) -> None:
    if output_mode not in allowed:
        options = "{" + ", ".join(f"'{m}'" for m in allowed) + "}"
        raise ValueError(
            "Invalid value for argument `output_mode`. "
            f"Expected one of {options}. Received: output_mode={output_mode}"
        )


class Cross:
    """The spec of one feature cross: the features crossed, the hashing space, the encoding.

    Args:
        feature_names: The names of the features crossed (two or more).
        crossing_dim: The number of hash bins of the cross.
        output_mode: ``"one_hot"`` (multi-hot vectors of ``crossing_dim``) or ``"int"``.

    Raises:
        ValueError: For another ``output_mode``.
    """

    _keras_serialized_as = (_MODULE, "Cross")

    def __init__(
        self, feature_names: Iterable[str], crossing_dim: int, output_mode: str = "one_hot"
    ) -> None:
        _check_mode(output_mode, ("int", "one_hot"))
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self) -> str:
        """The cross's name: its feature names joined by ``"_X_"``."""
        return "_X_".join(self.feature_names)

    def get_config(self) -> dict[str, Any]:
        return {
            "feature_names": self.feature_names,
            "crossing_dim": self.crossing_dim,
            "output_mode": self.output_mode,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Cross:
        return cls(**config)


class Feature:
    """The spec of one feature: input dtype, preprocessing layer, encoding of its output.

    Args:
        dtype: The dtype of the feature's input (``"float32"``, ``"int32"``, ``"string"``).
        preprocessor: A preprocessing layer (or its serialized config).
        output_mode: ``"float"`` (used as it is), ``"int"`` or ``"one_hot"`` (multi-hot
            vectors of the preprocessor's output space).

    Raises:
        ValueError: For another ``output_mode``.
    """

    _keras_serialized_as = (_MODULE, "Feature")

    def __init__(self, dtype: str, preprocessor: Any, output_mode: str) -> None:
        _check_mode(output_mode, ("int", "one_hot", "float"))
        self.dtype = dtype
        if isinstance(preprocessor, dict):
            preprocessor = _serialization.deserialize_keras_object(preprocessor)
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self) -> dict[str, Any]:
        return {
            "dtype": self.dtype,
            "preprocessor": _serialization.serialize_keras_object(self.preprocessor),
            "output_mode": self.output_mode,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Feature:
        return cls(**config)


class TFDIdentity(Layer):
    """Returns its input unchanged (the preprocessor of ``FeatureSpace.float`` features)."""

    _keras_serialized_as = (_MODULE, "TFDIdentity")

    def call(self, x: Any) -> Any:
        return x

    def compute_output_spec(self, x: Any) -> Any:
        from .._symbolic import KerasTensor

        return KerasTensor(tuple(x.shape), x.dtype)


class TFDConcat(Layer):
    """Concatenates a list of arrays along ``axis`` (the last step of ``"concat"`` mode)."""

    _keras_serialized_as = (_MODULE, "TFDConcat")

    def __init__(self, axis: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, xs: Any) -> Any:
        return jnp.concatenate([jnp.asarray(x) for x in xs], axis=self.axis)

    def compute_output_spec(self, xs: Any) -> Any:
        from .._symbolic import KerasTensor

        shapes = [tuple(x.shape) for x in xs]
        axis = self.axis % len(shapes[0])
        sizes = [s[axis] for s in shapes]
        total = None if any(s is None for s in sizes) else builtins.sum(sizes)
        shape = (*shapes[0][:axis], total, *shapes[0][axis + 1 :])
        return KerasTensor(shape, str(jnp.result_type(*[x.dtype for x in xs])))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["axis"] = self.axis
        return config
