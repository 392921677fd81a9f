"""Interactive logging: heft's printed progress and messages on stdout, or to ``logging``.

With interactive logging on (the default) progress bars and callback
messages are written to ``sys.stdout``. Turned off, as for a job on a
server, each finished line goes to the Python logger ``"heft"`` at level
INFO instead (live bars are not redrawn; a progress bar logs its lines as
when stdout is not a terminal), so the job's logging configuration decides
where they end up.
"""

from __future__ import annotations

import logging
import sys

LOGGER = logging.getLogger("heft")
_enabled = True


def enable_interactive_logging() -> None:
    """Write progress and messages to ``sys.stdout`` (the default)."""
    global _enabled
    _enabled = True


def disable_interactive_logging() -> None:
    """Send progress and messages to the ``"heft"`` Python logger at INFO level.

    >>> disable_interactive_logging(); is_interactive_logging_enabled()
    False
    >>> enable_interactive_logging()
    """
    global _enabled
    _enabled = False


def is_interactive_logging_enabled() -> bool:
    """Whether heft writes progress and messages to stdout (else to ``logging``)."""
    return _enabled


def print_msg(message: str, line_break: bool = True) -> None:
    """Write ``message`` to stdout, or log it (without its trailing newline) when off."""
    message = str(message)
    if _enabled:
        sys.stdout.write(f"{message}\n" if line_break else message)
        sys.stdout.flush()
    else:
        LOGGER.info(message.rstrip("\n"))
