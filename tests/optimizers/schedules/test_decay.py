"""Exponential, inverse-time, piecewise-constant and polynomial decay against closed forms."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from heft.optimizers.schedules import (
    ExponentialDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
)

STEPS = np.arange(0, 12)


def _values(schedule):
    return np.asarray(jax.jit(jax.vmap(schedule))(jnp.asarray(STEPS, jnp.int32)))


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay_closed_form(staircase):
    p = STEPS / 4 if not staircase else np.floor(STEPS / 4)
    np.testing.assert_allclose(
        _values(ExponentialDecay(0.2, 4, 0.5, staircase)), 0.2 * 0.5**p, rtol=1e-6
    )


@pytest.mark.parametrize("staircase", [False, True])
def test_inverse_time_decay_closed_form(staircase):
    p = STEPS / 3 if not staircase else np.floor(STEPS / 3)
    np.testing.assert_allclose(
        _values(InverseTimeDecay(0.2, 3, 0.5, staircase)), 0.2 / (1 + 0.5 * p), rtol=1e-6
    )


def test_piecewise_constant_decay_boundaries_belong_to_the_left_interval():
    values = _values(PiecewiseConstantDecay([2, 5], [1.0, 0.5, 0.1]))
    np.testing.assert_allclose(values, [1, 1, 1, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    assert float(PiecewiseConstantDecay([2], [1.0, 0.5])(3)) == 0.5


def test_piecewise_constant_decay_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match=r"length of boundaries should be 1 less.*length 2"):
        PiecewiseConstantDecay([1, 2], [1.0, 0.5])


def test_polynomial_decay_closed_form():
    step = np.minimum(STEPS, 8)
    want = (0.1 - 0.01) * (1 - step / 8) ** 2 + 0.01
    np.testing.assert_allclose(_values(PolynomialDecay(0.1, 8, 0.01, power=2.0)), want, rtol=1e-5)


def test_polynomial_decay_cycle_extends_the_period():
    decay_steps = 4 * np.where(STEPS == 0, 1, np.ceil(STEPS / 4))
    want = (0.1 - 0.0) * (1 - STEPS / decay_steps) + 0.0
    np.testing.assert_allclose(
        _values(PolynomialDecay(0.1, 4, 0.0, cycle=True)), want, rtol=1e-5, atol=1e-8
    )


@pytest.mark.parametrize("cls", [ExponentialDecay, InverseTimeDecay])
def test_decays_reject_non_positive_decay_steps(cls):
    with pytest.raises(ValueError, match=r"`decay_steps` must be > 0. Received: decay_steps=0"):
        cls(0.1, 0, 0.5)


def test_polynomial_decay_rejects_non_positive_decay_steps():
    with pytest.raises(ValueError, match="`decay_steps` must be > 0"):
        PolynomialDecay(0.1, -1)


@pytest.mark.parametrize(
    "schedule",
    [
        ExponentialDecay(0.1, 2, 0.5, True, name="e"),
        InverseTimeDecay(0.1, 2, 0.5),
        PiecewiseConstantDecay([1], [0.1, 0.2]),
        PolynomialDecay(0.1, 3, cycle=True),
    ],
)
def test_decay_config_round_trip(schedule):
    again = type(schedule).from_config(schedule.get_config())
    assert again.get_config() == schedule.get_config()
    np.testing.assert_allclose(_values(again), _values(schedule))
