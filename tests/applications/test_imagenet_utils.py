"""preprocess_input and decode_predictions of heft.applications.imagenet_utils."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import heft
from heft.applications import _imagenet_utils, imagenet_utils


def _class_index() -> bytes:
    return json.dumps({str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}).encode()


def test_preprocess_input_leaves_the_callers_array_as_it_was():
    x = np.full((1, 2, 2, 3), 255.0, "float32")
    out = imagenet_utils.preprocess_input(x, mode="tf")
    np.testing.assert_array_equal(x, 255.0)
    np.testing.assert_allclose(out, 1.0)


def test_preprocess_input_caffe_swaps_to_bgr_and_centres():
    x = np.zeros((2, 2, 3), "uint8")
    x[..., 0] = 200  # red
    out = imagenet_utils.preprocess_input(x, mode="caffe")
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[0, 0], [-103.939, -116.779, 200 - 123.68], rtol=1e-6)


def test_preprocess_input_torch_standardises_per_channel_first_axis():
    x = np.full((1, 3, 1, 1), 255.0, "float32")
    out = imagenet_utils.preprocess_input(x, data_format="channels_first", mode="torch")
    expected = (1 - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    np.testing.assert_allclose(out.reshape(3), expected, rtol=1e-6)


def test_preprocess_input_on_a_symbolic_input_builds_a_model():
    inputs = heft.Input((2, 2, 3))
    model = heft.Model(inputs, imagenet_utils.preprocess_input(inputs, mode="torch"))
    x = np.random.default_rng(0).uniform(0, 255, (1, 2, 2, 3)).astype("float32")
    np.testing.assert_allclose(
        model.predict(x, verbose=0), imagenet_utils.preprocess_input(x, mode="torch"), rtol=1e-5
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"mode": "keras"}, "`mode` must be one of"), ({"data_format": "NHWC"}, "`data_format`")],
)
def test_preprocess_input_refuses_unknown_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 3)), **kwargs)


def test_decode_predictions_downloads_the_class_index_once_and_ranks(published):
    name = published.publish(_imagenet_utils.CLASS_INDEX_PATH, _class_index())
    preds = np.zeros((2, 1000), "float32")
    preds[0, [7, 3, 500]] = [0.5, 0.3, 0.2]
    preds[1, 999] = 1.0
    decoded = imagenet_utils.decode_predictions(preds, top=3)
    assert [entry[:2] for entry in decoded[0]] == [
        ("n00000007", "class_7"),
        ("n00000003", "class_3"),
        ("n00000500", "class_500"),
    ]
    assert decoded[0][0][2] == np.float32(0.5)
    assert decoded[1][0][1] == "class_999"
    imagenet_utils.decode_predictions(preds)
    assert published.server.hits[name] == 1
    assert os.path.isfile(
        os.path.join(os.environ["KERAS_HOME"], "models", "imagenet_class_index.json")
    )


def test_decode_predictions_refuses_a_class_index_with_another_hash(published):
    published.publish(_imagenet_utils.CLASS_INDEX_PATH, _class_index(), rehash=False)
    with pytest.raises(ValueError, match="hash"):
        imagenet_utils.decode_predictions(np.zeros((1, 1000)))
    assert not os.listdir(os.path.join(os.environ["KERAS_HOME"], "models"))


def test_decode_predictions_refuses_scores_of_another_shape():
    with pytest.raises(ValueError, match=r"shape \(samples, 1000\).*\(2, 10\)"):
        imagenet_utils.decode_predictions(np.zeros((2, 10)))
