"""All-or-nothing loading: check every (file entry, variable) pair, then assign them all."""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np

from .. import _dtypes
from ..layers._assign import assign_prepared, prepare_values
from ._buffers import Ahead, Take, aligned_empty
from ._hdf5 import StoredArray, convertible
from ._policy import LoadPolicy
from ._report import LoadEntry, LoadReport, failure_message, skipped_message


@dataclass
class Slot:
    """One model variable and what the file holds for it.

    Attributes:
        key: Where the variable's value is (or would be) in the file.
        variable: The model's variable.
        stored: The file's dataset, or ``None`` if the file has none.
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
    matched, missing, mismatched, skipped = [], [], [], []
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


def execute(
    read: Callable[[StoredArray, Take], tuple[np.ndarray, Callable[[], None]]],
    model: Any,
    slots: Sequence[Slot],
    unexpected: Sequence[LoadEntry],
    filepath: str,
    fmt: str,
    policy: LoadPolicy,
    dry_run: bool,
) -> LoadReport:
    """Check everything, then (unless ``dry_run``) assign every loadable value at once.

    ``read(stored, take)`` returns one value as stored in the file, read into
    the array ``take(shape, dtype).array`` gives (raising ``ValueError`` when it
    cannot be read), and a function that raises ``ValueError`` if the value
    fails its checksum. Values are read one variable at a time, in file
    order, into buffers prepared ahead (``_buffers.Ahead``), and moved to the
    device as they are read, while a helper thread computes their checksums; all checksums are checked before anything is
    assigned. So any failure (damaged data, a failed checksum, an I/O error
    halfway through the file) leaves the model unchanged, and the assignment
    that follows does no I/O and cannot fail. The price is memory: the old and
    the new values coexist until the assignment, so a load adds one copy of
    the loaded values (the old ones are released as they are replaced).

    Raises:
        ValueError: If a variable is missing or mismatched and ``policy`` does
            not allow skipping it, or if the file's data cannot be read or fails its checksum.
    """
    report, loadable, warn = build_report(slots, unexpected, filepath, fmt, policy, dry_run)
    skipped = set(report.skipped)
    blocking = dataclasses.replace(
        report,
        missing=tuple(e for e in report.missing if e not in skipped),
        mismatched=tuple(e for e in report.mismatched if e not in skipped),
    )
    if not blocking.ok and not dry_run:
        raise ValueError(failure_message(blocking, model.name))
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
    variables = [slot.variable for slot in loadable]
    # Shapes and dtypes were checked above; this validates again and assigns only
    # once every value is ready.
    prepared = prepare_values(variables, values, f"model '{model.name}'")
    del values
    assign_prepared(
        variables, prepared, [f"file '{filepath}', entry '{slot.key}'" for slot in loadable]
    )
    if warn:
        warnings.warn(skipped_message(report, model.name), UserWarning, stacklevel=3)
    return report
