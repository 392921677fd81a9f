import itertools

import jax
import numpy as np
import pytest

from heft.losses import CTC, ctc

RNG = np.random.default_rng(19)


def _ctc_brute_force(labels, logits):
    """-log of the summed probability of every path collapsing to ``labels``."""
    steps, classes = logits.shape
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    target = [int(x) for x in labels if x != 0]
    total = 0.0
    for path in itertools.product(range(classes), repeat=steps):
        collapsed = [k for k, _ in itertools.groupby(path) if k != 0]
        if collapsed == target:
            total += np.exp(sum(log_probs[t, k] for t, k in enumerate(path)))
    return -np.log(total)


def test_ctc_matches_brute_force_path_sum():
    labels = np.array([[1, 2], [2, 0], [1, 1]])
    logits = RNG.normal(size=(3, 4, 3)).astype("float64")
    expected = [_ctc_brute_force(labels[b], logits[b]) for b in range(3)]
    np.testing.assert_allclose(
        np.asarray(ctc(labels, logits.astype("float32"))), expected, rtol=1e-5
    )
    loss = CTC()(labels, logits.astype("float32"))
    assert float(loss) == pytest.approx(np.mean(expected), rel=1e-5)


def test_ctc_shape_errors():
    with pytest.raises(ValueError, match=r"Targets `y_true` are expected to be a tensor of shape"):
        ctc(np.zeros((2,)), np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"Logits `y_pred` are expected to be a tensor of shape"):
        ctc(np.zeros((2, 3)), np.zeros((2, 4)))


def test_ctc_config_and_grad():
    assert CTC().get_config() == {"name": "ctc", "reduction": "sum_over_batch_size"}
    labels = np.array([[1, 2, 0]])
    logits = RNG.normal(size=(1, 5, 4)).astype("float32")
    grad = jax.jit(jax.grad(lambda z: CTC()(labels, z)))(logits)
    # The gradient of -log p over logits sums to zero at each step (softmax).
    np.testing.assert_allclose(np.asarray(grad).sum(-1), 0.0, atol=1e-5)
