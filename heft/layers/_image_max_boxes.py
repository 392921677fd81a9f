"""``MaxNumBoundingBoxes``: give every image of a batch the same number of bounding boxes."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from ._image_base import BaseImagePreprocessingLayer


class MaxNumBoundingBoxes(BaseImagePreprocessingLayer):
    """Truncates or pads the ``"bounding_boxes"`` of a dict input to ``max_number`` boxes.

    Boxes beyond ``max_number`` are dropped; missing ones are added with every
    coordinate and the label equal to ``fill_value``. Images, labels and
    segmentation masks pass through unchanged, in training and inference alike.
    Like any image layer given boxes, it needs a ``bounding_box_format``.

    Args:
        max_number: The number of boxes per image in the output.
        fill_value: The coordinates and label of added boxes. As in Keras, it is
            not part of ``get_config``.
        **kwargs: Base layer arguments (``bounding_box_format``, ``name``...).

    >>> import numpy as np
    >>> layer = MaxNumBoundingBoxes(3, bounding_box_format="xyxy")
    >>> out = layer({"images": np.zeros((1, 8, 8, 3)),
    ...              "bounding_boxes": {"boxes": np.ones((1, 2, 4)), "labels": np.array([[4, 5]])}})
    >>> out["bounding_boxes"]["labels"].tolist()
    [[4, 5, -1]]
    """

    def __init__(self, max_number: int, fill_value: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_number = int(max_number)
        self.fill_value = int(fill_value)

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True):
        return images

    def transform_labels(self, labels: Any, transformation: Any = None, training: bool = True):
        return labels

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any = None, training: bool = True
    ) -> Any:
        return segmentation_masks

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        """Cut or pad batched boxes (batch, n, 4) and labels (batch, n) to ``max_number``."""
        boxes = jnp.asarray(bounding_boxes["boxes"])[:, : self.max_number]
        labels = jnp.asarray(bounding_boxes["labels"])[:, : self.max_number]
        missing = self.max_number - boxes.shape[1]
        out = dict(bounding_boxes)
        out["boxes"] = jnp.pad(
            boxes, [(0, 0), (0, missing), (0, 0)], constant_values=self.fill_value
        )
        out["labels"] = jnp.pad(labels, [(0, 0), (0, missing)], constant_values=self.fill_value)
        return out

    def compute_output_shape(self, input_shape: Any) -> Any:
        if isinstance(input_shape, dict) and "bounding_boxes" in input_shape:
            box_shapes = input_shape["bounding_boxes"]
            extra = set(box_shapes) - {"boxes", "labels"}
            if extra:
                raise KeyError(
                    f"`bounding_boxes` may only have the keys 'boxes' and 'labels'. Received "
                    f"extra keys: {sorted(extra)}; remove them."
                )
            boxes_shape, labels_shape = list(box_shapes["boxes"]), list(box_shapes["labels"])
            boxes_shape[1] = labels_shape[1] = self.max_number
            input_shape["bounding_boxes"]["boxes"] = boxes_shape
            input_shape["bounding_boxes"]["labels"] = labels_shape
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["max_number"] = self.max_number
        return config
