import jax
import numpy as np

from heft.losses import Circle, circle

RNG = np.random.default_rng(17)
LABELS = np.array([0, 1, 0, 2, 1, 2])
EMB = RNG.normal(size=(6, 4)).astype("float32")
EMB /= np.linalg.norm(EMB, axis=-1, keepdims=True)


def _logsumexp(x, axis):
    m = np.max(np.where(np.isfinite(x), x, -np.inf), axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    return (np.log(np.exp(x - m).sum(axis, keepdims=True)) + m).squeeze(axis)


def _circle(labels, emb, gamma=80.0, margin=0.4, remove_diagonal=True):
    emb = emb.astype("float64")
    dist = np.maximum(1 - emb @ emb.T, 0.0)
    pos = labels[:, None] == labels[None, :]
    neg = ~pos
    if remove_diagonal:
        pos &= ~np.eye(len(labels), dtype=bool)
    pos_w = np.maximum((margin + dist) * pos, 0)
    neg_w = np.maximum((1 + margin - dist) * neg, 0)
    p = np.where(pos, -gamma * pos_w * (margin - dist), -np.inf)
    n = np.where(neg, gamma * neg_w * ((1 - margin) - dist), -np.inf)
    return np.logaddexp(0.0, _logsumexp(p, 1) + _logsumexp(n, 1))


def _close(actual, expected, rtol=1e-5):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=rtol, atol=1e-5)


def test_circle_closed_form():
    _close(circle(LABELS, EMB), _circle(LABELS, EMB), rtol=1e-4)
    _close(
        circle(LABELS, EMB, gamma=10.0, margin=0.2, remove_diagonal=False),
        _circle(LABELS, EMB, 10.0, 0.2, False),
        rtol=1e-4,
    )


def test_circle_reference_embeddings():
    out = circle(LABELS[:2], EMB[:2], ref_labels=LABELS, ref_embeddings=EMB, remove_diagonal=False)
    assert out.shape == (2,)
    full = circle(LABELS, EMB, remove_diagonal=False)
    _close(out, np.asarray(full)[:2])


def test_circle_class_averages_over_positive_losses_only():
    labels = np.array([0, 0, 1])
    emb = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], "float32")
    per_sample = np.asarray(circle(labels, emb))
    assert per_sample[2] == 0.0  # no positive pair for the lone label
    positive = per_sample[per_sample > 0]
    _close(Circle()(labels, emb), positive.mean(), rtol=1e-5)
    _close(Circle(reduction="sum")(labels, emb), per_sample.sum(), rtol=1e-5)


def test_circle_config_and_grad():
    assert Circle(gamma=3.0).get_config() == {
        "name": "circle",
        "reduction": "sum_over_batch_size",
        "gamma": 3.0,
        "margin": 0.4,
        "remove_diagonal": True,
    }
    grad = jax.jit(jax.grad(lambda e: Circle(gamma=5.0)(LABELS, e)))(EMB)
    assert grad.shape == EMB.shape and np.isfinite(np.asarray(grad)).all()
    assert np.abs(np.asarray(grad)).sum() > 0
