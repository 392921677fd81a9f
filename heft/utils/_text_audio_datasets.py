"""``text_dataset_from_directory`` and ``audio_dataset_from_directory``, read on the host.

Text files are read as UTF-8 strings; WAV files are decoded with the
standard library's ``wave`` module. Neither needs TensorFlow.
"""

from __future__ import annotations

import functools
import os
import wave
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _directory_index as index
from ._file_dataset import FileDataset, encode_labels


def _read_text(path: str, max_length: int | None) -> str:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return text if max_length is None else text[:max_length]


def _strings(items: list[str]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _build(
    directory: Any,
    labels: Any,
    label_mode: str | None,
    class_names: Sequence[str] | None,
    batch_size: int | None,
    shuffle: bool,
    seed: int | None,
    validation_split: float | None,
    subset: str | None,
    follow_links: bool,
    verbose: bool,
    formats: tuple[str, ...],
    what: str,
    load: Any,
    collate: Any,
) -> Any:
    index.check_validation_split(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = int(np.random.randint(1_000_000))
    paths, label_array, names = index.index_directory(
        os.fspath(directory), labels, formats, class_names, shuffle, seed, follow_links, verbose
    )
    if label_mode == "binary" and len(names or ()) != 2:
        raise ValueError(
            'When passing `label_mode="binary"`, there must be exactly 2 class_names. '
            f"Received: class_names={names}"
        )
    if label_array is not None and label_mode is not None:
        label_array = encode_labels(label_array, label_mode, len(names or ()))

    def make(part: str | None, part_shuffle: bool, empty: str) -> FileDataset:
        part_paths, part_labels = index.split(paths, label_array, validation_split, part)
        if not part_paths:
            raise ValueError(
                f"No {empty}{what} found in directory {directory}. Allowed format(s): {formats}"
            )
        return FileDataset(
            part_paths, part_labels, names, load, batch_size, part_shuffle, seed, collate
        )

    if subset == "both":
        return [make("training", shuffle, "training "), make("validation", False, "validation ")]
    return make(subset, shuffle, "")


def text_dataset_from_directory(
    directory: str | os.PathLike[str],
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: Sequence[str] | None = None,
    batch_size: int | None = 32,
    max_length: int | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    format: str = "tf",
    verbose: bool = True,
) -> Any:
    """A dataset of the ``.txt`` files in ``directory`` (one sub-folder per class), as Keras's.

    Files are listed, labelled, shuffled and split exactly as Keras does (see
    :func:`image_dataset_from_directory`). Without TensorFlow, each batch of
    texts is a numpy object array of Python ``str`` read as UTF-8 (Keras's
    ``tf.data`` gives byte strings); ``max_length`` keeps the first
    ``max_length`` characters.

    Args:
        directory: The folder of text files.
        labels: ``"inferred"``, ``None`` or a list of integer labels.
        label_mode: ``"int"``, ``"categorical"``, ``"binary"`` or ``None``.
        class_names: The sub-folders to use, in this order.
        batch_size: Texts per batch; ``None`` gives single texts.
        max_length: Longest text kept (characters).
        shuffle: Shuffle the files (and every epoch).
        seed: Seed of the shuffle; required with ``validation_split``.
        validation_split: Fraction of the files held out.
        subset: ``"training"``, ``"validation"`` or ``"both"``.
        follow_links: Follow symbolic links to folders.
        format: ``"tf"`` or ``"grain"`` (both give the same heft dataset).
        verbose: Print how many files were found.

    Returns:
        A :class:`FileDataset` (or a ``[training, validation]`` pair) with ``class_names``.

    Raises:
        ValueError: For arguments Keras refuses, and a folder with no text files.
    """
    index.check_arguments(labels, label_mode, class_names, "text")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    load = functools.partial(_read_text, max_length=max_length)
    return _build(
        directory, labels, label_mode, class_names, batch_size, shuffle, seed,
        validation_split, subset, follow_links, verbose, (".txt",), "text files", load, _strings,
    )  # fmt: skip


def read_wav(path: str, output_sequence_length: int | None = None) -> np.ndarray:
    """A PCM WAV file as float32 ``(samples, channels)`` in [-1, 1), as ``tf.audio.decode_wav``.

    ``output_sequence_length`` cuts the samples or pads them with zeros.

    Raises:
        ValueError: If the file is not an uncompressed PCM WAV file.
    """
    try:
        with wave.open(path, "rb") as f:
            channels, width, frames = f.getnchannels(), f.getsampwidth(), f.getnframes()
            raw = f.readframes(frames)
    except (wave.Error, EOFError) as err:
        raise ValueError(
            f"Cannot decode '{path}' as a PCM WAV file ({err}). heft reads WAV files with "
            "Python's `wave` module: convert the file to 8-, 16-, 24- or 32-bit PCM WAV."
        ) from err
    if width == 1:
        samples = (np.frombuffer(raw, np.uint8).astype("float32") - 128.0) / 128.0
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        value = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        samples = value.astype("float32") / float(1 << 23)
    else:
        dtype = {2: "<i2", 4: "<i4"}[width]
        samples = np.frombuffer(raw, dtype).astype("float32") / float(1 << (8 * width - 1))
    audio = samples.reshape(-1, channels)
    if output_sequence_length is not None:
        audio = audio[:output_sequence_length]
        if len(audio) < output_sequence_length:
            pad = np.zeros((output_sequence_length - len(audio), channels), "float32")
            audio = np.concatenate([audio, pad])
    return audio


def _pad_batch(items: list[np.ndarray]) -> np.ndarray:
    longest = max(len(a) for a in items)
    out = np.zeros((len(items), longest, items[0].shape[1]), "float32")
    for i, a in enumerate(items):
        out[i, : len(a)] = a
    return out


def audio_dataset_from_directory(
    directory: str | os.PathLike[str],
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: Sequence[str] | None = None,
    batch_size: int | None = 32,
    sampling_rate: int | None = None,
    output_sequence_length: int | None = None,
    ragged: bool = False,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    verbose: bool = True,
) -> Any:
    """A dataset of the ``.wav`` files in ``directory`` (one sub-folder per class), as Keras's.

    Files are listed, labelled, shuffled and split exactly as Keras does. The
    audio is decoded with the standard library's ``wave`` module (PCM WAV
    only), as float32 ``(samples, channels)``; a batch is padded with zeros
    to its longest clip, or every clip is cut or padded to
    ``output_sequence_length``. Resampling (``sampling_rate``) and ragged
    batches need TensorFlow (I/O) and are not available.

    Args:
        directory: The folder of WAV files.
        labels: ``"inferred"``, ``None`` or a list of integer labels.
        label_mode: ``"int"``, ``"categorical"``, ``"binary"`` or ``None``.
        class_names: The sub-folders to use, in this order.
        batch_size: Clips per batch; ``None`` gives single clips.
        sampling_rate: Must be ``None`` (see above).
        output_sequence_length: Length every clip is cut or padded to.
        ragged: Must be ``False`` (see above).
        shuffle: Shuffle the files (and every epoch).
        seed: Seed of the shuffle; required with ``validation_split``.
        validation_split: Fraction of the files held out.
        subset: ``"training"``, ``"validation"`` or ``"both"``.
        follow_links: Follow symbolic links to folders.
        verbose: Print how many files were found.

    Returns:
        A :class:`FileDataset` (or a ``[training, validation]`` pair) with ``class_names``.

    Raises:
        ValueError: For arguments Keras refuses, ``sampling_rate`` or
            ``ragged=True``, and a folder with no WAV files.
    """
    index.check_arguments(labels, label_mode, class_names, "audio")
    if ragged and output_sequence_length is not None:
        raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
    if sampling_rate is not None:
        if not isinstance(sampling_rate, int):
            raise ValueError(
                f"`sampling_rate` should have an integer value. Received: sampling_rate={sampling_rate}"
            )
        if sampling_rate <= 0:
            raise ValueError(
                f"`sampling_rate` should be higher than 0. Received: sampling_rate={sampling_rate}"
            )
        raise ValueError(
            f"`sampling_rate={sampling_rate}` asks for resampling, which heft does not do (Keras "
            "needs tensorflow-io for it). Resample the files beforehand and pass "
            "`sampling_rate=None`."
        )
    if ragged:
        raise ValueError(
            "`ragged=True` gives TensorFlow ragged tensors, which heft does not have. Pass "
            "`ragged=False` (batches padded with zeros) or an `output_sequence_length`."
        )
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    load = functools.partial(read_wav, output_sequence_length=output_sequence_length)
    collate = np.stack if output_sequence_length is not None else _pad_batch
    return _build(
        directory, labels, label_mode, class_names, batch_size, shuffle, seed,
        validation_split, subset, follow_links, verbose, (".wav",), "audio files", load, collate,
    )  # fmt: skip
