"""MultiOptimizer's heft-only behaviour: growing variable sets, subsets, EMA, early errors."""

import jax.numpy as jnp
import numpy as np
import pytest

import heft
from heft.optimizers import SGD, Adam, MultiOptimizer, OptimizerMap


def _var(scope, name, value):
    with heft.name_scope(scope):
        return heft.Variable(np.asarray(value, "float32"), name=name)


def _multi(**adam_kwargs):
    return MultiOptimizer(OptimizerMap(Adam(0.1, **adam_kwargs), {"b/.*": SGD(0.5)}))


def test_build_again_adds_new_variables_and_keeps_state():
    a, b = _var("a", "w", [1.0]), _var("b", "w", [1.0])
    opt = _multi()
    opt.build([a])
    opt.apply([jnp.ones(1)])
    momentum = opt.optimizers[1].variables[2].numpy().copy()
    opt.apply([jnp.ones(1), jnp.ones(1)], [a, b])
    assert b.numpy().tolist() == [0.5]
    assert [v.path for v in opt.variables][2:] == [
        "sgd/iteration",
        "sgd/learning_rate",
        "adam/iteration",
        "adam/learning_rate",
        "adam/a_w_momentum",
        "adam/a_w_velocity",
    ]
    assert opt.optimizers[1].variables[2].numpy().tolist() != momentum.tolist()
    assert int(opt.iterations.numpy()) == 2


def test_stateless_apply_on_a_subset_leaves_the_rest():
    a, b = _var("a", "w", [1.0]), _var("b", "w", [1.0])
    opt = _multi()
    opt.build([a, b])
    values = [v.value for v in opt.variables]
    params, new = opt.stateless_apply(values, [jnp.ones(1)], [b.value], variables=[b])
    assert params[0].tolist() == [0.5]
    paths = [v.path for v in opt.variables]
    changed = {p for p, x, y in zip(paths, values, new, strict=True) if not np.array_equal(x, y)}
    assert changed == {"multi_optimizer/iteration", "sgd/iteration"}
    assert a.numpy().tolist() == [1.0] and b.numpy().tolist() == [1.0]


def test_stateless_apply_checks_its_inputs():
    a = _var("a", "w", [1.0])
    opt = _multi()
    with pytest.raises(ValueError, match="must be built"):
        opt.stateless_apply([], [jnp.ones(1)], [a.value])
    opt.build([a])
    with pytest.raises(ValueError, match="corresponding 1:1"):
        opt.stateless_apply([], [jnp.ones(1)], [a.value])
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.stateless_apply(
            [v.value for v in opt.variables], [jnp.ones(1)], [a.value], [_var("c", "w", [1.0])]
        )


def test_finalize_variable_values_uses_the_inner_moving_averages():
    a, b = _var("a", "w", [1.0]), _var("b", "w", [1.0])
    opt = _multi(use_ema=True, ema_momentum=0.5)
    for _ in range(2):  # the first step copies the variables into their averages
        opt.apply([jnp.ones(1), jnp.ones(1)], [a, b])
    average = {v.path: v for v in opt.variables}["adam/a_w_average"].numpy().copy()
    before = (a.numpy().copy(), b.numpy().copy())
    opt.finalize_variable_values([a, b])
    assert a.numpy().tolist() == average.tolist() != before[0].tolist()
    assert b.numpy().tolist() == before[1].tolist()  # SGD keeps no average


def test_a_map_that_is_not_callable_is_refused_at_construction():
    """A plain dict fails at once, with the fix in the message (Keras fails at build)."""
    with pytest.raises(TypeError, match="OptimizerMap"):
        MultiOptimizer({"x": SGD()})
