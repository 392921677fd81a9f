"""A function of JAX arrays as a ``tf.function``: ``jax2tf`` over a stateless call."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import jax

from .._scope import StatelessScope
from .._variable import Variable
from . import _signature
from ._tensorflow import import_jax2tf, import_tensorflow


def to_tf_function(
    fn: Callable[..., Any],
    signature: list[Any],
    *,
    variables: list[Variable],
    non_trainable: list[Variable],
    tf_variables: dict[int, Any],
    static: bool,
    jax2tf_kwargs: dict[str, Any],
) -> Any:
    """``fn`` converted by ``jax2tf`` and wrapped in a ``tf.function`` of ``signature``.

    With ``static``, ``fn`` is converted alone (variables read as constants).
    Otherwise the endpoint reads ``variables`` from their TF copies
    (``tf_variables``, by ``id``) and writes back the values ``fn`` assigns to
    those of ``non_trainable``. Either way the call runs in a stateless scope,
    so nothing it assigns reaches the heft variables.
    """
    tf = import_tensorflow()
    jax2tf = import_jax2tf()
    kwargs = dict(jax2tf_kwargs)
    if "polymorphic_shapes" not in kwargs:
        kwargs["polymorphic_shapes"] = _signature.polymorphic_shapes(signature)
    elif not isinstance(kwargs["polymorphic_shapes"], (list, tuple)):
        kwargs["polymorphic_shapes"] = [kwargs["polymorphic_shapes"]]
    if "native_serialization_platforms" not in kwargs:
        platforms = _signature.export_platforms(
            jax.export.default_export_platform(), bool(tf.config.list_physical_devices("GPU"))
        )
        if platforms is not None:
            kwargs["native_serialization_platforms"] = platforms
    if static:
        endpoint = _static_endpoint(fn, jax2tf, kwargs)
    else:
        endpoint = _stateful_endpoint(fn, jax2tf, kwargs, variables, non_trainable, tf_variables)
    endpoint.__signature__ = _truncated_signature(fn, len(signature))  # type: ignore[attr-defined]
    return tf.function(endpoint, input_signature=signature, autograph=False)


def _stateful_endpoint(
    fn: Callable[..., Any],
    jax2tf: Any,
    kwargs: dict[str, Any],
    variables: list[Variable],
    non_trainable: list[Variable],
    tf_variables: dict[int, Any],
) -> Callable[..., Any]:
    """An endpoint reading ``variables`` and writing back what ``fn`` assigns."""
    tf = import_tensorflow()
    variables = list(variables)
    non_trainable = list(non_trainable)
    tf_values = [tf_variables[id(v)] for v in variables]
    tf_non_trainable = [tf_variables[id(v)] for v in non_trainable]
    # Which non-trainable variables the traced call assigned (set while tracing).
    assigned: list[int] = []

    def stateless(values: list[Any], *args: Any) -> Any:
        with StatelessScope(list(zip(variables, values, strict=True))) as scope:
            outputs = fn(*args)
        updated = {id(v) for v in scope.updated_variables}
        assigned[:] = [i for i, v in enumerate(non_trainable) if id(v) in updated]
        return outputs, [scope.get_current_value(non_trainable[i]) for i in assigned]

    kwargs["polymorphic_shapes"] = [
        _signature.static_shapes(variables),
        *kwargs["polymorphic_shapes"],
    ]
    converted = jax2tf.convert(stateless, **kwargs)

    def endpoint(*args: Any) -> Any:
        outputs, new_values = converted(list(tf_values), *args)
        for index, value in zip(assigned, new_values, strict=True):
            variable = tf_non_trainable[index]
            variable.assign(tf.cast(value, variable.dtype))
        return outputs

    return endpoint


def _static_endpoint(fn: Callable[..., Any], jax2tf: Any, kwargs: dict) -> Callable:
    """An endpoint with the variables' current values as constants.

    The call runs in an empty stateless scope, so assignments it makes are
    dropped instead of leaving traced values in the variables.
    """

    def isolated(*args: Any) -> Any:
        with StatelessScope():
            return fn(*args)

    converted = jax2tf.convert(isolated, **kwargs)

    def endpoint(*args: Any) -> Any:
        return converted(*args)

    return endpoint


def _truncated_signature(fn: Callable[..., Any], count: int) -> inspect.Signature:
    """``fn``'s signature cut to its first ``count`` parameters (the signature's inputs)."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        parameters = [
            inspect.Parameter(f"args_{i}", inspect.Parameter.POSITIONAL_ONLY) for i in range(count)
        ]
        return inspect.Signature(parameters)
    parameters = list(signature.parameters.values())[:count]
    return inspect.Signature(parameters, return_annotation=signature.return_annotation)
