"""Bad model construction fails early, naming the layer, the input and the shapes."""

import numpy as np
import pytest

import heft
from heft import layers


class MatmulLayer(layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(5, 2))

    def call(self, x):
        return heft.ops.matmul(x, self.w)


def test_call_errors_custom_layer_failure_names_layer_and_arguments():
    with pytest.raises(
        TypeError, match=r"(?s)contracting dimensions.*layer 'bad_matmul'.*\(None, 4\)"
    ):
        MatmulLayer(name="bad_matmul")(heft.Input((4,)))


def test_call_errors_eager_failure_names_layer_and_array_shape():
    layer = MatmulLayer(name="eager_matmul")
    layer.build((None, 5))
    with pytest.raises(TypeError, match=r"(?s)layer 'eager_matmul'.*array\(shape=\(2, 4\)"):
        layer(np.zeros((2, 4), "float32"))


def test_call_errors_nested_failure_annotated_once_by_innermost_layer():
    inner = MatmulLayer(name="inner_matmul")

    class Outer(layers.Layer):
        def __init__(self):
            super().__init__(name="outer")
            self.inner = inner

        def call(self, x):
            return self.inner(x)

    with pytest.raises(TypeError) as info:
        Outer()(heft.Input((4,)))
    message = str(info.value)
    assert "inner_matmul" in message
    assert "'outer'" not in message


def test_call_errors_functional_shape_mismatch_between_layers():
    a = layers.Dense(3)(heft.Input((4,)))
    b = layers.Dense(2)(heft.Input((4,)))
    with pytest.raises(ValueError, match=r"Add.*\(None, 3\), \(None, 2\)"):
        layers.Add()([a, b])


def test_call_errors_input_without_shape():
    with pytest.raises(ValueError, match="shape"):
        heft.Input()


def test_call_errors_outputs_not_connected_to_inputs():
    a = heft.Input((4,))
    other = heft.Input((4,))
    with pytest.raises(ValueError, match="not among the model's inputs"):
        heft.Model(a, layers.Dense(2)(other))


def test_call_errors_wrong_rank_names_layer_and_shape():
    with pytest.raises(ValueError, match=r'layer "c2d".*ndim=4.*\(None, 4\)'):
        layers.Conv2D(3, 3, name="c2d")(heft.Input((4,)))


def test_call_errors_reused_layer_with_other_feature_size():
    dense = layers.Dense(3, name="shared")
    dense(heft.Input((4,)))
    with pytest.raises(ValueError, match=r'"shared".*value 4.*\(None, 5\)'):
        dense(heft.Input((5,)))


def test_call_errors_unknown_padding_and_data_format():
    with pytest.raises(ValueError, match="padding='foo'"):
        layers.Conv2D(3, 3, padding="foo")
    with pytest.raises(ValueError, match="data_format='nhwc'"):
        layers.Conv2D(3, 3, data_format="nhwc")
