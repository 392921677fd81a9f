"""Image preprocessing layers: training flag, models, dict inputs, seeds and bad arguments."""

import numpy as np
import pytest

import heft
from heft import layers

X = np.random.default_rng(0).random((4, 6, 6, 3)).astype("float32")

RANDOM = [
    lambda: layers.RandomFlip(seed=1),
    lambda: layers.RandomRotation(0.2, seed=1),
    lambda: layers.RandomZoom(0.3, seed=1),
    lambda: layers.RandomTranslation(0.2, 0.2, seed=1),
    lambda: layers.RandomContrast(0.5, value_range=(0, 1), seed=1),
    lambda: layers.RandomBrightness(0.3, value_range=(0, 1), seed=1),
    lambda: layers.RandomGrayscale(0.5, seed=5),
    lambda: layers.RandomInvert(value_range=(0, 1), seed=1),
    lambda: layers.RandomSaturation(0.8, value_range=(0, 1), seed=1),
    lambda: layers.RandomHue(0.8, value_range=(0, 1), seed=1),
    lambda: layers.MixUp(seed=1),
    lambda: layers.CutMix(seed=1),
    lambda: layers.RandomShear(0.3, 0.3, seed=1),
]


@pytest.mark.parametrize("make", RANDOM, ids=lambda f: type(f()).__name__)
def test_random_image_layer_is_identity_at_inference_and_seeded_in_training(make):
    layer = make()
    np.testing.assert_array_equal(np.asarray(layer(X, training=False)), X)
    first, second = np.asarray(layer(X)), np.asarray(layer(X))
    assert not np.allclose(first, X) and not np.allclose(first, second)
    fresh = make()
    fresh(X, training=False)  # some layers draw in inference too, as in Keras
    np.testing.assert_array_equal(np.asarray(fresh(X)), first)
    assert np.asarray(first).min() >= -1e-6 and np.asarray(first).max() <= 1 + 1e-6


def test_augmentation_layers_train_inside_a_model_and_pass_through_in_predict():
    model = heft.Sequential(
        [
            heft.Input((6, 6, 3)),
            layers.RandomFlip(seed=1),
            layers.RandomRotation(0.1, seed=2),
            layers.RandomCrop(4, 4, seed=3),
            layers.Flatten(),
            layers.Dense(1),
        ]
    )
    model.compile("sgd", "mse")
    before = np.asarray(model.layers[0].generator.state.value).copy()
    model.fit(X, np.ones((4, 1), "float32"), epochs=1, batch_size=2, verbose=0)
    assert before[1] == 0 and np.asarray(model.layers[0].generator.state.value)[1] == 2
    crop_free = heft.Sequential([heft.Input((6, 6, 3)), layers.RandomRotation(0.3, seed=2)])
    np.testing.assert_array_equal(np.asarray(crop_free.predict(X, verbose=0)), X)


def test_image_layer_dict_input_is_not_mutated_and_masks_follow_the_images():
    masks = np.zeros((4, 6, 6, 1), "int32")
    masks[:, :, :3] = 1
    data = {"images": X, "segmentation_masks": masks}
    out = layers.RandomFlip("horizontal", seed=2)(data)
    assert data["images"] is X and data["segmentation_masks"] is masks
    flipped = np.asarray(out["images"])[:, 0, 0, 0] == X[:, 0, -1, 0]
    np.testing.assert_array_equal(np.asarray(out["segmentation_masks"])[:, 0, 0, 0] == 0, flipped)


def test_image_layer_dict_input_needs_images_and_a_box_format():
    with pytest.raises(ValueError, match="'images' key"):
        layers.RandomFlip()({"labels": X})
    with pytest.raises(ValueError, match="bounding box format"):
        layers.RandomFlip()({"images": X, "bounding_boxes": {"boxes": X[:, 0, :, :4]}})


def test_image_layer_rejects_bad_arguments():
    with pytest.raises(ValueError, match="`factor` argument"):
        layers.RandomContrast(1.5)
    with pytest.raises(ValueError, match="`factor` argument"):
        layers.RandomRotation("a lot")
    with pytest.raises(ValueError, match="input_number=-1"):
        layers.RandomZoom(-1.0)
    with pytest.raises(ValueError, match="height_factor"):
        layers.RandomTranslation((0.1, 0.2, 0.3), 0.1)
    with pytest.raises(NotImplementedError, match="fill_mode"):
        layers.RandomRotation(0.1, fill_mode="mirror")
    with pytest.raises(NotImplementedError, match="interpolation"):
        layers.RandomZoom(0.1, interpolation="bicubic")
    with pytest.raises(ValueError, match="value_range"):
        layers.RandomBrightness(0.1, value_range=(0, 1, 2))
    with pytest.raises(ValueError, match="does not take a `factor`"):
        layers.RandomFlip(factor=0.5)
    with pytest.raises(ValueError, match="rank 3"):
        layers.RandomFlip()(X[0, 0])
    with pytest.raises(ValueError, match="between 0 and 1"):
        layers.RandomGrayscale(1.5)
    with pytest.raises(ValueError, match="input_number=2"):
        layers.Solarization(2)
    with pytest.raises(ValueError, match="value_range"):
        layers.AutoContrast(value_range=5)
    with pytest.raises(ValueError, match="3 channels"):
        layers.RandomColorDegeneration(0.5).compute_output_shape((2, 4, 4, 1))
    with pytest.raises(ValueError, match="odd number"):
        layers.RandomGaussianBlur(kernel_size=4)
    with pytest.raises(ValueError, match="`sigma` argument"):
        layers.RandomGaussianBlur(sigma=3.0)
    with pytest.raises(ValueError, match=r"input_number=-0\.1"):
        layers.RandomShear(-0.1)
    with pytest.raises(ValueError, match="`scale` argument"):
        layers.RandomPerspective(scale=2.0)
    with pytest.raises(ValueError, match="`scale` argument"):
        layers.RandomElasticTransform(scale=(2.0, 3.0))
    with pytest.raises(ValueError, match="data_format"):
        layers.Resizing(2, 2, data_format="nhwc")


def test_resizing_and_center_crop_shapes_and_symbolic_use():
    x = heft.Input((8, 6, 3))
    y = layers.CenterCrop(4, 4)(layers.Resizing(10, 10)(x))
    assert y.shape == (None, 4, 4, 3)
    assert layers.CenterCrop(2, 3).compute_output_shape((5, 9, 9, 1)) == (5, 2, 3, 1)
    with pytest.raises(ValueError, match="rank-1 with size 3"):
        layers.CenterCrop(2, 3).compute_output_shape((9, 9))


def test_auto_contrast_stretches_each_channel_in_inference_too():
    out = np.asarray(layers.AutoContrast(value_range=(0, 1))(X * 0.5 + 0.2, training=False))
    np.testing.assert_allclose(out.min(axis=(1, 2)), 0.0, atol=1e-6)
    np.testing.assert_allclose(out.max(axis=(1, 2)), 1.0, atol=1e-6)


def test_color_jitter_follows_its_data_format():
    layer = layers.RandomColorJitter((0, 1), saturation_factor=0.5, data_format="channels_first")
    out = np.asarray(layer(np.transpose(X, (0, 3, 1, 2)), training=True))
    assert out.shape == (4, 3, 6, 6) and not np.allclose(out, np.transpose(X, (0, 3, 1, 2)))
