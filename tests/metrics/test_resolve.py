import numpy as np
import pytest

from heft import metrics


@pytest.mark.parametrize(
    "true_shape, pred_shape, kind",
    [
        ((32,), (32, 10), "sparse_categorical"),
        ((32, 1), (32, 10), "sparse_categorical"),
        ((32, 10), (32, 10), "categorical"),
        ((32, 1), (32, 1), "binary"),
        ((32,), (32, 1), "binary"),
        ((32,), (32,), "categorical"),
        ((4, 7), (4, 7, 5), "sparse_categorical"),
    ],
)
def test_accuracy_kind_from_shapes(true_shape, pred_shape, kind):
    assert metrics.accuracy_kind(true_shape, pred_shape) == kind


def test_accuracy_kind_accepts_arrays():
    assert metrics.accuracy_kind(np.zeros((3,)), np.zeros((3, 4))) == "sparse_categorical"
    assert metrics.accuracy_kind([[1], [0]], [[0.2], [0.7]]) == "binary"


@pytest.mark.parametrize(
    "identifier, true_shape, pred_shape, cls",
    [
        ("accuracy", (8,), (8, 10), metrics.SparseCategoricalAccuracy),
        ("acc", (8, 1), (8, 1), metrics.BinaryAccuracy),
        ("Accuracy", (8, 10), (8, 10), metrics.CategoricalAccuracy),
        ("ACC", (8,), (8, 3), metrics.SparseCategoricalAccuracy),
    ],
)
def test_resolve_metric_accuracy_keeps_the_identifier_as_name(
    identifier, true_shape, pred_shape, cls
):
    m = metrics.resolve_metric(identifier, true_shape, pred_shape)
    assert type(m) is cls
    assert m.name == identifier
    assert [v.path for v in m.variables] == [f"{identifier}/total", f"{identifier}/count"]


def test_resolve_metric_names_string_identifiers_by_the_string():
    m = metrics.resolve_metric("mse", (4, 2), (4, 2))
    assert type(m) is metrics.MeanSquaredError and m.name == "mse"
    # Variables keep the path of the class's default name, as in Keras.
    assert [v.path for v in m.variables] == ["mean_squared_error/total", "mean_squared_error/count"]


def test_resolve_metric_keeps_instances_and_their_names():
    auc = metrics.AUC(name="my_auc")
    assert metrics.resolve_metric(auc, (4, 1), (4, 1)) is auc and auc.name == "my_auc"


def test_resolve_metric_wraps_functions_named_after_them():
    def hits(y_true, y_pred):
        return metrics.binary_accuracy(y_true, y_pred)

    m = metrics.resolve_metric(hits, (2, 1), (2, 1))
    assert type(m) is metrics.MeanMetricWrapper and m.name == "hits"
    m.update_state([[1], [0]], [[0.9], [0.9]])
    assert float(m.result()) == 0.5


def test_resolve_metric_classes_are_named_by_instance():
    m = metrics.resolve_metric(metrics.Recall, (2, 1), (2, 1))
    assert type(m) is metrics.Recall and m.name == "recall"


def test_resolve_metric_none_raises():
    with pytest.raises(ValueError, match="Expected metric, received `None`"):
        metrics.resolve_metric(None, (2,), (2,))


def test_resolve_metric_unknown_name_raises():
    with pytest.raises(ValueError, match="Could not interpret metric identifier: 'f1'"):
        metrics.resolve_metric("f1", (2,), (2,))
