"""Shared pieces of the update rules, and the conventions every rule follows.

Each function returns an ``optax.GradientTransformationExtraArgs`` whose
``update(grads, state, params, *, learning_rate, iteration)`` returns the
amount to add to each parameter. ``learning_rate`` is the current rate (a
scalar array) and ``iteration`` is the optimizer's step counter before this
step, as Keras's ``optimizer.iterations`` (so the step number is
``iteration + 1``). Every operation follows Keras's order and casts (the
learning rate and the gradient are cast to the parameter's dtype first), so
``params + updates`` equals what Keras computes. optax's own ``scale_by_adam``,
``scale_by_rms``, ``scale_by_lion`` and friends put epsilon, the bias
correction and the learning rate elsewhere, or round ``1 - beta`` differently,
so they are not used here.

The state of each rule is a ``NamedTuple`` whose fields are named as Keras's
slot variables (``momentum``, ``velocity``, ...); a per-variable field has the
structure of ``params``, a field that Keras does not create for this
configuration is ``None``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import optax

from .._typing import DTypeLike


def zeros(params: Any) -> Any:
    return jax.tree.map(lambda p: jnp.zeros(p.shape, p.dtype), params)


def per_leaf(fn: Callable, params: Any, grads: Any, *slots: Any) -> tuple:
    """Apply ``fn(p, g, *slot_leaves)`` to each parameter and unzip its results.

    ``fn`` returns ``(delta, *new_slot_leaves)`` in the order of ``slots``; a
    ``None`` slot tree passes ``None`` leaves and comes back as ``None``.
    """
    leaves, treedef = jax.tree.flatten(params)
    if not leaves:
        return (treedef.unflatten([]), *slots)
    columns = [treedef.flatten_up_to(grads)] + [
        treedef.flatten_up_to(t) if t is not None else [None] * len(leaves) for t in slots
    ]
    results = [fn(p, *(col[i] for col in columns)) for i, p in enumerate(leaves)]
    return tuple(
        None if results[0][k] is None else treedef.unflatten([r[k] for r in results])
        for k in range(len(results[0]))
    )


def leafwise(
    state_type: Callable[..., Any],
    init: Callable[[Any], Any],
    leaf: Callable[..., tuple],
    with_iteration: bool = False,
) -> optax.GradientTransformationExtraArgs:
    """A rule whose state fields are per-variable slot trees, updated one parameter at a time.

    ``leaf(p, g, *slot_leaves, learning_rate[, iteration])`` returns
    ``(delta, *new_slot_leaves)``, the slots in the order of ``state_type``'s fields.
    """

    def update(
        grads: Any,
        state: Any,
        params: Any = None,
        *,
        learning_rate: Any,
        iteration: Any = None,
        **extra: Any,
    ) -> tuple:
        params = checked(params)
        step = (learning_rate, iteration) if with_iteration else (learning_rate,)
        delta, *slots = per_leaf(lambda p, g, *s: leaf(p, g, *s, *step), params, grads, *state)
        return delta, state_type(*slots)

    return optax.GradientTransformationExtraArgs(init, update)


def cast(x: Any, dtype: DTypeLike) -> jax.Array:
    return jnp.asarray(x).astype(dtype)


def step_number(iteration: Any, dtype: DTypeLike, offset: int = 1) -> jax.Array:
    return (jnp.asarray(iteration) + offset).astype(dtype)


def checked(params: Any) -> Any:
    if params is None:
        raise ValueError(
            "Keras update rules need `params` (the current parameter values): the "
            "learning rate and gradients are cast to each parameter's dtype. Call "
            "`update(grads, state, params, learning_rate=..., iteration=...)`."
        )
    return params
