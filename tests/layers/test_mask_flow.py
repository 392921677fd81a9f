"""Masks riding on tensors from layer to layer (``heft._masking`` and ``Layer.__call__``)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import heft
from heft import _masking, layers


class ToFloat(layers.Layer):
    """Integer ids to floats; id 0 is padding, masked out."""

    def call(self, x):
        return jnp.asarray(x, "float32")[..., None] * jnp.ones(4, "float32")

    def compute_mask(self, x, previous_mask=None):
        return jnp.not_equal(x, 0)


class MaskedMean(layers.Layer):
    """Mean over time of the unmasked steps; records the mask it received."""

    def call(self, x, mask=None):
        self.received = mask
        if mask is None:
            return x.mean(1)
        m = mask[..., None].astype(x.dtype)
        return (x * m).sum(1) / m.sum(1)

    def compute_mask(self, x, previous_mask=None):
        return None


IDS = np.array([[1, 2, 0], [3, 0, 0]])


def test_mask_flow_compute_mask_override_sets_supports_masking():
    assert ToFloat().supports_masking is True
    assert layers.Layer().supports_masking is False


def test_mask_flow_eager_mask_passes_through_dense_to_consumer():
    x = ToFloat()(IDS)
    np.testing.assert_array_equal(_masking.get_mask(x), IDS != 0)
    y = layers.Dense(3)(x)
    np.testing.assert_array_equal(_masking.get_mask(y), IDS != 0)
    pool = MaskedMean()
    out = pool(y)
    np.testing.assert_array_equal(pool.received, IDS != 0)
    expected = np.asarray(y)[0, :2].mean(0)
    np.testing.assert_allclose(np.asarray(out)[0], expected, rtol=1e-6)
    assert _masking.get_mask(out) is None


def test_mask_flow_explicit_mask_wins_over_carried_mask():
    x = ToFloat()(IDS)
    pool = MaskedMean()
    explicit = jnp.asarray([[True, False, False], [True, True, True]])
    pool(x, mask=explicit)
    np.testing.assert_array_equal(pool.received, explicit)


def test_mask_flow_layer_without_masking_support_warns_and_drops_mask():
    class Plain(layers.Layer):
        def call(self, x):
            return x * 2.0

    x = ToFloat()(IDS)
    with pytest.warns(UserWarning, match="does not support masking") as record:
        y = Plain(name="plain")(x)
    assert _masking.get_mask(y) is None
    assert record[0].filename == __file__  # the warning points at the call


def test_mask_flow_symbolic_outputs_carry_mask_specs():
    inp = heft.Input((3,), dtype="int32")
    h = ToFloat()(inp)
    spec = _masking.get_mask(h)
    assert spec is not None and spec.shape == (None, 3) and spec.dtype == "bool"


def test_mask_flow_functional_model_runs_masks_inside_jit():
    inp = heft.Input((3,), dtype="int32")
    pool = MaskedMean()
    out = layers.Dense(1)(pool(layers.Dense(2)(ToFloat()(inp))))
    model = heft.Model(inp, out)
    eager = np.asarray(model(IDS))
    np.testing.assert_array_equal(pool.received, IDS != 0)
    variables = [v.value for v in model.trainable_variables]
    jitted, _ = jax.jit(lambda t, x: model.stateless_call(t, [], x))(variables, IDS)
    np.testing.assert_allclose(np.asarray(jitted), eager, rtol=1e-6)


def test_mask_flow_sequential_passes_masks():
    pool = MaskedMean()
    model = heft.Sequential([ToFloat(), layers.Dense(2), pool])
    model(IDS)
    np.testing.assert_array_equal(pool.received, IDS != 0)


def test_mask_flow_masked_loss_ignores_padded_steps():
    inp = heft.Input((3,), dtype="int32")
    out = layers.Dense(2)(ToFloat()(inp))
    model = heft.Model(inp, out)
    model.compile(optimizer="sgd", loss="mse")
    y = np.zeros((2, 3, 2), "float32")
    loss = model.evaluate(IDS, y, verbose=0)
    pred = np.asarray(model.predict(IDS, verbose=0))
    valid = IDS != 0
    per_step = (pred**2).mean(-1)
    expected = per_step[valid].mean()
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
    assert not np.isclose(loss, per_step.mean())


def test_mask_flow_masks_survive_input_conversion():
    x = ToFloat()(IDS)
    layer = layers.Dense(2, dtype="float16")
    y = layer(x)
    assert y.dtype == jnp.float16
    np.testing.assert_array_equal(_masking.get_mask(y), IDS != 0)
