"""``pad_sequences``: variable-length sequences to one padded NumPy array."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def pad_sequences(
    sequences: Sequence[Any],
    maxlen: int | None = None,
    dtype: Any = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0.0,
) -> np.ndarray:
    """Pad (or cut) each sequence to ``maxlen`` items, in one ``(n, maxlen, ...)`` array.

    Args:
        sequences: A list of sequences (lists or arrays); their items may be
            arrays, all of one shape.
        maxlen: Length of the output; by default the longest sequence's.
        dtype: dtype of the output (``object`` for variable-length strings).
        padding: ``"pre"`` or ``"post"``: pad before or after each sequence.
        truncating: ``"pre"`` or ``"post"``: drop items at the start or end of
            sequences longer than ``maxlen``.
        value: The padding value.

    Raises:
        ValueError: If ``sequences`` is not a list of iterables, items differ
            in shape, ``padding``/``truncating`` is unknown, or ``value`` is a
            string for a non-string ``dtype``.

    >>> pad_sequences([[1, 2, 3], [4]], maxlen=2)
    array([[2, 3],
           [0, 4]], dtype=int32)
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be a list of iterables; it has no length.")
    lengths = []
    sample_shape: tuple[int, ...] = ()
    found_shape = False
    for seq in sequences:
        try:
            lengths.append(len(seq))
        except TypeError as err:
            raise ValueError(
                f"`sequences` must be a list of iterables. Found non-iterable: {seq!s:.100}"
            ) from err
        if not found_shape and len(seq):
            sample_shape = np.asarray(seq).shape[1:]
            found_shape = True
    if maxlen is None:
        if not lengths:
            raise ValueError("`sequences` is empty: pass `maxlen` to pad an empty list.")
        maxlen = int(np.max(lengths))
    is_text = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and dtype is not object and not is_text:
        raise ValueError(
            f"`dtype` {dtype} is not compatible with `value`'s type: {type(value)}. "
            "Set `dtype=object` for variable-length strings."
        )
    if padding not in ("pre", "post"):
        raise ValueError(f'Padding type "{padding}" not understood: use "pre" or "post".')
    if truncating not in ("pre", "post"):
        raise ValueError(f'Truncating type "{truncating}" not understood: use "pre" or "post".')
    out = np.full((len(sequences), maxlen, *sample_shape), value, dtype=dtype)
    for index, seq in enumerate(sequences):
        if not len(seq) or maxlen == 0:
            continue
        kept = np.asarray(seq[-maxlen:] if truncating == "pre" else seq[:maxlen], dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise ValueError(
                f"Shape of sample {kept.shape[1:]} of sequence at position {index} is "
                f"different from expected shape {sample_shape}."
            )
        if padding == "post":
            out[index, : len(kept)] = kept
        else:
            out[index, -len(kept) :] = kept
    return out
