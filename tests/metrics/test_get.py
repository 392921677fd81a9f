import jax.numpy as jnp
import pytest

from heft import _registry, metrics
from heft.metrics._get import ALL_OBJECTS_DICT, FUNCTIONS, deserialize_function


@pytest.mark.parametrize(
    "identifier, cls",
    [
        ("mse", metrics.MeanSquaredError),
        ("MSE", metrics.MeanSquaredError),
        ("mae", metrics.MeanAbsoluteError),
        ("MAE", metrics.MeanAbsoluteError),
        ("mape", metrics.MeanAbsolutePercentageError),
        ("msle", metrics.MeanSquaredLogarithmicError),
        ("accuracy", metrics.Accuracy),
        ("AUC", metrics.AUC),
        ("auc", metrics.AUC),
        ("binary_accuracy", metrics.BinaryAccuracy),
        ("SparseCategoricalAccuracy", metrics.SparseCategoricalAccuracy),
        ("sparse_top_k_categorical_accuracy", metrics.SparseTopKCategoricalAccuracy),
        ("root_mean_squared_error", metrics.RootMeanSquaredError),
        ("precision_at_recall", None),
    ],
)
def test_get_by_name_gives_a_new_instance(identifier, cls):
    if cls is None:
        # Classes with a required argument are found, but cannot be built without it.
        with pytest.raises(TypeError, match="recall"):
            metrics.get(identifier)
        return
    first, second = metrics.get(identifier), metrics.get(identifier)
    assert type(first) is cls and first is not second


def test_get_passes_through_none_instances_and_functions_and_builds_classes():
    assert metrics.get(None) is None
    m = metrics.Mean()
    assert metrics.get(m) is m
    assert metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy
    assert type(metrics.get(metrics.Recall)) is metrics.Recall


def test_get_from_config_dict():
    m = metrics.get({"class_name": "Precision", "config": {"name": "p", "thresholds": [0.3]}})
    assert isinstance(m, metrics.Precision) and m.name == "p" and m.thresholds == [0.3]


def test_get_unknown_name_raises_with_the_known_names():
    with pytest.raises(
        ValueError, match=r"Could not interpret metric identifier: 'acuracy'.*'accuracy'"
    ):
        metrics.get("acuracy")


def test_get_non_callable_raises():
    with pytest.raises(ValueError, match="Could not interpret metric identifier: 3"):
        metrics.get(3)


def test_get_acc_explains_it_is_resolved_by_compile():
    with pytest.raises(ValueError, match="'acc' is only understood by `compile"):
        metrics.get("acc")


def test_serialize_instance_and_function_forms():
    assert metrics.serialize(metrics.BinaryAccuracy(threshold=0.4)) == {
        "module": "keras.metrics",
        "class_name": "BinaryAccuracy",
        "config": {"name": "binary_accuracy", "dtype": "float32", "threshold": 0.4},
        "registered_name": None,
    }
    assert metrics.serialize(metrics.mean_squared_error) == {
        "module": "builtins",
        "class_name": "function",
        "config": "mean_squared_error",
        "registered_name": "function",
    }


@pytest.mark.parametrize(
    "metric",
    [
        metrics.Mean(name="m"),
        metrics.Sum(dtype="float16"),
        metrics.AUC(curve="PR", num_thresholds=20),
        metrics.Precision(top_k=2, class_id=1),
        metrics.SparseTopKCategoricalAccuracy(k=3),
        metrics.MeanMetricWrapper(metrics.binary_accuracy, threshold=0.2),
        metrics.SensitivityAtSpecificity(0.3),
    ],
    ids=lambda m: type(m).__name__,
)
def test_serialize_deserialize_round_trip(metric):
    rebuilt = metrics.deserialize(metrics.serialize(metric))
    assert type(rebuilt) is type(metric)
    assert rebuilt.get_config() == metric.get_config()


def test_deserialize_names_and_functions():
    assert type(metrics.deserialize("mse")) is metrics.MeanSquaredError
    assert (
        metrics.deserialize(metrics.serialize(metrics.categorical_accuracy))
        is metrics.categorical_accuracy
    )


def test_deserialize_custom_objects_and_registered_classes():
    @_registry.register_keras_serializable(package="test_get")
    class Doubled(metrics.Mean):
        def update_state(self, values, sample_weight=None):
            super().update_state(jnp.asarray(values) * 2, sample_weight)

    config = metrics.serialize(Doubled(name="d"))
    assert config["registered_name"] == "test_get>Doubled"
    assert type(metrics.deserialize(config)) is Doubled
    assert type(metrics.deserialize("test_get>Doubled")) is Doubled

    def my_fn(y_true, y_pred):
        return y_pred

    assert metrics.deserialize("my_fn", custom_objects={"my_fn": my_fn}) is my_fn
    form = metrics.serialize(my_fn)
    assert deserialize_function(form, custom_objects={"my_fn": my_fn}) is my_fn


def test_deserialize_unknown_raises():
    with pytest.raises(ValueError, match="Could not interpret metric identifier: 'nope'"):
        metrics.deserialize("nope")
    with pytest.raises(ValueError, match="'Nope' is not a known metric"):
        metrics.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(ValueError, match="Could not locate the metric function 'nofn'"):
        metrics.deserialize({"module": "builtins", "class_name": "function", "config": "nofn"})


def test_name_tables_cover_keras_spellings():
    assert (
        ALL_OBJECTS_DICT["TopKCategoricalAccuracy"]
        is ALL_OBJECTS_DICT["top_k_categorical_accuracy"]
    )
    assert ALL_OBJECTS_DICT["auc"] is ALL_OBJECTS_DICT["AUC"] is metrics.AUC
    assert set(FUNCTIONS) >= {
        "binary_accuracy",
        "sparse_categorical_accuracy",
        "mean_absolute_error",
    }
