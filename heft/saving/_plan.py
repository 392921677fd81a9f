"""A loading plan: each model variable paired with its file entry, or a layer with its group."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._format import StoredArray
from ._report import LoadEntry


@dataclass
class Slot:
    """One model variable and what the file holds for it.

    Attributes:
        key: Where the variable's value is (or would be) in the file.
        variable: The model's variable.
        stored: The file's entry, or ``None`` if the file has none.
        problem: Why the pair cannot load even before shapes are compared
            (e.g. a layer's variable count differs from the file's).
        soft: Whether a problem here skips the variable instead of failing the
            load (an optimizer's state, layers absent with ``by_name=True``).
        warn: Whether skipping a soft problem deserves a warning.
    """

    key: str
    variable: Any
    stored: StoredArray | None = None
    problem: str | None = None
    soft: bool = False
    warn: bool = True


@dataclass
class OwnLoad:
    """A layer that reads its file group itself, with its own ``load_own_variables``.

    Attributes:
        layer: The layer.
        group: The group's key as the model sees it (``"layers/dense/vars"``).
        members: ``{name: stored value}`` of the group (empty when the file
            has no such group).
    """

    layer: Any
    group: str
    members: dict[str, StoredArray]


@dataclass
class Plan:
    """Everything a load will do, known before any value is read.

    Attributes:
        slots: The variables paired entry by entry, in file order.
        own: The layers that read their own groups, in walk order.
        unexpected: File entries that no variable and no layer's group uses.
    """

    slots: list[Slot]
    own: list[OwnLoad] = field(default_factory=list)
    unexpected: list[LoadEntry] = field(default_factory=list)
