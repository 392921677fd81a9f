"""Validated, batched assignment of many values to many variables (all or nothing)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

from .. import _dtypes
from .._variable import Variable


def prepare_values(variables: Sequence[Variable], values: Sequence[Any], owner: str) -> list[Any]:
    """Check every value against its variable and return them ready to assign.

    Values are cast on the host and moved to the device in one batched transfer.
    Nothing is assigned here, so a failure leaves all variables unchanged.
    """
    host: list[Any] = []
    for i, (variable, value) in enumerate(zip(variables, values, strict=True)):
        if isinstance(value, Variable):
            value = value.value
        if isinstance(value, jax.Array):
            shape = tuple(value.shape)
            kind = value.dtype.kind
        else:
            try:
                value = np.asarray(value)
            except (TypeError, ValueError) as err:
                raise TypeError(
                    f"Weight #{i} ('{variable.path}') of {owner} received a value that is not "
                    f"a numeric array: {err}. Pass numpy arrays, JAX arrays or nested lists "
                    "of numbers."
                ) from None
            shape = value.shape
            kind = value.dtype.kind
        if kind not in "biufcV":
            raise TypeError(
                f"Weight #{i} ('{variable.path}') of {owner} received a non-numeric value of "
                f"dtype {value.dtype}. Pass numeric arrays of shape {variable.shape}."
            )
        if shape != variable.shape:
            raise ValueError(
                f"{owner[0].upper()}{owner[1:]} weight shape {variable.shape} is not compatible "
                f"with provided weight shape {shape} for weight #{i} ('{variable.path}'). Pass "
                f"an array of shape {variable.shape}."
            )
        host.append(value)
    numpy_idx = [i for i, v in enumerate(host) if not isinstance(v, jax.Array)]
    if numpy_idx:
        target = [
            jax.dtypes.canonicalize_dtype(_dtypes.to_jax_dtype(variables[i]._dtype))
            for i in numpy_idx
        ]
        cast = [np.asarray(host[i], dtype=t) for i, t in zip(numpy_idx, target, strict=True)]
        placed = jax.device_put(cast)
        for i, arr in zip(numpy_idx, placed, strict=True):
            host[i] = arr
    return [variables[i]._cast(v) for i, v in enumerate(host)]


def assign_prepared(variables: Sequence[Variable], values: Sequence[Any]) -> None:
    """Assign values produced by ``prepare_values`` (no further checks can fail)."""
    for variable, value in zip(variables, values, strict=True):
        variable.assign(value)
