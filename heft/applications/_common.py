"""What every application shares: argument checks, the input, and the pretrained weights."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Any

from .. import activations
from ..backend import image_data_format
from ..layers import Input
from ..models import Functional
from ..utils._backend_utils import get_source_inputs, is_keras_tensor
from ..utils._get_file import get_file


@dataclass(frozen=True)
class WeightFile:
    """One published weight file: its name in the cache, its address and its hash.

    ``file_hash`` is the md5 or sha256 Keras checks (``None`` where Keras checks
    none). Files are cached in ``$KERAS_HOME/models`` (``~/.keras/models``).
    """

    fname: str
    origin: str
    file_hash: str | None


def check_weights(weights: Any, include_top: bool, classes: int) -> None:
    """Refuse a ``weights`` argument, or a ``classes`` count, that pretrained loading cannot serve.

    Raises:
        ValueError: If ``weights`` is not ``None``, ``"imagenet"`` or an existing
            file, or ``classes`` is not 1000 with ``weights="imagenet"`` and the
            classifier included.
    """
    if not (weights is None or weights == "imagenet" or _is_file(weights)):
        raise ValueError(
            "`weights` must be None (random initialization), 'imagenet' (pretrained on "
            "ImageNet, downloaded once into ~/.keras/models) or the path of an existing "
            f"weights file. Received: weights={weights!r}, which is not a file."
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(
            "The ImageNet weights' classifier has 1000 classes, so `classes` must be 1000 "
            f"with weights='imagenet' and include_top=True. Received: classes={classes}. "
            "For another number of classes, pass include_top=False and add your own head."
        )


def _is_file(weights: Any) -> bool:
    return isinstance(weights, str | os.PathLike) and os.path.isfile(weights)


def obtain_input_shape(
    input_shape: tuple[int | None, ...] | None,
    default_size: int,
    min_size: int,
    data_format: str,
    require_flatten: bool,
    weights: Any = None,
) -> tuple[int | None, ...]:
    """The image shape an application is built for, from what the caller asked.

    ``require_flatten`` (the classifier is included) needs a static shape, and with
    ImageNet weights exactly ``default_size`` square with 3 channels. Without a
    shape, the default is that square, or ``(None, None, 3)`` when nothing needs
    a static size. Channels other than 1 or 3 warn (without pretrained weights).

    Raises:
        ValueError: If the shape is not three numbers, is smaller than
            ``min_size``, is not the default with ImageNet weights and the
            classifier, has other than 3 channels with ImageNet weights, or has
            unknown sizes where the classifier needs them.
    """
    channels_last = data_format == "channels_last"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[-1] if channels_last else input_shape[0]
        if channels not in (1, 3):
            warnings.warn(
                f"This model usually expects 1 or 3 input channels; input_shape={input_shape} "
                f"has {channels}.",
                UserWarning,
                stacklevel=3,
            )
        default_shape = (
            (default_size, default_size, channels)
            if channels_last
            else (channels, default_size, default_size)
        )
    else:
        default_shape = (
            (default_size, default_size, 3) if channels_last else (3, default_size, default_size)
        )
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError(
                "With include_top=True and weights='imagenet' the input must be the shape the "
                f"classifier was trained on, {default_shape}. Received: input_shape="
                f"{input_shape}. Pass include_top=False to use another image size."
            )
        return default_shape
    if input_shape:
        if len(input_shape) != 3:
            raise ValueError(
                f"`input_shape` must be a tuple of three integers (rows, columns, channels "
                f"for {data_format}). Received: input_shape={input_shape}"
            )
        channels = input_shape[-1] if channels_last else input_shape[0]
        if weights == "imagenet" and channels != 3:
            raise ValueError(
                "The ImageNet weights expect 3 input channels (RGB). Received: "
                f"input_shape={input_shape}"
            )
        rows_cols = input_shape[:2] if channels_last else input_shape[1:]
        if any(size is not None and size < min_size for size in rows_cols):
            raise ValueError(
                f"Input size must be at least {min_size}x{min_size} for this model; smaller "
                f"images shrink to nothing in its downsampling. Received: input_shape="
                f"{input_shape}"
            )
        shape = tuple(input_shape)
    elif require_flatten:
        shape = default_shape
    else:
        shape = (None, None, 3) if channels_last else (3, None, None)
    if require_flatten and None in shape:
        raise ValueError(
            "With include_top=True the classifier needs a static input size. Received: "
            f"input_shape={shape}. Give every size, or pass include_top=False."
        )
    return shape


def correct_pad(inputs: Any, kernel_size: int | tuple[int, int]) -> tuple[tuple[int, int], ...]:
    """The ``ZeroPadding2D`` padding before a strided 'valid' convolution, as TF's 'same' pads."""
    first = 2 if image_data_format() == "channels_first" else 1
    size = inputs.shape[first : first + 2]
    kernel = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    half = (kernel[0] // 2, kernel[1] // 2)
    return ((half[0] - adjust[0], half[0]), (half[1] - adjust[1], half[1]))


def validate_activation(classifier_activation: Any, weights: Any) -> None:
    """Refuse a classifier activation other than softmax or none with pretrained weights.

    Raises:
        ValueError: If ``weights`` is set and the activation is another one.
    """
    if weights is None:
        return
    chosen = activations.get(classifier_activation)
    if chosen not in (activations.get("softmax"), activations.get(None)):
        raise ValueError(
            "With pretrained weights the classifier's activation must be None or 'softmax'. "
            f"Received: classifier_activation={classifier_activation!r}. Pass "
            "classifier_activation=None and apply your activation to the logits."
        )


def image_input(input_tensor: Any, input_shape: tuple[int | None, ...]) -> Any:
    """The symbolic image the application is built on: ``input_tensor`` or a new ``Input``."""
    if input_tensor is None:
        return Input(shape=input_shape)
    if is_keras_tensor(input_tensor):
        return input_tensor
    return Input(tensor=input_tensor, shape=input_shape)


def build_model(
    input_tensor: Any,
    img_input: Any,
    outputs: Any,
    name: str,
    weights: Any,
    pretrained: WeightFile | None,
) -> Functional:
    """The Functional model from the image input to ``outputs``, with its weights loaded.

    ``weights="imagenet"`` downloads ``pretrained`` into the cache (once, hash
    checked) and loads it; a path loads that file (any format ``load_weights``
    reads). A file that does not fit the model raises and leaves nothing loaded.

    Raises:
        ValueError: If ``weights="imagenet"`` but no ImageNet weights exist for these
            arguments, or the file does not fit the model (another architecture,
            another ``include_top`` or size), naming the file.
    """
    inputs = img_input if input_tensor is None else get_source_inputs(input_tensor)
    model = Functional(inputs, outputs, name=name)
    if weights is None:
        return model
    if weights == "imagenet":
        if pretrained is None:
            raise ValueError(
                f"No ImageNet weights are published for {name} with these arguments; pass "
                "weights=None or a path to your own weights file."
            )
        path = get_file(
            pretrained.fname,
            pretrained.origin,
            cache_subdir="models",
            file_hash=pretrained.file_hash,
        )
    else:
        path = os.fspath(weights)
    try:
        model.load_weights(path)
    except ValueError as error:
        raise ValueError(
            f"The weights file '{path}' does not fit {name} as built here (weights="
            f"{weights!r}): is it for another model, another `include_top` or other "
            f"arguments? {error}"
        ) from error
    return model
