"""Run mypy on heft/ and fail when a file has more type errors than its recorded baseline.

The baseline, ``tools/mypy_baseline.txt``, holds one ``count path`` line per file with
errors. It may only shrink: a file with more errors than recorded (or a file not listed,
which counts as zero) fails the check and prints its errors; a file with fewer passes and
the script says how to record the smaller count, so that the ground won is kept.

Usage::

    python tools/check_types.py            # check against the baseline
    python tools/check_types.py --update   # record the current counts as the baseline
"""

from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "tools" / "mypy_baseline.txt"
_ERROR = re.compile(r"^(?P<path>[^:\s]+\.py):\d+(?::\d+)?: error: ")


def run_mypy() -> tuple[list[str], int]:
    """mypy's output lines on ``heft`` (configured in pyproject.toml) and its exit status."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-pretty", "--no-error-summary"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode not in (0, 1):
        raise SystemExit(
            f"mypy could not check heft (exit status {result.returncode}):\n"
            f"{result.stdout}{result.stderr}\n"
            "Install it with `pip install '.[dev]'` and run this script from any folder."
        )
    return result.stdout.splitlines(), result.returncode


def count_errors(lines: list[str]) -> dict[str, int]:
    """``{path: number of errors}`` from mypy's output lines."""
    counts: collections.Counter[str] = collections.Counter()
    for line in lines:
        match = _ERROR.match(line)
        if match:
            counts[match["path"]] += 1
    return dict(counts)


def read_baseline(path: Path = BASELINE) -> dict[str, int]:
    """The recorded ``{path: count}``; lines starting with ``#`` are comments."""
    counts = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        count, _, name = line.partition(" ")
        if not count.isdigit() or not name:
            raise SystemExit(f"{path}:{number}: expected 'COUNT PATH', got {line!r}")
        counts[name] = int(count)
    return counts


def write_baseline(counts: dict[str, int], path: Path = BASELINE) -> None:
    """Record ``counts`` sorted by path, with the total in the header."""
    total = sum(counts.values())
    lines = [
        "# mypy errors per file in heft/ (pinned mypy of the dev extra); may only shrink.",
        f"# {total} errors in {len(counts)} files. Update: python tools/check_types.py --update",
        *(f"{counts[name]} {name}" for name in sorted(counts)),
    ]
    path.write_text("\n".join(lines) + "\n")


def compare(current: dict[str, int], baseline: dict[str, int]) -> tuple[list[str], list[str]]:
    """(files with more errors than recorded, files with fewer), each as report lines."""
    grown, shrunk = [], []
    for name in sorted(set(current) | set(baseline)):
        now, then = current.get(name, 0), baseline.get(name, 0)
        if now > then:
            grown.append(f"{name}: {now} errors, baseline {then}")
        elif now < then:
            shrunk.append(f"{name}: {now} errors, baseline {then}")
    return grown, shrunk


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="record the current counts")
    args = parser.parse_args(argv)
    lines, _ = run_mypy()
    current = count_errors(lines)
    total = sum(current.values())
    if args.update:
        write_baseline(current, BASELINE)
        print(f"recorded {total} mypy errors in {len(current)} files in {BASELINE.name}")
        return 0
    grown, shrunk = compare(current, read_baseline(BASELINE))
    if grown:
        print("mypy finds more errors than the baseline allows:")
        print("\n".join(f"  {line}" for line in grown))
        grown_files = {line.split(":", 1)[0] for line in grown}
        print("The errors in those files:")
        print("\n".join(f"  {line}" for line in lines if line.split(":", 1)[0] in grown_files))
        print("Fix the new errors (the baseline records existing ones only; it may not grow).")
        return 1
    print(f"mypy: {total} errors in {len(current)} files, none beyond the baseline")
    if shrunk:
        print("Fewer errors than recorded in:")
        print("\n".join(f"  {line}" for line in shrunk))
        print("Keep the gain: run `python tools/check_types.py --update` and commit the baseline.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
