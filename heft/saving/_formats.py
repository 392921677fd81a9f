"""The registry of weight-file formats: which format the suffix of a path selects."""

from __future__ import annotations

from . import _archive, _h5, _legacy_h5, _safetensors, _sharded, _torch_files
from ._format import WeightFormat

# One line per format, in the order messages list them.
FORMATS: tuple[WeightFormat, ...] = (
    _h5.FORMAT,
    _sharded.FORMAT,
    _safetensors.FORMAT,
    _legacy_h5.FORMAT,
    _archive.WEIGHTS_FORMAT,
    _torch_files.PICKLE_FORMAT,
    _torch_files.INDEX_FORMAT,
)


def _quoted(fmt: WeightFormat) -> str:
    return "/".join(f"`{suffix}`" for suffix in fmt.suffixes)


def _saving() -> list[WeightFormat]:
    return [fmt for fmt in FORMATS if fmt.save is not None]


def saving_suffixes() -> tuple[str, ...]:
    """Every suffix ``save_weights`` writes, in registry order."""
    return tuple(suffix for fmt in _saving() for suffix in fmt.suffixes)


def weights_only_suffixes() -> str:
    """The suffixes of weights-only files as messages list them: "`.a`, `.b` and `.c`/`.d`"."""
    names = [_quoted(fmt) for fmt in _saving()]
    return f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else names[0]


def _unsupported(filepath: str, action: str) -> ValueError:
    saving = "; ".join(f"{_quoted(fmt)}: {fmt.description}" for fmt in _saving())
    reading = "; ".join(f"{_quoted(fmt)}: {fmt.description}" for fmt in FORMATS if fmt.save is None)
    if reading:
        saving += f"; and, for loading, {reading}"
    return ValueError(
        f"Cannot {action} weights with file path '{filepath}': the format is chosen by the "
        f"suffix, and the supported suffixes are {', '.join(saving_suffixes())} "
        f"({saving}). Rename the file, e.g. 'model.weights.h5'."
    )


def find(filepath: str, action: str) -> tuple[WeightFormat, str]:
    """The format ``filepath``'s suffix selects for ``action``, and that suffix.

    The longest matching suffix wins (``.weights.h5`` over ``.h5``), ignoring
    case; formats heft only reads are not found for ``"save"``.

    Args:
        filepath: The file's path.
        action: ``"save"`` or ``"load"``.

    Raises:
        ValueError: If no format's suffix ends the path, listing the suffixes.

    >>> fmt, suffix = find("model.WEIGHTS.h5", "load")
    >>> fmt.name, suffix
    ('weights.h5', '.weights.h5')
    """
    name = filepath.lower()
    candidates = FORMATS if action == "load" else _saving()
    matches = [(s, fmt) for fmt in candidates for s in fmt.suffixes if name.endswith(s)]
    if not matches:
        raise _unsupported(filepath, action)
    suffix, fmt = max(matches, key=lambda match: len(match[0]))
    return fmt, suffix
