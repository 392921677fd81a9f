"""Count the explicit ``Any`` in heft's annotations, per file and in all.

An ``Any`` counts once wherever it stands in a parameter, return or variable
annotation (``x: Any``, ``-> dict[str, Any]``, ``*args: Any``). mypy's own measure of
expressions typed ``Any`` is ``mypy --any-exprs-report DIR``.

Usage::

    python tools/count_any.py           # the total and the ten files with the most
    python tools/count_any.py --all     # every file
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _annotations(tree: ast.AST) -> Iterator[ast.expr]:
    for node in ast.walk(tree):
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            yield node.annotation
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            yield node.returns


def count_any(source: str) -> int:
    """How many times ``Any`` (or ``typing.Any``) stands in the annotations of ``source``.

    >>> count_any("def f(x: Any, *a: Any) -> dict[str, Any]: y: int = 1")
    3
    """
    count = 0
    for annotation in _annotations(ast.parse(source)):
        for node in ast.walk(annotation):
            if (isinstance(node, ast.Name) and node.id == "Any") or (
                isinstance(node, ast.Attribute) and node.attr == "Any"
            ):
                count += 1
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                try:
                    count += count_any(f"x: {node.value}")
                except SyntaxError:  # a Literal["..."] value, not a forward reference
                    pass
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="list every file")
    args = parser.parse_args(argv)
    counts = {
        str(path.relative_to(ROOT)): count_any(path.read_text())
        for path in sorted((ROOT / "heft").rglob("*.py"))
    }
    ranked = sorted(((n, p) for p, n in counts.items() if n), reverse=True)
    print(f"{sum(counts.values())} explicit Any in the annotations of {len(ranked)} files")
    for number, path in ranked if args.all else ranked[:10]:
        print(f"{number:6d} {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
