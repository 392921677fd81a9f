"""Lazy imports of TensorFlow and ``jax2tf``, the optional dependencies of SavedModel export."""

from __future__ import annotations

from typing import Any


def import_tensorflow() -> Any:
    """The ``tensorflow`` module.

    Raises:
        ImportError: If TensorFlow is not installed; the message names the package.
    """
    try:
        import tensorflow as tf  # type: ignore[import-untyped]
    except ImportError as err:
        raise ImportError(
            "Exporting a TensorFlow SavedModel needs the `tensorflow` package, which is not "
            "installed. Install it with `pip install tensorflow-cpu` (or `tensorflow`, or "
            "heft's extra: `pip install 'heft[tensorflow]'`)."
        ) from err
    return tf


def import_jax2tf() -> Any:
    """The ``jax.experimental.jax2tf`` module (which needs TensorFlow).

    Raises:
        ImportError: If TensorFlow is not installed.
    """
    import_tensorflow()
    from jax.experimental import jax2tf

    return jax2tf
