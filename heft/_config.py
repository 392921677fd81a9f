"""heft's numeric defaults: floatx, epsilon, image data format and the global dtype policy.

These four settings are process-wide, and so is some other state, each kept by the
module it serves: the counters of automatic names (``_naming``: ``dense``,
``dense_1``, ...), registered custom objects and the stack of ``custom_object_scope``
(``_registry``), the global seed generator of random functions called without a seed
(``random._seed_generator``), the unsafe-deserialization switch (``_safe_mode``), the
allocator settings applied while training when ``HEFT_RETAIN_FREED_MEMORY=1``
(``_host_memory``) and the background thread pools of saving (``saving._threads``).
Per thread, not per process: the name and stateless scopes (``_scope``) and the stack
of layer calls (``layers._layer``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .dtype_policies import DTypePolicy

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_DTYPE_POLICY: DTypePolicy | None = None  # None: DTypePolicy(floatx())

_FLOAT_TYPES = ("float16", "bfloat16", "float32", "float64")


def floatx() -> str:
    """Return the default float dtype name, ``"float32"`` unless changed.

    >>> import heft
    >>> heft.config.floatx()
    'float32'
    """
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float dtype used for weights and computations.

    Args:
        value: One of ``"float16"``, ``"bfloat16"``, ``"float32"``, ``"float64"``.

    Raises:
        ValueError: If ``value`` is not one of those names.
    """
    global _FLOATX
    if value not in _FLOAT_TYPES:
        raise ValueError(
            f"Unknown floatx type: {value!r}. Expected one of {_FLOAT_TYPES}. "
            "Pass one of these names to `set_floatx`."
        )
    _FLOATX = str(value)


def epsilon() -> float:
    """Return the fuzz factor used in numeric expressions (``1e-7`` by default)."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Set the fuzz factor used in numeric expressions."""
    global _EPSILON
    _EPSILON = float(value)


def image_data_format() -> str:
    """Return the default image data format, ``"channels_last"`` unless changed."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    """Set the default image data format: ``"channels_last"`` or ``"channels_first"``."""
    global _IMAGE_DATA_FORMAT
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"Unknown data_format: {data_format!r}. Expected 'channels_last' or 'channels_first'."
        )
    _IMAGE_DATA_FORMAT = data_format


def dtype_policy() -> DTypePolicy:
    """The global dtype policy (``DTypePolicy(floatx())`` unless set)."""
    from .dtype_policies import DTypePolicy

    return _DTYPE_POLICY if _DTYPE_POLICY is not None else DTypePolicy(floatx())


def set_dtype_policy(policy: DTypePolicy | str) -> None:
    """Set the global dtype policy, e.g. ``"mixed_bfloat16"``.

    Args:
        policy: A ``DTypePolicy`` or a policy name.
    """
    global _DTYPE_POLICY
    from .dtype_policies import DTypePolicy

    _DTYPE_POLICY = policy if isinstance(policy, DTypePolicy) else DTypePolicy(policy)
