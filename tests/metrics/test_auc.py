import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from heft.metrics import AUC
from heft.metrics._auc import AUCCurve, AUCSummationMethod

# With num_thresholds=3 (cuts just below 0, at 0.5 and just above 1) these give
# tp=[2, 1, 0], fp=[2, 0, 0], tn=[0, 2, 2], fn=[0, 1, 2].
Y_TRUE = [0, 0, 1, 1]
Y_PRED = [0.0, 0.5, 0.3, 0.9]


@pytest.mark.parametrize(
    "curve, method, expected",
    [
        ("ROC", "interpolation", 0.75),
        ("ROC", "minoring", 0.5),
        ("ROC", "majoring", 1.0),
        ("PR", "majoring", 1.0),
        ("PR", "minoring", 0.25),
        ("PR", "interpolation", (1.0 + 2.0 / 3.0 * math.log(4.0)) / 6.0 + 0.5),
        ("PRGAIN", "interpolation", 0.5),
        ("PRGAIN", "minoring", 0.0),
        ("PRGAIN", "majoring", 1.0),
    ],
)
def test_auc_hand_values_per_curve_and_summation(curve, method, expected):
    m = AUC(num_thresholds=3, curve=curve, summation_method=method)
    m.update_state(Y_TRUE, Y_PRED)
    assert float(m.result()) == pytest.approx(expected, rel=1e-6)


def test_auc_counts_and_thresholds():
    m = AUC(num_thresholds=3)
    m.update_state(Y_TRUE, Y_PRED)
    assert [v.numpy().tolist() for v in m.variables] == [[2, 1, 0], [2, 0, 0], [0, 2, 2], [0, 1, 2]]
    assert m.thresholds == [-1e-7, 0.5, 1.0 + 1e-7]
    assert [v.path for v in m.variables] == [
        "auc/true_positives",
        "auc/false_positives",
        "auc/true_negatives",
        "auc/false_negatives",
    ]


def test_auc_default_has_200_thresholds():
    m = AUC()
    assert len(m.thresholds) == 200 and m.variables[0].shape == (200,)
    assert m.thresholds[1] == pytest.approx(1.0 / 199.0)
    m.update_state([0, 1], [0.2, 0.8])
    assert float(m.result()) == pytest.approx(1.0)


def test_auc_sample_weights_and_accumulation_and_reset():
    m = AUC(num_thresholds=3)
    m.update_state(Y_TRUE, Y_PRED, sample_weight=[1.0, 1.0, 1.0, 0.0])
    assert float(m.result()) == 0.5
    m.update_state([1], [0.9])
    assert float(m.result()) == 0.75
    m.reset_state()
    assert float(m.result()) == 0.0
    assert all(v.numpy().sum() == 0 for v in m.variables)


def test_auc_from_logits_applies_sigmoid():
    logits = [-5.0, 0.1, -0.5, 3.0]
    m = AUC(num_thresholds=3, from_logits=True)
    m.update_state(Y_TRUE, logits)
    assert float(m.result()) == 0.5


def test_auc_explicit_thresholds_are_sorted_and_used():
    m = AUC(thresholds=[0.4])
    m.update_state(Y_TRUE, Y_PRED)
    assert m.num_thresholds == 3
    assert m.thresholds == [-1e-7, 0.4, 1.0 + 1e-7]
    assert float(m.result()) == 0.5
    assert AUC(thresholds=[0.7, 0.2]).thresholds[1:-1] == [0.2, 0.7]


def test_auc_multi_label_averages_labels():
    y_true = np.array([Y_TRUE, [1, 0, 0, 1]], "float32").T
    y_pred = np.array([Y_PRED, [0.9, 0.1, 0.2, 0.8]], "float32").T
    m = AUC(num_thresholds=3, multi_label=True)
    assert m.variables == []
    m.update_state(y_true, y_pred)
    assert m.variables[0].shape == (3, 2)
    assert float(m.result()) == pytest.approx((0.75 + 1.0) / 2)
    weighted = AUC(num_thresholds=3, multi_label=True, num_labels=2, label_weights=[1.0, 3.0])
    assert weighted.variables[0].shape == (3, 2)
    weighted.update_state(y_true, y_pred)
    assert float(weighted.result()) == pytest.approx((0.75 + 3.0) / 4.0)
    weighted.reset_state()
    assert float(weighted.result()) == 0.0


def test_auc_multi_label_pr_interpolation_averages_labels():
    y_true = np.array([Y_TRUE, Y_TRUE], "float32").T
    y_pred = np.array([Y_PRED, Y_PRED], "float32").T
    m = AUC(num_thresholds=3, multi_label=True, curve="PR")
    m.update_state(y_true, y_pred)
    assert float(m.result()) == pytest.approx(
        (1.0 + 2.0 / 3.0 * math.log(4.0)) / 6.0 + 0.5, rel=1e-6
    )


def test_auc_label_weights_weight_counts_when_not_multi_label():
    m = AUC(num_thresholds=3, label_weights=[1.0, 0.0])
    y_true = np.array([Y_TRUE, [1, 1, 1, 1]], "float32").T
    y_pred = np.array([Y_PRED, [0.0, 0.0, 0.0, 0.0]], "float32").T
    m.update_state(y_true, y_pred)
    assert float(m.result()) == 0.75


def test_auc_curve_and_summation_accept_enums_and_spellings():
    m = AUC(curve="pr", summation_method="Majoring")
    assert m.curve == AUCCurve.PR == "PR"
    assert m.summation_method == AUCSummationMethod.MAJORING == "majoring"
    assert AUC(curve=AUCCurve.PRGAIN).curve == "PRGAIN"
    assert AUC(summation_method=AUCSummationMethod.MINORING).summation_method == "minoring"


def test_auc_config_round_trip():
    m = AUC(num_thresholds=10, curve="PR", summation_method="minoring", name="a", from_logits=True)
    config = m.get_config()
    assert config == {
        "name": "a",
        "dtype": "float32",
        "num_thresholds": 10,
        "curve": "PR",
        "summation_method": "minoring",
        "multi_label": False,
        "num_labels": None,
        "label_weights": None,
        "from_logits": True,
    }
    assert AUC.from_config(config).get_config() == config
    explicit = AUC(thresholds=[0.3, 0.6], multi_label=True, num_labels=2, label_weights=[1.0, 2.0])
    config = explicit.get_config()
    assert config["thresholds"] == [0.3, 0.6] and config["label_weights"] == [1.0, 2.0]
    clone = AUC.from_config(config)
    assert clone.get_config() == config and clone.thresholds == explicit.thresholds
    assert m._direction == "up"


def test_auc_invalid_curve_raises():
    with pytest.raises(ValueError, match='Invalid AUC curve value: "ROCK"'):
        AUC(curve="ROCK")


def test_auc_invalid_summation_method_raises():
    with pytest.raises(ValueError, match='Invalid AUC summation method value: "trapezoid"'):
        AUC(summation_method="trapezoid")
    with pytest.raises(ValueError, match="Invalid AUC summation method"):
        AUC(summation_method="INTERPOLATION")


def test_auc_too_few_thresholds_raises():
    with pytest.raises(
        ValueError, match=r"`num_thresholds` must be an integer > 1\. Received: num_thresholds=1"
    ):
        AUC(num_thresholds=1)


def test_auc_num_labels_without_multi_label_raises():
    with pytest.raises(ValueError, match="`num_labels` is needed only when `multi_label` is True"):
        AUC(num_labels=3)


def test_auc_multi_label_needs_rank_2_predictions():
    m = AUC(multi_label=True)
    with pytest.raises(ValueError, match=r"must have rank 2 when `multi_label=True`. Found rank 1"):
        m.update_state([0, 1], [0.1, 0.9])
    with pytest.raises(ValueError, match="Found rank 3"):
        AUC(multi_label=True, num_labels=2)._build((1, 2, 3))


def test_auc_stateless_under_jit_traces_once():
    m = AUC(num_thresholds=3)
    traces = []

    @jax.jit
    def step(state, y_true, y_pred):
        traces.append(1)
        state = m.stateless_update_state(state, y_true, y_pred)
        return state, m.stateless_result(state)

    state = m.stateless_reset_state()
    state, result = step(state, jnp.asarray(Y_TRUE[:2]), jnp.asarray(Y_PRED[:2]))
    state, result = step(state, jnp.asarray(Y_TRUE[2:]), jnp.asarray(Y_PRED[2:]))
    assert float(result) == 0.75 and len(traces) == 1
    assert float(m.result()) == 0.0
    held = [*vars(m).values(), *(v.value for v in m.variables)]
    assert not any(isinstance(x, jax.core.Tracer) for x in held)
