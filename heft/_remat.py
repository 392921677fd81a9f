"""Rematerialization (gradient checkpointing): ``remat`` and ``RematScope``.

Layers made inside a ``RematScope`` keep its mode and, when called on arrays,
run their ``call`` under ``jax.checkpoint``: their intermediate values are
recomputed during the backward pass instead of being kept, trading compute
for memory. Results and gradients are unchanged.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable, Sequence
from typing import Any

import jax

_MODES = ("full", "activations", "larger_than", "list_of_layers", None)
_state = threading.local()


def remat(f: Callable) -> Callable:
    """``f`` wrapped so that its intermediates are recomputed in the backward pass.

    This is ``jax.checkpoint``: values and gradients are those of ``f``.

    >>> import jax.numpy as jnp
    >>> float(jax.grad(remat(lambda x: jnp.sin(x) * x))(1.0))  # doctest: +ELLIPSIS
    1.38...
    """
    return jax.checkpoint(f)


class RematScope:
    """Make the layers created inside the scope rematerialize their calls.

    Args:
        mode: ``"full"`` (every layer), ``"activations"`` (only the activation
            function of layers that have one), ``"larger_than"`` (layers whose
            output has more than ``output_size_threshold`` elements),
            ``"list_of_layers"`` (layers named in ``layer_names``), or ``None``
            (none; turns an enclosing scope off).
        output_size_threshold: Element count for ``"larger_than"``.
        layer_names: Layer names for ``"list_of_layers"``.

    Raises:
        ValueError: On an unknown ``mode``.

    >>> import heft
    >>> with RematScope(mode="full"):
    ...     layer = heft.layers.Dense(2)
    >>> layer._remat_mode.mode
    'full'
    """

    def __init__(
        self,
        mode: str | None = "full",
        output_size_threshold: int = 1024,
        layer_names: Sequence[str] | None = None,
    ) -> None:
        if mode not in _MODES:
            raise ValueError(
                f"Invalid mode '{mode}'. Supported modes are: 'full', 'activations', "
                "'larger_than', 'list_of_layers', or None."
            )
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = list(layer_names or [])

    def __enter__(self) -> RematScope:
        _stack().append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _stack().remove(self)


def _stack() -> list[RematScope]:
    stack = getattr(_state, "stack", None)
    if stack is None:
        stack = _state.stack = []
    return stack


def current_mode() -> RematScope | None:
    """The innermost open ``RematScope`` (``None`` outside any, or for ``mode=None``)."""
    stack = _stack()
    if not stack or stack[-1].mode is None:
        return None
    return stack[-1]


def _size(spec: Any) -> int:
    shape = getattr(spec, "shape", None)
    return math.prod(d or 1 for d in shape) if shape is not None else 0


def wrap_call(layer: Any, call: Callable, args: tuple, kwargs: dict) -> Callable:
    """``call`` rematerialized as ``layer``'s scope mode says (unchanged without one)."""
    scope = getattr(layer, "_remat_mode", None)
    if scope is None:
        return call
    if scope.mode == "full":
        return remat(call)
    if scope.mode == "list_of_layers":
        return remat(call) if layer.name in scope.layer_names else call
    if scope.mode == "activations":
        if getattr(layer, "activation", None) is None:
            return call

        @functools.wraps(call)
        def with_remat_activation(*a: Any, **k: Any) -> Any:
            original = layer.activation
            layer.activation = remat(original)
            try:
                return call(*a, **k)
            finally:
                layer.activation = original

        return with_remat_activation
    if scope.mode == "larger_than":
        spec = layer.compute_output_spec(*args, **kwargs)
        size = sum(
            _size(s) for s in jax.tree_util.tree_leaves(spec, is_leaf=lambda s: hasattr(s, "shape"))
        )
        if size > scope.output_size_threshold:
            return remat(call)
    return call
