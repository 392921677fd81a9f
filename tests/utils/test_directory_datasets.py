"""The *_dataset_from_directory datasets as heft uses them: fit, epochs, single samples, errors."""

from __future__ import annotations

import wave

import numpy as np
import pytest

import heft
from heft.utils._text_audio_datasets import read_wav

PIL = pytest.importorskip("PIL.Image")


@pytest.fixture
def image_dir(tmp_path):
    rng = np.random.default_rng(0)
    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        for i in range(5):
            PIL.fromarray(rng.integers(0, 256, (6, 5, 3), dtype=np.uint8)).save(
                tmp_path / label / f"{i}.png"
            )
    return tmp_path


def test_image_dataset_trains_a_model(image_dir, capsys):
    ds = heft.utils.image_dataset_from_directory(image_dir, image_size=(4, 4), batch_size=4, seed=1)
    assert isinstance(ds, heft.utils.PyDataset) and len(ds) == 3 and ds.class_names == ["a", "b"]
    x, y = ds[2]
    assert x.shape == (2, 4, 4, 3) and x.dtype == np.float32 and y.dtype == np.int32
    model = heft.Sequential([heft.Input((4, 4, 3)), heft.layers.Flatten(), heft.layers.Dense(2)])
    model.compile("sgd", "sparse_categorical_crossentropy")
    history = model.fit(ds, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert "Found 10 files belonging to 2 classes." in capsys.readouterr().out


def test_each_epoch_draws_a_new_order(image_dir, capsys):
    ds = heft.utils.image_dataset_from_directory(
        image_dir, image_size=(2, 2), batch_size=None, seed=3
    )
    first = [ds[i][0].tobytes() for i in range(len(ds))]
    ds.on_epoch_end()
    second = [ds[i][0].tobytes() for i in range(len(ds))]
    assert sorted(first) == sorted(second) and first != second
    assert ds[0][0].shape == (2, 2, 3) and ds[0][1].shape == ()
    with pytest.raises(IndexError, match="out of range"):
        ds[10]
    unshuffled = heft.utils.image_dataset_from_directory(
        image_dir, image_size=(2, 2), shuffle=False
    )
    x1, _ = unshuffled[0]
    unshuffled.on_epoch_end()
    np.testing.assert_array_equal(unshuffled[0][0], x1)


def test_empty_or_missing_folder(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    with pytest.raises(ValueError, match="No images found in directory"):
        heft.utils.image_dataset_from_directory(tmp_path)
    with pytest.raises(FileNotFoundError, match="Could not find directory"):
        heft.utils.text_dataset_from_directory(tmp_path / "nope")


def test_labels_list_is_not_modified(image_dir, capsys):
    labels = [0, 1] * 5
    ds = heft.utils.image_dataset_from_directory(image_dir, labels=labels, image_size=2, seed=4)
    assert labels == [0, 1] * 5 and ds.class_names == ["0", "1"]


def _wav(path, data: bytes, width: int, channels: int = 1):
    with wave.open(str(path), "wb") as f:
        f.setnchannels(channels)
        f.setsampwidth(width)
        f.setframerate(100)
        f.writeframes(data)


def test_read_wav_sample_widths(tmp_path):
    _wav(tmp_path / "u8.wav", bytes([0, 128, 255]), 1)
    np.testing.assert_allclose(read_wav(str(tmp_path / "u8.wav"))[:, 0], [-1.0, 0.0, 127 / 128])
    _wav(tmp_path / "s24.wav", b"\x00\x00\x80" + b"\xff\xff\x7f", 3)
    np.testing.assert_allclose(
        read_wav(str(tmp_path / "s24.wav"))[:, 0], [-1.0, (2**23 - 1) / 2**23]
    )
    _wav(tmp_path / "s32.wav", np.array([-(2**31), 2**30], "<i4").tobytes(), 4)
    np.testing.assert_allclose(read_wav(str(tmp_path / "s32.wav"))[:, 0], [-1.0, 0.5])
    padded = read_wav(str(tmp_path / "s32.wav"), output_sequence_length=4)
    np.testing.assert_allclose(padded[:, 0], [-1.0, 0.5, 0.0, 0.0])
    (tmp_path / "bad.wav").write_bytes(b"RIFF0000WAVEjunk")
    with pytest.raises(ValueError, match=r"Cannot decode .* as a PCM WAV file"):
        read_wav(str(tmp_path / "bad.wav"))


def test_audio_options_heft_cannot_honour(tmp_path):
    with pytest.raises(ValueError, match="asks for resampling"):
        heft.utils.audio_dataset_from_directory(tmp_path, sampling_rate=16000)
    with pytest.raises(ValueError, match="`ragged=True` gives TensorFlow ragged tensors"):
        heft.utils.audio_dataset_from_directory(tmp_path, ragged=True)
    with pytest.raises(ValueError, match="Cannot set both `ragged` and `output_sequence_length`"):
        heft.utils.audio_dataset_from_directory(tmp_path, ragged=True, output_sequence_length=3)
    with pytest.raises(ValueError, match="should have an integer value"):
        heft.utils.audio_dataset_from_directory(tmp_path, sampling_rate=1.5)


def test_text_dataset_without_labels(tmp_path, capsys):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "1.txt").write_text("héllo wörld", encoding="utf-8")
    ds = heft.utils.text_dataset_from_directory(tmp_path, label_mode=None, max_length=5)
    assert ds.class_names is None
    assert list(ds[0]) == ["héllo"]
