"""The RMSprop, Adagrad and Adadelta update rules as optax transformations, with Keras's math."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from ._rule_helpers import cast, leafwise, zeros


class RMSpropState(NamedTuple):
    """RMSprop's slots, in Keras's order: ``velocity``, ``momentum``, ``average_gradient``."""

    velocity: Any
    momentum: Any
    average_gradient: Any


def rmsprop(
    rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-7, centered: bool = False
) -> optax.GradientTransformationExtraArgs:
    """Keras's RMSprop: epsilon inside the square root, learning rate before momentum.

    ``v = rho * v + (1 - rho) * g**2``; centered: ``a = rho * a + (1 - rho) * g``
    and the denominator is ``sqrt(v - a**2 + epsilon)``, else ``sqrt(v + epsilon)``;
    ``inc = lr * g / denominator``; with momentum ``m = momentum * m + inc`` and
    ``p -= m``, else ``p -= inc``.

    Args:
        rho: Decay of the squared-gradient average.
        momentum: Momentum factor; ``0`` keeps no momentum slot.
        epsilon: Added under the square root.
        centered: Whether to subtract the squared mean gradient.

    Returns:
        The transformation.

    >>> tx = rmsprop(rho=0.0, epsilon=0.0)
    >>> p = [jnp.zeros(1)]
    >>> upd, _ = tx.update([jnp.full(1, 3.0)], tx.init(p), p,
    ...                    learning_rate=jnp.float32(0.5), iteration=0)
    >>> float(upd[0][0])
    -0.5
    """

    def init(params: Any) -> RMSpropState:
        return RMSpropState(
            velocity=zeros(params),
            momentum=zeros(params) if momentum > 0 else None,
            average_gradient=zeros(params) if centered else None,
        )

    def leaf(p: Any, g: Any, vel: Any, mom: Any, avg: Any, learning_rate: Any) -> tuple:
        lr = cast(learning_rate, p.dtype)
        g = cast(g, p.dtype)
        vel = rho * vel + (1 - rho) * jnp.square(g)
        if avg is not None:
            avg = rho * avg + (1 - rho) * g
            denominator = vel - jnp.square(avg) + epsilon
        else:
            denominator = vel + epsilon
        increment = (lr * g) / jnp.sqrt(denominator)
        if mom is not None:
            mom = momentum * mom + increment
            return (-mom, vel, mom, avg)
        return (-increment, vel, mom, avg)

    return leafwise(RMSpropState, init, leaf)


class AdagradState(NamedTuple):
    """Adagrad's slot: ``accumulator``, the running sum of squared gradients."""

    accumulator: Any


def adagrad(
    initial_accumulator_value: float = 0.1, epsilon: float = 1e-7
) -> optax.GradientTransformationExtraArgs:
    """Keras's Adagrad: ``acc += g**2``; ``p -= lr * g / sqrt(acc + epsilon)``.

    Args:
        initial_accumulator_value: The accumulator's starting value.
        epsilon: Added under the square root.

    Returns:
        The transformation.

    >>> tx = adagrad(initial_accumulator_value=0.0, epsilon=0.0)
    >>> p = [jnp.zeros(1)]
    >>> upd, state = tx.update([jnp.full(1, 2.0)], tx.init(p), p,
    ...                        learning_rate=jnp.float32(1.0), iteration=0)
    >>> float(upd[0][0]), float(state.accumulator[0][0])
    (-1.0, 4.0)
    """

    def init(params: Any) -> AdagradState:
        return AdagradState(
            accumulator=jax.tree.map(
                lambda p: jnp.full(p.shape, initial_accumulator_value, p.dtype), params
            )
        )

    def leaf(p: Any, g: Any, acc: Any, learning_rate: Any) -> tuple:
        lr = cast(learning_rate, p.dtype)
        g = cast(g, p.dtype)
        acc = acc + jnp.square(g)
        return (-((lr * g) / jnp.sqrt(acc + epsilon)), acc)

    return leafwise(AdagradState, init, leaf)


class AdadeltaState(NamedTuple):
    """Adadelta's slots, in Keras's order: ``accumulated_grad``, ``accumulated_delta_var``."""

    accumulated_grad: Any
    accumulated_delta_var: Any


def adadelta(rho: float = 0.95, epsilon: float = 1e-7) -> optax.GradientTransformationExtraArgs:
    """Keras's Adadelta, scaled by the learning rate.

    ``ag = rho * ag + (1 - rho) * g**2``;
    ``d = -sqrt(ad + epsilon) * g / sqrt(ag + epsilon)``;
    ``ad = rho * ad + (1 - rho) * d**2``; ``p += lr * d``.

    Args:
        rho: Decay rate of both running averages.
        epsilon: Added under the square roots.

    Returns:
        The transformation.

    >>> tx = adadelta(rho=0.0, epsilon=1.0)
    >>> p = [jnp.zeros(1)]
    >>> upd, _ = tx.update([jnp.full(1, 0.0)], tx.init(p), p,
    ...                    learning_rate=jnp.float32(1.0), iteration=0)
    >>> float(upd[0][0])
    -0.0
    """

    def init(params: Any) -> AdadeltaState:
        return AdadeltaState(accumulated_grad=zeros(params), accumulated_delta_var=zeros(params))

    def leaf(p: Any, g: Any, ag: Any, ad: Any, learning_rate: Any) -> tuple:
        lr = cast(learning_rate, p.dtype)
        g = cast(g, p.dtype)
        ag = rho * ag + (1 - rho) * jnp.square(g)
        delta_var = -((jnp.sqrt(ad + epsilon) * g) / jnp.sqrt(ag + epsilon))
        ad = rho * ad + (1 - rho) * jnp.square(delta_var)
        return (lr * delta_var, ag, ad)

    return leafwise(AdadeltaState, init, leaf)
