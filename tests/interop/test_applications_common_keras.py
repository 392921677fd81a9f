"""The shared rules of heft.applications (input shapes, activations, padding, scaling) against Keras's."""

import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest
from keras.src.applications import imagenet_utils as keras_utils

import heft
from heft.applications import _common, imagenet_utils

# (input_shape, default_size, min_size, data_format, require_flatten, weights)
SHAPE_CASES = [
    (None, 224, 32, "channels_last", True, "imagenet"),
    (None, 224, 32, "channels_last", False, "imagenet"),
    (None, 224, 32, "channels_first", False, None),
    ((224, 224, 3), 224, 32, "channels_last", True, "imagenet"),
    ((200, 200, 3), 224, 32, "channels_last", True, "imagenet"),
    ((64, 80, 3), 224, 32, "channels_last", False, "imagenet"),
    ((64, 80, 1), 224, 32, "channels_last", False, "imagenet"),
    ((64, 80, 1), 224, 32, "channels_last", True, None),
    ((16, 80, 3), 224, 32, "channels_last", False, None),
    ((3, 16, 80), 224, 32, "channels_first", False, None),
    ((3, 64, 80), 224, 32, "channels_first", False, "imagenet"),
    ((None, None, 3), 224, 32, "channels_last", True, None),
    ((None, None, 3), 224, 32, "channels_last", False, None),
    ((64, 64), 224, 32, "channels_last", False, None),
    ((64, 64, 5), 224, 32, "channels_last", False, None),
]


def _outcome(function, *args):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = function(*args)
        except ValueError:
            result = ValueError
    return result, len(caught)


@pytest.mark.parametrize("case", SHAPE_CASES, ids=str)
def test_obtain_input_shape_matches_keras(case):
    assert _outcome(_common.obtain_input_shape, *case) == _outcome(
        keras_utils.obtain_input_shape, *case
    )


@pytest.mark.parametrize(
    ("activation", "weights"),
    [("softmax", "imagenet"), (None, "imagenet"), ("relu", "imagenet"), ("relu", None)],
)
def test_validate_activation_matches_keras(activation, weights):
    assert _outcome(_common.validate_activation, activation, weights) == _outcome(
        keras_utils.validate_activation, activation, weights
    )


@pytest.mark.parametrize("size", [(7, 7), (8, 8), (7, 8), (None, None)])
@pytest.mark.parametrize("kernel", [3, (3, 5)])
def test_correct_pad_matches_keras(size, kernel):
    ours = _common.correct_pad(heft.Input((*size, 3)), kernel)
    assert ours == keras_utils.correct_pad(keras.Input((*size, 3)), kernel)


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize(
    ("data_format", "shape"),
    [
        ("channels_last", (2, 4, 5, 3)),
        ("channels_first", (2, 3, 4, 5)),
        ("channels_last", (4, 5, 3)),
    ],
)
def test_preprocess_input_matches_keras(mode, data_format, shape):
    x = np.random.default_rng(1).uniform(0, 255, shape).astype("float32")
    expected = keras_utils.preprocess_input(x.copy(), data_format=data_format, mode=mode)
    np.testing.assert_array_equal(
        imagenet_utils.preprocess_input(x, data_format=data_format, mode=mode), expected
    )
    tensor = imagenet_utils.preprocess_input(heft.ops.convert_to_tensor(x), data_format, mode)
    keras_tensor = keras_utils.preprocess_input(keras.ops.convert_to_tensor(x), data_format, mode)
    np.testing.assert_allclose(np.asarray(tensor), np.asarray(keras_tensor), rtol=1e-6)
