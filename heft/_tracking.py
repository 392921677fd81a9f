"""Explicit state tracking: which variables, sublayers and seed generators an object holds."""

from __future__ import annotations

from typing import Any

LOCK_MESSAGE = (
    "You cannot add new elements of state (variables or sub-layers) to a layer that is "
    "already built. All state must be created in the `__init__()` method or in the "
    "`build()` method."
)


def kind_of(value: Any) -> str | None:
    """The store a value belongs to: ``"variables"``, ``"layers"``, ``"metrics"``, ``"seeds"``."""
    return getattr(value, "_tracking_kind", None)


class Tracker:
    """Ordered, id-keyed stores of the state an owner holds; lockable after build."""

    def __init__(self, owner_name: str) -> None:
        self.owner_name = owner_name
        self.trainable_variables: list[Any] = []
        self.non_trainable_variables: list[Any] = []
        self.layers: list[Any] = []
        self.metrics: list[Any] = []
        self.seed_generators: list[Any] = []
        self._ids: set[int] = set()
        self.locked = False

    def _store_for(self, value: Any) -> list[Any] | None:
        kind = kind_of(value)
        if kind == "variable":
            return self.trainable_variables if value.trainable else self.non_trainable_variables
        if kind == "layer":
            return self.layers
        if kind == "metric":
            return self.metrics
        if kind == "seed_generator":
            return self.seed_generators
        return None

    def add(self, value: Any) -> None:
        store = self._store_for(value)
        if store is None or id(value) in self._ids:
            return
        if self.locked:
            raise ValueError(f"{LOCK_MESSAGE} (layer '{self.owner_name}', new state: {value!r})")
        store.append(value)
        self._ids.add(id(value))

    def remove(self, value: Any) -> None:
        if id(value) not in self._ids:
            return
        for store in (
            self.trainable_variables,
            self.non_trainable_variables,
            self.layers,
            self.metrics,
            self.seed_generators,
        ):
            for i, item in enumerate(store):
                if item is value:
                    del store[i]
                    self._ids.discard(id(value))
                    return

    def track(self, value: Any) -> Any:
        """Add ``value`` (or every element of a container) and return what to store."""
        if isinstance(value, TrackedList | TrackedDict):
            for item in value._items():
                self.track(item)
            value._tracker = self
            return value
        if isinstance(value, list):
            return TrackedList([self.track(item) for item in value], self)
        if isinstance(value, dict):
            return TrackedDict({k: self.track(v) for k, v in value.items()}, self)
        if isinstance(value, tuple):
            for item in value:
                self.track(item)
            return value
        self.add(value)
        return value

    def untrack(self, value: Any) -> None:
        if isinstance(value, list | tuple):
            for item in value:
                self.untrack(item)
        elif isinstance(value, dict):
            for item in value.values():
                self.untrack(item)
        else:
            self.remove(value)

    def snapshot(self) -> tuple:
        return (
            list(self.trainable_variables),
            list(self.non_trainable_variables),
            list(self.layers),
            list(self.metrics),
            list(self.seed_generators),
            set(self._ids),
        )

    def restore(self, snap: tuple) -> None:
        (
            self.trainable_variables,
            self.non_trainable_variables,
            self.layers,
            self.metrics,
            self.seed_generators,
            self._ids,
        ) = (
            list(snap[0]),
            list(snap[1]),
            list(snap[2]),
            list(snap[3]),
            list(snap[4]),
            set(snap[5]),
        )


class TrackedList(list):
    """A list attribute of a layer: items added later are tracked, removed ones untracked."""

    def __init__(self, values: Any = (), tracker: Tracker | None = None) -> None:
        super().__init__(values)
        self._tracker = tracker

    def _items(self) -> list[Any]:
        return list(self)

    def _track(self, value: Any) -> Any:
        return self._tracker.track(value) if self._tracker is not None else value

    def append(self, value: Any) -> None:
        super().append(self._track(value))

    def insert(self, index: Any, value: Any) -> None:
        super().insert(index, self._track(value))

    def extend(self, values: Any) -> None:
        for value in values:
            self.append(value)

    def __iadd__(self, values: Any) -> TrackedList:
        self.extend(values)
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        old = self[index]
        if isinstance(index, slice):
            value = [self._track(v) for v in value]
        else:
            value = self._track(value)
        super().__setitem__(index, value)
        self._untrack(old)

    def __delitem__(self, index: Any) -> None:
        old = self[index]
        super().__delitem__(index)
        self._untrack(old)

    def pop(self, index: Any = -1) -> Any:
        value = super().pop(index)
        self._untrack(value)
        return value

    def remove(self, value: Any) -> None:
        super().remove(value)
        self._untrack(value)

    def clear(self) -> None:
        old = list(self)
        super().clear()
        self._untrack(old)

    def _untrack(self, value: Any) -> None:
        if self._tracker is not None and not self._tracker.locked:
            self._tracker.untrack(value)


class TrackedDict(dict):
    """A dict attribute of a layer: values added later are tracked, removed ones untracked."""

    def __init__(self, values: Any = (), tracker: Tracker | None = None) -> None:
        super().__init__(values)
        self._tracker = tracker

    def _items(self) -> list[Any]:
        return list(self.values())

    def _track(self, value: Any) -> Any:
        return self._tracker.track(value) if self._tracker is not None else value

    def __setitem__(self, key: Any, value: Any) -> None:
        old = self.get(key)
        super().__setitem__(key, self._track(value))
        if old is not None and old is not value:
            self._untrack(old)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def __delitem__(self, key: Any) -> None:
        old = self[key]
        super().__delitem__(key)
        self._untrack(old)

    def pop(self, key: Any, *default: Any) -> Any:
        if key not in self and default:
            return default[0]
        value = super().pop(key)
        self._untrack(value)
        return value

    def popitem(self) -> tuple[Any, Any]:
        key, value = super().popitem()
        self._untrack(value)
        return key, value

    def clear(self) -> None:
        old = list(self.values())
        super().clear()
        self._untrack(old)

    def _untrack(self, value: Any) -> None:
        if self._tracker is not None and not self._tracker.locked:
            self._tracker.untrack(value)
