"""image/text/audio_dataset_from_directory against Keras 3's tf.data results on the same folders."""

from __future__ import annotations

import os
import wave

import keras
import numpy as np
import pytest

import heft

PIL = pytest.importorskip("PIL.Image")
pytest.importorskip("tensorflow")


def _batches(ds):
    return [
        tuple(np.asarray(t) for t in b) if isinstance(b, tuple) else (np.asarray(b),) for b in ds
    ]


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    specs = {
        "cats": [("a.png", "RGB", (9, 12)), ("b.bmp", "RGB", (5, 5)), ("c.gif", "P", (7, 6))],
        "dogs": [("d.png", "L", (8, 8)), ("e.PNG", "RGBA", (6, 10)), ("sub/f.png", "RGB", (12, 7))],
        "owls": [("g.png", "RGB", (4, 9)), ("h.png", "RGB", (10, 10)), ("i.txt", None, None)],
    }
    for label, files in specs.items():
        for name, mode, shape in files:
            path = root / label / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if mode is None:
                path.write_text("not an image")
                continue
            channels = {"RGB": 3, "RGBA": 4}.get(mode)
            size = (*shape, channels) if channels else shape
            img = PIL.fromarray(
                rng.integers(0, 256, size, dtype=np.uint8), "L" if mode == "P" else mode
            )
            if mode == "P":
                img = img.convert("P")
            img.save(path)
    (root / ".hidden").mkdir()
    return root


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"label_mode": "categorical", "image_size": (5, 7), "interpolation": "nearest"},
        # TensorFlow decodes no GIF as RGBA and no BMP as grayscale: those use the PNG classes.
        {
            "color_mode": "rgba",
            "image_size": 6,
            "interpolation": "bicubic",
            "class_names": ["dogs", "owls"],
        },
        {"class_names": ["owls", "cats"], "label_mode": "binary", "crop_to_aspect_ratio": True},
        {"pad_to_aspect_ratio": True, "image_size": (6, 9), "interpolation": "area"},
        {"data_format": "channels_first", "image_size": (4, 4), "batch_size": 3},
        {"labels": [0, 1, 1, 0, 2, 2, 1, 0], "label_mode": "categorical", "image_size": (3, 3)},
    ],
)
def test_image_dataset_matches_keras_unshuffled(image_dir, kwargs, capsys):
    kwargs = {"image_size": (8, 8), "batch_size": 4, **kwargs, "shuffle": False}
    ours = heft.utils.image_dataset_from_directory(str(image_dir), **kwargs)
    theirs = keras.utils.image_dataset_from_directory(str(image_dir), **kwargs)
    assert ours.class_names == theirs.class_names
    assert ours.file_paths == theirs.file_paths
    ours_b, theirs_b = _batches(ours), _batches(theirs)
    assert len(ours) == len(ours_b) == len(theirs_b)
    for a, b in zip(ours_b, theirs_b, strict=True):
        for x, y in zip(a, b, strict=True):
            assert x.dtype == y.dtype and x.shape == y.shape
            np.testing.assert_allclose(x, y, atol=1e-3)


def test_grayscale_from_colour_is_close_to_keras(image_dir, capsys):
    kwargs = {"image_size": (8, 8), "shuffle": False, "color_mode": "grayscale"}
    kwargs["class_names"] = ["dogs", "owls"]
    ours = _batches(heft.utils.image_dataset_from_directory(str(image_dir), **kwargs))
    theirs = _batches(keras.utils.image_dataset_from_directory(str(image_dir), **kwargs))
    assert ours[0][0].shape == theirs[0][0].shape == (5, 8, 8, 1)
    # Pillow and libpng weigh red, green and blue slightly differently.
    np.testing.assert_allclose(ours[0][0], theirs[0][0], atol=2.0)


@pytest.mark.parametrize("seed", [1, 42, 1337])
def test_image_split_and_order_match_keras(image_dir, seed, capsys):
    kwargs = {"image_size": (4, 4), "seed": seed, "validation_split": 0.3}
    ours = heft.utils.image_dataset_from_directory(str(image_dir), subset="both", **kwargs)
    theirs = keras.utils.image_dataset_from_directory(str(image_dir), subset="both", **kwargs)
    for a, b in zip(ours, theirs, strict=True):
        assert a.file_paths == b.file_paths
    ours_val = heft.utils.image_dataset_from_directory(
        str(image_dir), subset="validation", **kwargs
    )
    assert ours_val.file_paths == theirs[1].file_paths
    # The labels travel with their files through the shuffle.
    for part, keras_part in zip(ours, theirs, strict=True):
        folders = [os.path.relpath(p, image_dir).split(os.sep)[0] for p in part.file_paths]
        assert [part.class_names[i] for i in part.labels] == folders
        keras_labels = np.concatenate([np.asarray(y) for _, y in keras_part])
        assert sorted(keras_labels) == sorted(part.labels)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"labels": "folders"}, "`labels` argument should be a list/tuple"),
        ({"label_mode": "sparse"}, "`label_mode` argument must be one of"),
        ({"color_mode": "cmyk"}, "`color_mode` must be one of"),
        ({"image_size": (1, 2, 3)}, "Invalid `image_size` value"),
        ({"interpolation": "cubic"}, "Argument `interpolation` should be one of"),
        ({"validation_split": 0.2}, "If `subset` is set, `validation_split` must be set"),
        ({"validation_split": 0.2, "subset": "training"}, "you must provide a `seed`"),
        ({"validation_split": 1.5, "subset": "training", "seed": 1}, "must be between 0 and 1"),
        ({"label_mode": "binary"}, "exactly 2 class_names"),
        ({"class_names": ["cats", "fish"]}, "did not match the names of the subdirectories"),
        ({"crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True}, "Only one of"),
    ],
)
def test_image_dataset_errors_match_keras(image_dir, kwargs, error, capsys):
    for fn in (heft.utils.image_dataset_from_directory, keras.utils.image_dataset_from_directory):
        with pytest.raises(ValueError, match=error):
            fn(str(image_dir), **kwargs)


def test_image_dataset_label_count_error(image_dir, capsys):
    # Keras raises the same error but leaves a thread pool open, so only heft runs here.
    with pytest.raises(ValueError, match="Expected the lengths of `labels` to match"):
        heft.utils.image_dataset_from_directory(str(image_dir), labels=[0, 1])


@pytest.fixture(scope="module")
def text_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("texts")
    for label in ("neg", "pos"):
        (root / label).mkdir()
        for i in range(5):
            (root / label / f"{i}.txt").write_text(f"{label} review number {i} " * (i + 1))
    return root


@pytest.mark.parametrize(
    "kwargs", [{}, {"max_length": 12, "label_mode": "binary"}, {"label_mode": None}]
)
def test_text_dataset_matches_keras(text_dir, kwargs, capsys):
    kwargs = {"batch_size": 3, "shuffle": False, **kwargs}
    ours = heft.utils.text_dataset_from_directory(str(text_dir), **kwargs)
    theirs = keras.utils.text_dataset_from_directory(str(text_dir), **kwargs)
    assert ours.class_names == theirs.class_names
    for a, b in zip(_batches(ours), _batches(theirs), strict=True):
        assert list(a[0]) == [t.decode() for t in b[0]]
        for x, y in zip(a[1:], b[1:], strict=True):
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x, y)


def test_text_split_matches_keras(text_dir, capsys):
    kwargs = {"seed": 5, "validation_split": 0.4, "subset": "both"}
    ours = heft.utils.text_dataset_from_directory(str(text_dir), **kwargs)
    theirs = keras.utils.text_dataset_from_directory(str(text_dir), **kwargs)
    for a, b in zip(ours, theirs, strict=True):
        ours_pairs = sorted(
            (t, int(y)) for x, ys in _batches(a) for t, y in zip(x, ys, strict=True)
        )
        keras_pairs = sorted(
            (t.decode(), int(y)) for x, ys in _batches(b) for t, y in zip(x, ys, strict=True)
        )
        assert ours_pairs == keras_pairs


def _write_wav(path, samples: np.ndarray, rate=8000):
    with wave.open(str(path), "wb") as f:
        f.setnchannels(samples.shape[1])
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(samples.astype("<i2").tobytes())


@pytest.fixture(scope="module")
def audio_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("audio")
    rng = np.random.default_rng(3)
    for label in ("no", "yes"):
        (root / label).mkdir()
        for i in range(3):
            _write_wav(root / label / f"{i}.wav", rng.integers(-32768, 32767, (50 + 7 * i, 2)))
    return root


@pytest.mark.parametrize(
    "kwargs", [{}, {"output_sequence_length": 55, "label_mode": "categorical"}]
)
def test_audio_dataset_matches_keras(audio_dir, kwargs, capsys):
    kwargs = {"batch_size": 4, "shuffle": False, **kwargs}
    ours = heft.utils.audio_dataset_from_directory(str(audio_dir), **kwargs)
    theirs = keras.utils.audio_dataset_from_directory(str(audio_dir), **kwargs)
    assert ours.class_names == theirs.class_names
    for a, b in zip(_batches(ours), _batches(theirs), strict=True):
        for x, y in zip(a, b, strict=True):
            assert x.dtype == y.dtype and x.shape == y.shape
            np.testing.assert_array_equal(x, y)
