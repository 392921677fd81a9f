import jax
import numpy as np

from heft.losses import Dice, Tversky, dice, tversky

RNG = np.random.default_rng(13)
MASKS = RNG.integers(0, 2, size=(3, 4, 4)).astype("float32")
PRED = RNG.uniform(size=(3, 4, 4)).astype("float32")
EPS = 1e-7


def _close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=1e-5, atol=1e-6)


def _dice(t, p, axis):
    return 1 - 2 * (t * p).sum(axis) / (t.sum(axis) + p.sum(axis) + EPS)


def _tversky(t, p, alpha, beta, axis):
    overlap = (t * p).sum(axis)
    missed = ((1 - p) * t).sum(axis)
    outside = (p * (1 - t)).sum(axis)
    return 1 - overlap / (overlap + alpha * missed + beta * outside + EPS)


def test_dice_closed_form_whole_batch_and_per_sample():
    _close(dice(MASKS, PRED), _dice(MASKS, PRED, None))
    _close(dice(MASKS, PRED, axis=(1, 2)), _dice(MASKS, PRED, (1, 2)))
    # Whole-batch Dice is a scalar, which the reduction returns unchanged.
    _close(Dice()(MASKS, PRED), _dice(MASKS, PRED, None))
    _close(Dice(axis=(1, 2))(MASKS, PRED), _dice(MASKS, PRED, (1, 2)).mean())


def test_dice_perfect_overlap_is_zero():
    _close(dice(MASKS, MASKS, axis=(1, 2)), np.zeros(3))


def test_tversky_closed_form_and_dice_special_case():
    _close(
        tversky(MASKS, PRED, alpha=0.3, beta=0.7, axis=(1, 2)),
        _tversky(MASKS, PRED, 0.3, 0.7, (1, 2)),
    )
    _close(Tversky(alpha=0.3, beta=0.7)(MASKS, PRED), _tversky(MASKS, PRED, 0.3, 0.7, None))
    _close(tversky(MASKS, PRED), dice(MASKS, PRED))


def test_segmentation_configs_and_grad():
    assert Dice(axis=1).get_config() == {
        "name": "dice",
        "reduction": "sum_over_batch_size",
        "axis": 1,
    }
    assert Tversky(alpha=0.1, beta=0.9).get_config() == {
        "name": "tversky",
        "reduction": "sum_over_batch_size",
        "alpha": 0.1,
        "beta": 0.9,
        "axis": None,
    }
    grad = jax.jit(jax.grad(lambda p: Dice()(MASKS, p)))(PRED)
    total = MASKS.sum() + PRED.sum() + EPS
    inter = (MASKS * PRED).sum()
    _close(grad, -2 * (MASKS * total - inter) / total**2)
