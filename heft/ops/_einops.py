"""``rearrange``: einops-style axis patterns (``"b h w c -> b (h w) c"``) without einops."""

from __future__ import annotations

import math
import re

import jax
import jax.numpy as jnp

from .._typing import ArrayLike
from ._core import convert_to_tensor
from ._dispatch import symbolic_op

_TOKEN = re.compile(r"\(([^()]*)\)|(\w+)|(\S)")


def _groups(side: str, pattern: str) -> list[list[str]]:
    """``"b (h w) c"`` as ``[["b"], ["h", "w"], ["c"]]``."""
    groups = []
    for inner, name, other in _TOKEN.findall(side):
        if other:
            raise ValueError(
                f"Unsupported character {other!r} in rearrange pattern {pattern!r}: use axis "
                "names (letters, digits, _) and one level of parentheses, e.g. "
                "'b (h w) c -> b h w c'."
            )
        groups.append(inner.split() if name == "" else [name])
    return groups


def _parse(pattern: str) -> tuple[list[list[str]], list[list[str]]]:
    sides = re.split(r"\s*->\s*", pattern.strip())
    if len(sides) != 2:
        raise ValueError(
            f"A rearrange pattern has one '->' between input and output axes. Received: "
            f"pattern={pattern!r}. Example: 'b h w c -> b c h w'."
        )
    source, target = (_groups(side, pattern) for side in sides)
    left = [a for g in source for a in g]
    right = [a for g in target for a in g]
    for names, where in ((left, "input"), (right, "output")):
        if len(set(names)) != len(names):
            raise ValueError(f"An axis name repeats in the {where} of pattern {pattern!r}.")
    if set(left) != set(right):
        raise ValueError(
            f"The input and output of pattern {pattern!r} must name the same axes. Only in "
            f"the input: {sorted(set(left) - set(right))}; only in the output: "
            f"{sorted(set(right) - set(left))}."
        )
    return source, target


def _sizes(source: list[list[str]], shape: tuple, lengths: dict, pattern: str) -> dict[str, int]:
    if len(source) != len(shape):
        raise ValueError(
            f"The input of pattern {pattern!r} names {len(source)} axes, but the tensor has "
            f"{len(shape)} (shape {shape})."
        )
    sizes: dict[str, int] = {}
    for group, dim in zip(source, shape, strict=True):
        unknown = [a for a in group if a not in lengths]
        if len(group) == 1 and unknown:
            sizes[group[0]] = dim
            continue
        if len(unknown) > 1:
            raise ValueError(
                f"Axes {unknown} of group {group} in pattern {pattern!r} have no length: give "
                f"all but one of them as keyword arguments, e.g. {unknown[0]}=2."
            )
        known = math.prod(lengths[a] for a in group if a in lengths)
        for a in group:
            sizes[a] = lengths[a] if a in lengths else dim // known
        if math.prod(sizes[a] for a in group) != dim:
            raise ValueError(
                f"Axis of size {dim} cannot be split into {group} with sizes "
                f"{[sizes[a] for a in group]} (pattern {pattern!r})."
            )
    return sizes


@symbolic_op
def rearrange(tensor: ArrayLike, pattern: str, **axes_lengths: int) -> jax.Array:
    """Reorder, split and merge axes as an einops pattern says.

    Names on the left are the input's axes; a parenthesized group splits one
    axis (all lengths but one given as keyword arguments). Names on the right
    are the output's axes; a group merges axes. Ellipses and anonymous axes are
    not supported (as in Keras).

    Args:
        tensor: Input tensor.
        pattern: ``"input axes -> output axes"``, e.g. ``"b (h p) w -> b h (p w)"``.
        **axes_lengths: Lengths of axes split from a group.

    Returns:
        The rearranged tensor.

    Raises:
        ValueError: For a malformed pattern, axes that do not match the
            tensor's rank or each other, or a split that does not fit.

    >>> ops.rearrange(ops.zeros((2, 3, 4)), "b h w -> b (h w)").shape
    (2, 12)
    >>> ops.rearrange(ops.zeros((2, 6)), "b (h w) -> w b h", h=2).shape
    (3, 2, 2)
    """
    x = convert_to_tensor(tensor)
    source, target = _parse(pattern)
    sizes = _sizes(source, x.shape, axes_lengths, pattern)
    left = [a for g in source for a in g]
    x = jnp.reshape(x, [sizes[a] for a in left])
    x = jnp.transpose(x, [left.index(a) for g in target for a in g])
    return jnp.reshape(x, [math.prod(sizes[a] for a in g) for g in target])
