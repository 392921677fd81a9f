"""``LossFunctionWrapper``: a ``Loss`` made from a function ``fn(y_true, y_pred, **kwargs)``."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import jax
import numpy as np

from .. import _registry
from ._loss import Loss, _is_leaf
from ._utils import squeeze_or_expand_to_same_rank

# Public loss functions whose values come with a mask of valid entries (e.g. the
# entries of an ignored class), mapped to a form returning ``(values, mask)``.
_MASKED_FORMS: dict[Callable, Callable] = {}


def register_masked_form(fn: Callable, masked_fn: Callable) -> None:
    """Declare that ``masked_fn`` computes ``fn``'s values plus a validity mask."""
    _MASKED_FORMS[fn] = masked_fn


def serialize_function(fn: Callable) -> dict[str, Any]:
    """Keras's config form of a named function: ``{"class_name": "function", ...}``.

    Raises:
        ValueError: If ``fn`` is a lambda, which has no name to store.
    """
    if fn.__name__ == "<lambda>":
        raise ValueError(
            "Cannot serialize a lambda loss function: it has no name to store in the "
            "config. Define the function with `def`, decorate it with "
            "`@heft.saving.register_keras_serializable()`, and use that function."
        )
    return {
        "module": "builtins",
        "class_name": "function",
        "config": _registry.get_registered_name(fn),
        "registered_name": "function",
    }


def serialize_value(value: Any) -> Any:
    """A config value in Keras's serialized form (plain values pass through).

    Raises:
        TypeError: If ``value`` is an object without ``get_config``.
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list | tuple):
        items = [serialize_value(v) for v in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, Mapping):
        return {key: serialize_value(v) for key, v in value.items()}
    if inspect.isfunction(value):
        return serialize_function(value)
    if hasattr(value, "get_config"):
        from ._get import serialize

        return serialize(value)
    raise TypeError(
        f"Cannot serialize the loss argument {value!r} of type {type(value).__name__}: "
        "only plain values, named functions and objects with `get_config()` can be stored "
        "in a config."
    )


class LossFunctionWrapper(Loss):
    """A loss computing ``fn(y_true, y_pred, **kwargs)`` per sample, then reducing it.

    Before ``fn`` is called, a trailing size-1 axis on ``y_true`` or ``y_pred``
    is squeezed (or added) so their ranks agree.

    Args:
        fn: The per-sample loss function.
        reduction: How to reduce the values (see ``Loss``).
        name: The loss's name; defaults to ``"loss_function_wrapper"``.
        dtype: The dtype of the computation; defaults to ``floatx()``.
        **kwargs: Extra keyword arguments passed to ``fn`` on every call.

    >>> from heft.losses import huber
    >>> loss = LossFunctionWrapper(huber, delta=0.5)
    >>> float(loss([[0.0, 0.0]], [[0.25, 2.0]]))
    0.453125
    """

    def __init__(
        self,
        fn: Callable,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def _matched(self, y_true: Any, y_pred: Any) -> tuple[Any, Any]:
        if _is_leaf(y_true) and _is_leaf(y_pred):
            return squeeze_or_expand_to_same_rank(y_true, y_pred)
        true_leaves, true_def = jax.tree_util.tree_flatten(y_true)
        pred_leaves, pred_def = jax.tree_util.tree_flatten(y_pred)
        if true_def != pred_def:
            raise ValueError(
                f"`y_true` and `y_pred` must have the same structure for {self.name!r}. "
                f"Received: y_true structure {true_def}, y_pred structure {pred_def}. "
                "Pass targets nested exactly like the predictions."
            )
        pairs = [
            squeeze_or_expand_to_same_rank(t, p)
            for t, p in zip(true_leaves, pred_leaves, strict=True)
        ]
        return (
            jax.tree_util.tree_unflatten(true_def, [t for t, _ in pairs]),
            jax.tree_util.tree_unflatten(pred_def, [p for _, p in pairs]),
        )

    def call(self, y_true: Any, y_pred: Any) -> jax.Array:
        """``fn`` applied to the rank-matched inputs."""
        y_true, y_pred = self._matched(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def _call_with_mask(self, y_true: Any, y_pred: Any) -> tuple[Any, Any]:
        masked_fn = _MASKED_FORMS.get(self.fn)
        if masked_fn is None or type(self).call is not LossFunctionWrapper.call:
            return super()._call_with_mask(y_true, y_pred)
        y_true, y_pred = self._matched(y_true, y_pred)
        return masked_fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict[str, Any]:
        """``name``, ``reduction``, the serialized ``fn`` and the extra keyword arguments."""
        config = super().get_config()
        config["fn"] = serialize_value(self.fn)
        config.update(serialize_value(self._fn_kwargs))
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        """A new wrapper from ``get_config``'s output, looking ``fn`` up by name."""
        config = dict(config)
        if "fn" in config:
            from ._get import deserialize

            config["fn"] = deserialize(config["fn"])
        return cls(**config)

    def __repr__(self) -> str:
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"


# What ``Loss`` takes itself; a built-in loss class passes the rest of its arguments to its function.
_LOSS_ARGUMENTS = frozenset({"self", "__class__", "reduction", "name", "dtype"})


def function_arguments(values: Mapping[str, Any]) -> dict[str, Any]:
    """A built-in loss constructor's ``locals()`` less ``Loss``'s own: its function's arguments.

    >>> function_arguments({"self": None, "name": "x", "reduction": None, "axis": -1})
    {'axis': -1}
    """
    return {key: value for key, value in values.items() if key not in _LOSS_ARGUMENTS}


class BuiltinLoss(LossFunctionWrapper):
    """Base of the loss classes over one of heft's loss functions, configured as Keras's.

    ``_config_keys`` names the function's arguments that are the loss's attributes
    and follow ``name`` and ``reduction`` in its config, in Keras's order (Keras
    leaves some out, such as ``Huber``'s ``delta``).

    >>> from heft.losses import CategoricalCrossentropy
    >>> CategoricalCrossentropy(label_smoothing=0.1).get_config()
    {'name': 'categorical_crossentropy', 'reduction': 'sum_over_batch_size', \
'from_logits': False, 'label_smoothing': 0.1, 'axis': -1}
    """

    _config_keys: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key in self._config_keys:
            setattr(self, key, self._fn_kwargs[key])

    def get_config(self) -> dict[str, Any]:
        """``name``, ``reduction`` and the arguments named by ``_config_keys``."""
        config = Loss.get_config(self)
        config.update({key: getattr(self, key) for key in self._config_keys})
        return config
