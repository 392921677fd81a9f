"""Muon: orthogonalized momentum for matrices, AdamW for every other variable."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from . import _step
from ._optimizer import Optimizer
from ._rule_helpers import cast, checked, step_number


class MuonState(NamedTuple):
    """Muon's slots, in Keras's order per variable: ``momentum``, then ``velocity``.

    ``velocity`` exists only for the variables updated by AdamW (its entry is
    ``None`` for the others).
    """

    momentum: Any
    velocity: Any


def _swap_last_axes(x: jax.Array) -> jax.Array:
    return jnp.swapaxes(x, -1, -2)


def newton_schulz(x: jax.Array, steps: int, a: float, b: float, c: float) -> jax.Array:
    """Keras's quintic Newton-Schulz iteration towards the orthogonal factor of ``x``.

    The matrix is scaled to Frobenius norm ~1, then ``steps`` times
    ``x = a * x + (b * A + (c * A) @ A) @ x`` with ``A = x @ x.T`` (on the
    transposed matrix when it has more rows than columns).

    Raises:
        ValueError: If ``x`` has fewer than 2 dimensions.

    >>> y = newton_schulz(jnp.eye(2) * 3.0, 5, 3.4445, -4.7750, 2.0315)
    >>> [round(v, 2) for v in jnp.diagonal(y).tolist()]
    [1.11, 1.11]
    """
    if x.ndim < 2:
        raise ValueError(
            f"Expected gradient or momentum to have at least 2 dimensions. Received: "
            f"shape={x.shape}. Muon orthogonalizes matrices; leave other variables to AdamW."
        )
    tall = x.shape[-2] > x.shape[-1]
    if tall:
        x = _swap_last_axes(x)
    x = x / (jnp.linalg.norm(x, axis=(-2, -1), keepdims=True) + 1e-7)
    for _ in range(steps):
        gram = x @ _swap_last_axes(x)
        poly = b * gram + (c * gram) @ gram
        x = a * x + poly @ x
    return _swap_last_axes(x) if tall else x


def muon(
    adam_beta_1: float = 0.9,
    adam_beta_2: float = 0.999,
    epsilon: float = 1e-7,
    muon_a: float = 3.4445,
    muon_b: float = -4.7750,
    muon_c: float = 2.0315,
    adam_lr_ratio: float = 1,
    momentum: float = 0.95,
    ns_steps: int = 5,
    nesterov: bool = True,
    rms_rate: float | None = 0.2,
    adam_flags: Sequence[bool] | None = None,
) -> optax.GradientTransformationExtraArgs:
    """Keras's Muon update; variables with a ``velocity`` slot take AdamW's step instead.

    Muon: ``m += g + m * (momentum - 1)``; ``u = NS(g + momentum * m)`` (``NS(m)``
    without Nesterov); ``p -= lr * u * sqrt(max(rows, cols)) * rms_rate``.
    AdamW variables follow Keras's Adam with ``lr * adam_lr_ratio``.

    Args:
        adam_flags: For ``init``: per parameter, whether it is updated by
            AdamW (and so gets a ``velocity`` slot). Defaults to the rank test
            alone (rank != 2).

    Returns:
        The transformation.

    >>> tx = muon(rms_rate=None)
    >>> p = [jnp.zeros((2, 2))]
    >>> upd, _ = tx.update([jnp.eye(2)], tx.init(p), p,
    ...                    learning_rate=jnp.float32(0.1), iteration=0)
    >>> [round(v, 3) for v in jnp.diagonal(upd[0]).tolist()]
    [-0.111, -0.111]
    """

    def init(params: Any) -> MuonState:
        leaves = list(params)
        flags = adam_flags if adam_flags is not None else [len(p.shape) != 2 for p in leaves]
        return MuonState(
            momentum=[jnp.zeros(p.shape, p.dtype) for p in leaves],
            velocity=[
                jnp.zeros(p.shape, p.dtype) if flag else None
                for p, flag in zip(leaves, flags, strict=True)
            ],
        )

    def adamw_leaf(p: Any, g: Any, m: Any, v: Any, learning_rate: Any, iteration: Any) -> tuple:
        dtype = p.dtype
        lr = cast(learning_rate * adam_lr_ratio, dtype)
        g = cast(g, dtype)
        t = step_number(iteration, dtype)
        beta_1_power = jnp.power(cast(adam_beta_1, dtype), t)
        beta_2_power = jnp.power(cast(adam_beta_2, dtype), t)
        alpha = lr * jnp.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        m = m + (g - m) * (1 - adam_beta_1)
        v = v + (jnp.square(g) - v) * (1 - adam_beta_2)
        return (-((m * alpha) / (jnp.sqrt(v) + epsilon)), m, v)

    def muon_leaf(p: Any, g: Any, m: Any, learning_rate: Any) -> tuple:
        m = m + (g + m * (momentum - 1))
        direction = g + momentum * m if nesterov else m
        update = learning_rate * newton_schulz(direction, ns_steps, muon_a, muon_b, muon_c)
        if rms_rate is not None:
            update = update * jnp.sqrt(jnp.maximum(update.shape[0], update.shape[1])) * rms_rate
        return (-update, m)

    def update(
        grads: Sequence[Any],
        state: MuonState,
        params: Sequence[Any] | None = None,
        *,
        learning_rate: Any,
        iteration: Any,
        **extra: Any,
    ) -> tuple:
        params = checked(params)
        deltas, momenta, velocities = [], [], []
        for p, g, m, v in zip(params, grads, state.momentum, state.velocity, strict=True):
            if v is not None:
                d, m, v = adamw_leaf(p, g, m, v, learning_rate, iteration)
            else:
                d, m = muon_leaf(p, g, m, learning_rate)
            deltas.append(d)
            momenta.append(m)
            velocities.append(v)
        return deltas, MuonState(momentum=momenta, velocity=velocities)

    return optax.GradientTransformationExtraArgs(init, update)


class Muon(Optimizer):
    """Muon with Keras's update math: orthogonalized momentum for 2-D weights, AdamW otherwise.

    A variable goes to AdamW when its rank is not 2, when
    ``exclude_embeddings`` is set and its path contains ``"embedding"``, or
    when its path matches one of the ``exclude_layers`` patterns. Slots per
    variable: ``momentum``, and ``velocity`` for AdamW variables. Weight decay
    is ``weight_decay`` for Muon variables and ``adam_weight_decay`` for AdamW
    ones, both scaled by the learning rate.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a callable.
        adam_beta_1: AdamW's first-moment decay.
        adam_beta_2: AdamW's second-moment decay.
        adam_weight_decay: The decay of AdamW variables.
        epsilon: AdamW's epsilon.
        weight_decay: The decay of Muon variables.
        clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum,
        ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps,
        name: The common arguments of ``Optimizer``.
        exclude_layers: Regular expressions; matching variable paths use AdamW.
        exclude_embeddings: Whether embedding variables use AdamW.
        muon_a: The Newton-Schulz coefficient ``a``.
        muon_b: The Newton-Schulz coefficient ``b``.
        muon_c: The Newton-Schulz coefficient ``c``.
        adam_lr_ratio: AdamW's learning rate relative to Muon's.
        momentum: Muon's momentum.
        ns_steps: The number of Newton-Schulz iterations.
        nesterov: Whether Muon uses Nesterov momentum.
        rms_rate: Scales Muon's update by ``sqrt(max(rows, cols)) * rms_rate``
            (``None``: no scaling).

    Raises:
        ValueError: For an unknown argument or an invalid common argument (see ``Optimizer``).

    References:
        Jordan et al., "Muon: An optimizer for hidden layers in neural networks", 2024.

    >>> Muon().get_config()["ns_steps"]
    5
    """

    _slot_groups = (("momentum", "velocity"),)

    def __init__(
        self,
        learning_rate: Any = 0.001,
        adam_beta_1: float = 0.9,
        adam_beta_2: float = 0.999,
        adam_weight_decay: float | None = 0.004,
        epsilon: float = 1e-7,
        weight_decay: float | None = 0.004,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        exclude_layers: Sequence[str] | None = None,
        exclude_embeddings: bool = True,
        muon_a: float = 3.4445,
        muon_b: float = -4.7750,
        muon_c: float = 2.0315,
        adam_lr_ratio: float = 1,
        momentum: float = 0.95,
        ns_steps: int = 5,
        nesterov: bool = True,
        rms_rate: float | None = 0.2,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            learning_rate=learning_rate,
            name=name,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            **kwargs,
        )
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a = muon_a
        self.muon_b = muon_b
        self.muon_c = muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = list(exclude_layers or [])
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate
        self._adam_flags: list[bool] | None = None

    def _should_use_adamw(self, variable: Any) -> bool:
        """Whether ``variable`` is updated by AdamW rather than Muon (Keras's test)."""
        if len(variable.shape) != 2:
            return True
        if self.exclude_embeddings and "embedding" in variable.path.lower():
            return True
        return any(re.search(pattern, variable.path) for pattern in self.exclude_layers)

    def _add(self, new: list[Any], ordered: list[Any] | None) -> None:
        self._adam_flags = [
            self._should_use_adamw(v)
            for v in new
            if not getattr(v, "overwrite_with_gradient", False)
        ]
        try:
            super()._add(new, ordered)
        finally:
            self._adam_flags = None

    def _make_rule(self) -> optax.GradientTransformationExtraArgs:
        return muon(
            self.adam_beta_1,
            self.adam_beta_2,
            self.epsilon,
            self.muon_a,
            self.muon_b,
            self.muon_c,
            self.adam_lr_ratio,
            self.momentum,
            self.ns_steps,
            self.nesterov,
            self.rms_rate,
            adam_flags=self._adam_flags,
        )

    def _variable_spec(self, variable: Any) -> _step.VariableSpec:
        rate = self.adam_weight_decay if self._should_use_adamw(variable) else self.weight_decay
        spec = super()._variable_spec(variable)
        return spec._replace(
            weight_decay=spec.weight_decay and rate is not None, weight_decay_rate=rate
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "adam_beta_1": self.adam_beta_1,
            "adam_beta_2": self.adam_beta_2,
            "epsilon": self.epsilon,
            "exclude_layers": self.exclude_layers,
            "muon_a": self.muon_a,
            "muon_b": self.muon_b,
            "muon_c": self.muon_c,
            "adam_lr_ratio": self.adam_lr_ratio,
            "momentum": self.momentum,
            "ns_steps": self.ns_steps,
            "nesterov": self.nesterov,
            "exclude_embeddings": self.exclude_embeddings,
            "adam_weight_decay": self.adam_weight_decay,
            "rms_rate": self.rms_rate,
        }
