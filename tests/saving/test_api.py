"""Tests for ``save_weights``/``load_weights`` argument checks and format dispatch."""

import numpy as np
import pytest

import heft
from heft import layers
from heft.saving import load_weights, save_weights


def _model():
    return heft.Sequential([layers.Input((3,)), layers.Dense(2)])


@pytest.mark.parametrize("name", ["m.keras", "m.npz", "m.weights", "m"])
def test_save_weights_unsupported_suffix(tmp_path, name):
    with pytest.raises(
        ValueError,
        match=r"the supported suffixes are .weights.h5, .weights.json, .safetensors, .h5, .hdf5",
    ):
        save_weights(_model(), tmp_path / name)


def test_load_weights_unsupported_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"Cannot load weights with file path .*m.json"):
        load_weights(_model(), tmp_path / "m.json")


def test_save_weights_unbuilt_model(tmp_path):
    model = heft.Sequential([layers.Dense(2)])
    with pytest.raises(
        ValueError, match=r"You are saving model 'sequential', which has not been built"
    ):
        save_weights(model, tmp_path / "m.weights.h5")
    assert not (tmp_path / "m.weights.h5").exists()


def test_load_weights_unbuilt_model(tmp_path):
    path = tmp_path / "m.weights.h5"
    save_weights(_model(), path)
    model = heft.Sequential([layers.Dense(2)])
    with pytest.raises(
        ValueError, match=r"You are loading weights into model .*`model.build\(input_shape\)`"
    ):
        load_weights(model, path)


def test_save_weights_rejects_non_models(tmp_path):
    with pytest.raises(TypeError, match=r"Can only save weights of a heft model or layer"):
        save_weights(object(), tmp_path / "m.weights.h5")


def test_save_weights_rejects_bad_paths_and_flags(tmp_path):
    with pytest.raises(TypeError, match=r"`filepath` must be a string or a path-like object"):
        save_weights(_model(), 3)
    with pytest.raises(
        TypeError, match=r"`overwrite` must be True or False. Received: overwrite='yes'"
    ):
        save_weights(_model(), tmp_path / "m.weights.h5", overwrite="yes")
    path = tmp_path / "m.weights.h5"
    save_weights(_model(), path)
    with pytest.raises(TypeError, match=r"`dry_run` must be True or False"):
        load_weights(_model(), path, dry_run=1)


def test_save_weights_accepts_bytes_and_str_paths(tmp_path):
    model = _model()
    save_weights(model, str(tmp_path / "a.weights.h5"))
    save_weights(model, bytes(tmp_path / "b.weights.h5"))
    assert load_weights(model, bytes(tmp_path / "b.weights.h5")).loaded == 2


def test_load_weights_by_name_needs_a_legacy_file(tmp_path):
    path = tmp_path / "m.weights.h5"
    save_weights(_model(), path)
    with pytest.raises(ValueError, match=r"`by_name=True` only applies to legacy"):
        load_weights(_model(), path, by_name=True)


def test_load_weights_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"No weights file at"):
        load_weights(_model(), tmp_path / "nope.weights.h5")


def test_save_and_load_weights_of_a_single_layer(tmp_path):
    layer = layers.Dense(2)
    layer(np.ones((1, 3), "float32"))
    path = tmp_path / "layer.weights.h5"
    save_weights(layer, path)
    other = layers.Dense(2)
    other(np.ones((1, 3), "float32"))
    load_weights(other, path)
    np.testing.assert_array_equal(other.kernel.numpy(), layer.kernel.numpy())
