"""The update rules (`_sgd_rules`, `_adam_rules`, `_adaptive_rules`) against Keras's formulas in numpy."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from heft.optimizers import _adam_rules, _adaptive_rules, _sgd_rules

LR = 0.05
STEPS = 3


def _data():
    rng = np.random.default_rng(0)
    params = [rng.normal(size=(3, 2)), rng.normal(size=(4,))]
    grads = [[rng.normal(size=p.shape) for p in params] for _ in range(STEPS)]
    return params, grads


def _run(tx, params, grads, lr=LR):
    p = [jnp.asarray(x, jnp.float32) for x in params]
    state = tx.init(p)
    for t, g in enumerate(grads):
        g = [jnp.asarray(x, jnp.float32) for x in g]
        upd, state = tx.update(g, state, p, learning_rate=jnp.float32(lr), iteration=t)
        p = [a + u for a, u in zip(p, upd, strict=True)]
    return [np.asarray(x) for x in p], state


def _reference(step_fn, params, grads, **slots):
    """Run ``step_fn(p, g, t, slots) -> p`` (slots mutated in place) per variable."""
    out = []
    for i, p in enumerate(params):
        p = p.copy()
        state = {k: (v(p) if callable(v) else np.zeros_like(p)) for k, v in slots.items()}
        for t, g in enumerate(grads):
            p = step_fn(p, g[i], t + 1, state)
        out.append(p)
    return out


def _check(tx, step_fn, **slots):
    params, grads = _data()
    got, _ = _run(tx, params, grads)
    want = _reference(step_fn, params, grads, **slots)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-6)


def test_sgd_plain_matches_formula():
    _check(_sgd_rules.sgd(), lambda p, g, t, s: p - LR * g)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_matches_formula(nesterov):
    def step(p, g, t, s):
        s["m"] = 0.9 * s["m"] - LR * g
        return p + (0.9 * s["m"] - LR * g if nesterov else s["m"])

    _check(_sgd_rules.sgd(momentum=0.9, nesterov=nesterov), step, m=None)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_matches_formula_with_epsilon_outside_bias_correction(amsgrad):
    b1, b2, eps = 0.8, 0.9, 1e-3

    def step(p, g, t, s):
        s["m"] = s["m"] + (g - s["m"]) * (1 - b1)
        s["v"] = s["v"] + (g * g - s["v"]) * (1 - b2)
        s["vh"] = np.maximum(s["vh"], s["v"])
        v = s["vh"] if amsgrad else s["v"]
        alpha = LR * np.sqrt(1 - b2**t) / (1 - b1**t)
        return p - alpha * s["m"] / (np.sqrt(v) + eps)

    _check(_adam_rules.adam(b1, b2, eps, amsgrad), step, m=None, v=None, vh=None)


def test_adam_first_step_moves_each_coordinate_by_about_lr():
    tx = _adam_rules.adam()
    p = [jnp.zeros(3)]
    upd, state = tx.update(
        [jnp.array([1.0, -2.0, 0.5])], tx.init(p), p, learning_rate=jnp.float32(0.1), iteration=0
    )
    np.testing.assert_allclose(np.asarray(upd[0]), [-0.1, 0.1, -0.1], rtol=1e-4)
    assert state.velocity_hat is None


@pytest.mark.parametrize(("momentum", "centered"), [(0.0, False), (0.9, False), (0.5, True)])
def test_rmsprop_matches_formula(momentum, centered):
    rho, eps = 0.8, 1e-4

    def step(p, g, t, s):
        s["v"] = rho * s["v"] + (1 - rho) * g * g
        if centered:
            s["a"] = rho * s["a"] + (1 - rho) * g
            inc = LR * g / np.sqrt(s["v"] - s["a"] ** 2 + eps)
        else:
            inc = LR * g / np.sqrt(s["v"] + eps)
        if momentum:
            s["m"] = momentum * s["m"] + inc
            return p - s["m"]
        return p - inc

    _check(_adaptive_rules.rmsprop(rho, momentum, eps, centered), step, v=None, a=None, m=None)


def test_rmsprop_state_has_only_the_slots_keras_creates():
    state = _adaptive_rules.rmsprop().init([jnp.zeros(2)])
    assert state.momentum is None and state.average_gradient is None
    state = _adaptive_rules.rmsprop(momentum=0.5, centered=True).init([jnp.zeros(2)])
    assert state.momentum is not None and state.average_gradient is not None


def test_adagrad_matches_formula_with_initial_accumulator():
    eps = 1e-3

    def step(p, g, t, s):
        s["acc"] = s["acc"] + g * g
        return p - LR * g / np.sqrt(s["acc"] + eps)

    _check(_adaptive_rules.adagrad(0.3, eps), step, acc=lambda p: np.full_like(p, 0.3))


def test_adadelta_matches_formula():
    rho, eps = 0.7, 1e-4

    def step(p, g, t, s):
        s["ag"] = rho * s["ag"] + (1 - rho) * g * g
        d = -np.sqrt(s["ad"] + eps) * g / np.sqrt(s["ag"] + eps)
        s["ad"] = rho * s["ad"] + (1 - rho) * d * d
        return p + LR * d

    _check(_adaptive_rules.adadelta(rho, eps), step, ag=None, ad=None)


def test_adamax_matches_formula():
    b1, b2, eps = 0.7, 0.9, 1e-4

    def step(p, g, t, s):
        s["m"] = s["m"] + (g - s["m"]) * (1 - b1)
        s["u"] = np.maximum(b2 * s["u"], np.abs(g))
        return p - LR * s["m"] / ((1 - b1**t) * (s["u"] + eps))

    _check(_adam_rules.adamax(b1, b2, eps), step, m=None, u=None)


def test_nadam_matches_formula():
    b1, b2, eps = 0.8, 0.9, 1e-4
    params, grads = _data()
    got, state = _run(_adam_rules.nadam(b1, b2, eps), params, grads)
    want, u_product = [], 1.0
    for i, p in enumerate(params):
        p, m, v, u_product = p.copy(), np.zeros_like(p), np.zeros_like(p), 1.0
        for t0, g in enumerate(grads):
            t = t0 + 1
            u_t = b1 * (1 - 0.5 * 0.96**t)
            u_t1 = b1 * (1 - 0.5 * 0.96 ** (t + 1))
            u_product = u_product * u_t
            m = m + (g[i] - m) * (1 - b1)
            v = v + (g[i] ** 2 - v) * (1 - b2)
            m_hat = u_t1 * m / (1 - u_product * u_t1) + (1 - u_t) * g[i] / (1 - u_product)
            v_hat = v / (1 - b2**t)
            p = p - LR * m_hat / (np.sqrt(v_hat) + eps)
        want.append(p)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(float(state.u_product), u_product, rtol=1e-6)


def test_lion_matches_formula():
    b1, b2 = 0.6, 0.9

    def step(p, g, t, s):
        new_p = p - LR * np.sign(s["m"] * b1 + g * (1 - b1))
        s["m"] = s["m"] * b2 + g * (1 - b2)
        return new_p

    _check(_sgd_rules.lion(b1, b2), step, m=None)


@pytest.mark.parametrize(
    "tx",
    [
        _sgd_rules.sgd(0.5),
        _adam_rules.adam(),
        _adaptive_rules.rmsprop(),
        _adaptive_rules.adagrad(),
        _adaptive_rules.adadelta(),
        _adam_rules.adamax(),
        _adam_rules.nadam(),
        _sgd_rules.lion(),
    ],
)
def test_rules_work_on_nested_pytrees_under_jit(tx):
    params = {"w": jnp.ones((2, 2)), "b": [jnp.zeros(2)]}
    grads = jax.tree.map(lambda p: p + 0.5, params)
    update = jax.jit(lambda g, s, p, lr, it: tx.update(g, s, p, learning_rate=lr, iteration=it))
    upd, state = update(grads, tx.init(params), params, jnp.float32(0.1), jnp.int32(0))
    assert jax.tree.structure(upd) == jax.tree.structure(params)
    assert type(state) is type(tx.init(params))
    assert all(bool(jnp.all(u < 0)) for u in jax.tree.leaves(upd))


def test_rules_cast_learning_rate_and_gradient_to_parameter_dtype():
    tx = _adam_rules.adam()
    p = [jnp.zeros(2, jnp.bfloat16)]
    upd, state = tx.update(
        [jnp.ones(2, jnp.float32)], tx.init(p), p, learning_rate=jnp.float32(0.1), iteration=0
    )
    assert upd[0].dtype == jnp.bfloat16
    assert state.momentum[0].dtype == jnp.bfloat16


def test_rules_with_no_parameters_return_empty_updates():
    tx = _adam_rules.adam()
    upd, state = tx.update([], tx.init([]), [], learning_rate=jnp.float32(0.1), iteration=0)
    assert upd == [] and state.momentum == []


def test_rules_require_params():
    tx = _sgd_rules.sgd()
    with pytest.raises(ValueError, match="need `params`"):
        tx.update([jnp.ones(1)], tx.init([jnp.ones(1)]), None, learning_rate=0.1, iteration=0)
