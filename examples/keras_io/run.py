"""Run the Keras-guide programs of this folder on heft and on Keras 3, and compare them.

Each ``*.py`` program here (not starting with ``_``) is written for Keras 3: it says
``import keras`` and nothing of heft. This runner executes it in a fresh process

- on heft: ``keras`` and every ``keras.<module>`` import resolve to ``heft`` and
  ``heft.<module>`` (the same objects, not copies), so the program runs exactly as
  it would after ``import heft as keras``;
- on Keras 3 with the JAX backend, when Keras is installed.

After a program ends, every model it left in its global names is described by its
weight layout: each variable's path, shape, dtype and trainability, in order. A
program passes on heft when it runs to the end and, with Keras installed, its
layout equals Keras's. Without Keras the layouts are compared with
``layouts.json``, which ``--record`` writes from a Keras run.

    python examples/keras_io/run.py              # every program, heft and Keras
    python examples/keras_io/run.py mnist_convnet vae --backend heft
    python examples/keras_io/run.py --record     # write layouts.json from Keras
"""

from __future__ import annotations

import argparse
import importlib
import importlib.abc
import importlib.machinery
import json
import os
import runpy
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LAYOUTS = HERE / "layouts.json"
TIMEOUT_S = 600


def programs() -> list[str]:
    """The program names of this folder, in alphabetical order."""
    return sorted(
        p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_") and p.stem != "run"
    )


class _HeftAsKeras(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves ``keras`` and ``keras.x.y`` to the already importable ``heft`` and ``heft.x.y``."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != "keras" and not fullname.startswith("keras."):
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: Any) -> Any:
        return importlib.import_module("heft" + spec.name[len("keras") :])

    def exec_module(self, module: Any) -> None:
        # The module is heft's own, already executed; nothing runs twice.
        return None


def _layout(model: Any) -> list[list[Any]]:
    return [
        [v.path, [int(d) for d in v.shape], str(v.dtype), bool(v.trainable)] for v in model.weights
    ]


def _run_one(name: str, backend: str) -> dict[str, Any]:
    """Runs one program in this process and describes the models it left behind."""
    if backend == "heft":
        sys.meta_path.insert(0, _HeftAsKeras())
    else:
        os.environ["KERAS_BACKEND"] = "jax"
    import keras

    sys.path.insert(0, str(HERE))
    start = time.perf_counter()
    namespace = runpy.run_path(str(HERE / f"{name}.py"), run_name="__main__")
    seconds = time.perf_counter() - start
    models = {
        key: _layout(value)
        for key, value in sorted(namespace.items())
        if isinstance(value, keras.Model) and not key.startswith("_")
    }
    return {"seconds": seconds, "models": models}


def run(name: str, backend: str) -> dict[str, Any]:
    """Runs one program in a fresh Python process; returns its layouts or its error."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--backend", backend]
    env = dict(os.environ, PYTHONHASHSEED="0")
    # Programs write checkpoints and saved models into the working folder: a fresh one each.
    with tempfile.TemporaryDirectory(prefix=f"keras_io_{name}_") as folder:
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
                env=env,
                cwd=folder,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"did not finish within {TIMEOUT_S} s"}
    marker = "@@layout@@"
    for line in done.stdout.splitlines():
        if line.startswith(marker):
            return json.loads(line[len(marker) :])
    tail = (done.stderr or done.stdout).strip().splitlines()[-12:]
    return {"error": "\n".join(tail) or f"exit status {done.returncode}"}


def compare(heft_result: dict[str, Any], reference: dict[str, Any]) -> str | None:
    """None when the heft run matches the reference layouts, else what differs."""
    if "error" in heft_result:
        return "heft: " + heft_result["error"]
    if "error" in reference:
        return "keras: " + reference["error"]
    mine, theirs = heft_result["models"], reference["models"]
    if not mine:
        return "the program left no model to compare"
    if mine.keys() != theirs.keys():
        return f"models differ: heft {sorted(mine)}, keras {sorted(theirs)}"
    for key in mine:
        if mine[key] != theirs[key]:
            diff = [(a, b) for a, b in zip(mine[key], theirs[key], strict=False) if a != b] or [
                ("count", len(mine[key]), len(theirs[key]))
            ]
            return f"layout of {key!r} differs, first: {diff[0]}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="programs to run (default: all)")
    parser.add_argument("--backend", choices=["heft", "keras", "both"], default="both")
    parser.add_argument("--record", action="store_true", help="write layouts.json from Keras")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        result = _run_one(args.child, args.backend)
        print("@@layout@@" + json.dumps(result), flush=True)
        return 0

    names = args.names or programs()
    if args.record:
        recorded = json.loads(LAYOUTS.read_text()) if LAYOUTS.exists() else {}
        for name in names:
            result = run(name, "keras")
            if "error" in result:
                print(f"{name}: keras failed: {result['error']}")
                return 1
            recorded[name] = result["models"]
            print(f"{name}: recorded {len(result['models'])} model(s)")
        LAYOUTS.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
        return 0

    recorded = json.loads(LAYOUTS.read_text()) if LAYOUTS.exists() else {}
    passed = 0
    for name in names:
        heft_result = run(name, "heft") if args.backend in ("heft", "both") else None
        if args.backend == "keras":
            result = run(name, "keras")
            print(f"{name}: keras {'error: ' + result['error'] if 'error' in result else 'ran'}")
            continue
        if args.backend == "both":
            reference = run(name, "keras")
        elif name in recorded:
            reference = {"models": recorded[name]}
        else:
            reference = {"error": "no recorded layout; run with --record"}
        assert heft_result is not None
        problem = compare(heft_result, reference)
        seconds = heft_result.get("seconds", 0.0)
        if problem is None:
            passed += 1
            print(f"PASS {name} ({seconds:.1f} s on heft)")
        else:
            print(f"FAIL {name}: {problem}")
    if args.backend != "keras":
        print(f"{passed} of {len(names)} programs pass")
    return 0 if passed == len(names) else 1


if __name__ == "__main__":
    sys.exit(main())
