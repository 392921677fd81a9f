"""The base optimizer step: decay, loss scale, accumulation, EMA, overwrite, constraints, counter."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from heft.optimizers import _adam_rules, _sgd_rules, _step
from heft.optimizers.schedules import ExponentialDecay

SPEC = _step.VariableSpec()


def _run(config, grads_per_step, params, rule=None, specs=None, lr=0.5):
    rule = rule or _sgd_rules.sgd()
    specs = specs or [SPEC] * len(params)
    lr = None if config.learning_rate is not None else lr
    params = [jnp.asarray(p, jnp.float32) for p in params]
    state = _step.init_state(rule, config, params, specs, lr)
    for grads in grads_per_step:
        grads = [None if g is None else jnp.asarray(g, jnp.float32) for g in grads]
        params, state = _step.apply_step(rule, config, state, grads, params, specs)
    return [np.asarray(p) for p in params], state


def test_step_applies_rule_and_counts_iterations():
    params, state = _run(_step.StepConfig(), [[[1.0]], [[2.0]]], [[10.0]])
    np.testing.assert_allclose(params[0], [10.0 - 0.5 - 1.0])
    assert int(state.iteration) == 2 and state.iteration.dtype == jnp.int32


def test_step_decays_weights_before_the_update():
    config = _step.StepConfig(weight_decay=0.1)
    params, _ = _run(
        config,
        [[[1.0], [1.0]]],
        [[10.0], [10.0]],
        specs=[SPEC, _step.VariableSpec(weight_decay=False)],
    )
    np.testing.assert_allclose(params[0], [10.0 - 10.0 * 0.1 * 0.5 - 0.5], rtol=1e-6)
    np.testing.assert_allclose(params[1], [9.5], rtol=1e-6)


def test_step_unscales_gradients_by_loss_scale_factor():
    params, _ = _run(_step.StepConfig(loss_scale_factor=4.0), [[[8.0]]], [[0.0]])
    np.testing.assert_allclose(params[0], [-1.0])


def test_step_clips_before_the_rule():
    params, _ = _run(_step.StepConfig(clipvalue=0.5), [[[8.0, -0.2]]], [[0.0, 0.0]], lr=1.0)
    np.testing.assert_allclose(params[0], [-0.5, 0.2], rtol=1e-6)


def test_step_accumulates_gradients_and_updates_every_k_steps_with_their_mean():
    config = _step.StepConfig(gradient_accumulation_steps=2)
    rule = _sgd_rules.sgd(momentum=0.5)
    params, state = _run(config, [[[1.0]]], [[0.0]], rule=rule, lr=1.0)
    np.testing.assert_allclose(params[0], [0.0])
    np.testing.assert_allclose(state.accumulator[0], [1.0])
    np.testing.assert_allclose(state.rule.momentum[0], [0.0])
    params, state = _run(config, [[[1.0]], [[3.0]]], [[0.0]], rule=rule, lr=1.0)
    np.testing.assert_allclose(params[0], [-2.0])
    np.testing.assert_allclose(state.accumulator[0], [0.0])
    np.testing.assert_allclose(state.rule.momentum[0], [-2.0])
    assert int(state.iteration) == 2


def test_step_accumulation_counts_rule_steps_in_updates():
    config = _step.StepConfig(gradient_accumulation_steps=2)
    params, _ = _run(
        config, [[[1.0]], [[1.0]]], [[0.0]], rule=_adam_rules.adam(epsilon=0.0), lr=0.1
    )
    # Adam's first update (t = 1) moves by exactly lr for a constant gradient.
    np.testing.assert_allclose(params[0], [-0.1], rtol=1e-5)


def test_step_moving_average_starts_at_the_variable_then_follows_it():
    config = _step.StepConfig(use_ema=True, ema_momentum=0.9)
    _, state = _run(config, [[[1.0]]], [[10.0]])
    np.testing.assert_allclose(state.average[0], [9.5])
    params, state = _run(config, [[[1.0]], [[1.0]]], [[10.0]])
    np.testing.assert_allclose(params[0], [9.0])
    np.testing.assert_allclose(state.average[0], [0.9 * 9.5 + 0.1 * 9.0], rtol=1e-6)


def test_step_overwrites_variables_with_their_average_every_frequency_steps():
    config = _step.StepConfig(use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2)
    params, state = _run(config, [[[1.0]], [[1.0]]], [[10.0]])
    # Step 1: var 9.5, avg 9.5. Step 2: var 9.0, avg 9.25, then var := avg.
    np.testing.assert_allclose(params[0], [9.25])
    np.testing.assert_allclose(state.average[0], [9.25])
    params, _ = _run(config, [[[1.0]]] * 3, [[10.0]])
    np.testing.assert_allclose(params[0], [8.75])


def test_step_overwrite_with_gradient_sets_the_variable_and_skips_the_rule():
    specs = [_step.VariableSpec(overwrite_with_gradient=True), SPEC]
    params, state = _run(
        _step.StepConfig(weight_decay=0.5),
        [[[7.0], [1.0]]],
        [[1.0], [1.0]],
        rule=_adam_rules.adam(),
        specs=specs,
    )
    np.testing.assert_allclose(params[0], [7.0])
    assert state.rule.momentum[0] is None and state.rule.momentum[1] is not None


def test_step_overwrite_with_gradient_accumulates_the_maximum():
    config = _step.StepConfig(gradient_accumulation_steps=2)
    specs = [_step.VariableSpec(overwrite_with_gradient=True)]
    params, state = _run(config, [[[5.0]]], [[1.0]], specs=specs)
    np.testing.assert_allclose(params[0], [1.0])
    np.testing.assert_allclose(state.accumulator[0], [5.0])
    params, state = _run(config, [[[5.0]], [[3.0]]], [[1.0]], specs=specs)
    np.testing.assert_allclose(params[0], [5.0])
    np.testing.assert_allclose(state.accumulator[0], [0.0])


def test_step_applies_constraints_after_the_update_and_the_average():
    config = _step.StepConfig(use_ema=True)
    specs = [_step.VariableSpec(constraint=lambda w: jnp.maximum(w, 0.0))]
    params, state = _run(config, [[[4.0]]], [[1.0]], specs=specs)
    np.testing.assert_allclose(params[0], [0.0])
    np.testing.assert_allclose(state.average[0], [-1.0])


def test_step_skips_none_gradients():
    params, _ = _run(_step.StepConfig(), [[None, [1.0]]], [[3.0], [3.0]])
    np.testing.assert_allclose(params[0], [3.0])
    np.testing.assert_allclose(params[1], [2.5])


def test_step_with_only_none_gradients_raises():
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        _run(_step.StepConfig(), [[None]], [[1.0]])


def test_step_evaluates_a_schedule_at_the_iteration_counter():
    config = _step.StepConfig(learning_rate=ExponentialDecay(1.0, 1, 0.5))
    params, state = _run(config, [[[1.0]]] * 3, [[0.0]])
    np.testing.assert_allclose(params[0], [-(1.0 + 0.5 + 0.25)])
    assert state.learning_rate is None


def test_step_calls_a_callable_learning_rate():
    params, _ = _run(_step.StepConfig(learning_rate=lambda: 0.25), [[[1.0]]], [[0.0]])
    np.testing.assert_allclose(params[0], [-0.25])


def test_step_is_jittable_and_matches_eager():
    rule, config = _adam_rules.adam(), _step.StepConfig(global_clipnorm=1.0, use_ema=True)
    params = [jnp.ones((2, 2)), jnp.zeros(3)]
    grads = [jnp.full((2, 2), 0.3), jnp.full(3, -2.0)]
    state = _step.init_state(rule, config, params, [SPEC, SPEC], 0.1)
    step = jax.jit(lambda s, g, p: _step.apply_step(rule, config, s, g, p, [SPEC, SPEC]))
    jitted, _ = step(state, grads, params)
    eager, _ = _step.apply_step(rule, config, state, grads, params, [SPEC, SPEC])
    for a, b in zip(jitted, eager, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6)


def test_keras_optimizer_is_an_optax_transformation():
    tx = _step.keras_optimizer(_sgd_rules.sgd(momentum=0.5), _step.StepConfig(), learning_rate=1.0)
    params = [jnp.array([1.0, 2.0])]
    state = tx.init(params)
    for _ in range(2):
        updates, state = tx.update([jnp.array([1.0, 1.0])], state, params)
        params = optax.apply_updates(params, updates)
    np.testing.assert_allclose(np.asarray(params[0]), [1.0 - 1.0 - 1.5, 2.0 - 1.0 - 1.5])
    assert int(state.iteration) == 2


def test_select_scatter_and_spread_move_per_variable_entries_only():
    state = _adam_rules.NadamState(momentum=[1, 2, 3], velocity=[4, 5, 6], u_product=7)
    part = _step.select(state, [2, 0])
    assert part == _adam_rules.NadamState([3, 1], [6, 4], 7)
    back = _step.scatter(state, _adam_rules.NadamState([30, 10], [60, 40], 70), [2, 0])
    assert back == _adam_rules.NadamState([10, 2, 30], [40, 5, 60], 70)
    assert _step.spread(part, [1, 2], 3) == _adam_rules.NadamState([None, 3, 1], [None, 6, 4], 7)
