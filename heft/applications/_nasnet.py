"""NASNetMobile and NASNetLarge: Keras's cells, layer names, name scopes and ImageNet weights."""

from __future__ import annotations

from typing import Any

from .. import layers
from .._scope import name_scope
from ..backend import image_data_format
from ..models import Functional
from . import _imagenet_utils
from ._common import (
    WeightFile,
    build_model,
    check_weights,
    correct_pad,
    image_input,
    obtain_input_shape,
    validate_activation,
)

_BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/nasnet/"
_MOBILE = (
    WeightFile(
        "nasnet_mobile.h5", _BASE_URL + "NASNet-mobile.h5", "020fb642bf7360b370c678b08e0adf61"
    ),
    WeightFile(
        "nasnet_mobile_no_top.h5",
        _BASE_URL + "NASNet-mobile-no-top.h5",
        "1ed92395b5b598bdda52abe5c0dbfd63",
    ),
)
_LARGE = (
    WeightFile(
        "nasnet_large.h5", _BASE_URL + "NASNet-large.h5", "11577c9a518f0070763c2b964a382f17"
    ),
    WeightFile(
        "nasnet_large_no_top.h5",
        _BASE_URL + "NASNet-large-no-top.h5",
        "d81d89dc07e6e56530c4e77faddd61b5",
    ),
)


def _bn(x: Any, name: str) -> Any:
    return layers.BatchNormalization(axis=-1, momentum=0.9997, epsilon=1e-3, name=name)(x)


def _conv1x1(x: Any, filters: int, name: str) -> Any:
    return layers.Conv2D(
        filters,
        (1, 1),
        strides=(1, 1),
        padding="same",
        name=name,
        use_bias=False,
        kernel_initializer="he_normal",
    )(x)


def _separable(
    x: Any, filters: int, kernel: tuple[int, int] = (3, 3), strides: int = 1, block_id: str = ""
) -> Any:
    """ReLU, separable convolution, batch norm, twice (the first one strided)."""
    with name_scope(f"separable_conv_block_{block_id}"):
        x = layers.Activation("relu")(x)
        if strides == 2:
            x = layers.ZeroPadding2D(
                padding=correct_pad(x, kernel), name=f"separable_conv_1_pad_{block_id}"
            )(x)
            padding = "valid"
        else:
            padding = "same"
        x = layers.SeparableConv2D(
            filters,
            kernel,
            strides=(strides, strides),
            name=f"separable_conv_1_{block_id}",
            padding=padding,
            use_bias=False,
        )(x)
        x = _bn(x, f"separable_conv_1_bn_{block_id}")
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(
            filters, kernel, name=f"separable_conv_2_{block_id}", padding="same", use_bias=False
        )(x)
        return _bn(x, f"separable_conv_2_bn_{block_id}")


def _adjust(p: Any, ip: Any, filters: int, block_id: str) -> Any:
    """The previous cell's output ``p`` brought to ``ip``'s size and ``filters`` channels."""
    with name_scope("adjust_block"):
        if p is None:
            return ip
        if p.shape[-2] != ip.shape[-2]:
            with name_scope(f"adjust_reduction_block_{block_id}"):
                p = layers.Activation("relu", name=f"adjust_relu_1_{block_id}")(p)
                p1 = layers.AveragePooling2D(
                    (1, 1), strides=(2, 2), padding="valid", name=f"adjust_avg_pool_1_{block_id}"
                )(p)
                p1 = _conv1x1(p1, filters // 2, f"adjust_conv_1_{block_id}")
                p2 = layers.ZeroPadding2D(padding=((0, 1), (0, 1)))(p)
                p2 = layers.Cropping2D(cropping=((1, 0), (1, 0)))(p2)
                p2 = layers.AveragePooling2D(
                    (1, 1), strides=(2, 2), padding="valid", name=f"adjust_avg_pool_2_{block_id}"
                )(p2)
                p2 = _conv1x1(p2, filters // 2, f"adjust_conv_2_{block_id}")
                p = layers.concatenate([p1, p2], axis=-1)
                return _bn(p, f"adjust_bn_{block_id}")
        if p.shape[-1] != filters:
            with name_scope(f"adjust_projection_block_{block_id}"):
                p = layers.Activation("relu")(p)
                p = _conv1x1(p, filters, f"adjust_conv_projection_{block_id}")
                return _bn(p, f"adjust_bn_{block_id}")
        return p


def _pool(kind: str, x: Any, strides: int, padding: str, name: str) -> Any:
    pool = layers.AveragePooling2D if kind == "avg" else layers.MaxPooling2D
    return pool((3, 3), strides=(strides, strides), padding=padding, name=name)(x)


def _normal_cell(ip: Any, p: Any, filters: int, block_id: str) -> tuple[Any, Any]:
    """NASNet-A's normal cell: five branch pairs summed, concatenated with ``p``."""
    with name_scope(f"normal_A_block_{block_id}"):
        p = _adjust(p, ip, filters, block_id)
        h = layers.Activation("relu")(ip)
        h = _conv1x1(h, filters, f"normal_conv_1_{block_id}")
        h = _bn(h, f"normal_bn_1_{block_id}")
        with name_scope("block_1"):
            a = _separable(h, filters, (5, 5), block_id=f"normal_left1_{block_id}")
            b = _separable(p, filters, block_id=f"normal_right1_{block_id}")
            x1 = layers.add([a, b], name=f"normal_add_1_{block_id}")
        with name_scope("block_2"):
            a = _separable(p, filters, (5, 5), block_id=f"normal_left2_{block_id}")
            b = _separable(p, filters, (3, 3), block_id=f"normal_right2_{block_id}")
            x2 = layers.add([a, b], name=f"normal_add_2_{block_id}")
        with name_scope("block_3"):
            a = _pool("avg", h, 1, "same", f"normal_left3_{block_id}")
            x3 = layers.add([a, p], name=f"normal_add_3_{block_id}")
        with name_scope("block_4"):
            a = _pool("avg", p, 1, "same", f"normal_left4_{block_id}")
            b = _pool("avg", p, 1, "same", f"normal_right4_{block_id}")
            x4 = layers.add([a, b], name=f"normal_add_4_{block_id}")
        with name_scope("block_5"):
            a = _separable(h, filters, block_id=f"normal_left5_{block_id}")
            x5 = layers.add([a, h], name=f"normal_add_5_{block_id}")
        x = layers.concatenate([p, x1, x2, x3, x4, x5], axis=-1, name=f"normal_concat_{block_id}")
    return x, ip


def _reduction_cell(ip: Any, p: Any, filters: int, block_id: str) -> tuple[Any, Any]:
    """NASNet-A's reduction cell: halves the image, four branch sums concatenated."""
    with name_scope(f"reduction_A_block_{block_id}"):
        p = _adjust(p, ip, filters, block_id)
        h = layers.Activation("relu")(ip)
        h = _conv1x1(h, filters, f"reduction_conv_1_{block_id}")
        h = _bn(h, f"reduction_bn_1_{block_id}")
        h3 = layers.ZeroPadding2D(padding=correct_pad(h, 3), name=f"reduction_pad_1_{block_id}")(h)
        with name_scope("block_1"):
            a = _separable(h, filters, (5, 5), 2, f"reduction_left1_{block_id}")
            b = _separable(p, filters, (7, 7), 2, f"reduction_right1_{block_id}")
            x1 = layers.add([a, b], name=f"reduction_add_1_{block_id}")
        with name_scope("block_2"):
            a = _pool("max", h3, 2, "valid", f"reduction_left2_{block_id}")
            b = _separable(p, filters, (7, 7), 2, f"reduction_right2_{block_id}")
            x2 = layers.add([a, b], name=f"reduction_add_2_{block_id}")
        with name_scope("block_3"):
            a = _pool("avg", h3, 2, "valid", f"reduction_left3_{block_id}")
            b = _separable(p, filters, (5, 5), 2, f"reduction_right3_{block_id}")
            x3 = layers.add([a, b], name=f"reduction_add3_{block_id}")
        with name_scope("block_4"):
            a = _pool("avg", x1, 1, "same", f"reduction_left4_{block_id}")
            x4 = layers.add([x2, a])
        with name_scope("block_5"):
            a = _separable(x1, filters, (3, 3), block_id=f"reduction_left4_{block_id}")
            b = _pool("max", h3, 2, "valid", f"reduction_right5_{block_id}")
            x5 = layers.add([a, b], name=f"reduction_add4_{block_id}")
        x = layers.concatenate([x2, x3, x4, x5], axis=-1, name=f"reduction_concat_{block_id}")
        return x, ip


def _nasnet(
    input_shape: Any,
    penultimate_filters: int,
    num_blocks: int,
    stem_block_filters: int,
    skip_reduction: bool,
    default_size: int,
    files: tuple[WeightFile, WeightFile],
    include_top: bool,
    weights: Any,
    input_tensor: Any,
    pooling: str | None,
    classes: int,
    classifier_activation: Any,
    name: str,
) -> Functional:
    if image_data_format() == "channels_first":
        raise ValueError(
            "NASNet is built for the 'channels_last' image data format only. Received: "
            "image_data_format()='channels_first'. Call "
            "heft.config.set_image_data_format('channels_last') before building it."
        )
    check_weights(weights, include_top, classes)
    if isinstance(input_shape, tuple) and None in input_shape and weights == "imagenet":
        raise ValueError(
            "With weights='imagenet' NASNet needs a static input shape (no None). "
            f"Received: input_shape={input_shape}. Give every size."
        )
    shape = obtain_input_shape(
        input_shape,
        default_size=default_size,
        min_size=32,
        data_format=image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    img_input = image_input(input_tensor, shape)
    multiplier = 2
    filters = penultimate_filters // 24

    x = layers.Conv2D(
        stem_block_filters,
        (3, 3),
        strides=(2, 2),
        padding="valid",
        use_bias=False,
        name="stem_conv1",
        kernel_initializer="he_normal",
    )(img_input)
    x = _bn(x, "stem_bn1")
    x, p = _reduction_cell(x, None, filters // multiplier**2, "stem_1")
    x, p = _reduction_cell(x, p, filters // multiplier, "stem_2")
    for stage in range(3):
        width = filters * multiplier**stage
        if stage > 0:
            x, reduced = _reduction_cell(x, p, width, f"reduce_{stage * num_blocks}")
            p = p if skip_reduction else reduced
        for i in range(num_blocks):
            block_id = f"{i}" if stage == 0 else f"{stage * num_blocks + i + 1}"
            x, p = _normal_cell(x, p, width, block_id)
    x = layers.Activation("relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)
    return build_model(
        input_tensor, img_input, x, name, weights, files[0] if include_top else files[1]
    )


_DOC = """The {name} image classifier, layer for layer Keras's, optionally with its
ImageNet weights.

    Feed it images passed through ``heft.applications.nasnet.preprocess_input``
    (pixels in [0, 255] scaled to [-1, 1]). Built for ``channels_last`` only.

    Args:
        input_shape: The image shape, only with ``include_top=False`` (at least
            32x32, static with ImageNet weights); by default ``({size}, {size}, 3)``.
        include_top: Whether to end with the 1000-class (or ``classes``) classifier.
        weights: ``None`` (random), ``"imagenet"`` (downloaded once into
            ``~/.keras/models``, hash checked) or the path of a weights file.
        input_tensor: An optional symbolic tensor to build the model on.
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
            ImageNet weights and the classifier, the input shape is invalid, too
            small or not static with ImageNet weights, or the weights file does not fit.
"""


def NASNetMobile(
    input_shape: Any = None,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "nasnet_mobile",
) -> Functional:
    if not include_top and input_shape is None:
        input_shape = (224, 224, 3)
    return _nasnet(
        input_shape,
        1056,
        4,
        32,
        False,
        224,
        _MOBILE,
        include_top,
        weights,
        input_tensor,
        pooling,
        classes,
        classifier_activation,
        name,
    )


def NASNetLarge(
    input_shape: Any = None,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "nasnet_large",
) -> Functional:
    return _nasnet(
        input_shape,
        4032,
        6,
        96,
        True,
        331,
        _LARGE,
        include_top,
        weights,
        input_tensor,
        pooling,
        classes,
        classifier_activation,
        name,
    )


NASNetMobile.__doc__ = _DOC.format(name="NASNetMobile", size=224)
NASNetLarge.__doc__ = _DOC.format(name="NASNetLarge", size=331)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Images for NASNet: pixels in [0, 255] scaled to [-1, 1].

    The ``"tf"`` mode of ``heft.applications.imagenet_utils.preprocess_input``; a
    numpy array comes back as a new float32 array, a tensor as a tensor.

    >>> import numpy as np
    >>> preprocess_input(np.array([[[0.0, 127.5, 255.0]]])).tolist()
    [[[-1.0, 0.0, 1.0]]]
    """
    return _imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = _imagenet_utils.decode_predictions
