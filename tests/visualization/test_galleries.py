"""The matplotlib galleries, drawn with the Agg backend: axes, images shown, titles, files."""

from __future__ import annotations

import builtins

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")

from heft.visualization import (  # noqa: E402
    draw_bounding_boxes,
    draw_segmentation_masks,
    plot_bounding_box_gallery,
    plot_image_gallery,
    plot_segmentation_mask_gallery,
)


@pytest.fixture(autouse=True)
def _close_figures():
    plt.close("all")
    yield
    plt.close("all")


def _shown(fig):
    return [ax.get_images()[0].get_array() for ax in fig.axes if ax.get_images()]


def test_plot_image_gallery_shows_scaled_images_with_titles():
    images = np.random.default_rng(0).uniform(0, 1, (4, 5, 6, 3)).astype("float32")
    plot_image_gallery(
        images,
        y_true=[0, 1, 2, 3],
        y_pred=[1],
        label_map={0: "a", 1: "b"},
        value_range=(0, 1),
        show=False,
    )
    fig = plt.gcf()
    assert len(fig.axes) == 4
    shown = _shown(fig)
    for image, picture in zip(images, shown, strict=True):
        np.testing.assert_array_equal(picture, (image * np.float32(255)).astype("uint8"))
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["Label: a  Pred: b", "Label: b", "Label: Unknown", "Label: Unknown"]
    assert tuple(fig.get_size_inches()) == (4.0, 4.0)


def test_plot_image_gallery_grid_channels_first_and_uint8_kept():
    images = np.random.default_rng(1).integers(0, 256, (6, 3, 4, 5)).astype("uint8")
    plot_image_gallery(images, rows=2, cols=3, data_format="channels_first", show=False)
    shown = _shown(plt.gcf())
    assert len(shown) == 6 and shown[0].shape == (4, 5, 3)
    np.testing.assert_array_equal(np.stack(shown), images.transpose(0, 2, 3, 1))
    plt.close("all")
    plot_image_gallery(images[:3, :1], data_format="channels_first", show=False)
    assert len(plt.gcf().axes) == 2  # ceil(sqrt(3)) = 2 rows of 3 // 2 = 1 column


def test_plot_image_gallery_saves_to_path(tmp_path):
    images = np.zeros((2, 8, 8, 3), "uint8")
    path = tmp_path / "gallery.png"
    plot_image_gallery(images, path=str(path))
    assert path.stat().st_size > 0
    assert not plt.get_fignums()  # the figure was closed


def test_plot_image_gallery_errors(tmp_path):
    images = np.zeros((2, 4, 4, 3), "uint8")
    with pytest.raises(ValueError, match="either `path`"):
        plot_image_gallery(images, path=str(tmp_path / "x.png"), show=True)
    with pytest.raises(ValueError, match="label_map"):
        plot_image_gallery(images, y_true=[0, 1], show=False)
    with pytest.raises(ValueError, match="rank-4"):
        plot_image_gallery(images[0], show=False)
    with pytest.raises(IndexError, match="needs 4 images"):
        plot_image_gallery(images, rows=2, cols=2, show=False)
    assert not plt.get_fignums()  # nothing drawn by a failed call


def test_galleries_without_matplotlib(monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    images = np.zeros((1, 4, 4, 3), "uint8")
    for call in (
        lambda: plot_image_gallery(images),
        lambda: plot_bounding_box_gallery(images, "xyxy"),
        lambda: plot_segmentation_mask_gallery(images, 2),
    ):
        with pytest.raises(ImportError, match="pip install matplotlib"):
            call()


def test_plot_bounding_box_gallery_shows_drawn_boxes(tmp_path):
    images = np.random.default_rng(2).integers(0, 256, (4, 16, 16, 3)).astype("uint8")
    y_true = {"boxes": np.tile([[[2, 2, 10, 10]]], (4, 1, 1)), "labels": np.zeros((4, 1))}
    y_pred = {"boxes": np.tile([[[4, 4, 12, 13]]], (4, 1, 1)), "labels": np.ones((4, 1))}
    plot_bounding_box_gallery(images, "xyxy", y_true=y_true, y_pred=y_pred, legend=True, show=False)
    fig = plt.gcf()
    expected = draw_bounding_boxes(images, y_true, "xyxy", color=(0, 188, 212))
    expected = draw_bounding_boxes(expected, y_pred, "xyxy", color=(255, 235, 59))
    np.testing.assert_array_equal(np.stack(_shown(fig)), expected)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["Ground Truth", "Prediction"]
    path = tmp_path / "boxes.png"
    plot_bounding_box_gallery(images, "xyxy", y_true=y_true, path=str(path))
    assert path.stat().st_size > 0
    with pytest.raises(ValueError, match="`legend` OR `legend_handles`"):
        plot_bounding_box_gallery(images, "xyxy", legend=True, legend_handles=["x"], show=False)


def test_plot_segmentation_mask_gallery_rows_of_image_true_pred():
    rng = np.random.default_rng(3)
    images = rng.uniform(0, 255, (2, 6, 7, 3)).astype("float32")
    y_true = rng.integers(0, 3, (2, 6, 7, 1))
    y_pred = rng.integers(0, 3, (2, 6, 7)).astype("float32")  # cast to int32 on the way
    plot_segmentation_mask_gallery(images, 3, y_true=y_true, y_pred=y_pred, show=False)
    fig = plt.gcf()
    assert len(fig.axes) == 6
    true_drawn = draw_segmentation_masks(images, y_true, 3)
    pred_drawn = draw_segmentation_masks(images, y_pred.astype("int32"), 3)
    expected = np.stack(
        [images[0], true_drawn[0], pred_drawn[0], images[1], true_drawn[1], pred_drawn[1]]
    ).astype("uint8")
    np.testing.assert_array_equal(np.stack(_shown(fig)), expected)


def test_plot_bounding_box_gallery_channels_first():
    images = np.random.default_rng(4).integers(0, 256, (2, 3, 10, 12)).astype("uint8")
    boxes = {"boxes": np.array([[[1, 1, 8, 6]], [[2, 3, 9, 9]]]), "labels": np.zeros((2, 1))}
    plot_bounding_box_gallery(
        images, "xyxy", y_true=boxes, data_format="channels_first", rows=2, cols=1, show=False
    )
    expected = draw_bounding_boxes(images.transpose(0, 2, 3, 1), boxes, "xyxy", color=(0, 188, 212))
    np.testing.assert_array_equal(np.stack(_shown(plt.gcf())), expected)
