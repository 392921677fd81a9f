"""MobileNetV2, layer for layer as Keras builds it (any width ``alpha``)."""

from __future__ import annotations

import warnings
from typing import Any

from .. import layers
from ..backend import image_data_format
from ._common import (
    WeightFile,
    build_model,
    check_weights,
    correct_pad,
    image_input,
    obtain_input_shape,
)
from ._imagenet_utils import decode_predictions as decode_predictions
from ._imagenet_utils import preprocess_input as _imagenet_preprocess
from ._top import classifier_or_pooling

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
_ALPHAS = (0.35, 0.50, 0.75, 1.0, 1.3, 1.4)
_SIZES = (96, 128, 160, 192, 224)
# (filters, stride, expansion) of blocks 0..16.
_BLOCKS = (
    (16, 1, 1),
    *((24, s, 6) for s in (2, 1)),
    *((32, s, 6) for s in (2, 1, 1)),
    *((64, s, 6) for s in (2, 1, 1, 1)),
    *((96, 1, 6) for _ in range(3)),
    *((160, s, 6) for s in (2, 1, 1)),
    (320, 1, 6),
)


def make_divisible(value: float, divisor: int, min_value: int | None = None) -> int:
    """``value`` rounded to a multiple of ``divisor``, never more than 10% below it."""
    floor = divisor if min_value is None else min_value
    rounded = max(floor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def weight_file(alpha: float, rows: int, include_top: bool) -> WeightFile:
    """Keras's published ImageNet file for width ``alpha`` at ``rows`` x ``rows`` (no hash)."""
    tail = "" if include_top else "_no_top"
    fname = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}{tail}.h5"
    return WeightFile(fname, _BASE + fname, None)


def _default_size(input_shape: Any, input_tensor: Any) -> int:
    """224, or the square size asked for when it is one of the published ones."""
    channels_first = image_data_format() == "channels_first"
    if input_shape is not None:
        rows, cols = input_shape[1:3] if channels_first else input_shape[:2]
    elif input_tensor is not None and hasattr(input_tensor, "shape"):
        rows, cols = input_tensor.shape[2:4] if channels_first else input_tensor.shape[1:3]
    else:
        return 224
    return rows if rows == cols and rows in _SIZES else 224


def _inverted_res_block(
    x: Any, expansion: int, stride: int, alpha: float, filters: int, block_id: int
) -> Any:
    axis = 1 if image_data_format() == "channels_first" else -1
    inputs = x
    in_channels = x.shape[axis]
    pointwise_filters = make_divisible(int(filters * alpha), 8)
    prefix = f"block_{block_id}_" if block_id else "expanded_conv_"

    def batch_norm(name: str) -> layers.BatchNormalization:
        return layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name=name)

    if block_id:
        x = layers.Conv2D(
            expansion * in_channels, 1, padding="same", use_bias=False, name=f"{prefix}expand"
        )(x)
        x = batch_norm(f"{prefix}expand_BN")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(x)
    if stride == 2:
        x = layers.ZeroPadding2D(padding=correct_pad(x, 3), name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(
        3,
        strides=stride,
        use_bias=False,
        padding="same" if stride == 1 else "valid",
        name=f"{prefix}depthwise",
    )(x)
    x = batch_norm(f"{prefix}depthwise_BN")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = layers.Conv2D(
        pointwise_filters, 1, padding="same", use_bias=False, name=f"{prefix}project"
    )(x)
    x = batch_norm(f"{prefix}project_BN")(x)
    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def MobileNetV2(
    input_shape: Any = None,
    alpha: float = 1.0,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str | None = None,
) -> Any:
    """Builds MobileNetV2 (inverted residual blocks with linear bottlenecks), as Keras does.

    Args:
        input_shape: The image shape without the batch, at least 32x32. Square
            sizes 96, 128, 160, 192 or 224 pick the ImageNet file of that size;
            other sizes load the 224 one (with a warning).
        alpha: The width multiplier: below 1 thins every layer, above 1 widens
            it. ImageNet weights exist for 0.35, 0.5, 0.75, 1.0, 1.3 and 1.4.
        include_top: Whether to end with the ``classes``-way classifier.
        weights: ``None`` (random), ``"imagenet"`` (Keras's published weights,
            downloaded once into ``~/.keras/models``) or the path of a weights file.
        input_tensor: A tensor (e.g. ``heft.Input``) to build the model on.
        pooling: Without the classifier: ``None``, ``"avg"`` or ``"max"``.
        classes: The number of classes (1000 with ImageNet weights).
        classifier_activation: The classifier's activation; ``None`` gives logits.
        name: The model's name; by default ``mobilenetv2_<alpha>_<rows>``.

    Returns:
        A ``heft.Model`` whose inputs are expected scaled to -1..1 by this
        module's ``preprocess_input``.

    Raises:
        ValueError: For bad ``weights``, ``classes != 1000`` with ImageNet
            weights and the classifier, an ``alpha`` without ImageNet weights, an
            input shape that is too small, or a weights file that does not fit.
    """
    check_weights(weights, include_top, classes)
    shape = obtain_input_shape(
        input_shape,
        default_size=_default_size(input_shape, input_tensor),
        min_size=32,
        data_format=image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    rows, cols = shape[1:3] if image_data_format() == "channels_first" else shape[:2]
    if weights == "imagenet":
        if alpha not in _ALPHAS:
            raise ValueError(
                "ImageNet weights of MobileNetV2 exist for alpha 0.35, 0.5, 0.75, 1.0, 1.3 "
                f"and 1.4. Received: alpha={alpha}. Pick one of these, or pass weights=None."
            )
        if rows != cols or rows not in _SIZES:
            rows = 224
            warnings.warn(
                "`input_shape` is not square, or not one of 96, 128, 160, 192 or 224 "
                "pixels: the ImageNet weights for 224x224 are loaded.",
                UserWarning,
                stacklevel=2,
            )
    img_input = image_input(input_tensor, shape)
    axis = 1 if image_data_format() == "channels_first" else -1
    x = layers.Conv2D(
        make_divisible(32 * alpha, 8),
        3,
        strides=(2, 2),
        padding="same",
        use_bias=False,
        name="Conv1",
    )(img_input)
    x = layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name="bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, expansion, stride, alpha, filters, block_id)
    # The last convolution only widens, never thins, with alpha.
    last_filters = make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last_filters, 1, use_bias=False, name="Conv_1")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name="Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    x = classifier_or_pooling(
        x,
        include_top=include_top,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        weights=weights,
        avg_name=None,
        max_name=None,
        top_pool_name=None,
    )
    if name is None:
        name = f"mobilenetv2_{alpha:0.2f}_{rows}"
    pretrained = (
        weight_file(alpha, int(rows), include_top) if weights == "imagenet" and rows else None
    )
    return build_model(input_tensor, img_input, x, name, weights, pretrained)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scales images for MobileNetV2: pixel values 0..255 to -1..1 (``tf`` mode).

    >>> import numpy as np
    >>> preprocess_input(np.zeros((1, 1, 1, 3)))[0, 0, 0].tolist()
    [-1.0, -1.0, -1.0]
    """
    return _imagenet_preprocess(x, data_format=data_format, mode="tf")
