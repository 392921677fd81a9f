import jax
import jax.numpy as jnp
import numpy as np
import pytest

from heft import _config
from heft.losses import Loss
from heft.losses._loss import (
    apply_mask,
    convert_structure,
    reduce_values,
    reduce_weighted_values,
    standardize_reduction,
)


class AbsoluteError(Loss):
    def call(self, y_true, y_pred):
        return jnp.abs(y_true - y_pred)


class MeanOverLastAxis(Loss):
    def call(self, y_true, y_pred):
        return jnp.mean(jnp.abs(y_true - y_pred), axis=-1)


class MaskedArray(np.ndarray):
    """A numpy array carrying a Keras mask, as masking layers attach one."""


Y_TRUE = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]], "float32")
Y_PRED = np.array([[1.0, 1.0], [2.0, 5.0], [1.0, 5.0]], "float32")
PER_SAMPLE = np.abs(Y_TRUE - Y_PRED).mean(-1)  # [0.5, 1.0, 1.5]


def test_loss_defaults_name_reduction_dtype():
    loss = AbsoluteError()
    assert loss.name == "absolute_error"
    assert AbsoluteError().name == "absolute_error_1"
    assert loss.reduction == "sum_over_batch_size"
    assert loss.dtype == "float32"
    assert loss.get_config() == {"name": "absolute_error", "reduction": "sum_over_batch_size"}


def test_loss_dtype_from_policy_and_floatx(monkeypatch):
    assert MeanOverLastAxis(dtype="mixed_bfloat16").dtype == "bfloat16"
    monkeypatch.setattr(_config, "_FLOATX", "float16")
    assert MeanOverLastAxis().dtype == "float16"


def test_loss_from_config_round_trip():
    loss = MeanOverLastAxis.from_config({"name": "m", "reduction": "sum"})
    assert (loss.name, loss.reduction) == ("m", "sum")


def test_loss_reductions_closed_form():
    for reduction, expected in [
        ("sum_over_batch_size", PER_SAMPLE.mean()),
        ("mean", PER_SAMPLE.mean()),
        ("sum", PER_SAMPLE.sum()),
        ("mean_with_sample_weight", PER_SAMPLE.mean()),
    ]:
        out = MeanOverLastAxis(reduction=reduction)(Y_TRUE, Y_PRED)
        assert out.shape == ()
        assert float(out) == pytest.approx(expected, rel=1e-6)
    for reduction in ("none", None):
        out = MeanOverLastAxis(reduction=reduction)(Y_TRUE, Y_PRED)
        np.testing.assert_allclose(np.asarray(out), PER_SAMPLE, rtol=1e-6)


def test_loss_sample_weight_per_sample():
    w = np.array([1.0, 0.0, 2.0], "float32")
    weighted = PER_SAMPLE * w
    loss = MeanOverLastAxis()
    assert float(loss(Y_TRUE, Y_PRED, sample_weight=w)) == pytest.approx(weighted.sum() / 3)
    loss = MeanOverLastAxis(reduction="mean_with_sample_weight")
    assert float(loss(Y_TRUE, Y_PRED, sample_weight=w)) == pytest.approx(weighted.sum() / 3.0)
    loss = MeanOverLastAxis(reduction="sum")
    assert float(loss(Y_TRUE, Y_PRED, sample_weight=w[:, None])) == pytest.approx(weighted.sum())
    out = MeanOverLastAxis(reduction=None)(Y_TRUE, Y_PRED, sample_weight=w)
    np.testing.assert_allclose(np.asarray(out), weighted, rtol=1e-6)


def test_loss_sample_weight_scalar_and_elementwise():
    loss = AbsoluteError(reduction="sum")
    full = np.abs(Y_TRUE - Y_PRED)
    assert float(loss(Y_TRUE, Y_PRED, sample_weight=2.0)) == pytest.approx(2 * full.sum())
    w = np.arange(6, dtype="float32").reshape(3, 2)
    assert float(loss(Y_TRUE, Y_PRED, sample_weight=w)) == pytest.approx((w * full).sum())
    column = np.array([[1.0], [2.0], [3.0]], "float32")
    assert float(loss(Y_TRUE, Y_PRED, sample_weight=column)) == pytest.approx((column * full).sum())


def test_loss_mean_with_sample_weight_divides_by_weight_sum():
    loss = MeanOverLastAxis(reduction="mean_with_sample_weight")
    w = np.array([0.5, 0.5, 3.0], "float32")
    expected = (PER_SAMPLE * w).sum() / w.sum()
    assert float(loss(Y_TRUE, Y_PRED, sample_weight=w)) == pytest.approx(expected, rel=1e-6)
    zero = np.zeros(3, "float32")
    assert float(loss(Y_TRUE, Y_PRED, sample_weight=zero)) == 0.0


def test_loss_sample_weight_mismatch_errors():
    loss = MeanOverLastAxis()
    with pytest.raises(TypeError, match=r"`sample_weight` of shape \(4,\) cannot be broadcast"):
        loss(Y_TRUE, Y_PRED, sample_weight=np.ones(4))
    values_3d = np.zeros((3, 2, 5), "float32")
    with pytest.raises(ValueError, match=r"Pass one weight per sample \(shape \(3,\)\)"):
        MeanOverLastAxis()(values_3d, values_3d, sample_weight=np.ones(3))


def test_loss_casts_inputs_to_its_dtype():
    seen = {}

    class Recorder(Loss):
        def call(self, y_true, y_pred):
            seen["dtypes"] = (y_true.dtype, y_pred.dtype)
            return y_pred

    out = Recorder(dtype="bfloat16")(np.array([1, 2]), np.array([1.0, 2.0], "float64"))
    assert seen["dtypes"] == (jnp.bfloat16, jnp.bfloat16)
    assert out.dtype == jnp.bfloat16


def test_loss_structures_are_converted_leafwise():
    class SumOfParts(Loss):
        def call(self, y_true, y_pred):
            return jnp.abs(y_true["a"] - y_pred["a"]) + jnp.abs(y_true["b"] - y_pred["b"])

    loss = SumOfParts(reduction="sum")
    y_true = {"a": np.array([1.0, 2.0]), "b": np.array([0.0, 0.0])}
    y_pred = {"a": np.array([0.0, 0.0]), "b": np.array([1.0, 1.0])}
    assert float(loss(y_true, y_pred)) == pytest.approx(5.0)


def test_convert_structure_nested_numbers_are_one_tensor():
    out = convert_structure([[0.0, 1.0], [2.0, 3.0]], "float32")
    assert out.shape == (2, 2)
    parts = convert_structure([np.zeros(2), np.ones(3)], "float32")
    assert isinstance(parts, list) and [p.shape for p in parts] == [(2,), (3,)]


def test_loss_keras_mask_on_predictions_limits_the_mean():
    y_pred = Y_PRED.view(MaskedArray)
    y_pred._keras_mask = np.array([True, False, True])
    out = MeanOverLastAxis()(Y_TRUE, y_pred)
    assert float(out) == pytest.approx((0.5 + 1.5) / 2)
    out = MeanOverLastAxis(reduction="sum")(Y_TRUE, y_pred, sample_weight=np.array([2.0, 1.0, 1.0]))
    assert float(out) == pytest.approx(2 * 0.5 + 1.5)


def test_apply_mask_weights_valid_entries_for_means():
    mask = jnp.array([1.0, 0.0, 1.0, 1.0])
    out = apply_mask(None, mask, jnp.float32, "sum_over_batch_size")
    np.testing.assert_allclose(np.asarray(out), [4 / 3, 0.0, 4 / 3, 4 / 3], rtol=1e-6)
    out = apply_mask(jnp.full((4,), 2.0), mask, jnp.float32, "sum")
    np.testing.assert_allclose(np.asarray(out), [2.0, 0.0, 2.0, 2.0])
    assert apply_mask(None, None, jnp.float32, "sum") is None


def test_reduce_values_scalar_and_empty_pass_through():
    assert float(reduce_values(jnp.asarray(3.0), reduction="sum")) == 3.0
    assert reduce_values(jnp.zeros((0,)), reduction="sum").shape == (0,)
    assert float(reduce_values(jnp.zeros((0, 3)))) == 0.0


def test_reduce_weighted_values_empty_batch_is_zero_not_nan():
    out = reduce_weighted_values(
        jnp.zeros((0, 2)), sample_weight=jnp.zeros((0, 2)), dtype="float32"
    )
    assert float(out) == 0.0


def test_standardize_reduction_rejects_unknown_names():
    assert standardize_reduction(None) is None
    with pytest.raises(
        ValueError, match=r"Invalid value for argument `reduction`.*reduction='avg'"
    ):
        standardize_reduction("avg")
    with pytest.raises(ValueError, match=r"Received: reduction=\['sum'\]"):
        MeanOverLastAxis(reduction=["sum"])


def test_loss_base_call_not_implemented():
    with pytest.raises(
        NotImplementedError, match=r"Loss does not implement `call\(y_true, y_pred\)`"
    ):
        Loss()(Y_TRUE, Y_PRED)


def test_loss_works_under_jit_and_grad():
    loss = MeanOverLastAxis()

    @jax.jit
    def value_and_grad(y_pred, w):
        return jax.value_and_grad(lambda p: loss(Y_TRUE, p, sample_weight=w))(y_pred)

    y_pred = Y_PRED + 0.5  # no ties, where |x| has no derivative
    value, grad = value_and_grad(y_pred, np.ones(3, "float32"))
    assert float(value) == pytest.approx(np.abs(Y_TRUE - y_pred).mean())
    expected = np.sign(y_pred - Y_TRUE) / 6.0
    np.testing.assert_allclose(np.asarray(grad), expected, rtol=1e-6)
