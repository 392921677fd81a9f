"""Process-wide switches of ``heft.config``: backend, flash attention, traceback filtering, NNX.

heft runs on JAX only: :func:`backend` is always ``"jax"`` and
:func:`set_backend` accepts only that name.
"""

from __future__ import annotations

import functools
import os
import types
from collections.abc import Callable
from typing import Any, TypeVar

_flash_attention: bool | None = None
_traceback_filtering = True
_HEFT_DIR = os.path.dirname(os.path.abspath(__file__))
_F = TypeVar("_F", bound=Callable[..., Any])


def backend() -> str:
    """The name of the backend: always ``"jax"``.

    >>> backend()
    'jax'
    """
    return "jax"


def set_backend(backend: str) -> None:
    """Accept ``"jax"``, the only backend heft runs on; refuse anything else.

    Raises:
        ValueError: If ``backend`` is not ``"jax"``.
    """
    if backend != "jax":
        raise ValueError(
            f"heft runs on JAX only, so the backend cannot be set to {backend!r}. Use "
            "set_backend('jax') (a no-op), or Keras itself for the TensorFlow, PyTorch or "
            "NumPy backends."
        )


def enable_flash_attention() -> None:
    """Allow flash attention where it applies (the default): the switch reads ``None``.

    As in Keras, "enabled" is the automatic setting, ``None``. heft's
    ``MultiHeadAttention`` runs JAX's cuDNN flash kernel only when made with
    ``flash_attention=True`` (GPU, float16 or bfloat16, no dropout), so the
    switch records the choice for code that reads
    :func:`is_flash_attention_enabled` and changes no heft computation.
    """
    global _flash_attention
    _flash_attention = None


def disable_flash_attention() -> None:
    """Turn flash attention off: the switch reads ``False``."""
    global _flash_attention
    _flash_attention = False


def is_flash_attention_enabled() -> bool | None:
    """``None`` (automatic, the default) or ``False`` once disabled, as in Keras.

    >>> is_flash_attention_enabled() is None
    True
    """
    return _flash_attention


def enable_traceback_filtering() -> None:
    """Drop heft's internal frames from tracebacks raised through layer calls (the default).

    A layer call that fails re-raises its exception with the frames of heft's own
    files removed, so the traceback shows the user's code and the failing line;
    JAX's own filtering of its internal frames (``jax_traceback_filtering``) is
    set to ``"auto"``.
    """
    global _traceback_filtering
    _traceback_filtering = True
    _set_jax_filtering("auto")


def disable_traceback_filtering() -> None:
    """Keep every frame in tracebacks: heft's and JAX's (``jax_traceback_filtering="off"``)."""
    global _traceback_filtering
    _traceback_filtering = False
    _set_jax_filtering("off")


def is_traceback_filtering_enabled() -> bool:
    """Whether heft removes its internal frames from tracebacks.

    >>> is_traceback_filtering_enabled()
    True
    """
    return _traceback_filtering


def _set_jax_filtering(mode: str) -> None:
    import jax

    jax.config.update("jax_traceback_filtering", mode)


def is_nnx_enabled() -> bool:
    """Whether Flax NNX integration is on: never in heft, which has no NNX mode.

    >>> is_nnx_enabled()
    False
    """
    return False


def reset() -> None:
    """Back to the defaults (``heft.backend.clear_session``)."""
    global _flash_attention
    _flash_attention = None
    if not _traceback_filtering:
        enable_traceback_filtering()


def _filtered(tb: types.TracebackType | None) -> types.TracebackType | None:
    """``tb`` without the frames of heft's own files (all kept if none would remain)."""
    kept: list[types.TracebackType] = []
    node = tb
    while node is not None:
        if not node.tb_frame.f_code.co_filename.startswith(_HEFT_DIR):
            kept.append(node)
        node = node.tb_next
    if not kept:
        return tb
    result: types.TracebackType | None = None
    for item in reversed(kept):
        result = types.TracebackType(result, item.tb_frame, item.tb_lasti, item.tb_lineno)
    return result


def filter_traceback(fn: _F) -> _F:
    """Decorate ``fn`` so exceptions leave it without heft's frames, while filtering is on."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _traceback_filtering:
            return fn(*args, **kwargs)
        try:
            return fn(*args, **kwargs)
        except Exception as err:
            # The same exception object, so its cause and context are kept.
            raise err.with_traceback(_filtered(err.__traceback__))  # noqa: B904

    return wrapper  # type: ignore[return-value]
