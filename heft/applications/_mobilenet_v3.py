"""MobileNetV3Small and MobileNetV3Large, layer for layer as Keras builds them."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from .. import layers
from ..backend import image_data_format
from ..utils._backend_utils import is_keras_tensor
from ._common import (
    WeightFile,
    build_model,
    check_weights,
    correct_pad,
    image_input,
    validate_activation,
)
from ._imagenet_utils import decode_predictions as decode_predictions
from ._mobilenet_v2 import make_divisible

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/"
# md5 of the files with and without the classifier, by Keras's model name.
_HASHES = {
    "large_224_0.75_float": (
        "765b44a33ad4005b3ac83185abf1d0eb",
        "40af19a13ebea4e2ee0c676887f69a2e",
    ),
    "large_224_1.0_float": (
        "59e551e166be033d707958cf9e29a6a7",
        "07fb09a5933dd0c8eaafa16978110389",
    ),
    "large_minimalistic_224_1.0_float": (
        "675e7b876c45c57e9e63e6d90a36599c",
        "ec5221f64a2f6d1ef965a614bdae7973",
    ),
    "small_224_0.75_float": (
        "cb65d4e5be93758266aa0a7f2c6708b7",
        "ebdb5cc8e0b497cd13a7c275d475c819",
    ),
    "small_224_1.0_float": (
        "8768d4c2e7dee89b9d02b2d03d65d862",
        "d3e8ec802a04aa4fc771ee12a9a9b836",
    ),
    "small_minimalistic_224_1.0_float": (
        "99cd97fb2fcdad2bf028eb838de69e37",
        "cde8136e733e811080d9fcd8a252f7e4",
    ),
}

# One inverted residual block: (expansion, filters, kernel, stride, squeeze-excite,
# activation), where kernel 0 means the model's kernel (5, or 3 when minimalistic),
# squeeze-excite whether the model's ratio applies, activation "relu" or "model".
_Block = tuple[float, int, int, int, bool, str]
_SMALL: Sequence[_Block] = (
    (1, 16, 3, 2, True, "relu"),
    (72.0 / 16, 24, 3, 2, False, "relu"),
    (88.0 / 24, 24, 3, 1, False, "relu"),
    (4, 40, 0, 2, True, "model"),
    (6, 40, 0, 1, True, "model"),
    (6, 40, 0, 1, True, "model"),
    (3, 48, 0, 1, True, "model"),
    (3, 48, 0, 1, True, "model"),
    (6, 96, 0, 2, True, "model"),
    (6, 96, 0, 1, True, "model"),
    (6, 96, 0, 1, True, "model"),
)
_LARGE: Sequence[_Block] = (
    (1, 16, 3, 1, False, "relu"),
    (4, 24, 3, 2, False, "relu"),
    (3, 24, 3, 1, False, "relu"),
    (3, 40, 0, 2, True, "relu"),
    (3, 40, 0, 1, True, "relu"),
    (3, 40, 0, 1, True, "relu"),
    (6, 80, 3, 2, False, "model"),
    (2.5, 80, 3, 1, False, "model"),
    (2.3, 80, 3, 1, False, "model"),
    (2.3, 80, 3, 1, False, "model"),
    (6, 112, 3, 1, True, "model"),
    (6, 112, 3, 1, True, "model"),
    (6, 160, 0, 2, True, "model"),
    (6, 160, 0, 1, True, "model"),
    (6, 160, 0, 1, True, "model"),
)


def weight_file(model_type: str, minimalistic: bool, alpha: float, include_top: bool) -> WeightFile:
    """Keras's published ImageNet file of this variant (224x224 only).

    Raises:
        ValueError: If no file is published for ``alpha`` and ``minimalistic``.
    """
    key = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{alpha}_float"
    if key not in _HASHES:
        raise ValueError(
            "ImageNet weights of MobileNetV3 exist for alpha 0.75 or 1.0 (1.0 only when "
            f"minimalistic). Received: alpha={alpha}, minimalistic={minimalistic}. Pick one "
            "of these, or pass weights=None."
        )
    top_hash, notop_hash = _HASHES[key]
    fname = f"weights_mobilenet_v3_{key}{'' if include_top else '_no_top_v2'}.h5"
    return WeightFile(fname, _BASE + fname, top_hash if include_top else notop_hash)


def _axis() -> int:
    return 1 if image_data_format() == "channels_first" else -1


def _relu(x: Any) -> Any:
    return layers.ReLU()(x)


def _hard_sigmoid(x: Any) -> Any:
    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def _hard_swish(x: Any) -> Any:
    return layers.Activation("hard_swish")(x)


def _batch_norm(name: str) -> layers.BatchNormalization:
    return layers.BatchNormalization(axis=_axis(), epsilon=1e-3, momentum=0.999, name=name)


def _se_block(inputs: Any, filters: int, se_ratio: float, prefix: str) -> Any:
    x = layers.GlobalAveragePooling2D(keepdims=True, name=f"{prefix}squeeze_excite_avg_pool")(
        inputs
    )
    x = layers.Conv2D(
        make_divisible(filters * se_ratio, 8),
        kernel_size=1,
        padding="same",
        name=f"{prefix}squeeze_excite_conv",
    )(x)
    x = layers.ReLU(name=f"{prefix}squeeze_excite_relu")(x)
    x = layers.Conv2D(
        filters, kernel_size=1, padding="same", name=f"{prefix}squeeze_excite_conv_1"
    )(x)
    x = _hard_sigmoid(x)
    return layers.Multiply(name=f"{prefix}squeeze_excite_mul")([inputs, x])


def _inverted_res_block(
    x: Any,
    expansion: float,
    filters: int,
    kernel_size: int,
    stride: int,
    se_ratio: float | None,
    activation: Callable[[Any], Any],
    block_id: int,
) -> Any:
    shortcut = x
    prefix = "expanded_conv_"
    infilters = x.shape[_axis()]
    if block_id:
        prefix = f"expanded_conv_{block_id}_"
        x = layers.Conv2D(
            make_divisible(infilters * expansion, 8),
            kernel_size=1,
            padding="same",
            use_bias=False,
            name=f"{prefix}expand",
        )(x)
        x = _batch_norm(f"{prefix}expand_bn")(x)
        x = activation(x)
    if stride == 2:
        x = layers.ZeroPadding2D(
            padding=correct_pad(x, kernel_size), name=f"{prefix}depthwise_pad"
        )(x)
    x = layers.DepthwiseConv2D(
        kernel_size,
        strides=stride,
        padding="same" if stride == 1 else "valid",
        use_bias=False,
        name=f"{prefix}depthwise",
    )(x)
    x = _batch_norm(f"{prefix}depthwise_bn")(x)
    x = activation(x)
    if se_ratio:
        x = _se_block(x, make_divisible(infilters * expansion, 8), se_ratio, prefix)
    x = layers.Conv2D(
        filters, kernel_size=1, padding="same", use_bias=False, name=f"{prefix}project"
    )(x)
    x = _batch_norm(f"{prefix}project_bn")(x)
    if stride == 1 and infilters == filters:
        x = layers.Add(name=f"{prefix}add")([shortcut, x])
    return x


def _input_shape(input_shape: Any, input_tensor: Any) -> Any:
    """The image shape: as given, from ``input_tensor``, or of any size."""
    channels_first = image_data_format() == "channels_first"
    if input_shape is not None and input_tensor is not None:
        if not is_keras_tensor(input_tensor):
            raise ValueError(
                "`input_tensor` must be a symbolic tensor (from `heft.Input` or a layer). "
                f"Received: input_tensor={input_tensor!r}"
            )
        axis = 1 if channels_first else 2
        if input_tensor.shape[axis] != input_shape[1]:
            raise ValueError(
                f"`input_shape` does not match `input_tensor`: input_shape[1] must equal "
                f"input_tensor.shape[{axis}]. Received: input_shape={input_shape}, "
                f"input_tensor.shape={input_tensor.shape}"
            )
    if input_shape is None and input_tensor is not None and is_keras_tensor(input_tensor):
        # Keras swaps the two sizes here; kept so that the same arguments build the same model.
        if channels_first:
            rows, cols = input_tensor.shape[2], input_tensor.shape[3]
            input_shape = (3, cols, rows)
        else:
            rows, cols = input_tensor.shape[1], input_tensor.shape[2]
            input_shape = (cols, rows, 3)
    if input_shape is None:
        input_shape = (3, None, None) if channels_first else (None, None, 3)
    return input_shape


def _mobilenet_v3(
    blocks: Sequence[_Block],
    last_point_ch: int,
    model_type: str,
    input_shape: Any,
    alpha: float,
    minimalistic: bool,
    include_top: bool,
    weights: Any,
    input_tensor: Any,
    classes: int,
    pooling: str | None,
    dropout_rate: float,
    classifier_activation: Any,
    include_preprocessing: bool,
    name: str,
) -> Any:
    check_weights(weights, include_top, classes)
    input_shape = _input_shape(input_shape, input_tensor)
    rows, cols = input_shape[1:3] if image_data_format() == "channels_first" else input_shape[:2]
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(
            "Input size must be at least 32x32 for this model; smaller images shrink to "
            f"nothing in its downsampling. Received: input_shape={input_shape}"
        )
    pretrained = None
    if weights == "imagenet":
        pretrained = weight_file(model_type, minimalistic, alpha, include_top)
        if rows != cols or rows != 224:
            warnings.warn(
                "`input_shape` is not given, not square or not 224 pixels: the ImageNet "
                "weights for 224x224 are loaded.",
                UserWarning,
                stacklevel=3,
            )
    img_input = image_input(input_tensor, input_shape)
    kernel = 3 if minimalistic else 5
    activation = _relu if minimalistic else _hard_swish
    se_ratio = None if minimalistic else 0.25
    x = img_input
    if include_preprocessing:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(
        16, kernel_size=3, strides=(2, 2), padding="same", use_bias=False, name="conv"
    )(x)
    x = _batch_norm("conv_bn")(x)
    x = activation(x)
    for block_id, (expansion, filters, size, stride, squeeze, kind) in enumerate(blocks):
        x = _inverted_res_block(
            x,
            expansion,
            make_divisible(filters * alpha, 8),
            size or kernel,
            stride,
            se_ratio if squeeze else None,
            _relu if kind == "relu" else activation,
            block_id,
        )
    last_conv_ch = make_divisible(x.shape[_axis()] * 6, 8)
    if alpha > 1.0:
        last_point_ch = make_divisible(last_point_ch * alpha, 8)
    x = layers.Conv2D(last_conv_ch, kernel_size=1, padding="same", use_bias=False, name="conv_1")(x)
    x = _batch_norm("conv_1_bn")(x)
    x = activation(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Conv2D(
            last_point_ch, kernel_size=1, padding="same", use_bias=True, name="conv_2"
        )(x)
        x = activation(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate)(x)
        x = layers.Conv2D(classes, kernel_size=1, padding="same", name="logits")(x)
        x = layers.Flatten()(x)
        validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    return build_model(input_tensor, img_input, x, name, weights, pretrained)


_DOC = """Builds {name}, as Keras does.

    Args:
        input_shape: The image shape without the batch, at least 32x32 (any size
            by default). ImageNet weights are for 224x224 (other sizes warn).
        alpha: The width multiplier; ImageNet weights exist for 0.75 and 1.0
            (1.0 only when ``minimalistic``).
        minimalistic: Without squeeze-and-excite blocks and hard-swish, and
            with 3x3 kernels only.
        include_top: Whether to end with the ``classes``-way classifier.
        weights: ``None`` (random), ``"imagenet"`` (Keras's published weights,
            downloaded once into ``~/.keras/models``) or the path of a weights file.
        input_tensor: A tensor (e.g. ``heft.Input``) to build the model on.
        classes: The number of classes (1000 with ImageNet weights).
        pooling: Without the classifier: ``None``, ``"avg"`` or ``"max"``.
        dropout_rate: The dropout rate before the classifier's last layer.
        classifier_activation: The classifier's activation; ``None`` gives logits.
        include_preprocessing: Whether the model scales its 0..255 inputs to -1..1
            itself (a ``Rescaling`` layer). With it, ``preprocess_input`` is the
            identity and the model takes raw pixel values.
        name: The model's name.

    Returns:
        A ``heft.Model``.

    Raises:
        ValueError: For bad ``weights``, ``classes != 1000`` with ImageNet
            weights and the classifier, an ``alpha`` without ImageNet weights, an
            input shape smaller than 32x32, or a weights file that does not fit.
"""


def _public(model_type: str, blocks: Sequence[_Block], last_point_ch: int) -> Callable[..., Any]:
    title = f"MobileNetV3{model_type.capitalize()}"

    def application(
        input_shape: Any = None,
        alpha: float = 1.0,
        minimalistic: bool = False,
        include_top: bool = True,
        weights: Any = "imagenet",
        input_tensor: Any = None,
        classes: int = 1000,
        pooling: str | None = None,
        dropout_rate: float = 0.2,
        classifier_activation: Any = "softmax",
        include_preprocessing: bool = True,
        name: str = title,
    ) -> Any:
        return _mobilenet_v3(
            blocks,
            last_point_ch,
            model_type,
            input_shape,
            alpha,
            minimalistic,
            include_top,
            weights,
            input_tensor,
            classes,
            pooling,
            dropout_rate,
            classifier_activation,
            include_preprocessing,
            name,
        )

    application.__name__ = application.__qualname__ = title
    application.__doc__ = _DOC.format(name=title)
    return application


MobileNetV3Small = _public("small", _SMALL, 1024)
MobileNetV3Large = _public("large", _LARGE, 1280)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """The identity: MobileNetV3 scales its inputs itself (``include_preprocessing``).

    Kept so that code written for every application calls it alike.

    >>> preprocess_input([255.0])
    [255.0]
    """
    return x
