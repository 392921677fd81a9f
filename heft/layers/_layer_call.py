"""Calling a layer: its call signature, argument conversion, the training flag, and errors."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtypes, _masking, _remat, _scope, _symbolic
from .._variable import Variable, _is_tracer
from . import _layer_masks, _node
from ._input_spec import assert_input_compatibility


class CallSpec:
    """What a layer's ``call`` accepts, read once from its signature.

    Args:
        call: The layer's bound ``call`` method.

    >>> import heft
    >>> spec = CallSpec(heft.layers.Dropout(0.5).call)
    >>> spec.has_training_arg, spec.training_default, spec.positional
    (True, False, ['inputs', 'training'])
    """

    __slots__ = (
        "has_mask_arg",
        "has_training_arg",
        "mask_args",
        "params",
        "positional",
        "training_default",
    )

    def __init__(self, call: Callable) -> None:
        signature = inspect.signature(call)
        parameters = signature.parameters
        #: Every parameter name, in order.
        self.params: list[str] = list(parameters)
        #: The parameters that can be given positionally.
        self.positional: list[str] = [
            name
            for name, p in parameters.items()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        self.has_training_arg = "training" in parameters
        self.has_mask_arg = "mask" in parameters
        #: ``{argument: its mask argument}`` for each ``x`` with an ``x_mask`` parameter.
        self.mask_args: dict[str, str] = {
            name: f"{name}_mask" for name in self.params if f"{name}_mask" in parameters
        }
        #: The default of ``training`` (``inspect.Parameter.empty`` when it has none).
        self.training_default: Any = (
            parameters["training"].default if self.has_training_arg else None
        )


# The layer calls in progress on this thread, outermost first: an inner layer called
# without `training` inherits the nearest enclosing call's value, as in Keras.
_call_state = threading.local()


def _call_stack() -> list[dict[str, Any]]:
    stack = getattr(_call_state, "stack", None)
    if stack is None:
        stack = _call_state.stack = []
    return stack


def _resolve_training(layer: Any, kwargs: dict, stack: list[dict[str, Any]]) -> Any:
    """The call's ``training`` value, and ``kwargs`` made to match ``call``'s signature.

    Precedence: the caller's ``training=``, then the nearest enclosing call's,
    then the default in ``call``'s signature.
    """
    spec = layer._call_spec
    training = kwargs.get("training")
    if training is None:
        training = next((c["training"] for c in reversed(stack) if c["training"] is not None), None)
    if training is None and spec.training_default not in (None, inspect.Parameter.empty):
        training = spec.training_default
    if spec.has_training_arg:
        kwargs["training"] = training
    elif "training" in kwargs:
        kwargs.pop("training")
    return training


def convert_input(layer: Any, x: Any) -> Any:
    """``x`` as the layer computes with it: arrays in the compute dtype, mask kept."""
    y = _convert_one(layer, x)
    if y is not x:
        mask = _masking.get_mask(x)
        if mask is not None:
            _masking.set_mask(y, mask)
    return y


def _convert_one(layer: Any, x: Any) -> Any:
    if isinstance(x, _symbolic.KerasTensor):
        return x
    if isinstance(x, Variable):
        x = x.value
    if isinstance(x, np.ndarray | np.generic | int | float | list) and not isinstance(x, bool):
        arr = np.asarray(x)
        if arr.dtype.kind == "f":
            return jnp.asarray(arr, dtype=layer.compute_dtype if layer.autocast else None)
        if arr.dtype.kind in "iub":
            return jnp.asarray(arr)
        return x
    if isinstance(x, jax.Array) or _is_tracer(x):
        if layer.autocast and jnp.issubdtype(x.dtype, jnp.floating):
            target = jnp.dtype(layer.compute_dtype)
            if x.dtype != target:
                return x.astype(target)
    return x


def _is_leaf_input(x: Any) -> bool:
    return isinstance(x, _symbolic.KerasTensor | Variable | np.ndarray)


def call_layer(layer: Any, args: tuple, kwargs: dict) -> Any:
    """Run ``layer(*args, **kwargs)``: convert, check, build, call, then masks and losses.

    On symbolic inputs the layer computes output specs instead of values and
    records the call as a graph ``Node``. The outermost eager call clears the
    losses of the previous one.
    """
    layer._check_super_called()
    args = jax.tree_util.tree_map(layer._convert_input, args, is_leaf=_is_leaf_input)
    for key in list(kwargs):
        if key not in ("training", "mask"):
            kwargs[key] = jax.tree_util.tree_map(
                layer._convert_input, kwargs[key], is_leaf=_is_leaf_input
            )
    if args:
        assert_input_compatibility(layer._input_spec, args[0], layer.name)

    stack = _call_stack()
    outermost = not stack
    training = _resolve_training(layer, kwargs, stack)
    # The graph records the arguments as given (with `training`), before masks are filled in.
    recorded_kwargs = dict(kwargs)
    previous_mask = _layer_masks.populate_masks(layer._call_spec, args, kwargs)

    symbolic = _symbolic.any_symbolic((args, kwargs))
    stack.append({"layer": layer, "training": training})
    try:
        if outermost and not symbolic:
            layer._clear_losses()
        with layer._open_name_scope():
            layer._maybe_build(args, kwargs)
            cast_scope = _autocast_scope(layer)
            if cast_scope is not None:
                with cast_scope:
                    outputs = _run(layer, symbolic, args, kwargs, recorded_kwargs)
            else:
                outputs = _run(layer, symbolic, args, kwargs, recorded_kwargs)
    finally:
        stack.pop()
    if previous_mask is not None or layer.supports_masking:
        _layer_masks.attach_output_masks(layer, args, kwargs, outputs, previous_mask, symbolic)
    if layer.activity_regularizer is not None and not symbolic:
        _add_activity_losses(layer, outputs)
    return outputs


def _run(layer: Any, symbolic: bool, args: tuple, kwargs: dict, recorded: dict) -> Any:
    """``call`` (or, on symbolic inputs, ``compute_output_spec`` and a new node)."""
    try:
        if symbolic:
            outputs = layer.compute_output_spec(*args, **kwargs)
            _node.record_call(layer, args, recorded, outputs)
            return outputs
        if getattr(layer, "_remat_mode", None) is not None:
            return _remat.wrap_call(layer, layer.call, args, kwargs)(*args, **kwargs)
        return layer.call(*args, **kwargs)
    except _ANNOTATED_ERRORS as error:
        annotated = _annotate_error(layer, error, args, kwargs)
        if annotated is None:
            raise
        raise annotated.with_traceback(error.__traceback__) from None


def _autocast_scope(layer: Any) -> _scope.AutocastScope | None:
    """The autocast scope the layer's call runs in, or ``None`` to keep the current one."""
    current = _scope.autocast_scope()
    if current is not None:
        if not layer.autocast or not _dtypes.is_float_dtype(layer.compute_dtype):
            return _scope.AutocastScope(None)
        if current.dtype != layer.compute_dtype:
            return _scope.AutocastScope(layer.compute_dtype)
        return None
    if layer.compute_dtype != layer.variable_dtype:
        return _scope.AutocastScope(layer.compute_dtype)
    return None


def _add_activity_losses(layer: Any, outputs: Any) -> None:
    """Add the activity regularizer's penalty of each output, averaged over the batch."""
    for out in jax.tree_util.tree_leaves(outputs):
        penalty = layer.activity_regularizer(out)
        if out.ndim > 0 and out.shape[0]:
            penalty = penalty / jnp.asarray(out.shape[0], penalty.dtype)
        layer.add_loss(penalty)


# ---------------------------------------------------------------- error annotation
# Errors raised inside `call` gain the name of the innermost layer and the arguments it
# got, as Keras's do; errors of other types, or with structured arguments, pass unchanged.
_ANNOTATED_ERRORS = (ValueError, TypeError, IndexError, NotImplementedError)


def _annotate_error(layer: Any, error: Exception, args: tuple, kwargs: dict) -> Exception | None:
    """``error`` with this layer's name and the arguments it got (innermost layer only)."""
    if type(error) not in _ANNOTATED_ERRORS or getattr(error, "_heft_layer", None):
        return None
    if len(error.args) != 1 or not isinstance(error.args[0], str):
        return None
    received = [_describe_argument(a) for a in args]
    received += [f"{k}={_describe_argument(v)}" for k, v in kwargs.items()]
    annotated = type(error)(
        f"{error.args[0]}\n\nRaised while calling layer '{layer.name}' "
        f"({type(layer).__name__}) with arguments: {', '.join(received)}."
    )
    annotated._heft_layer = layer.name  # type: ignore[attr-defined]
    return annotated


def _describe_argument(x: Any) -> str:
    if isinstance(x, _symbolic.KerasTensor):
        return f"KerasTensor(shape={x.shape}, dtype={x.dtype})"
    if isinstance(x, jax.Array | np.ndarray) or _is_tracer(x):
        return f"array(shape={tuple(x.shape)}, dtype={x.dtype})"
    if isinstance(x, list | tuple):
        inner = ", ".join(_describe_argument(v) for v in x)
        return f"[{inner}]" if isinstance(x, list) else f"({inner})"
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k!r}: {_describe_argument(v)}" for k, v in x.items()) + "}"
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."
