"""EfficientNetB0-B7: Keras's layers, names and published ImageNet weights, scaled by width/depth."""

from __future__ import annotations

import math
from typing import Any

from .. import layers
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

_BASE_URL = "https://storage.googleapis.com/keras-applications/"

# Keras's md5 of each published file: (with the classifier, without it).
_HASHES = {
    "b0": ("902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d"),
    "b1": ("1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432"),
    "b2": ("b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39"),
    "b3": ("ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226"),
    "b4": ("18c95ad55216b8f92d7e70b3a046e2fc", "ebc24e6d6c33eaebbd558eafbeedf1ba"),
    "b5": ("ace28f2a6363774853a83a0b21b9421a", "38879255a25d3c92d5e44e04ae6cec6f"),
    "b6": ("165f6e37dce68623721b423839de8be5", "9ecce42647a20130c1f39a5d4cb75743"),
    "b7": ("8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a"),
}

# One stage of blocks: (kernel, repeats, filters in, filters out, expansion, stride).
# Every stage keeps the identity skip and squeezes to a quarter of its input.
_STAGES = (
    (3, 1, 32, 16, 1, 1),
    (3, 2, 16, 24, 6, 2),
    (5, 2, 24, 40, 6, 2),
    (3, 3, 40, 80, 6, 2),
    (5, 3, 80, 112, 6, 1),
    (5, 4, 112, 192, 6, 2),
    (3, 1, 192, 320, 6, 1),
)
_SE_RATIO = 0.25

CONV_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"},
}
DENSE_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"},
}

# The published weights were trained on (x / 255 - mean) / stddev**2; Keras's
# Normalization divides by sqrt(variance) = stddev, so one more 1/sqrt(stddev) follows.
_IMAGENET_STDDEV_RGB = (0.229, 0.224, 0.225)


def _round_filters(filters: int, width: float, divisor: int = 8) -> int:
    """Filters scaled by ``width``, to a multiple of ``divisor``, never more than 10% down."""
    scaled = filters * width
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * scaled:
        rounded += divisor
    return int(rounded)


def squeeze_excite(x: Any, filters: int, filters_in: int, ratio: float, name: str) -> Any:
    """The squeeze-and-excitation of an MBConv block (EfficientNet and EfficientNetV2)."""
    squeezed = max(1, int(filters_in * ratio))
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    shape = (1, 1, filters) if image_data_format() == "channels_last" else (filters, 1, 1)
    se = layers.Reshape(shape, name=f"{name}se_reshape")(se)
    se = layers.Conv2D(
        squeezed,
        1,
        padding="same",
        activation="swish",
        kernel_initializer=CONV_KERNEL_INITIALIZER,
        name=f"{name}se_reduce",
    )(se)
    se = layers.Conv2D(
        filters,
        1,
        padding="same",
        activation="sigmoid",
        kernel_initializer=CONV_KERNEL_INITIALIZER,
        name=f"{name}se_expand",
    )(se)
    return layers.multiply([x, se], name=f"{name}se_excite")


def _block(
    inputs: Any,
    drop_rate: float,
    name: str,
    filters_in: int,
    filters_out: int,
    kernel_size: int,
    strides: int,
    expand_ratio: int,
) -> Any:
    """One inverted residual (MBConv) block with squeeze-and-excitation."""
    bn_axis = 3 if image_data_format() == "channels_last" else 1
    filters = filters_in * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = layers.Conv2D(
            filters,
            1,
            padding="same",
            use_bias=False,
            kernel_initializer=CONV_KERNEL_INITIALIZER,
            name=f"{name}expand_conv",
        )(x)
        x = layers.BatchNormalization(axis=bn_axis, name=f"{name}expand_bn")(x)
        x = layers.Activation("swish", name=f"{name}expand_activation")(x)
    if strides == 2:
        x = layers.ZeroPadding2D(padding=correct_pad(x, kernel_size), name=f"{name}dwconv_pad")(x)
        padding = "valid"
    else:
        padding = "same"
    x = layers.DepthwiseConv2D(
        kernel_size,
        strides=strides,
        padding=padding,
        use_bias=False,
        depthwise_initializer=CONV_KERNEL_INITIALIZER,
        name=f"{name}dwconv",
    )(x)
    x = layers.BatchNormalization(axis=bn_axis, name=f"{name}bn")(x)
    x = layers.Activation("swish", name=f"{name}activation")(x)

    x = squeeze_excite(x, filters, filters_in, _SE_RATIO, name)

    x = layers.Conv2D(
        filters_out,
        1,
        padding="same",
        use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER,
        name=f"{name}project_conv",
    )(x)
    x = layers.BatchNormalization(axis=bn_axis, name=f"{name}project_bn")(x)
    if strides == 1 and filters_in == filters_out:
        if drop_rate > 0:
            x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def _efficientnet(
    key: str,
    width: float,
    depth: float,
    default_size: int,
    dropout_rate: float,
    *,
    name: str,
    include_top: bool,
    weights: Any,
    input_tensor: Any,
    input_shape: Any,
    pooling: str | None,
    classes: int,
    classifier_activation: Any,
) -> Functional:
    check_weights(weights, include_top, classes)
    shape = obtain_input_shape(
        input_shape,
        default_size=default_size,
        min_size=32,
        data_format=image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    img_input = image_input(input_tensor, shape)
    bn_axis = 3 if image_data_format() == "channels_last" else 1

    x = layers.Rescaling(1.0 / 255.0)(img_input)
    x = layers.Normalization(axis=bn_axis)(x)
    if weights == "imagenet":
        x = layers.Rescaling([1.0 / math.sqrt(s) for s in _IMAGENET_STDDEV_RGB])(x)
    x = layers.ZeroPadding2D(padding=correct_pad(x, 3), name="stem_conv_pad")(x)
    x = layers.Conv2D(
        _round_filters(32, width),
        3,
        strides=2,
        padding="valid",
        use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER,
        name="stem_conv",
    )(x)
    x = layers.BatchNormalization(axis=bn_axis, name="stem_bn")(x)
    x = layers.Activation("swish", name="stem_activation")(x)

    def repeats_of(n: int) -> int:
        return math.ceil(depth * n)

    total = float(sum(repeats_of(stage[1]) for stage in _STAGES))
    done = 0
    for i, (kernel, repeats, f_in, f_out, expand, stride) in enumerate(_STAGES):
        filters_in, filters_out = _round_filters(f_in, width), _round_filters(f_out, width)
        for j in range(repeats_of(repeats)):
            x = _block(
                x,
                0.2 * done / total,
                f"block{i + 1}{chr(j + 97)}_",
                filters_in if j == 0 else filters_out,
                filters_out,
                kernel,
                stride if j == 0 else 1,
                expand,
            )
            done += 1

    x = layers.Conv2D(
        _round_filters(1280, width),
        1,
        padding="same",
        use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER,
        name="top_conv",
    )(x)
    x = layers.BatchNormalization(axis=bn_axis, name="top_bn")(x)
    x = layers.Activation("swish", name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        validate_activation(classifier_activation, weights)
        x = layers.Dense(
            classes,
            activation=classifier_activation,
            kernel_initializer=DENSE_KERNEL_INITIALIZER,
            name="predictions",
        )(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)

    top_hash, notop_hash = _HASHES[key]
    fname = f"efficientnet{key}{'' if include_top else '_notop'}.h5"
    pretrained = WeightFile(fname, _BASE_URL + fname, top_hash if include_top else notop_hash)
    return build_model(input_tensor, img_input, x, name, weights, pretrained)


_ARGS_DOC = """
    EfficientNet scales its input inside the network (a ``Rescaling`` and a
    ``Normalization`` layer): feed float pixels in ``[0, 255]``;
    ``heft.applications.efficientnet.preprocess_input`` returns its input unchanged.

    Args:
        include_top: Whether to end with the 1000-class (or ``classes``) classifier.
        weights: ``None`` (random), ``"imagenet"`` (downloaded once into
            ``~/.keras/models``, hash checked) or the path of a weights file.
        input_tensor: An optional symbolic tensor to build the model on.
        input_shape: The image shape, only with ``include_top=False`` (at least
            32x32, 3 channels for ImageNet weights); by default ``({size}, {size}, 3)``.
        pooling: With ``include_top=False``: ``None`` (the last feature map),
            ``"avg"`` or ``"max"`` (global pooling to a vector).
        classes: The classifier's classes, 1000 with ImageNet weights.
        classifier_activation: The classifier's activation; ``None`` or
            ``"softmax"`` with pretrained weights.
        name: The model's name.

    Returns:
        A ``Functional`` model whose layers, names and weights are Keras's.

    Raises:
        ValueError: If ``weights`` is neither ``None``, ``"imagenet"`` nor a file,
            ``classes`` is not 1000 with ImageNet weights and the classifier, the
            input shape is invalid or too small, or the weights file does not fit.
"""


def EfficientNetB0(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "efficientnetb0",
) -> Functional:
    return _efficientnet("b0", 1.0, 1.0, 224, 0.2, **locals())


def EfficientNetB1(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "efficientnetb1",
) -> Functional:
    return _efficientnet("b1", 1.0, 1.1, 240, 0.2, **locals())


def EfficientNetB2(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "efficientnetb2",
) -> Functional:
    return _efficientnet("b2", 1.1, 1.2, 260, 0.3, **locals())


def EfficientNetB3(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "efficientnetb3",
) -> Functional:
    return _efficientnet("b3", 1.2, 1.4, 300, 0.3, **locals())


def EfficientNetB4(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "efficientnetb4",
) -> Functional:
    return _efficientnet("b4", 1.4, 1.8, 380, 0.4, **locals())


def EfficientNetB5(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "efficientnetb5",
) -> Functional:
    return _efficientnet("b5", 1.6, 2.2, 456, 0.4, **locals())


def EfficientNetB6(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "efficientnetb6",
) -> Functional:
    return _efficientnet("b6", 1.8, 2.6, 528, 0.5, **locals())


def EfficientNetB7(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "efficientnetb7",
) -> Functional:
    return _efficientnet("b7", 2.0, 3.1, 600, 0.5, **locals())


for _builder, _size in zip(
    (
        EfficientNetB0,
        EfficientNetB1,
        EfficientNetB2,
        EfficientNetB3,
        EfficientNetB4,
        EfficientNetB5,
        EfficientNetB6,
        EfficientNetB7,
    ),
    (224, 240, 260, 300, 380, 456, 528, 600),
    strict=True,
):
    _builder.__doc__ = (
        f"The {_builder.__name__} image classifier, layer for layer Keras's, "
        "optionally with its ImageNet weights.\n" + _ARGS_DOC.replace("{size}", str(_size))
    )


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Return ``x`` unchanged: EfficientNet scales its input inside the network.

    Kept so code written for other applications runs unchanged; ``data_format``
    is accepted and ignored.

    >>> preprocess_input([1.0, 255.0])
    [1.0, 255.0]
    """
    return x


decode_predictions = _imagenet_utils.decode_predictions
