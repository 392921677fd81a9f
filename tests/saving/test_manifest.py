import json

import pytest

import heft
from heft import layers


def _model(units=2, extra=False, trainable=True):
    stack = [heft.Input((3,)), layers.Dense(units, name="d")]
    if extra:
        stack.append(layers.Dense(1, name="e"))
    model = heft.Sequential(stack, name="m")
    model.layers[0].trainable = trainable
    return model


def test_manifest_lists_paths_shapes_dtypes_trainable():
    manifest = heft.saving.weights_manifest(_model())
    assert manifest["format"] == "heft.weights-manifest"
    assert manifest["weights"] == [
        {"path": "m/d/kernel", "shape": [3, 2], "dtype": "float32", "trainable": True},
        {"path": "m/d/bias", "shape": [2], "dtype": "float32", "trainable": True},
    ]


def test_manifest_file_round_trip_passes(tmp_path):
    path = tmp_path / "m.manifest.json"
    heft.saving.save_manifest(_model(), path)
    assert json.loads(path.read_text())["model"] == "m"
    heft.saving.check_manifest(_model(), path)
    with pytest.raises(FileExistsError):
        heft.saving.save_manifest(_model(), path, overwrite=False)


@pytest.mark.parametrize(
    "changed, message",
    [
        (lambda: _model(units=4), r"m/d/kernel: shape \[3, 2\] -> \[3, 4\]"),
        (lambda: _model(extra=True), "not in the manifest: m/e/kernel"),
        (lambda: _model(trainable=False), "m/d/bias: trainable True -> False"),
    ],
)
def test_manifest_check_lists_differences(changed, message):
    manifest = heft.saving.weights_manifest(_model())
    with pytest.raises(ValueError, match=message):
        heft.saving.check_manifest(changed(), manifest)


def test_manifest_check_reports_missing_and_how_to_accept():
    manifest = heft.saving.weights_manifest(_model(extra=True))
    with pytest.raises(ValueError, match=r"(?s)missing from the model: m/e/kernel.*save_manifest"):
        heft.saving.check_manifest(_model(), manifest)


def test_manifest_check_reports_reordering():
    manifest = heft.saving.weights_manifest(_model())
    manifest["weights"].reverse()
    with pytest.raises(ValueError, match="another order"):
        heft.saving.check_manifest(_model(), manifest)


def test_manifest_refuses_unbuilt_models_and_other_files(tmp_path):
    with pytest.raises(ValueError, match="not built"):
        heft.saving.weights_manifest(heft.Sequential([layers.Dense(2)]))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        heft.saving.check_manifest(_model(), bad)
    other = tmp_path / "other.json"
    other.write_text('{"weights": []}')
    with pytest.raises(ValueError, match="is not a weights manifest"):
        heft.saving.check_manifest(_model(), other)
    newer = heft.saving.weights_manifest(_model())
    newer["version"] = 99
    with pytest.raises(ValueError, match="Upgrade heft"):
        heft.saving.check_manifest(_model(), newer)
    with pytest.raises(FileNotFoundError, match="save_manifest"):
        heft.saving.check_manifest(_model(), tmp_path / "absent.json")
