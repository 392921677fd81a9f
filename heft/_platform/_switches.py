"""The on/off switches of heft's platform tweaks: one environment variable each."""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator

_ON = frozenset({"1", "true", "yes", "on"})
_OFF = frozenset({"0", "false", "no", "off"})


def parse(env: str, raw: str | None, default: bool) -> bool:
    """The value of the switch ``env`` when its variable holds ``raw`` (``None``: unset).

    Unset or blank gives ``default``; ``1``/``true``/``yes``/``on`` and
    ``0``/``false``/``no``/``off`` (any case, spaces ignored) turn the switch on
    and off. Anything else warns and gives ``default``.

    >>> parse("HEFT_X", " Yes ", False), parse("HEFT_X", "0", True), parse("HEFT_X", None, True)
    (True, False, True)
    """
    value = "" if raw is None else raw.strip().lower()
    if not value:
        return default
    if value in _ON:
        return True
    if value in _OFF:
        return False
    warnings.warn(
        f"heft reads the environment variable {env} as a switch, but it holds {raw!r}. "
        f"heft uses the default ({'on' if default else 'off'}). Set it to 1 to turn the "
        "switch on or 0 to turn it off.",
        RuntimeWarning,
        stacklevel=2,
    )
    return default


class Switch:
    """Whether one platform tweak is used.

    ``on`` is read from the environment variable ``env`` when heft is imported
    (``default`` when it is unset). :meth:`forced` sets it for the length of a
    block, which is how tests run a tweak and its plain path side by side.

    >>> switch = Switch("HEFT_DOC_EXAMPLE", default=True, summary="an example")
    >>> with switch.forced(False):
    ...     switch.on
    False
    >>> switch.on
    True
    """

    def __init__(self, env: str, default: bool, summary: str) -> None:
        self.env = env
        self.default = default
        self.summary = summary
        self.on = parse(env, os.environ.get(env), default)

    def __repr__(self) -> str:
        return f"<Switch {self.env}={'on' if self.on else 'off'}: {self.summary}>"

    @contextlib.contextmanager
    def forced(self, on: bool) -> Iterator[None]:
        """Turn the switch on (``True``) or off (``False``) until the block ends.

        Raises:
            TypeError: If ``on`` is not a bool.
        """
        if not isinstance(on, bool):
            raise TypeError(
                f"Switch {self.env} is forced with a bool. Received: on={on!r} of type "
                f"{type(on).__name__}. Pass True or False."
            )
        before = self.on
        self.on = on
        try:
            yield
        finally:
            self.on = before


RETAIN_FREED_MEMORY = Switch(
    "HEFT_RETAIN_FREED_MEMORY",
    default=False,
    summary="glibc keeps the host memory that training frees, for the next step to reuse",
)
PREFAULT_BUFFERS = Switch(
    "HEFT_PREFAULT_BUFFERS",
    default=True,
    summary="loads read large values into memory maps faulted in ahead by a helper thread",
)
WRITE_HINTS = Switch(
    "HEFT_WRITE_HINTS",
    default=True,
    summary="saves drop the replaced file's cached pages and start the disk writes early",
)
CPU_CONV = Switch(
    "HEFT_CPU_CONV",
    default=True,
    summary="2D convolutions on XLA's CPU backend run padded and split over the batch",
)
CONV_ONE_STEP = Switch(
    "HEFT_CONV_ONE_STEP",
    default=True,
    summary="on XLA's CPU backend a model that convolves trains one step per dispatch",
)
HOST_SAMPLING = Switch(
    "HEFT_HOST_SAMPLING",
    default=True,
    summary="random initializers draw jax.random's values on the host, without compiling",
)

ALL = (
    RETAIN_FREED_MEMORY,
    PREFAULT_BUFFERS,
    WRITE_HINTS,
    CPU_CONV,
    CONV_ONE_STEP,
    HOST_SAMPLING,
)
