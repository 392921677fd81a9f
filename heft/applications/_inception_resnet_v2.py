"""InceptionResNetV2, layer for layer as Keras builds it."""

from __future__ import annotations

from typing import Any

from .. import layers
from ..backend import image_data_format
from ..layers import Layer
from ._common import WeightFile, build_model, check_weights, image_input, obtain_input_shape
from ._imagenet_utils import decode_predictions as decode_predictions
from ._imagenet_utils import preprocess_input as _imagenet_preprocess
from ._top import arguments_doc, channel_axis, classifier_or_pooling

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/inception_resnet_v2/"
_TOP = WeightFile(
    "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5",
    _BASE + "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5",
    "e693bd0210a403b3192acc6073ad2e96",
)
_NOTOP = WeightFile(
    "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
    _BASE + "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "d19885ff4a710c122648d3b5c3b684e4",
)


class CustomScaleLayer(Layer):
    """``inputs[0] + inputs[1] * scale``: a residual branch added at a fixed scale.

    Saved under Keras's name for its layer of the same role, so a ``.keras``
    file of InceptionResNetV2 written by heft loads in Keras.

    >>> import numpy as np
    >>> CustomScaleLayer(0.5)([np.ones(2), np.full(2, 4.0)]).tolist()
    [3.0, 3.0]
    """

    _keras_serialized_as = ("keras.src.applications.inception_resnet_v2", "CustomScaleLayer")

    def __init__(self, scale: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = scale

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "scale": self.scale}

    def call(self, inputs: Any) -> Any:
        return inputs[0] + inputs[1] * self.scale

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape[0]


def conv2d_bn(
    x: Any,
    filters: int,
    kernel_size: int | list[int],
    strides: int = 1,
    padding: str = "same",
    activation: str | None = "relu",
    use_bias: bool = False,
    name: str | None = None,
) -> Any:
    """A convolution, then (without bias) batch norm without scale, then the activation."""
    x = layers.Conv2D(
        filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias, name=name
    )(x)
    if not use_bias:
        x = layers.BatchNormalization(
            axis=channel_axis(), scale=False, name=None if name is None else f"{name}_bn"
        )(x)
    if activation is not None:
        x = layers.Activation(activation, name=None if name is None else f"{name}_ac")(x)
    return x


def _branches(x: Any, block_type: str) -> list[Any]:
    if block_type == "block35":
        branch_0 = conv2d_bn(x, 32, 1)
        branch_1 = conv2d_bn(x, 32, 1)
        branch_1 = conv2d_bn(branch_1, 32, 3)
        branch_2 = conv2d_bn(x, 32, 1)
        branch_2 = conv2d_bn(branch_2, 48, 3)
        branch_2 = conv2d_bn(branch_2, 64, 3)
        return [branch_0, branch_1, branch_2]
    if block_type == "block17":
        branch_0 = conv2d_bn(x, 192, 1)
        branch_1 = conv2d_bn(x, 128, 1)
        branch_1 = conv2d_bn(branch_1, 160, [1, 7])
        branch_1 = conv2d_bn(branch_1, 192, [7, 1])
        return [branch_0, branch_1]
    branch_0 = conv2d_bn(x, 192, 1)
    branch_1 = conv2d_bn(x, 192, 1)
    branch_1 = conv2d_bn(branch_1, 224, [1, 3])
    branch_1 = conv2d_bn(branch_1, 256, [3, 1])
    return [branch_0, branch_1]


def inception_resnet_block(
    x: Any, scale: float, block_type: str, block_idx: int, activation: str | None = "relu"
) -> Any:
    """One residual Inception block of type ``block35``, ``block17`` or ``block8``.

    Raises:
        ValueError: If ``block_type`` is another one.
    """
    if block_type not in ("block35", "block17", "block8"):
        raise ValueError(
            "`block_type` must be 'block35', 'block17' or 'block8'. "
            f"Received: block_type={block_type!r}"
        )
    branches = _branches(x, block_type)
    block_name = f"{block_type}_{block_idx}"
    mixed = layers.Concatenate(axis=channel_axis(), name=f"{block_name}_mixed")(branches)
    up = conv2d_bn(
        mixed,
        x.shape[channel_axis()],
        1,
        activation=None,
        use_bias=True,
        name=f"{block_name}_conv",
    )
    x = CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=f"{block_name}_ac")(x)
    return x


def InceptionResNetV2(
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "inception_resnet_v2",
) -> Any:
    check_weights(weights, include_top, classes)
    shape = obtain_input_shape(
        input_shape,
        default_size=299,
        min_size=75,
        data_format=image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    img_input = image_input(input_tensor, shape)
    x = conv2d_bn(img_input, 32, 3, strides=2, padding="valid")
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)
    branch_0 = conv2d_bn(x, 96, 1)
    branch_1 = conv2d_bn(x, 48, 1)
    branch_1 = conv2d_bn(branch_1, 64, 5)
    branch_2 = conv2d_bn(x, 64, 1)
    branch_2 = conv2d_bn(branch_2, 96, 3)
    branch_2 = conv2d_bn(branch_2, 96, 3)
    branch_pool = layers.AveragePooling2D(3, strides=1, padding="same")(x)
    branch_pool = conv2d_bn(branch_pool, 64, 1)
    x = layers.Concatenate(axis=channel_axis(), name="mixed_5b")(
        [branch_0, branch_1, branch_2, branch_pool]
    )
    for block_idx in range(1, 11):
        x = inception_resnet_block(x, scale=0.17, block_type="block35", block_idx=block_idx)
    branch_0 = conv2d_bn(x, 384, 3, strides=2, padding="valid")
    branch_1 = conv2d_bn(x, 256, 1)
    branch_1 = conv2d_bn(branch_1, 256, 3)
    branch_1 = conv2d_bn(branch_1, 384, 3, strides=2, padding="valid")
    branch_pool = layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    x = layers.Concatenate(axis=channel_axis(), name="mixed_6a")([branch_0, branch_1, branch_pool])
    for block_idx in range(1, 21):
        x = inception_resnet_block(x, scale=0.1, block_type="block17", block_idx=block_idx)
    branch_0 = conv2d_bn(x, 256, 1)
    branch_0 = conv2d_bn(branch_0, 384, 3, strides=2, padding="valid")
    branch_1 = conv2d_bn(x, 256, 1)
    branch_1 = conv2d_bn(branch_1, 288, 3, strides=2, padding="valid")
    branch_2 = conv2d_bn(x, 256, 1)
    branch_2 = conv2d_bn(branch_2, 288, 3)
    branch_2 = conv2d_bn(branch_2, 320, 3, strides=2, padding="valid")
    branch_pool = layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    x = layers.Concatenate(axis=channel_axis(), name="mixed_7a")(
        [branch_0, branch_1, branch_2, branch_pool]
    )
    for block_idx in range(1, 10):
        x = inception_resnet_block(x, scale=0.2, block_type="block8", block_idx=block_idx)
    x = inception_resnet_block(x, scale=1.0, activation=None, block_type="block8", block_idx=10)
    x = conv2d_bn(x, 1536, 1, name="conv_7b")
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


InceptionResNetV2.__doc__ = (
    "Builds InceptionResNetV2 (Inception blocks with scaled residual links), as Keras does.\n"
    + arguments_doc(299, 75, "-1..1")
)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scales images for InceptionResNetV2: pixel values 0..255 to -1..1 (``tf`` mode).

    >>> import numpy as np
    >>> preprocess_input(np.zeros((1, 1, 1, 3)))[0, 0, 0].tolist()
    [-1.0, -1.0, -1.0]
    """
    return _imagenet_preprocess(x, data_format=data_format, mode="tf")
