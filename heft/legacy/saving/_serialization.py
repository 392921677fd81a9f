"""Keras-2-style object configs: ``{"class_name": ..., "config": ...}`` and back.

This is the format of Keras's ``keras.legacy.saving`` (and ``keras.utils.legacy``)
``serialize_keras_object`` / ``deserialize_keras_object``, which older H5 files and
tf.keras code use. A config has no ``module`` nor ``registered_name`` key: the
``class_name`` is the registered name (``"package>Name"`` for registered custom
classes). Objects that an object's ``get_config()`` holds are serialized in turn and
marked ``"__passive_serialization__": True``; functions are written as their
registered name.

Unlike :func:`heft.saving.deserialize_keras_object`, deserialization here knows no
builtin classes by itself: pass them in ``module_objects`` (``vars(heft.layers)``,
for instance), as Keras requires.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from ... import _registry

_PASSIVE = "__passive_serialization__"


def serialize_keras_object(instance: Any) -> Any:
    """The Keras-2-style config of ``instance``.

    Args:
        instance: An object with ``get_config()`` (layer, initializer, optimizer,
            loss, ...), a function or class, or ``None``.

    Returns:
        ``{"class_name": <registered name>, "config": {...}}`` for an object with
        ``get_config()``; the registered name for a function or class; ``None``
        for ``None``. Values of the config that are objects with ``get_config()``
        become such dicts too, with ``"__passive_serialization__": True``; other
        values are kept as they are.

    Raises:
        ValueError: If ``instance`` has neither ``get_config()`` nor a ``__name__``.

    >>> import heft
    >>> serialize_keras_object(heft.initializers.RandomNormal(stddev=0.5, seed=1))
    {'class_name': 'RandomNormal', 'config': {'seed': 1, 'mean': 0.0, 'stddev': 0.5}}
    >>> serialize_keras_object(heft.activations.relu)
    'relu'
    """
    instance = inspect.unwrap(instance)
    if instance is None:
        return None
    if hasattr(instance, "get_config"):
        config = instance.get_config()
        serialized: dict[str, Any] = {}
        for key, item in config.items():
            if isinstance(item, str):
                serialized[key] = item
                continue
            try:
                value = serialize_keras_object(item)
            except ValueError:
                serialized[key] = item
                continue
            if isinstance(value, dict) and not isinstance(item, dict):
                value[_PASSIVE] = True
            serialized[key] = value
        return {
            "class_name": _registry.get_registered_name(type(instance)),
            "config": serialized,
        }
    if hasattr(instance, "__name__"):
        return _registry.get_registered_name(instance)
    raise ValueError(
        f"Cannot serialize {instance!r} because it doesn't implement `get_config()`. "
        "Only objects with `get_config()`, functions and classes can be serialized."
    )


def _lookup(
    name: str, custom_objects: Mapping[str, Any] | None, module_objects: Mapping[str, Any] | None
) -> Any:
    return _registry.get_registered_object(name, custom_objects, module_objects)


def _unknown(kind: str, name: str) -> ValueError:
    return ValueError(
        f"Unknown {kind}: '{name}'. Please ensure you are using a "
        "`heft.utils.custom_object_scope` and that this object is included in the scope, "
        "or pass it in `custom_objects` (builtin classes in `module_objects`)."
    )


def _class_and_config(
    config: Any,
    module_objects: Mapping[str, Any] | None,
    custom_objects: Mapping[str, Any] | None,
    kind: str,
) -> tuple[Any, Any]:
    """The class a Keras-2-style config names, and its inner config with objects revived."""
    if not isinstance(config, dict) or "class_name" not in config or "config" not in config:
        raise ValueError(
            f"Improper config format for {config}. Expecting python dict contains "
            "`class_name` and `config` as keys"
        )
    class_name = config["class_name"]
    cls = _lookup(class_name, custom_objects, module_objects)
    if cls is None:
        raise _unknown(kind, class_name)
    inner = config["config"]
    # Old Sequential configs hold the list of their layers' configs.
    if isinstance(inner, list):
        return cls, inner
    revived = dict(inner)
    for key, item in inner.items():
        if key == "name":
            # A name stays a string even when a function has the same name.
            continue
        if isinstance(item, dict) and _PASSIVE in item:
            revived[key] = deserialize_keras_object(
                item,
                module_objects=module_objects,
                custom_objects=custom_objects,
                printable_module_name="config_item",
            )
        elif isinstance(item, str):
            found = _lookup(item, custom_objects, module_objects)
            if inspect.isfunction(found):
                revived[key] = found
    return cls, revived


def deserialize_keras_object(
    identifier: Any,
    module_objects: Mapping[str, Any] | None = None,
    custom_objects: Mapping[str, Any] | None = None,
    printable_module_name: str = "object",
) -> Any:
    """The object a Keras-2-style config (or a name) describes.

    Names are looked up in the open ``custom_object_scope`` s, the registered
    objects, ``custom_objects`` and then ``module_objects``. The input is not
    changed.

    Args:
        identifier: A config dict ``{"class_name", "config"}``, a name, a function
            (returned as is) or ``None``.
        module_objects: The builtin objects names may refer to, by name.
        custom_objects: The user's objects, by name.
        printable_module_name: What the object is, for error messages.

    Returns:
        For a dict, the instance its class builds from its config (with
        ``from_config``, inside a ``custom_object_scope`` of ``custom_objects``);
        for a name, the object found, instantiated without arguments if it is
        a class.

    Raises:
        ValueError: If the dict lacks ``class_name`` or ``config``, a name is not
            found, or ``identifier`` is of another kind.

    >>> import heft
    >>> config = {"class_name": "Dense", "config": {"units": 2, "name": "out"}}
    >>> layer = deserialize_keras_object(config, module_objects=vars(heft.layers))
    >>> layer.name, layer.units
    ('out', 2)
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        cls, cls_config = _class_and_config(
            identifier, module_objects, custom_objects, printable_module_name
        )
        custom = dict(custom_objects or {})
        if hasattr(cls, "from_config"):
            if "custom_objects" in inspect.getfullargspec(cls.from_config).args:
                everything = {**_registry.get_custom_objects(), **custom}
                return cls.from_config(cls_config, custom_objects=everything)
            with _registry.CustomObjectScope(custom):
                return cls.from_config(cls_config)
        # A function returning an object: the config holds its keyword arguments.
        with _registry.CustomObjectScope(custom):
            return cls(**cls_config)
    if isinstance(identifier, str):
        # A name: the caller's objects first, then the scoped and registered ones.
        if custom_objects and identifier in custom_objects:
            found = custom_objects[identifier]
        else:
            found = _lookup(identifier, None, module_objects)
        if found is None:
            raise _unknown(printable_module_name, identifier)
        return found() if inspect.isclass(found) else found
    if inspect.isfunction(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret serialized {printable_module_name}: {identifier}. Expected a "
        "config dict with `class_name` and `config`, a name, or a function."
    )
