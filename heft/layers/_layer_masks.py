"""Masks through a layer call: fill the call's mask arguments, attach masks to its outputs."""

from __future__ import annotations

import warnings
from typing import Any

import jax

from .. import _masking, _scope, _symbolic
from .._variable import _is_tracer


def is_tensor(x: Any) -> bool:
    """Whether ``x`` is an array a mask can ride on (JAX array, tracer or ``KerasTensor``)."""
    return isinstance(x, jax.Array | _symbolic.KerasTensor) or _is_tracer(x)


def masks_of(x: Any) -> Any:
    """The mask of ``x``, or for a list/tuple/dict of tensors the same structure of masks."""
    if x is None or is_tensor(x):
        return None if x is None else _masking.get_mask(x)
    if isinstance(x, list | tuple | dict):
        return jax.tree_util.tree_map(
            _masking.get_mask, x, is_leaf=lambda v: v is None or is_tensor(v)
        )
    return None


def any_mask(mask: Any) -> bool:
    """Whether ``mask`` (one mask or a structure of them) holds at least one mask."""
    if mask is None:
        return False
    if isinstance(mask, list | tuple | dict):
        return any(m is not None for m in jax.tree_util.tree_leaves(mask))
    return True


def _first_argument(args: tuple, kwargs: dict) -> Any:
    return args[0] if args else next(iter(kwargs.values()), None)


def tensor_arguments(positional: list[str], args: tuple, kwargs: dict) -> dict[str, Any]:
    """The call's arguments that are tensors or nests of tensors, by parameter name."""
    found: dict[str, Any] = {}
    named = list(zip(positional, args, strict=False))
    named.extend((k, v) for k, v in kwargs.items() if k != "training")
    for name, value in named:
        if is_tensor(value):
            found[name] = value
        elif isinstance(value, list | tuple | dict) and value:
            leaves = jax.tree_util.tree_leaves(value, is_leaf=is_tensor)
            if leaves and all(is_tensor(leaf) for leaf in leaves):
                found[name] = value
    return found


def populate_masks(spec: Any, args: tuple, kwargs: dict) -> Any:
    """Fill ``mask=`` / ``<arg>_mask=`` in ``kwargs`` from masks the inputs carry (as Keras does).

    With one tensor argument its mask goes to ``mask``; with several, each
    ``<arg>`` gives its mask to ``<arg>_mask`` when ``call`` takes one. Masks the
    caller passed are kept.

    Args:
        spec: The layer's ``CallSpec``.
        args: The call's positional arguments.
        kwargs: The call's keyword arguments, completed in place.

    Returns:
        The mask that arrived with the first input (``None`` when none did),
        which ``compute_mask`` receives after the call.
    """
    if spec.has_mask_arg or spec.mask_args:
        tensors = tensor_arguments(spec.positional, args, kwargs)
        if len(tensors) == 1:
            if spec.has_mask_arg and kwargs.get("mask") is None:
                mask = masks_of(next(iter(tensors.values())))
                if any_mask(mask):
                    kwargs["mask"] = mask
        else:
            for name, value in tensors.items():
                mask_arg = spec.mask_args.get(name)
                if mask_arg is not None and kwargs.get(mask_arg) is None:
                    mask = masks_of(value)
                    if any_mask(mask):
                        kwargs[mask_arg] = mask
    if kwargs.get("mask") is not None:
        return kwargs["mask"]
    mask = masks_of(_first_argument(args, kwargs))
    return mask if any_mask(mask) else None


def attach_output_masks(
    layer: Any, args: tuple, kwargs: dict, outputs: Any, previous_mask: Any, symbolic: bool
) -> None:
    """Attach ``layer.compute_mask(first input, previous_mask)`` to outputs that carry none.

    A layer that does not support masking drops an incoming mask, with a warning
    pointing at the call.
    """
    if not layer.supports_masking:
        warnings.warn(
            f"Layer '{layer.name}' (of type {type(layer).__name__}) received an input "
            "with a mask, but it does not support masking, so layers after it will not "
            "see the mask. Remove the mask upstream (e.g. `mask_zero=False`) or use a "
            "layer that supports masking here.",
            # this function, the call pipeline, `Layer.__call__`, its traceback filter, the caller
            stacklevel=5,
        )
        return
    flat_outputs = jax.tree_util.tree_leaves(outputs, is_leaf=is_tensor)
    if all(_masking.get_mask(out) is not None for out in flat_outputs):
        return
    first = _first_argument(args, kwargs)
    if symbolic:
        with _scope.StatelessScope():
            masks = _symbolic.compute_output_spec(layer.compute_mask, (first, previous_mask), {})
    else:
        masks = layer.compute_mask(first, previous_mask)
    if masks is None:
        return
    flat_masks = jax.tree_util.tree_leaves(masks, is_leaf=lambda m: m is None or is_tensor(m))
    for out, mask in zip(flat_outputs, flat_masks, strict=False):
        if mask is not None and _masking.get_mask(out) is None:
            _masking.set_mask(out, mask)
