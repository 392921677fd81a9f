"""Layers and models built in Keras 3 and in heft: weight lists, configs and outputs compared."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import json
import warnings

import keras
import numpy as np
import pytest

import heft

LISTS = (
    "weights",
    "trainable_weights",
    "non_trainable_weights",
    "variables",
    "trainable_variables",
    "non_trainable_variables",
)


# ---------------------------------------------------------------------------- helpers
def _both(build):
    """Run ``build(K)`` with Keras (names reset by clear_session) and then with heft.

    heft's names are reset before each test by the conftest fixture, so both
    libraries hand out the same automatic names.
    """
    keras.backend.clear_session(free_memory=False)
    with warnings.catch_warnings():
        # Keras warns about `input_shape=` on a layer; the seed programs pass it.
        warnings.simplefilter("ignore")
        k = build(keras)
    h = build(heft)
    return k, h


def _describe(obj):
    """Everything the weight lists say about ``obj``, in a comparable form."""
    out = {}
    for name in LISTS:
        out[name] = [
            (v.path, tuple(v.shape), str(v.dtype), bool(v.trainable)) for v in getattr(obj, name)
        ]
    out["trainable"] = bool(obj.trainable)
    out["built"] = bool(obj.built)
    if obj.built:
        out["count_params"] = int(obj.count_params())
    return out


def _assert_same(k, h):
    dk, dh = _describe(k), _describe(h)
    for key in dk:
        assert dh[key] == dk[key], key


def _x(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _copy_and_compare(k, h, x, rtol=1e-6, atol=1e-6, **call_kwargs):
    h.set_weights(k.get_weights())
    for a, b in zip(k.get_weights(), h.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(
        np.asarray(h(x, **call_kwargs)), np.asarray(k(x, **call_kwargs)), rtol=rtol, atol=atol
    )


def _toggle_and_compare(k, h, sub):
    """Freeze and unfreeze the whole object and one sublayer, comparing at each step."""
    for target in (lambda m: m, sub):
        target(k).trainable = False
        target(h).trainable = False
        _assert_same(k, h)
        target(k).trainable = True
        target(h).trainable = True
        _assert_same(k, h)
    sub(k).trainable = False
    sub(h).trainable = False
    k.trainable = True
    h.trainable = True
    _assert_same(k, h)


def _normalize_config(config):
    """JSON form with floats to 6 significant digits (Keras stores float32-rounded values)."""

    def fix(value):
        if isinstance(value, float):
            return float(f"{value:.6g}")
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value

    return fix(json.loads(json.dumps(config)))


# ---------------------------------------------------------------------------- custom layers
def _classes(K):
    """The same custom layer classes written against ``K`` (keras or heft)."""

    class CustomLayer(K.layers.Layer):
        # The add_weight seed program's layer: weights made in __init__, no names.
        def __init__(self, units=32, input_dim=32):
            super().__init__()
            self.w = self.add_weight(
                shape=(input_dim, units), initializer="random_normal", trainable=True
            )
            self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

        def call(self, inputs):
            return K.ops.matmul(inputs, self.w) + self.b

    class InitAndBuild(K.layers.Layer):
        # Trainable, non-trainable and int weights, some in __init__ and some in build.
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.counter = self.add_weight(
                shape=(), dtype="int32", initializer="zeros", trainable=False, name="counter"
            )
            self.scale = self.add_weight(shape=(units,), initializer="ones", name="scale")

        def build(self, input_shape):
            self.stat = self.add_weight(
                shape=(self.units,), initializer="zeros", trainable=False, name="stat"
            )
            self.kernel = self.add_weight(
                shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="kernel"
            )
            self.flag = self.add_weight(shape=(2,), dtype="bool", name="flag")

        def call(self, x):
            return K.ops.matmul(x, self.kernel) * self.scale + self.stat

    class Nested(K.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.first = InitAndBuild(4, name="first")
            self.second = K.layers.Dense(2, name="second")

        def call(self, x):
            return self.second(self.first(x))

    class BuildOnly(K.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

        def call(self, x):
            return x * self.w

    class Deep(K.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.own = self.add_weight(shape=(1,), initializer="ones", name="own")
            self.middle = Nested(name="middle")
            self.leaf = BuildOnly(name="leaf")

        def call(self, x):
            return self.leaf(self.middle(x)) * self.own

    class Containers(K.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.blocks = [K.layers.Dense(3, name="block0")]
            self.blocks.append(K.layers.Dense(3, name="block1"))
            self.heads = {"left": K.layers.Dense(2, name="left")}
            self.heads["right"] = K.layers.Dense(2, name="right", trainable=False)
            self.extras = (BuildOnly(name="extra"),)

        def call(self, x):
            for block in self.blocks:
                x = block(x)
            x = self.extras[0](x)
            return self.heads["left"](x) + self.heads["right"](x)

    class Subclassed(K.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = K.layers.Dense(4, activation="relu")
            self.drop = K.layers.Dropout(0.5, seed=3)
            self.out = K.layers.Dense(2)
            self.bias = self.add_weight(shape=(2,), initializer="zeros", name="bias")

        def call(self, x, training=False):
            return self.out(self.drop(self.dense(x), training=training)) + self.bias

    return {
        "CustomLayer": CustomLayer,
        "InitAndBuild": InitAndBuild,
        "Nested": Nested,
        "BuildOnly": BuildOnly,
        "Deep": Deep,
        "Containers": Containers,
        "Subclassed": Subclassed,
    }


# ---------------------------------------------------------------------------- seed models
def _weight_property_seed(K):
    return K.Sequential(
        [
            K.layers.Dense(64, input_shape=(784,), activation="relu"),
            K.layers.Dense(10, activation="softmax"),
        ]
    )


def _add_weight_seed(K):
    CustomLayer = _classes(K)["CustomLayer"]
    return K.Sequential(
        [CustomLayer(64, input_dim=784), K.layers.Activation("relu"), K.layers.Dense(10)]
    )


def test_interop_weight_property_seed_model():
    k, h = _both(_weight_property_seed)
    _assert_same(k, h)
    assert _describe(h)["weights"][0][0] == "sequential/dense/kernel"
    assert [w.path for w in h.layers[0].weights] == [w.path for w in k.layers[0].weights]
    _toggle_and_compare(k, h, lambda m: m.layers[0])
    _copy_and_compare(k, h, _x((4, 784)))


def test_interop_weight_property_seed_set_weights_on_first_layer():
    k, h = _both(_weight_property_seed)
    for model in (k, h):
        first = model.layers[0]
        kernel = np.ones_like(first.weights[0].numpy())
        first.set_weights([kernel, first.weights[1].numpy()])
    h.layers[1].set_weights(k.layers[1].get_weights())
    np.testing.assert_array_equal(h.layers[0].weights[0].numpy(), k.layers[0].weights[0].numpy())
    x = _x((3, 784))
    np.testing.assert_allclose(np.asarray(h(x)), np.asarray(k(x)), rtol=1e-6, atol=1e-7)


def test_interop_add_weight_seed_model_before_and_after_call():
    k, h = _both(_add_weight_seed)
    _assert_same(k, h)
    x = _x((2, 784))
    k(x)
    h(x)
    _assert_same(k, h)
    _toggle_and_compare(k, h, lambda m: m.layers[0])
    _copy_and_compare(k, h, x, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------- custom layers
def test_interop_custom_layer_weights_in_init_and_build():
    def build(K):
        return _classes(K)["InitAndBuild"](3, name="lay")

    k, h = _both(build)
    _assert_same(k, h)
    x = _x((2, 5))
    k(x)
    h(x)
    _assert_same(k, h)
    _toggle_and_compare(k, h, lambda m: m)
    _copy_and_compare(k, h, x)


def test_interop_custom_layer_unnamed_weights():
    def build(K):
        layer = _classes(K)["CustomLayer"](4, input_dim=3)
        layer.extra = layer.add_weight(shape=(2,))
        return layer

    k, h = _both(build)
    _assert_same(k, h)


def test_interop_nested_layers():
    def build(K):
        return _classes(K)["Nested"](name="outer")

    k, h = _both(build)
    _assert_same(k, h)
    x = _x((2, 3))
    k(x)
    h(x)
    _assert_same(k, h)
    _toggle_and_compare(k, h, lambda m: m.first)
    _copy_and_compare(k, h, x)


def test_interop_deeply_nested_layers():
    def build(K):
        return _classes(K)["Deep"](name="deep")

    k, h = _both(build)
    x = _x((2, 3))
    k(x)
    h(x)
    _assert_same(k, h)
    _toggle_and_compare(k, h, lambda m: m.middle)
    _copy_and_compare(k, h, x)


def test_interop_layers_in_lists_dicts_and_tuples():
    def build(K):
        return _classes(K)["Containers"](name="containers")

    k, h = _both(build)
    _assert_same(k, h)
    x = _x((2, 4))
    k(x)
    h(x)
    _assert_same(k, h)
    _toggle_and_compare(k, h, lambda m: m.heads["left"])
    _copy_and_compare(k, h, x)


def test_interop_subclassed_model():
    def build(K):
        return _classes(K)["Subclassed"](name="m")

    k, h = _both(build)
    _assert_same(k, h)
    x = _x((3, 5))
    k(x)
    h(x)
    _assert_same(k, h)
    _toggle_and_compare(k, h, lambda m: m.dense)
    _copy_and_compare(k, h, x)


def test_interop_layer_frozen_at_construction():
    def build(K):
        layer = K.layers.Dense(3, trainable=False, name="frozen")
        layer.build((None, 2))
        return layer

    k, h = _both(build)
    _assert_same(k, h)
    k.trainable = True
    h.trainable = True
    _assert_same(k, h)


def test_interop_single_variable_toggle():
    def build(K):
        layer = _classes(K)["InitAndBuild"](3, name="lay")
        layer.build((None, 2))
        return layer

    k, h = _both(build)
    k.scale.trainable = False
    h.scale.trainable = False
    _assert_same(k, h)
    k.stat.trainable = True
    h.stat.trainable = True
    _assert_same(k, h)


# ---------------------------------------------------------------------------- Dense and Sequential
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"activation": "relu", "use_bias": False},
        {"activation": "softmax", "kernel_initializer": "ones", "bias_initializer": "ones"},
        {"kernel_regularizer": "l2", "bias_regularizer": "l1", "activity_regularizer": "l1"},
        {"kernel_constraint": "non_neg", "bias_constraint": "max_norm"},
    ],
)
def test_interop_dense(kwargs):
    def build(K):
        layer = K.layers.Dense(5, **kwargs)
        layer.build((None, 3))
        return layer

    k, h = _both(build)
    _assert_same(k, h)
    assert _normalize_config(h.get_config()) == _normalize_config(k.get_config())
    _copy_and_compare(k, h, _x((4, 3)))
    if kwargs.get("kernel_regularizer"):
        assert [float(v) for v in h.losses] == pytest.approx([float(v) for v in k.losses])


def test_interop_dense_config_loads_in_the_other_library():
    def build(K):
        return K.layers.Dense(4, activation="tanh", kernel_regularizer="l2", name="d")

    k, h = _both(build)
    from_keras = heft.layers.Dense.from_config(k.get_config())
    assert _normalize_config(from_keras.get_config()) == _normalize_config(k.get_config())
    from_heft = keras.layers.Dense.from_config(h.get_config())
    assert _normalize_config(from_heft.get_config()) == _normalize_config(k.get_config())


def test_interop_sequential_with_input_and_dropout():
    def build(K):
        return K.Sequential(
            [
                K.Input((6,)),
                K.layers.Dense(4, activation="relu"),
                K.layers.Dropout(0.5, seed=1),
                K.layers.Dense(2),
            ]
        )

    k, h = _both(build)
    _assert_same(k, h)
    assert "seed_generator/seed_generator_state" in [v.path for v in h.non_trainable_variables]
    _toggle_and_compare(k, h, lambda m: m.layers[0])
    _copy_and_compare(k, h, _x((3, 6)))


def test_interop_sequential_unbuilt_then_called():
    def build(K):
        return K.Sequential([K.layers.Dense(4), K.layers.Dense(2)])

    k, h = _both(build)
    _assert_same(k, h)
    x = _x((2, 3))
    k(x)
    h(x)
    _assert_same(k, h)
    _copy_and_compare(k, h, x)


def test_interop_sequential_add_and_pop():
    def build(K):
        model = K.Sequential()
        model.add(K.Input((3,)))
        model.add(K.layers.Dense(4))
        model.add(K.layers.Dense(5))
        model.add(K.layers.Dense(2))
        model.pop()
        return model

    k, h = _both(build)
    _assert_same(k, h)
    assert [layer.name for layer in h.layers] == [layer.name for layer in k.layers]


def test_interop_nested_sequential():
    def build(K):
        inner = K.Sequential([K.layers.Dense(3), K.layers.Dense(3)], name="inner")
        return K.Sequential([K.Input((2,)), inner, K.layers.Dense(1)], name="outer")

    k, h = _both(build)
    _assert_same(k, h)
    _toggle_and_compare(k, h, lambda m: m.layers[0])
    _copy_and_compare(k, h, _x((2, 2)))


def test_interop_sequential_with_custom_layers():
    def build(K):
        classes = _classes(K)
        return K.Sequential(
            [K.Input((3,)), classes["InitAndBuild"](4), classes["Nested"](), K.layers.Dense(1)]
        )

    k, h = _both(build)
    _assert_same(k, h)
    _toggle_and_compare(k, h, lambda m: m.layers[1])
    _copy_and_compare(k, h, _x((2, 3)))


def test_interop_seed_sequential_get_config():
    k, h = _both(_weight_property_seed)
    assert _normalize_config(h.get_config()) == _normalize_config(k.get_config())
    assert h.get_config()["build_input_shape"] == [None, 784]


def test_interop_sequential_config_equal():
    def build(K):
        return K.Sequential(
            [
                K.Input((5,)),
                K.layers.Dense(4, activation="relu", kernel_regularizer="l2"),
                K.layers.Dropout(0.25, seed=2),
                K.layers.Activation("softmax"),
            ],
            name="seq",
        )

    k, h = _both(build)
    assert _normalize_config(h.get_config()) == _normalize_config(k.get_config())
    clone = heft.Sequential.from_config(k.get_config())
    assert [layer.name for layer in clone.layers] == [layer.name for layer in k.layers]
    assert [tuple(v.shape) for v in clone.weights] == [tuple(v.shape) for v in k.weights]


def test_interop_sequential_config_with_flatten():
    # Keras builds Flatten on its first call, so its entry carries a build_config.
    def build(K):
        return K.Sequential([K.Input((2, 3)), K.layers.Flatten(), K.layers.Dense(2)])

    k, h = _both(build)
    assert _normalize_config(h.get_config()) == _normalize_config(k.get_config())


def test_interop_stateless_call_matches_keras():
    def build(K):
        return K.Sequential([K.Input((3,)), K.layers.Dense(2), K.layers.Dropout(0.5, seed=4)])

    k, h = _both(build)
    h.set_weights(k.get_weights())
    x = _x((4, 3))
    tk = [v.value for v in k.trainable_variables]
    nk = [v.value for v in k.non_trainable_variables]
    th = [v.value for v in h.trainable_variables]
    nh = [v.value for v in h.non_trainable_variables]
    out_k, new_k = k.stateless_call(tk, nk, x, training=True)
    out_h, new_h = h.stateless_call(th, nh, x, training=True)
    np.testing.assert_array_equal(np.asarray(new_h[0]), np.asarray(new_k[0]))
    np.testing.assert_allclose(np.asarray(out_h), np.asarray(out_k), rtol=1e-6)
