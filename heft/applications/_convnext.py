"""ConvNeXtTiny/Small/Base/Large/XLarge: Keras's layers, names and published ImageNet weights."""

from __future__ import annotations

from typing import Any

from .. import initializers, layers
from ..backend import image_data_format
from ..layers import Layer
from ..models import Functional, Sequential
from . import _imagenet_utils
from ._common import (
    WeightFile,
    build_model,
    check_weights,
    image_input,
    obtain_input_shape,
    validate_activation,
)

_BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"

# Blocks per stage, channels per stage, and Keras's sha256 of each published file
# (with the classifier, without it).
_VARIANTS: dict[str, tuple[tuple[int, ...], tuple[int, ...], str, str]] = {
    "tiny": (
        (3, 3, 9, 3),
        (96, 192, 384, 768),
        "8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
        "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1",
    ),
    "small": (
        (3, 3, 27, 3),
        (96, 192, 384, 768),
        "ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
        "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab",
    ),
    "base": (
        (3, 3, 27, 3),
        (128, 256, 512, 1024),
        "52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
        "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45",
    ),
    "large": (
        (3, 3, 27, 3),
        (192, 384, 768, 1536),
        "070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
        "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd",
    ),
    "xlarge": (
        (3, 3, 27, 3),
        (256, 512, 1024, 2048),
        "c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05",
    ),
}
_LAYER_SCALE = 1e-6
_EPSILON = 1e-6


class LayerScale(Layer):
    """Multiplies its input by a learned per-channel ``gamma`` (started at ``init_values``).

    Saved to ``.keras`` under Keras's own class (``keras.src.applications.convnext``),
    so Keras reads heft's ConvNeXt archives.

    >>> import numpy as np
    >>> LayerScale(0.5, 2)(np.ones((1, 2), "float32")).tolist()
    [[0.5, 0.5]]
    """

    _keras_serialized_as = ("keras.src.applications.convnext", "LayerScale")

    def __init__(self, init_values: float, projection_dim: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape: Any) -> None:
        self.gamma = self.add_weight(
            shape=(self.projection_dim,),
            initializer=initializers.Constant(self.init_values),
            trainable=True,
        )

    def call(self, x: Any) -> Any:
        return x * self.gamma

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"init_values": self.init_values, "projection_dim": self.projection_dim})
        return config


def _block(x: Any, dim: int, name: str) -> Any:
    """Depthwise 7x7, layer norm, 4x MLP with GELU, layer scale, then the residual sum."""
    y = layers.Conv2D(
        filters=dim, kernel_size=7, padding="same", groups=dim, name=f"{name}_depthwise_conv"
    )(x)
    y = layers.LayerNormalization(epsilon=_EPSILON, name=f"{name}_layernorm")(y)
    y = layers.Dense(4 * dim, name=f"{name}_pointwise_conv_1")(y)
    y = layers.Activation("gelu", name=f"{name}_gelu")(y)
    y = layers.Dense(dim, name=f"{name}_pointwise_conv_2")(y)
    y = LayerScale(_LAYER_SCALE, dim, name=f"{name}_layer_scale")(y)
    return x + layers.Activation("linear", name=f"{name}_identity")(y)


def _convnext(
    variant: str,
    include_top: bool,
    include_preprocessing: bool,
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
            "ConvNeXt is built for the 'channels_last' image data format only. Received: "
            "image_data_format()='channels_first'. Call "
            "heft.config.set_image_data_format('channels_last') before building it."
        )
    check_weights(weights, include_top, classes)
    weights_name = f"convnext_{variant}"
    if weights == "imagenet" and weights_name not in name:
        raise ValueError(
            f"With weights='imagenet' the model's name must contain {weights_name!r}: the "
            f"published file is named after it. Received: name={name!r}. Keep the default "
            "name, or load the weights into a model with that name."
        )
    shape = obtain_input_shape(
        input_shape,
        default_size=224,
        min_size=32,
        data_format=image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    img_input = image_input(input_tensor, shape)
    depths, dims, top_hash, notop_hash = _VARIANTS[variant]

    x = img_input if input_tensor is None else input_tensor
    if include_preprocessing and shape[-1] == 3:
        x = layers.Normalization(
            mean=[0.485 * 255, 0.456 * 255, 0.406 * 255],
            variance=[(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2],
            name=f"{name}_prestem_normalization",
        )(x)
    stem = Sequential(
        [
            layers.Conv2D(dims[0], kernel_size=4, strides=4, name=f"{name}_stem_conv"),
            layers.LayerNormalization(epsilon=_EPSILON, name=f"{name}_stem_layernorm"),
        ],
        name=f"{name}_stem",
    )
    downsamples = [stem] + [
        Sequential(
            [
                layers.LayerNormalization(
                    epsilon=_EPSILON, name=f"{name}_downsampling_layernorm_{i}"
                ),
                layers.Conv2D(
                    dims[i + 1], kernel_size=2, strides=2, name=f"{name}_downsampling_conv_{i}"
                ),
            ],
            name=f"{name}_downsampling_block_{i}",
        )
        for i in range(3)
    ]
    for stage in range(4):
        x = downsamples[stage](x)
        for j in range(depths[stage]):
            x = _block(x, dims[stage], f"{name}_stage_{stage}_block_{j}")

    if include_top:
        validate_activation(classifier_activation, weights)
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=_EPSILON, name=f"{name}_head_layernorm")(x)
        x = layers.Dense(classes, activation=classifier_activation, name=f"{name}_head_dense")(x)
    else:
        if pooling == "avg":
            x = layers.GlobalAveragePooling2D()(x)
        elif pooling == "max":
            x = layers.GlobalMaxPooling2D()(x)
        x = layers.LayerNormalization(epsilon=_EPSILON)(x)

    fname = f"{name}{'' if include_top else '_notop'}.h5"
    pretrained = WeightFile(fname, _BASE_URL + fname, top_hash if include_top else notop_hash)
    return build_model(input_tensor, img_input, x, name, weights, pretrained)


_DOC = """The {name} image classifier, layer for layer Keras's, optionally with its
ImageNet weights.

    ConvNeXt standardises its input inside the network (a ``Normalization``
    layer, with ``include_preprocessing=True``): feed float or uint8 pixels in
    ``[0, 255]``; ``heft.applications.convnext.preprocess_input`` returns its
    input unchanged. Built for ``channels_last`` only.

    Args:
        include_top: Whether to end with the 1000-class (or ``classes``) classifier.
        include_preprocessing: Whether the model standardises its input itself
            (keep it with ImageNet weights).
        weights: ``None`` (random), ``"imagenet"`` (downloaded once into
            ``~/.keras/models``, hash checked) or the path of a weights file.
        input_tensor: An optional symbolic tensor to build the model on.
        input_shape: The image shape, only with ``include_top=False`` (at least
            32x32, 3 channels for ImageNet weights); by default ``(224, 224, 3)``.
        pooling: With ``include_top=False``: ``None`` (the last feature map),
            ``"avg"`` or ``"max"`` (global pooling to a vector), each followed by
            a layer normalization.
        classes: The classifier's classes, 1000 with ImageNet weights.
        classifier_activation: The classifier's activation; ``None`` or
            ``"softmax"`` with pretrained weights.
        name: The model's name (it names every layer, and with ImageNet weights
            the file, so it must contain ``{weights_name!r}`` then).

    Returns:
        A ``Functional`` model whose layers, names and weights are Keras's.

    Raises:
        ValueError: If the image data format is ``channels_first``, ``weights`` is
            neither ``None``, ``"imagenet"`` nor a file, ``classes`` is not 1000 with
            ImageNet weights and the classifier, the name lacks the variant with
            ImageNet weights, the input shape is invalid or too small, or the
            weights file does not fit.
"""


def ConvNeXtTiny(
    include_top: bool = True,
    include_preprocessing: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "convnext_tiny",
) -> Functional:
    return _convnext("tiny", **locals())


def ConvNeXtSmall(
    include_top: bool = True,
    include_preprocessing: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "convnext_small",
) -> Functional:
    return _convnext("small", **locals())


def ConvNeXtBase(
    include_top: bool = True,
    include_preprocessing: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "convnext_base",
) -> Functional:
    return _convnext("base", **locals())


def ConvNeXtLarge(
    include_top: bool = True,
    include_preprocessing: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "convnext_large",
) -> Functional:
    return _convnext("large", **locals())


def ConvNeXtXLarge(
    include_top: bool = True,
    include_preprocessing: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "convnext_xlarge",
) -> Functional:
    return _convnext("xlarge", **locals())


for _builder, _variant in (
    (ConvNeXtTiny, "tiny"),
    (ConvNeXtSmall, "small"),
    (ConvNeXtBase, "base"),
    (ConvNeXtLarge, "large"),
    (ConvNeXtXLarge, "xlarge"),
):
    _builder.__doc__ = _DOC.format(name=_builder.__name__, weights_name=f"convnext_{_variant}")


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Return ``x`` unchanged: ConvNeXt standardises its input inside the network.

    Kept so code written for other applications runs unchanged; ``data_format``
    is accepted and ignored.

    >>> preprocess_input([0.0, 255.0])
    [0.0, 255.0]
    """
    return x


decode_predictions = _imagenet_utils.decode_predictions
