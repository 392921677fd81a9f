"""Test settings: eight virtual CPU devices for sharding tests, Keras on JAX for interop."""

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")
os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax
import pytest

jax.config.update("jax_numpy_dtype_promotion", "standard")


@pytest.fixture(autouse=True)
def _fresh_names():
    """Each test starts with fresh automatic names (``dense``, not ``dense_7``)."""
    from heft import _naming

    _naming.reset_names()
    yield
