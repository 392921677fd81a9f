"""Tests for the merging layers."""

import numpy as np
import pytest

import heft
from heft import layers


def _x(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


A, B, C = _x((2, 3)), _x((2, 3), 1), _x((2, 3), 2)


@pytest.mark.parametrize(
    ("cls", "expected"),
    [
        (layers.Add, A + B + C),
        (layers.Multiply, A * B * C),
        (layers.Average, (A + B + C) / 3),
        (layers.Maximum, np.maximum(np.maximum(A, B), C)),
        (layers.Minimum, np.minimum(np.minimum(A, B), C)),
    ],
)
def test_elementwise_merge_values(cls, expected):
    np.testing.assert_allclose(np.asarray(cls()([A, B, C])), expected, rtol=1e-6)


def test_subtract_takes_exactly_two_inputs():
    np.testing.assert_allclose(np.asarray(layers.Subtract()([A, B])), A - B, rtol=1e-6)
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Subtract()([A, B, C])


def test_merge_rejects_non_list_single_input_and_incompatible_shapes():
    with pytest.raises(ValueError, match="should be called on a list of inputs"):
        layers.Add()(A)
    with pytest.raises(ValueError, match="at least 2 inputs"):
        layers.Add()([A])
    with pytest.raises(ValueError, match="sizes 3 and 4 differ"):
        layers.Add()([A, _x((2, 4))])


def test_merge_build_receives_list_of_shapes_and_broadcasts():
    layer = layers.Multiply()
    layer.build([(None, 3, 4), (None, 1, 4)])
    assert layer.built
    assert layer.compute_output_shape([(None, 3, 4), (None, 1, 4)]) == (None, 3, 4)
    assert layers.Add().compute_output_shape([(None, 4), (4,)]) == (None, 4)


def test_concatenate_axis_shapes_and_errors():
    out = layers.Concatenate(axis=1)([_x((2, 3, 4)), _x((2, 5, 4))])
    assert out.shape == (2, 8, 4)
    layer = layers.Concatenate()
    assert layer.compute_output_shape([(None, 3, 4), (None, 3, None)]) == (None, 3, None)
    assert layer.get_config()["axis"] == -1
    with pytest.raises(ValueError, match="matching shapes except for the concatenation axis"):
        layer([_x((2, 3, 4)), _x((2, 5, 4))])
    with pytest.raises(ValueError, match="inputs of one rank"):
        layers.Concatenate(axis=3)([A, B])


def test_dot_values_shapes_and_normalize():
    out = np.asarray(layers.Dot(axes=1)([A, B]))
    np.testing.assert_allclose(out, (A * B).sum(1, keepdims=True), rtol=1e-5)
    x, y = _x((2, 3, 4)), _x((2, 4, 5))
    out = np.asarray(layers.Dot(axes=(2, 1))([x, y]))
    np.testing.assert_allclose(out, np.einsum("bij,bjk->bik", x, y), rtol=1e-5, atol=1e-6)
    cos = np.asarray(layers.Dot(axes=-1, normalize=True)([A, B]))[:, 0]
    expected = (A * B).sum(1) / np.linalg.norm(A, axis=1) / np.linalg.norm(B, axis=1)
    np.testing.assert_allclose(cos, expected, rtol=1e-5)
    assert layers.Dot(axes=(1, 2)).compute_output_shape([(None, 4), (None, 3, 4)]) == (None, 3)


def test_dot_rejects_bad_axes_and_shapes():
    with pytest.raises(TypeError, match="should be a list or an int"):
        layers.Dot(axes="1")
    with pytest.raises(ValueError, match="should contain two integers"):
        layers.Dot(axes=(1, 2, 3))
    with pytest.raises(ValueError, match="batch axis 0 cannot be summed"):
        layers.Dot(axes=0)([A, B])
    with pytest.raises(ValueError, match=r"axis values 3 \(at axis 1\) != 4"):
        layers.Dot(axes=1)([A, _x((2, 4))])
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Dot(axes=1)([A, B, C])


def test_merging_in_functional_model_with_two_inputs():
    i1, i2 = heft.Input((3,)), heft.Input((3,))
    added = layers.Add()([i1, i2])
    joined = layers.Concatenate()([added, layers.Dot(axes=1)([i1, i2])])
    assert tuple(joined.shape) == (None, 4)
    model = heft.Model([i1, i2], joined)
    out = np.asarray(model([A, B]))
    np.testing.assert_allclose(out[:, :3], A + B, rtol=1e-6)
    np.testing.assert_allclose(out[:, 3], (A * B).sum(1), rtol=1e-5)


def test_merge_subclass_without_combine_says_what_to_define():
    from heft.layers._merging import _Merge

    class Bare(_Merge):
        pass

    with pytest.raises(NotImplementedError, match=r"`Bare` must define `_combine` or override"):
        Bare()([np.ones((1, 2), "float32"), np.ones((1, 2), "float32")])
