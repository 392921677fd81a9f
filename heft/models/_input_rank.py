"""Inputs one rank off a model's ``Input``, by a trailing axis of 1, adjusted as Keras does."""

from __future__ import annotations

from typing import Any


def adjust_input_rank(model_name: str, refs: list[Any], values: list[Any]) -> list[Any]:
    """Each value with a trailing axis of 1 added or removed to match its ``Input``'s rank.

    A value one rank short gains a last axis of 1 when its ``Input`` ends in 1
    (data of shape ``(N, 28, 28)`` for ``Input((28, 28, 1))``); one rank over
    loses a last axis of 1. Values of the right rank (and ``None``) pass
    unchanged.

    Raises:
        ValueError: For any other rank difference (as Keras's Functional does).
    """
    from .. import ops

    adjusted = []
    for index, (ref, value) in enumerate(zip(refs, values, strict=True)):
        shape = getattr(value, "shape", None)
        if value is None or shape is None:
            adjusted.append(value)
            continue
        ref_shape = tuple(ref.shape)
        rank, ref_rank = len(shape), len(ref_shape)
        if rank == ref_rank:
            adjusted.append(value)
        elif rank == ref_rank + 1 and shape[-1] == 1:
            adjusted.append(ops.squeeze(value, axis=-1))
        elif rank == ref_rank - 1 and ref_shape[-1] == 1:
            adjusted.append(ops.expand_dims(value, axis=-1))
        else:
            name = getattr(ref, "name", None) or f"input {index}"
            raise ValueError(
                f"Invalid input shape for input {index} with name '{name}' of model "
                f"'{model_name}'. Expected shape {ref_shape}, but input has incompatible shape "
                f"{tuple(shape)}. Pass data of rank {ref_rank} (or {ref_rank - 1} when the "
                "Input's last axis is 1)."
            )
    return adjusted
