"""EfficientNetV2B0-B3/S/M/L: Keras's layers, names and published ImageNet weights."""

from __future__ import annotations

import math
from typing import Any

from .. import initializers, layers
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
from ._efficientnet import CONV_KERNEL_INITIALIZER, DENSE_KERNEL_INITIALIZER, squeeze_excite

_BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/efficientnet_v2/"

# One stage of blocks: (repeats, filters in, filters out, expansion, squeeze ratio,
# stride, fused). Every kernel is 3x3.
_Stage = tuple[int, int, int, int, float, int, bool]
_B_STAGES: tuple[_Stage, ...] = (
    (1, 32, 16, 1, 0.0, 1, True),
    (2, 16, 32, 4, 0.0, 2, True),
    (2, 32, 48, 4, 0.0, 2, True),
    (3, 48, 96, 4, 0.25, 2, False),
    (5, 96, 112, 6, 0.25, 1, False),
    (8, 112, 192, 6, 0.25, 2, False),
)
_STAGES: dict[str, tuple[_Stage, ...]] = {
    "b0": _B_STAGES,
    "b1": _B_STAGES,
    "b2": _B_STAGES,
    "b3": _B_STAGES,
    "s": (
        (2, 24, 24, 1, 0.0, 1, True),
        (4, 24, 48, 4, 0.0, 2, True),
        (4, 48, 64, 4, 0.0, 2, True),
        (6, 64, 128, 4, 0.25, 2, False),
        (9, 128, 160, 6, 0.25, 1, False),
        (15, 160, 256, 6, 0.25, 2, False),
    ),
    "m": (
        (3, 24, 24, 1, 0.0, 1, True),
        (5, 24, 48, 4, 0.0, 2, True),
        (5, 48, 80, 4, 0.0, 2, True),
        (7, 80, 160, 4, 0.25, 2, False),
        (14, 160, 176, 6, 0.25, 1, False),
        (18, 176, 304, 6, 0.25, 2, False),
        (5, 304, 512, 6, 0.25, 1, False),
    ),
    "l": (
        (4, 32, 32, 1, 0.0, 1, True),
        (7, 32, 64, 4, 0.0, 2, True),
        (7, 64, 96, 4, 0.0, 2, True),
        (10, 96, 192, 4, 0.25, 2, False),
        (19, 192, 224, 6, 0.25, 1, False),
        (25, 224, 384, 6, 0.25, 2, False),
        (7, 384, 640, 6, 0.25, 1, False),
    ),
}
# (width, depth, default size, Keras's md5 with the classifier, without it).
_VARIANTS: dict[str, tuple[float, float, int, str, str]] = {
    "b0": (1.0, 1.0, 224, "21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": (1.0, 1.1, 240, "069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": (1.1, 1.2, 260, "424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": (1.2, 1.4, 300, "1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "s": (1.0, 1.0, 384, "e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "m": (1.0, 1.0, 480, "a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "l": (1.0, 1.0, 480, "27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}
_MOMENTUM = 0.9


def _round_filters(filters: int, width: float, divisor: int = 8) -> int:
    """Filters scaled by ``width``, to the nearest multiple of ``divisor`` (at least one)."""
    return int(max(divisor, int(filters * width + divisor / 2) // divisor * divisor))


def _batch_norm(x: Any, name: str) -> Any:
    axis = 3 if image_data_format() == "channels_last" else 1
    return layers.BatchNormalization(axis=axis, momentum=_MOMENTUM, name=name)(x)


def _conv(x: Any, filters: int, kernel: int, strides: int, name: str) -> Any:
    return layers.Conv2D(
        filters,
        kernel_size=kernel,
        strides=strides,
        kernel_initializer=CONV_KERNEL_INITIALIZER,
        padding="same",
        use_bias=False,
        name=name,
    )(x)


def _block(
    inputs: Any,
    filters_in: int,
    filters_out: int,
    expand_ratio: int,
    se_ratio: float,
    strides: int,
    fused: bool,
    drop_rate: float,
    name: str,
) -> Any:
    """An MBConv block (1x1 expansion, depthwise 3x3) or a fused one (3x3 expansion)."""
    filters = filters_in * expand_ratio
    x = inputs
    if expand_ratio != 1:
        if fused:
            x = _conv(x, filters, 3, strides, f"{name}expand_conv")
        else:
            x = _conv(x, filters, 1, 1, f"{name}expand_conv")
        x = _batch_norm(x, f"{name}expand_bn")
        x = layers.Activation("swish", name=f"{name}expand_activation")(x)
    if not fused:
        x = layers.DepthwiseConv2D(
            kernel_size=3,
            strides=strides,
            depthwise_initializer=CONV_KERNEL_INITIALIZER,
            padding="same",
            data_format=image_data_format(),
            use_bias=False,
            name=f"{name}dwconv2",
        )(x)
        x = _batch_norm(x, f"{name}bn")
        x = layers.Activation("swish", name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        x = squeeze_excite(x, filters, filters_in, se_ratio, name)
    if fused and expand_ratio == 1:
        x = _conv(x, filters_out, 3, strides, f"{name}project_conv")
    else:
        x = _conv(x, filters_out, 1, 1, f"{name}project_conv")
    x = _batch_norm(x, f"{name}project_bn")
    if fused and expand_ratio == 1:
        x = layers.Activation("swish", name=f"{name}project_activation")(x)
    if strides == 1 and filters_in == filters_out:
        if drop_rate:
            x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def _efficientnet_v2(
    variant: str,
    include_top: bool,
    weights: Any,
    input_tensor: Any,
    input_shape: Any,
    pooling: str | None,
    classes: int,
    classifier_activation: Any,
    include_preprocessing: bool,
    name: str,
) -> Functional:
    width, depth, default_size, top_hash, notop_hash = _VARIANTS[variant]
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

    x = img_input
    if include_preprocessing:
        if variant.startswith("b") and shape[bn_axis - 1] == 3:
            x = layers.Rescaling(scale=1.0 / 255)(x)
            x = layers.Normalization(
                mean=[0.485, 0.456, 0.406],
                variance=[0.229**2, 0.224**2, 0.225**2],
                axis=bn_axis,
            )(x)
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)

    stages = _STAGES[variant]
    x = _conv(x, _round_filters(stages[0][1], width), 3, 2, "stem_conv")
    x = _batch_norm(x, "stem_bn")
    x = layers.Activation("swish", name="stem_activation")(x)

    total = float(sum(stage[0] for stage in stages))
    done = 0
    for i, (repeats, f_in, f_out, expand, se_ratio, stride, fused) in enumerate(stages):
        filters_in, filters_out = _round_filters(f_in, width), _round_filters(f_out, width)
        for j in range(math.ceil(depth * repeats)):
            x = _block(
                x,
                filters_in if j == 0 else filters_out,
                filters_out,
                expand,
                se_ratio,
                stride if j == 0 else 1,
                fused,
                0.2 * done / total,
                f"block{i + 1}{chr(j + 97)}_",
            )
            done += 1

    x = _conv(x, _round_filters(1280, width), 1, 1, "top_conv")
    x = _batch_norm(x, "top_bn")
    x = layers.Activation(activation="swish", name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dropout(0.2, name="top_dropout")(x)
        validate_activation(classifier_activation, weights)
        x = layers.Dense(
            classes,
            activation=classifier_activation,
            kernel_initializer=DENSE_KERNEL_INITIALIZER,
            bias_initializer=initializers.Constant(0.0),
            name="predictions",
        )(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)

    stem = f"efficientnetv2-{variant}"
    fname = f"{stem}{'' if include_top else '_notop'}.h5"
    pretrained = WeightFile(fname, _BASE_URL + fname, top_hash if include_top else notop_hash)
    return build_model(input_tensor, img_input, x, name, weights, pretrained)


_DOC = """The {name} image classifier, layer for layer Keras's, optionally with its
ImageNet weights.

    EfficientNetV2 scales its input inside the network (with
    ``include_preprocessing=True``): feed float pixels in ``[0, 255]``;
    ``heft.applications.efficientnet_v2.preprocess_input`` returns its input
    unchanged.

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
        include_preprocessing: Whether the model scales its input itself (keep
            it with ImageNet weights).
        name: The model's name.

    Returns:
        A ``Functional`` model whose layers, names and weights are Keras's.

    Raises:
        ValueError: If ``weights`` is neither ``None``, ``"imagenet"`` nor a file,
            ``classes`` is not 1000 with ImageNet weights and the classifier, the
            input shape is invalid or too small, or the weights file does not fit.
"""


def EfficientNetV2B0(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    include_preprocessing: bool = True,
    name: str = "efficientnetv2-b0",
) -> Functional:
    return _efficientnet_v2("b0", **locals())


def EfficientNetV2B1(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    include_preprocessing: bool = True,
    name: str = "efficientnetv2-b1",
) -> Functional:
    return _efficientnet_v2("b1", **locals())


def EfficientNetV2B2(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    include_preprocessing: bool = True,
    name: str = "efficientnetv2-b2",
) -> Functional:
    return _efficientnet_v2("b2", **locals())


def EfficientNetV2B3(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    include_preprocessing: bool = True,
    name: str = "efficientnetv2-b3",
) -> Functional:
    return _efficientnet_v2("b3", **locals())


def EfficientNetV2S(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    include_preprocessing: bool = True,
    name: str = "efficientnetv2-s",
) -> Functional:
    return _efficientnet_v2("s", **locals())


def EfficientNetV2M(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    include_preprocessing: bool = True,
    name: str = "efficientnetv2-m",
) -> Functional:
    return _efficientnet_v2("m", **locals())


def EfficientNetV2L(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    include_preprocessing: bool = True,
    name: str = "efficientnetv2-l",
) -> Functional:
    return _efficientnet_v2("l", **locals())


for _builder, _variant in (
    (EfficientNetV2B0, "b0"),
    (EfficientNetV2B1, "b1"),
    (EfficientNetV2B2, "b2"),
    (EfficientNetV2B3, "b3"),
    (EfficientNetV2S, "s"),
    (EfficientNetV2M, "m"),
    (EfficientNetV2L, "l"),
):
    _builder.__doc__ = _DOC.replace("{name}", _builder.__name__).replace(
        "{size}", str(_VARIANTS[_variant][2])
    )


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Return ``x`` unchanged: EfficientNetV2 scales its input inside the network.

    Kept so code written for other applications runs unchanged; ``data_format``
    is accepted and ignored.

    >>> preprocess_input([0.0, 255.0])
    [0.0, 255.0]
    """
    return x


decode_predictions = _imagenet_utils.decode_predictions
