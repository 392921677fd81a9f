"""The Adam, Adamax and Nadam update rules as optax transformations, with Keras's math."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from ._rule_helpers import cast, checked, leafwise, per_leaf, step_number, zeros


class AdamState(NamedTuple):
    """Adam's slots, in Keras's order: ``momentum``, ``velocity``, then ``velocity_hat`` (amsgrad)."""

    momentum: Any
    velocity: Any
    velocity_hat: Any


def adam(
    beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False
) -> optax.GradientTransformationExtraArgs:
    """Keras's Adam: epsilon outside the bias correction.

    ``m += (g - m) * (1 - beta_1)``, ``v += (g**2 - v) * (1 - beta_2)``,
    ``alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``,
    ``p -= m * alpha / (sqrt(v) + epsilon)`` with ``t = iteration + 1``; with
    ``amsgrad``, ``v`` in the last step is the running maximum ``velocity_hat``.

    Args:
        beta_1: Decay of the first moment.
        beta_2: Decay of the second moment.
        epsilon: Added to ``sqrt(v)``.
        amsgrad: Whether to use the AMSGrad variant.

    Returns:
        The transformation.

    >>> tx = adam()
    >>> p = [jnp.zeros(1)]
    >>> upd, _ = tx.update([jnp.ones(1)], tx.init(p), p,
    ...                    learning_rate=jnp.float32(0.1), iteration=0)
    >>> round(float(upd[0][0]), 4)
    -0.1
    """

    def init(params: Any) -> AdamState:
        return AdamState(
            momentum=zeros(params),
            velocity=zeros(params),
            velocity_hat=zeros(params) if amsgrad else None,
        )

    def leaf(
        p: Any, g: Any, m: Any, v: Any, vhat: Any, learning_rate: Any, iteration: Any
    ) -> tuple:
        dtype = p.dtype
        lr = cast(learning_rate, dtype)
        g = cast(g, dtype)
        t = step_number(iteration, dtype)
        beta_1_power = jnp.power(cast(beta_1, dtype), t)
        beta_2_power = jnp.power(cast(beta_2, dtype), t)
        alpha = lr * jnp.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        m = m + (g - m) * (1 - beta_1)
        v = v + (jnp.square(g) - v) * (1 - beta_2)
        denominator_v = v
        if vhat is not None:
            vhat = jnp.maximum(vhat, v)
            denominator_v = vhat
        return (-((m * alpha) / (jnp.sqrt(denominator_v) + epsilon)), m, v, vhat)

    return leafwise(AdamState, init, leaf, with_iteration=True)


class AdamaxState(NamedTuple):
    """Adamax's slots, in Keras's order: ``momentum``, ``norm`` (the infinity norm)."""

    momentum: Any
    norm: Any


def adamax(
    beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7
) -> optax.GradientTransformationExtraArgs:
    """Keras's Adamax.

    ``m += (g - m) * (1 - beta_1)``; ``u = max(beta_2 * u, |g|)``;
    ``p -= lr * m / ((1 - beta_1**t) * (u + epsilon))`` with ``t = iteration + 1``.

    Args:
        beta_1: Decay of the first moment.
        beta_2: Decay of the infinity norm.
        epsilon: Added to the norm.

    Returns:
        The transformation.

    >>> tx = adamax(epsilon=0.0)
    >>> p = [jnp.zeros(1)]
    >>> upd, _ = tx.update([jnp.full(1, 2.0)], tx.init(p), p,
    ...                    learning_rate=jnp.float32(1.0), iteration=0)
    >>> round(float(upd[0][0]), 6)
    -1.0
    """

    def init(params: Any) -> AdamaxState:
        return AdamaxState(momentum=zeros(params), norm=zeros(params))

    def leaf(p: Any, g: Any, m: Any, u: Any, learning_rate: Any, iteration: Any) -> tuple:
        dtype = p.dtype
        lr = cast(learning_rate, dtype)
        g = cast(g, dtype)
        beta_1_power = jnp.power(cast(beta_1, dtype), step_number(iteration, dtype))
        m = m + (g - m) * (1 - beta_1)
        u = jnp.maximum(beta_2 * u, jnp.abs(g))
        return (-((lr * m) / ((1 - beta_1_power) * (u + epsilon))), m, u)

    return leafwise(AdamaxState, init, leaf, with_iteration=True)


class NadamState(NamedTuple):
    """Nadam's slots: per-variable ``momentum`` and ``velocity``, and the shared ``u_product``."""

    momentum: Any
    velocity: Any
    u_product: Any


def nadam(
    beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7
) -> optax.GradientTransformationExtraArgs:
    """Keras's Nadam, with the momentum schedule ``u_t = beta_1 * (1 - 0.5 * 0.96**t)``.

    ``u_product`` (one scalar for all parameters, dtype of the first parameter)
    is multiplied by ``u_t`` at each step before the parameters are updated.

    Args:
        beta_1: Decay of the first moment.
        beta_2: Decay of the second moment.
        epsilon: Added to ``sqrt(v_hat)``.

    Returns:
        The transformation.

    >>> tx = nadam()
    >>> p = [jnp.zeros(1)]
    >>> _, state = tx.update([jnp.ones(1)], tx.init(p), p,
    ...                      learning_rate=jnp.float32(0.1), iteration=0)
    >>> round(float(state.u_product), 4)
    0.468
    """

    def init(params: Any) -> NadamState:
        leaves = jax.tree.leaves(params)
        dtype = leaves[0].dtype if leaves else jnp.float32
        return NadamState(
            momentum=zeros(params), velocity=zeros(params), u_product=jnp.ones((), dtype)
        )

    def leaf(
        p: Any, g: Any, m: Any, v: Any, u_product: Any, learning_rate: Any, iteration: Any
    ) -> tuple:
        dtype = p.dtype
        lr = cast(learning_rate, dtype)
        g = cast(g, dtype)
        t = step_number(iteration, dtype)
        t_next = step_number(iteration, dtype, offset=2)
        decay = cast(0.96, dtype)
        b1 = cast(beta_1, dtype)
        b2 = cast(beta_2, dtype)
        u_t = b1 * (1.0 - 0.5 * jnp.power(decay, t))
        u_t_1 = b1 * (1.0 - 0.5 * jnp.power(decay, t_next))
        u_product_t = cast(u_product, dtype)
        u_product_t_1 = u_product_t * u_t_1
        beta_2_power = jnp.power(b2, t)
        m = m + (g - m) * (1 - b1)
        v = v + (jnp.square(g) - v) * (1 - b2)
        m_hat = (u_t_1 * m) / (1 - u_product_t_1) + ((1 - u_t) * g) / (1 - u_product_t)
        v_hat = v / (1 - beta_2_power)
        return (-((m_hat * lr) / (jnp.sqrt(v_hat) + epsilon)), m, v)

    def update(
        grads: Any,
        state: NadamState,
        params: Any = None,
        *,
        learning_rate: Any,
        iteration: Any,
        **extra: Any,
    ) -> tuple:
        params = checked(params)
        u_product = state.u_product
        t = step_number(iteration, u_product.dtype)
        u_product = u_product * beta_1 * (1.0 - 0.5 * jnp.power(0.96, t))
        delta, m, v = per_leaf(
            lambda p, g, m, v: leaf(p, g, m, v, u_product, learning_rate, iteration),
            params,
            grads,
            state.momentum,
            state.velocity,
        )
        return delta, NadamState(momentum=m, velocity=v, u_product=u_product)

    return optax.GradientTransformationExtraArgs(init, update)
