"""Any object to and from Keras 3's config dicts: ``serialize_keras_object`` and its inverse.

The dict form of a class instance is ``{"module", "class_name", "config",
"registered_name"}`` (plus ``"build_config"``/``"compile_config"`` where the
object has them). heft's own classes are named by their Keras module
(``"keras.layers"``, ``"keras.initializers"``, ``"keras"`` for ``Model``,
``Layer``, ...), so a config written by heft loads in Keras and back. Objects
nested in a ``get_config()`` (a layer holding a layer, an initializer, a numpy
array) are serialized too; ``from_config`` receives them as these dicts, as in
Keras, and rebuilds them with :func:`deserialize_keras_object`.
"""

from __future__ import annotations

import base64
import builtins
import inspect
import marshal
import types
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from . import _registry
from ._safe_mode import SafeModeScope

_PLAIN = (str, int, float, bool)

# heft namespaces whose classes and functions configs may name, each with the module
# Keras gives them. Only modelling namespaces: a config can never name `heft.saving`,
# `heft.utils` or `heft.config` functions.
_NAMESPACES: tuple[str, ...] = (
    "layers",
    "initializers",
    "losses",
    "metrics",
    "optimizers",
    "optimizers.schedules",
    "regularizers",
    "constraints",
    "activations",
    "dtype_policies",
    "models",
    "callbacks",
    "random",
)
_public_names: dict[int, str] | None = None
# The classes of ``heft.utils.FeatureSpace`` that configs may name, and their Keras modules.
_FEATURE_SPACE_MODULES = ("keras.utils", "keras.src.layers.preprocessing.feature_space")
_FEATURE_SPACE_CLASSES = ("FeatureSpace", "Feature", "Cross", "TFDIdentity", "TFDConcat")
# The layers of Keras's applications that are not in a public namespace, by the
# module and class Keras saves them under, and the heft module that defines them.
_APPLICATION_LAYERS = {
    ("keras.src.applications.inception_resnet_v2", "CustomScaleLayer"): (
        ".applications._inception_resnet_v2"
    ),
    ("keras.src.applications.convnext", "LayerScale"): ".applications._convnext",
}


def _namespace(path: str) -> Any:
    import importlib

    return importlib.import_module("heft" + (f".{path}" if path else ""))


def _public_module_names() -> dict[int, str]:
    """``id(obj) -> "keras.<namespace>"`` for every public heft class and function."""
    global _public_names
    if _public_names is None:
        names: dict[int, str] = {}
        top = _namespace("")
        for value in vars(top).values():
            if isinstance(value, type):
                names.setdefault(id(value), "keras")
        for path in _NAMESPACES:
            for value in vars(_namespace(path)).values():
                if isinstance(value, type) or inspect.isfunction(value):
                    names.setdefault(id(value), f"keras.{path}")
        _public_names = names
    return _public_names


def _is_heft_object(cls: Any) -> bool:
    return (getattr(cls, "__module__", "") or "").split(".")[0] == "heft"


def serialize_keras_object(obj: Any) -> Any:
    """The config form of ``obj``: plain values as they are, objects as Keras's dicts.

    Lists, tuples and dicts are serialized element by element; numpy and JAX
    arrays become ``{"class_name": "__numpy__"/"__tensor__", ...}``; named
    functions ``{"class_name": "function", "config": <registered name>, ...}``;
    objects with ``get_config()`` their class dict, with what ``get_config()``
    returns serialized in turn. The result is what
    :func:`deserialize_keras_object` takes back.

    Raises:
        TypeError: If ``obj`` is not serializable (no ``get_config()``, not a
            function, array or plain value), or ``get_config()`` returns no dict.

    >>> import heft
    >>> serialize_keras_object(heft.initializers.Ones())
    {'module': 'keras.initializers', 'class_name': 'Ones', 'config': {}, 'registered_name': None}
    """
    if obj is None or isinstance(obj, _PLAIN):
        return obj
    if isinstance(obj, list | tuple):
        items = [serialize_keras_object(x) for x in obj]
        return tuple(items) if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        return serialize_dict(obj)
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, slice):
        return {
            "class_name": "__slice__",
            "config": {
                "start": serialize_keras_object(obj.start),
                "stop": serialize_keras_object(obj.stop),
                "step": serialize_keras_object(obj.step),
            },
        }
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    from ._dtypes import standardize_dtype
    from ._symbolic import KerasTensor

    if isinstance(obj, KerasTensor):
        history = getattr(obj, "_keras_history", None)
        if history:
            history = [history[0].name, *list(history)[1:]]
        return {
            "class_name": "__keras_tensor__",
            "config": {"shape": obj.shape, "dtype": obj.dtype, "keras_history": history},
        }
    if _is_jax_array(obj):
        return {
            "class_name": "__tensor__",
            "config": {"value": np.asarray(obj).tolist(), "dtype": standardize_dtype(obj.dtype)},
        }
    if type(obj).__module__ == np.__name__:
        if isinstance(obj, np.ndarray) and obj.ndim > 0:
            return {
                "class_name": "__numpy__",
                "config": {"value": obj.tolist(), "dtype": standardize_dtype(obj.dtype)},
            }
        return obj.item()
    if isinstance(obj, types.FunctionType) and obj.__name__ == "<lambda>":
        warnings.warn(
            "The object being serialized includes a `lambda`, which can only be loaded back "
            "with `safe_mode=False`. Prefer named functions registered with "
            "`@heft.saving.register_keras_serializable()`.",
            stacklevel=2,
        )
        return {"class_name": "__lambda__", "config": {"value": _dump_function(obj)}}
    if isinstance(obj, types.FunctionType):
        # As Keras writes every function: the class is "function", the config its
        # registered name (its plain name for heft's builtins).
        return {
            "module": "builtins",
            "class_name": "function",
            "config": _registry.get_registered_name(obj),
            "registered_name": "function",
        }
    if not hasattr(obj, "get_config"):
        raise TypeError(
            f"Cannot serialize {obj!r} (of type {type(obj).__name__}), which cannot be "
            "written to JSON: to be serializable, a class must implement `get_config()` (and `from_config()` if its constructor "
            "does not take that config as keyword arguments)."
        )
    return serialize_instance(obj)


def serialize_instance(obj: Any, module: str | None = None) -> dict[str, Any]:
    """The class dict of ``obj`` (``get_config()`` serialized), with build/compile configs."""
    cls = type(obj)
    cls = cls.__dict__.get("_heft_serialized_class", cls)
    config = obj.get_config()
    if not isinstance(config, dict):
        raise TypeError(
            f"The `get_config()` method of {obj!r} should return a dict. It returned: {config!r}"
        )
    result = class_dict(cls, serialize_dict(config), module)
    _add_build_and_compile_config(obj, result)
    return result


def class_dict(cls: type, inner: Any, module: str | None = None) -> dict[str, Any]:
    """``{module, class_name, config, registered_name}`` for an instance of ``cls``.

    heft's own classes are named by their Keras module (``module`` when given);
    other classes by their Python module (``None`` for ``__main__``) and their
    registered name, as Keras names custom classes.
    """
    registered = _registry.registered_name_or_none(cls)
    # A heft class outside the modelling namespaces may name its Keras module and
    # registered name, so that both libraries read the dict (``FeatureSpace``'s parts).
    keras_place = cls.__dict__.get("_keras_serialized_as") if _is_heft_object(cls) else None
    if registered is None and keras_place is not None:
        return {
            "module": keras_place[0],
            "class_name": cls.__name__,
            "config": inner,
            "registered_name": keras_place[1],
        }
    if registered is None and _is_heft_object(cls):
        public = _public_module_names().get(id(cls))
        found = module or public or cls.__module__
        return {
            "module": found,
            "class_name": cls.__name__,
            "config": inner,
            "registered_name": None,
        }
    return _with_main_as_none(
        {
            "module": cls.__module__,
            "class_name": cls.__name__,
            "config": inner,
            "registered_name": registered or cls.__name__,
        }
    )


def _with_main_as_none(config: dict[str, Any]) -> dict[str, Any]:
    if config["module"] == "__main__":
        config["module"] = None
    return config


def _add_build_and_compile_config(obj: Any, config: dict[str, Any]) -> None:
    get_build = getattr(obj, "get_build_config", None)
    if get_build is not None and getattr(obj, "built", True):
        build_config = get_build()
        if build_config is not None:
            config["build_config"] = serialize_dict(build_config)
    from .models import Model

    if isinstance(obj, Model):
        from .saving._model_config import compile_config

        # A model has one even when not compiled: `{}`, as Keras's `get_compile_config()`.
        config["compile_config"] = serialize_dict(compile_config(obj) or {})


def serialize_dict(config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with every value serialized by :func:`serialize_keras_object`."""
    return {key: serialize_keras_object(value) for key, value in config.items()}


def _is_jax_array(obj: Any) -> bool:
    import jax

    return isinstance(obj, jax.Array)


def _dump_function(fn: types.FunctionType) -> tuple[str, Any, Any]:
    code = base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii")
    closure = tuple(c.cell_contents for c in fn.__closure__) if fn.__closure__ else None
    return code, fn.__defaults__, closure


def _load_function(value: Any) -> types.FunctionType:
    code_text, defaults, closure = ([*list(value), None, None])[:3]
    code = marshal.loads(base64.decodebytes(code_text.encode("ascii")))
    import heft

    cells = tuple(types.CellType(v) for v in closure) if closure is not None else None
    globs = {"__builtins__": builtins, "keras": heft, "heft": heft}
    return types.FunctionType(
        code, globs, code.co_name, tuple(defaults) if defaults else None, cells
    )


# ------------------------------------------------------------------------------ deserialize


def deserialize_keras_object(
    config: Any,
    custom_objects: Mapping[str, Any] | None = None,
    safe_mode: bool = True,
    **kwargs: Any,
) -> Any:
    """Rebuild the object that :func:`serialize_keras_object` (or Keras) described.

    Names are looked up in the ``custom_objects`` scopes, the registered
    objects, ``custom_objects``, then heft's builtins named by the config's
    ``module``. Classes are built with ``from_config`` (inside a custom object
    scope, so nested configs see the same names), then built and compiled from
    ``build_config``/``compile_config`` when present.

    Args:
        config: A plain value, list, dict of configs, or a class/function dict.
        custom_objects: Extra ``{name: class or function}``.
        safe_mode: Refuse serialized lambdas (unless an enclosing
            ``SafeModeScope`` or ``heft.config.enable_unsafe_deserialization()``
            decides otherwise).
        **kwargs: ``module_objects``, a ``{name: object}`` of builtins, for
            configs that name objects by their plain name.

    Raises:
        ValueError: For a lambda in safe mode.
        TypeError: If a class or function cannot be found, or the config is
            malformed.

    >>> import heft
    >>> init = deserialize_keras_object(serialize_keras_object(heft.initializers.Constant(2.0)))
    >>> type(init).__name__, init.value
    ('Constant', 2.0)
    """
    scoped = in_safe_mode_override()
    if scoped is not None:
        safe_mode = scoped
    module_objects = kwargs.pop("module_objects", None)
    if kwargs:
        raise TypeError(f"Unexpected keyword arguments: {sorted(kwargs)}.")
    objects: dict[str, Any] = dict(custom_objects or {})
    for scope in _registry.scoped_objects():
        objects.update(scope)
    objects.update(_registry.get_custom_objects())

    if config is None:
        return None
    if isinstance(config, str) and objects.get(config) is not None:
        return objects[config]
    if isinstance(config, list | tuple):
        return [deserialize_keras_object(x, objects, safe_mode) for x in config]
    if module_objects is not None:
        found = _from_module_objects(config, module_objects, objects)
        if found is not _MISSING:
            return found
    if isinstance(config, _PLAIN):
        return config
    if not isinstance(config, Mapping):
        raise TypeError(f"Could not parse config: {config!r}")
    if "class_name" not in config or "config" not in config:
        return {k: deserialize_keras_object(v, objects, safe_mode) for k, v in config.items()}

    class_name = config["class_name"]
    inner = config["config"] if config["config"] is not None else {}
    special = _deserialize_special(class_name, inner, objects, safe_mode)
    if special is not _MISSING:
        return special
    module = config.get("module")
    registered_name = config.get("registered_name", class_name)
    if class_name == "function":
        if not isinstance(inner, str):
            raise TypeError(
                "Expected 'config' to be the function's name (a str) for a function config, "
                f"got {type(inner).__name__}. Full config: {config}"
            )
        return _retrieve(inner, registered_name, module, "function", config, objects)
    if not isinstance(inner, Mapping):
        raise TypeError(
            f"Expected 'config' to be a dict for {class_name}, got {type(inner).__name__}. "
            f"Full config: {config}"
        )
    cls = _retrieve(class_name, registered_name, module, "class", config, objects)
    if isinstance(cls, types.FunctionType):
        return cls
    from .layers import Layer

    if isinstance(cls, type) and issubclass(cls, Layer):
        from .layers import _serialization

        with SafeModeScope(safe_mode):
            layer = _serialization.deserialize_class(cls, dict(config), objects)
            _compile_from_config(layer, config)
        return layer
    if not hasattr(cls, "from_config"):
        raise TypeError(
            f"Unable to rebuild an instance of {class_name!r}: the class has no "
            f"`from_config()` method. Full config: {config}"
        )
    with _registry.CustomObjectScope(objects), SafeModeScope(safe_mode):
        try:
            instance = cls.from_config(dict(inner))
        except TypeError as err:
            raise TypeError(
                f"{cls} could not be deserialized: {err}. Objects that `get_config()` "
                "returns (layers, initializers, ...) arrive in `from_config()` as config "
                "dicts; rebuild them there with `heft.saving.deserialize_keras_object`. "
                f"Config: {config}"
            ) from err
        build_config = config.get("build_config")
        if build_config and not getattr(instance, "built", True):
            instance.build_from_config(build_config)
        _compile_from_config(instance, config)
    return instance


def _compile_from_config(instance: Any, config: Mapping[str, Any]) -> None:
    compile_config = config.get("compile_config")
    if compile_config and hasattr(instance, "compile"):
        from .saving._model_config import compile_from_config

        compile_from_config(instance, compile_config)


def in_safe_mode_override() -> bool | None:
    """The safe mode of an enclosing ``SafeModeScope``, or ``None`` outside any."""
    from . import _safe_mode

    stack = getattr(_safe_mode._state, "stack", None)
    return stack[-1] if stack else None


_MISSING = object()


def _from_module_objects(config: Any, module_objects: Mapping[str, Any], objects: Mapping) -> Any:
    """Keras's ``module_objects`` path: names of builtins given as a plain dict."""
    inner = None
    key: Any = config
    if isinstance(config, Mapping):
        if "class_name" not in config:
            raise ValueError(f"Unknown `config` as a `dict`, config={config}")
        inner = config.get("config")
        if (
            config["class_name"] in objects
            or config.get("registered_name") in objects
            or (isinstance(inner, str) and inner in objects)
        ):
            return _MISSING
        if config["class_name"] == "function":
            key = inner if config.get("module") == "builtins" else config.get("registered_name")
        else:
            key = config["class_name"]
    if not isinstance(key, str) or key not in module_objects:
        return config
    found: Any = module_objects[key]
    if inspect.isfunction(found) or not inspect.isclass(found):
        return found
    inner_config = dict(inner) if isinstance(inner, Mapping) else {}
    builder: Any = getattr(found, "from_config")  # noqa: B009 - found is narrowed to `type`
    with _registry.CustomObjectScope(objects):
        return builder(inner_config)


def _deserialize_special(class_name: str, inner: Any, objects: Mapping, safe_mode: bool) -> Any:
    if class_name == "__numpy__":
        return np.array(inner["value"], dtype=inner["dtype"])
    if class_name == "__tensor__":
        import jax.numpy as jnp

        return jnp.asarray(np.array(inner["value"], dtype=inner["dtype"]))
    if class_name == "__bytes__":
        return inner["value"].encode("utf-8")
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__slice__":
        return slice(
            *(
                deserialize_keras_object(inner[k], objects, safe_mode)
                for k in ("start", "stop", "step")
            )
        )
    if class_name == "__keras_tensor__":
        from ._symbolic import KerasTensor

        tensor = KerasTensor(tuple(inner["shape"]), dtype=inner["dtype"])
        # Kept as Keras keeps it, for code that rebuilds graphs from tensor configs.
        setattr(tensor, "_pre_serialization_keras_history", inner.get("keras_history"))  # noqa: B010
        return tensor
    if class_name == "__lambda__":
        if safe_mode:
            raise ValueError(
                "Requested the deserialization of a Python lambda, which can run arbitrary "
                "code, so it is refused by default. If you trust the source of this config, "
                "pass `safe_mode=False` or call `heft.config.enable_unsafe_deserialization()`."
            )
        return _load_function(inner["value"])
    return _MISSING


def _retrieve(
    name: str,
    registered_name: Any,
    module: Any,
    kind: str,
    full_config: Mapping[str, Any],
    objects: Mapping[str, Any],
) -> Any:
    lookup = name if kind == "function" else registered_name
    for key in (lookup, name):
        found = _registry.get_registered_object(key, objects) if isinstance(key, str) else None
        if found is not None:
            return found
    if isinstance(module, str):
        found = _builtin(module, name, kind)
        if found is not None:
            return found
    raise TypeError(
        f"Could not locate {kind} {name!r}. Make sure custom classes and functions are "
        "decorated with `@heft.saving.register_keras_serializable()` or passed in "
        f"`custom_objects`. Full config: {full_config}"
    )


def _builtin(module: str, name: str, kind: str) -> Any:
    """heft's builtin ``name`` for a config whose ``module`` names a Keras module."""
    if module == "keras.src.models.functional" and name == "Functional":
        from .models import Functional

        return Functional
    if (module, name) in _APPLICATION_LAYERS:
        import importlib

        private = importlib.import_module(_APPLICATION_LAYERS[module, name], __package__)
        return getattr(private, name)
    if module in _FEATURE_SPACE_MODULES and name in _FEATURE_SPACE_CLASSES:
        from .utils import _feature_space

        return getattr(_feature_space, name)
    candidates: list[str] = []
    if module == "keras":
        candidates = [""]
    elif module.startswith("keras.src."):
        top = module.split(".")[2]
        candidates = [p for p in _NAMESPACES if p.split(".")[0] == top]
    elif module.startswith("keras."):
        path = module[len("keras.") :]
        candidates = [path] if path in _NAMESPACES else []
    elif module == "builtins" and kind == "function":
        candidates = [
            "activations",
            "losses",
            "metrics",
            "initializers",
            "regularizers",
            "constraints",
        ]
    for path in candidates:
        found = vars(_namespace(path)).get(name)
        if path == "" and not isinstance(found, type):
            continue
        if found is not None and (isinstance(found, type) or callable(found)):
            if kind == "class" and not isinstance(found, type) and not inspect.isfunction(found):
                continue
            return found
    return None
