"""Tests for weights made from a layer's own initializer, regularizer and constraint arguments."""

import numpy as np
import pytest

from heft import constraints, layers, regularizers
from heft.layers._configured import configured_weight, optional_bias


@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.Dense(2),
        lambda: layers.Conv2D(2, 3),
        lambda: layers.Conv1DTranspose(2, 3),
        lambda: layers.DepthwiseConv2D(3),
        lambda: layers.EinsumDense("ab,bc->ac", output_shape=4),
    ],
)
def test_kernel_before_build_says_how_to_build(make):
    layer = make()
    name = type(layer).__name__
    with pytest.raises(
        AttributeError, match=rf"{name} layer '.*' is not built yet, so it has no `kernel`"
    ):
        _ = layer.kernel


def test_configured_weight_uses_the_layers_arguments_of_its_kind():
    layer = layers.Dense(
        2,
        bias_initializer="ones",
        bias_regularizer=regularizers.L2(0.5),
        bias_constraint=constraints.NonNeg(),
    )
    weight = configured_weight(layer, "extra", (3,), "bias")
    np.testing.assert_array_equal(weight.numpy(), np.ones(3, "float32"))
    assert weight.constraint is layer.bias_constraint
    assert weight.regularizer is layer.bias_regularizer
    custom = configured_weight(layer, "other", (2,), "kernel", initializer="zeros")
    np.testing.assert_array_equal(custom.numpy(), np.zeros(2, "float32"))
    assert [w.path for w in layer.weights] == ["dense/extra", "dense/other"]


def test_optional_bias_follows_use_bias_and_the_shape():
    assert optional_bias(layers.Dense(2, use_bias=False), (2,)) is None
    assert optional_bias(layers.Dense(2), None) is None
    assert optional_bias(layers.Dense(2), (2,)).shape == (2,)
