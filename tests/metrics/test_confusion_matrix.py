import numpy as np
import pytest

import heft
from heft.metrics._confusion_matrix import (
    NEG_INF,
    evenly_spaced,
    keep_top_k,
    parse_thresholds,
    to_list,
    update_confusion_matrix,
)


def _variables(n, keys=("tp", "fp", "tn", "fn"), shape=None):
    return {k: heft.Variable(np.zeros(shape or (n,), "float32"), name=k) for k in keys}


def _values(variables):
    return {k: v.numpy().tolist() for k, v in variables.items()}


def test_to_list_and_parse_thresholds():
    assert to_list((0.1, 0.2)) == [0.1, 0.2] and to_list(0.3) == [0.3]
    assert parse_thresholds(None) == [0.5]
    assert parse_thresholds(None, default=NEG_INF) == [NEG_INF]
    assert parse_thresholds(0.7) == [0.7]
    assert parse_thresholds((0.0, 1.0)) == [0.0, 1.0]


@pytest.mark.parametrize("bad", [[0.5, 1.5], [-0.1], [None, 0.5]])
def test_parse_thresholds_outside_unit_interval_raises(bad):
    with pytest.raises(ValueError, match=r"Threshold values must be in \[0, 1\]"):
        parse_thresholds(bad)


def test_evenly_spaced_needs_three_points_on_the_grid():
    assert evenly_spaced([0.0, 0.5, 1.0])
    assert evenly_spaced([0.0, 0.25, 0.5, 0.75, 1.0])
    assert not evenly_spaced([0.0, 1.0])
    assert not evenly_spaced([0.2, 0.5, 0.7])


def test_keep_top_k_masks_all_but_largest():
    out = keep_top_k(np.array([[0.1, 0.7, 0.2]], "float32"), 2)
    assert out[0, 1] == pytest.approx(0.7) and out[0, 2] == pytest.approx(0.2)
    assert float(out[0, 0]) == pytest.approx(NEG_INF)


def test_update_confusion_matrix_counts_by_comparison():
    variables = _variables(2)
    y_true = [1, 1, 0, 0, 1]
    y_pred = [0.9, 0.4, 0.6, 0.1, 0.5]
    update_confusion_matrix(variables, y_true, y_pred, thresholds=[0.3, 0.5])
    # A prediction equal to the threshold is not positive.
    assert _values(variables) == {
        "tp": [3.0, 1.0],
        "fp": [1.0, 1.0],
        "tn": [1.0, 1.0],
        "fn": [0.0, 2.0],
    }


def test_update_confusion_matrix_weighted_and_accumulating():
    variables = _variables(1, keys=("tp", "fn"))
    update_confusion_matrix(
        variables, [[1], [1], [0]], [[0.9], [0.2], [0.8]], [0.5], sample_weight=[2.0, 3.0, 5.0]
    )
    update_confusion_matrix(variables, [[1]], [[0.7]], [0.5], sample_weight=[0.5])
    assert _values(variables) == {"tp": [2.5], "fn": [3.0]}


def test_update_confusion_matrix_bucketed_matches_comparison():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, size=(50, 1)).astype("float32")
    y_pred = rng.uniform(size=(50, 1)).astype("float32")
    y_pred[:3, 0] = [0.0, 0.5, 1.0]
    weights = rng.uniform(size=(50,)).astype("float32")
    thresholds = [i / 10 for i in range(11)]
    slow, fast = _variables(11), _variables(11)
    update_confusion_matrix(slow, y_true, y_pred, thresholds, sample_weight=weights)
    update_confusion_matrix(
        fast, y_true, y_pred, thresholds, sample_weight=weights, thresholds_distributed_evenly=True
    )
    for key in slow:
        np.testing.assert_allclose(fast[key].numpy(), slow[key].numpy(), rtol=1e-5, atol=1e-5)


def test_update_confusion_matrix_bucketed_with_epsilon_counts_zero_predictions_above_first():
    variables = _variables(3, keys=("tp", "fn"))
    update_confusion_matrix(
        variables,
        [1, 1],
        [0.0, 1.0],
        np.array([-1e-7, 0.5, 1.0 + 1e-7]),
        thresholds_distributed_evenly=True,
    )
    assert _values(variables) == {"tp": [2.0, 1.0, 0.0], "fn": [0.0, 1.0, 2.0]}


def test_update_confusion_matrix_multi_label_counts_per_label():
    variables = _variables(2, shape=(2, 2))
    y_true = [[1, 0], [0, 1], [1, 1]]
    y_pred = [[0.8, 0.3], [0.6, 0.9], [0.2, 0.1]]
    update_confusion_matrix(variables, y_true, y_pred, [0.25, 0.7], multi_label=True)
    assert variables["tp"].numpy().tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert variables["fp"].numpy().tolist() == [[1.0, 1.0], [0.0, 0.0]]
    assert variables["fn"].numpy().tolist() == [[1.0, 1.0], [1.0, 1.0]]
    bucketed = _variables(3, shape=(3, 2))
    update_confusion_matrix(
        bucketed,
        y_true,
        y_pred,
        [0.0, 0.5, 1.0],
        multi_label=True,
        thresholds_distributed_evenly=True,
    )
    assert bucketed["tp"].numpy().tolist() == [[2.0, 2.0], [1.0, 1.0], [0.0, 0.0]]


def test_update_confusion_matrix_label_weights_scale_each_label():
    variables = _variables(1, keys=("tp",))
    update_confusion_matrix(variables, [[1, 1]], [[0.9, 0.9]], [0.5], label_weights=[2.0, 0.5])
    assert _values(variables) == {"tp": [2.5]}


def test_update_confusion_matrix_top_k_and_class_id():
    variables = _variables(1, keys=("tp", "fp"))
    y_true = [[0, 1, 1], [1, 0, 0]]
    y_pred = [[0.1, 0.6, 0.5], [0.3, 0.4, 0.2]]
    update_confusion_matrix(variables, y_true, y_pred, [NEG_INF], top_k=1)
    assert _values(variables) == {"tp": [1.0], "fp": [1.0]}
    per_class = _variables(1, keys=("tp", "fp"))
    update_confusion_matrix(per_class, y_true, y_pred, [0.35], class_id=1)
    assert _values(per_class) == {"tp": [1.0], "fp": [1.0]}


def test_update_confusion_matrix_invalid_keys_raise():
    with pytest.raises(ValueError, match=r"Invalid confusion-matrix keys: \['tpr'\]"):
        update_confusion_matrix(_variables(1, keys=("tpr",)), [1], [1.0], [0.5])
    with pytest.raises(ValueError, match="pass at least one of them"):
        update_confusion_matrix({}, [1], [1.0], [0.5])


def test_update_confusion_matrix_class_id_with_1d_predictions_raises():
    with pytest.raises(ValueError, match=r"`y_pred` must be a 2-D array .* y_pred.shape=\(2,\)"):
        update_confusion_matrix(_variables(1, keys=("tp",)), [1, 0], [0.3, 0.6], [0.5], class_id=0)
