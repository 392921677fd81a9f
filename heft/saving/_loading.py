"""All-or-nothing loading: check every (file entry, variable) pair, then assign them all."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np

from .. import _dtypes
from ..layers._assign import assign_prepared, prepare_values
from ._hdf5 import StoredArray, convertible
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
    skip_mismatch: bool,
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
            if skip_mismatch:
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


def execute(
    read: Callable[[StoredArray], np.ndarray],
    model: Any,
    slots: Sequence[Slot],
    unexpected: Sequence[LoadEntry],
    filepath: str,
    fmt: str,
    skip_mismatch: bool,
    dry_run: bool,
) -> LoadReport:
    """Check everything, then (unless ``dry_run``) assign every loadable value at once.

    Values are read one variable at a time (by ``read``, which raises
    ``ValueError`` for damaged data or a failed checksum) and moved to the
    device as they are read;
    nothing is assigned until every value has been read and converted, so any
    failure leaves the model unchanged.

    Raises:
        ValueError: If a variable is missing or mismatched and ``skip_mismatch``
            is False, or if the file's data cannot be read.
    """
    report, loadable, warn = build_report(slots, unexpected, filepath, fmt, skip_mismatch, dry_run)
    if not report.ok and not skip_mismatch and not dry_run:
        raise ValueError(failure_message(report, model.name))
    values = []
    for slot in loadable:
        array = read(slot.stored)
        if dry_run:
            continue
        target = jax.dtypes.canonicalize_dtype(_dtypes.to_jax_dtype(slot.variable.dtype))
        values.append(jax.device_put(np.asarray(array, dtype=target)))
        del array
    if dry_run:
        return report
    variables = [slot.variable for slot in loadable]
    # Shapes and dtypes were checked above; this validates again and assigns only
    # once every value is ready.
    prepared = prepare_values(variables, values, f"model '{model.name}'")
    assign_prepared(variables, prepared)
    for slot in loadable:
        slot.variable._provenance = f"file '{filepath}', entry '{slot.key}'"
    if warn:
        warnings.warn(skipped_message(report, model.name), UserWarning, stacklevel=3)
    return report
