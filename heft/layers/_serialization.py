"""``serialize``/``deserialize`` for layers, in Keras 3's dict form."""

from __future__ import annotations

from typing import Any

from .. import _registry


def _builtin_layers() -> dict[str, Any]:
    from .. import layers, models

    objects = {
        name: obj
        for name, obj in vars(layers).items()
        if isinstance(obj, type) and issubclass(obj, layers.Layer)
    }
    objects["Sequential"] = models.Sequential
    objects["Model"] = models.Model
    objects["Functional"] = models.Functional
    # Saved on its own, a feature space is the archive's top-level object.
    # Its concatenation (and identity) layers appear in the Functional models built on it.
    from ..utils import _feature_space

    for name in ("FeatureSpace", "TFDConcat", "TFDIdentity"):
        objects[name] = getattr(_feature_space, name)
    return objects


def serialize(layer: Any) -> dict[str, Any]:
    """The Keras dict form of ``layer``, with its build config when built.

    >>> import heft
    >>> serialize(heft.layers.Dense(2, name="d"))["class_name"]
    'Dense'
    """
    module = "keras.layers"
    if type(layer).__name__ in ("Sequential", "Model", "Functional"):
        module = "keras"
    config = _registry.serialize_object(layer, module)
    from .. import models

    if type(layer) is models.Functional:
        # Keras names Functional by its defining module, which its loader imports.
        config["module"] = "keras.src.models.functional"
        config["registered_name"] = "Functional"
    build_config = layer.get_build_config() if layer.built else None
    if build_config is not None:
        config["build_config"] = _jsonable(build_config)
    return config


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuild a layer from ``serialize``'s output (and build it if a build config is given).

    In safe mode (the default) the bytes of the variables it creates are
    estimated first and refused over ``heft.saving.limits``' ``allocation_bytes``
    (see ``heft/saving/_allocation.py``).

    Raises:
        ValueError: If the class is unknown (register it or pass ``custom_objects``),
            or, in safe mode, if its variables would take more than the limit.
    """
    from ..saving import _allocation

    def build() -> Any:
        layer = _registry.deserialize_object(config, _builtin_layers(), custom_objects, "layer")
        build_config = config.get("build_config") if isinstance(config, dict) else None
        if build_config and not layer.built:
            layer.build_from_config(build_config)
        return layer

    return _allocation.checked(build, f"the config of {_describe(config)}")


def deserialize_class(
    cls: type, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> Any:
    """Like :func:`deserialize`, for a config whose class ``cls`` was already found."""
    name = f"{cls.__module__}.{cls.__qualname__}"
    objects = {**(custom_objects or {}), name: cls}
    return deserialize({**config, "class_name": name, "registered_name": None}, objects)


def _describe(config: Any) -> str:
    """``"Dense layer 'dense_3'"`` for a layer config, for messages."""
    if not isinstance(config, dict):
        return f"layer {config!r:.100}"
    inner = config.get("config")
    name = inner.get("name") if isinstance(inner, dict) else None
    kind = config.get("class_name")
    kind = f"{kind} layer" if isinstance(kind, str) else "layer"
    return f"{kind} '{name}'" if isinstance(name, str) else kind
