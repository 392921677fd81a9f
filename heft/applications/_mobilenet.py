"""MobileNet (the first one: depthwise separable convolutions), layer for layer as Keras's."""

from __future__ import annotations

import warnings
from typing import Any

from .. import layers
from ..backend import image_data_format
from ._common import (
    WeightFile,
    build_model,
    check_weights,
    image_input,
    obtain_input_shape,
    validate_activation,
)
from ._imagenet_utils import decode_predictions as decode_predictions
from ._imagenet_utils import preprocess_input as _imagenet_preprocess
from ._top import classifier_or_pooling

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"
_ALPHA_TEXT = {1.0: "1_0", 0.75: "7_5", 0.50: "5_0", 0.25: "2_5"}
_SIZES = (128, 160, 192, 224)
# (pointwise filters, stride) of blocks 1..13.
_BLOCKS = (
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    *((512, 1) for _ in range(5)),
    (1024, 2),
    (1024, 1),
)


def weight_file(alpha: float, rows: int, include_top: bool) -> WeightFile:
    """Keras's published ImageNet file for width ``alpha`` at ``rows`` x ``rows`` (no hash)."""
    fname = f"mobilenet_{_ALPHA_TEXT[alpha]}_{rows}_tf{'' if include_top else '_no_top'}.h5"
    return WeightFile(fname, _BASE + fname, None)


def _axis() -> int:
    return 1 if image_data_format() == "channels_first" else -1


def _depthwise_conv_block(
    x: Any, filters: int, alpha: float, depth_multiplier: int, stride: int, block_id: int
) -> Any:
    if stride != 1:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D(
        (3, 3),
        padding="same" if stride == 1 else "valid",
        depth_multiplier=depth_multiplier,
        strides=(stride, stride),
        use_bias=False,
        name=f"conv_dw_{block_id}",
    )(x)
    x = layers.BatchNormalization(axis=_axis(), name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(
        int(filters * alpha),
        (1, 1),
        padding="same",
        use_bias=False,
        strides=(1, 1),
        name=f"conv_pw_{block_id}",
    )(x)
    x = layers.BatchNormalization(axis=_axis(), name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def MobileNet(
    input_shape: Any = None,
    alpha: float = 1.0,
    depth_multiplier: int = 1,
    dropout: float = 1e-3,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str | None = None,
) -> Any:
    """Builds MobileNet (depthwise separable convolutions), as Keras does.

    Args:
        input_shape: The image shape without the batch, at least 32x32. Square
            sizes 128, 160, 192 or 224 pick the ImageNet file of that size;
            other sizes load the 224 one (with a warning).
        alpha: The width multiplier; ImageNet weights exist for 0.25, 0.5, 0.75 and 1.0.
        depth_multiplier: Channels per input channel of the depthwise
            convolutions (1 with ImageNet weights).
        dropout: The dropout rate before the classifier.
        include_top: Whether to end with the ``classes``-way classifier (a 1x1
            convolution on the pooled features).
        weights: ``None`` (random), ``"imagenet"`` (Keras's published weights,
            downloaded once into ``~/.keras/models``) or the path of a weights file.
        input_tensor: A tensor (e.g. ``heft.Input``) to build the model on.
        pooling: Without the classifier: ``None``, ``"avg"`` or ``"max"``.
        classes: The number of classes (1000 with ImageNet weights).
        classifier_activation: The classifier's activation; ``None`` gives logits.
        name: The model's name; by default ``mobilenet_<alpha>_<rows>``.

    Returns:
        A ``heft.Model`` whose inputs are expected scaled to -1..1 by this
        module's ``preprocess_input``.

    Raises:
        ValueError: For bad ``weights``, ``classes != 1000`` with ImageNet
            weights and the classifier, an ``alpha`` or ``depth_multiplier``
            without ImageNet weights, an input shape that is too small, or a
            weights file that does not fit.
    """
    check_weights(weights, include_top, classes)
    default_size = 224
    if input_shape is not None:
        rows, cols = input_shape[1:3] if _axis() == 1 else input_shape[:2]
        if rows == cols and rows in _SIZES:
            default_size = rows
    shape = obtain_input_shape(
        input_shape,
        default_size=default_size,
        min_size=32,
        data_format=image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    rows, cols = shape[1:3] if _axis() == 1 else shape[:2]
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError(
                "ImageNet weights of MobileNet exist for depth_multiplier=1 only. Received: "
                f"depth_multiplier={depth_multiplier}. Pass 1, or weights=None."
            )
        if alpha not in _ALPHA_TEXT:
            raise ValueError(
                "ImageNet weights of MobileNet exist for alpha 0.25, 0.5, 0.75 and 1.0. "
                f"Received: alpha={alpha}. Pick one of these, or pass weights=None."
            )
        if rows != cols or rows not in _SIZES:
            rows = 224
            warnings.warn(
                "`input_shape` is not square, or not one of 128, 160, 192 or 224 pixels: "
                "the ImageNet weights for 224x224 are loaded.",
                UserWarning,
                stacklevel=2,
            )
    img_input = image_input(input_tensor, shape)
    x = layers.Conv2D(
        int(32 * alpha), (3, 3), padding="same", use_bias=False, strides=(2, 2), name="conv1"
    )(img_input)
    x = layers.BatchNormalization(axis=_axis(), name="conv1_bn")(x)
    x = layers.ReLU(6.0, name="conv1_relu")(x)
    for block_id, (filters, stride) in enumerate(_BLOCKS, start=1):
        x = _depthwise_conv_block(x, filters, alpha, depth_multiplier, stride, block_id)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = classifier_or_pooling(
            x,
            include_top=False,
            pooling=pooling,
            classes=classes,
            classifier_activation=classifier_activation,
            weights=weights,
            avg_name=None,
            max_name=None,
        )
    if name is None:
        name = f"mobilenet_{alpha:0.2f}_{rows}"
    pretrained = (
        weight_file(alpha, int(rows), include_top) if weights == "imagenet" and rows else None
    )
    return build_model(input_tensor, img_input, x, name, weights, pretrained)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scales images for MobileNet: pixel values 0..255 to -1..1 (``tf`` mode).

    >>> import numpy as np
    >>> preprocess_input(np.full((1, 1, 1, 3), 255.0))[0, 0, 0].tolist()
    [1.0, 1.0, 1.0]
    """
    return _imagenet_preprocess(x, data_format=data_format, mode="tf")
