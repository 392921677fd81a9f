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
    top_pool_name: str | None = "avg_pool",
) -> Any:
    """Global average pooling and the ``predictions`` layer, or the pooling asked for.

    With ``include_top`` the features are averaged
    (a layer named ``top_pool_name``) and classified by a ``Dense`` layer named
    ``predictions``; otherwise ``pooling="avg"`` or ``"max"`` pools them
    (``avg_name`` / ``max_name``; ``None`` lets the layer take its automatic
    name) and ``None`` leaves them.

    Raises:
        ValueError: If ``classifier_activation`` is not softmax or none while
            ``weights`` are loaded.
    """
    if include_top:
        x = layers.GlobalAveragePooling2D(name=top_pool_name)(x)
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


def arguments_doc(default_size: int, min_size: int, scaling: str) -> str:
    """The Args/Returns/Raises part of the docstring most applications share."""
    return f"""
    Args:
        include_top: Whether to end with the ``classes``-way classifier.
        weights: ``None`` (random), ``"imagenet"`` (Keras's published weights,
            downloaded once into ``~/.keras/models``) or the path of a weights file.
        input_tensor: A tensor (e.g. ``heft.Input``) to build the model on.
        input_shape: The image shape without the batch, at least
            {min_size}x{min_size}; with ``include_top`` and ImageNet weights it
            must be ``({default_size}, {default_size}, 3)``.
        pooling: Without the classifier: ``None`` (the last feature map),
            ``"avg"`` or ``"max"`` (global pooling to a vector).
        classes: The number of classes of the classifier (1000 with ImageNet weights).
        classifier_activation: The classifier's activation; ``None`` gives logits.
            With pretrained weights only ``"softmax"`` or ``None``.
        name: The model's name.

    Returns:
        A ``heft.Model``. Its inputs are expected scaled by this module's
        ``preprocess_input`` ({scaling}).

    Raises:
        ValueError: For ``weights`` that are not ``None``, ``"imagenet"`` or a
            file; ``classes != 1000`` with ImageNet weights and the classifier; an
            input shape that is too small or not the trained one; a weights file
            of another architecture or ``include_top``.
"""
