"""The arguments every optimizer accepts: their table, Keras's checks of them, and hyperparameters."""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

# The ten keyword arguments each optimizer takes after its own hyperparameters and
# passes on to ``Optimizer``.
BASE_ARGUMENTS = (
    "weight_decay",
    "clipnorm",
    "clipvalue",
    "global_clipnorm",
    "use_ema",
    "ema_momentum",
    "ema_overwrite_frequency",
    "loss_scale_factor",
    "gradient_accumulation_steps",
    "name",
)


Init = TypeVar("Init", bound=Callable[..., None])


def with_base_arguments(init: Init) -> Init:
    """An optimizer's ``__init__`` taking the :data:`BASE_ARGUMENTS` after its own, as Keras's do.

    The subclass declares its own hyperparameters and ``**kwargs``; the wrapper
    gives it Keras's whole signature (``inspect.signature`` shows the base
    arguments after the subclass's own, with ``Optimizer``'s defaults), and
    takes them by position too, passing them on as keywords. A base argument
    the subclass declares itself (AdamW's ``weight_decay``) stays where it put it.

    >>> class Opt:
    ...     @with_base_arguments
    ...     def __init__(self, learning_rate=0.01, rho=0.9, **kwargs):
    ...         self.got = (learning_rate, rho, kwargs)
    >>> Opt(0.1, 0.5, 0.004).got
    (0.1, 0.5, {'weight_decay': 0.004})
    >>> list(inspect.signature(Opt).parameters)[:4]
    ['learning_rate', 'rho', 'weight_decay', 'clipnorm']
    """
    from ._optimizer import Optimizer

    signature = inspect.signature(init)
    own = [p for p in signature.parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD]
    rest = [p for p in signature.parameters.values() if p.kind is not p.POSITIONAL_OR_KEYWORD]
    base_parameters = inspect.signature(Optimizer.__init__).parameters
    added = [base_parameters[name] for name in BASE_ARGUMENTS if name not in signature.parameters]
    names = [p.name for p in added]
    count = len(own) - 1  # positional arguments the subclass takes itself, without `self`

    @functools.wraps(init)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
        extra = args[count:]
        if len(extra) > len(names):
            raise TypeError(
                f"{type(self).__name__}() takes at most {count + len(names)} positional "
                f"arguments but {len(args)} were given. Pass the other arguments by keyword."
            )
        for name, value in zip(names, extra, strict=False):
            if name in kwargs:
                raise TypeError(
                    f"{type(self).__name__}() got multiple values for argument '{name}'. "
                    "Pass it once, by position or by keyword."
                )
            kwargs[name] = value
        init(self, *args[:count], **kwargs)

    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*own, *added, *rest]
    )
    return wrapper  # type: ignore[return-value]


def pick(values: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """``{name: values[name]}`` for ``names``: a constructor's ``locals()`` passed on by table.

    >>> pick({"self": None, "name": "sgd", "momentum": 0.9}, ("momentum",))
    {'momentum': 0.9}
    """
    return {name: values[name] for name in names}


def base_arguments(values: Mapping[str, Any]) -> dict[str, Any]:
    """The :data:`BASE_ARGUMENTS` among a subclass constructor's ``locals()``.

    >>> sorted(base_arguments({n: None for n in ("self", "momentum", *BASE_ARGUMENTS)}))[:3]
    ['clipnorm', 'clipvalue', 'ema_momentum']
    """
    return pick(values, BASE_ARGUMENTS)


def set_hyperparameters(optimizer: Any, values: Mapping[str, Any]) -> None:
    """Set each of ``optimizer._hyperparameters`` from ``values`` (its constructor's ``locals()``).

    >>> from types import SimpleNamespace
    >>> opt = SimpleNamespace(_hyperparameters=("rho",))
    >>> set_hyperparameters(opt, {"rho": 0.9, "name": None})
    >>> opt.rho
    0.9
    """
    for name in optimizer._hyperparameters:
        setattr(optimizer, name, values[name])


def hyperparameter_config(optimizer: Any) -> dict[str, Any]:
    """``{name: value}`` of ``optimizer._hyperparameters``, in order, for ``get_config``.

    >>> from types import SimpleNamespace
    >>> hyperparameter_config(SimpleNamespace(_hyperparameters=("rho",), rho=0.9))
    {'rho': 0.9}
    """
    return {name: getattr(optimizer, name) for name in optimizer._hyperparameters}


def check_arguments(
    class_name: str,
    kwargs: dict[str, Any],
    *,
    clipnorm: float | None,
    clipvalue: float | None,
    global_clipnorm: float | None,
    use_ema: bool,
    ema_momentum: float,
    ema_overwrite_frequency: int | None,
    gradient_accumulation_steps: int | None,
) -> None:
    """Keras's checks of the common optimizer arguments (``decay`` warns and is dropped).

    Raises:
        ValueError: For an unknown argument, more than one clipping argument,
            ``gradient_accumulation_steps < 2``, or an invalid EMA argument.
    """
    if kwargs.pop("decay", None) is not None:
        warnings.warn(
            "Argument `decay` is no longer supported and will be ignored. Use a "
            "learning-rate schedule from `heft.optimizers.schedules` instead.",
            stacklevel=4,
        )
    if kwargs:
        raise ValueError(
            f"Argument(s) not recognized: {kwargs}. {class_name} accepts its "
            "own hyperparameters and the common ones (weight_decay, clipnorm, clipvalue, "
            "global_clipnorm, use_ema, ema_momentum, ema_overwrite_frequency, "
            "loss_scale_factor, gradient_accumulation_steps, name)."
        )
    if gradient_accumulation_steps and not gradient_accumulation_steps >= 2:
        raise ValueError(
            "`gradient_accumulation_steps` must be an integer >= 2. Received: "
            f"gradient_accumulation_steps={gradient_accumulation_steps}. Pass None to "
            "update at every step."
        )
    if use_ema:
        if ema_momentum > 1 or ema_momentum < 0:
            raise ValueError(
                f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}"
            )
        if ema_overwrite_frequency and (
            not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1
        ):
            raise ValueError(
                "`ema_overwrite_frequency` must be an integer >= 1 or None. Received: "
                f"ema_overwrite_frequency={ema_overwrite_frequency}"
            )
    if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
        raise ValueError(
            "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
            f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
            f"global_clipnorm={global_clipnorm}"
        )
