"""Whole models in ``.keras`` archives: ``config.json`` in Keras's form, and back to a model."""

from __future__ import annotations

import datetime
import inspect
import json
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import _safe_mode, _symbolic
from .._registry import CustomObjectScope
from .._safe_mode import SafeModeScope
from ..initializers import _sampling
from ..layers._layer import Layer
from . import _archive, _assets, _h5
from ._format import FileIndex
from ._hdf5 import index_file
from ._loading import load_opened
from ._policy import LoadPolicy
from ._store import saved_groups
from ._walk import model_optimizer, vars_group, walk

# The archive format heft writes is Keras 3.15's; Keras reads this field for information only.
KERAS_VERSION = "3.15.1"


def metadata_json() -> str:
    """``metadata.json``: the Keras version of the format and the time of saving."""
    date = datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")
    return json.dumps({"keras_version": KERAS_VERSION, "date_saved": date})


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(
        f"The model's config holds {value!r} (of type {type(value).__name__}), which cannot be "
        "written to JSON. Make every `get_config()` return plain values (numbers, strings, "
        "lists, dicts) or serialized objects (e.g. `heft.initializers.serialize(x)`)."
    )


def _serialize_compile_value(value: Any, serialize: Any) -> Any:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list | tuple):
        return [_serialize_compile_value(v, serialize) for v in value]
    if isinstance(value, Mapping):
        return {k: _serialize_compile_value(v, serialize) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return serialize(value)


def compile_config(model: Any) -> dict[str, Any]:
    """What ``compile`` was given, serialized as Keras's ``get_compile_config()`` returns it.

    A model that defines its own ``get_compile_config`` is asked for it; an
    uncompiled model gives ``{}``.
    """
    own = getattr(model, "get_compile_config", None)
    if own is not None:
        return own() or {}
    raw = getattr(model, "_compile_config", None)
    if not getattr(model, "compiled", False) or raw is None:
        return {}
    from .. import losses, metrics

    config = dict(raw)
    config["loss"] = _serialize_compile_value(raw.get("loss"), losses.serialize)
    for key in ("metrics", "weighted_metrics"):
        config[key] = _serialize_compile_value(raw.get(key), metrics.serialize)
    config["loss_weights"] = _serialize_compile_value(raw.get("loss_weights"), float)
    if config.get("jit_compile") == "auto":
        # Keras records the resolved setting: compiled unless running eagerly.
        config["jit_compile"] = not config.get("run_eagerly", False)
    return config


def _main_module_to_none(value: Any) -> Any:
    """Keras writes ``"module": null`` for objects defined in ``__main__``."""
    if isinstance(value, list):
        return [_main_module_to_none(v) for v in value]
    if isinstance(value, dict):
        out = {k: _main_module_to_none(v) for k, v in value.items()}
        if out.get("module") == "__main__" and "class_name" in out:
            out["module"] = None
        return out
    return value


def config_json(model: Layer) -> str:
    """``config.json``: the serialized model with its build and compile configs.

    Raises:
        TypeError: If some config value cannot be written to JSON.
    """
    from .. import models
    from ..layers import serialize

    config = serialize(model)
    if isinstance(model, models.Functional) and "build_config" not in config:
        config["build_config"] = {"input_shape": None}
    if isinstance(model, models.Model):
        config["compile_config"] = compile_config(model)
    return json.dumps(_main_module_to_none(config), default=_json_default)


def _deserialize_compile_value(value: Any, deserialize: Any) -> Any:
    if isinstance(value, list):
        return [_deserialize_compile_value(v, deserialize) for v in value]
    if isinstance(value, Mapping):
        if "class_name" in value and "config" in value:
            return deserialize(value)
        return {k: _deserialize_compile_value(v, deserialize) for k, v in value.items()}
    return value


def compile_from_config(model: Any, config: Mapping[str, Any]) -> None:
    """Compile ``model`` from a ``compile_config``, as Keras's ``compile_from_config`` does.

    A model that defines ``compile_from_config`` is handed the config; a model
    that overrides ``compile`` without it is left uncompiled, with a warning.
    """
    own = getattr(model, "compile_from_config", None)
    if own is not None:
        own(config)
        return
    from .. import losses, metrics, optimizers
    from ..training._trainer import Trainer

    if type(model).compile is not Trainer.compile:
        warnings.warn(
            f"Model '{model.name}' was loaded uncompiled: its class overrides `compile()`, "
            "so heft cannot replay the saved compile arguments. Define "
            "`get_compile_config()` and `compile_from_config(config)` on the class, or "
            "call `compile()` yourself after loading.",
            UserWarning,
            stacklevel=4,
        )
        return
    kwargs = dict(config)
    optimizer = kwargs.get("optimizer")
    if isinstance(optimizer, Mapping):
        kwargs["optimizer"] = optimizers.deserialize(optimizer)
    kwargs["loss"] = _deserialize_compile_value(kwargs.get("loss"), losses.deserialize)
    for key in ("metrics", "weighted_metrics"):
        kwargs[key] = _deserialize_compile_value(kwargs.get(key), metrics.deserialize)
    accepted = inspect.signature(model.compile).parameters
    model.compile(**{k: v for k, v in kwargs.items() if k in accepted})


def _spec(shape: Any, dtype: str) -> Any:
    """Symbolic inputs for a build config's ``input_shape`` (one shape, a list or a dict)."""
    if isinstance(shape, Mapping):
        return {k: _spec(v, dtype) for k, v in shape.items()}
    if isinstance(shape, list | tuple) and all(d is None or isinstance(d, int) for d in shape):
        return _symbolic.KerasTensor(tuple(shape), dtype)
    if isinstance(shape, list | tuple):
        return [_spec(s, dtype) for s in shape]
    raise ValueError(f"Cannot read the input shape {shape!r} of the build config.")


def _finish_build(model: Layer, build_config: Any) -> None:
    """Create the weights of sublayers that building a subclassed model left unbuilt.

    Keras's default ``build`` runs the model once on symbolic inputs; heft's
    builds sublayers on the first call, so the loader makes that call.
    """
    if not isinstance(build_config, Mapping) or build_config.get("input_shape") is None:
        return
    if all(layer.built for layer in model._flatten_layers()):
        return
    model(_spec(build_config["input_shape"], model.compute_dtype))


def _effective_safe_mode(safe_mode: bool) -> bool:
    """As in Keras, an enclosing ``SafeModeScope`` or a global opt-out wins over the argument."""
    stack = getattr(_safe_mode._state, "stack", None)
    if stack:
        return stack[-1]
    if _safe_mode._unsafe_enabled:
        return False
    return safe_mode


def model_from_config(
    config: Any,
    filepath: str,
    custom_objects: Mapping[str, Any] | None,
    compile: bool,
    safe_mode: bool,
) -> Layer:
    """Rebuild (and build, and compile when asked) the model described by ``config``.

    Raises:
        ValueError: If the config is malformed, names an unknown class, or
            holds code that safe mode refuses.
        TypeError: If a class's ``from_config`` rejects its config.
    """
    from . import _allocation

    if not isinstance(config, Mapping) or not isinstance(config.get("class_name"), str):
        raise ValueError(
            f"'config.json' of the `.keras` archive '{filepath}' is not a serialized model "
            "(expected a dict with 'class_name' and 'config'). Save the model again."
        )
    with SafeModeScope(_effective_safe_mode(safe_mode)), CustomObjectScope(custom_objects):
        try:
            # In safe mode the variables' total size is checked before anything is built.
            model = _allocation.checked(
                lambda: _allocation.deserialize_and_build(config, custom_objects),
                f"the model config of '{filepath}'",
            )
            if not isinstance(model, Layer):
                raise ValueError(
                    f"it describes {type(model).__name__!r}, which is not a heft model or layer"
                )
            compile_cfg = config.get("compile_config")
            if compile and compile_cfg and hasattr(model, "compile"):
                compile_from_config(model, compile_cfg)
        except (ValueError, TypeError) as err:
            message = f"Cannot rebuild the model saved in '{filepath}' from its config: {err}"
            if type(err) in (ValueError, TypeError):
                raise type(err)(message) from None
            err.add_note(message)
            raise
    return model


def save(model: Layer, filepath: str, overwrite: bool) -> None:
    """Write ``model`` to the ``.keras`` archive ``filepath`` (arguments already checked).

    The config is serialized before anything is written, so a config that
    cannot be saved leaves the disk untouched.
    """
    config = config_json(model)
    groups = saved_groups(model, filepath)
    assets = _assets.collect(model)
    _archive.write(filepath, overwrite, metadata_json(), config, groups, assets)


def _saved_optimizer_size(model: Any, index: FileIndex) -> int:
    """How many variables the archive holds for ``model``'s optimizer."""
    optimizer = model_optimizer(model)
    for path, entry in walk(model).items():
        if entry.obj is optimizer:
            prefix = f"{vars_group(path)}/"
            return sum(1 for key in index.arrays if key.startswith(prefix))
    return 0


def load(
    filepath: str, custom_objects: Mapping[str, Any] | None, compile: bool, safe_mode: bool
) -> Layer:
    """Read the ``.keras`` archive ``filepath`` into a new model (arguments already checked).

    The model is rebuilt from ``config.json`` with its random initial values
    put off (``_sampling.deferred_draws``): the file replaces them, so they
    are never drawn, and their placeholders cost no memory, which keeps a
    load within the new model plus one copy of its values. The weights
    member is then checked against what that model can use before anything
    is extracted (see ``_archive.weights_need``), indexed, and loaded, all or
    nothing. Variables the file leaves alone (not saved, or skipped by a
    layer's own ``load_own_variables``) get their initial values drawn then,
    from the keys their initializers took, so they are the values an
    immediate draw gives. Code that reads a variable while the model is built
    (in ``build``) sees zeros instead of its initial values, and a variable
    created with an explicit ``layout`` is placed (copied) at once, so it is
    no longer recognised as a placeholder: one the file leaves alone keeps zeros.
    """
    with _archive.ArchiveReader(filepath) as archive:
        config = archive.read_json(_archive.CONFIG)
        with _sampling.deferred_draws() as draws:
            model = model_from_config(config, filepath, custom_objects, compile, safe_mode)
        need = _archive.weights_need(
            model, _archive.saves_optimizer(config), "the model its config describes"
        )
        with archive.weights(need) as f:
            index = index_file(f, archive.weights_label)
            optimizer = model_optimizer(model) if compile else None
            if optimizer is not None and model.built and not optimizer.built:
                # Slots exist once the optimizer is built: build it when the archive
                # holds them, so that an unbuilt optimizer comes back unbuilt.
                if _saved_optimizer_size(model, index) > len(optimizer.variables):
                    optimizer.build(model.trainable_variables)
            opened = _h5.opened(f, archive.weights_label, index)
            load_opened(model, opened, _archive.WEIGHTS_FORMAT.name, LoadPolicy(), False, False)
        _assets.restore(model, archive)
    if len(draws):
        _draw_what_the_file_left(model, draws)
    return model


def _draw_what_the_file_left(model: Layer, draws: _sampling.DeferredDraws) -> None:
    """Give the variables still holding a placeholder their real initial values."""
    variables = list(model.variables)
    optimizer = model_optimizer(model)
    if optimizer is not None:
        variables += list(optimizer.variables)
    values = draws.draw_missing([variable.value for variable in variables])
    for variable, value in zip(variables, values, strict=True):
        if value is not None:
            # `_write` without a provenance keeps the initializer's, which is
            # where this value comes from.
            variable._write(value)
