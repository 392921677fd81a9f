"""Galleries of images, of images with boxes, and of images with masks, drawn with matplotlib."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._config import image_data_format
from ._draw_boxes import _check_data_format, draw_bounding_boxes
from ._draw_masks import draw_segmentation_masks


def _matplotlib(what: str) -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            f"The `{what}` function requires the `matplotlib` package. "
            "Install it with `pip install matplotlib`."
        ) from None
    return plt


def _rescale(images: np.ndarray, value_range: Sequence[float]) -> np.ndarray:
    """Map ``value_range`` linearly onto [0, 255] in float32 (unchanged when it is (0, 255))."""
    low, high = value_range
    if low == 0 and high == 255:
        return images
    low32, high32 = np.float32(low), np.float32(high)
    unit = (images.astype("float32") - low32) / (high32 - low32)
    return unit * np.float32(255) + np.float32(0)


def _unit_rgb(color: Sequence[int]) -> tuple[float, float, float]:
    red, green, blue = (float(c) / 255.0 for c in color)
    return red, green, blue


def _batch(images: Any, what: str, data_format: str) -> np.ndarray:
    _check_data_format(data_format)
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(
            f"`{what}` needs a batch of images, a rank-4 array. Received: images.shape="
            f"{images.shape}; add a batch axis, e.g. `images[None]`."
        )
    if images.dtype.kind not in "biuf":  # bfloat16 and the like
        images = images.astype("float32")
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)
    return images


def plot_image_gallery(
    images: Any,
    y_true: Any = None,
    y_pred: Any = None,
    label_map: Mapping[Any, str] | None = None,
    rows: int | None = None,
    cols: int | None = None,
    value_range: Sequence[float] = (0, 255),
    scale: float = 2,
    path: str | None = None,
    show: bool | None = None,
    transparent: bool = True,
    dpi: int = 60,
    legend_handles: Sequence[Any] | None = None,
    data_format: str | None = None,
) -> None:
    """Show a grid of images, titled with their labels and predictions if given.

    Needs ``matplotlib`` (imported on call). The images are mapped linearly from
    ``value_range`` to [0, 255] and cast to ``uint8`` before they are shown. Without
    ``rows``, there are ``ceil(sqrt(batch))`` rows; without ``cols``,
    ``batch // rows`` columns (as in Keras, so a batch that is not a square or a
    multiple of ``rows`` shows only its first ``rows * cols`` images).

    Args:
        images: A batch of images, rank 4.
        y_true: Class ids, one per image, shown as ``"Label: name"``.
        y_pred: Predicted class ids, one per image, shown as ``"Pred: name"``.
        label_map: Class id to name (``"Unknown"`` for ids not in it); required with
            ``y_true`` or ``y_pred``.
        rows: Rows of the grid.
        cols: Columns of the grid.
        value_range: The range of the image values, e.g. ``(0, 1)``.
        scale: Inches per grid cell.
        path: Where to save the figure (then it is closed, not shown).
        show: Whether to show the figure with ``plt.show()`` (then it is closed);
            defaults to ``path is None``. With ``show=False`` and no ``path`` the
            figure stays open as matplotlib's current figure.
        transparent: Whether the saved figure has a transparent background.
        dpi: Resolution of the saved figure.
        legend_handles: matplotlib artists (e.g. ``Patch``) for a legend under the grid.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``heft.config.image_data_format()``.

    Raises:
        ValueError: If both ``path`` and ``show`` are given, labels come without a
            ``label_map``, ``images`` is not rank 4, or ``rows``/``cols`` are not positive.
        IndexError: If the grid has more cells than there are images.
        ImportError: If matplotlib is not installed.
    """
    plt = _matplotlib("plot_image_gallery")
    if path is not None and show:
        raise ValueError(
            "plot_image_gallery() expects either `path` to be set, or `show` to be true, "
            f"not both. Received: path={path!r}, show={show!r}"
        )
    if (y_true is not None or y_pred is not None) and label_map is None:
        raise ValueError(
            "If `y_true` or `y_pred` are provided, a `label_map` must also be provided "
            "(a dict from class id to name)."
        )
    show = show if show is not None else (path is None)
    data_format = data_format or image_data_format()
    images = _batch(images, "plot_image_gallery", data_format)
    batch_size = images.shape[0]
    rows = rows or math.ceil(math.sqrt(batch_size))
    cols = cols or batch_size // rows
    if rows < 1 or cols < 1:
        raise ValueError(
            f"The gallery needs at least one row and one column. Received: rows={rows}, "
            f"cols={cols} for {batch_size} images; pass `rows` and `cols` explicitly."
        )
    if rows * cols > batch_size:
        raise IndexError(
            f"A gallery of {rows} rows and {cols} columns needs {rows * cols} images, but "
            f"{batch_size} were given. Pass fewer `rows`/`cols` or more images."
        )
    images = _rescale(images[: rows * cols], value_range)
    if y_true is not None:
        y_true = np.asarray(y_true)
    if y_pred is not None:
        y_pred = np.asarray(y_pred)

    fig, axes = plt.subplots(
        nrows=rows,
        ncols=cols,
        figsize=(cols * scale, rows * scale),
        frameon=False,
        layout="tight",
        squeeze=False,
        sharex="row",
        sharey="col",
    )
    fig.subplots_adjust(wspace=0, hspace=0)
    if legend_handles is not None:
        fig.legend(handles=legend_handles, loc="lower center")
    for row in range(rows):
        for col in range(cols):
            index = row * cols + col
            axis = axes[row, col]
            axis.imshow(images[index].astype("uint8"))
            axis.margins(x=0, y=0)
            axis.axis("off")
            title = []
            if y_true is not None and index < len(y_true):
                title.append(f"Label: {label_map.get(y_true[index], 'Unknown')}")  # type: ignore[union-attr]
            if y_pred is not None and index < len(y_pred):
                title.append(f"Pred: {label_map.get(y_pred[index], 'Unknown')}")  # type: ignore[union-attr]
            if title:
                axis.set_title("  ".join(title), fontsize=8)

    if path is not None:
        fig.savefig(path, pad_inches=0, bbox_inches="tight", transparent=transparent, dpi=dpi)
        plt.close(fig)
    elif show:
        plt.show()
        plt.close(fig)


def plot_bounding_box_gallery(
    images: Any,
    bounding_box_format: str,
    y_true: Mapping[str, Any] | None = None,
    y_pred: Mapping[str, Any] | None = None,
    value_range: Sequence[float] = (0, 255),
    true_color: Sequence[int] = (0, 188, 212),
    pred_color: Sequence[int] = (255, 235, 59),
    line_thickness: int = 2,
    font_scale: float = 1.0,
    text_thickness: int | None = None,
    class_mapping: Mapping[int, str] | None = None,
    ground_truth_mapping: Mapping[int, str] | None = None,
    prediction_mapping: Mapping[int, str] | None = None,
    legend: bool = False,
    legend_handles: Sequence[Any] | None = None,
    rows: int | None = None,
    cols: int | None = None,
    data_format: str | None = None,
    **kwargs: Any,
) -> None:
    """Show a gallery of images with their true and predicted boxes drawn on them.

    The boxes are drawn by ``draw_bounding_boxes`` (which returns ``uint8`` images,
    scaling float images whose maximum is at most 1), then shown by
    ``plot_image_gallery`` with ``value_range``. Needs ``matplotlib``.

    Args:
        images: A batch of images, rank 4.
        bounding_box_format: The format of the boxes (see ``convert_format``).
        y_true: True boxes, a dict as ``draw_bounding_boxes`` takes.
        y_pred: Predicted boxes, a dict as ``draw_bounding_boxes`` takes.
        value_range: The range of the image values after drawing.
        true_color: RGB colour of the true boxes.
        pred_color: RGB colour of the predicted boxes.
        line_thickness: Thickness of the outlines.
        font_scale: Size of the labels.
        text_thickness: Thickness of the labels; defaults to ``line_thickness``.
        class_mapping: Class id to name, for both kinds of boxes.
        ground_truth_mapping: Class id to name for the true boxes (else ``class_mapping``).
        prediction_mapping: Class id to name for the predictions (else ``class_mapping``).
        legend: Whether to add a legend naming the two colours.
        legend_handles: matplotlib artists for a legend of your own (not with ``legend``).
        rows: Rows of the grid.
        cols: Columns of the grid.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``heft.config.image_data_format()``.
        **kwargs: Passed on to ``plot_image_gallery`` (``path``, ``show``, ``scale``, ...).

    Raises:
        ValueError: If ``images`` is not rank 4, or both ``legend`` and
            ``legend_handles`` are given.
        ImportError: If matplotlib is not installed.
    """
    _matplotlib("plot_bounding_box_gallery")
    if legend and legend_handles:
        raise ValueError(
            "Only pass `legend` OR `legend_handles` to "
            "`heft.visualization.plot_bounding_box_gallery()`, not both."
        )
    prediction_mapping = prediction_mapping or class_mapping
    ground_truth_mapping = ground_truth_mapping or class_mapping
    data_format = data_format or image_data_format()
    plotted = _batch(images, "plot_bounding_box_gallery", data_format)

    def draw(
        plotted: np.ndarray, boxes: Mapping[str, Any], color: Sequence[int], names: Any
    ) -> np.ndarray:
        return draw_bounding_boxes(
            plotted,
            boxes,
            bounding_box_format,
            class_mapping=names,
            color=color,
            line_thickness=line_thickness,
            text_thickness=text_thickness,
            font_scale=font_scale,
            data_format="channels_last",
        )

    if y_true is not None:
        plotted = draw(plotted, y_true, true_color, ground_truth_mapping)
    if y_pred is not None:
        plotted = draw(plotted, y_pred, pred_color, prediction_mapping)
    if legend:
        from matplotlib import patches

        legend_handles = [
            patches.Patch(color=_unit_rgb(true_color), label="Ground Truth"),
            patches.Patch(color=_unit_rgb(pred_color), label="Prediction"),
        ]
    plot_image_gallery(
        plotted,
        value_range=value_range,
        legend_handles=legend_handles,
        rows=rows,
        cols=cols,
        data_format="channels_last",
        **kwargs,
    )


def plot_segmentation_mask_gallery(
    images: Any,
    num_classes: int,
    value_range: Sequence[float] = (0, 255),
    y_true: Any = None,
    y_pred: Any = None,
    color_mapping: Mapping[int, Sequence[int]] | None = None,
    blend: bool = True,
    alpha: float = 0.8,
    ignore_index: int = -1,
    data_format: str | None = None,
    **kwargs: Any,
) -> None:
    """Show each image in a row beside its true and predicted masks drawn over it.

    The masks are drawn by ``draw_segmentation_masks`` (cast to int32 first) and the
    rows shown by ``plot_image_gallery`` with ``value_range``, one row per image and
    one column each for the image, ``y_true`` and ``y_pred``. Needs ``matplotlib``.

    Args:
        images: A batch of images, rank 4.
        num_classes: The number of classes.
        value_range: The range of the values shown.
        y_true: True masks, ``(batch, height, width, 1)`` or ``(batch, height, width)``
            (``(batch, 1, height, width)`` channels-first).
        y_pred: Predicted masks, shaped as ``y_true``.
        color_mapping: Class id to RGB colour; defaults to a fixed palette.
        blend: Whether to blend the colours with the images.
        alpha: The opacity of the colours when blending.
        ignore_index: A mask value that is not drawn.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``heft.config.image_data_format()``.
        **kwargs: Passed on to ``plot_image_gallery`` (``path``, ``show``, ``scale``, ...).

    Raises:
        ValueError: If ``images`` is not rank 4.
        ImportError: If matplotlib is not installed.
    """
    _matplotlib("plot_segmentation_mask_gallery")
    data_format = data_format or image_data_format()
    images_np = _batch(images, "plot_segmentation_mask_gallery", data_format)
    drawn = []
    for masks in (y_true, y_pred):
        if masks is None:
            continue
        masks = np.asarray(masks)
        if data_format == "channels_first":
            if masks.ndim != 4:
                raise ValueError(
                    "With data_format='channels_first', the masks must be "
                    f"(batch, 1, height, width). Received: shape={masks.shape}"
                )
            masks = masks.transpose(0, 2, 3, 1)
        drawn.append(
            draw_segmentation_masks(
                images_np,
                masks.astype("int32"),
                num_classes=num_classes,
                color_mapping=color_mapping,
                alpha=alpha,
                ignore_index=ignore_index,
                blend=blend,
                data_format="channels_last",
            )
        )
    gallery = np.stack(
        [
            image
            for i in range(images_np.shape[0])
            for image in (images_np[i], *(d[i] for d in drawn))
        ]
    )
    plot_image_gallery(
        gallery,
        value_range=value_range,
        rows=images_np.shape[0],
        cols=1 + len(drawn),
        data_format="channels_last",
        **kwargs,
    )
