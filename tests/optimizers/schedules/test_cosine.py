"""Cosine decay (with warmup) and cosine decay with restarts against closed forms."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from heft.optimizers.schedules import CosineDecay, CosineDecayRestarts

STEPS = np.arange(0, 16)


def _values(schedule):
    return np.asarray(jax.jit(jax.vmap(schedule))(jnp.asarray(STEPS, jnp.int32)))


def test_cosine_decay_closed_form():
    step = np.minimum(STEPS, 10)
    want = 0.1 * ((1 - 0.2) * 0.5 * (1 + np.cos(np.pi * step / 10)) + 0.2)
    np.testing.assert_allclose(_values(CosineDecay(0.1, 10, alpha=0.2)), want, rtol=1e-5)


def test_cosine_decay_with_warmup_rises_linearly_then_decays_from_the_target():
    values = _values(CosineDecay(0.0, 8, warmup_target=0.4, warmup_steps=4))
    np.testing.assert_allclose(values[:5], [0.0, 0.1, 0.2, 0.3, 0.4], rtol=1e-6)
    step = np.minimum(STEPS[4:], 12) - 4
    np.testing.assert_allclose(
        values[4:], 0.4 * 0.5 * (1 + np.cos(np.pi * step / 8)), rtol=1e-5, atol=1e-7
    )


def _sgdr(step, first, t_mul, m_mul, alpha):
    fraction, period, start, scale = step / first, 1.0, 0.0, 1.0
    while fraction >= start + period:
        start += period
        period *= t_mul
        scale *= m_mul
    within = (fraction - start) / period
    return scale * 0.5 * (1 + math.cos(math.pi * within)) * (1 - alpha) + alpha


@pytest.mark.parametrize(("t_mul", "m_mul"), [(2.0, 0.5), (1.0, 1.0), (1.0, 0.5)])
def test_cosine_decay_restarts_closed_form(t_mul, m_mul):
    schedule = CosineDecayRestarts(0.1, 3, t_mul=t_mul, m_mul=m_mul, alpha=0.1)
    want = [0.1 * _sgdr(s, 3, t_mul, m_mul, 0.1) for s in STEPS]
    np.testing.assert_allclose(_values(schedule), want, rtol=1e-4, atol=1e-7)


def test_cosine_schedules_reject_non_positive_steps():
    with pytest.raises(ValueError, match="`decay_steps` must be > 0"):
        CosineDecay(0.1, 0)
    with pytest.raises(ValueError, match="`first_decay_steps` must be > 0"):
        CosineDecayRestarts(0.1, 0)


def test_cosine_configs_round_trip_with_keras_keys():
    restarts = CosineDecayRestarts(0.1, 3, t_mul=1.5)
    assert restarts.get_config() == {
        "initial_learning_rate": 0.1,
        "first_decay_steps": 3,
        "t_mul": 1.5,
        "m_mul": 1.0,
        "alpha": 0.0,
        "name": "SGDRDecay",
    }
    assert (restarts.t_mul, restarts.m_mul) == (1.5, 1.0)
    cosine = CosineDecay(0.1, 5, warmup_target=0.2, warmup_steps=2)
    assert CosineDecay.from_config(cosine.get_config()).get_config() == cosine.get_config()
