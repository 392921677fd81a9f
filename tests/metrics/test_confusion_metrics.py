import jax
import jax.numpy as jnp
import pytest

from heft import metrics
from heft.metrics._confusion_matrix import NEG_INF

Y_TRUE = [0, 1, 1, 1, 0]
Y_PRED = [0.6, 0.2, 0.7, 0.9, 0.1]


@pytest.mark.parametrize(
    "cls, expected",
    [
        (metrics.TruePositives, 2.0),
        (metrics.FalsePositives, 1.0),
        (metrics.TrueNegatives, 1.0),
        (metrics.FalseNegatives, 1.0),
    ],
)
def test_condition_counts_hand_values(cls, expected):
    m = cls()
    m.update_state(Y_TRUE, Y_PRED)
    assert float(m.result()) == expected
    m.update_state(Y_TRUE, Y_PRED, sample_weight=[2.0] * 5)
    assert float(m.result()) == 3 * expected
    m.reset_state()
    assert float(m.result()) == 0.0
    assert [v.path for v in m.variables] == [f"{m.name}/accumulator"]


def test_condition_count_with_several_thresholds_returns_vector():
    m = metrics.TruePositives(thresholds=[0.0, 0.5, 0.8])
    m.update_state(Y_TRUE, Y_PRED)
    assert m.result().tolist() == [3.0, 2.0, 1.0]
    assert m.get_config() == {
        "name": "true_positives",
        "dtype": "float32",
        "thresholds": [0.0, 0.5, 0.8],
    }
    assert type(m.get_config()["thresholds"]) is list


def test_condition_count_config_round_trip():
    m = metrics.FalseNegatives(thresholds=0.3, name="fn")
    clone = metrics.FalseNegatives.from_config(m.get_config())
    assert clone.get_config() == {"name": "fn", "dtype": "float32", "thresholds": 0.3}
    assert clone.thresholds == [0.3]


def test_precision_hand_values_weights_and_accumulation():
    m = metrics.Precision()
    m.update_state(Y_TRUE, Y_PRED)
    assert float(m.result()) == pytest.approx(2.0 / 3.0)
    m.update_state([1, 0], [0.8, 0.9], sample_weight=[1.0, 3.0])
    assert float(m.result()) == pytest.approx(3.0 / 7.0)
    assert [v.path for v in m.variables] == [
        "precision/true_positives",
        "precision/false_positives",
    ]
    m.reset_state()
    assert float(m.result()) == 0.0


def test_recall_hand_values_and_several_thresholds():
    m = metrics.Recall(thresholds=[0.1, 0.5, 0.95])
    m.update_state(Y_TRUE, Y_PRED)
    assert m.result().tolist() == pytest.approx([1.0, 2.0 / 3.0, 0.0])
    assert [v.path for v in m.variables] == ["recall/true_positives", "recall/false_negatives"]
    assert m.false_negatives is m.variables[1]


def test_precision_top_k_counts_only_the_top_predictions():
    y_true = [[0, 0, 1, 1]]
    y_pred = [[0.9, 0.8, 0.7, 0.6]]
    m = metrics.Precision(top_k=2)
    m.update_state(y_true, y_pred)
    assert float(m.result()) == 0.0
    r = metrics.Recall(top_k=3)
    r.update_state(y_true, y_pred)
    assert float(r.result()) == 0.5
    assert m.thresholds == [NEG_INF]


def test_precision_class_id_selects_one_class():
    y_true = [[0, 1], [1, 0], [0, 1]]
    y_pred = [[0.2, 0.8], [0.4, 0.6], [0.7, 0.3]]
    m = metrics.Precision(class_id=1)
    m.update_state(y_true, y_pred)
    assert float(m.result()) == 0.5
    r = metrics.Recall(class_id=1)
    r.update_state(y_true, y_pred)
    assert float(r.result()) == 0.5


def test_precision_recall_config_round_trip():
    m = metrics.Precision(thresholds=[0.2, 0.4], top_k=None, class_id=3, name="p")
    assert m.get_config() == {
        "name": "p",
        "dtype": "float32",
        "thresholds": [0.2, 0.4],
        "top_k": None,
        "class_id": 3,
    }
    assert type(m.get_config()["thresholds"]) is list
    clone = metrics.Precision.from_config(m.get_config())
    assert clone.get_config() == m.get_config() and clone.thresholds == [0.2, 0.4]
    assert metrics.Recall.from_config(metrics.Recall(top_k=2).get_config()).top_k == 2
    assert m._direction == "up"


def test_precision_invalid_threshold_raises():
    with pytest.raises(ValueError, match="Threshold values must be in"):
        metrics.Precision(thresholds=[0.5, 2.0])


def test_recall_stateless_under_jit():
    m = metrics.Recall()
    step = jax.jit(lambda s, y, p, w: m.stateless_update_state(s, y, p, sample_weight=w))
    state = m.stateless_reset_state()
    state = step(
        state, jnp.asarray([1, 1, 0]), jnp.asarray([0.9, 0.1, 0.8]), jnp.asarray([1.0, 3.0, 1.0])
    )
    assert [x.tolist() for x in state] == [[1.0], [3.0]]
    assert float(jax.jit(m.stateless_result)(state)) == 0.25
