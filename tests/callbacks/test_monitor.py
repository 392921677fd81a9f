import numpy as np
import pytest

from heft.callbacks._monitor import MonitorCallback, check_mode


class Metric:
    def __init__(self, name, direction=None):
        self.name = name
        if direction:
            self._direction = direction


class Container:
    def __init__(self, metrics):
        self.name = "compile_metrics"
        self.metrics = metrics


class Model:
    def __init__(self, metrics):
        self.metrics = metrics


def _op(monitor, mode="auto", model=None):
    callback = MonitorCallback(monitor=monitor, mode=mode)
    callback.set_model(model)
    callback._set_monitor_op()
    return callback.monitor_op


@pytest.mark.parametrize(
    ("monitor", "expected"),
    [
        ("loss", np.less),
        ("val_loss", np.less),
        ("val_accuracy", np.greater),
        ("auc", np.greater),
        ("val_mae", np.less),
        ("output_a_loss", np.less),
        ("sparse_categorical_accuracy", np.greater),
    ],
)
def test_monitor_auto_mode_infers_direction_from_known_names(monitor, expected):
    assert _op(monitor) is expected


def test_monitor_auto_mode_reads_the_models_metric_directions():
    model = Model([Metric("loss"), Container([Metric("score", "up"), Metric("cost", "down")])])
    assert _op("val_score", model=model) is np.greater
    assert _op("cost", model=model) is np.less
    # The model's own metric wins over the name table.
    assert _op("accuracy", model=Model([Metric("accuracy", "down")])) is np.less


def test_monitor_explicit_modes():
    assert _op("whatever", mode="max") is np.greater
    assert _op("accuracy", mode="min") is np.less


def test_monitor_auto_mode_unknown_metric_raises():
    with pytest.raises(ValueError, match="cannot tell whether that metric should be minimized"):
        _op("val_custom_score")


def test_monitor_bad_mode_raises_instead_of_warning():
    with pytest.raises(ValueError, match=r"mode='maximum'.*not one of 'auto', 'min', 'max'"):
        MonitorCallback(mode="maximum")
    assert check_mode("X", "min") == "min"


def test_monitor_min_delta_shifts_towards_worse():
    minimizing = MonitorCallback(monitor="loss", min_delta=-0.1)
    minimizing._set_monitor_op()
    assert minimizing.min_delta == pytest.approx(-0.1)
    assert minimizing._is_improvement(0.89, 1.0)
    assert not minimizing._is_improvement(0.91, 1.0)
    assert minimizing._is_improvement(5.0, None)
    maximizing = MonitorCallback(monitor="acc", mode="max", min_delta=0.1)
    maximizing._set_monitor_op()
    maximizing._set_monitor_op()
    assert maximizing.min_delta == pytest.approx(0.1)
    assert maximizing._is_improvement(0.61, 0.5) and not maximizing._is_improvement(0.59, 0.5)


def test_monitor_compares_in_float32_like_keras():
    callback = MonitorCallback(monitor="loss")
    callback._set_monitor_op()
    # In float64 this is an improvement; Keras compares float32 tensors, so it is not.
    assert not callback._is_improvement(0.1 - 1e-10, 0.1)
    assert callback._is_improvement(0.1 - 1e-6, 0.1)
    assert not callback._is_improvement(float("nan"), 0.1)
