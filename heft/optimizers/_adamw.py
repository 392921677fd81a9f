"""AdamW: Adam with decoupled weight decay."""

from __future__ import annotations

from typing import Any

from ._adam import Adam
from ._arguments import base_arguments, pick


class AdamW(Adam):
    """Adam with decoupled weight decay (``weight_decay`` is required, default 0.004).

    Before each update, ``v -= v * weight_decay * lr`` (except for variables
    excluded with ``exclude_from_weight_decay``); then Adam's update.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a callable.
        weight_decay: The decay factor; may not be ``None``.
        beta_1: Decay of the first moment.
        beta_2: Decay of the second moment.
        epsilon: Added to ``sqrt(v)``.
        amsgrad: Whether to use AMSGrad.
        **kwargs: The common arguments of ``Optimizer`` (``clipnorm``,
            ``clipvalue``, ``global_clipnorm``, ``use_ema``, ``ema_momentum``,
            ``ema_overwrite_frequency``, ``loss_scale_factor``,
            ``gradient_accumulation_steps``, ``name``).

    Raises:
        ValueError: If ``weight_decay`` is ``None``, or for an invalid common argument.

    >>> AdamW().get_config()["weight_decay"]
    0.004
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        weight_decay: float | None = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            learning_rate=learning_rate,
            **pick(locals(), self._hyperparameters),
            **base_arguments(locals()),
            **kwargs,
        )
        if self.weight_decay is None:
            raise ValueError(
                "Argument `weight_decay` must be a float. Received: weight_decay=None. "
                "Pass a float such as 0.004, or use `Adam` for no weight decay."
            )
