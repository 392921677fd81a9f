"""heft's optimizers against real Keras 3: same values after N steps, same variables, same configs."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import keras
import numpy as np
import pytest

import heft
from heft import optimizers
from heft.optimizers import schedules


@pytest.fixture(autouse=True)
def _fresh_keras_names():
    """Keras's automatic names (``adam``, ``adam_1``) restart with each test, as heft's do."""
    keras.backend.clear_session()
    yield


SHAPES = {"kernel": (3, 4), "bias": (4,)}
STEPS = 4

CASES = [
    ("SGD", {}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.5, "nesterov": True, "weight_decay": 0.1}),
    ("Adam", {}),
    (
        "Adam",
        {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-4, "amsgrad": True},
    ),
    ("AdamW", {}),
    ("AdamW", {"learning_rate": 0.02, "weight_decay": 0.1, "amsgrad": True, "clipnorm": 0.5}),
    ("RMSprop", {}),
    ("RMSprop", {"learning_rate": 0.01, "rho": 0.8, "momentum": 0.9, "centered": True}),
    ("Adagrad", {}),
    ("Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "epsilon": 1e-3}),
    ("Adadelta", {}),
    ("Adadelta", {"learning_rate": 1.0, "rho": 0.5, "epsilon": 1e-5}),
    ("Adamax", {}),
    ("Adamax", {"learning_rate": 0.01, "beta_1": 0.7, "beta_2": 0.9, "global_clipnorm": 1.0}),
    ("Nadam", {}),
    ("Nadam", {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.9, "clipvalue": 0.3}),
    ("Lion", {}),
    ("Lion", {"learning_rate": 0.01, "beta_1": 0.5, "beta_2": 0.9, "weight_decay": 0.05}),
    ("Adam", {"use_ema": True, "ema_momentum": 0.9, "ema_overwrite_frequency": 3}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "gradient_accumulation_steps": 2}),
    ("Nadam", {"gradient_accumulation_steps": 2, "use_ema": True}),
    ("RMSprop", {"loss_scale_factor": 8.0, "clipnorm": 0.1}),
]


def _schedule_cases():
    return [
        ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5}),
        (
            "InverseTimeDecay",
            {"initial_learning_rate": 0.1, "decay_steps": 1, "decay_rate": 0.5, "staircase": True},
        ),
        ("PiecewiseConstantDecay", {"boundaries": [1, 3], "values": [0.1, 0.05, 0.01]}),
        (
            "PolynomialDecay",
            {"initial_learning_rate": 0.1, "decay_steps": 4, "power": 2.0, "cycle": True},
        ),
        (
            "CosineDecay",
            {
                "initial_learning_rate": 0.0,
                "decay_steps": 4,
                "alpha": 0.1,
                "warmup_target": 0.1,
                "warmup_steps": 2,
            },
        ),
        (
            "CosineDecayRestarts",
            {
                "initial_learning_rate": 0.1,
                "first_decay_steps": 2,
                "t_mul": 2.0,
                "m_mul": 0.5,
                "alpha": 0.1,
            },
        ),
    ]


def _pair(seed=0):
    """The same two weights as heft and Keras variables, with the same paths."""
    rng = np.random.default_rng(seed)
    values = {n: rng.normal(size=s).astype("float32") for n, s in SHAPES.items()}
    with heft.name_scope("dense"):
        hv = [heft.Variable(values[n], name=n) for n in SHAPES]
    with keras.name_scope("dense"):
        kv = [keras.Variable(values[n], name=n) for n in SHAPES]
    return hv, kv


def _grads(step, seed=1):
    rng = np.random.default_rng(seed + 100 * step)
    return [rng.normal(size=s).astype("float32") for s in SHAPES.values()]


def _run_both(name, kwargs, steps=STEPS):
    hv, kv = _pair()
    hopt = getattr(optimizers, name)(**kwargs)
    kopt = getattr(keras.optimizers, name)(**kwargs)
    for step in range(steps):
        grads = _grads(step)
        hopt.apply([g.copy() for g in grads], hv)
        kopt.apply([g.copy() for g in grads], kv)
        for h, k in zip(hv, kv, strict=True):
            np.testing.assert_array_equal(h.numpy(), np.asarray(k.value))
    return hv, kv, hopt, kopt


@pytest.mark.parametrize(("name", "kwargs"), CASES)
def test_optimizer_steps_match_keras(name, kwargs):
    """Eager ``apply`` against Keras's eager ``apply``: bit-for-bit equal values and state."""
    _, _, hopt, kopt = _run_both(name, kwargs)
    assert [v.path for v in hopt.variables] == [v.path for v in kopt.variables]
    for h, k in zip(hopt.variables, kopt.variables, strict=True):
        assert h.dtype == k.dtype
        np.testing.assert_array_equal(h.numpy(), np.asarray(k.value))
    assert hopt.get_config() == kopt.get_config()


@pytest.mark.parametrize(("schedule", "schedule_kwargs"), _schedule_cases())
def test_optimizer_with_schedule_matches_keras(schedule, schedule_kwargs):
    hv, kv = _pair()
    hopt = optimizers.SGD(
        learning_rate=getattr(schedules, schedule)(**schedule_kwargs), momentum=0.5
    )
    kopt = keras.optimizers.SGD(
        learning_rate=getattr(keras.optimizers.schedules, schedule)(**schedule_kwargs), momentum=0.5
    )
    for step in range(STEPS):
        grads = _grads(step)
        hopt.apply(grads, hv)
        kopt.apply(grads, kv)
    for h, k in zip(hv, kv, strict=True):
        np.testing.assert_allclose(h.numpy(), np.asarray(k.value), rtol=1e-6, atol=1e-7)
    assert hopt.get_config() == kopt.get_config()
    assert [v.path for v in hopt.variables] == [v.path for v in kopt.variables]


@pytest.mark.parametrize(("schedule", "schedule_kwargs"), _schedule_cases())
def test_schedule_values_and_config_match_keras(schedule, schedule_kwargs):
    mine = getattr(schedules, schedule)(**schedule_kwargs)
    theirs = getattr(keras.optimizers.schedules, schedule)(**schedule_kwargs)
    steps = np.arange(0, 12, dtype="int32")
    np.testing.assert_allclose(
        jax.jit(jax.vmap(mine))(steps), jax.jit(jax.vmap(theirs))(steps), rtol=1e-6, atol=1e-9
    )
    assert schedules.serialize(mine) == keras.optimizers.schedules.serialize(theirs)


@pytest.mark.parametrize(("name", "kwargs"), [CASES[i] for i in (1, 4, 6, 8, 16, 19, 21)])
def test_stateless_apply_jitted_matches_keras(name, kwargs):
    """Jitted ``stateless_apply`` against Keras's, jitted: equal; against Keras eager: rtol 1e-6."""
    hv, kv = _pair()
    hopt = getattr(optimizers, name)(**kwargs)
    kopt = getattr(keras.optimizers, name)(**kwargs)
    hopt.build(hv)
    kopt.build(kv)
    step, kstep = jax.jit(hopt.stateless_apply), jax.jit(kopt.stateless_apply)
    opt_values, params = [v.value for v in hopt.variables], [v.value for v in hv]
    kopt_values, kparams = [v.value for v in kopt.variables], [v.value for v in kv]
    for i in range(STEPS):
        grads = _grads(i)
        params, opt_values = step(opt_values, grads, params)
        kparams, kopt_values = kstep(kopt_values, grads, kparams)
        kopt.apply(grads, kv)
    for mine, theirs in zip(params + opt_values, kparams + kopt_values, strict=True):
        np.testing.assert_array_equal(np.asarray(mine), np.asarray(theirs))
    for p, k in zip(params, kv, strict=True):
        np.testing.assert_allclose(np.asarray(p), np.asarray(k.value), rtol=1e-6, atol=1e-7)


def test_variables_paths_and_order_match_keras_with_ema_and_accumulation():
    hv, kv = _pair()
    hopt = optimizers.Adam(amsgrad=True, use_ema=True, gradient_accumulation_steps=2)
    kopt = keras.optimizers.Adam(amsgrad=True, use_ema=True, gradient_accumulation_steps=2)
    hopt.build(hv)
    kopt.build(kv)
    assert [v.path for v in hopt.variables] == [v.path for v in kopt.variables]
    assert [v.shape for v in hopt.variables] == [tuple(v.shape) for v in kopt.variables]


def test_constraint_and_overwrite_with_gradient_match_keras():
    hv, kv = _pair()
    hv[0].constraint = heft.constraints.NonNeg()
    kv[0].constraint = keras.constraints.NonNeg()
    hv[1].overwrite_with_gradient = True
    kv[1].overwrite_with_gradient = True
    hopt = optimizers.Adam(learning_rate=0.1)
    kopt = keras.optimizers.Adam(learning_rate=0.1)
    for step in range(3):
        grads = _grads(step)
        hopt.apply(grads, hv)
        kopt.apply(grads, kv)
    for h, k in zip(hv, kv, strict=True):
        np.testing.assert_allclose(h.numpy(), np.asarray(k.value), rtol=1e-6, atol=1e-7)
    assert [v.path for v in hopt.variables] == [v.path for v in kopt.variables]


def test_serialized_optimizer_loads_in_keras_and_back():
    mine = optimizers.Adam(learning_rate=schedules.CosineDecay(0.1, 10), amsgrad=True)
    theirs = keras.optimizers.deserialize(optimizers.serialize(mine))
    assert theirs.get_config() == mine.get_config()
    again = optimizers.deserialize(keras.optimizers.serialize(theirs))
    assert again.get_config() == mine.get_config()


@pytest.mark.parametrize(
    "name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Lion"]
)
def test_optimizers_signatures_match_keras_positions_included(name):
    import inspect

    heft_params = inspect.signature(getattr(heft.optimizers, name)).parameters
    keras_params = inspect.signature(getattr(keras.optimizers, name)).parameters
    named = [p for p, v in keras_params.items() if v.kind is not v.VAR_KEYWORD]
    assert [p for p, v in heft_params.items() if v.kind is not v.VAR_KEYWORD] == named
    for p in named:
        assert heft_params[p].default == keras_params[p].default, p
    # Every argument Keras takes by position, heft takes by position too.
    positional = [0.01 if p == "learning_rate" else keras_params[p].default for p in named[:6]]
    cls = getattr(heft.optimizers, name)
    by_position = cls(*positional, name="o").get_config()
    by_keyword = cls(**dict(zip(named[:6], positional, strict=True)), name="o").get_config()
    assert by_position == by_keyword
