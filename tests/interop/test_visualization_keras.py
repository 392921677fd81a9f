"""heft.visualization against keras.visualization: signatures, mask drawing, galleries.

Keras draws boxes with OpenCV, which heft does not use, so box drawing is compared
here only where OpenCV is not involved (signatures, errors raised before drawing);
its pixels are checked in tests/visualization.
"""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest

import heft

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")

NAMES = [
    "draw_bounding_boxes",
    "draw_segmentation_masks",
    "plot_bounding_box_gallery",
    "plot_image_gallery",
    "plot_segmentation_mask_gallery",
]


@pytest.fixture(autouse=True)
def _close_figures():
    plt.close("all")
    yield
    plt.close("all")


def _shown(fig):
    return np.stack([ax.get_images()[0].get_array() for ax in fig.axes if ax.get_images()])


def test_same_names():
    public = {n for n in dir(keras.visualization) if not n.startswith("_")}
    assert public == set(NAMES)
    assert public <= set(dir(heft.visualization))


@pytest.mark.parametrize("name", NAMES)
def test_same_arguments_and_defaults(name):
    ours = inspect.signature(getattr(heft.visualization, name)).parameters
    theirs = inspect.signature(getattr(keras.visualization, name)).parameters
    assert list(ours) == list(theirs)
    for key, parameter in theirs.items():
        assert ours[key].default == parameter.default, key
        assert ours[key].kind == parameter.kind, key


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"num_classes": 3},
        {"num_classes": 4, "alpha": 0.3, "ignore_index": 0},
        {"num_classes": 3, "color_mapping": {0: (9, 8, 7), 1: (250, 0, 3), 2: (0, 255, 128)}},
        {"num_classes": 3, "blend": False},
    ],
)
def test_draw_segmentation_masks_same_values(kwargs):
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, (2, 5, 6, 3)).astype("float32")
    masks = rng.integers(-1, 4, (2, 5, 6, 1)).astype("int32")
    ours = heft.visualization.draw_segmentation_masks(images, masks, **kwargs)
    theirs = np.asarray(keras.visualization.draw_segmentation_masks(images, masks, **kwargs))
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


def test_draw_segmentation_masks_channels_first_same_values():
    rng = np.random.default_rng(1)
    images = rng.uniform(0, 255, (1, 3, 4, 5)).astype("float32")
    masks = rng.integers(0, 3, (1, 1, 4, 5)).astype("int32")
    args = (images, masks, 3)
    ours = heft.visualization.draw_segmentation_masks(*args, data_format="channels_first")
    theirs = keras.visualization.draw_segmentation_masks(*args, data_format="channels_first")
    np.testing.assert_array_equal(ours, np.asarray(theirs))


def test_same_errors():
    images = np.zeros((1, 4, 4, 3), "float32")
    masks = np.zeros((1, 4, 4, 1), "float32")
    for module in (heft, keras):
        with pytest.raises(TypeError, match="integer dtype"):
            module.visualization.draw_segmentation_masks(images, masks)
        with pytest.raises(ValueError, match="batched 4D"):
            module.visualization.draw_segmentation_masks(images[0], masks)
        with pytest.raises(KeyError):
            module.visualization.draw_segmentation_masks(
                images, masks.astype("int32"), 2, color_mapping={1: (1, 2, 3)}
            )
        with pytest.raises(ValueError, match="label_map"):
            module.visualization.plot_image_gallery(images, y_true=[0], show=False)
        with pytest.raises(ValueError):
            module.visualization.plot_image_gallery(images, path="x.png", show=True)
        with pytest.raises(ValueError, match="`legend` OR `legend_handles`"):
            module.visualization.plot_bounding_box_gallery(
                images, "xyxy", legend=True, legend_handles=["h"], show=False
            )


@pytest.mark.parametrize(
    "images, kwargs",
    [
        (np.random.default_rng(2).uniform(0, 1, (4, 5, 6, 3)), {"value_range": (0, 1)}),
        (np.random.default_rng(3).integers(0, 256, (5, 4, 4, 3)), {}),
        (
            np.random.default_rng(4).uniform(-1, 1, (6, 4, 5, 3)),
            {"value_range": (-1, 1), "rows": 2, "cols": 3},
        ),
    ],
)
def test_plot_image_gallery_same_pictures_and_titles(images, kwargs):
    labels = {"y_true": np.arange(len(images)), "y_pred": [1, 0], "label_map": {0: "a", 1: "b"}}
    pictures, titles, sizes = [], [], []
    for module in (heft, keras):
        module.visualization.plot_image_gallery(images, show=False, **labels, **kwargs)
        fig = plt.gcf()
        pictures.append(_shown(fig))
        titles.append([ax.get_title() for ax in fig.axes])
        sizes.append(tuple(fig.get_size_inches()))
        plt.close(fig)
    np.testing.assert_array_equal(pictures[0], pictures[1])
    assert titles[0] == titles[1] and sizes[0] == sizes[1]


def test_plot_bounding_box_gallery_without_boxes_same_pictures_and_legend():
    images = np.random.default_rng(5).integers(0, 256, (4, 6, 6, 3)).astype("uint8")
    pictures, legends = [], []
    for module in (heft, keras):
        module.visualization.plot_bounding_box_gallery(images, "xyxy", legend=True, show=False)
        fig = plt.gcf()
        pictures.append(_shown(fig))
        legend = fig.legends[0]
        legends.append(
            [
                (t.get_text(), tuple(h.get_facecolor()))
                for t, h in zip(legend.get_texts(), legend.legend_handles, strict=True)
            ]
        )
        plt.close(fig)
    np.testing.assert_array_equal(pictures[0], pictures[1])
    assert legends[0] == legends[1]


@pytest.mark.parametrize("kwargs", [{}, {"blend": False, "value_range": (0, 255)}, {"alpha": 0.5}])
def test_plot_segmentation_mask_gallery_same_pictures(kwargs):
    rng = np.random.default_rng(6)
    images = rng.uniform(0, 255, (2, 5, 6, 3)).astype("float32")
    y_true = rng.integers(0, 3, (2, 5, 6, 1))
    y_pred = rng.integers(0, 3, (2, 5, 6, 1)).astype("float32")
    pictures = []
    for module in (heft, keras):
        module.visualization.plot_segmentation_mask_gallery(
            images, 3, y_true=y_true, y_pred=y_pred, show=False, **kwargs
        )
        fig = plt.gcf()
        assert len(fig.axes) == 6
        pictures.append(_shown(fig))
        plt.close(fig)
    np.testing.assert_array_equal(pictures[0], pictures[1])
