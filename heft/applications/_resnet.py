"""ResNet50/101/152 and ResNet50V2/101V2/152V2, layer for layer as Keras builds them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .. import layers
from ._common import (
    WeightFile,
    build_model,
    check_weights,
    image_input,
    obtain_input_shape,
)
from ._imagenet_utils import decode_predictions as decode_predictions
from ._imagenet_utils import preprocess_input as _imagenet_preprocess
from ._top import arguments_doc, channel_axis, classifier_or_pooling

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
# (md5 of the file with the classifier, md5 of the file without), as Keras checks them.
_HASHES = {
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}
_EPSILON = 1.001e-5

# Blocks per stage (filters 64, 128, 256, 512) of each depth.
_DEPTHS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}


def weight_file(weights_name: str, include_top: bool) -> WeightFile:
    """Keras's published ImageNet file of ``weights_name`` ("resnet50", "resnet50v2", ...)."""
    fname = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    top_hash, notop_hash = _HASHES[weights_name]
    return WeightFile(fname, _BASE + fname, top_hash if include_top else notop_hash)


def _batch_norm(name: str) -> layers.BatchNormalization:
    return layers.BatchNormalization(axis=channel_axis(), epsilon=_EPSILON, name=name)


def _block_v1(x: Any, filters: int, stride: int, conv_shortcut: bool, name: str) -> Any:
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = _batch_norm(f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = _batch_norm(f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, 3, padding="SAME", name=f"{name}_2_conv")(x)
    x = _batch_norm(f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = _batch_norm(f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def _stack_v1(x: Any, filters: int, blocks: int, stride: int, name: str) -> Any:
    x = _block_v1(x, filters, stride, True, f"{name}_block1")
    for i in range(2, blocks + 1):
        x = _block_v1(x, filters, 1, False, f"{name}_block{i}")
    return x


def _block_v2(x: Any, filters: int, stride: int, conv_shortcut: bool, name: str) -> Any:
    preact = _batch_norm(f"{name}_preact_bn")(x)
    preact = layers.Activation("relu", name=f"{name}_preact_relu")(preact)
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    elif stride > 1:
        shortcut = layers.MaxPooling2D(1, strides=stride)(x)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = _batch_norm(f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = layers.Conv2D(filters, 3, strides=stride, use_bias=False, name=f"{name}_2_conv")(x)
    x = _batch_norm(f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


def _stack_v2(x: Any, filters: int, blocks: int, stride: int, name: str) -> Any:
    # V2 strides in the last block of a stage, V1 in the first.
    x = _block_v2(x, filters, 1, True, f"{name}_block1")
    for i in range(2, blocks):
        x = _block_v2(x, filters, 1, False, f"{name}_block{i}")
    return _block_v2(x, filters, stride, False, f"{name}_block{blocks}")


def _stacks(preact: bool, depth: Sequence[int]) -> Callable[[Any], Any]:
    stack = _stack_v2 if preact else _stack_v1
    # V1's first stage keeps the size, V2's last stage does.
    strides = (2, 2, 2, 1) if preact else (1, 2, 2, 2)

    def stack_fn(x: Any) -> Any:
        for stage, (filters, blocks, stride) in enumerate(
            zip((64, 128, 256, 512), depth, strides, strict=True), start=2
        ):
            x = stack(x, filters, blocks, stride, f"conv{stage}")
        return x

    return stack_fn


def _resnet(
    *,
    depth: int,
    preact: bool,
    weights_name: str,
    include_top: bool,
    weights: Any,
    input_tensor: Any,
    input_shape: Any,
    pooling: str | None,
    classes: int,
    classifier_activation: Any,
    name: str,
) -> Any:
    check_weights(weights, include_top, classes)
    from ..backend import image_data_format

    shape = obtain_input_shape(
        input_shape,
        default_size=224,
        min_size=32,
        data_format=image_data_format(),
        require_flatten=include_top,
        weights=weights,
    )
    img_input = image_input(input_tensor, shape)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=True, name="conv1_conv")(x)
    if not preact:
        x = _batch_norm("conv1_bn")(x)
        x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = _stacks(preact, _DEPTHS[depth])(x)
    if preact:
        x = _batch_norm("post_bn")(x)
        x = layers.Activation("relu", name="post_relu")(x)
    x = classifier_or_pooling(
        x,
        include_top=include_top,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        weights=weights,
    )
    return build_model(
        input_tensor, img_input, x, name, weights, weight_file(weights_name, include_top)
    )


def _public(depth: int, preact: bool) -> Callable[..., Any]:
    weights_name = f"resnet{depth}{'v2' if preact else ''}"
    title = f"ResNet{depth}{'V2' if preact else ''}"

    def application(
        include_top: bool = True,
        weights: Any = "imagenet",
        input_tensor: Any = None,
        input_shape: Any = None,
        pooling: str | None = None,
        classes: int = 1000,
        classifier_activation: Any = "softmax",
        name: str = weights_name,
    ) -> Any:
        return _resnet(
            depth=depth,
            preact=preact,
            weights_name=weights_name,
            include_top=include_top,
            weights=weights,
            input_tensor=input_tensor,
            input_shape=input_shape,
            pooling=pooling,
            classes=classes,
            classifier_activation=classifier_activation,
            name=name,
        )

    kind = "pre-activation residual network (ResNetV2)" if preact else "residual network"
    application.__name__ = application.__qualname__ = title
    scaling = "-1..1" if preact else "BGR, the ImageNet means subtracted"
    application.__doc__ = (
        f"Builds {title}, the {depth}-layer {kind}, as Keras does.\n"
        + arguments_doc(224, 32, scaling)
    )
    return application


ResNet50 = _public(50, False)
ResNet101 = _public(101, False)
ResNet152 = _public(152, False)
ResNet50V2 = _public(50, True)
ResNet101V2 = _public(101, True)
ResNet152V2 = _public(152, True)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scales images for ResNet (V1): RGB to BGR, minus the ImageNet means (``caffe`` mode).

    >>> import numpy as np
    >>> preprocess_input(np.zeros((1, 1, 1, 3)))[0, 0, 0].round(3).tolist()
    [-103.939, -116.779, -123.68]
    """
    return _imagenet_preprocess(x, data_format=data_format, mode="caffe")


def preprocess_input_v2(x: Any, data_format: str | None = None) -> Any:
    """Scales images for ResNetV2: pixel values 0..255 to -1..1 (``tf`` mode).

    >>> import numpy as np
    >>> preprocess_input_v2(np.full((1, 1, 1, 3), 255.0))[0, 0, 0].tolist()
    [1.0, 1.0, 1.0]
    """
    return _imagenet_preprocess(x, data_format=data_format, mode="tf")
