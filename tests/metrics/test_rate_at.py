import jax
import jax.numpy as jnp
import pytest

from heft import metrics

Y_TRUE = [0, 0, 0, 1, 1]
Y_PRED = [0.0, 0.3, 0.8, 0.3, 0.8]


@pytest.mark.parametrize(
    "cls, target, expected",
    [
        (metrics.SensitivityAtSpecificity, 0.5, 0.5),
        (metrics.SpecificityAtSensitivity, 0.5, 2.0 / 3.0),
        (metrics.PrecisionAtRecall, 0.5, 0.5),
        (metrics.RecallAtPrecision, 0.5, 1.0),
        (metrics.SensitivityAtSpecificity, 1.0, 0.0),
        (metrics.RecallAtPrecision, 0.9, 0.0),
    ],
)
def test_rate_at_hand_values(cls, target, expected):
    m = cls(target)
    m.update_state(Y_TRUE, Y_PRED)
    assert float(m.result()) == pytest.approx(expected)
    m.reset_state()
    assert float(m.result()) == 0.0


def test_rate_at_variables_and_thresholds():
    m = metrics.PrecisionAtRecall(0.3, num_thresholds=5)
    assert [v.path for v in m.variables] == [
        "precision_at_recall/true_positives",
        "precision_at_recall/false_positives",
        "precision_at_recall/true_negatives",
        "precision_at_recall/false_negatives",
    ]
    assert m.thresholds == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert metrics.PrecisionAtRecall(0.3, num_thresholds=1).thresholds == [0.5]


def test_rate_at_sample_weights_shift_the_constraint():
    m = metrics.SensitivityAtSpecificity(0.5)
    # Weighting the negative at 0.8 heavily makes specificity >= 0.5 need t >= 0.8.
    m.update_state(Y_TRUE, Y_PRED, sample_weight=[1.0, 1.0, 5.0, 1.0, 1.0])
    assert float(m.result()) == 0.0


def test_rate_at_class_id_uses_one_column():
    y_true = [[1, 0], [0, 1], [0, 1]]
    y_pred = [[0.9, 0.2], [0.1, 0.7], [0.8, 0.4]]
    m = metrics.RecallAtPrecision(1.0, class_id=0)
    m.update_state(y_true, y_pred)
    assert float(m.result()) == 1.0


@pytest.mark.parametrize(
    "cls, arg",
    [
        (metrics.SensitivityAtSpecificity, "specificity"),
        (metrics.SpecificityAtSensitivity, "sensitivity"),
        (metrics.PrecisionAtRecall, "recall"),
        (metrics.RecallAtPrecision, "precision"),
    ],
)
def test_rate_at_config_round_trip(cls, arg):
    m = cls(0.4, num_thresholds=10, class_id=2, name="r")
    assert m.get_config() == {
        "name": "r",
        "dtype": "float32",
        "class_id": 2,
        "num_thresholds": 10,
        arg: 0.4,
    }
    assert getattr(m, arg) == 0.4
    assert cls.from_config(m.get_config()).get_config() == m.get_config()


@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_rate_at_target_outside_unit_interval_raises(value):
    with pytest.raises(
        ValueError,
        match=rf"Argument `recall` must be in the range \[0, 1\]\. Received: recall={value}",
    ):
        metrics.PrecisionAtRecall(value)


def test_rate_at_non_positive_num_thresholds_raises():
    with pytest.raises(
        ValueError, match=r"`num_thresholds` must be an integer > 0\. Received: num_thresholds=0"
    ):
        metrics.SpecificityAtSensitivity(0.5, num_thresholds=0)


def test_rate_at_stateless_under_jit():
    m = metrics.SpecificityAtSensitivity(0.5)

    @jax.jit
    def run(y_true, y_pred):
        return m.stateless_result(
            m.stateless_update_state(m.stateless_reset_state(), y_true, y_pred)
        )

    assert float(run(jnp.asarray(Y_TRUE), jnp.asarray(Y_PRED))) == pytest.approx(2.0 / 3.0)
