"""heft-only behaviour of the application models: archives, arguments, names."""

from __future__ import annotations

import numpy as np
import pytest

import heft
from heft.applications import _inception_resnet_v2, _mobilenet_v2


def test_custom_scale_layer_round_trips_through_a_keras_archive(tmp_path):
    x = heft.Input((3,))
    y = _inception_resnet_v2.CustomScaleLayer(0.17)([x, heft.layers.Dense(3, name="up")(x)])
    model = heft.Model(x, y)
    path = tmp_path / "scaled.keras"
    model.save(path)
    loaded = heft.saving.load_model(path)
    layer = loaded.layers[-1]
    assert type(layer) is _inception_resnet_v2.CustomScaleLayer
    assert layer.scale == 0.17
    data = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(loaded.predict(data, verbose=0), model.predict(data, verbose=0))


def test_custom_scale_layer_config_names_keras_s_module():
    config = heft.saving.serialize_keras_object(_inception_resnet_v2.CustomScaleLayer(0.5))
    assert config["module"] == "keras.src.applications.inception_resnet_v2"
    assert config["class_name"] == "CustomScaleLayer"
    assert config["config"]["scale"] == 0.5


def test_inception_resnet_block_refuses_an_unknown_type():
    with pytest.raises(ValueError, match=r"'block35', 'block17' or 'block8'.*block9"):
        _inception_resnet_v2.inception_resnet_block(heft.Input((8, 8, 4)), 0.1, "block9", 1)


@pytest.mark.parametrize(
    ("value", "expected"), [(32 * 0.35, 16), (1280 * 1.4, 1792), (24 * 0.5, 16), (3, 8)]
)
def test_make_divisible_rounds_to_multiples_of_eight_never_far_below(value, expected):
    assert _mobilenet_v2.make_divisible(value, 8) == expected


@pytest.mark.parametrize(
    ("name", "kwargs", "shape"),
    [
        ("MobileNetV2", {"input_shape": (96, 96, 3)}, "mobilenetv2_1.00_96"),
        ("MobileNet", {"input_shape": (33, 40, 3)}, "mobilenet_1.00_33"),
        ("MobileNetV3Small", {}, "MobileNetV3Small"),
        ("ResNet50V2", {}, "resnet50v2"),
    ],
)
def test_models_are_named_as_keras_names_them(name, kwargs, shape):
    model = getattr(heft.applications, name)(weights=None, include_top=False, **kwargs)
    assert model.name == shape


def test_mobilenet_v3_takes_any_image_size_without_a_shape():
    model = heft.applications.MobileNetV3Small(weights=None, classes=4)
    assert model.input_shape == (None, None, None, 3)
    assert model.output_shape == (None, 4)


def test_mobilenet_v3_refuses_an_input_tensor_of_another_width():
    with pytest.raises(ValueError, match=r"input_shape\[1\] must equal input_tensor.shape\[2\]"):
        heft.applications.MobileNetV3Small(
            weights=None, input_tensor=heft.Input((64, 48, 3)), input_shape=(64, 64, 3)
        )


def test_an_input_tensor_after_other_layers_makes_the_model_start_at_its_source():
    inputs = heft.Input((32, 32, 3), name="pixels")
    scaled = heft.layers.Rescaling(1 / 255.0)(inputs)
    model = heft.applications.VGG16(weights=None, include_top=False, input_tensor=scaled)
    assert model.inputs[0] is inputs
    assert model.layers[1].name == scaled._keras_history[0].name
    assert model.output_shape == (None, 1, 1, 512)


def test_an_input_shape_with_unusual_channels_warns_without_weights():
    with pytest.warns(UserWarning, match="1 or 3 input channels"):
        model = heft.applications.MobileNet(weights=None, input_shape=(32, 32, 5), classes=2)
    assert model.input_shape == (None, 32, 32, 5)


def test_mobilenet_variants_fetch_the_files_keras_names_for_them():
    from heft.applications import _mobilenet, _mobilenet_v3

    base = "https://storage.googleapis.com/tensorflow/keras-applications/"
    v1 = _mobilenet.weight_file(0.25, 128, include_top=False)
    assert (v1.origin, v1.file_hash) == (base + "mobilenet/mobilenet_2_5_128_tf_no_top.h5", None)
    v2 = _mobilenet_v2.weight_file(0.35, 96, include_top=True)
    assert v2.fname == "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96.h5"
    v3 = _mobilenet_v3.weight_file("large", True, 1.0, include_top=False)
    assert v3.origin == (
        base + "mobilenet_v3/weights_mobilenet_v3_large_minimalistic_224_1.0_float_no_top_v2.h5"
    )
    assert v3.file_hash == "ec5221f64a2f6d1ef965a614bdae7973"
    small = _mobilenet_v3.weight_file("small", False, 0.75, include_top=True)
    assert small.fname == "weights_mobilenet_v3_small_224_0.75_float.h5"
    assert small.file_hash == "cb65d4e5be93758266aa0a7f2c6708b7"


def test_mobilenet_v2_loads_the_224_file_for_sizes_without_their_own(published):
    from heft.applications import _mobilenet_v2 as module

    origin = module.weight_file(0.5, 224, include_top=False).origin
    published.publish(origin, b"not an h5 file")
    with (
        pytest.warns(UserWarning, match="224x224"),
        pytest.raises(ValueError, match="does not fit"),
    ):
        heft.applications.MobileNetV2(
            weights="imagenet", alpha=0.5, include_top=False, input_shape=(100, 100, 3)
        )
    assert published.server.hits[published.local_name(origin)] == 1
