"""The memory a model config will allocate, found before anything is built, and safe mode's limit on it.

``config_bytes(config)`` builds the model a config describes abstractly
(``heft/_abstract.py``: every variable records its shape and dtype, and none
is allocated), and adds up what its variables would take.

``checked(build, what)`` is how deserialization in safe mode builds a model:
it estimates first and refuses, with a ``ValueError`` naming the largest
layers, a config whose variables would take more than
``heft.saving.limits``' ``allocation_bytes`` (by default what the machine
can hold, see ``heft/_memory.py``); then it builds for real, with every
variable created also counted against the same limit (``_memory.budget``).
That count is the fallback where the estimate cannot be made: a layer whose
``build`` or ``call`` cannot run on abstract values (it converts a weight to
numpy, say) does not make loading fail, it makes the check happen variable by
variable as the model is built, and each variable still passes the per-variable
check of ``Variable`` (no single variable over what the machine can hold).

Loading paths call ``checked`` (``load_model``, ``model_from_json``,
``heft.layers.deserialize`` and the models' ``from_config``); calls nested in
one check run unchecked, so a config is estimated once, at the outermost call.
Optimizer slots and metric variables made by compiling are not counted.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from .. import _abstract, _memory, _safe_mode
from .._abstract import Record
from .._registry import CustomObjectScope
from . import _untrusted

T = TypeVar("T")

# True while a check is in progress (or in a `trusted()` block): nested
# deserialization is part of the outer check and is not estimated again.
_CHECKING: contextvars.ContextVar[bool] = contextvars.ContextVar("heft_config_check", default=False)

# How many layers the refusal names.
_LARGEST_SHOWN = 3


class EstimateError(RuntimeError):
    """The config's model could not be built abstractly, so its size is not known.

    Attributes:
        records: The variables created before the failure: building the
            config for real creates at least these.
        partial_bytes: Their bytes.
    """

    def __init__(self, message: str, records: tuple[Record, ...]) -> None:
        super().__init__(message)
        self.records = records
        self.partial_bytes = sum(r.nbytes for r in records)


@dataclass(frozen=True)
class Estimate:
    """The variables an abstract build created.

    Attributes:
        records: Each variable's path, shape, dtype and bytes, in creation order.
    """

    records: tuple[Record, ...]

    @property
    def total(self) -> int:
        """The bytes of all the variables."""
        return sum(r.nbytes for r in self.records)

    def largest_layers(self, count: int = _LARGEST_SHOWN) -> list[tuple[str, int, list[Record]]]:
        """``(layer path, bytes, records)`` of the ``count`` layers with the most bytes."""
        layers: dict[str, list[Record]] = {}
        for record in self.records:
            layers.setdefault(record.path.rpartition("/")[0] or record.path, []).append(record)
        ranked = sorted(
            ((path, sum(r.nbytes for r in recs), recs) for path, recs in layers.items()),
            key=lambda item: -item[1],
        )
        return ranked[:count]


def estimate(build: Callable[[], Any]) -> Estimate:
    """The variables ``build()`` creates, found by running it abstractly (nothing allocated).

    ``build`` runs with naming and seeding isolated (see ``heft/_abstract.py``),
    so it can be run again for real with the same result as without this call.

    Raises:
        EstimateError: If ``build`` raised; the error is its ``__cause__``.

    >>> import heft
    >>> estimate(lambda: heft.layers.Dense(2**30).build((None, 4))).total
    21474836480
    """
    token = _CHECKING.set(True)
    try:
        records, error = _abstract.run(build)
    finally:
        _CHECKING.reset(token)
    if error is not None:
        partial = sum(r.nbytes for r in records)
        raise EstimateError(
            f"The model could not be built abstractly ({type(error).__name__}: {error}); "
            f"the {len(records)} variable(s) created before that take "
            f"{_memory.format_bytes(partial)}.",
            tuple(records),
        ) from error
    return Estimate(tuple(records))


def deserialize_and_build(
    config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None
) -> Any:
    """Deserialize a model config and build what its build config asks for, as loading does."""
    from ..layers import deserialize
    from ..layers._layer import Layer
    from ._model_config import _finish_build

    with CustomObjectScope(custom_objects):
        model = deserialize(dict(config), dict(custom_objects or {}))
        if isinstance(model, Layer) and model.built:
            _finish_build(model, config.get("build_config"))
    return model


def config_bytes(config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None) -> int:
    """The bytes of the variables building the model described by ``config`` creates.

    ``config`` is a serialized model or layer (``{"class_name", "config",
    ...}``, as in an archive's ``config.json`` or ``model.to_json()``). It is
    built abstractly: no variable is allocated, whatever the shapes. Compiling
    is not part of it (no optimizer or metric variables). The safe mode in
    force applies (a config with a serialized lambda is refused unless unsafe
    deserialization is enabled).

    Args:
        config: The serialized model.
        custom_objects: Custom classes and functions the config names.

    Returns:
        The sum over the variables of ``prod(shape) * itemsize``.

    Raises:
        ValueError: If ``config`` is not a dict with a ``class_name``.
        EstimateError: If the model cannot be built abstractly (its
            ``__cause__`` says why, ``partial_bytes`` what was counted).

    >>> import heft
    >>> model = heft.Sequential([heft.Input((784,)), heft.layers.Dense(64)])
    >>> config_bytes(heft.layers.serialize(model)) == sum(v.numpy().nbytes for v in model.weights)
    True
    """
    if not isinstance(config, Mapping) or not isinstance(config.get("class_name"), str):
        raise ValueError(
            "`config` must be a serialized model: a dict with 'class_name' and 'config', as "
            f"`heft.layers.serialize(model)` returns. Received: {config!r:.200}"
        )
    return estimate(lambda: deserialize_and_build(config, custom_objects)).total


def _limit() -> tuple[int, str] | None:
    """The limit in force for safe-mode builds, and how to describe it."""
    configured = _untrusted.current().allocation_bytes
    if configured is not None:
        return int(configured), "`heft.saving.limits(allocation_bytes=...)`"
    known = _memory.available_bytes()
    if known is None:
        return None
    return known[0], f"the default: {known[1]}"


def _refusal(what: str, estimate: Estimate, limit: int, source: str, partial: bool) -> ValueError:
    layers = []
    for path, nbytes, records in estimate.largest_layers():
        parts = ", ".join(f"{r.path.rpartition('/')[2]} {r.shape} {r.dtype}" for r in records[:4])
        more = f", and {len(records) - 4} more" if len(records) > 4 else ""
        layers.append(f"'{path}' {_memory.format_bytes(nbytes)} ({parts}{more})")
    at_least = "at least " if partial else ""
    return ValueError(
        f"Refusing to build {what}: its {len(estimate.records)} variables would take "
        f"{at_least}{_memory.format_bytes(estimate.total)}, more than the limit of "
        f"{_memory.format_bytes(limit)} ({source}). Largest layers: {'; '.join(layers)}. "
        "Nothing was allocated. If the source is trusted and the machine can hold the "
        "model, raise the limit: `with heft.saving.limits(allocation_bytes=...):` around "
        "the call."
    )


def checked(build: Callable[[], T], what: str) -> T:
    """``build()``, after checking in safe mode that its variables fit within the limit.

    Outside safe mode, or inside another check or a ``trusted()`` block,
    ``build()`` is simply called.

    Args:
        build: Deserializes (and builds) the model; called once abstractly,
            then once for real.
        what: What is built, for messages ("the model config of 'm.keras'").

    Raises:
        ValueError: If the estimate, or the variables created when building
            for real, exceed the limit. Nothing is built in the first case.
    """
    if _CHECKING.get() or _abstract.current() is not None or not _safe_mode.in_safe_mode():
        return build()
    limit = _limit()
    if limit is None:
        return build()
    size, source = limit
    try:
        found = estimate(build)
    except EstimateError as err:
        # The abstract build stopped early (or the config is broken, which the real
        # build will report). The variables counted so far are created by the real
        # build too, so over the limit they already refuse it.
        if err.partial_bytes > size:
            raise _refusal(what, Estimate(err.records), size, source, partial=True) from None
    else:
        if found.total > size:
            raise _refusal(what, found, size, source, partial=False)
    token = _CHECKING.set(True)
    try:
        with _memory.budget(size, what, "allocation_bytes"):
            return build()
    finally:
        _CHECKING.reset(token)


def describe_model_config(cls: type, config: Any) -> str:
    """``"the config of Sequential model 'm'"``, for messages."""
    name = config.get("name") if isinstance(config, Mapping) else None
    named = f" '{name}'" if isinstance(name, str) else ""
    return f"the config of {cls.__name__} model{named}"


@contextlib.contextmanager
def trusted() -> Iterator[None]:
    """Build without the safe-mode allocation check inside the block.

    For configs that come from objects already in memory (``clone_model``),
    whose variables the process already holds once.
    """
    token = _CHECKING.set(True)
    try:
        yield
    finally:
        _CHECKING.reset(token)
