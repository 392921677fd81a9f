import jax
import numpy as np
import pytest

from heft.losses import (
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    sparse_categorical_crossentropy,
)

RNG = np.random.default_rng(9)
N, C = 6, 4
LABELS = RNG.integers(0, C, size=N)
ONE_HOT = np.eye(C, dtype="float32")[LABELS]
LOGITS = (RNG.normal(size=(N, C)) * 2).astype("float32")
PROBS = (np.exp(LOGITS) / np.exp(LOGITS).sum(-1, keepdims=True)).astype("float32")


def _close(actual, expected, rtol=1e-5):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=rtol, atol=1e-6)


def test_sparse_categorical_crossentropy_closed_form_and_label_shapes():
    expected = -np.log(PROBS[np.arange(N), LABELS])
    _close(sparse_categorical_crossentropy(LABELS, PROBS), expected)
    _close(sparse_categorical_crossentropy(LABELS[:, None], PROBS), expected)
    _close(
        sparse_categorical_crossentropy(LABELS.astype("float32"), LOGITS, from_logits=True),
        expected,
        rtol=1e-4,
    )
    assert sparse_categorical_crossentropy(LABELS, PROBS).shape == (N,)


def test_sparse_categorical_crossentropy_equals_one_hot_version():
    a = SparseCategoricalCrossentropy(from_logits=True)(LABELS, LOGITS)
    b = CategoricalCrossentropy(from_logits=True)(ONE_HOT, LOGITS)
    _close(a, float(b))


def test_sparse_categorical_crossentropy_class_axis_first():
    labels = RNG.integers(0, C, size=(2, 5))
    logits = RNG.normal(size=(2, C, 5)).astype("float32")
    out = sparse_categorical_crossentropy(labels, logits, from_logits=True, axis=1)
    log_probs = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    expected = -np.take_along_axis(log_probs, labels[:, None, :], axis=1)[:, 0, :]
    _close(out, expected, rtol=1e-4)


def test_sparse_categorical_crossentropy_ignore_class():
    labels = np.array([0, 2, 1, 2])
    probs = PROBS[:4]
    per_entry = -np.log(probs[np.arange(4), labels])
    per_entry[labels == 2] = 0.0
    _close(sparse_categorical_crossentropy(labels, probs, ignore_class=2), per_entry)
    loss = SparseCategoricalCrossentropy(ignore_class=2)
    # The mean is over the two valid entries, not all four.
    _close(loss(labels, probs), per_entry.sum() / 2)
    _close(
        SparseCategoricalCrossentropy(ignore_class=2, reduction="sum")(labels, probs),
        per_entry.sum(),
    )
    w = np.array([1.0, 5.0, 2.0, 5.0], "float32")
    _close(loss(labels, probs, sample_weight=w), (per_entry * w).sum() / 2)


def test_sparse_categorical_crossentropy_ignore_class_all_ignored_is_zero():
    loss = SparseCategoricalCrossentropy(ignore_class=1)
    assert float(loss(np.array([1, 1]), PROBS[:2])) == 0.0


def test_sparse_categorical_crossentropy_ignore_class_grad_is_finite_and_masked():
    labels = np.array([0, 2, 1, 2])
    loss = SparseCategoricalCrossentropy(from_logits=True, ignore_class=2)
    grad = np.asarray(jax.jit(jax.grad(lambda z: loss(labels, z)))(LOGITS[:4]))
    assert np.isfinite(grad).all()
    np.testing.assert_array_equal(grad[labels == 2], 0.0)
    expected = (PROBS[:4] - np.eye(C)[labels]) / 2
    _close(grad[labels != 2], expected[labels != 2], rtol=1e-4)


def test_sparse_categorical_crossentropy_errors():
    with pytest.raises(ValueError, match=r"Argument `output` must be at least rank 1"):
        sparse_categorical_crossentropy(1, 1.0)
    with pytest.raises(ValueError, match=r"must have the same shape up until the class dimension"):
        sparse_categorical_crossentropy(np.zeros((4, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"`axis=2` is out of range for an input of rank 2"):
        sparse_categorical_crossentropy(LABELS, PROBS, axis=2)


def test_sparse_categorical_crossentropy_config_has_keras_keys():
    # As in Keras 3, `axis` is not part of the sparse loss's config.
    assert SparseCategoricalCrossentropy(ignore_class=0, axis=1).get_config() == {
        "name": "sparse_categorical_crossentropy",
        "reduction": "sum_over_batch_size",
        "from_logits": False,
        "ignore_class": 0,
    }
