"""RandomErasing, Equalization, CLAHE, AugMix and RandAugment: models, properties, bad input."""

import numpy as np
import pytest

import heft
from heft import layers

X = (np.random.default_rng(1).random((3, 8, 10, 3)) * 255).astype("float32")
CLAHE = layers.ContrastLimitedAdaptiveHistogramEqualization


def _model(*augmentations):
    return heft.Sequential([heft.Input((8, 10, 3)), *augmentations, layers.Flatten(),
                            layers.Dense(1)])  # fmt: skip


def test_erasing_and_equalization_train_in_a_model_and_pass_through_in_predict():
    # CLAHE runs in the compiled predict of tests/interop/test_image_policies_keras.py.
    erasing = layers.RandomErasing(seed=1)
    model = _model(erasing, layers.Equalization())
    model.compile("sgd", "mse")
    model.fit(X / 255, np.ones((3, 1), "float32"), epochs=1, batch_size=2, verbose=0)
    assert np.asarray(erasing.generator.state.value).tolist() == [1, 2 * 6]  # 6 draws a call
    expected = np.asarray(model.layers[-1](np.reshape(X, (3, -1))))
    np.testing.assert_allclose(np.asarray(model.predict(X, verbose=0)), expected, rtol=1e-5)


def test_random_erasing_erases_one_rectangle_per_image_with_a_per_channel_fill():
    # Keras's JAX backend rejects a three-number fill_value (jnp.full_like with a
    # tuple); heft fills each channel with its number, in either data format.
    ones = np.ones((4, 8, 10, 3), "float32")
    out = np.asarray(layers.RandomErasing((1.0, 1.0), fill_value=(0, 2, 3), seed=2)(ones))
    erased = out[..., 0] == 0
    assert erased.any(axis=(1, 2)).all()
    for image in erased:  # a rectangle: its bounding box is all erased
        rows, cols = np.nonzero(image)
        assert image[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1].all()
    np.testing.assert_array_equal(out[..., 1][erased], 2.0)
    np.testing.assert_array_equal(out[..., 2][erased], 3.0)
    first = np.transpose(ones, (0, 3, 1, 2))
    layer = layers.RandomErasing(
        (1.0, 1.0), fill_value=(0, 2, 3), seed=2, data_format="channels_first"
    )
    np.testing.assert_array_equal(np.asarray(layer(first)), np.transpose(out, (0, 3, 1, 2)))


def test_random_erasing_noise_fill_is_clipped_to_the_value_range():
    out = np.asarray(layers.RandomErasing(scale=(0.5, 1.0), value_range=(0, 1), seed=3)(X / 255))
    assert out.min() >= 0.0 and out.max() <= 1.0 and not np.allclose(out, X / 255)


def test_equalization_spreads_each_channel_over_the_batch_and_keeps_flat_channels():
    x = X.copy()
    x[..., 2] = 42.0
    out = np.asarray(layers.Equalization()(x))
    assert out[..., 0].min() == 0.0 and out[..., 0].max() == 255.0
    np.testing.assert_array_equal(out[..., 2], 42.0)
    # The histogram is the batch's: an image alone is equalized differently.
    alone = np.asarray(layers.Equalization()(x[:1]))
    assert not np.allclose(alone, out[:1])
    np.testing.assert_array_equal(np.asarray(layers.Equalization()(x, training=False)), x)


def test_clahe_keeps_the_value_range_and_the_input_dtype():
    out = CLAHE(value_range=(0, 1), tile_grid_size=(2, 3))(X / 255)
    assert out.dtype == np.float32 and 0.0 <= float(out.min()) and float(out.max()) <= 1.0
    assert CLAHE()(X.astype("uint8")).dtype == np.uint8
    ramp = np.arange(16.0).reshape(1, 4, 4, 1) * 10  # uniform histogram: a linear map to 255
    np.testing.assert_allclose(
        np.asarray(CLAHE(tile_grid_size=(1, 1), clip_limit=0)(ramp)).ravel(), np.arange(16) * 17
    )


def test_aug_mix_repeats_after_set_random_seed_and_stays_in_range():
    def run():
        heft.utils.set_random_seed(7)
        layer = layers.AugMix((0, 1), num_chains=1, chain_depth=2, all_ops=False, seed=1)
        return np.asarray(layer(X / 255))

    first = run()
    np.testing.assert_array_equal(run(), first)
    assert first.min() >= 0.0 and first.max() <= 1.0 and not np.allclose(first, X / 255)
    np.testing.assert_array_equal(np.asarray(layers.AugMix(seed=1)(X, training=False)), X)


def test_rand_augment_applies_num_ops_of_its_layers():
    layer = layers.RandAugment(num_ops=1, seed=4)
    drawn = layer.get_random_transformation(X)
    pick = layer._AUGMENT_LAYERS[int(drawn["layer_idxes"][0])]
    step = getattr(layer, pick)
    expected = step.transform_images(X, drawn["transforms"][pick])
    np.testing.assert_allclose(np.asarray(layer.transform_images(X, drawn)), expected, atol=1e-4)
    assert layers.RandAugment(num_ops=0, seed=4)(X).tolist() == X.tolist()


@pytest.mark.slow
@pytest.mark.parametrize(
    "make", [lambda: layers.RandAugment(seed=1), lambda: layers.AugMix(seed=1)]
)
def test_policies_train_inside_a_compiled_model(make):
    model = _model(make())
    model.compile("sgd", "mse")
    history = model.fit(X / 255, np.ones((3, 1), "float32"), epochs=1, batch_size=2, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_bad_arguments_say_what_was_expected():
    with pytest.raises(ValueError, match="value_range"):
        layers.Equalization(value_range=(0, 1, 2))
    with pytest.raises(ValueError, match=r"Received: fill_value=\(1, 2\)"):
        layers.RandomErasing(fill_value=(1, 2), seed=1)(X)
    with pytest.raises(ValueError, match="`scale` argument"):
        layers.RandomErasing(scale="big")
    with pytest.raises(NotImplementedError, match="'images' key"):
        CLAHE()({"images": X, "segmentation_masks": X})
    with pytest.raises(ValueError, match="`factor` argument"):
        layers.AugMix(factor=(0.1, 0.2, 0.3))
