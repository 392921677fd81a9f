"""tools/check_types.py: mypy's errors counted per file against a baseline that may only shrink."""

import importlib.util
import pathlib

import pytest

_PATH = pathlib.Path(__file__).resolve().parents[2] / "tools" / "check_types.py"
_SPEC = importlib.util.spec_from_file_location("check_types", _PATH)
check_types = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(check_types)

LINES = [
    "heft/a.py:3: error: Incompatible types  [assignment]",
    "heft/a.py:9:5: error: Missing attribute  [attr-defined]",
    "heft/a.py:9: note: See the docs",
    "heft/b.py:1: error: Bad override  [override]",
]


def test_check_types_count_errors_counts_error_lines_per_file():
    assert check_types.count_errors(LINES) == {"heft/a.py": 2, "heft/b.py": 1}


def test_check_types_baseline_round_trips(tmp_path):
    path = tmp_path / "baseline.txt"
    check_types.write_baseline({"heft/b.py": 1, "heft/a.py": 2}, path)
    assert path.read_text().splitlines()[1].startswith("# 3 errors in 2 files")
    assert check_types.read_baseline(path) == {"heft/a.py": 2, "heft/b.py": 1}


def test_check_types_read_baseline_rejects_a_malformed_line(tmp_path):
    path = tmp_path / "baseline.txt"
    path.write_text("# header\n2 heft/a.py\nheft/b.py\n")
    with pytest.raises(SystemExit, match=r"baseline.txt:3: expected 'COUNT PATH', got 'heft/b.py'"):
        check_types.read_baseline(path)


def test_check_types_compare_fails_growth_and_new_files_and_reports_shrinking():
    grown, shrunk = check_types.compare(
        {"heft/a.py": 3, "heft/new.py": 1, "heft/c.py": 1}, {"heft/a.py": 2, "heft/c.py": 4}
    )
    assert grown == ["heft/a.py: 3 errors, baseline 2", "heft/new.py: 1 errors, baseline 0"]
    assert shrunk == ["heft/c.py: 1 errors, baseline 4"]


def test_check_types_main_fails_when_a_file_gains_an_error(tmp_path, monkeypatch, capsys):
    baseline = tmp_path / "baseline.txt"
    check_types.write_baseline({"heft/a.py": 1, "heft/b.py": 2}, baseline)
    monkeypatch.setattr(check_types, "BASELINE", baseline)
    monkeypatch.setattr(check_types, "run_mypy", lambda: (LINES, 1))
    assert check_types.main([]) == 1
    out = capsys.readouterr().out
    assert "heft/a.py: 2 errors, baseline 1" in out
    assert "heft/a.py:3: error: Incompatible types" in out
    assert "heft/b.py:1" not in out


def test_check_types_main_passes_and_says_how_to_update_when_errors_shrink(
    tmp_path, monkeypatch, capsys
):
    baseline = tmp_path / "baseline.txt"
    check_types.write_baseline({"heft/a.py": 5, "heft/b.py": 1}, baseline)
    monkeypatch.setattr(check_types, "BASELINE", baseline)
    monkeypatch.setattr(check_types, "run_mypy", lambda: (LINES, 1))
    assert check_types.main([]) == 0
    out = capsys.readouterr().out
    assert "heft/a.py: 2 errors, baseline 5" in out
    assert "python tools/check_types.py --update" in out
