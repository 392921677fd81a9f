"""Arguments of the EfficientNet, EfficientNetV2, DenseNet, NASNet and ConvNeXt builders."""

import numpy as np
import pytest

import heft
from heft.applications import _convnext, convnext, densenet, efficientnet, efficientnet_v2, nasnet


def test_a_model_is_built_on_the_given_input_tensor():
    image = heft.Input((32, 32, 3), name="image")
    model = efficientnet.EfficientNetB0(weights=None, include_top=False, input_tensor=image)
    assert model.inputs[0] is image
    assert model.output.shape == (None, 1, 1, 1280)


@pytest.mark.parametrize(
    "builder",
    [
        efficientnet.EfficientNetB0,
        efficientnet_v2.EfficientNetV2B0,
        densenet.DenseNet121,
        nasnet.NASNetMobile,
        convnext.ConvNeXtTiny,
    ],
)
def test_pretrained_weights_allow_only_softmax_or_no_classifier_activation(builder, tmp_path):
    path = tmp_path / "weights.h5"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="classifier_activation='relu'"):
        builder(weights=str(path), input_shape=(32, 32, 3), classifier_activation="relu")


def test_weights_that_are_neither_a_file_nor_imagenet_are_refused(tmp_path):
    missing = str(tmp_path / "missing.h5")
    with pytest.raises(ValueError, match=r"missing\.h5.*which is not a file"):
        densenet.DenseNet121(weights=missing)


def test_convnext_without_preprocessing_has_no_normalization_layer():
    model = convnext.ConvNeXtTiny(
        weights=None, include_top=False, include_preprocessing=False, input_shape=(32, 32, 3)
    )
    assert not any(isinstance(layer, heft.layers.Normalization) for layer in model.layers)
    assert model.layers[1].name == "convnext_tiny_stem"


def test_efficientnet_v2_s_scales_to_minus_one_one_inside_the_model():
    model = efficientnet_v2.EfficientNetV2S(
        weights=None, include_top=False, input_shape=(32, 32, 3)
    )
    scaling = model.layers[1]
    assert isinstance(scaling, heft.layers.Rescaling)
    np.testing.assert_allclose(
        scaling(np.array([[0.0, 128.0, 255.0]], "float32")), [[-1.0, 0.0, 255 / 128 - 1]]
    )


def test_nasnet_with_imagenet_weights_needs_a_static_input_shape():
    with pytest.raises(ValueError, match=r"static input shape.*\(None, 64, 3\)"):
        nasnet.NASNetMobile(weights="imagenet", include_top=False, input_shape=(None, 64, 3))


def test_layer_scale_multiplies_by_its_learned_gamma():
    layer = _convnext.LayerScale(0.5, 3)
    out = layer(np.ones((2, 3), "float32"))
    np.testing.assert_allclose(out, np.full((2, 3), 0.5))
    layer.gamma.assign(np.array([1.0, 2.0, 3.0], "float32"))
    np.testing.assert_allclose(layer(np.ones((1, 3), "float32")), [[1.0, 2.0, 3.0]])
    assert _convnext.LayerScale.from_config(layer.get_config()).projection_dim == 3
