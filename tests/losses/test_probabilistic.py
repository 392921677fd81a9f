import jax
import numpy as np

from heft import _config
from heft.losses import KLDivergence, Poisson, kl_divergence, poisson

RNG = np.random.default_rng(11)


def _probs(shape):
    p = RNG.uniform(0.05, 1.0, size=shape).astype("float32")
    return p / p.sum(-1, keepdims=True)


P, Q = _probs((4, 5)), _probs((4, 5))


def _close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=1e-5, atol=1e-6)


def test_kl_divergence_closed_form_and_clipping():
    _close(kl_divergence(P, Q), (P * np.log(P / Q)).sum(-1))
    # Zeros are clipped to epsilon: 0 * log(0 / q) contributes eps * log(eps / q) ~ 0.
    eps = _config.epsilon()
    expected = 1.0 * np.log(1.0 / 0.5) + eps * np.log(eps / 0.5)
    _close(kl_divergence([[1.0, 0.0]], [[0.5, 0.5]]), [expected])
    _close(KLDivergence()(P, Q), (P * np.log(P / Q)).sum(-1).mean())


def test_poisson_closed_form():
    counts = RNG.integers(0, 5, size=(4, 3)).astype("float32")
    rates = RNG.uniform(0.1, 4.0, size=(4, 3)).astype("float32")
    expected = (rates - counts * np.log(rates + 1e-7)).mean(-1)
    _close(poisson(counts, rates), expected)
    _close(Poisson(reduction="sum")(counts, rates), expected.sum())


def test_probabilistic_defaults_and_grad():
    assert KLDivergence().get_config() == {
        "name": "kl_divergence",
        "reduction": "sum_over_batch_size",
    }
    assert Poisson().name == "poisson"
    grad = jax.jit(jax.grad(lambda q: KLDivergence()(P, q)))(Q)
    _close(grad, -P / Q / P.shape[0])
