import jax
import numpy as np

from heft.losses import (
    CategoricalHinge,
    Hinge,
    SquaredHinge,
    categorical_hinge,
    hinge,
    squared_hinge,
)

RNG = np.random.default_rng(3)
Y_PRED = RNG.normal(size=(6, 3)).astype("float32")
LABELS01 = RNG.integers(0, 2, size=(6, 3)).astype("float32")
SIGNED = 2 * LABELS01 - 1


def _close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=1e-5, atol=1e-6)


def test_hinge_closed_form_with_signed_and_binary_labels():
    expected = np.maximum(1 - SIGNED * Y_PRED, 0).mean(-1)
    _close(hinge(SIGNED, Y_PRED), expected)
    # {0, 1} labels are mapped to {-1, 1} first.
    _close(hinge(LABELS01, Y_PRED), expected)
    _close(Hinge()(LABELS01, Y_PRED), expected.mean())


def test_hinge_keeps_labels_that_are_not_binary():
    labels = np.array([[0.5, -1.0]], "float32")
    _close(hinge(labels, [[2.0, 1.0]]), [np.mean([0.0, 2.0])])


def test_squared_hinge_closed_form():
    expected = (np.maximum(1 - SIGNED * Y_PRED, 0) ** 2).mean(-1)
    _close(squared_hinge(LABELS01, Y_PRED), expected)
    _close(SquaredHinge(reduction="sum")(SIGNED, Y_PRED), expected.sum())


def test_categorical_hinge_closed_form():
    one_hot = np.eye(3, dtype="float32")[RNG.integers(0, 3, size=6)]
    pos = (one_hot * Y_PRED).sum(-1)
    neg = ((1 - one_hot) * Y_PRED).max(-1)
    expected = np.maximum(neg - pos + 1, 0)
    _close(categorical_hinge(one_hot, Y_PRED), expected)
    _close(CategoricalHinge()(one_hot, Y_PRED), expected.mean())


def test_hinge_class_defaults():
    assert Hinge().get_config() == {"name": "hinge", "reduction": "sum_over_batch_size"}
    assert SquaredHinge().name == "squared_hinge"
    assert CategoricalHinge().name == "categorical_hinge"


def test_hinge_label_mapping_is_traceable():
    loss = Hinge()
    value = jax.jit(lambda t, p: loss(t, p))(LABELS01, Y_PRED)
    _close(value, np.maximum(1 - SIGNED * Y_PRED, 0).mean())
    grad = jax.grad(lambda p: loss(LABELS01, p))(Y_PRED)
    active = (1 - SIGNED * Y_PRED) > 0
    _close(grad, np.where(active, -SIGNED, 0) / Y_PRED.size)
    assert grad.shape == (6, 3)
    # An empty batch gives the empty per-sample vector back, as in Keras.
    assert loss(np.zeros((0, 3)), np.zeros((0, 3))).shape == (0,)
