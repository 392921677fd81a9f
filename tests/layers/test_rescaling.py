"""Rescaling: scale and offset, broadcasting, dtypes, channels_first, configs."""

import json

import jax.numpy as jnp
import numpy as np
import pytest

import heft
from heft.layers import Rescaling


def test_rescaling_scales_and_offsets():
    x = np.array([[0, 128, 255]], "uint8")
    out = Rescaling(1 / 127.5, offset=-1)(x)
    assert out.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(out), x / 127.5 - 1, atol=1e-6)


def test_rescaling_broadcasts_array_scale_and_offset():
    x = np.ones((2, 3, 4), "float32")
    scale = np.array([1.0, 2.0, 3.0, 4.0], "float32")
    offset = [0.5, 0.0, 0.0, 0.0]
    out = np.asarray(Rescaling(scale, offset)(x))
    np.testing.assert_allclose(out, np.broadcast_to(scale + np.array(offset), (2, 3, 4)))


def test_rescaling_uses_the_compute_dtype():
    x = np.arange(4, dtype="int32")
    assert Rescaling(0.5, dtype="float16")(x).dtype == jnp.float16
    assert Rescaling(0.5, dtype="mixed_bfloat16")(x).dtype == jnp.bfloat16


def test_rescaling_channels_first_lays_scale_on_channels():
    previous = heft.config.image_data_format()
    heft.config.set_image_data_format("channels_first")
    try:
        x = np.ones((1, 3, 2, 2), "float32")
        out = np.asarray(Rescaling(np.array([1.0, 2.0, 3.0], "float32"))(x))
    finally:
        heft.config.set_image_data_format(previous)
    np.testing.assert_allclose(out[0, :, 0, 0], [1.0, 2.0, 3.0])
    np.testing.assert_allclose(out[0, 2], 3.0)


def test_rescaling_config_round_trips_arrays_through_json():
    layer = Rescaling(np.array([0.5, 2.0], "float32"), offset=np.float32(1.0), name="rs")
    config = json.loads(json.dumps(layer.get_config()))
    assert config["scale"] == {
        "class_name": "__numpy__",
        "config": {"value": [0.5, 2.0], "dtype": "float32"},
    }
    assert config["offset"] == 1.0
    clone = Rescaling.from_config(config)
    assert isinstance(clone.scale, np.ndarray) and clone.scale.dtype == np.float32
    x = np.ones((3, 2), "float32")
    np.testing.assert_allclose(np.asarray(clone(x)), np.asarray(layer(x)))
    tensor = Rescaling(jnp.asarray([2.0, 3.0]))
    assert tensor.get_config()["scale"]["class_name"] == "__tensor__"
    restored = Rescaling.from_config(tensor.get_config())
    np.testing.assert_allclose(np.asarray(restored(x)), np.asarray(tensor(x)))


def test_rescaling_has_no_weights_and_keeps_shape_and_mask():
    layer = Rescaling(2.0)
    inputs = heft.Input((5,))
    out = layer(inputs)
    assert out.shape == (None, 5)
    assert out.dtype == "float32"
    assert layer.weights == []
    assert layer.supports_masking
    assert layer.compute_output_shape((None, 5)) == (None, 5)


def test_rescaling_requires_scale():
    with pytest.raises(TypeError):
        Rescaling()
