"""EinsumDense: equation parsing, weight shapes, bias axes, activation, errors."""

import numpy as np
import pytest

import heft
from heft.layers import EinsumDense
from heft.layers._einsum_dense import analyze_einsum


def test_einsum_dense_as_dense_matches_matmul():
    layer = EinsumDense("ab,bc->ac", output_shape=4, bias_axes="c", bias_initializer="ones")
    x = np.random.default_rng(0).normal(size=(2, 3)).astype("float32")
    out = layer(x)
    assert [w.path for w in layer.weights] == ["einsum_dense/kernel", "einsum_dense/bias"]
    np.testing.assert_allclose(np.asarray(out), x @ layer.kernel.numpy() + 1.0, rtol=1e-6)


@pytest.mark.parametrize(
    ("equation", "output_shape", "bias_axes", "input_shape", "kernel", "bias", "out"),
    [
        ("abc,cde->abde", (None, 2, 4), "de", (2, 3, 5), (5, 2, 4), (2, 4), (2, None, 2, 4)),
        ("abc,cd->abd", (3, 4), "bd", (2, 3, 5), (5, 4), (3, 4), (2, 3, 4)),
        ("abc,cd->abd", (3, 4), "b", (2, 3, 5), (5, 4), (3, 1), (2, 3, 4)),
        ("...b,bc->...c", 4, "c", (2, 7, 6, 5), (5, 4), (4,), (2, 7, 6, 4)),
        ("ab...,bc->ac...", 4, "c", (2, 5, 6, 7), (5, 4), (4, 1, 1), (2, 4, 6, 7)),
        ("abcd,cde->abe", (None, 3), None, (2, 4, 2, 5), (2, 5, 3), None, (2, None, 3)),
    ],
)
def test_einsum_dense_weight_and_output_shapes(
    equation, output_shape, bias_axes, input_shape, kernel, bias, out
):
    layer = EinsumDense(equation, output_shape, bias_axes=bias_axes)
    layer.build(input_shape)
    assert tuple(layer.kernel.shape) == kernel
    assert (None if layer.bias is None else tuple(layer.bias.shape)) == bias
    assert layer.compute_output_shape(input_shape) == out
    y = layer(np.ones(input_shape, "float32"))
    assert y.shape == tuple(input_shape[i] if d is None else d for i, d in enumerate(out))


def test_einsum_dense_activation_and_symbolic_shape():
    layer = EinsumDense("abc,cd->abd", (None, 3), activation="relu", bias_axes="d")
    out = layer(np.full((2, 4, 5), -1.0, "float32"))
    assert float(np.asarray(out).min()) >= 0.0
    inputs = heft.Input((4, 5))
    # As in Keras, a None in `output_shape` stays unknown in the symbolic shape.
    assert EinsumDense("abc,cd->abd", (None, 3))(inputs).shape == (None, None, 3)
    assert EinsumDense("abc,cd->abd", (4, 3))(inputs).shape == (None, 4, 3)


def test_einsum_dense_kernel_initializer_uses_equation_fans():
    layer = EinsumDense("abc,cde->abde", (None, 8, 16), kernel_initializer="glorot_uniform")
    layer.build((1, 3, 64))
    # fan_in = 64 and fan_out = 8 * 16 (not the 2D fans of the last two axes).
    limit = np.sqrt(6.0 / (64 + 128))
    values = layer.kernel.numpy()
    assert np.abs(values).max() <= limit
    assert np.abs(values).max() > 0.8 * limit
    assert layer.get_config()["kernel_initializer"]["config"]["input_axes"] is None


def test_einsum_dense_config_round_trip():
    layer = EinsumDense(
        "abc,cd->abd",
        (None, 4),
        bias_axes="d",
        activation="tanh",
        kernel_regularizer="l2",
        name="proj",
    )
    config = layer.get_config()
    assert config["output_shape"] == (None, 4)
    assert config["equation"] == "abc,cd->abd"
    assert config["quantization_config"] is None
    clone = EinsumDense.from_config(config)
    assert clone.get_config() == config


def test_einsum_dense_kernel_before_build_raises():
    with pytest.raises(AttributeError, match="not built yet"):
        _ = EinsumDense("ab,bc->ac", 4).kernel


@pytest.mark.parametrize("equation", ["ab,bc", "ab,bc->ac,", "a...b,bc->ac", "ab->b", 7])
def test_einsum_dense_bad_equation_names_it(equation):
    with pytest.raises(ValueError, match="Invalid einsum equation"):
        EinsumDense(equation, 4)


def test_einsum_dense_rejects_lora_and_quantization():
    with pytest.raises(ValueError, match="lora_rank"):
        EinsumDense("ab,bc->ac", 4, lora_rank=2)


def test_einsum_dense_rejects_bad_bias_axes_and_output_shape():
    with pytest.raises(ValueError, match="bias_axes"):
        EinsumDense("ab,bc->ac", 4, bias_axes=1)
    with pytest.raises(ValueError, match="output_shape"):
        EinsumDense("ab,bc->ac", 4.5)


@pytest.mark.parametrize(
    ("equation", "output_shape", "bias_axes", "input_shape", "match"),
    [
        ("abc,cd->abd", (None, 4), None, (2, 5), "input has rank 2"),
        ("abc,cd->abd", (4,), None, (2, 3, 5), "needs 2 size"),
        ("abc,cd->abd", (7, 4), None, (2, 3, 5), "shared dimension 'b'"),
        ("ab,bc->acx", (4, 2), None, (2, 3), "Dimension 'x'"),
        ("ab,bcx->ac", 4, None, (2, 3), "Weight dimension 'x'"),
        ("ab,bc->ac", 4, None, (2, None), "kernel dimension 'b'"),
        ("ab,bc->ac", 4, "x", (2, 3), "Bias dimension 'x'"),
        ("abc,cd->abd", (None, 4), "b", (2, 3, 5), "bias axis"),
    ],
)
def test_einsum_dense_shape_errors_name_the_equation(
    equation, output_shape, bias_axes, input_shape, match
):
    layer = EinsumDense(equation, output_shape, bias_axes=bias_axes, name="proj")
    with pytest.raises(ValueError, match=match) as info:
        layer.build(input_shape)
    assert repr(equation) in str(info.value)
    assert "'proj'" in str(info.value)
    assert not layer.built
    assert layer.weights == []


def test_einsum_dense_kernel_axis_shared_with_input_takes_its_size():
    layer = EinsumDense("abc,bcd->abd", (None, 3))
    layer.build((2, 4, 5))
    assert tuple(layer.kernel.shape) == (4, 5, 3)
    assert layer(np.ones((2, 4, 5), "float32")).shape == (2, 4, 3)


def test_analyze_einsum_reports_fan_axes():
    shapes = analyze_einsum("abc,cde->abde", "de", (None, 3, 5), (None, 2, 4))
    assert shapes.kernel_shape == (5, 2, 4)
    assert shapes.input_axes == [0]
    assert shapes.output_axes == [1, 2]
