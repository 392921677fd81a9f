"""Layers and models pickle as their ``.keras`` archive, as in Keras 3 (multiprocessing, sklearn)."""

import copy
import pickle

import numpy as np

import heft


@heft.saving.register_keras_serializable(package="heft_tests")
class Scale(heft.layers.Layer):
    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def call(self, x):
        return x * self.scale


def _trained():
    x = heft.Input((3,), name="x")
    y = heft.layers.Dense(2, name="head")(Scale(name="scale")(x))
    model = heft.Model(x, y)
    model.compile("adam", "mse")
    model.fit(np.ones((8, 3), "float32"), np.zeros((8, 2), "float32"), epochs=2, verbose=0)
    return model


def test_a_trained_model_pickles_with_weights_optimizer_and_compile_state():
    model = _trained()
    again = pickle.loads(pickle.dumps(model))
    assert type(again) is type(model) and again is not model
    assert [w.path for w in again.weights] == [w.path for w in model.weights]
    for a, b in zip(again.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert int(again.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy()) == 2
    data = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(again.predict(data, verbose=0), model.predict(data, verbose=0))
    again.fit(data, np.zeros((2, 2), "float32"), verbose=0)  # compiled: it trains on


def test_layers_and_deepcopy_go_through_the_archive_and_share_nothing():
    layer = heft.layers.Dense(4, name="d")
    layer.build((None, 2))
    twin = copy.deepcopy(layer)
    np.testing.assert_array_equal(twin.kernel.numpy(), layer.kernel.numpy())
    twin.kernel.assign(np.zeros((2, 4)))
    assert layer.kernel.numpy().any()  # the copy has its own variables
    model = _trained()
    nested = pickle.loads(pickle.dumps({"models": [model], "step": 3}))
    assert nested["step"] == 3
    np.testing.assert_array_equal(
        nested["models"][0].get_layer("scale").scale.numpy(), model.get_layer("scale").scale.numpy()
    )
