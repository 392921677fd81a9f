"""``Config``: a dict of named values that can also be read and set as attributes, and frozen."""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Iterator
from typing import Any

_OWN = frozenset({"_config", "_frozen"})


class Config:
    """Named values, by key (``c["lr"]``) or attribute (``c.lr``), that can be frozen.

    Iterating gives the keys in sorted order. Once :meth:`freeze` is called,
    every change raises ``ValueError`` until :meth:`unfreeze`.

    >>> config = Config(learning_rate=0.1)
    >>> config.epochs = 3
    >>> config.freeze()
    >>> config["learning_rate"], config.epochs, list(config)
    (0.1, 3, ['epochs', 'learning_rate'])
    >>> config.epochs = 4
    Traceback (most recent call last):
    ValueError: Cannot mutate attribute(s) because the config is frozen. Call `unfreeze()` first.
    """

    def __init__(self, **kwargs: Any) -> None:
        object.__setattr__(self, "_config", kwargs)
        object.__setattr__(self, "_frozen", False)

    @property
    def frozen(self) -> bool:
        """Whether the config refuses changes."""
        return bool(self._frozen)

    def freeze(self) -> None:
        """Refuse every change from now on (until :meth:`unfreeze`)."""
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self) -> None:
        """Accept changes again."""
        object.__setattr__(self, "_frozen", False)

    def _raise_if_frozen(self) -> None:
        if self._frozen:
            raise ValueError(
                "Cannot mutate attribute(s) because the config is frozen. Call `unfreeze()` first."
            )

    def as_dict(self) -> dict[str, Any]:
        """A shallow copy of the values as a dict."""
        return copy.copy(self._config)

    def to_json(self) -> str:
        """The values as a JSON string."""
        return json.dumps(self._config)

    def keys(self) -> Any:
        return self._config.keys()

    def values(self) -> Any:
        return self._config.values()

    def items(self) -> Any:
        return self._config.items()

    def pop(self, *args: Any) -> Any:
        self._raise_if_frozen()
        return self._config.pop(*args)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._raise_if_frozen()
        self._config.update(*args, **kwargs)

    def get(self, keyname: str, value: Any = None) -> Any:
        return self._config.get(keyname, value)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _OWN or hasattr(type(self), name):
            object.__setattr__(self, name, value)
            return
        self._raise_if_frozen()
        self._config[name] = value

    def __getattr__(self, name: str) -> Any:
        config = object.__getattribute__(self, "_config")
        if name in config:
            return config[name]
        message = f"Unknown attribute: '{name}'."
        close = difflib.get_close_matches(name, list(config), n=1, cutoff=0.7)
        if close:
            message += f" Did you mean '{close[0]}'?"
        raise AttributeError(message)

    def __setitem__(self, key: str, item: Any) -> None:
        self._raise_if_frozen()
        self._config[key] = item

    def __getitem__(self, key: str) -> Any:
        return self._config[key]

    def __delitem__(self, key: str) -> None:
        self._raise_if_frozen()
        del self._config[key]

    def __contains__(self, item: object) -> bool:
        return item in self._config

    def __iter__(self) -> Iterator[str]:
        yield from sorted(self._config)

    def __len__(self) -> int:
        return len(self._config)

    def __repr__(self) -> str:
        return f"<Config {self._config}>"
