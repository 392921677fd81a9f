"""``Operation``: the base of every computation that can be a node of a Functional graph.

``heft.layers.Layer`` derives from it (``isinstance(layer, heft.Operation)`` holds for
every layer), and so do the nodes that ``heft.ops`` functions make on symbolic
tensors. Users subclass it for a custom op without weights: ``call`` computes on
arrays, and calling the op on ``KerasTensor``s infers the output with
``compute_output_spec`` and records a node, so the op joins ``model.operations``
(not ``model.layers``), the summary and the model's config, as in Keras 3.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

from . import _naming, _remat, _scope, _switches, _symbolic

# The constructor arguments an automatic config may hold (also inside lists and dicts).
_AUTO_CONFIG_TYPES = (str, int, float, bool, type(None))

_GET_CONFIG_EXAMPLE = """
    class Scale(heft.Operation):
        def __init__(self, factor, name=None):
            super().__init__(name=name)
            self.factor = factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}
"""


def _plain_values(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return all(_plain_values(v) for v in value)
    if isinstance(value, dict):
        return all(_plain_values(v) for v in value.values())
    return isinstance(value, _AUTO_CONFIG_TYPES)


def _auto_config(cls: type, args: tuple, kwargs: dict) -> tuple[dict[str, Any] | None, bool]:
    """The constructor arguments of ``cls(*args, **kwargs)`` by name, defaults included.

    Returns ``(config, refused_for_arguments)``: ``config`` is ``None`` when the
    arguments cannot rebuild the object through ``cls(**config)``, and the flag
    says whether that was because of positional-only or variadic arguments.
    """
    signature = inspect.signature(cls.__init__)  # type: ignore[misc]
    try:
        bound = signature.bind(None, *args, **kwargs)
    except TypeError:
        return None, False
    params = list(signature.parameters.values())
    if any(p.kind is p.POSITIONAL_ONLY for p in params[1:]):
        return None, True
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    arguments.pop(params[0].name, None)
    config: dict[str, Any] = {}
    for param in params[1:]:
        if param.name not in arguments:
            continue
        value = arguments[param.name]
        if param.kind is param.VAR_KEYWORD:
            config.update(value)
        elif param.kind is param.VAR_POSITIONAL:
            if value:
                return None, True
        else:
            config[param.name] = value
    config.pop("name", None)
    if not _plain_values(config):
        return None, False
    return config, False


class Operation:
    """A computation that runs on arrays and, on symbolic tensors, becomes a graph node.

    Subclass it and define ``call``; define ``compute_output_spec`` too when
    ``call`` cannot be traced for shapes (the default traces ``call`` with
    ``jax.eval_shape``). Calling the op on arrays runs ``call``; calling it on
    ``KerasTensor``s runs ``symbolic_call``, which records the call so that a
    Functional model built from the result contains the op.

    When a subclass does not define ``get_config``, its config is made from the
    constructor's arguments, provided they are all plain values (strings,
    numbers, booleans, ``None``, and lists or dicts of them).

    Args:
        name: The op's name; by default the snake_case class name, made unique.

    Raises:
        ValueError: If ``name`` is not a string or contains ``"/"``.

    >>> import heft
    >>> class Scale(heft.Operation):
    ...     def __init__(self, factor=2.0, name=None):
    ...         super().__init__(name=name)
    ...         self.factor = factor
    ...     def call(self, x):
    ...         return heft.ops.multiply(x, self.factor)
    >>> op = Scale(3.0)
    >>> op(heft.ops.ones((2,))).tolist()
    [3.0, 3.0]
    >>> x = heft.Input((4,))
    >>> model = heft.Model(x, op(x))
    >>> [o.name for o in model.operations], [layer.name for layer in model.layers]
    (['input_layer', 'scale'], ['input_layer'])
    >>> op.get_config()
    {'name': 'scale', 'factor': 3.0}
    """

    # Whether `get_config` may fall back to the constructor's arguments (layers build
    # their configs themselves, so `Layer` turns this off).
    _auto_config_from_init: ClassVar[bool] = True

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        instance = object.__new__(cls)
        if cls._auto_config_from_init:
            config, refused = _auto_config(cls, args, kwargs)
            instance.__dict__["_auto_config"] = config
            instance.__dict__["_auto_config_error_args"] = refused
        return instance

    def __init__(self, name: str | None = None) -> None:
        if name is None:
            name = _naming.auto_name(type(self).__name__)
        if not isinstance(name, str) or "/" in name:
            raise ValueError(
                "Argument `name` must be a string and cannot contain character `/`. "
                f"Received: name={name!r} (of type {type(name).__name__})"
            )
        self._name = name
        self._inbound_nodes: list[Any] = []
        # The `heft.RematScope` open when the op is made decides whether its calls remat.
        self._remat_mode = _remat.current_mode()

    # ---------------------------------------------------------------- name
    @property
    def name(self) -> str:
        """The op's name, fixed when it is made (as a layer's is)."""
        return self._name

    # ---------------------------------------------------------------- calls
    @_switches.filter_traceback
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _symbolic.any_symbolic((args, kwargs)):
            return self.symbolic_call(*args, **kwargs)
        if self._remat_mode is not None:
            return _remat.wrap_call(self, self.call, args, kwargs)(*args, **kwargs)
        return self.call(*args, **kwargs)

    def symbolic_call(self, *args: Any, **kwargs: Any) -> Any:
        """Infer the outputs of a call on symbolic tensors and record it as a graph node."""
        from .layers import _node

        outputs = self.compute_output_spec(*args, **kwargs)
        _node.record_call(self, args, kwargs, outputs)
        return outputs

    def call(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"Operation {type(self).__name__} does not have a `call()` method implemented. "
            "Define `call(self, ...)` in your subclass."
        )

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """The outputs of ``call`` as ``KerasTensor``s, found by tracing ``call`` for shapes.

        Raises:
            Exception: Of the type ``call`` raised, saying that the output could not
                be inferred and which method to fix or implement.
        """
        try:
            with _scope.StatelessScope():
                return _symbolic.compute_output_spec(self.call, args, kwargs)
        except Exception as error:
            cls = type(self).__name__
            message = (
                f"Could not automatically infer the output shape / dtype of '{self.name}' "
                f"(of type {cls}). Either the `{cls}.call()` method is incorrect, or you "
                f"need to implement the `{cls}.compute_output_spec() / "
                f"compute_output_shape()` method. Error encountered:\n\n{error}"
            )
            try:
                wrapped = type(error)(message)
            except Exception:
                raise error from None
            raise wrapped.with_traceback(error.__traceback__) from None

    # ---------------------------------------------------------------- graph
    @property
    def input(self) -> Any:
        """The input tensor(s) of the op's first symbolic call (one tensor unwrapped)."""
        return self._node_attribute(0, "input_tensors", "input")

    @property
    def output(self) -> Any:
        """The output tensor(s) of the op's first symbolic call (one tensor unwrapped)."""
        return self._node_attribute(0, "output_tensors", "output")

    def _node_attribute(self, node_index: int, attribute: str, what: str) -> Any:
        nodes = self.__dict__.get("_inbound_nodes") or []
        if not nodes:
            raise AttributeError(
                f"The layer {self.name} has never been called and thus has no defined {what}."
            )
        if node_index >= len(nodes):
            raise ValueError(
                f"Asked to get {what} at node {node_index}, but the operation has only "
                f"{len(nodes)} inbound nodes."
            )
        values = getattr(nodes[node_index], attribute)
        return values[0] if isinstance(values, list) and len(values) == 1 else values

    # ---------------------------------------------------------------- config
    def get_config(self) -> dict[str, Any]:
        """The op's name and, unless a subclass defines this method, its constructor arguments.

        Raises:
            NotImplementedError: If the subclass defines no ``get_config`` and the
                constructor got values that are not plain (or positional-only or
                variadic arguments), so no config can be made automatically.
        """
        config: dict[str, Any] = {"name": self.name}
        auto = self.__dict__.get("_auto_config")
        if auto is not None:
            config.update(auto)
            params = inspect.signature(type(self).__init__).parameters
            takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in params.values())
            if "name" not in params and not takes_kwargs:
                config.pop("name")
            return config
        cls = type(self).__name__
        if self.__dict__.get("_auto_config_error_args"):
            reason = (
                "positional-only or variadic positional arguments (`*args`), which an "
                "automatic config cannot hold. Remove them from `__init__()`, or"
            )
        else:
            reason = "argument values that are not plain (strings, numbers, booleans, None), so"
        raise NotImplementedError(
            f"Object {cls} was created by passing {reason} it must override `get_config()` "
            f"(and `from_config()` if needed) to be serializable. For example:\n"
            f"{_GET_CONFIG_EXAMPLE}"
        )

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        """Create the op from ``get_config()``'s output (``cls(**config)``).

        Raises:
            TypeError: If the constructor does not accept the config.
        """
        from . import dtype_policies

        if isinstance(config.get("dtype"), dict):
            config = {**config, "dtype": dtype_policies.get(config["dtype"])}
        try:
            return cls(**config)
        except Exception as error:
            raise TypeError(
                f"Error when deserializing class '{cls.__name__}' using config={config}.\n\n"
                f"Exception encountered: {error}"
            ) from None

    def _post_build(self) -> None:
        """Hook run after ``build``; subclasses may override."""

    def __repr__(self) -> str:
        return f"<Operation name={self.name}>"
