"""Log names of compiled metrics (prefixes, repeats, weighted) as Keras 3 forms them."""

import keras
import numpy as np
import pytest

import heft


def _model(lib):
    inp = lib.Input((3,))
    a = lib.layers.Dense(1, name="a")(inp)
    b = lib.layers.Dense(1, name="b")(inp)
    return lib.Model(inp, [a, b])


@pytest.mark.parametrize(
    "metrics, weighted",
    [
        (["mae", "mae"], ["mae", "mse"]),
        ({"a": ["mae"], "b": ["mse", "mae"]}, {"b": ["mse"]}),
        ([["mae"], ["mae"]], [["mae"], ["mae"]]),
    ],
)
def test_metric_names_keras_log_keys_match(metrics, weighted):
    x = np.ones((4, 3), "float32")
    ys = [np.zeros((4, 1), "float32"), np.ones((4, 1), "float32")]
    keys = []
    for lib in (keras, heft):
        model = _model(lib)
        model.compile(optimizer="sgd", loss="mse", metrics=metrics, weighted_metrics=weighted)
        keys.append(list(model.evaluate(x, ys, verbose=0, return_dict=True)))
    assert sorted(keys[1]) == sorted(keys[0])


def test_metric_names_keras_user_metric_objects_keep_their_names():
    metric = heft.metrics.MeanAbsoluteError(name="err")
    model = _model(heft)
    model.compile(optimizer="sgd", loss="mse", metrics={"b": [metric]})
    logs = model.evaluate(
        np.ones((2, 3), "float32"),
        [np.zeros((2, 1)), np.zeros((2, 1))],
        verbose=0,
        return_dict=True,
    )
    assert "b_err" in logs
    assert metric.name == "err"
