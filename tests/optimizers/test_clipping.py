"""Keras's gradient clipping: per-variable norm, global norm, value; which one applies."""

import jax.numpy as jnp
import numpy as np
import optax

from heft.optimizers import _clipping


def _apply(tx, grads):
    out, _ = tx.update(grads, tx.init(grads))
    return [np.asarray(g) for g in out]


def test_clip_by_norm_rescales_each_gradient_separately():
    out = _apply(_clipping.clip_by_norm(1.0), [jnp.array([3.0, 4.0]), jnp.array([0.3, 0.4])])
    np.testing.assert_allclose(out[0], [0.6, 0.8], rtol=1e-6)
    np.testing.assert_allclose(out[1], [0.3, 0.4], rtol=1e-6)


def test_clip_by_norm_leaves_a_zero_gradient_at_zero():
    out = _apply(_clipping.clip_by_norm(1.0), [jnp.zeros((2, 2))])
    np.testing.assert_array_equal(out[0], np.zeros((2, 2)))


def test_clip_by_global_norm_rescales_all_gradients_together():
    out = _apply(_clipping.clip_by_global_norm(2.5), [jnp.array([3.0]), jnp.array([4.0])])
    np.testing.assert_allclose([out[0][0], out[1][0]], [1.5, 2.0], rtol=1e-6)
    out = _apply(_clipping.clip_by_global_norm(10.0), [jnp.array([3.0]), jnp.array([4.0])])
    np.testing.assert_allclose([out[0][0], out[1][0]], [3.0, 4.0], rtol=1e-6)


def test_clip_by_global_norm_turns_a_non_finite_norm_into_nan():
    out = _apply(_clipping.clip_by_global_norm(1.0), [jnp.array([jnp.inf]), jnp.array([1.0])])
    assert np.isnan(out[0][0]) and np.isnan(out[1][0])


def test_clip_by_global_norm_of_no_gradients_is_empty():
    assert _apply(_clipping.clip_by_global_norm(1.0), []) == []


def test_global_norm_is_the_norm_of_all_leaves():
    assert float(_clipping.global_norm([jnp.array([1.0, 2.0]), jnp.array([[2.0]])])) == 3.0


def test_keras_clipping_picks_the_argument_that_is_set():
    grads = [jnp.array([3.0, -4.0])]
    np.testing.assert_allclose(
        _apply(_clipping.keras_clipping(None, 1.0, None), grads)[0], [1.0, -1.0]
    )
    np.testing.assert_allclose(
        _apply(_clipping.keras_clipping(None, None, 1.0), grads)[0], [0.6, -0.8], rtol=1e-6
    )
    np.testing.assert_allclose(
        _apply(_clipping.keras_clipping(0.5, None, None), grads)[0], [0.3, -0.4], rtol=1e-6
    )


def test_keras_clipping_ignores_unset_zero_and_negative_values():
    assert _clipping.keras_clipping(None, None, None) is None
    assert _clipping.keras_clipping(0.0, -1.0, 0) is None


def test_clip_by_value_is_optax_clip():
    grads = [jnp.array([2.0, -0.1, -7.0])]
    np.testing.assert_array_equal(
        _apply(_clipping.keras_clipping(None, 0.5, None), grads)[0],
        _apply(optax.clip(0.5), grads)[0],
    )
