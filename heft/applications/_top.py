"""The end of most applications: the classifier, or the optional pooling of the features."""

from __future__ import annotations

from typing import Any

from .. import layers
from ._common import validate_activation


def classifier_or_pooling(
    x: Any,
    *,
    include_top: bool,
    pooling: str | None,
    classes: int,
    classifier_activation: Any,
    weights: Any,
    avg_name: str | None = "avg_pool",
    max_name: str | None = "max_pool",
) -> Any:
    """Global average pooling and the ``predictions`` layer, or the pooling asked for.

    With ``include_top`` the features are averaged (a layer named ``avg_name``)
    and classified by a ``Dense`` layer named ``predictions``; otherwise
    ``pooling="avg"`` or ``"max"`` pools them (``avg_name`` / ``max_name``;
    ``None`` lets the layer take its automatic name) and ``None`` leaves them.

    Raises:
        ValueError: If ``classifier_activation`` is not softmax or none while
            ``weights`` are loaded.
    """
    if include_top:
        x = layers.GlobalAveragePooling2D(name=avg_name)(x)
        validate_activation(classifier_activation, weights)
        return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


def channel_axis() -> int:
    """The axis of the channels in the current image data format (batch included)."""
    from ..backend import image_data_format

    return 1 if image_data_format() == "channels_first" else 3
