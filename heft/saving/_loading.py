"""All-or-nothing loading: check every pair, read every value, then assign them all or none."""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import numpy as np

from .. import _dtypes
from .._scope import StatelessScope
from ..layers._assign import assign_prepared, prepare_values
from ._buffers import Ahead, aligned_empty
from ._format import Opened, Read, StoredArray, WeightFormat, convertible
from ._plan import OwnLoad, Plan, Slot
from ._policy import LoadPolicy
from ._report import LoadEntry, LoadReport, failure_message, skipped_message
from ._store import LoadStore, owner_name
from ._structure import plan as structure_plan


def _describe(variable: Any) -> str:
    return f"{tuple(variable.shape)} {variable.dtype}"


def _check(slot: Slot) -> tuple[str, str]:
    """``(status, detail)`` of a slot: ``matched``, ``missing`` or ``mismatched``."""
    if slot.problem is not None:
        return "mismatched", slot.problem
    if slot.stored is None:
        return "missing", f"not in the file (the variable is {_describe(slot.variable)})"
    stored, variable = slot.stored, slot.variable
    if tuple(stored.shape) != tuple(variable.shape):
        return "mismatched", (
            f"shape differs: the file has {stored.describe()}, the variable is "
            f"{_describe(variable)}"
        )
    if not convertible(stored, variable.dtype):
        return "mismatched", (
            f"dtype {stored.dtype} cannot be converted to the variable's {variable.dtype}"
        )
    return "matched", stored.describe()


def build_report(
    slots: Sequence[Slot],
    unexpected: Sequence[LoadEntry],
    filepath: str,
    fmt: str,
    policy: LoadPolicy,
    dry_run: bool,
) -> tuple[LoadReport, list[Slot], bool]:
    """Classify every slot; return the report, the slots that will load, and whether to warn."""
    matched: list[LoadEntry] = []
    missing: list[LoadEntry] = []
    mismatched: list[LoadEntry] = []
    skipped: list[LoadEntry] = []
    loadable: list[Slot] = []
    warn = False
    for slot in slots:
        status, detail = _check(slot)
        entry = LoadEntry(slot.key, slot.variable.path, detail)
        if status == "matched":
            matched.append(entry)
            loadable.append(slot)
        elif slot.soft:
            skipped.append(entry)
            warn = warn or slot.warn
        else:
            (missing if status == "missing" else mismatched).append(entry)
            if policy.skips(slot.key, slot.variable.path):
                skipped.append(entry)
                warn = True
    report = LoadReport(
        filepath,
        fmt,
        matched=tuple(matched),
        missing=tuple(missing),
        unexpected=tuple(unexpected),
        mismatched=tuple(mismatched),
        skipped=tuple(skipped),
        dry_run=dry_run,
    )
    return report, loadable, warn


def _to_device(array: np.ndarray, variable: Any) -> jax.Array:
    """Cast ``array`` to the variable's dtype on the host, then place it with as few copies as can be.

    A value already in the variable's dtype is placed as it is (JAX's CPU
    backend adopts the aligned buffer it was read into); otherwise it is cast
    into a new aligned buffer first.
    """
    target = jax.dtypes.canonicalize_dtype(_dtypes.to_jax_dtype(variable.dtype))
    if array.dtype != target:
        cast = aligned_empty(array.shape, target)
        np.copyto(cast, array, casting="unsafe")
        array = cast
    return jax.device_put(array)


def _nbytes(stored: StoredArray) -> int:
    """The bytes of the array a stored value is read into (0 when its dtype is unknown)."""
    try:
        itemsize = np.dtype(_dtypes.to_jax_dtype(stored.dtype)).itemsize
    except (TypeError, ValueError):
        return 0
    return math.prod(stored.shape) * itemsize


@dataclass
class _OwnLoads:
    """What the layers' own ``load_own_variables`` did, staged: nothing assigned yet."""

    matched: list[LoadEntry] = field(default_factory=list)
    unread: list[LoadEntry] = field(default_factory=list)
    failed: list[LoadEntry] = field(default_factory=list)
    skipped: list[LoadEntry] = field(default_factory=list)
    variables: list[Any] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)
    provenance: list[str] = field(default_factory=list)


def _run_own(
    own: OwnLoad, read: Read, filepath: str, policy: LoadPolicy, dry_run: bool, out: _OwnLoads
) -> None:
    """Run one layer's ``load_own_variables`` against its group, recording its assignments.

    The layer runs inside a ``StatelessScope``: its ``assign`` calls (and
    ``set_weights``) are checked as usual (shapes, dtypes) and recorded, not
    applied. A damaged entry fails the load even if the layer catches the
    error. Any other exception skips the layer when ``policy`` allows it, is
    reported in a dry run, and is raised otherwise.

    Raises:
        ValueError: If an entry the layer read is damaged.
        Exception: Whatever the layer raised, with a note naming it and the file.
    """
    layer = own.layer
    owner = owner_name(layer)
    where = layer.path or layer.name
    store = LoadStore(owner, own.group, own.members, read)
    error: Exception | None = None
    try:
        with StatelessScope() as scope:
            layer.load_own_variables(store)
    except Exception as err:
        error = err
    if store.damage is not None:
        raise store.damage
    if error is not None:
        entry = LoadEntry(
            own.group, where, f"`load_own_variables` raised {type(error).__name__}: {error}"
        )
        if policy.skips(own.group, where):
            out.skipped.append(entry)
        elif dry_run:
            out.failed.append(entry)
        else:
            error.add_note(
                f"Raised by `load_own_variables` of {owner} while loading '{filepath}'. "
                "Nothing was loaded: every variable keeps its value."
            )
            raise error
        return
    read_keys = store.read_keys
    for name, stored in own.members.items():
        key = f"{own.group}/{name}"
        if name in read_keys:
            out.matched.append(LoadEntry(key, where, f"{stored.describe()}, read by the layer"))
        else:
            out.unread.append(LoadEntry(key, None, stored.describe()))
    origin = (
        f"file '{filepath}', entries {read_keys} of group '{own.group}' read by "
        f"`load_own_variables` of {owner}"
    )
    for variable in scope.updated_variables:
        out.variables.append(variable)
        out.values.append(scope.get_current_value(variable))
        out.provenance.append(origin)


def _with_own(report: LoadReport, own: _OwnLoads) -> LoadReport:
    return dataclasses.replace(
        report,
        matched=report.matched + tuple(own.matched),
        unexpected=tuple(sorted(report.unexpected + tuple(own.unread), key=lambda e: e.key)),
        mismatched=report.mismatched + tuple(own.failed),
        skipped=report.skipped + tuple(own.skipped),
    )


def execute(
    read: Read,
    model: Any,
    plan: Plan,
    filepath: str,
    fmt: str,
    policy: LoadPolicy,
    dry_run: bool,
) -> LoadReport:
    """Check everything, then (unless ``dry_run``) assign every loadable value at once.

    ``read(stored, take)`` returns one value as stored in the file, read into
    the array ``take(shape, dtype).array`` gives (raising ``ValueError`` when it
    cannot be read), and a function that raises ``ValueError`` if the value
    fails its checksum. The paired variables are checked first (present,
    count, shape, dtype), before anything is read. Then the layers that load
    themselves run their ``load_own_variables``, staged (see ``_run_own``).
    Then the paired values are read one variable at a time, in file order,
    into buffers prepared ahead (``_buffers.Ahead``), and moved to the device
    as they are read, while a helper thread computes their checksums; all
    checksums are checked before anything is assigned. So any failure
    (damaged data, a failed checksum, an I/O error halfway through the file, a
    layer's own loader raising) leaves the model unchanged, and the assignment
    that follows does no I/O and cannot fail. The price is memory: the old and
    the new values coexist until the assignment, so a load adds one copy of
    the loaded values (the old ones are released as they are replaced).
    Values a layer's own loader assigns are written after the paired ones.

    Raises:
        ValueError: If a variable is missing or mismatched and ``policy`` does
            not allow skipping it, or if the file's data cannot be read or fails its checksum.
        Exception: What a layer's ``load_own_variables`` raised, unless
            ``policy`` allows skipping it.
    """
    report, loadable, warn = build_report(
        plan.slots, plan.unexpected, filepath, fmt, policy, dry_run
    )
    skipped = set(report.skipped)
    blocking = dataclasses.replace(
        report,
        missing=tuple(e for e in report.missing if e not in skipped),
        mismatched=tuple(e for e in report.mismatched if e not in skipped),
    )
    if not blocking.ok and not dry_run:
        raise ValueError(failure_message(blocking, model.name))
    own = _OwnLoads()
    for item in plan.own:
        _run_own(item, read, filepath, policy, dry_run, own)
    report = _with_own(report, own)
    warn = warn or bool(own.skipped)
    values = []
    checks = []
    ahead = Ahead([_nbytes(slot.stored) for slot in loadable])
    try:
        for slot in loadable:
            array, check = read(slot.stored, ahead.take)
            checks.append(check)
            if not dry_run:
                values.append(_to_device(array, slot.variable))
            del array
    finally:
        ahead.close()
    for check in checks:  # the first damaged entry in file order raises
        check()
    if dry_run:
        return report
    variables = [slot.variable for slot in loadable] + own.variables
    # Shapes and dtypes were checked above; this validates again and assigns only
    # once every value is ready.
    prepared = prepare_values(variables, values + own.values, f"model '{model.name}'")
    del values
    provenance = [f"file '{filepath}', entry '{slot.key}'" for slot in loadable]
    assign_prepared(variables, prepared, provenance + own.provenance)
    if warn:
        warnings.warn(skipped_message(report, model.name), UserWarning, stacklevel=3)
    return report


def load_opened(
    model: Any, opened: Opened, fmt: str, policy: LoadPolicy, by_name: bool, dry_run: bool
) -> LoadReport:
    """Pair ``model`` with the open file, then load it (see :func:`execute`)."""
    if opened.pair is not None:
        plan = opened.pair(model, by_name)
    else:
        plan = structure_plan(model, policy.remap(opened.index))
    return execute(opened.read, model, plan, opened.label, fmt, policy, dry_run)


def load(
    model: Any,
    fmt: WeightFormat,
    filepath: str,
    policy: LoadPolicy,
    by_name: bool,
    dry_run: bool,
) -> LoadReport:
    """Open ``filepath`` in format ``fmt`` and load it into ``model``, all or nothing."""
    if fmt.open_for_model is not None:
        opening = fmt.open_for_model(filepath, model)
    else:
        opening = fmt.open(filepath)
    with opening as opened:
        return load_opened(model, opened, fmt.name, policy, by_name, dry_run)
