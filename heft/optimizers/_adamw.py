"""AdamW: Adam with decoupled weight decay."""

from __future__ import annotations

from typing import Any

from ._adam import Adam
from ._arguments import pick, with_base_arguments


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

    @with_base_arguments
    def __init__(
        self,
        learning_rate: Any = 0.001,
        weight_decay: float | None = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            **pick(locals(), self._hyperparameters),
            **kwargs,
        )
        if self.weight_decay is None:
            raise ValueError(
                "Argument `weight_decay` must be a float. Received: weight_decay=None. "
                "Pass a float such as 0.004, or use `Adam` for no weight decay."
            )
