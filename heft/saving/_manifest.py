"""Weights manifests: a model's weight layout as JSON, checked in CI before a refactor lands."""

from __future__ import annotations

import json
import os
from typing import Any

from . import _untrusted
from ._atomic import atomic_path

_FORMAT = "heft.weights-manifest"
_VERSION = 1
_MAX_LISTED = 20


def weights_manifest(model: Any) -> dict[str, Any]:
    """The layout of ``model``'s weights: each variable's path, shape, dtype and trainability.

    A weight file written from the model holds exactly these variables, so a model
    that still matches its manifest still loads the files written before.

    Args:
        model: A built layer or model.

    Returns:
        A JSON-ready dict: ``{"format", "version", "model", "weights": [...]}``.

    Raises:
        ValueError: If the model is not built (its weights do not exist yet).

    >>> import heft
    >>> model = heft.Sequential([heft.Input((3,)), heft.layers.Dense(2, name="d")], name="m")
    >>> [w["path"] for w in heft.saving.weights_manifest(model)["weights"]]
    ['m/d/kernel', 'm/d/bias']
    """
    if not getattr(model, "built", False):
        raise ValueError(
            f"Model '{model.name}' is not built, so its weights do not exist yet. Build it "
            "first (call it on data, or `model.build(input_shape)`), then take its manifest."
        )
    return {
        "format": _FORMAT,
        "version": _VERSION,
        "model": model.name,
        "weights": [
            {
                "path": v.path,
                "shape": [int(d) for d in v.shape],
                "dtype": str(v.dtype),
                "trainable": bool(v.trainable),
            }
            for v in model.weights
        ],
    }


def save_manifest(model: Any, filepath: str | os.PathLike, overwrite: bool = True) -> None:
    """Write :func:`weights_manifest` of ``model`` to a JSON file (atomically).

    Raises:
        FileExistsError: If the file exists and ``overwrite`` is False.
        ValueError: If the model is not built.
    """
    text = json.dumps(weights_manifest(model), indent=2) + "\n"
    with atomic_path(os.fspath(filepath), overwrite) as tmp, open(tmp, "w") as f:
        f.write(text)


def _read(manifest: Any) -> tuple[dict[str, Any], str]:
    if isinstance(manifest, dict):
        return manifest, "the given manifest"
    path = os.fspath(manifest)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"No weights manifest at '{path}'. Write one with "
            "`heft.saving.save_manifest(model, path)`."
        )
    limit = _untrusted.current().json_bytes
    with _untrusted.open_regular(path, "a weights manifest (JSON)") as f:
        raw = f.read(limit + 1)
    data = _untrusted.parse_json(
        raw,
        "the manifest",
        path,
        lambda problem: ValueError(f"'{path}' is not a weights manifest: its text {problem}."),
    )
    return data, f"'{path}'"


def check_manifest(model: Any, manifest: Any) -> None:
    """Raise if ``model``'s weights no longer match ``manifest`` (a dict or a JSON file).

    Compares paths, order, shapes, dtypes and trainability. Meant for CI: a test
    calls it on the model under refactoring with the manifest committed next to it.

    Raises:
        ValueError: Listing what is missing, unexpected or changed, and how to accept
            an intended change (write the manifest again).
        FileNotFoundError: If the manifest file does not exist.

    >>> import heft
    >>> model = heft.Sequential([heft.Input((3,)), heft.layers.Dense(2, name="d")])
    >>> heft.saving.check_manifest(model, heft.saving.weights_manifest(model))
    """
    data, where = _read(manifest)
    if (
        not isinstance(data, dict)
        or data.get("format") != _FORMAT
        or not isinstance(data.get("weights"), list)
    ):
        raise ValueError(
            f"{where} is not a weights manifest (expected a JSON object with "
            f"format '{_FORMAT}' and a 'weights' list). Write one with "
            "`heft.saving.save_manifest(model, path)`."
        )
    if data.get("version", 0) > _VERSION:
        raise ValueError(
            f"{where} is a weights manifest of version {data['version']}; this heft reads "
            f"version {_VERSION}. Upgrade heft."
        )
    expected = {w["path"]: w for w in data["weights"]}
    actual = {w["path"]: w for w in weights_manifest(model)["weights"]}
    problems = [f"missing from the model: {p}" for p in expected if p not in actual]
    problems += [f"not in the manifest: {p}" for p in actual if p not in expected]
    for path, want in expected.items():
        got = actual.get(path)
        if got is None:
            continue
        for key in ("shape", "dtype", "trainable"):
            if got[key] != want.get(key):
                problems.append(f"{path}: {key} {want.get(key)} -> {got[key]}")
    common = [p for p in expected if p in actual]
    if not problems and common != [p for p in actual if p in expected]:
        problems.append("the weights are in another order (weight files are read in order)")
    if problems:
        listed = "\n  ".join(problems[:_MAX_LISTED])
        more = len(problems) - _MAX_LISTED
        extra = f"\n  ... and {more} more" if more > 0 else ""
        raise ValueError(
            f"Model '{model.name}' no longer matches {where} ({len(problems)} differences):\n"
            f"  {listed}{extra}\nWeight files written before this change may not load. If "
            "the change is intended, write the manifest again with "
            "`heft.saving.save_manifest(model, path)`."
        )
