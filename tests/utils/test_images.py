"""The image file helpers' errors: what is wrong, and what to pass instead."""

from __future__ import annotations

import builtins

import numpy as np
import pytest

from heft.utils import array_to_img, img_to_array, load_img


def test_array_to_img_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"rank 3 .* shape: \(4, 5\)"):
        array_to_img(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="Unsupported channel number: 2"):
        array_to_img(np.zeros((4, 5, 2)))
    with pytest.raises(ValueError, match="`data_format` argument must be one of"):
        array_to_img(np.zeros((4, 5, 3)), data_format="nhwc")


def test_img_to_array_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"Unsupported image shape: \(2, 2, 2, 2\)"):
        img_to_array(np.zeros((2, 2, 2, 2)))


def test_load_img_rejects_bad_arguments(tmp_path):
    pytest.importorskip("PIL")
    path = tmp_path / "a.png"
    array_to_img(np.zeros((3, 3, 3))).save(path)
    with pytest.raises(TypeError, match=r"path should be path-like or io\.BytesIO"):
        load_img(3)
    with pytest.raises(ValueError, match='color_mode must be "grayscale", "rgb", or "rgba"'):
        load_img(path, color_mode="cmyk")
    with pytest.raises(ValueError, match="Invalid interpolation method cubic"):
        load_img(path, target_size=(2, 2), interpolation="cubic")


def test_missing_pillow_names_the_package(monkeypatch):
    real_import = builtins.__import__

    def no_pil(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("No module named 'PIL'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pil)
    with pytest.raises(ImportError, match="pip install pillow"):
        array_to_img(np.zeros((2, 2, 3)))
