"""``SeedGenerator``: a stateful source of PRNG keys, stored as a non-trainable Variable."""

from __future__ import annotations

import random as _pyrandom
from typing import Any

import jax.numpy as jnp
import numpy as np

from .. import _abstract, _naming, _scope
from .._variable import Variable


def make_default_seed() -> int:
    """A fresh int seed from Python's ``random`` (seeded by ``heft.utils.set_random_seed``).

    In an abstract build (``heft/_abstract.py``) no value is ever drawn, so the
    seed is a constant and Python's random state is left as it was.
    """
    if _abstract.current() is not None:
        return 1
    return _pyrandom.randint(1, int(1e9))


class SeedGenerator:
    """Hands out a new PRNG key on each ``next()``, from a seed and a counter.

    The state is a uint32 Variable ``[seed, counter]`` (non-trainable, path
    ``"<name>/seed_generator_state"``), so a seeded layer's randomness is part of
    its variables and works inside ``stateless_call``.

    Args:
        seed: An int, or ``None`` for a random one.
        name: The generator's name; defaults to ``seed_generator``, ``seed_generator_1``, ...

    >>> gen = SeedGenerator(42)
    >>> gen.next().tolist(), gen.next().tolist()
    ([42, 0], [42, 1])
    """

    _tracking_kind = "seed_generator"

    def __init__(self, seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to SeedGenerator: {kwargs}")
        if name is None:
            name = _naming.auto_name("SeedGenerator")
        seed_argument = seed
        if seed is None:
            seed = make_default_seed()
        elif isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed}")
        self.name = name
        self._seed_argument = seed_argument
        self._initial_seed = seed
        with _scope.name_scope(name, caller=self):
            self.state = Variable(
                np.array([seed, 0], dtype="uint32"),
                dtype="uint32",
                trainable=False,
                name="seed_generator_state",
            )

    def next(self, ordered: bool = True) -> Any:
        """Return the current state (a raw PRNG key) and advance the counter."""
        value = self.state.value
        self.state.assign(value + jnp.array([0, 1], dtype="uint32"))
        return value

    def get_config(self) -> dict[str, Any]:
        return {"seed": self._seed_argument, "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SeedGenerator:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<SeedGenerator name={self.name}, seed={self._initial_seed}>"


_GLOBAL: list[SeedGenerator] = []


def global_seed_generator() -> SeedGenerator:
    """The process-wide generator used by random functions called with ``seed=None``."""
    if not _GLOBAL:
        _GLOBAL.append(SeedGenerator(name="global_seed_generator"))
    return _GLOBAL[0]


def reset_global_seed_generator() -> None:
    _GLOBAL.clear()
