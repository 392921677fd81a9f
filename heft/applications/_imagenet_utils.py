"""ImageNet input scaling (``preprocess_input``) and class decoding (``decode_predictions``)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from .. import ops
from ..backend import image_data_format
from ..utils._get_file import get_file

# Where Keras publishes the ImageNet class index, and its md5.
CLASS_INDEX_PATH = (
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
)
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"

_CAFFE_MEAN = (103.939, 116.779, 123.68)  # BGR order
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)
_MODES = ("caffe", "tf", "torch")

_class_index: dict[str, list[str]] | None = None


def _check_arguments(data_format: str | None, mode: str) -> str:
    if mode not in _MODES:
        raise ValueError(
            f"`mode` must be one of 'caffe', 'tf' or 'torch'. Received: mode={mode!r}. "
            "Use the preprocess_input of the application's own module "
            "(e.g. heft.applications.resnet50.preprocess_input), which picks its mode."
        )
    if data_format is None:
        return image_data_format()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(
            "`data_format` must be 'channels_first' or 'channels_last'. "
            f"Received: data_format={data_format!r}"
        )
    return data_format


def _channel_shape(ndim: int, data_format: str) -> tuple[int, ...]:
    """The shape a per-channel constant broadcasts with over an image or a batch."""
    if data_format == "channels_last":
        return (1,) * (ndim - 1) + (3,)
    return (3, 1, 1) if ndim == 3 else (1, 3) + (1,) * (ndim - 2)


def _channel_axis(ndim: int, data_format: str) -> int:
    if data_format == "channels_last":
        return ndim - 1
    return 0 if ndim == 3 else 1


def _preprocess_numpy(x: np.ndarray, data_format: str, mode: str) -> np.ndarray:
    # A new array: unlike Keras, the caller's array is never written over.
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype("float32")
    if mode == "tf":
        return x / x.dtype.type(127.5) - x.dtype.type(1.0)
    if mode == "torch":
        x = x / x.dtype.type(255.0)
        shape = _channel_shape(x.ndim, data_format)
        mean = np.asarray(_TORCH_MEAN, x.dtype).reshape(shape)
        std = np.asarray(_TORCH_STD, x.dtype).reshape(shape)
        return (x - mean) / std
    x = np.flip(x, axis=_channel_axis(x.ndim, data_format))  # RGB -> BGR
    return x - np.asarray(_CAFFE_MEAN, x.dtype).reshape(_channel_shape(x.ndim, data_format))


def _preprocess_tensor(x: Any, data_format: str, mode: str) -> Any:
    ndim = len(x.shape)
    if mode == "tf":
        return x / 127.5 - 1.0
    if mode == "torch":
        shape = _channel_shape(ndim, data_format)
        x = x / 255.0
        mean = ops.reshape(ops.convert_to_tensor(np.asarray(_TORCH_MEAN), x.dtype), shape)
        std = ops.reshape(ops.convert_to_tensor(np.asarray(_TORCH_STD), x.dtype), shape)
        return (x - mean) / std
    x = ops.flip(x, axis=_channel_axis(ndim, data_format))  # RGB -> BGR
    mean = ops.convert_to_tensor(np.asarray(_CAFFE_MEAN), x.dtype)
    return x - ops.reshape(mean, _channel_shape(ndim, data_format))


def preprocess_input(x: Any, data_format: str | None = None, mode: str = "caffe") -> Any:
    """Scale a batch of RGB images in [0, 255] the way an ImageNet model was trained.

    A numpy array gives a new numpy array (float32 unless it was already
    floating point; the input is left as it was); a tensor or a symbolic
    ``KerasTensor`` gives a tensor. The images are 3D (one image) or 4D (a batch),
    with 3 channels.

    Args:
        x: The images.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` takes
            ``heft.backend.image_data_format()``.
        mode: ``"caffe"``: RGB to BGR, then each channel minus its ImageNet mean
            (no scaling); ``"tf"``: scaled to [-1, 1]; ``"torch"``: scaled to
            [0, 1], then each channel standardised with ImageNet's mean and
            standard deviation.

    Returns:
        The scaled images.

    Raises:
        ValueError: If ``mode`` or ``data_format`` is not one of the values above.

    >>> import numpy as np
    >>> preprocess_input(np.full((1, 1, 1, 3), 255.0), mode="tf")[0, 0, 0]
    array([1., 1., 1.])
    """
    data_format = _check_arguments(data_format, mode)
    if isinstance(x, np.ndarray):
        return _preprocess_numpy(x, data_format, mode)
    return _preprocess_tensor(x, data_format, mode)


def _load_class_index() -> dict[str, list[str]]:
    global _class_index
    if _class_index is None:
        path = get_file(
            "imagenet_class_index.json",
            CLASS_INDEX_PATH,
            cache_subdir="models",
            file_hash=CLASS_INDEX_HASH,
        )
        with open(path, encoding="utf-8") as fh:
            index = json.load(fh)
        if not isinstance(index, dict) or len(index) != 1000:
            raise ValueError(
                f"The ImageNet class index '{path}' is not a mapping of 1000 classes. "
                "Delete the file so that it is downloaded again."
            )
        _class_index = index
    return _class_index


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, Any]]]:
    """The ``top`` most likely ImageNet classes of each row of ``preds``.

    The class index (``imagenet_class_index.json``) is downloaded once into
    ``~/.keras/models`` (or ``$KERAS_HOME/models``) from the address Keras uses,
    and checked against its published hash.

    Args:
        preds: Scores of shape ``(samples, 1000)``.
        top: How many classes to return per sample.

    Returns:
        For each sample, a list of ``(class_id, class_name, score)`` from the most
        likely down (the score as the numpy scalar of ``preds``).

    Raises:
        ValueError: If ``preds`` is not of shape ``(samples, 1000)``.
    """
    scores = np.asarray(preds)
    if scores.ndim != 2 or scores.shape[1] != 1000:
        raise ValueError(
            "`decode_predictions` expects a batch of ImageNet predictions, an array of "
            f"shape (samples, 1000). Received an array of shape {scores.shape}. Pass the "
            "output of a model with `include_top=True` and 1000 classes."
        )
    index = _load_class_index()
    decoded = []
    for row in scores:
        # The same choice among equal scores as Keras: argsort's last ``top``, reversed.
        ranks = [(index[str(i)][0], index[str(i)][1], row[i]) for i in row.argsort()[-top:][::-1]]
        ranks.sort(key=lambda entry: entry[2], reverse=True)
        decoded.append(ranks)
    return decoded
