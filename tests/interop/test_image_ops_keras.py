"""``heft.ops.image`` against ``keras.ops.image`` (JAX backend): same outputs, eager and symbolic."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import keras
import numpy as np
import pytest

import heft

RNG = np.random.default_rng(0)
X = RNG.random((2, 7, 9, 3)).astype("float32")
XC = np.ascontiguousarray(np.transpose(X, (0, 3, 1, 2)))
U8 = (X * 255).astype("uint8")
T = np.array([[1.1, 0.1, -1, 0.05, 0.9, 0.5, 0, 0], [0.9, -0.2, 1, 0.1, 1.2, -0.7, 0, 0]], "f4")
COORDS = (RNG.random((2, 5, 4)) * 8 - 1).astype("float32")
SP = np.array([[0, 0], [8, 0], [0, 6], [8, 6]], "float32")
EP = np.array([[1, 0.5], [7, 1], [0.3, 5], [8, 6.5]], "float32")
VOL = RNG.random((2, 4, 5, 6, 2)).astype("float32")
Y1 = RNG.random((2, 16, 17, 3)).astype("float32")
Y2 = np.clip(Y1 + RNG.normal(0, 0.1, Y1.shape), 0, 1).astype("float32")
CL = {"data_format": "channels_last"}
CF = {"data_format": "channels_first"}

CASES = [
    ("rgb_to_grayscale", (X,), {}),
    ("rgb_to_grayscale", (U8[0],), {}),
    ("rgb_to_hsv", (X,), {}),
    ("hsv_to_rgb", (X,), {}),
    ("hsv_to_rgb", (XC[0],), CF),
    ("resize", (X, (4, 4)), {"crop_to_aspect_ratio": True}),
    ("resize", (X, (4, 4)), {"pad_to_aspect_ratio": True, "fill_value": 0.5}),
    ("resize", (XC, (8, 2)), {"pad_to_aspect_ratio": True, **CF}),
    ("resize", (U8, (4, 5)), {"interpolation": "bicubic"}),
    ("resize", (U8, (4, 4)), {"pad_to_aspect_ratio": True}),
    ("affine_transform", (XC, T), CF),
    ("crop_images", (X, 1, 2), {"bottom_cropping": 2, "right_cropping": 1}),
    ("crop_images", (X,), {"target_height": 3, "target_width": 4, "bottom_cropping": 1,
                           "right_cropping": 2}),
    ("pad_images", (X, 1, 2), {"target_height": 10, "target_width": 12}),
    ("pad_images", (XC, 1, 2, 3, 4), CF),
    ("extract_patches", (X, 3), {}),
    ("extract_patches", (X, (2, 3)), {"strides": (1, 2), "padding": "same"}),
    ("extract_patches", (XC, 2), CF),
    ("extract_patches", (VOL, (2, 2, 2)), {}),
    ("extract_patches_3d", (VOL[0], (2, 2, 3)), {"strides": 1}),
    ("perspective_transform", (X[0], SP, EP), {}),
    ("perspective_transform", (X[:1], SP[None], EP[None]),
     {"interpolation": "nearest", "fill_value": 0.2}),
    ("perspective_transform", (XC, np.stack([SP, SP]), np.stack([EP, SP])), CF),
    ("gaussian_blur", (X, (3, 5), (1.0, 2.0)), CL),
    ("gaussian_blur", (XC,), CF),
    ("elastic_transform", (X[:, :, :, :1],), {"seed": 3}),
    ("elastic_transform", (XC[:1, :1],), {"alpha": 5.0, "sigma": 1.0, "seed": 3, **CF,
                                          "fill_mode": "constant", "interpolation": "nearest"}),
    ("sobel_edges", (X,), {}),
    ("ssim", (Y1, Y2), {}),
    ("ssim", (Y1[0], Y2[0]), {"max_val": 2.0, "filter_size": 5, "filter_sigma": 1.0}),
]  # fmt: skip
CASES += [
    ("resize", (X, size), {"interpolation": method, "antialias": aa})
    for method, aa, size in (
        ("bilinear", True, (4, 5)),
        ("nearest", False, (11, 13)),
        ("lanczos3", True, (4, 5)),
        ("lanczos5", False, (11, 13)),
        ("bicubic", True, (4, 5)),
        ("bicubic", False, (11, 13)),
    )
]
CASES += [
    ("affine_transform", (X, T), {"interpolation": i, "fill_mode": m, "fill_value": 0.3})
    for i, m in (
        ("nearest", "constant"),
        ("bilinear", "wrap"),
        ("bilinear", "mirror"),
        ("nearest", "reflect"),
        ("bilinear", "nearest"),
    )
]
CASES += [
    ("map_coordinates", (X[0, :, :, 0], COORDS, order), {"fill_mode": m, "fill_value": 0.5})
    for order, m in ((0, "constant"), (1, "nearest"), (1, "mirror"))
]
CASES += [
    ("scale_and_translate",
     (X, (2, 5, 4, 3), np.array([0.7, 0.5], "f4"), np.array([0.5, -1.0], "f4"), (1, 2), m), {})
    for m in ("linear", "lanczos3")
]  # fmt: skip


def _id(case):
    name, args, kwargs = case
    return f"{name}-{[getattr(a, 'shape', a) for a in args[1:]]}-{sorted(kwargs.items())}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_image_op_matches_keras(case):
    name, args, kwargs = case
    expected = np.asarray(getattr(keras.ops.image, name)(*args, **kwargs))
    got = np.asarray(getattr(heft.ops.image, name)(*args, **kwargs))
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_image_namespace_has_every_keras_name():
    names = {n for n in dir(keras.ops.image) if not n.startswith("_")}
    assert names - set(dir(heft.ops.image)) == set()


def test_image_op_signatures_match_keras():
    import inspect

    for name in (n for n in dir(keras.ops.image) if not n.startswith("_")):
        k = inspect.signature(getattr(keras.ops.image, name))
        h = inspect.signature(getattr(heft.ops.image, name))
        assert [(p.name, p.default) for p in k.parameters.values()] == [
            (p.name, p.default) for p in h.parameters.values()
        ], name


SYMBOLIC = [
    ("resize", {"size": (4, 5)}),
    ("rgb_to_grayscale", {}),
    ("gaussian_blur", CL),
    ("extract_patches", {"size": 3}),
    ("crop_images", {"top_cropping": 1, "left_cropping": 1, "target_height": 3,
                     "target_width": 3}),
    ("pad_images", {"top_padding": 1, "left_padding": 1, "target_height": 9,
                    "target_width": 11}),
]  # fmt: skip


@pytest.mark.parametrize("name,kwargs", SYMBOLIC, ids=[s[0] for s in SYMBOLIC])
def test_image_op_symbolic_matches_keras(name, kwargs):
    k_in, h_in = keras.Input((7, 9, 3)), heft.Input((7, 9, 3))
    k_out = getattr(keras.ops.image, name)(k_in, **kwargs)
    h_out = getattr(heft.ops.image, name)(h_in, **kwargs)
    assert tuple(h_out.shape) == tuple(k_out.shape)
    expected = keras.Model(k_in, k_out).predict(X, verbose=0)
    got = heft.Model(h_in, h_out).predict(X, verbose=0)
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-5, atol=1e-5)


def test_image_op_in_a_keras_config_loads_in_heft():
    k_in = keras.Input((7, 9, 3))
    k_model = keras.Model(k_in, keras.ops.image.resize(keras.ops.image.rgb_to_grayscale(k_in),
                                                       (3, 4)))  # fmt: skip
    h_model = heft.Model.from_config(k_model.get_config())
    np.testing.assert_allclose(
        np.asarray(h_model.predict(X, verbose=0)), k_model.predict(X, verbose=0), atol=1e-6
    )


def test_image_ops_jit_match_keras():
    got = jax.jit(lambda a, t: heft.ops.image.affine_transform(a, t))(X, T)
    np.testing.assert_allclose(got, keras.ops.image.affine_transform(X, T), atol=1e-5)
    got = jax.jit(lambda a: heft.ops.image.resize(a, (3, 3), interpolation="bicubic"))(X)
    np.testing.assert_allclose(got, keras.ops.image.resize(X, (3, 3), "bicubic"), atol=1e-5)
