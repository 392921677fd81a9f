import jax
import jax.numpy as jnp
import numpy as np
import pytest

from heft import metrics
from heft.metrics._accuracy import accuracy


def test_accuracy_function_matches_exactly_equal_values():
    assert accuracy([[1], [2], [3]], [1, 2, 4]).tolist() == [[1.0], [1.0], [0.0]]
    assert accuracy([1.0, 2.0], [1.0, 2.5]).dtype == jnp.float32


def test_accuracy_metric_hand_values_weights_and_reset():
    m = metrics.Accuracy()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    assert float(m.result()) == 0.75
    m.update_state([[1], [2]], [[1], [0]], sample_weight=[2.0, 2.0])
    assert float(m.result()) == pytest.approx((3.0 + 2.0) / 8.0)
    m.reset_state()
    assert float(m.result()) == 0.0
    assert [v.path for v in m.variables] == ["accuracy/total", "accuracy/count"]


def test_binary_accuracy_function_threshold_is_strict():
    y_true = [[1], [1], [0], [0]]
    y_pred = [[0.5], [0.51], [0.5], [0.2]]
    assert metrics.binary_accuracy(y_true, y_pred).tolist() == [[0.0], [1.0], [1.0], [1.0]]
    assert metrics.binary_accuracy(y_true, y_pred, threshold=0.1).tolist() == [
        [1.0],
        [1.0],
        [0.0],
        [0.0],
    ]


def test_binary_accuracy_matches_rank_of_labels_and_predictions():
    assert metrics.binary_accuracy([1, 0], [[0.7], [0.7]]).tolist() == [[1.0], [0.0]]


def test_binary_accuracy_metric_with_weights_and_accumulation():
    m = metrics.BinaryAccuracy()
    m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    assert float(m.result()) == 0.75
    m.update_state([[1], [0]], [[0.2], [0.2]], sample_weight=[1.0, 3.0])
    assert float(m.result()) == pytest.approx((3.0 + 3.0) / 8.0)
    assert metrics.BinaryAccuracy(threshold=0.7).get_config() == {
        "name": "binary_accuracy",
        "dtype": "float32",
        "threshold": 0.7,
    }


def test_categorical_accuracy_function_and_metric():
    y_true = [[0, 0, 1], [0, 1, 0]]
    y_pred = [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]
    assert metrics.categorical_accuracy(y_true, y_pred).tolist() == [0.0, 1.0]
    m = metrics.CategoricalAccuracy()
    m.update_state(y_true, y_pred, sample_weight=[0.7, 0.3])
    assert float(m.result()) == pytest.approx(0.3)


def test_categorical_accuracy_first_maximum_wins_ties():
    y_pred = [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]
    assert metrics.categorical_accuracy([[1, 0, 1], [0, 1, 1]], y_pred).tolist() == [1.0, 0.0]


def test_categorical_accuracy_negative_zero_ranks_below_zero():
    # y_pred has -0.0 then 0.0: the second is the maximum, as on Keras's CPU backend.
    assert metrics.categorical_accuracy([[0.0, 1.0]], [[-0.0, 0.0]]).tolist() == [1.0]


def test_sparse_categorical_accuracy_with_flat_and_column_labels():
    y_pred = [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]
    assert metrics.sparse_categorical_accuracy([2, 1], y_pred).tolist() == [0.0, 1.0]
    assert metrics.sparse_categorical_accuracy([[2], [1]], y_pred).tolist() == [0.0, 1.0]
    m = metrics.SparseCategoricalAccuracy()
    m.update_state([[2], [1]], y_pred)
    assert float(m.result()) == 0.5
    m.update_state(np.array([1]), [[0.2, 0.7, 0.1]], sample_weight=[2.0])
    assert float(m.result()) == 0.75


def test_sparse_categorical_accuracy_for_sequences():
    y_true = [[0, 1], [1, 1]]
    y_pred = np.array([[[0.9, 0.1], [0.9, 0.1]], [[0.2, 0.8], [0.3, 0.7]]], "float32")
    assert metrics.sparse_categorical_accuracy(y_true, y_pred).tolist() == [[1.0, 0.0], [1.0, 1.0]]
    m = metrics.SparseCategoricalAccuracy()
    m.update_state(y_true, y_pred, sample_weight=[[1.0, 1.0], [0.0, 1.0]])
    assert float(m.result()) == pytest.approx(2.0 / 3.0)


def test_top_k_categorical_accuracy_function_and_metric():
    y_true = [[0, 0, 1], [0, 1, 0]]
    y_pred = [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]
    assert metrics.top_k_categorical_accuracy(y_true, y_pred, k=1).tolist() == [0.0, 1.0]
    assert metrics.top_k_categorical_accuracy(y_true, y_pred, k=2).tolist() == [1.0, 1.0]
    m = metrics.TopKCategoricalAccuracy(k=1)
    m.update_state(y_true, y_pred, sample_weight=[0.7, 0.3])
    assert float(m.result()) == pytest.approx(0.3)
    assert m.get_config() == {"name": "top_k_categorical_accuracy", "dtype": "float32", "k": 1}


def test_top_k_ties_count_for_the_target_and_nan_never_does():
    y_pred = [[0.5, 0.5, 0.5], [float("nan"), 0.1, 0.2]]
    assert metrics.sparse_top_k_categorical_accuracy([2, 0], y_pred, k=1).tolist() == [1.0, 0.0]


def test_top_k_categorical_accuracy_flattens_sequences_and_restores_shape():
    y_true = np.eye(3, dtype="float32")[[[0, 1], [2, 2]]]
    y_pred = np.eye(3, dtype="float32")[[[0, 2], [2, 1]]]
    assert metrics.top_k_categorical_accuracy(y_true, y_pred, k=1).tolist() == [
        [1.0, 0.0],
        [1.0, 0.0],
    ]


def test_sparse_top_k_categorical_accuracy_function_and_metric():
    y_pred = [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]
    assert metrics.sparse_top_k_categorical_accuracy([2, 1], y_pred, k=1).tolist() == [0.0, 1.0]
    assert metrics.sparse_top_k_categorical_accuracy([[2], [1]], y_pred, k=2).tolist() == [
        [1.0],
        [1.0],
    ]
    m = metrics.SparseTopKCategoricalAccuracy(k=1)
    m.update_state([2, 1], y_pred, sample_weight=[0.7, 0.3])
    assert float(m.result()) == pytest.approx(0.3)


def test_sparse_top_k_from_sorted_ids():
    sorted_ids = [[1, 2, 0], [0, 2, 1]]
    assert metrics.sparse_top_k_categorical_accuracy(
        [2, 1], sorted_ids, k=2, from_sorted_ids=True
    ).tolist() == [
        1.0,
        0.0,
    ]
    m = metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)
    m.update_state([2, 1], sorted_ids)
    assert float(m.result()) == 0.5
    assert m.get_config()["from_sorted_ids"] is True
    assert "from_sorted_ids" not in metrics.SparseTopKCategoricalAccuracy().get_config()


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        (metrics.Accuracy, {}),
        (metrics.BinaryAccuracy, {"threshold": 0.2}),
        (metrics.CategoricalAccuracy, {"name": "cat", "dtype": "float16"}),
        (metrics.SparseCategoricalAccuracy, {}),
        (metrics.TopKCategoricalAccuracy, {"k": 3}),
        (metrics.SparseTopKCategoricalAccuracy, {"k": 2, "from_sorted_ids": True}),
    ],
)
def test_accuracy_metrics_config_round_trip(cls, kwargs):
    m = cls(**kwargs)
    clone = cls.from_config(m.get_config())
    assert clone.get_config() == m.get_config()
    assert m._direction == "up"


def test_sparse_categorical_accuracy_stateless_under_jit():
    m = metrics.SparseCategoricalAccuracy()
    step = jax.jit(lambda s, y, p: m.stateless_update_state(s, y, p))
    state = m.stateless_reset_state()
    state = step(state, jnp.asarray([0, 1]), jnp.asarray([[0.9, 0.1], [0.8, 0.2]]))
    state = step(state, jnp.asarray([1, 1]), jnp.asarray([[0.1, 0.9], [0.4, 0.6]]))
    assert float(m.stateless_result(state)) == 0.75
    assert float(m.result()) == 0.0
