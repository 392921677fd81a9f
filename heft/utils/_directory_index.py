"""Listing a folder of class sub-folders as Keras does: sorted files, a seeded shuffle, a split."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

LABEL_MODES = ("int", "categorical", "binary", None)


def check_arguments(
    labels: Any,
    label_mode: str | None,
    class_names: Sequence[str] | None,
    what: str,
) -> None:
    """The argument checks all three ``*_dataset_from_directory`` functions share."""
    if labels not in ("inferred", None):
        if not isinstance(labels, list | tuple):
            raise ValueError(
                "`labels` argument should be a list/tuple of integer labels, of the same size "
                f"as the number of {what} files in the target directory. If you wish to infer "
                "the labels from the subdirectory names in the target directory, pass "
                '`labels="inferred"`. If you wish to get a dataset that only contains '
                f"{what} files (no labels), pass `labels=None`. Received: labels={labels}"
            )
        if class_names:
            raise ValueError(
                'You can only pass `class_names` if `labels="inferred"`. '
                f"Received: labels={labels}, and class_names={class_names}"
            )
    if label_mode not in LABEL_MODES:
        raise ValueError(
            '`label_mode` argument must be one of "int", "categorical", "binary", or None. '
            f"Received: label_mode={label_mode}"
        )


def check_validation_split(
    validation_split: float | None, subset: str | None, shuffle: bool, seed: int | None
) -> None:
    """Keras's checks of ``validation_split``, ``subset`` and ``seed``."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(
            f"`validation_split` must be between 0 and 1, received: {validation_split}"
        )
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(
            f'`subset` must be either "training", "validation" or "both", received: {subset}'
        )
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "If using `validation_split` and shuffling the data, you must provide a `seed` "
            "argument, to make sure that there is no overlap between the training and "
            "validation subset."
        )


def _files_under(folder: str, follow_links: bool, formats: tuple[str, ...]) -> list[str]:
    """Paths relative to ``folder`` of the files with an allowed suffix, folders and names sorted."""
    found = []
    for root, _, files in sorted(os.walk(folder, followlinks=follow_links), key=lambda w: w[0]):
        for name in sorted(files):
            if name.lower().endswith(formats):
                found.append(os.path.relpath(os.path.join(root, name), folder))
    return found


def index_directory(
    directory: str,
    labels: Any,
    formats: tuple[str, ...],
    class_names: Sequence[str] | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    follow_links: bool = False,
    verbose: bool = True,
) -> tuple[list[str], np.ndarray | None, list[str] | None]:
    """The files of ``directory``, their labels and the class names, in Keras's order.

    With ``labels="inferred"`` each sub-folder (sorted, hidden ones skipped)
    is a class, or the sub-folders named in ``class_names``, in that order.
    Files are listed folder by folder, sorted; then, with ``shuffle``, paths
    and labels are shuffled by ``numpy.random.RandomState(seed)``, the same
    permutation Keras applies, so the later split picks the same files.
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"Could not find directory {directory}: pass the folder that holds the files "
            "(with one sub-folder per class when `labels='inferred'`)."
        )
    if labels == "inferred":
        subdirs = [
            d
            for d in sorted(os.listdir(directory))
            if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")
        ]
        if class_names is not None:
            if not set(class_names).issubset(set(subdirs)):
                raise ValueError(
                    "The `class_names` passed did not match the names of the subdirectories "
                    f"of the target directory. Expected: {subdirs} (or a subset of it), but "
                    f"received: class_names={class_names}"
                )
            subdirs = list(class_names)
    else:
        subdirs = [""]
        if class_names is not None:
            if labels is None:
                raise ValueError(
                    "When `labels=None` (no labels), argument `class_names` cannot be specified."
                )
            raise ValueError(
                "When argument `labels` is specified, argument `class_names` cannot be "
                "specified (the `class_names` will be the sorted list of labels)."
            )
    filenames: list[str] = []
    inferred: list[int] = []
    for index, subdir in enumerate(subdirs):
        found = _files_under(os.path.join(directory, subdir), follow_links, formats)
        filenames += [os.path.join(subdir, f) if subdir else f for f in found]
        inferred += [index] * len(found)
    names: list[str] | None
    label_array: np.ndarray | None
    if labels == "inferred":
        label_array, names = np.asarray(inferred, dtype="int32"), list(subdirs)
    elif labels is None:
        label_array, names = None, None
    else:
        if len(labels) != len(filenames):
            raise ValueError(
                "Expected the lengths of `labels` to match the number of files in the target "
                f"directory. len(labels) is {len(labels)} while we found {len(filenames)} files "
                f"in directory {directory}."
            )
        label_array = np.array(labels)
        names = [str(label) for label in sorted(set(labels))]
    if verbose:
        if names is None:
            print(f"Found {len(filenames)} files.")
        else:
            print(f"Found {len(filenames)} files belonging to {len(names)} classes.")
    paths = [os.path.join(directory, f) for f in filenames]
    if shuffle:
        if seed is None:
            seed = np.random.randint(1_000_000)
        np.random.RandomState(seed).shuffle(paths)
        if label_array is not None:
            np.random.RandomState(seed).shuffle(label_array)
    return paths, label_array, names


def split(
    paths: list[str],
    labels: np.ndarray | None,
    validation_split: float | None,
    subset: str | None,
) -> tuple[list[str], np.ndarray | None]:
    """The training part (all but the last ``validation_split``) or the validation part."""
    if not validation_split:
        return paths, labels
    n_val = int(validation_split * len(paths))
    if subset == "training":
        print(f"Using {len(paths) - n_val} files for training.")
        return paths[:-n_val], None if labels is None else labels[:-n_val]
    if subset == "validation":
        print(f"Using {n_val} files for validation.")
        return paths[-n_val:], None if labels is None else labels[-n_val:]
    raise ValueError(f'`subset` must be either "training" or "validation", received: {subset}')
