"""DenseNet121/169/201: Keras's layers, names and published ImageNet weights."""

from __future__ import annotations

from typing import Any

from .. import layers
from ..backend import image_data_format
from ..models import Functional
from . import _imagenet_utils
from ._common import (
    WeightFile,
    build_model,
    check_weights,
    image_input,
    obtain_input_shape,
    validate_activation,
)

_BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"

# Blocks per dense stage, and Keras's md5 of each published file (with the
# classifier, without it).
_VARIANTS = {
    121: ((6, 12, 24, 16), "9d60b8095a5708f2dcce2bca79d332c7", "30ee3e1110167f948a6b9946edeeb738"),
    169: ((6, 12, 32, 32), "d699b8f76981ab1b30698df4c175e90b", "b8c4d4c20dd625c148057b9ff1c1176b"),
    201: ((6, 12, 48, 32), "1ceb130c1ea1b78c3bf6114dbdfd8807", "c13680b51ded0fb44dff2d8f86ac8bb1"),
}
_EPSILON = 1.001e-5
_GROWTH_RATE = 32


def _conv_block(x: Any, name: str) -> Any:
    """Batch norm, 1x1 then 3x3 convolution, the result appended to ``x``'s channels."""
    y = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name=f"{name}_0_bn")(x)
    y = layers.Activation("relu", name=f"{name}_0_relu")(y)
    y = layers.Conv2D(4 * _GROWTH_RATE, 1, use_bias=False, name=f"{name}_1_conv")(y)
    y = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name=f"{name}_1_bn")(y)
    y = layers.Activation("relu", name=f"{name}_1_relu")(y)
    y = layers.Conv2D(_GROWTH_RATE, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(y)
    return layers.Concatenate(axis=3, name=f"{name}_concat")([x, y])


def _transition_block(x: Any, name: str) -> Any:
    """Halve the channels (1x1 convolution) and the image (2x2 average pooling)."""
    x = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name=f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = layers.Conv2D(int(x.shape[3] * 0.5), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def _densenet(
    depth: int,
    include_top: bool,
    weights: Any,
    input_tensor: Any,
    input_shape: Any,
    pooling: str | None,
    classes: int,
    classifier_activation: Any,
    name: str,
) -> Functional:
    if image_data_format() == "channels_first":
        raise ValueError(
            "DenseNet is built for the 'channels_last' image data format only. Received: "
            "image_data_format()='channels_first'. Call "
            "heft.config.set_image_data_format('channels_last') before building it."
        )
    check_weights(weights, include_top, classes)
    shape = obtain_input_shape(
        input_shape,
        default_size=224,
        min_size=32,
        data_format=image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    img_input = image_input(input_tensor, shape)
    blocks, top_hash, notop_hash = _VARIANTS[depth]

    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, count in enumerate(blocks, start=2):
        for i in range(count):
            x = _conv_block(x, f"conv{stage}_block{i + 1}")
        if stage < 5:
            x = _transition_block(x, f"pool{stage}")
    x = layers.BatchNormalization(axis=3, epsilon=_EPSILON, name="bn")(x)
    x = layers.Activation("relu", name="relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)

    suffix = "" if include_top else "_notop"
    fname = f"densenet{depth}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    pretrained = WeightFile(fname, _BASE_URL + fname, top_hash if include_top else notop_hash)
    return build_model(input_tensor, img_input, x, name, weights, pretrained)


_DOC = """The {name} image classifier, layer for layer Keras's, optionally with its
ImageNet weights.

    Feed it images passed through ``heft.applications.densenet.preprocess_input``
    (pixels in [0, 255] scaled to [0, 1], then standardised per channel with the
    ImageNet mean and deviation). Built for ``channels_last`` only.

    Args:
        include_top: Whether to end with the 1000-class (or ``classes``) classifier.
        weights: ``None`` (random), ``"imagenet"`` (downloaded once into
            ``~/.keras/models``, hash checked) or the path of a weights file.
        input_tensor: An optional symbolic tensor to build the model on.
        input_shape: The image shape, only with ``include_top=False`` (at least
            32x32, 3 channels for ImageNet weights); by default ``(224, 224, 3)``.
        pooling: With ``include_top=False``: ``None`` (the last feature map),
            ``"avg"`` or ``"max"`` (global pooling to a vector).
        classes: The classifier's classes, 1000 with ImageNet weights.
        classifier_activation: The classifier's activation; ``None`` or
            ``"softmax"`` with pretrained weights.
        name: The model's name.

    Returns:
        A ``Functional`` model whose layers, names and weights are Keras's.

    Raises:
        ValueError: If the image data format is ``channels_first``, ``weights`` is
            neither ``None``, ``"imagenet"`` nor a file, ``classes`` is not 1000 with
            ImageNet weights and the classifier, the input shape is invalid or too
            small, or the weights file does not fit.
"""


def DenseNet121(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "densenet121",
) -> Functional:
    return _densenet(121, **locals())


def DenseNet169(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "densenet169",
) -> Functional:
    return _densenet(169, **locals())


def DenseNet201(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "densenet201",
) -> Functional:
    return _densenet(201, **locals())


DenseNet121.__doc__ = _DOC.format(name="DenseNet121")
DenseNet169.__doc__ = _DOC.format(name="DenseNet169")
DenseNet201.__doc__ = _DOC.format(name="DenseNet201")


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Images for DenseNet: pixels scaled to [0, 1], then standardised per channel.

    The ``"torch"`` mode of ``heft.applications.imagenet_utils.preprocess_input``
    (ImageNet mean and deviation, RGB order); a numpy array comes back as a new
    float32 array, a tensor as a tensor.

    >>> import numpy as np
    >>> preprocess_input(np.full((1, 1, 3), 255.0)).round(3).tolist()
    [[[2.249, 2.429, 2.64]]]
    """
    return _imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


decode_predictions = _imagenet_utils.decode_predictions
