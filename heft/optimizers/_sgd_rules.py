"""The SGD and Lion update rules as optax transformations, with Keras's math."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax.numpy as jnp
import optax

from ._rule_helpers import cast, leafwise, zeros


class SGDState(NamedTuple):
    """SGD's slots: ``momentum`` (``None`` when ``momentum == 0``)."""

    momentum: Any


def sgd(momentum: float = 0.0, nesterov: bool = False) -> optax.GradientTransformationExtraArgs:
    """Keras's SGD: ``m = m * momentum - g * lr``; ``p += m`` (Nesterov: ``p += m * momentum - g * lr``).

    Args:
        momentum: The momentum factor; ``0`` keeps no slot and does ``p -= g * lr``.
        nesterov: Whether to use Nesterov momentum.

    Returns:
        The transformation.

    >>> tx = sgd(momentum=0.5)
    >>> p = [jnp.ones(2)]
    >>> upd, state = tx.update([jnp.ones(2)], tx.init(p), p,
    ...                        learning_rate=jnp.float32(0.1), iteration=0)
    >>> upd[0].tolist(), state.momentum[0].tolist()
    ([-0.10000000149011612, -0.10000000149011612], [-0.10000000149011612, -0.10000000149011612])
    """

    def init(params: Any) -> SGDState:
        return SGDState(momentum=zeros(params) if momentum != 0 else None)

    def leaf(p: Any, g: Any, m: Any, learning_rate: Any) -> tuple:
        lr = cast(learning_rate, p.dtype)
        g = cast(g, p.dtype)
        if m is None:
            return (-(g * lr), None)
        mom = cast(momentum, p.dtype)
        m = m * mom - g * lr
        delta = m * mom - g * lr if nesterov else m
        return (delta, m)

    return leafwise(SGDState, init, leaf)


class LionState(NamedTuple):
    """Lion's slot: ``momentum``."""

    momentum: Any


def lion(beta_1: float = 0.9, beta_2: float = 0.99) -> optax.GradientTransformationExtraArgs:
    """Keras's Lion: ``p -= lr * sign(m * beta_1 + g * (1 - beta_1))``; ``m = m * beta_2 + g * (1 - beta_2)``.

    Args:
        beta_1: Interpolation factor of the update direction.
        beta_2: Decay of the momentum.

    Returns:
        The transformation.

    >>> tx = lion()
    >>> p = [jnp.zeros(2)]
    >>> upd, _ = tx.update([jnp.array([2.0, -3.0])], tx.init(p), p,
    ...                    learning_rate=jnp.float32(0.5), iteration=0)
    >>> upd[0].tolist()
    [-0.5, 0.5]
    """

    def init(params: Any) -> LionState:
        return LionState(momentum=zeros(params))

    def leaf(p: Any, g: Any, m: Any, learning_rate: Any) -> tuple:
        dtype = p.dtype
        lr = cast(learning_rate, dtype)
        g = cast(g, dtype)
        b1 = cast(beta_1, dtype)
        b2 = cast(beta_2, dtype)
        delta = -(lr * jnp.sign(m * b1 + g * (1.0 - b1)))
        m = m * b2 + g * (1.0 - b2)
        return (delta, m)

    return leafwise(LionState, init, leaf)
