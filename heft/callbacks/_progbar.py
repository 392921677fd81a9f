"""``ProgbarLogger``: the progress bar of ``fit``, ``evaluate`` and ``predict``, drawn with rich."""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress_bar import ProgressBar
from rich.text import Text

from .. import _interactive
from ._callback import Callback

_BAR_WIDTH = 20
_VERBOSE_VALUES = (0, 1, 2, "auto")


def format_duration(seconds: float) -> str:
    """``"7s"``, ``"2:05"`` or ``"1:02:05"``: a duration as the bar shows it."""
    seconds = max(float(seconds), 0.0)
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{seconds:.0f}s"


def format_rate(seconds_per_step: float) -> str:
    """``"1,234 steps/s"``, ``"12.5 steps/s"`` or ``"2.50 s/step"``; ``""`` before any step."""
    if not seconds_per_step > 0 or not math.isfinite(seconds_per_step):
        return ""
    if seconds_per_step > 1:
        return f"{seconds_per_step:.2f} s/step"
    rate = 1.0 / seconds_per_step
    if rate >= 100:
        return f"{rate:,.0f} steps/s"
    if rate >= 10:
        return f"{rate:.1f} steps/s"
    return f"{rate:.2f} steps/s"


def format_value(value: Any) -> str:
    """A log value as Keras prints it: 4 decimals, or scientific notation near zero."""
    if isinstance(value, numbers.Real):
        number = float(value)
    elif hasattr(value, "shape") and np.issubdtype(np.asarray(value).dtype, np.number):
        number = float(np.mean(np.asarray(value)))
    else:
        return str(value)
    return f"{number:.4f}" if abs(number) > 1e-3 else f"{number:.4e}"


class ProgbarLogger(Callback):
    """Shows progress, speed, time and metrics while training, evaluating or predicting.

    With ``verbose=1`` on a terminal a live line is redrawn in place at most
    ``1 / refresh_interval`` times a second::

        120/1875 ━━━━━━━━━━━━━━━━━━━━ ETA 2s 950 steps/s - accuracy: 0.8765 - loss: 0.4321

    and, at the end of the epoch, left with the elapsed time instead of the
    ETA. When the output is not a terminal (CI logs, files, notebooks), no
    control codes are written: a plain line such as
    ``1875/1875 - 2s - 950 steps/s - accuracy: 0.8765 - loss: 0.4321`` ends
    each epoch, with a progress line every ``plain_interval`` seconds during
    long epochs. ``verbose=2`` prints only the line at each epoch end;
    ``verbose=0`` prints nothing. An ``Epoch i/n`` line precedes each epoch
    when there are several.

    The bar accepts jumps: the trainer may report only every K-th batch. The
    first report's time (which includes compilation) is left out of the
    speed estimate once later reports exist. With an unknown number of steps
    (``steps=None``) the count is shown as ``n/Unknown``; the count of the
    first epoch then becomes the target of the following ones.

    Args:
        console: The ``rich.console.Console`` to draw on; by default one that
            writes to the current ``sys.stdout``.

    Attributes:
        refresh_interval: Least number of seconds between two live redraws.
        plain_interval: Least number of seconds between two progress lines
            when the output is not a terminal.
        bar_width: Width of the live bar in characters.

    >>> from heft.callbacks import CallbackList, ProgbarLogger
    >>> callbacks = CallbackList([ProgbarLogger()], verbose=2, epochs=1, steps=4)
    >>> callbacks.on_train_begin()
    >>> callbacks.on_epoch_begin(0)
    >>> callbacks.on_train_batch_end(3, {"loss": 0.5})
    >>> callbacks.on_epoch_end(0, {"loss": 0.5})  # doctest: +ELLIPSIS
    4/4 - 0s - ... - loss: 0.5000
    >>> callbacks.on_train_end()
    """

    chunk_safe = True
    refresh_interval: float = 0.1
    plain_interval: float = 30.0
    bar_width: int = _BAR_WIDTH

    def __init__(self, console: Console | None = None) -> None:
        super().__init__()
        self.verbose: int = 1
        self.epochs = 1
        self.target: int | None = None
        self.seen = 0
        self._console = console
        self._clock: Callable[[], float] = time.monotonic
        self._called_in_fit = False
        self._open = False
        self._start = 0.0
        self._first_time: float | None = None
        self._first_seen = 0
        self._last_draw = -math.inf
        self._last_plain = 0.0
        self._line_width = 0
        self._values: dict[str, Any] = {}

    def set_params(self, params: dict[str, Any] | None) -> None:
        """Read ``verbose`` (0, 1, 2 or ``"auto"``), ``epochs`` and ``steps`` from ``params``.

        Raises:
            ValueError: If ``verbose`` is not one of those values.
        """
        super().set_params(params)
        params = params or {}
        verbose = params.get("verbose", 1)
        if verbose not in _VERBOSE_VALUES:
            raise ValueError(
                f"ProgbarLogger received verbose={verbose!r}; expected 0 (silent), 1 "
                "(progress bar), 2 (one line per epoch) or 'auto' (same as 1)."
            )
        self.verbose = 1 if verbose == "auto" else int(verbose)
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    # Hooks.

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._called_in_fit = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self._called_in_fit = False

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._reset()
        if self.verbose and self.epochs > 1:
            self._write(f"Epoch {epoch + 1}/{self.epochs}\n")

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._update(batch, logs)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._finalize(logs)

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        if not self._called_in_fit:
            self._reset()

    def on_test_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if not self._called_in_fit:
            self._update(batch, logs)

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        if not self._called_in_fit:
            self._finalize(logs)

    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._reset()

    def on_predict_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._update(batch, None)

    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None:
        self._finalize(None)

    # State.

    def _reset(self) -> None:
        self._open = True
        self.seen = 0
        self._start = self._clock()
        self._first_time = None
        self._first_seen = 0
        self._last_draw = -math.inf
        self._last_plain = self._start
        self._line_width = 0
        self._values = {}

    def _update(self, batch: int, logs: dict[str, Any] | None) -> None:
        if not self._open:
            self._reset()
        now = self._clock()
        self.seen = batch + 1
        if self._first_time is None and self.seen > 0:
            self._first_time, self._first_seen = now, self.seen
        if logs:
            self._values = dict(logs)
        self._draw(now, finalize=False)

    def _finalize(self, logs: dict[str, Any] | None) -> None:
        if not self._open:
            self._reset()
        if self.target is None:
            self.target = self.seen
        if logs:
            self._values = dict(logs)
        self._draw(self._clock(), finalize=True)
        self._open = False

    def _seconds_per_step(self, now: float) -> float:
        if self.seen <= 0:
            return 0.0
        if self._first_time is not None and self.seen > self._first_seen:
            return (now - self._first_time) / (self.seen - self._first_seen)
        return (now - self._start) / self.seen

    # Drawing.

    def _get_console(self) -> Console:
        if self._console is None:
            self._console = Console()
        return self._console

    def _write(self, text: str) -> None:
        if not _interactive.is_interactive_logging_enabled():
            _interactive.LOGGER.info(text.strip("\r\n"))
            return
        file = self._get_console().file
        file.write(text)
        file.flush()

    def _parts(self, now: float, finalize: bool) -> tuple[str, str, str, list[str]]:
        if self.target is not None:
            count = f"{self.seen:>{len(str(self.target))}}/{self.target}"
        else:
            count = f"{self.seen:>7}/Unknown"
        per_step = self._seconds_per_step(now)
        if finalize or self.target is None:
            timing = format_duration(now - self._start)
        else:
            timing = f"ETA {format_duration(per_step * max(self.target - self.seen, 0))}"
        metrics = [f"{key}: {format_value(value)}" for key, value in self._values.items()]
        return count, timing, format_rate(per_step), metrics

    def _draw(self, now: float, finalize: bool) -> None:
        if self.verbose == 0:
            return
        console = self._get_console()
        live = console.is_terminal and _interactive.is_interactive_logging_enabled()
        if self.verbose == 1 and live:
            if finalize or now - self._last_draw >= self.refresh_interval:
                self._last_draw = now
                self._draw_live(console, now, finalize)
            return
        due = self.verbose == 1 and now - self._last_plain >= self.plain_interval
        if finalize or due:
            self._last_plain = now
            count, timing, rate, metrics = self._parts(now, finalize)
            self._write(" - ".join([count, timing] + ([rate] if rate else []) + metrics) + "\n")

    def _draw_live(self, console: Console, now: float, finalize: bool) -> None:
        count, timing, rate, metrics = self._parts(now, finalize)
        pieces: list[Any] = [(count, "bold"), " "]
        if self.target:
            bar = ProgressBar(total=self.target, completed=self.seen, width=self.bar_width)
            segments = console.render(bar, console.options.update(width=self.bar_width))
            pieces += [(s.text, s.style) for s in segments if s.text and not s.control]
            pieces.append(" ")
        pieces.append((timing, "bold"))
        if rate:
            pieces.append(f" {rate}")
        pieces += [f" - {metric}" for metric in metrics]
        line = Text.assemble(*pieces)
        if not finalize:
            # A line that wraps cannot be redrawn in place; the final one may wrap.
            line.truncate(max(console.width - 1, 20), overflow="ellipsis")
        with console.capture() as capture:
            console.print(line, end="", soft_wrap=True)
        padding = " " * max(self._line_width - line.cell_len, 0)
        self._line_width = line.cell_len
        self._write("\r" + capture.get() + padding + ("\n" if finalize else ""))
