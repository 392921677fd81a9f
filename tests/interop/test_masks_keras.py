"""Masks flowing through layers, losses and metrics, side by side with Keras 3."""

import keras
import numpy as np

import heft


def _custom_layers(lib, ops):
    class ToFloat(lib.layers.Layer):
        def call(self, x):
            return ops.cast(x, "float32")[..., None] * ops.ones((4,), "float32")

        def compute_mask(self, x, previous_mask=None):
            return ops.not_equal(x, 0)

    class MaskedMean(lib.layers.Layer):
        def call(self, x, mask=None):
            m = ops.cast(mask, x.dtype)[..., None]
            return ops.sum(x * m, axis=1) / ops.sum(m, axis=1)

        def compute_mask(self, x, previous_mask=None):
            return None

    return ToFloat, MaskedMean


def _models(lib, ops):
    to_float, masked_mean = _custom_layers(lib, ops)
    inp = lib.Input((5,), dtype="int32")
    h = lib.layers.Dense(3, activation="tanh")(to_float()(inp))
    seq_out = lib.layers.Dense(2, name="per_step")(h)
    pooled = lib.layers.Dense(1, name="pooled")(masked_mean()(h))
    return lib.Model(inp, [seq_out, pooled])


def _data():
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 9, size=(16, 5))
    lengths = rng.integers(1, 6, size=16)
    ids[np.arange(5)[None, :] >= lengths[:, None]] = 0
    y_seq = rng.normal(size=(16, 5, 2)).astype("float32")
    y_pool = rng.normal(size=(16, 1)).astype("float32")
    return ids, y_seq, y_pool


def test_masks_keras_outputs_losses_and_training_match():
    k_model = _models(keras, keras.ops)
    h_model = _models(heft, heft.ops)
    h_model.set_weights(k_model.get_weights())
    ids, y_seq, y_pool = _data()
    for model in (k_model, h_model):
        model.compile(optimizer="sgd", loss=["mse", "mse"], metrics=[["mae"], []])
    k_out = k_model.predict(ids, verbose=0)
    h_out = h_model.predict(ids, verbose=0)
    for k, h in zip(k_out, h_out, strict=True):
        np.testing.assert_allclose(np.asarray(h), k, rtol=1e-5, atol=1e-6)
    k_eval = k_model.evaluate(ids, [y_seq, y_pool], verbose=0, return_dict=True)
    h_eval = h_model.evaluate(ids, [y_seq, y_pool], verbose=0, return_dict=True)
    assert set(k_eval) == set(h_eval)
    for key, value in k_eval.items():
        np.testing.assert_allclose(h_eval[key], value, rtol=1e-5, err_msg=key)
    k_hist = k_model.fit(ids, [y_seq, y_pool], batch_size=4, epochs=2, shuffle=False, verbose=0)
    h_hist = h_model.fit(ids, [y_seq, y_pool], batch_size=4, epochs=2, shuffle=False, verbose=0)
    for key, values in k_hist.history.items():
        np.testing.assert_allclose(h_hist.history[key], values, rtol=1e-5, err_msg=key)
    for k, h in zip(k_model.get_weights(), h_model.get_weights(), strict=True):
        np.testing.assert_allclose(h, k, rtol=1e-5, atol=1e-6)
