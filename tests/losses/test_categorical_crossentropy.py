import jax
import numpy as np
import pytest

from heft.losses import (
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
)

RNG = np.random.default_rng(9)
N, C = 6, 4
LABELS = RNG.integers(0, C, size=N)
ONE_HOT = np.eye(C, dtype="float32")[LABELS]
LOGITS = (RNG.normal(size=(N, C)) * 2).astype("float32")
PROBS = (np.exp(LOGITS) / np.exp(LOGITS).sum(-1, keepdims=True)).astype("float32")
EPS = 1e-7


def _close(actual, expected, rtol=1e-5):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=rtol, atol=1e-6)


def _cce(t, p, axis=-1):
    p = p / p.sum(axis, keepdims=True)
    return -(t * np.log(np.clip(p, EPS, 1 - EPS))).sum(axis)


def test_categorical_crossentropy_closed_form_renormalizes():
    _close(categorical_crossentropy(ONE_HOT, PROBS), _cce(ONE_HOT, PROBS))
    unnormalized = PROBS * 3.0
    _close(categorical_crossentropy(ONE_HOT, unnormalized), _cce(ONE_HOT, PROBS))


def test_categorical_crossentropy_logits_equal_probabilities_and_axis():
    _close(
        categorical_crossentropy(ONE_HOT, LOGITS, from_logits=True), _cce(ONE_HOT, PROBS), rtol=1e-4
    )
    out = CategoricalCrossentropy(axis=0, reduction=None)(ONE_HOT.T, PROBS.T)
    _close(out, _cce(ONE_HOT, PROBS))


def test_categorical_crossentropy_label_smoothing():
    smooth = ONE_HOT * 0.9 + 0.1 / C
    _close(categorical_crossentropy(ONE_HOT, PROBS, label_smoothing=0.1), _cce(smooth, PROBS))


def test_categorical_crossentropy_errors_and_warning():
    with pytest.raises(ValueError, match=r"`axis` must be of type `int`.*axis=True"):
        categorical_crossentropy(ONE_HOT, PROBS, axis=True)
    with pytest.raises(
        ValueError, match=r"must have the same shape. Received: target.shape=\(6,\)"
    ):
        categorical_crossentropy(LABELS, PROBS)
    with pytest.raises(ValueError, match=r"must be at least rank 1"):
        categorical_crossentropy(1.0, 1.0)
    with pytest.warns(SyntaxWarning, match=r"Consider using 'binary_crossentropy'"):
        categorical_crossentropy(np.ones((2, 1)), np.ones((2, 1)))


def test_categorical_focal_crossentropy_closed_form():
    for alpha, gamma in [(0.25, 2.0), (0.5, 0.0)]:
        p = np.clip(PROBS, EPS, 1 - EPS)
        expected = (alpha * (1 - p) ** gamma * -ONE_HOT * np.log(p)).sum(-1)
        _close(
            categorical_focal_crossentropy(ONE_HOT, PROBS, alpha=alpha, gamma=gamma),
            expected,
            rtol=1e-4,
        )
    a = CategoricalFocalCrossentropy(from_logits=True)(ONE_HOT, LOGITS)
    b = CategoricalFocalCrossentropy()(ONE_HOT, PROBS)
    _close(a, float(b), rtol=1e-4)
    with pytest.raises(ValueError, match=r"in `categorical_focal_crossentropy`"):
        categorical_focal_crossentropy(ONE_HOT, PROBS, axis=False)


def test_categorical_generalized_cross_entropy_closed_form_and_q_check():
    p = PROBS[np.arange(N), LABELS]
    _close(categorical_generalized_cross_entropy(LABELS, PROBS, q=0.3), (1 - p**0.3) / 0.3)
    _close(CategoricalGeneralizedCrossEntropy(q=0.3)(LABELS, PROBS), ((1 - p**0.3) / 0.3).mean())
    for q in (0.0, 1.0):
        with pytest.raises(
            ValueError, match=rf"`q` must be in the interval \(0, 1\). Received: q={q}"
        ):
            CategoricalGeneralizedCrossEntropy(q=q)


def test_categorical_configs_have_keras_keys():
    assert CategoricalCrossentropy(label_smoothing=0.2).get_config() == {
        "name": "categorical_crossentropy",
        "reduction": "sum_over_batch_size",
        "from_logits": False,
        "label_smoothing": 0.2,
        "axis": -1,
    }
    assert CategoricalFocalCrossentropy(alpha=0.5).get_config()["alpha"] == 0.5
    assert CategoricalGeneralizedCrossEntropy(q=0.2).get_config() == {
        "name": "categorical_generalized_cross_entropy",
        "reduction": "sum_over_batch_size",
        "q": 0.2,
    }


def test_categorical_crossentropy_jit_grad_any_batch_size():
    loss = CategoricalCrossentropy(from_logits=True)
    step = jax.jit(jax.value_and_grad(lambda z, t: loss(t, z)))
    for n in (1, 3):
        value, grad = step(LOGITS[:n], ONE_HOT[:n])
        _close(value, _cce(ONE_HOT[:n], PROBS[:n]).mean(), rtol=1e-4)
        _close(grad, (PROBS[:n] - ONE_HOT[:n]) / n, rtol=1e-4)
