"""``LoadReport``: what a weight load matched, missed, found extra, and skipped."""

from __future__ import annotations

from dataclasses import dataclass

_MAX_LISTED = 10
_TABLE_ROWS = 20


@dataclass(frozen=True)
class LoadEntry:
    """One variable (or one file entry) in a :class:`LoadReport`.

    Attributes:
        key: Where the value is in the file (``"layers/dense/vars/0"``).
        variable: The variable's path in the model (``"sequential/dense/kernel"``);
            for an entry read by a layer's own ``load_own_variables``, that
            layer's path; ``None`` for file entries nothing uses.
        detail: Shapes and dtypes, or why the entry did not load.

    >>> LoadEntry("layers/dense/vars/0", "sequential/dense/kernel", "(3, 4) float32").line()
    'layers/dense/vars/0 -> sequential/dense/kernel: (3, 4) float32'
    """

    key: str
    variable: str | None = None
    detail: str = ""

    def line(self) -> str:
        text = self.key if self.variable is None else f"{self.key} -> {self.variable}"
        return f"{text}: {self.detail}" if self.detail else text


@dataclass(frozen=True)
class LoadReport:
    """The result of ``load_weights``: which variables matched the file and which did not.

    Attributes:
        filepath: The file read (for a ``.keras`` archive,
            ``"<archive>/model.weights.h5"``).
        format: The file's format: ``"weights.h5"``, ``"sharded weights.h5"``
            (``.weights.json``), ``"safetensors"``, ``"legacy h5"`` (``.h5``,
            ``.hdf5``), ``"keras"`` (a ``.keras`` archive), ``"pytorch"``
            (``.bin``/``.pt``/``.pth``) or ``"sharded safetensors"``
            (``.safetensors.index.json``).
        matched: Variables whose value was found with a compatible shape and
            dtype, and entries that layers' own ``load_own_variables`` read.
        missing: Variables the file has no value for.
        unexpected: File entries no variable of the model uses.
        mismatched: Variables whose file value has another shape, count or
            dtype, and layers whose ``load_own_variables`` raised (in a dry run).
        skipped: Variables that kept their values although the file was read
            (``skip_mismatch=True``, unmatched names with ``by_name=True``, an
            optimizer whose variable count differs, or a layer whose
            ``load_own_variables`` raised under ``skip_mismatch``).
        dry_run: Whether nothing was assigned because ``dry_run=True`` was passed.
        layout: ``"keras"``, or ``"torch"`` for a PyTorch state dict read with
            ``layout="torch"``, whose matched entries' details say how each
            variable was converted (``"(3, 4) float32 (transposed from (4, 3))"``)
            and whose file keys are PyTorch's (``"fc.weight"``).
        dropped: PyTorch tensors Keras has no variable for, read past on
            purpose (a BatchNorm's ``num_batches_tracked``).
        key_map: ``(PyTorch module, layer path)`` pairs a ``layout="torch"``
            load used; see :attr:`mapping`.

    >>> report = LoadReport("m.weights.h5", "weights.h5", matched=(LoadEntry("vars/0", "m/w"),))
    >>> report.ok, report.loaded
    (True, 1)
    """

    filepath: str
    format: str
    matched: tuple[LoadEntry, ...] = ()
    missing: tuple[LoadEntry, ...] = ()
    unexpected: tuple[LoadEntry, ...] = ()
    mismatched: tuple[LoadEntry, ...] = ()
    skipped: tuple[LoadEntry, ...] = ()
    dry_run: bool = False
    layout: str = "keras"
    dropped: tuple[LoadEntry, ...] = ()
    key_map: tuple[tuple[str, str], ...] = ()

    @property
    def mapping(self) -> dict[str, str]:
        """``{PyTorch module: layer path}`` a ``layout="torch"`` load paired.

        Pass it back as ``save_weights(..., layout="torch", mapping=report.mapping)``
        to write the tensors under the names they were read from.
        """
        return dict(self.key_map)

    @property
    def ok(self) -> bool:
        """True when every variable of the model has a compatible value in the file."""
        return not self.missing and not self.mismatched

    @property
    def loaded(self) -> int:
        """How many matched entries were (or, in a dry run, would be) loaded.

        One per variable, except for layers that load themselves, which count
        one per entry they read.
        """
        return len(self.matched)

    def _head(self) -> str:
        verb = "would load" if self.dry_run else "loaded"
        layout = f", layout={self.layout!r}" if self.layout != "keras" else ""
        dropped = f", {len(self.dropped)} dropped" if self.dropped else ""
        return (
            f"LoadReport('{self.filepath}', format={self.format!r}{layout}): {verb} "
            f"{self.loaded} variable(s); {len(self.missing)} missing, {len(self.mismatched)} "
            f"mismatched, {len(self.unexpected)} unexpected, {len(self.skipped)} skipped"
            f"{dropped}"
        )

    def _rows(self, limit: int) -> list[tuple[str, str, str, str]]:
        rows: list[tuple[str, str, str, str]] = []
        for status, entries in (
            ("missing", self.missing),
            ("mismatched", self.mismatched),
            ("skipped", self.skipped),
            ("unexpected", self.unexpected),
            ("dropped", self.dropped),
            ("matched", self.matched),
        ):
            for entry in entries[:limit]:
                rows.append((status, entry.key, entry.variable or "-", entry.detail))
            if len(entries) > limit:
                rows.append((status, f"... and {len(entries) - limit} more", "", ""))
        return rows

    def table(self, max_rows: int | None = None) -> str:
        """The report as a plain-text table, ``max_rows`` rows per status at most."""
        rows = self._rows(_TABLE_ROWS if max_rows is None else max_rows)
        if not rows:
            return self._head()
        header = ("status", "file key", "variable", "detail")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
        lines = [self._head()]
        for row in [header, tuple("-" * w for w in widths), *rows]:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.table()

    def __rich__(self) -> object:
        """A ``rich`` table, so that ``rich.print(report)`` draws it with borders."""
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        table = Table("status", "file key", "variable", "detail")
        for row in self._rows(_TABLE_ROWS):
            table.add_row(*row)
        return Group(Text(self._head()), table)

    def __str__(self) -> str:
        return self.table()


def _listing(title: str, entries: tuple[LoadEntry, ...]) -> list[str]:
    if not entries:
        return []
    lines = sorted(entry.line() for entry in entries)
    out = [f"{title} ({len(lines)}):"]
    out.extend(f"  {line}" for line in lines[:_MAX_LISTED])
    if len(lines) > _MAX_LISTED:
        out.append(
            f"  ... and {len(lines) - _MAX_LISTED} more (pass `dry_run=True` for the full report)"
        )
    return out


def failure_message(report: LoadReport, model_name: str) -> str:
    """The ``ValueError`` message for a load refused because of ``report``."""
    parts = []
    if report.missing:
        parts.append(f"{len(report.missing)} variable(s) missing from the file")
    if report.mismatched:
        parts.append(f"{len(report.mismatched)} mismatched")
    lines = [
        f"Cannot load weights from '{report.filepath}' into model '{model_name}': "
        f"{' and '.join(parts)}. Nothing was changed."
    ]
    lines += _listing("Missing (in the model, not in the file)", report.missing)
    lines += _listing("Mismatched (the file's value does not fit the variable)", report.mismatched)
    lines += _listing("Unexpected (in the file, not used by the model)", report.unexpected)
    prefix = _wrapper_prefix(report)
    if prefix is not None:
        lines.append(
            f"The file holds every one of these variables under '{prefix}/' (it was saved "
            f"from a model wrapping this one): pass `strip_prefix={prefix!r}`."
        )
    lines.append(
        "How to fix: build the model with the same architecture as the model that saved "
        "the file (the same layers, in the same order and attributes, with the same shapes); "
        "or pass `skip_mismatch=True` to load the variables that fit and keep the others; "
        "`dry_run=True` returns the full report without changing anything."
    )
    return "\n".join(lines)


def _wrapper_prefix(report: LoadReport) -> str | None:
    """A key prefix under which the file holds every missing or mismatched entry, if any."""
    wanted = [e.key for e in (*report.missing, *report.mismatched)]
    present = {e.key for e in report.unexpected}
    if not wanted:
        return None
    for key in present:
        if key.endswith("/" + wanted[0]):
            prefix = key[: -len(wanted[0]) - 1]
            if all(f"{prefix}/{k}" in present for k in wanted):
                return prefix
    return None


def skipped_message(report: LoadReport, model_name: str) -> str:
    """The warning text listing what ``load_weights`` skipped."""
    lines = [
        f"Loading weights from '{report.filepath}' into model '{model_name}' skipped "
        f"{len(report.skipped)} variable(s), which keep their current values; "
        f"{report.loaded} variable(s) were loaded."
    ]
    lines += _listing("Skipped", report.skipped)
    return "\n".join(lines)
