"""Models to and from JSON: ``Model.to_json`` and ``model_from_json``, in Keras's form."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..layers._layer import Layer
from ._cloning import _describe
from ._functional import Functional
from ._model import Model


def model_json(model: Layer, **kwargs: Any) -> str:
    """``model.to_json(**kwargs)``: the serialized model (Keras's form) as a JSON string."""
    from ..layers import serialize
    from ..saving._model_config import _json_default, _main_module_to_none, compile_config

    config = serialize(model)
    if isinstance(model, Functional) and "build_config" not in config:
        config["build_config"] = {"input_shape": None}
    if isinstance(model, Model):
        config["compile_config"] = compile_config(model)
    kwargs.setdefault("default", _json_default)
    return json.dumps(_main_module_to_none(config), **kwargs)


def model_from_json(
    json_string: str | bytes, custom_objects: Mapping[str, Any] | None = None
) -> Any:
    """The model described by ``json_string`` (from ``to_json()``, heft's or Keras's).

    The model is built with fresh weights, and compiled when the JSON holds a
    compile config.

    Args:
        json_string: The JSON text of a serialized model.
        custom_objects: Names of custom classes and functions the config refers to.

    Returns:
        The new model.

    Raises:
        TypeError: If ``json_string`` is not a string, or the config names an
            unknown class.
        ValueError: If the text is not valid JSON or not a serialized model,
            or safe mode refuses it (code, a non-numeric array, or variables
            over ``heft.saving.limits(allocation_bytes=...)``, found by
            building the model abstractly first).

    >>> import heft
    >>> model = heft.Sequential([heft.Input((3,)), heft.layers.Dense(2)])
    >>> heft.models.model_from_json(model.to_json()).count_params()
    8
    """
    from .. import _registry
    from .._registry import CustomObjectScope
    from .._safe_mode import SafeModeScope
    from ..layers._serialization import _builtin_layers
    from ..saving import _allocation, _untrusted
    from ..saving._model_config import _effective_safe_mode, compile_from_config

    if not isinstance(json_string, str | bytes | bytearray):
        raise TypeError(
            "`json_string` must be the JSON text of a model (a str, as `model.to_json()` "
            f"returns). Received: {_describe(json_string)}"
        )
    # The text may come from anywhere: it is parsed within the same size and
    # nesting limits as a file's JSON (deep nesting would exhaust the stack).
    config = _untrusted.parse_json(
        json_string,
        "the JSON text",
        "json_string",
        lambda problem: ValueError(
            f"`json_string` {problem}. Pass the string `model.to_json()` returned, unchanged."
        ),
    )
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(
            "`json_string` does not describe a model: expected a JSON object with "
            f"'class_name' and 'config' (as `model.to_json()` writes). Received: {config!r:.200}"
        )
    names = [config.get("registered_name"), config["class_name"]]
    if all(
        _registry.get_registered_object(name, custom_objects, _builtin_layers()) is None
        for name in names
        if name
    ):
        raise TypeError(
            f"Could not locate class '{config['class_name']}' named by the JSON config. "
            "Pass it in `custom_objects={'"
            f"{config['class_name']}': {config['class_name']}}}` or decorate it with "
            "`@heft.saving.register_keras_serializable()`."
        )
    with SafeModeScope(_effective_safe_mode(True)), CustomObjectScope(custom_objects):
        # In safe mode the variables' total size is checked before anything is built.
        model = _allocation.checked(
            lambda: _allocation.deserialize_and_build(config, custom_objects),
            "the JSON model config",
        )
        if config.get("compile_config") and hasattr(model, "compile"):
            compile_from_config(model, config["compile_config"])
    return model
