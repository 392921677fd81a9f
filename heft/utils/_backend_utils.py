"""Helpers of ``heft.utils`` and ``heft.backend`` about global state and symbolic tensors."""

from __future__ import annotations

import gc
from typing import Any

from .. import _config, _dtypes, _interactive, _naming, _switches
from .._symbolic import KerasTensor

# Keras's public `standardize_dtype` on JAX: Python `int` and "int" are int32 and
# `complex` complex64, and no other short alias is accepted.
_PUBLIC_PYTHON_TYPES = {int: "int32", "int": "int32", complex: "complex64"}
_PUBLIC_REFUSED = frozenset({"float", "double", "half"})


def standardize_dtype(dtype: Any = None) -> str:
    """The canonical name of ``dtype``, as Keras names it (``None`` gives ``floatx()``).

    Python ``int`` (and ``"int"``) give ``"int32"``, ``float`` ``"float32"``,
    ``complex`` ``"complex64"``; numpy, JAX and ml_dtypes dtypes their names.

    Raises:
        ValueError: If ``dtype`` names no dtype heft supports.

    >>> standardize_dtype(int), standardize_dtype("bfloat16"), standardize_dtype(None)
    ('int32', 'bfloat16', 'float32')
    """
    if isinstance(dtype, str) and dtype in _PUBLIC_REFUSED:
        raise ValueError(
            f"Invalid dtype: {dtype}. Use a full dtype name such as 'float32' or 'float64'."
        )
    if isinstance(dtype, type | str) and dtype in _PUBLIC_PYTHON_TYPES:
        return _PUBLIC_PYTHON_TYPES[dtype]
    return _dtypes.standardize_dtype(dtype)


def clear_session(free_memory: bool = True) -> None:
    """Reset heft's global state: automatic names, the dtype policy and the switches.

    Layer names start again from ``dense``, ``dense_1``, ...; the global dtype
    policy goes back to ``floatx()``'s; interactive logging, traceback filtering
    and flash attention go back to their defaults.

    Args:
        free_memory: Also run Python's garbage collector, so that arrays of
            deleted models are freed now.

    >>> import heft
    >>> _ = heft.layers.Dense(2)
    >>> clear_session(); heft.layers.Dense(2).name
    'dense'
    """
    _naming.reset_names()
    _config.set_dtype_policy(_config.floatx())
    _interactive.enable_interactive_logging()
    _switches.reset()
    if free_memory:
        gc.collect()


def get_uid(prefix: str = "") -> int:
    """A count per ``prefix``, 1 on the first call: what automatic names are made from.

    >>> clear_session(free_memory=False)
    >>> get_uid("block"), get_uid("block")
    (1, 2)
    """
    return _naming.next_uid(prefix)


def is_keras_tensor(x: Any) -> bool:
    """Whether ``x`` is a symbolic ``KerasTensor`` (from ``heft.Input`` or a layer call).

    >>> import heft
    >>> is_keras_tensor(heft.Input((2,))), is_keras_tensor(1.0)
    (True, False)
    """
    return isinstance(x, KerasTensor)


def get_source_inputs(tensor: Any) -> Any:
    """The ``Input`` tensors that ``tensor`` was computed from, in order, without repeats.

    A tensor with no layer history (not symbolic) is returned as it is.

    >>> import heft
    >>> a, b = heft.Input((2,)), heft.Input((2,))
    >>> y = heft.layers.Add()([a, b])
    >>> get_source_inputs(y) == [a, b]
    True
    """
    if not hasattr(tensor, "_keras_history"):
        return tensor
    history = tensor._keras_history
    if history is None or not history.operation or not history.operation._inbound_nodes:
        return [tensor]
    node = history.operation._inbound_nodes[history.node_index]
    if node.is_input:
        return list(node.output_tensors)
    sources: list[Any] = []
    for parent in node.input_tensors:
        for found in get_source_inputs(parent):
            if all(found is not known for known in sources):
                sources.append(found)
    return sources
