"""The one object-graph walk: model -> ordered ``{object path: (object, variables)}``.

Every weight format is an adapter over the result of :func:`walk`, which
reproduces the rule Keras 3 uses to lay out ``.weights.h5`` files, so that the
paths heft writes are the paths Keras writes for the same model:

* The walk starts at the model (path ``""``) and visits *saveable* objects: heft
  layers (models included) and the model's optimizer. Each saveable visited gets
  one entry holding its own variables, even when it has none.
* ``Sequential`` (and ``Functional``) models visit ``layers`` first.
* Then the object's attributes are visited in sorted order, private names
  (``_x``) after public ones. Which attributes exist is decided explicitly:

  - every name in the instance's ``__dict__``;
  - names defined on the object's classes: for classes written outside heft
    (user subclasses) every property or plain class value (methods are never
    visited); for heft's own classes only ``layers`` and ``optimizer``, the
    attributes through which Keras's walk reaches saveables on its own classes.

  Names that a bare base layer has (its ``__dict__`` and the attributes of
  ``Layer``'s classes), the names of Keras's own per-layer stores (``_layers``,
  ``_trainable_variables``...) and dunder names are skipped, as Keras skips the
  attributes of a fresh base instance. A property raising ``AttributeError``
  counts as absent; any other exception propagates.
* A saveable attribute value goes to ``<path>/<attribute>``. Lists, tuples and
  dict values go to ``<path>/<attribute>/<name>`` where ``<name>`` is the item's
  class name in snake_case (``dense``, ``dense_1``...) or ``container``,
  ``container_1``... for a nested container; the counter advances even for items
  already visited.
* The first path through which an object is reached wins; later ones are ignored.
* A layer's variables are ``_tracker.trainable_variables`` followed by
  ``_tracker.non_trainable_variables`` (the order they were tracked in, not
  their current ``trainable`` flags); an optimizer's are its ``variables``.
  What a file holds for a layer is what its ``save_own_variables`` writes,
  by default these variables as ``"0"``, ``"1"``... (``_store.saved_groups``).
  Metrics and seed-generator states are not saved, and the walk does not go
  inside metrics or losses, nor inside optimizers except through their
  ``_saved_children()`` (a ``MultiOptimizer``'s inner optimizers, saved under
  ``optimizer/optimizers/<snake_case class>``).

Built-in layers that hold sublayers must store them under the attribute names
Keras uses for the same layer, since those names become file paths.
"""

from __future__ import annotations

import functools
import re
import types
from typing import Any, NamedTuple

from ..layers._layer import Layer

# Names of Keras's own per-layer state stores: a subclass attribute with one of
# these names is skipped by Keras's walk, so heft skips it as well.
_KERAS_LAYER_STORES = frozenset(
    {
        "_layers",
        "_metrics",
        "_seed_generators",
        "_trainable_variables",
        "_non_trainable_variables",
        "_tracker",
    }
)
# Attributes of heft's own classes through which saveables are reached.
_HEFT_CLASS_ATTRIBUTES = frozenset({"layers", "optimizer"})
# Extra names skipped per kind of object, as Keras does for its model classes.
_KIND_SKIPS = {
    "Layer": frozenset(),
    "Sequential": frozenset({"_functional"}),
    "Functional": frozenset({"operations", "_operations"}),
}


class WalkEntry(NamedTuple):
    """One saveable object found by :func:`walk` and the variables it writes."""

    obj: Any
    variables: list[Any]


def vars_group(path: str) -> str:
    """The group holding the variables of the object at ``path`` (``"vars"`` for the root)."""
    return f"{path}/vars" if path else "vars"


def snake_case(class_name: str) -> str:
    """The container item name Keras derives from a class name (``"Conv2D"`` -> ``"conv2d"``)."""
    name = re.sub(r"\W+", "", class_name)
    # An underscore before each capitalised word that follows another character,
    # then between a lower-case letter and an upper-case one.
    name = re.sub(r"(?<=.)([A-Z][a-z]+)", r"_\1", name)
    name = re.sub(r"(?<=[a-z])([A-Z])", r"_\1", name)
    return name.lower()


@functools.cache
def _base_skipset() -> frozenset[str]:
    """Attribute names of a bare heft ``Layer``: its instance dict and its classes' names."""
    probe = Layer(name="saving_skipset_probe")
    names = set(vars(probe))
    for cls in Layer.__mro__:
        names.update(cls.__dict__)
    return frozenset(names | _KERAS_LAYER_STORES)


def _kind(obj: Any) -> str:
    from .. import models

    if isinstance(obj, models.Sequential):
        return "Sequential"
    functional = getattr(models, "Functional", None)
    if functional is not None and isinstance(obj, functional):
        return "Functional"
    return "Layer"


def _name_key(name: str) -> str:
    return f"~{name}" if name.startswith("_") else name


def _is_heft_class(cls: type) -> bool:
    return cls.__module__ == "heft" or cls.__module__.startswith("heft.")


def _class_attribute_visited(cls: type, name: str, value: Any) -> bool:
    """Whether the class attribute ``name`` (defined on ``cls``) is visited."""
    if _is_heft_class(cls):
        return name in _HEFT_CLASS_ATTRIBUTES
    if isinstance(
        value, types.FunctionType | staticmethod | classmethod | type | types.BuiltinFunctionType
    ):
        return False
    return not callable(value) or isinstance(value, Layer)


def _attribute_names(obj: Any, skip: frozenset[str]) -> list[str]:
    """The attribute names of ``obj`` that the walk visits, in Keras's order."""
    names = {n for n in vars(obj) if not n.startswith("__") and n not in skip}
    seen_on_class: set[str] = set()
    for cls in type(obj).__mro__:
        for name, value in cls.__dict__.items():
            if name in seen_on_class:
                continue
            seen_on_class.add(name)
            if name.startswith("__") or name in skip or name in names:
                continue
            if _class_attribute_visited(cls, name, value):
                names.add(name)
    return sorted(names, key=_name_key)


def _children(obj: Any) -> list[tuple[str, Any]]:
    """``(attribute, value)`` pairs of ``obj`` in the order the walk visits them."""
    kind = _kind(obj)
    out: list[tuple[str, Any]] = []
    if kind in ("Sequential", "Functional"):
        out.append(("layers", obj.layers))
    skip = _base_skipset() | _KIND_SKIPS[kind]
    for name in _attribute_names(obj, skip):
        try:
            value = getattr(obj, name)
        except AttributeError:
            continue
        except Exception as err:
            err.add_note(
                f"Raised by attribute '{name}' of {type(obj).__name__} '{getattr(obj, 'name', obj)}' "
                "while looking for the layers to save or load."
            )
            raise
        out.append((name, value))
    return out


class _Walker:
    def __init__(self, optimizer: Any) -> None:
        self.optimizer = optimizer
        self.visited: set[int] = set()
        self.entries: dict[str, WalkEntry] = {}

    def is_saveable(self, obj: Any) -> bool:
        if isinstance(obj, Layer):
            return True
        if self.optimizer is not None and obj is self.optimizer:
            return True
        return getattr(type(obj), "_tracking_kind", None) == "optimizer"

    def visit(self, obj: Any, path: str) -> None:
        if id(obj) in self.visited:
            return
        self.visited.add(id(obj))
        if isinstance(obj, Layer):
            tracker = obj._tracker
            variables = list(tracker.trainable_variables) + list(tracker.non_trainable_variables)
            self.entries[path] = WalkEntry(obj, variables)
            for attribute, value in _children(obj):
                self.visit_value(value, _join(path, attribute))
        else:
            self.entries[path] = WalkEntry(obj, list(getattr(obj, "variables", None) or ()))
            # Optimizers made of optimizers (``MultiOptimizer``) list the inner ones,
            # which Keras's walk reaches through their public attribute.
            for attribute, items in getattr(obj, "_saved_children", list)():
                used: dict[str, int] = {}
                for item in items:
                    name = _unique(snake_case(type(item).__name__), used)
                    self.visit(item, _join(_join(path, attribute), name))

    def visit_value(self, value: Any, path: str) -> None:
        if self.is_saveable(value):
            self.visit(value, path)
        elif isinstance(value, list | tuple | dict):
            self.visit_container(value, path, set())

    def visit_container(self, container: Any, path: str, seen: set[int]) -> None:
        if id(container) in seen:
            return
        seen.add(id(container))
        items = list(container.values()) if isinstance(container, dict) else list(container)
        used: dict[str, int] = {}
        for item in items:
            if self.is_saveable(item):
                self.visit(item, _join(path, _unique(snake_case(type(item).__name__), used)))
            elif isinstance(item, list | tuple | dict):
                self.visit_container(item, _join(path, _unique("container", used)), seen)


def _unique(name: str, used: dict[str, int]) -> str:
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def _join(path: str, name: str) -> str:
    return f"{path}/{name}" if path else name


def model_optimizer(model: Any) -> Any:
    """``model.optimizer`` when it exists and exposes ``variables``, else ``None``."""
    optimizer = model.__dict__.get("optimizer")
    if optimizer is None:
        try:
            optimizer = getattr(model, "optimizer", None)
        except AttributeError:
            optimizer = None
    if optimizer is None or not hasattr(optimizer, "variables"):
        return None
    return optimizer


def walk(model: Layer) -> dict[str, WalkEntry]:
    """Find every saveable object of ``model`` and the variables each one writes.

    Args:
        model: A heft layer or model (usually built).

    Returns:
        An ordered mapping from object path (``""`` for ``model`` itself,
        ``"layers/dense"``, ``"optimizer"``...) to ``WalkEntry(obj, variables)``.
        The variables of the object at ``path`` are stored in the group
        ``vars_group(path)`` as datasets ``"0"``, ``"1"``...

    Raises:
        TypeError: If ``model`` is not a heft layer.

    >>> import heft
    >>> model = heft.Sequential([heft.Input((3,)), heft.layers.Dense(2)])
    >>> {path: len(entry.variables) for path, entry in walk(model).items()}
    {'': 0, 'layers/dense': 2}
    """
    if not isinstance(model, Layer):
        raise TypeError(
            "Weights can only be saved from or loaded into a heft layer or model. "
            f"Received: {model!r} (of type {type(model).__name__}). Pass a `heft.Model`."
        )
    walker = _Walker(model_optimizer(model))
    walker.visit(model, "")
    return walker.entries
