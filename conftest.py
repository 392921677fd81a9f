"""Settings for every test and ``>>>`` example: eight virtual CPU devices, Keras on JAX, fresh names."""

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")
os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax
import pytest

jax.config.update("jax_numpy_dtype_promotion", "standard")


@pytest.fixture(autouse=True)
def _fresh_names():
    """Each test and example starts with fresh automatic names (``dense``, not ``dense_7``)."""
    from heft import _naming

    _naming.reset_names()
    yield


@pytest.fixture(autouse=True)
def _ops_example_names(request):
    """The names the ``>>>`` examples of ``heft.ops`` and ``heft.activations`` use unimported.

    Those examples read as Keras's do (``ops.relu(x)``, ``relu(x)``): ``ops``, ``jax``
    and each public activation stand ready there, unless the module defines the name.
    """
    example = getattr(request.node, "dtest", None)
    if example is None or not example.name.startswith(("heft.ops.", "heft.activations.")):
        yield
        return
    from heft import activations, ops

    names = {"ops": ops, "jax": jax}
    names.update((n, getattr(activations, n)) for n in dir(activations) if not n.startswith("_"))
    for name, value in names.items():
        example.globs.setdefault(name, value)
    yield
