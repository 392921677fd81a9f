"""Tests for ``LoadReport`` and the messages built from it."""

from heft.saving import LoadEntry, LoadReport
from heft.saving._report import failure_message, skipped_message


def _entries(prefix, n):
    return tuple(
        LoadEntry(f"{prefix}/vars/{i}", f"m/{prefix}/{i}", "(2,) float32") for i in range(n)
    )


def test_load_report_counts_and_ok():
    report = LoadReport("f.weights.h5", "weights.h5", matched=_entries("a", 2))
    assert report.ok and report.loaded == 2
    bad = LoadReport("f.weights.h5", "weights.h5", missing=_entries("b", 1))
    assert not bad.ok and bad.loaded == 0


def test_load_report_table_truncates_each_status():
    report = LoadReport(
        "f.h5", "legacy h5", matched=_entries("a", 25), unexpected=(LoadEntry("x/0"),)
    )
    lines = report.table().splitlines()
    assert lines[0] == (
        "LoadReport('f.h5', format='legacy h5'): loaded 25 variable(s); 0 missing, "
        "0 mismatched, 1 unexpected, 0 skipped"
    )
    assert lines[3].split() == ["unexpected", "x/0", "-"]
    assert lines[-1].split() == ["matched", "...", "and", "5", "more"]
    assert len(report.table(max_rows=3).splitlines()) == 3 + 1 + 3 + 1
    assert str(report) == repr(report) == report.table()


def test_load_report_table_without_rows_is_one_line():
    report = LoadReport("f.weights.h5", "weights.h5", dry_run=True)
    assert repr(report) == (
        "LoadReport('f.weights.h5', format='weights.h5'): would load 0 variable(s); "
        "0 missing, 0 mismatched, 0 unexpected, 0 skipped"
    )


def test_failure_message_lists_sorted_truncated_and_says_how_to_fix():
    missing = tuple(reversed(_entries("z", 12)))
    report = LoadReport("f.weights.h5", "weights.h5", missing=missing, mismatched=_entries("a", 1))
    text = failure_message(report, "model")
    lines = text.splitlines()
    assert lines[0] == (
        "Cannot load weights from 'f.weights.h5' into model 'model': 12 variable(s) missing "
        "from the file and 1 mismatched. Nothing was changed."
    )
    listed = lines[2:12]
    assert listed == sorted(listed)
    assert "  ... and 2 more (pass `dry_run=True` for the full report)" in lines
    assert lines[-1].startswith("How to fix: build the model with the same architecture")


def test_skipped_message_names_the_file_and_counts():
    report = LoadReport(
        "f.weights.h5", "weights.h5", matched=_entries("a", 2), skipped=_entries("b", 1)
    )
    text = skipped_message(report, "model")
    assert text.splitlines()[0] == (
        "Loading weights from 'f.weights.h5' into model 'model' skipped 1 variable(s), which "
        "keep their current values; 2 variable(s) were loaded."
    )
    assert "  b/vars/0 -> m/b/0: (2,) float32" in text


def test_load_report_renders_as_a_rich_table():
    from rich.console import Console

    report = LoadReport("f.weights.h5", "weights.h5", matched=_entries("a", 2))
    console = Console(width=200, record=True)
    console.print(report)
    text = console.export_text()
    assert "LoadReport('f.weights.h5', format='weights.h5'): loaded 2 variable(s)" in text
    assert "a/vars/1" in text and "m/a/1" in text and "(2,) float32" in text
