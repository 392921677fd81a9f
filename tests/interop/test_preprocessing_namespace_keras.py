"""heft.preprocessing against keras.preprocessing: the names, and smart_resize's results."""

from __future__ import annotations

import jax.numpy as jnp
import keras
import numpy as np
import pytest

import heft

# Names provided by other parts of heft once they are in place.
_ELSEWHERE: set[str] = set()


def test_preprocessing_names_match_keras():
    for name in dir(keras.preprocessing):
        if not name.startswith("_") and name not in _ELSEWHERE:
            assert hasattr(heft.preprocessing, name), name
    for name in dir(keras.preprocessing.image):
        if not name.startswith("_"):
            assert hasattr(heft.preprocessing.image, name), name
    assert heft.preprocessing.image.load_img is heft.utils.load_img


@pytest.mark.parametrize(
    "shape, size, data_format, interpolation",
    [
        ((9, 14, 3), (5, 5), "channels_last", "bilinear"),
        ((2, 12, 7, 1), (6, 8), "channels_last", "nearest"),
        ((3, 10, 6), (4, 9), "channels_first", "bicubic"),
        ((9, 14, 3), (12, 5), "channels_last", "lanczos3"),
        ((2, 1, 12, 7), (3, 3), "channels_first", "lanczos5"),
    ],
)
def test_smart_resize_matches_keras(shape, size, data_format, interpolation):
    x = np.random.default_rng(0).uniform(0, 255, shape).astype("float32")
    kwargs = {"interpolation": interpolation, "data_format": data_format}
    ours = heft.preprocessing.image.smart_resize(x, size, **kwargs)
    theirs = keras.preprocessing.image.smart_resize(x, size, **kwargs)
    assert isinstance(ours, np.ndarray) and ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-3)
    if interpolation == "bilinear":
        as_jax = heft.preprocessing.image.smart_resize(jnp.asarray(x), size, **kwargs)
        assert not isinstance(as_jax, np.ndarray)


def test_smart_resize_errors():
    with pytest.raises(ValueError, match="Expected `size` to be a tuple of 2 integers"):
        heft.preprocessing.image.smart_resize(np.ones((4, 4, 1)), (2, 2, 2))
    with pytest.raises(ValueError, match="incorrect rank"):
        heft.preprocessing.image.smart_resize(np.ones((4, 4)), (2, 2))
    with pytest.raises(TypeError, match="unexpected keyword arguments"):
        heft.preprocessing.image.smart_resize(np.ones((4, 4, 1)), (2, 2), colour=1)
    with pytest.raises(ValueError, match="Invalid value for argument `interpolation`"):
        heft.preprocessing.image.smart_resize(np.ones((4, 4, 1)), (2, 2), interpolation="area")
