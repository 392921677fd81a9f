"""VGG16 and VGG19, layer for layer as Keras builds them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import layers
from ..backend import image_data_format
from ._common import (
    WeightFile,
    build_model,
    check_weights,
    image_input,
    obtain_input_shape,
    validate_activation,
)
from ._imagenet_utils import decode_predictions as decode_predictions
from ._imagenet_utils import preprocess_input as _imagenet_preprocess
from ._top import arguments_doc, classifier_or_pooling

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/"
# md5 of the files with and without the classifier, as Keras checks them.
_HASHES = {
    "vgg16": ("64373286793e3c8b2b4e3219cbf3544b", "6d6bbae143d832006294945121d1f1fc"),
    "vgg19": ("cbe5617147190e668d6c5d5026f83318", "253f8cb515780f3b799900260a226db6"),
}
# Convolutions per block (filters 64, 128, 256, 512, 512).
_CONVS = {16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}


def weight_file(weights_name: str, include_top: bool) -> WeightFile:
    """Keras's published ImageNet file of ``weights_name`` ("vgg16" or "vgg19")."""
    fname = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    top_hash, notop_hash = _HASHES[weights_name]
    return WeightFile(
        fname, f"{_BASE}{weights_name}/{fname}", top_hash if include_top else notop_hash
    )


def _vgg(
    depth: int,
    name: str,
    include_top: bool,
    weights: Any,
    input_tensor: Any,
    input_shape: Any,
    pooling: str | None,
    classes: int,
    classifier_activation: Any,
) -> Any:
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
    x = img_input
    for block, (filters, convs) in enumerate(
        zip((64, 128, 256, 512, 512), _CONVS[depth], strict=True), 1
    ):
        for conv in range(1, convs + 1):
            x = layers.Conv2D(
                filters, (3, 3), activation="relu", padding="same", name=f"block{block}_conv{conv}"
            )(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = classifier_or_pooling(
            x,
            include_top=False,
            pooling=pooling,
            classes=classes,
            classifier_activation=classifier_activation,
            weights=weights,
            avg_name=None,
            max_name=None,
        )
    return build_model(
        input_tensor, img_input, x, name, weights, weight_file(f"vgg{depth}", include_top)
    )


def _public(depth: int) -> Callable[..., Any]:
    def application(
        include_top: bool = True,
        weights: Any = "imagenet",
        input_tensor: Any = None,
        input_shape: Any = None,
        pooling: str | None = None,
        classes: int = 1000,
        classifier_activation: Any = "softmax",
        name: str = f"vgg{depth}",
    ) -> Any:
        return _vgg(
            depth,
            name,
            include_top,
            weights,
            input_tensor,
            input_shape,
            pooling,
            classes,
            classifier_activation,
        )

    application.__name__ = application.__qualname__ = f"VGG{depth}"
    application.__doc__ = (
        f"Builds VGG{depth} ({depth} weight layers of 3x3 convolutions and dense layers), "
        "as Keras does.\n" + arguments_doc(224, 32, "BGR, the ImageNet means subtracted")
    )
    return application


VGG16 = _public(16)
VGG19 = _public(19)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scales images for VGG: RGB to BGR, minus the ImageNet means (``caffe`` mode).

    >>> import numpy as np
    >>> preprocess_input(np.zeros((1, 1, 1, 3)))[0, 0, 0].round(3).tolist()
    [-103.939, -116.779, -123.68]
    """
    return _imagenet_preprocess(x, data_format=data_format, mode="caffe")
