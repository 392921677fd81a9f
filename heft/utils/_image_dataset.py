"""``image_dataset_from_directory``: a folder of images as a batched dataset, decoded with Pillow."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _directory_index as index
from . import _host_resize
from ._file_dataset import FileDataset, encode_labels
from ._images import _data_format, pil_image

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_CHANNELS = {"rgb": 3, "rgba": 4, "grayscale": 1}


def _decode(path: str, num_channels: int) -> np.ndarray:
    image = pil_image()
    with image.open(path) as img:
        img.seek(0)  # an animation gives its first frame, as TensorFlow's decoder
        mode = {1: "L", 3: "RGB", 4: "RGBA"}[num_channels]
        array = np.asarray(img if img.mode == mode else img.convert(mode))
    return array.reshape(array.shape[0], array.shape[1], num_channels)


def load_image(
    path: str,
    image_size: tuple[int, int],
    num_channels: int,
    interpolation: str,
    data_format: str,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
) -> np.ndarray:
    """One image file as an array of ``image_size``, resized as ``tf.image.resize`` does.

    float32, except with ``"nearest"`` (without ``crop_to_aspect_ratio``),
    where TensorFlow keeps the decoded uint8.
    """
    decoded = _decode(path, num_channels)
    img = decoded.astype("float32")
    if crop_to_aspect_ratio:
        img = _host_resize.resize(
            _host_resize.crop_to_aspect_ratio(img, image_size), image_size, interpolation
        )
    elif pad_to_aspect_ratio:
        img = _host_resize.resize_with_pad(img, image_size, interpolation)
    else:
        img = _host_resize.resize(img, image_size, interpolation)
    if interpolation == "nearest" and not crop_to_aspect_ratio:
        img = img.astype(decoded.dtype)  # tf.image.resize keeps the dtype for this method only
    return img.transpose(2, 0, 1) if data_format == "channels_first" else img


def image_dataset_from_directory(
    directory: str | os.PathLike[str],
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: Sequence[str] | None = None,
    color_mode: str = "rgb",
    batch_size: int | None = 32,
    image_size: int | tuple[int, int] = (256, 256),
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    interpolation: str = "bilinear",
    follow_links: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    data_format: str | None = None,
    format: str = "tf",
    verbose: bool = True,
) -> Any:
    """A dataset of the images in ``directory`` (one sub-folder per class), as Keras makes it.

    The files (``.bmp``, ``.gif``, ``.jpeg``, ``.jpg``, ``.png``) are listed
    and split exactly as Keras lists and splits them: sorted, shuffled with
    ``numpy.random.RandomState(seed)``, the last ``validation_split`` of them
    for validation. Unlike Keras, no TensorFlow is used: images are decoded
    with Pillow and resized on the host with numpy, method by method as
    ``tf.image.resize`` (no antialiasing), into float32 batches. The result
    is a :class:`heft.utils.PyDataset` that ``fit`` takes; see
    :class:`FileDataset` for its order within an epoch.

    Args:
        directory: The folder of images.
        labels: ``"inferred"`` (from the sub-folders), ``None``, or a list
            of integer labels, one per file in the sorted order.
        label_mode: ``"int"`` (int32), ``"categorical"`` (one-hot float32),
            ``"binary"`` (float32 ``(n, 1)``), or ``None`` (images alone).
        class_names: The sub-folders to use, in this order.
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"``.
        batch_size: Images per batch; ``None`` gives single images.
        image_size: ``(height, width)`` (or one int) of every image.
        shuffle: Shuffle the files (and every epoch).
        seed: Seed of the shuffle; required with ``validation_split``.
        validation_split: Fraction of the files held out.
        subset: ``"training"``, ``"validation"``, or ``"both"`` (a pair).
        interpolation: ``"bilinear"``, ``"nearest"``, ``"bicubic"``,
            ``"area"``, ``"lanczos3"``, ``"lanczos5"``, ``"gaussian"`` or
            ``"mitchellcubic"``.
        follow_links: Follow symbolic links to folders.
        crop_to_aspect_ratio: Crop the centre to ``image_size``'s ratio first.
        pad_to_aspect_ratio: Resize to fit and pad with zeros instead.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        format: ``"tf"`` or ``"grain"`` (accepted as in Keras; both give
            the same heft dataset).
        verbose: Print how many files were found.

    Returns:
        A :class:`FileDataset` with ``class_names`` and ``file_paths``, or a
        ``[training, validation]`` pair for ``subset="both"``.

    Raises:
        ImportError: If Pillow is not installed.
        ValueError: For arguments Keras refuses, and a folder with no images.
    """
    index.check_arguments(labels, label_mode, class_names, "image")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if color_mode not in _CHANNELS:
        raise ValueError(
            '`color_mode` must be one of {"rgb", "rgba", "grayscale"}. '
            f"Received: color_mode={color_mode}"
        )
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, list | tuple) or len(image_size) != 2:
        raise ValueError(
            "Invalid `image_size` value. Expected a tuple of 2 integers. "
            f"Received: image_size={image_size}"
        )
    interpolation = interpolation.lower()
    if interpolation not in _host_resize.METHODS:
        raise ValueError(
            f"Argument `interpolation` should be one of {_host_resize.METHODS}. "
            f"Received: interpolation={interpolation}"
        )
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError(
            "Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set to `True`."
        )
    index.check_validation_split(validation_split, subset, shuffle, seed)
    pil_image()
    if seed is None:
        seed = int(np.random.randint(1_000_000))
    paths, label_array, names = index.index_directory(
        os.fspath(directory), labels, ALLOWLIST_FORMATS, class_names, shuffle, seed,
        follow_links, verbose,
    )  # fmt: skip
    if label_mode == "binary" and len(names or ()) != 2:
        raise ValueError(
            'When passing `label_mode="binary"`, there must be exactly 2 class_names. '
            f"Received: class_names={names}"
        )
    if label_array is not None and label_mode is not None:
        label_array = encode_labels(label_array, label_mode, len(names or ()))
    load = functools.partial(
        load_image,
        image_size=(int(image_size[0]), int(image_size[1])),
        num_channels=_CHANNELS[color_mode],
        interpolation=interpolation,
        data_format=_data_format(data_format),
        crop_to_aspect_ratio=crop_to_aspect_ratio,
        pad_to_aspect_ratio=pad_to_aspect_ratio,
    )

    def make(part: str | None, part_shuffle: bool, empty: str) -> FileDataset:
        part_paths, part_labels = index.split(paths, label_array, validation_split, part)
        if not part_paths:
            raise ValueError(
                f"No {empty}images found in directory {directory}. "
                f"Allowed formats: {ALLOWLIST_FORMATS}"
            )
        return FileDataset(part_paths, part_labels, names, load, batch_size, part_shuffle, seed)

    if subset == "both":
        return [make("training", shuffle, "training "), make("validation", False, "validation ")]
    return make(subset, shuffle, "")
