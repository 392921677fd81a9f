"""Serialization registry: custom objects, and the Keras dict form of configurable objects."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from typing import Any

_CUSTOM_OBJECTS: dict[str, Any] = {}
_CUSTOM_NAMES: dict[int, str] = {}
_SCOPED_OBJECTS: list[Mapping[str, Any]] = []


def to_snake_case(name: str) -> str:
    """``"GlorotUniform"`` -> ``"glorot_uniform"``; ``"L1L2"`` -> ``"l1l2"``."""
    intermediate = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", intermediate).lower()


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Callable:
    """Register a class or function so configs naming it can be deserialized.

    The object is registered under ``"<package>>name"`` (``name`` defaults to the
    object's ``__name__``).

    Args:
        package: Namespace for the registered name. May not contain ``">"``.
        name: Name within the package; defaults to the object's ``__name__``.

    Returns:
        A decorator that registers its argument and returns it unchanged.

    Raises:
        ValueError: If ``package`` contains ``">"``, or if the decorated class
            has no ``get_config`` method.

    >>> @register_keras_serializable(package="demo")
    ... def double(x):
    ...     return 2 * x
    >>> get_registered_name(double)
    'demo>double'
    """
    if ">" in package:
        raise ValueError(
            f"Invalid package name {package!r}: it may not contain '>', which separates "
            "the package from the name in registered names. Choose a name without '>'."
        )

    def decorator(obj: Any) -> Any:
        obj_name = name if name is not None else obj.__name__
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(
                f"Cannot register {obj_name!r}: classes registered as serializable must "
                "define `get_config()` so their configuration can be saved."
            )
        registered = f"{package}>{obj_name}"
        _CUSTOM_OBJECTS[registered] = obj
        _CUSTOM_NAMES[id(obj)] = registered
        return obj

    return decorator


def get_registered_name(obj: Any) -> str:
    """The registered name of ``obj``, or its ``__name__`` if it was never registered."""
    if id(obj) in _CUSTOM_NAMES:
        return _CUSTOM_NAMES[id(obj)]
    return getattr(obj, "__name__", type(obj).__name__)


def registered_name_or_none(obj: Any) -> str | None:
    """The name ``obj`` was registered under, ``None`` if it never was."""
    return _CUSTOM_NAMES.get(id(obj))


def get_custom_objects() -> dict[str, Any]:
    """The live global dict of registered objects, ``{"package>name": object}``.

    Objects added to it are found by deserialization as registered ones are;
    objects made visible by :class:`CustomObjectScope` are not in it.

    >>> get_custom_objects()["double_it"] = lambda x: 2 * x
    >>> get_registered_object("double_it")(3)
    6
    >>> del get_custom_objects()["double_it"]
    """
    return _CUSTOM_OBJECTS


def scoped_objects() -> list[Mapping[str, Any]]:
    """The objects of the open :class:`CustomObjectScope` s, outermost first."""
    return list(_SCOPED_OBJECTS)


def get_registered_object(
    name: str,
    custom_objects: Mapping[str, Any] | None = None,
    module_objects: Mapping[str, Any] | None = None,
) -> Any:
    """Look ``name`` up in scoped, global, ``custom_objects`` then ``module_objects``."""
    for scope in reversed(_SCOPED_OBJECTS):
        if name in scope:
            return scope[name]
    if name in _CUSTOM_OBJECTS:
        return _CUSTOM_OBJECTS[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


class CustomObjectScope:
    """Context manager making extra objects visible to deserialization.

    >>> with CustomObjectScope({"double": lambda x: 2 * x}):
    ...     get_registered_object("double") is not None
    True
    """

    def __init__(self, custom_objects: Mapping[str, Any] | None = None) -> None:
        self._objects = dict(custom_objects or {})

    def __enter__(self) -> CustomObjectScope:
        _SCOPED_OBJECTS.append(self._objects)
        return self

    def __exit__(self, *exc: object) -> None:
        _SCOPED_OBJECTS.remove(self._objects)


custom_object_scope = CustomObjectScope


def serialize_object(obj: Any, module: str) -> Any:
    """The Keras dict form ``{module, class_name, config, registered_name}`` of ``obj``.

    Functions serialize to their registered name (builtin ones to their plain
    name). Objects that ``get_config()`` returns (layers, initializers, arrays)
    are serialized in turn, as Keras does; heft's own classes are named by
    ``module``, other classes by their Python module and registered name.
    """
    if obj is None:
        return None
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return get_registered_name(obj)
    from . import _serialization

    cls = type(obj)
    # A class made for another (a `Model` subclass built from inputs and outputs, see
    # `models/_functional.py`) is saved as that class, so configs name the user's class.
    cls = cls.__dict__.get("_heft_serialized_class", cls)
    config = obj.get_config()
    if not isinstance(config, dict):
        raise TypeError(
            f"The `get_config()` method of {obj!r} should return a dict. It returned: {config!r}"
        )
    return _serialization.class_dict(cls, _serialization.serialize_dict(config), module)


def deserialize_object(
    config: Any,
    module_objects: Mapping[str, Any],
    custom_objects: Mapping[str, Any] | None,
    kind: str,
) -> Any:
    """Rebuild an object from a name or a Keras dict form.

    Args:
        config: A string name, or a dict with ``class_name`` and ``config``.
        module_objects: The builtin names of this kind (class names, snake_case
            names and aliases).
        custom_objects: Extra user-provided names.
        kind: What is being deserialized, for error messages (``"initializer"``).

    Raises:
        ValueError: If the name is unknown or the dict is malformed.
    """
    if isinstance(config, str):
        found = get_registered_object(config, custom_objects, module_objects)
        if found is None:
            raise ValueError(f"Could not interpret {kind} identifier: {config}")
        return found() if inspect.isclass(found) else found
    if not isinstance(config, Mapping) or "class_name" not in config:
        raise ValueError(
            f"Could not interpret {kind} identifier: {config}. Expected a name or a dict "
            "with keys 'class_name' and 'config', as produced by `serialize`."
        )
    class_name = config.get("registered_name") or config["class_name"]
    cls = get_registered_object(class_name, custom_objects, module_objects)
    if cls is None:
        cls = get_registered_object(config["class_name"], custom_objects, module_objects)
    if cls is None and isinstance(config.get("module"), str):
        # A class outside this kind's namespace that Keras names by its module
        # (InceptionResNetV2's CustomScaleLayer).
        from . import _serialization

        cls = _serialization._builtin(config["module"], config["class_name"], "class")
    if cls is None:
        raise ValueError(
            f"Could not interpret {kind} identifier: {config['class_name']!r} is not a known "
            f"{kind}. If it is a custom class, decorate it with "
            "`heft.saving.register_keras_serializable()` or pass it in `custom_objects`."
        )
    inner = config.get("config") or {}
    # Nested objects in the config (a Sequential's layers, a Lambda's function)
    # resolve names through the same custom objects.
    with CustomObjectScope(custom_objects):
        if hasattr(cls, "from_config"):
            return cls.from_config(dict(inner))
        return cls(**inner)
