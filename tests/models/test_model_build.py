"""``build(input_shape)`` on subclassed models creates the sublayers' weights."""

import numpy as np
import pytest

import heft
from heft import layers


class TwoDense(heft.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.first = layers.Dense(4, name="first")
        self.second = layers.Dense(2, name="second")

    def call(self, x):
        return self.second(heft.ops.relu(self.first(x)))


def test_model_build_with_shape_creates_sublayer_weights():
    model = TwoDense(name="two")
    model.build((None, 3))
    assert model.built
    assert [w.path for w in model.weights] == [
        "two/first/kernel",
        "two/first/bias",
        "two/second/kernel",
        "two/second/bias",
    ]
    assert [tuple(w.shape) for w in model.weights] == [(3, 4), (4,), (4, 2), (2,)]


def test_model_build_then_call_matches_call_built_model():
    built = TwoDense(name="a")
    built.build((None, 3))
    called = TwoDense(name="b")
    x = np.ones((2, 3), "float32")
    called(x)
    called.set_weights(built.get_weights())
    np.testing.assert_allclose(np.asarray(built(x)), np.asarray(called(x)), rtol=1e-6)


def test_model_build_on_first_call_does_not_run_call_twice():
    calls = []

    class Counting(TwoDense):
        def call(self, x):
            calls.append(type(x).__name__)
            return super().call(x)

    Counting()(np.ones((1, 3), "float32"))
    assert len(calls) == 1


def test_model_build_with_unreadable_shape_says_what_is_expected():
    model = TwoDense(name="bad")
    with pytest.raises(ValueError, match=r"Cannot read the input shape 'three'.*layer 'bad'"):
        model.build("three")
    assert not model.built
