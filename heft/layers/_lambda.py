"""``Lambda``: wrap a Python function as a layer; its config holds the function by name or bytecode."""

from __future__ import annotations

import base64
import binascii
import builtins
import inspect
import marshal
import sys
import types
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _config_arrays, _registry, _safe_mode, _scope, _symbolic, activations
from ._layer import Layer

# ---------------------------------------------------------------------- values in configs


def serialize_value(value: Any) -> Any:
    """A JSON-friendly form of ``value`` in Keras 3's config encoding.

    Arrays become ``{"class_name": "__numpy__" | "__tensor__", "config": {"value",
    "dtype"}}``, numpy scalars plain numbers, named functions function dicts;
    containers are converted item by item.

    >>> serialize_value(np.array([1.0, 2.0], "float32"))["class_name"]
    '__numpy__'
    """
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return value.item()
        return {
            "class_name": "__numpy__",
            "config": {"value": value.tolist(), "dtype": str(value.dtype)},
        }
    if isinstance(value, jax.Array):
        return {
            "class_name": "__tensor__",
            "config": {"value": np.asarray(value).tolist(), "dtype": str(value.dtype)},
        }
    if isinstance(value, bytes):
        return {"class_name": "__bytes__", "config": {"value": value.decode("utf-8")}}
    if isinstance(value, tuple):
        return tuple(serialize_value(v) for v in value)
    if isinstance(value, list):
        return [serialize_value(v) for v in value]
    if isinstance(value, Mapping):
        return {k: serialize_value(v) for k, v in value.items()}
    if callable(value):
        return serialize_function(value)
    return value


def deserialize_value(
    value: Any, custom_objects: Mapping[str, Any] | None = None, where: str = "a config value"
) -> Any:
    """Undo :func:`serialize_value` (lists stay lists: JSON has no tuples).

    Arrays are read by ``heft/_config_arrays.py``: never much larger than their
    text, and numeric only in safe mode.

    Raises:
        ValueError: For an array that ``decode_array`` refuses, or bytes that are
            not text.

    >>> deserialize_value({"class_name": "__numpy__", "config": {"value": [1], "dtype": "int32"}})
    array([1], dtype=int32)
    """
    if isinstance(value, list):
        return [deserialize_value(v, custom_objects, where) for v in value]
    if isinstance(value, tuple):
        return tuple(deserialize_value(v, custom_objects, where) for v in value)
    if not isinstance(value, Mapping):
        return value
    kind = value.get("class_name")
    inner = value.get("config")
    if kind in ("__numpy__", "__tensor__") and isinstance(inner, Mapping):
        array = _config_arrays.decode_array(inner, where)
        return array if kind == "__numpy__" else jnp.asarray(array)
    if kind == "__bytes__" and isinstance(inner, Mapping):
        text = inner.get("value")
        if not isinstance(text, str):
            raise ValueError(
                f"{where} holds malformed bytes: expected {{'value': <text>}}, as "
                f"`get_config()` writes bytes. Received: {inner!r:.200}"
            )
        return text.encode("utf-8")
    if kind == "function":
        return _lookup_function(value, custom_objects, where)
    return {k: deserialize_value(v, custom_objects, where) for k, v in value.items()}


# ---------------------------------------------------------------------- functions in configs


def _is_lambda(fn: Any) -> bool:
    return isinstance(fn, types.FunctionType) and fn.__name__ == "<lambda>"


def _is_lambda_config(config: Any) -> bool:
    return isinstance(config, Mapping) and config.get("class_name") == "__lambda__"


def serialize_function(fn: Callable) -> Any:
    """The config form of ``fn`` as Keras 3 writes it in ``Lambda`` configs.

    A Python ``lambda`` becomes ``{"class_name": "__lambda__", "config": {"code":
    <base64 of its marshalled code>, "defaults": ..., "closure": ...}}``; a named
    function ``{"module": "builtins", "class_name": "function", "config": <its
    registered name>, "registered_name": "function"}``; an object with
    ``get_config`` its class dict.

    Raises:
        ValueError: If ``fn`` is neither a function nor an object with ``get_config``.

    >>> serialize_function(lambda x: x)["class_name"]
    '__lambda__'
    """
    if _is_lambda(fn):
        closure = None
        if fn.__closure__:
            closure = tuple(cell.cell_contents for cell in fn.__closure__)
        return {
            "class_name": "__lambda__",
            "config": {
                "code": base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii"),
                "defaults": fn.__defaults__,
                "closure": closure,
            },
        }
    if hasattr(fn, "get_config") and not isinstance(fn, type):
        return _registry.serialize_object(fn, type(fn).__module__)
    if callable(fn) and hasattr(fn, "__name__"):
        return {
            "module": "builtins",
            "class_name": "function",
            "config": _registry.get_registered_name(fn),
            "registered_name": "function",
        }
    raise ValueError(
        f"Cannot serialize {fn!r} (of type {type(fn).__name__}) in a Lambda config: it is "
        "neither a function nor an object with `get_config()`. Use a lambda, or a named "
        "function decorated with `@heft.saving.register_keras_serializable()`."
    )


def _lambda_globals() -> dict[str, Any]:
    import heft

    # Loaded bytecode sees the builtins, and `keras`/`heft` (as with `import heft as keras`).
    return {"__builtins__": builtins, "keras": heft, "heft": heft}


def load_lambda(config: Mapping[str, Any], where: str) -> Callable:
    """Rebuild a function from the ``__lambda__`` form written by :func:`serialize_function`.

    This runs no code, but the returned function is arbitrary bytecode: callers
    must check safe mode first.

    Raises:
        ValueError: If the bytecode, defaults or closure cannot be loaded.
    """
    inner = config.get("config")
    code_text = inner.get("code") if isinstance(inner, Mapping) else None
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    try:
        if not isinstance(code_text, str):
            raise TypeError(f"'code' is {type(code_text).__name__}, not a base64 string")
        code = marshal.loads(base64.decodebytes(code_text.encode("ascii")))
    except (ValueError, TypeError, EOFError, binascii.Error) as err:
        raise ValueError(
            f"Could not load the Python lambda serialized in {where}: {err}. Serialized "
            "lambdas are Python bytecode, readable only by the Python version that wrote "
            f"them (this is Python {version}). Rebuild the layer with a named function "
            "registered with `@heft.saving.register_keras_serializable()`."
        ) from None
    if not isinstance(code, types.CodeType):
        raise ValueError(
            f"The lambda serialized in {where} does not hold a code object (found "
            f"{type(code).__name__}). The config is damaged; rebuild the layer."
        )
    defaults = inner.get("defaults")
    closure = inner.get("closure")
    cells = tuple(types.CellType(v) for v in closure) if closure is not None else None
    if len(code.co_freevars) != len(cells or ()):
        raise ValueError(
            f"The lambda serialized in {where} uses {len(code.co_freevars)} closure "
            f"variable(s) {code.co_freevars}, but its config holds {len(cells or ())}. "
            "The config is damaged; rebuild the layer."
        )
    return types.FunctionType(
        code,
        _lambda_globals(),
        code.co_name,
        tuple(defaults) if defaults is not None else None,
        cells,
    )


def _lookup_function(config: Any, custom_objects: Mapping[str, Any] | None, where: str) -> Any:
    name = config.get("config") if isinstance(config, Mapping) else config
    found = None
    if isinstance(name, str):
        found = _registry.get_registered_object(name, custom_objects, activations.ALL_OBJECTS_DICT)
        if found is None and ">" not in name:
            # Configs written by Keras <= 3.6 name registered functions without package.
            for registered, obj in (custom_objects or {}).items():
                if registered.endswith(f">{name}"):
                    found = obj
                    break
    if found is None:
        raise TypeError(
            f"Could not locate function {name!r} named in {where}. Make sure custom functions "
            "are decorated with `@heft.saving.register_keras_serializable()` and imported "
            f"before loading, or pass them in `custom_objects`. Full object config: {config}"
        )
    return found


def _refuse_in_safe_mode(field: str) -> None:
    raise ValueError(
        f"Refusing to deserialize a Lambda layer whose `{field}` is a Python lambda: its "
        "config holds bytecode, and loading it could allow arbitrary code execution, so safe "
        "mode disallows it. If you trust the source of this config, pass `safe_mode=False` "
        "to the loading function, load inside `heft.saving.SafeModeScope(False)`, or call "
        "`heft.config.enable_unsafe_deserialization()`."
    )


def _shape_to_tensors(shape: Any, dtype: str) -> Any:
    if isinstance(shape, list | tuple) and all(d is None or isinstance(d, int) for d in shape):
        return _symbolic.KerasTensor(tuple(shape), dtype)
    if isinstance(shape, Mapping):
        return {k: _shape_to_tensors(v, dtype) for k, v in shape.items()}
    return [_shape_to_tensors(s, dtype) for s in shape]


def _map_shapes(fn: Callable, shape: Any) -> Any:
    if isinstance(shape, list | tuple) and all(d is None or isinstance(d, int) for d in shape):
        return fn(tuple(shape))
    if isinstance(shape, Mapping):
        return {k: _map_shapes(fn, v) for k, v in shape.items()}
    return [_map_shapes(fn, s) for s in shape]


def _first_dim(shape: Any) -> Any:
    while isinstance(shape, list | tuple | Mapping):
        if isinstance(shape, Mapping):
            shape = next(iter(shape.values()))
        elif not shape or all(d is None or isinstance(d, int) for d in shape):
            return shape[0] if shape else None
        else:
            shape = shape[0]
    return shape


def _accepted_names(fn: Callable) -> set[str]:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # some builtins expose no signature
        return set()
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {p.name for p in params if p.kind in kinds}


class Lambda(Layer):
    """Wraps a function ``f(inputs, **arguments)`` as a weightless layer.

    A ``mask`` or ``training`` parameter of the function receives the call's
    mask or training flag. Configs hold a Python ``lambda`` as bytecode (loadable
    only with safe mode off, and by the same Python version) and a named function
    by its registered name. A loaded lambda's globals are the builtins plus
    ``keras`` and ``heft`` (both this library), so ``lambda x: keras.ops.sum(x)``
    written with ``import heft as keras`` (or with Keras) loads and runs.

    Args:
        function: The function to apply to the inputs.
        output_shape: The output shape without the batch axis (a tuple, or a
            list of tuples for several outputs), or a function of the input shape
            returning the full output shape. By default it is inferred by tracing.
        mask: The output mask, or a function ``(inputs, mask) -> mask``.
        arguments: Extra keyword arguments passed to ``function``.
        **kwargs: Base layer arguments.

    >>> import heft
    >>> Lambda(lambda x, k: x * k, arguments={"k": 3.0})(heft.ops.ones((1, 2))).tolist()
    [[3.0, 3.0]]
    """

    def __init__(
        self,
        function: Callable,
        output_shape: Any = None,
        mask: Any = None,
        arguments: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(
                f"The `function` of Lambda layer '{self.name}' must be callable. Received: "
                f"function={function!r} (of type {type(function).__name__}). Pass a function "
                "or a lambda."
            )
        if arguments is not None and not isinstance(arguments, Mapping):
            raise TypeError(
                f"`arguments` of Lambda layer '{self.name}' must be a dict of keyword "
                f"arguments for the function. Received: arguments={arguments!r}"
            )
        if isinstance(output_shape, list) and all(
            d is None or isinstance(d, int) for d in output_shape
        ):
            output_shape = tuple(output_shape)
        self.arguments = dict(arguments or {})
        self.function = function
        self.supports_masking = mask is not None
        self.mask = mask
        self._output_shape = output_shape
        accepted = _accepted_names(function)
        self._fn_expects_training_arg = "training" in accepted
        self._fn_expects_mask_arg = "mask" in accepted

    def call(self, inputs: Any, mask: Any = None, training: Any = None) -> Any:
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self._output_shape is None:
            try:
                with _scope.StatelessScope():
                    spec = _symbolic.compute_output_spec(
                        self.call, (_shape_to_tensors(input_shape, self.compute_dtype),), {}
                    )
            except Exception as err:
                raise NotImplementedError(
                    f"Could not infer the output shape of Lambda layer '{self.name}' by "
                    f"tracing its function on input_shape={input_shape} ({err}). Pass the "
                    "`output_shape` argument to this Lambda layer."
                ) from err
            return jax.tree_util.tree_map(lambda t: t.shape, spec, is_leaf=_symbolic.is_symbolic)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch = _first_dim(input_shape)
        return _map_shapes(lambda s: (batch, *s), self._output_shape)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        if self._output_shape is None:
            with _scope.StatelessScope():
                return _symbolic.compute_output_spec(self.call, args, kwargs)
        input_shape = jax.tree_util.tree_map(
            lambda t: tuple(t.shape), args[0], is_leaf=_symbolic.is_symbolic
        )
        return _shape_to_tensors(self.compute_output_shape(input_shape), self.compute_dtype)

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"function": serialize_function(self.function)}
        if self._output_shape is not None:
            output_shape = self._output_shape
            if callable(output_shape):
                output_shape = serialize_function(output_shape)
            config["output_shape"] = output_shape
        if self.mask is not None:
            mask = self.mask
            config["mask"] = serialize_function(mask) if callable(mask) else serialize_value(mask)
        config["arguments"] = serialize_value(dict(self.arguments))
        return {**super().get_config(), **config}

    @classmethod
    def from_config(
        cls,
        config: dict[str, Any],
        custom_objects: Mapping[str, Any] | None = None,
        safe_mode: bool | None = None,
    ) -> Lambda:
        """Rebuild a Lambda; a serialized Python lambda needs safe mode off.

        Args:
            config: The output of ``get_config`` (possibly through JSON).
            custom_objects: Extra ``{name: function}`` for named functions.
            safe_mode: ``False`` allows serialized lambdas; ``None`` follows
                ``heft.saving.in_safe_mode()``.

        Raises:
            ValueError: For a serialized lambda in safe mode, or bytecode that cannot load.
            TypeError: For a named function that is not registered.
        """
        config = dict(config)
        safe = safe_mode if safe_mode is not None else _safe_mode.in_safe_mode()
        where = f"the config of Lambda layer '{config.get('name', 'lambda')}'"
        for field in ("function", "output_shape", "mask"):
            if _is_lambda_config(config.get(field)) and safe:
                _refuse_in_safe_mode(field)
        function = config.get("function")
        if _is_lambda_config(function):
            config["function"] = load_lambda(function, where)
        elif isinstance(function, str | Mapping):
            if isinstance(function, Mapping) and function.get("class_name") != "function":
                config["function"] = _registry.deserialize_object(
                    function, {}, custom_objects, "function"
                )
            else:
                config["function"] = _lookup_function(function, custom_objects, where)
        output_shape = config.get("output_shape")
        if _is_lambda_config(output_shape):
            config["output_shape"] = load_lambda(output_shape, where)
        elif isinstance(output_shape, Mapping) and output_shape.get("class_name") == "function":
            config["output_shape"] = _lookup_function(output_shape, custom_objects, where)
        elif isinstance(output_shape, list):
            if all(d is None or isinstance(d, int) for d in output_shape):
                config["output_shape"] = tuple(output_shape)
            else:
                config["output_shape"] = [tuple(s) for s in output_shape]
        mask = config.get("mask")
        if _is_lambda_config(mask):
            config["mask"] = load_lambda(mask, where)
        elif mask is not None:
            config["mask"] = deserialize_value(mask, custom_objects, f"the `mask` of {where}")
        if "arguments" in config:
            config["arguments"] = deserialize_value(
                config["arguments"], custom_objects, f"the `arguments` of {where}"
            )
        return super().from_config(config)
