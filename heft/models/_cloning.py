"""``clone_model``: a model of the same architecture with fresh weights."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import jax

from .. import _symbolic
from ..layers._input_layer import Input, InputLayer
from ..layers._layer import Layer
from ..ops._graph_op import GraphOp
from ._functional import Functional, accepts_functional_arguments
from ._model import Model
from ._sequential import Sequential

_ACCEPTED = ("model", "input_tensors", "clone_function", "call_function", "recursive")
# Constructor arguments every layer's base config records.
_BASE_INIT_ARGUMENTS = frozenset({"name", "trainable", "dtype", "autocast", "activity_regularizer"})


def _describe(value: Any) -> str:
    return f"{value!r} (of type {type(value).__name__})"


def _default_clone(layer: Layer) -> Layer:
    return layer.__class__.from_config(layer.get_config())


def _wrap_clone_function(
    clone_function: Callable | None,
    call_function: Callable | None,
    recursive: bool,
    cache: dict[int, Any],
) -> Callable[[Layer], Any]:
    """One clone per layer (shared layers stay shared); nested models recurse when asked."""
    user_clone = clone_function if clone_function is not None else _default_clone

    def clone(layer: Layer) -> Any:
        if id(layer) in cache:
            return cache[id(layer)]
        if isinstance(layer, GraphOp):
            # Ops hold no weights: a new node of the same op, name and static arguments.
            new = GraphOp(layer.op, layer.static, name=layer.name)
        elif recursive and isinstance(layer, Sequential):
            new = clone_model(layer, clone_function=clone_function, recursive=True, cache=cache)
        elif recursive and isinstance(layer, Functional):
            new = clone_model(
                layer,
                clone_function=clone_function,
                call_function=call_function,
                recursive=True,
                cache=cache,
            )
        else:
            new = user_clone(layer)
        cache[id(layer)] = new
        return new

    return clone


def _check_callable(value: Any, argument: str, signature: str) -> None:
    if value is not None and not callable(value):
        raise TypeError(
            f"`{argument}` must be a callable with signature `{signature}`. "
            f"Received: {argument}={_describe(value)}. Pass a function, or leave it as None."
        )


def _compile_like(new: Any, model: Any) -> None:
    if getattr(model, "compiled", False):
        from ..saving._model_config import compile_config, compile_from_config

        compile_from_config(new, compile_config(model))


def _clone_sequential(
    model: Sequential, clone: Callable[[Layer], Any], input_tensors: Any
) -> Sequential:
    new_layers: list[Any] = []
    for layer in model.layers:
        new = clone(layer)
        if not isinstance(new, Layer):
            raise ValueError(
                f"`clone_function` must return a layer, but for layer '{layer.name}' of "
                f"Sequential model '{model.name}' it returned {_describe(new)}. Return a "
                "`heft.layers.Layer` instance (e.g. `layer.__class__.from_config(config)`)."
            )
        new_layers.append(new)
    tracked = model._tracker.layers
    reference = tracked[0] if tracked and isinstance(tracked[0], InputLayer) else None
    name = reference.name if reference is not None else None
    optional = reference.optional if reference is not None else False
    if input_tensors is not None:
        if isinstance(input_tensors, list | tuple):
            if len(input_tensors) != 1:
                raise ValueError(
                    "Argument `input_tensors` must contain a single tensor for a Sequential "
                    f"model; received {len(input_tensors)}: {input_tensors!r}. Pass one "
                    "`heft.Input(...)` tensor."
                )
            input_tensors = input_tensors[0]
        if not isinstance(input_tensors, _symbolic.KerasTensor):
            raise ValueError(
                "Argument `input_tensors` must be a KerasTensor (from `heft.Input(...)`). "
                f"Received invalid value: input_tensors={_describe(input_tensors)}"
            )
        new_layers.insert(0, Input(tensor=input_tensors, name=name, optional=optional))
    elif reference is not None:
        new_layers.insert(
            0,
            Input(
                batch_shape=reference.batch_shape,
                dtype=reference.dtype,
                name=name,
                optional=optional,
            ),
        )
    return Sequential(new_layers, name=model.name, trainable=model.trainable)


def _new_inputs(model: Functional, input_tensors: Any) -> Any:
    structure = model._inputs_struct
    if input_tensors is None:

        def fresh(tensor: _symbolic.KerasTensor) -> _symbolic.KerasTensor:
            layer = tensor._keras_history.operation
            return Input(
                batch_shape=tensor.shape,
                dtype=tensor.dtype,
                name=layer.name,
                optional=layer.optional,
            )

        return jax.tree_util.tree_map(fresh, structure, is_leaf=_symbolic.is_symbolic)
    leaves = jax.tree_util.tree_leaves(input_tensors, is_leaf=_symbolic.is_symbolic)
    if not leaves or not all(isinstance(leaf, _symbolic.KerasTensor) for leaf in leaves):
        raise ValueError(
            "All entries in `input_tensors` must be KerasTensors (from `heft.Input(...)`). "
            f"Received invalid values: input_tensors={input_tensors!r}"
        )
    expected = jax.tree_util.tree_structure(structure, is_leaf=_symbolic.is_symbolic)
    received = jax.tree_util.tree_structure(input_tensors, is_leaf=_symbolic.is_symbolic)
    if expected != received:
        raise ValueError(
            f"`input_tensors` must have the same structure as model.input of model "
            f"'{model.name}'.\nReference structure: {structure!r}\nReceived structure: "
            f"{input_tensors!r}\nPass the tensors in the same nesting (list, tuple or dict)."
        )
    return input_tensors


def _clone_functional(
    model: Functional,
    clone: Callable[[Layer], Any],
    input_tensors: Any,
    call_function: Callable | None,
) -> Functional:
    new_inputs = _new_inputs(model, input_tensors)
    values: dict[int, Any] = {}
    flat_new = jax.tree_util.tree_leaves(new_inputs, is_leaf=_symbolic.is_symbolic)
    for old, new in zip(model.inputs, flat_new, strict=True):
        values[id(old)] = new

    # In Keras's order, so the clone numbers a shared layer's calls as Keras does.
    for node in model._graph.run_order:
        layer = node.operation
        new_layer = clone(layer)
        if not callable(new_layer):
            raise TypeError(
                f"`clone_function` must return a layer, but for layer '{layer.name}' of model "
                f"'{model.name}' it returned {_describe(new_layer)}. Return a "
                "`heft.layers.Layer` instance (e.g. `layer.__class__.from_config(config)`)."
            )
        call_args, call_kwargs = node.arguments(values)
        if call_function is not None:
            result = call_function(new_layer, *call_args, **call_kwargs)
        else:
            result = new_layer(*call_args, **call_kwargs)
        old_leaves = node.output_tensors
        new_leaves = jax.tree_util.tree_leaves(result, is_leaf=_symbolic.is_symbolic)
        if len(new_leaves) != len(old_leaves):
            raise ValueError(
                f"Calling the clone of layer '{layer.name}' gave {len(new_leaves)} output "
                f"tensor(s), but the original call gave {len(old_leaves)}. `clone_function` and "
                "`call_function` must keep each layer call's outputs (same number of tensors)."
            )
        for old, new in zip(old_leaves, new_leaves, strict=True):
            values[id(old)] = new
    new_outputs = jax.tree_util.tree_map(
        lambda t: values[id(t)], model._outputs_struct, is_leaf=_symbolic.is_symbolic
    )
    cls = type(model) if accepts_functional_arguments(type(model)) else Functional
    return cls(new_inputs, new_outputs, name=model.name)


def _uncaptured_arguments(cls: type) -> list[str]:
    """Constructor arguments of a subclass whose config cannot record them (none if it can)."""
    if cls.get_config is not Layer.get_config:
        return []
    owner = next(c for c in cls.__mro__ if "from_config" in c.__dict__)
    if owner not in (Layer, Model):
        return []
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return [
        p.name
        for p in parameters
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name not in _BASE_INIT_ARGUMENTS
    ]


def _clone_from_config(model: Any) -> Any:
    from ..layers import deserialize, serialize
    from ..saving._model_config import _finish_build

    cls = type(model)
    missing = _uncaptured_arguments(cls)
    if missing:
        raise NotImplementedError(
            f"Cannot clone '{model.name}' (class {cls.__name__}): its `__init__` takes "
            f"arguments {missing} that its config does not record, because {cls.__name__} "
            "does not override `get_config()`. Implement `get_config()` returning those "
            "arguments (and `from_config()` if they are not plain values)."
        )
    config = serialize(model)
    new = deserialize(config, {cls.__name__: cls})
    if new.built:
        _finish_build(new, config.get("build_config"))
    return new


def clone_model(
    model: Any,
    input_tensors: Any = None,
    clone_function: Callable[[Layer], Any] | None = None,
    call_function: Callable[..., Any] | None = None,
    recursive: bool = False,
    **kwargs: Any,
) -> Any:
    """A new model with the architecture of ``model`` and freshly initialized weights.

    A Sequential model gives a Sequential of cloned layers; a Functional model's
    graph is run again with cloned layers (a layer shared by several calls gets
    one clone). Other models and layers are rebuilt from their config. A model
    that was compiled comes back compiled the same way (with a new optimizer).

    Args:
        model: The ``Sequential`` or ``Functional`` model (or a subclassed model
            or layer whose ``get_config`` describes it) to copy.
        input_tensors: Symbolic tensors to build the copy on, in the structure of
            ``model.input``; by default new ``Input``s of the same shapes and names.
        clone_function: ``fn(layer) -> layer`` making each layer's copy; by default
            ``layer.__class__.from_config(layer.get_config())``. Ops applied to
            symbolic tensors (``x * 2``) are copied as they are, not passed to it.
        call_function: ``fn(layer, *args, **kwargs)`` calling each copied layer
            (and op) on its inputs (Functional models only); by default ``layer(*args,
            **kwargs)``.
        recursive: Whether nested Sequential and Functional models are cloned by
            ``clone_model`` with the same arguments, instead of by ``clone_function``.
        **kwargs: Only ``cache``, a dict from ``id(layer)`` to its clone.

    Returns:
        The new model (a layer when ``model`` is a layer).

    Raises:
        ValueError: For unknown keyword arguments, arguments the kind of model does
            not support (``call_function`` on a Sequential model; ``clone_function``,
            ``input_tensors`` or ``call_function`` on a subclassed model), or
            ``input_tensors`` of the wrong kind or structure.
        TypeError: If ``model`` is not a layer, or ``clone_function`` or
            ``call_function`` is not callable.
        NotImplementedError: If a subclassed model's config cannot describe it.

    >>> import heft
    >>> model = heft.Sequential([heft.Input((3,)), heft.layers.Dense(2, name="d")])
    >>> copy = heft.models.clone_model(model)
    >>> [layer.name for layer in copy.layers], copy.layers[0] is model.layers[0]
    (['d'], False)
    """
    cache = kwargs.pop("cache", None)
    if kwargs:
        raise ValueError(
            f"Unexpected keyword argument(s): {tuple(kwargs)}. `clone_model` accepts "
            f"{', '.join(_ACCEPTED)}."
        )
    if cache is None:
        cache = {}
    from ..saving import _allocation

    # The copy is built from objects in memory, not from an untrusted config: its
    # layers' `from_config` calls skip safe mode's estimate (which would build twice).
    with _allocation.trusted():
        new = _clone(model, input_tensors, clone_function, call_function, recursive, cache)
    _compile_like(new, model)
    return new


def _clone(
    model: Any,
    input_tensors: Any,
    clone_function: Callable[[Layer], Any] | None,
    call_function: Callable[..., Any] | None,
    recursive: bool,
    cache: dict[int, Any],
) -> Any:
    """``clone_model``'s copy, uncompiled (arguments already checked for unknown names)."""
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(
                "`call_function` argument is not supported with Sequential models: their "
                "layers are listed, not called, when the model is made. Use "
                f"`call_function` with Functional models only. Received model "
                f"'{model.name}' of type '{type(model).__name__}', with "
                f"call_function={call_function!r}"
            )
        _check_callable(clone_function, "clone_function", "fn(layer)")
        clone = _wrap_clone_function(clone_function, None, recursive, cache)
        new = _clone_sequential(model, clone, input_tensors)
    elif isinstance(model, Functional):
        _check_callable(clone_function, "clone_function", "fn(layer)")
        _check_callable(call_function, "call_function", "fn(layer, *args, **kwargs)")
        clone = _wrap_clone_function(clone_function, call_function, recursive, cache)
        new = _clone_functional(model, clone, input_tensors, call_function)
    else:
        if not isinstance(model, Layer):
            raise TypeError(
                "`model` must be a heft model (Sequential, Functional or a subclass of "
                f"`heft.Model`) or a layer. Received: model={_describe(model)}"
            )
        if clone_function is not None or input_tensors is not None:
            raise ValueError(
                "Arguments `clone_function` and `input_tensors` are only supported for "
                f"Sequential models or Functional models. Received model of type "
                f"'{type(model).__name__}', with clone_function={clone_function!r} and "
                f"input_tensors={input_tensors!r}. To copy a subclassed model, implement "
                "`get_config()` and call `clone_model(model)` without them."
            )
        if call_function is not None:
            raise ValueError(
                "Argument `call_function` is only supported for Functional models. Received "
                f"model of type '{type(model).__name__}', with call_function={call_function!r}"
            )
        new = _clone_from_config(model)
    return new
