"""Initializer draws computed on the host: the pieces that make them ``jax.random``'s, bit for bit."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from heft._platform import _host_sampling
from heft._platform._switches import HOST_SAMPLING


@pytest.fixture(autouse=True)
def _host_sampling_on():
    """The host path as by default, whatever the environment says; tests turn it off."""
    with HOST_SAMPLING.forced(True):
        yield


def test_random_bits_match_jax_threefry():
    key = np.array([123, 456], dtype=np.uint32)
    ours = _host_sampling._random_bits(key, 1000, 32)
    theirs = jax.random.bits(jnp.asarray(key), (1000,), dtype=jnp.uint32)
    np.testing.assert_array_equal(ours, np.asarray(theirs))


def test_fma_emulation_matches_fused_rounding():
    a = np.array([1.0000001, 0.3, 0.7], dtype=np.float32)
    b, c = np.float32(0.1), np.float32(-0.05)
    exact = a.astype(np.float64) * np.float64(b) + np.float64(c)
    np.testing.assert_array_equal(_host_sampling._fma_float32(a, b, c), exact.astype(np.float32))


def test_fma_emulation_breaks_float64_ties_correctly():
    # a * b = 2**-24 - 2**-70, so the exact sum lies just below the float32 midpoint
    # 1 + 2**-23 + 2**-24; float64 rounds it onto the midpoint, and a plain cast would
    # then round up to the even neighbour 1 + 2**-22.
    a = np.array([1.0 + 2.0**-23], dtype=np.float32)
    b = np.float32(2.0**-24 * (1.0 - 2.0**-23))
    c = np.float32(1.0 + 2.0**-23)
    naive = (a.astype(np.float64) * np.float64(b) + np.float64(c)).astype(np.float32)
    assert naive[0] == np.float32(1.0 + 2.0**-22)
    assert _host_sampling._fma_float32(a, b, c)[0] == np.float32(1.0 + 2.0**-23)


def test_host_key_is_none_where_the_host_path_does_not_apply():
    key = jnp.array([3, 0], jnp.uint32)
    f32 = np.dtype("float32")
    expected = [3, 0] if jax.default_backend() == "cpu" else None
    found = _host_sampling.host_key(key, 10, f32, 0.0, 1.0)
    assert (None if found is None else found.tolist()) == expected
    with HOST_SAMPLING.forced(False):
        assert _host_sampling.host_key(key, 10, f32, 0.0, 1.0) is None
    assert _host_sampling.host_key(key, _host_sampling.HOST_LIMIT + 1, f32, 0.0, 1.0) is None
    assert _host_sampling.host_key(key, 10, np.dtype("int32"), 0, 1) is None
    assert _host_sampling.host_key(key, 10, f32, jnp.zeros(()), 1.0) is None
    assert _host_sampling.host_key(jax.random.key(3), 10, f32, 0.0, 1.0) is None


def test_another_backend_takes_the_plain_path(monkeypatch):
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    key = jnp.array([3, 0], jnp.uint32)
    assert _host_sampling.host_key(key, 10, np.dtype("float32"), 0.0, 1.0) is None
