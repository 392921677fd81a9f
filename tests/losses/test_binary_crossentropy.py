import jax
import numpy as np
import pytest

from heft.losses import (
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    binary_crossentropy,
    binary_focal_crossentropy,
)

RNG = np.random.default_rng(5)
LABELS = RNG.integers(0, 2, size=(6, 4)).astype("float32")
LOGITS = (RNG.normal(size=(6, 4)) * 3).astype("float32")
PROBS = (1 / (1 + np.exp(-LOGITS.astype("float64")))).astype("float32")
EPS = 1e-7


def _close(actual, expected, rtol=1e-5):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=rtol, atol=1e-6)


def _bce(t, p):
    p = np.clip(p.astype("float64"), EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def test_binary_crossentropy_closed_form_probabilities():
    _close(binary_crossentropy(LABELS, PROBS), _bce(LABELS, PROBS).mean(-1))
    _close(binary_crossentropy(LABELS, PROBS, axis=0), _bce(LABELS, PROBS).mean(0))


def test_binary_crossentropy_clips_extreme_probabilities():
    out = binary_crossentropy([[1.0, 0.0]], [[0.0, 1.0]])
    assert np.isfinite(np.asarray(out)).all()
    # In float32, 1 - epsilon rounds to 0.99999988, so the two clipped terms differ.
    upper = np.float64(np.float32(1 - EPS))
    _close(out, [(-np.log(EPS) - np.log(1 - upper)) / 2])


def test_binary_crossentropy_logits_equal_probabilities():
    from_logits = BinaryCrossentropy(from_logits=True)(LABELS, LOGITS)
    from_probs = BinaryCrossentropy()(LABELS, PROBS)
    _close(from_logits, float(from_probs), rtol=1e-4)
    # Large logits stay finite and exact (no clipping on the logits path).
    _close(binary_crossentropy([[0.0]], [[100.0]], from_logits=True), [100.0])


def test_binary_crossentropy_label_smoothing():
    smooth = LABELS * 0.8 + 0.1
    _close(binary_crossentropy(LABELS, PROBS, label_smoothing=0.2), _bce(smooth, PROBS).mean(-1))


def test_binary_crossentropy_shape_mismatch_error():
    with pytest.raises(
        ValueError, match=r"must have the same shape. Received: target.shape=\(4, 3\)"
    ):
        binary_crossentropy(np.zeros((4, 3)), np.zeros((4, 2)))


def test_binary_focal_crossentropy_closed_form():
    for gamma, balance, alpha in [(2.0, False, 0.25), (1.5, True, 0.4), (0.0, False, 0.25)]:
        p_t = LABELS * PROBS + (1 - LABELS) * (1 - PROBS)
        focal = (1 - p_t) ** gamma * _bce(LABELS, PROBS)
        if balance:
            focal = (LABELS * alpha + (1 - LABELS) * (1 - alpha)) * focal
        out = binary_focal_crossentropy(
            LABELS, PROBS, apply_class_balancing=balance, alpha=alpha, gamma=gamma
        )
        _close(out, focal.mean(-1), rtol=1e-4)
    # gamma = 0 is plain binary crossentropy.
    _close(
        binary_focal_crossentropy(LABELS, PROBS, gamma=0.0),
        np.asarray(binary_crossentropy(LABELS, PROBS)),
    )


def test_binary_focal_crossentropy_logits_equal_probabilities():
    a = BinaryFocalCrossentropy(from_logits=True, label_smoothing=0.1)(LABELS, LOGITS)
    b = BinaryFocalCrossentropy(label_smoothing=0.1)(LABELS, PROBS)
    _close(a, float(b), rtol=1e-4)


def test_binary_crossentropy_configs_have_keras_keys():
    assert BinaryCrossentropy(from_logits=True, label_smoothing=0.1, axis=0).get_config() == {
        "name": "binary_crossentropy",
        "reduction": "sum_over_batch_size",
        "from_logits": True,
        "label_smoothing": 0.1,
        "axis": 0,
    }
    config = BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.3, gamma=1.0).get_config()
    assert config == {
        "name": "binary_focal_crossentropy",
        "reduction": "sum_over_batch_size",
        "from_logits": False,
        "label_smoothing": 0.0,
        "axis": -1,
        "apply_class_balancing": True,
        "alpha": 0.3,
        "gamma": 1.0,
    }
    again = BinaryFocalCrossentropy.from_config(config)
    assert (again.alpha, again.gamma, again.apply_class_balancing) == (0.3, 1.0, True)


def test_binary_crossentropy_per_sample_column_labels_and_weights():
    labels = LABELS[:, :1]
    probs = PROBS[:, :1]
    w = np.arange(6, dtype="float32")
    out = BinaryCrossentropy(reduction="sum")(labels, probs, sample_weight=w)
    _close(out, (_bce(labels, probs)[:, 0] * w).sum(), rtol=1e-4)


def test_binary_crossentropy_jit_grad_from_logits():
    loss = BinaryCrossentropy(from_logits=True)
    grad = jax.jit(jax.grad(lambda z: loss(LABELS, z)))(LOGITS)
    sig = 1 / (1 + np.exp(-LOGITS.astype("float64")))
    _close(grad, (sig - LABELS) / LABELS.size, rtol=1e-4)
