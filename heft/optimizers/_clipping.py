"""Gradient clipping as Keras does it: per-variable norm, global norm, or value."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax


def clip_by_norm(clipnorm: float) -> optax.GradientTransformation:
    """Rescale each gradient separately so that its L2 norm is at most ``clipnorm``.

    Keras's formula: ``g * clipnorm / max(norm(g), clipnorm)``, with a zero
    gradient left at zero.

    Args:
        clipnorm: The largest allowed norm of each gradient.

    Returns:
        A stateless transformation.

    >>> tx = clip_by_norm(1.0)
    >>> clipped, _ = tx.update([jnp.array([3.0, 4.0])], tx.init(None))
    >>> [round(x, 6) for x in clipped[0].tolist()]
    [0.6, 0.8]
    """

    def leaf(g: jax.Array) -> jax.Array:
        l2sum = jnp.sum(jnp.square(g), axis=None, keepdims=True)
        positive = l2sum > 0
        l2sum_safe = jnp.where(positive, l2sum, jnp.ones_like(l2sum))
        l2norm = jnp.where(positive, jnp.sqrt(l2sum_safe), l2sum)
        return (g * clipnorm) / jnp.maximum(l2norm, clipnorm)

    def update(updates: Any, state: Any, params: Any = None) -> tuple:
        return jax.tree.map(leaf, updates), state

    return optax.GradientTransformation(optax.init_empty_state, update)


def global_norm(grads: Any) -> jax.Array:
    """The L2 norm of all leaves of ``grads`` taken together.

    >>> float(global_norm([jnp.array([3.0]), jnp.array([4.0])]))
    5.0
    """
    squared = [jnp.sum(jnp.square(g)) for g in jax.tree.leaves(grads)]
    return jnp.sqrt(jnp.sum(jnp.stack(squared)))


def clip_by_global_norm(global_clipnorm: float) -> optax.GradientTransformation:
    """Rescale all gradients together so that their global norm is at most ``global_clipnorm``.

    Keras's formula: every gradient times
    ``global_clipnorm * min(1 / norm, 1 / global_clipnorm)``; a non-finite
    norm makes every gradient NaN.

    Args:
        global_clipnorm: The largest allowed global norm.

    Returns:
        A stateless transformation.

    >>> tx = clip_by_global_norm(1.0)
    >>> clipped, _ = tx.update([jnp.array([3.0]), jnp.array([4.0])], tx.init(None))
    >>> [round(float(c[0]), 6) for c in clipped]
    [0.6, 0.8]
    """

    def update(updates: Any, state: Any, params: Any = None) -> tuple:
        if not jax.tree.leaves(updates):
            return updates, state
        norm = global_norm(updates)
        scale = global_clipnorm * jnp.minimum(1.0 / norm, 1.0 / global_clipnorm)
        scale = scale + (norm - norm)
        return jax.tree.map(lambda g: g * scale, updates), state

    return optax.GradientTransformation(optax.init_empty_state, update)


def keras_clipping(
    clipnorm: float | None, clipvalue: float | None, global_clipnorm: float | None
) -> optax.GradientTransformation | None:
    """The clipping a Keras optimizer with these arguments applies, or ``None``.

    As in Keras, a clipping argument that is ``None``, zero or negative does
    nothing; ``clipnorm`` wins over ``global_clipnorm``, which wins over
    ``clipvalue``. Clipping by value is ``optax.clip``, whose math is Keras's.

    >>> keras_clipping(None, 0.5, None) is not None
    True
    """
    if clipnorm and clipnorm > 0:
        return clip_by_norm(clipnorm)
    if global_clipnorm and global_clipnorm > 0:
        return clip_by_global_norm(global_clipnorm)
    if clipvalue and clipvalue > 0:
        return optax.clip(clipvalue)
    return None
