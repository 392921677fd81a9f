"""load_img, img_to_array, array_to_img and save_img against Keras 3's, on the same files."""

from __future__ import annotations

import io

import keras
import numpy as np
import pytest

import heft

PIL = pytest.importorskip("PIL.Image")


@pytest.fixture
def image_file(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "img.png"
    PIL.fromarray(rng.integers(0, 256, (7, 10, 3), dtype=np.uint8)).save(path)
    return path


@pytest.mark.parametrize("color_mode", ["rgb", "rgba", "grayscale"])
@pytest.mark.parametrize(
    "target_size, interpolation, keep",
    [
        (None, "nearest", False),
        ((4, 5), "bilinear", False),
        ((5, 3), "bicubic", True),
        ((7, 10), "box", False),
    ],
)
def test_load_img_matches_keras(image_file, color_mode, target_size, interpolation, keep):
    kwargs = dict(
        color_mode=color_mode,
        target_size=target_size,
        interpolation=interpolation,
        keep_aspect_ratio=keep,
    )
    ours = heft.utils.load_img(str(image_file), **kwargs)
    theirs = keras.utils.load_img(str(image_file), **kwargs)
    assert ours.mode == theirs.mode and ours.size == theirs.size
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    with open(image_file, "rb") as f:
        buffer = io.BytesIO(f.read())
    np.testing.assert_array_equal(
        np.asarray(heft.utils.load_img(buffer, **kwargs)), np.asarray(theirs)
    )


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("shape", [(4, 5, 3), (4, 5, 1), (4, 5, 4)])
@pytest.mark.parametrize("scale", [True, False])
def test_array_img_round_trip_matches_keras(data_format, shape, scale):
    x = np.random.default_rng(1).uniform(0, 255, shape)
    if data_format == "channels_first":
        x = x.transpose(2, 0, 1)
    ours = heft.utils.array_to_img(x, data_format=data_format, scale=scale)
    theirs = keras.utils.array_to_img(x, data_format=data_format, scale=scale)
    assert ours.mode == theirs.mode
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    a = heft.utils.img_to_array(ours, data_format=data_format)
    b = keras.utils.img_to_array(theirs, data_format=data_format)
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b)
    a = heft.utils.img_to_array(ours, data_format=data_format, dtype="uint8")
    assert a.dtype == keras.utils.img_to_array(theirs, data_format=data_format, dtype="uint8").dtype


def test_array_to_img_wide_grayscale_matches_keras():
    x = np.arange(20.0).reshape(4, 5, 1) * 100
    ours = heft.utils.array_to_img(x, scale=False)
    theirs = keras.utils.array_to_img(x, scale=False)
    assert ours.mode == theirs.mode == "I"
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


@pytest.mark.parametrize("suffix", ["png", "jpg", "bmp"])
def test_save_img_matches_keras(tmp_path, suffix):
    x = np.random.default_rng(2).uniform(0, 1, (6, 4, 3))
    heft.utils.save_img(tmp_path / f"ours.{suffix}", x)
    keras.utils.save_img(tmp_path / f"theirs.{suffix}", x)
    assert (tmp_path / f"ours.{suffix}").read_bytes() == (
        tmp_path / f"theirs.{suffix}"
    ).read_bytes()


def test_save_img_rgba_as_jpeg_warns_as_keras(tmp_path):
    x = np.random.default_rng(2).uniform(0, 1, (6, 4, 4))
    with pytest.warns(UserWarning, match="JPEG format does not support RGBA"):
        heft.utils.save_img(tmp_path / "a.jpg", x)
    with PIL.open(tmp_path / "a.jpg") as img:
        assert img.mode == "RGB"
