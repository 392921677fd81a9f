"""Xception, layer for layer as Keras builds it."""

from __future__ import annotations

from typing import Any

from .. import layers
from ..backend import image_data_format
from ._common import WeightFile, build_model, check_weights, image_input, obtain_input_shape
from ._imagenet_utils import decode_predictions as decode_predictions
from ._imagenet_utils import preprocess_input as _imagenet_preprocess
from ._top import arguments_doc, classifier_or_pooling

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
_TOP = WeightFile(
    "xception_weights_tf_dim_ordering_tf_kernels.h5",
    _BASE + "xception_weights_tf_dim_ordering_tf_kernels.h5",
    "0a58e3b7378bc2990ea3b43d5981f1f6",
)
_NOTOP = WeightFile(
    "xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
    _BASE + "xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "b0042744bf5b25fce3cb969f33bebb97",
)


def _axis() -> int:
    return 1 if image_data_format() == "channels_first" else -1


def _sepconv_bn(x: Any, filters: int, name: str) -> Any:
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return layers.BatchNormalization(axis=_axis(), name=f"{name}_bn")(x)


def _downsampling_block(x: Any, filters: tuple[int, int], block: int, first_relu: bool) -> Any:
    """Two separable convolutions and a strided max pool, beside a strided 1x1 shortcut."""
    residual = layers.Conv2D(filters[1], (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    residual = layers.BatchNormalization(axis=_axis())(residual)
    if first_relu:
        x = layers.Activation("relu", name=f"block{block}_sepconv1_act")(x)
    x = _sepconv_bn(x, filters[0], f"block{block}_sepconv1")
    x = layers.Activation("relu", name=f"block{block}_sepconv2_act")(x)
    x = _sepconv_bn(x, filters[1], f"block{block}_sepconv2")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return layers.add([x, residual])


def Xception(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "xception",
) -> Any:
    check_weights(weights, include_top, classes)
    shape = obtain_input_shape(
        input_shape,
        default_size=299,
        min_size=71,
        data_format=image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    img_input = image_input(input_tensor, shape)
    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = layers.BatchNormalization(axis=_axis(), name="block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.BatchNormalization(axis=_axis(), name="block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)
    # Entry flow: the first block's input is already activated.
    x = _downsampling_block(x, (128, 128), 2, first_relu=False)
    x = _downsampling_block(x, (256, 256), 3, first_relu=True)
    x = _downsampling_block(x, (728, 728), 4, first_relu=True)
    # Middle flow: eight residual blocks of three separable convolutions.
    for block in range(5, 13):
        residual = x
        for conv in (1, 2, 3):
            x = layers.Activation("relu", name=f"block{block}_sepconv{conv}_act")(x)
            x = _sepconv_bn(x, 728, f"block{block}_sepconv{conv}")
        x = layers.add([x, residual])
    # Exit flow.
    x = _downsampling_block(x, (728, 1024), 13, first_relu=True)
    x = _sepconv_bn(x, 1536, "block14_sepconv1")
    x = layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = _sepconv_bn(x, 2048, "block14_sepconv2")
    x = layers.Activation("relu", name="block14_sepconv2_act")(x)
    x = classifier_or_pooling(
        x,
        include_top=include_top,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        weights=weights,
        avg_name=None,
        max_name=None,
    )
    return build_model(input_tensor, img_input, x, name, weights, _TOP if include_top else _NOTOP)


Xception.__doc__ = (
    "Builds Xception (depthwise separable convolutions with residual links), as Keras does.\n"
    + arguments_doc(299, 71, "-1..1")
)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scales images for Xception: pixel values 0..255 to -1..1 (``tf`` mode).

    >>> import numpy as np
    >>> preprocess_input(np.full((1, 1, 1, 3), 127.5))[0, 0, 0].tolist()
    [0.0, 0.0, 0.0]
    """
    return _imagenet_preprocess(x, data_format=data_format, mode="tf")
