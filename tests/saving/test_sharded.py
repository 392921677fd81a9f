"""Tests for sharded weights: the ``.weights.json`` map, its shards, and all-or-nothing loading."""

import json
import os

import h5py
import numpy as np
import pytest

import heft
from heft import layers
from heft.optimizers import Adam
from heft.saving import _atomic, _sharded, load_weights, save_weights

# Shards of at most 50 bytes: Dense(4) on 3 inputs then Dense(2) (48 + 16 + 32 + 8 bytes).
SMALL = 50 / 1024**3


def _datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda k, o: out.update({k: o.shape}) if isinstance(o, h5py.Dataset) else None)
    return out


def test_save_weights_sharded_writes_keras_files_and_map(tmp_path, mlp):
    save_weights(mlp(seed=0), tmp_path / "big.weights.json", max_shard_size=SMALL)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "big.weights.json",
        "big_00000.weights.h5",
        "big_00001.weights.h5",
        "big_00002.weights.h5",
    ]
    text = (tmp_path / "big.weights.json").read_text()
    assert json.loads(text) == {
        "metadata": {"total_size": 104.0},
        "weight_map": {
            "/layers/dense/vars": ["big_00000.weights.h5", "big_00001.weights.h5"],
            "/layers/dense_1/vars": ["big_00001.weights.h5", "big_00002.weights.h5"],
        },
    }
    assert text.startswith('{\n    "metadata": {\n        "total_size": 104.0')
    assert _datasets(tmp_path / "big_00000.weights.h5") == {"layers/dense/vars/0": (3, 4)}
    assert _datasets(tmp_path / "big_00001.weights.h5") == {
        "layers/dense/vars/1": (4,),
        "layers/dense_1/vars/0": (4, 2),
    }
    with h5py.File(tmp_path / "big_00001.weights.h5", "r") as f:
        assert "name" not in f["layers/dense/vars"].attrs  # continued from shard 0
        assert f["layers/dense_1/vars"].attrs["name"] == "dense_1"
        assert f["layers/dropout/vars"].attrs["name"] == "dropout"
    with h5py.File(tmp_path / "big_00000.weights.h5", "r") as f:
        assert f["vars"].attrs["name"] == "sequential"


def test_save_weights_sharded_map_lists_groups_of_several_variables(tmp_path):
    class Scalar(layers.Layer):
        def build(self, input_shape):
            self.gain = self.add_weight(shape=(), initializer="ones")

        def call(self, x):
            return x * self.gain

    model = heft.Sequential([layers.Input((3,)), layers.Dense(2), Scalar()])
    save_weights(model, tmp_path / "m.weights.json", max_shard_size=1)
    config = json.loads((tmp_path / "m.weights.json").read_text())
    assert config["weight_map"] == {
        "/layers/dense/vars": ["m_00000.weights.h5"],
        "/layers/scalar/vars": "m_00000.weights.h5",
    }


def test_load_weights_sharded_round_trip_is_bitwise(tmp_path, mlp, weights_of):
    model = mlp(seed=0)
    path = tmp_path / "m.weights.json"
    save_weights(model, path, max_shard_size=SMALL)
    other = mlp(seed=1)
    report = load_weights(other, path)
    assert report.ok and report.loaded == 4 and not report.unexpected
    assert report.format == "sharded weights.h5"
    assert weights_of(other) == weights_of(model)


def test_load_weights_sharded_bfloat16_and_optimizer_state(tmp_path, mlp, weights_of):
    model = mlp(seed=0, dtype="bfloat16")
    model.optimizer = Adam(name="adam")
    model.optimizer.build(model.trainable_variables)
    for i, v in enumerate(model.optimizer.variables):
        v.assign(np.full(v.shape, i + 1, v.dtype))
    path = tmp_path / "m.weights.json"
    save_weights(model, path, max_shard_size=SMALL / 2)
    config = json.loads(path.read_text())
    assert "/optimizer/vars" in config["weight_map"]
    other = mlp(seed=1, dtype="bfloat16")
    other.optimizer = Adam(name="adam")
    other.optimizer.build(other.trainable_variables)
    n = len(model.optimizer.variables)
    assert load_weights(other, path).loaded == 4 + n
    assert weights_of(other) == weights_of(model)
    for a, b in zip(other.optimizer.variables, model.optimizer.variables, strict=True):
        assert a.numpy().tobytes() == b.numpy().tobytes()


def test_save_weights_sharded_weights_h5_suffix_switches_to_json(tmp_path, mlp):
    with pytest.warns(UserWarning, match=r"'.*m\.weights\.h5' is written as '.*m\.weights\.json'"):
        save_weights(mlp(), tmp_path / "m.weights.h5", max_shard_size=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.weights.json", "m_00000.weights.h5"]


def test_save_weights_sharded_variable_larger_than_a_shard(tmp_path, mlp):
    model = mlp()
    with pytest.raises(
        ValueError,
        match=r"variable '.*kernel' \(file key 'layers/dense/vars/0'\) is 48 bytes, which "
        r"exceeds the maximum shard size 40 bytes .*increase `max_shard_size`",
    ):
        save_weights(model, tmp_path / "m.weights.json", max_shard_size=40 / 1024**3)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("size", "error", "message"),
    [
        ("1GB", TypeError, r"`max_shard_size` must be a number of gigabytes.*'1GB'"),
        (True, TypeError, r"`max_shard_size` must be a number of gigabytes"),
        (0, ValueError, r"must be a positive, finite number of gigabytes.*max_shard_size=0"),
        (float("nan"), ValueError, r"must be a positive, finite number"),
    ],
)
def test_save_weights_sharded_bad_max_shard_size(tmp_path, size, error, message, mlp):
    with pytest.raises(error, match=message):
        save_weights(mlp(), tmp_path / "m.weights.json", max_shard_size=size)


def test_save_weights_sharded_suffix_rules(tmp_path, mlp):
    with pytest.raises(ValueError, match=r"`max_shard_size` only applies to sharded"):
        save_weights(mlp(), tmp_path / "m.safetensors", max_shard_size=1)
    with pytest.raises(ValueError, match=r"writes sharded weights, which needs `max_shard_size`"):
        save_weights(mlp(), tmp_path / "m.weights.json")
    assert list(tmp_path.iterdir()) == []


def test_save_weights_sharded_overwrite_false_and_failed_save_keep_files(
    tmp_path, monkeypatch, mlp
):
    path = tmp_path / "m.weights.json"
    save_weights(mlp(seed=0), path, max_shard_size=SMALL)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(FileExistsError, match=r"already exists and `overwrite=False`"):
        save_weights(mlp(seed=1), path, max_shard_size=SMALL, overwrite=False)
    calls = []

    def failing(group, key, value):
        calls.append(key)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        group.create_dataset(key, data=value)

    monkeypatch.setattr(_sharded, "write_array", failing)
    with pytest.raises(RuntimeError, match=r"disk full"):
        save_weights(mlp(seed=1), path, max_shard_size=SMALL)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_load_weights_sharded_mismatch_and_dry_run_change_nothing(tmp_path, mlp, weights_of):
    path = tmp_path / "m.weights.json"
    save_weights(mlp(hidden=5, seed=0), path, max_shard_size=2 * SMALL)
    model = mlp(seed=1)
    before = weights_of(model)
    with pytest.raises(
        ValueError, match=r"Cannot load weights from .*m\.weights\.json.*3 mismatched"
    ):
        load_weights(model, path)
    report = load_weights(model, path, dry_run=True)
    assert [e.key for e in report.matched] == ["layers/dense_1/vars/1"]
    assert weights_of(model) == before
    with pytest.raises(ValueError, match=r"'.*m\.weights\.json' is a `\.weights\.json` file"):
        load_weights(model, path, by_name=True)


def _saved(tmp_path, mlp):
    path = tmp_path / "m.weights.json"
    save_weights(mlp(seed=0), path, max_shard_size=SMALL)
    return path, json.loads(path.read_text())


def test_load_weights_sharded_missing_shard(tmp_path, mlp, weights_of):
    path, _ = _saved(tmp_path, mlp)
    (tmp_path / "m_00001.weights.h5").unlink()
    model = mlp(seed=1)
    before = weights_of(model)
    with pytest.raises(
        FileNotFoundError, match=r"lists shard 'm_00001\.weights\.h5', which is not"
    ):
        load_weights(model, path)
    assert weights_of(model) == before
    with pytest.raises(FileNotFoundError, match=r"No sharded weights file at"):
        load_weights(model, tmp_path / "none.weights.json")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: "{not json", r"it is not valid JSON"),
        (lambda c: json.dumps([1]), r"it has no `weight_map` object"),
        (lambda c: json.dumps({"weight_map": {"/vars": 3}}), r"the entry of '/vars' is not"),
        (
            lambda c: json.dumps({"weight_map": {"/vars": "../m_00000.weights.h5"}}),
            r"shard '\.\./m_00000\.weights\.h5' \(of '/vars'\) is not a plain file name",
        ),
        (
            lambda c: json.dumps({"weight_map": {"/vars": "/etc/passwd"}}),
            r"shard '/etc/passwd' \(of '/vars'\) is not a plain file name",
        ),
    ],
)
def test_load_weights_sharded_bad_maps(tmp_path, edit, message, mlp):
    path, config = _saved(tmp_path, mlp)
    path.write_text(edit(config))
    with pytest.raises(
        ValueError, match=r"'.*m\.weights\.json' is not a valid weight map: " + message
    ):
        load_weights(mlp(), path)


def test_load_weights_sharded_inconsistent_map_or_shards(tmp_path, mlp):
    path, config = _saved(tmp_path, mlp)
    config["weight_map"]["/layers/dense_1/vars"] = "m_00000.weights.h5"
    path.write_text(json.dumps(config))
    with pytest.raises(
        ValueError,
        match=r"puts group '/layers/dense_1/vars' in shard 'm_00000\.weights\.h5', which does not",
    ):
        load_weights(mlp(), path)
    path, config = _saved(tmp_path, mlp)
    with h5py.File(tmp_path / "m_00002.weights.h5", "a") as f:
        f.require_group("layers/dense/vars").create_dataset("1", data=np.zeros(4, "float32"))
    with pytest.raises(ValueError, match=r"dataset 'layers/dense/vars/1' is in both"):
        load_weights(mlp(), path)


def test_load_weights_sharded_truncated_shard_names_it(tmp_path, mlp, weights_of):
    path, _ = _saved(tmp_path, mlp)
    shard = tmp_path / "m_00002.weights.h5"
    shard.write_bytes(shard.read_bytes()[:100])
    model = mlp(seed=1)
    before = weights_of(model)
    with pytest.raises(ValueError, match=r"m_00002\.weights\.h5' is truncated or corrupted"):
        load_weights(model, path)
    assert weights_of(model) == before


def test_save_weights_sharded_removes_what_killed_saves_left_but_not_live_shards(
    tmp_path, dead_pid, mlp, weights_of
):
    model = mlp(seed=0)
    path = tmp_path / "m.weights.json"
    host = _atomic._owner().split("-")[0]
    dead, alive = dead_pid, os.getpid()
    shard = "m_00001.weights.h5"
    names = {
        "killed shard": f".{shard}.{host}-{dead}-{'a' * 12}.tmp",
        "killed link": f".{shard}.{host}-{dead}-{'b' * 12}.tmp.0123abcd.link",
        "live shard": f".m_00000.weights.h5.{host}-{dead}-{'c' * 12}.tmp",
        "running save": f".{shard}.{host}-{alive}-{'d' * 12}.tmp",
        "other checkpoint": f".n_00001.weights.h5.{host}-{dead}-{'e' * 12}.tmp",
    }
    for name in names.values():
        (tmp_path / name).write_bytes(b"partial")
    # A commit killed after its first step leaves a JSON that names a temporary shard.
    path.write_text(
        json.dumps({"metadata": {}, "weight_map": {"/vars": names["live shard"]}}),
        encoding="utf8",
    )
    assert _sharded._remove_stale_shards(str(path)) == [
        str(tmp_path / names[k]) for k in sorted(["killed shard", "killed link"], key=names.get)
    ]
    left = {p.name for p in tmp_path.iterdir()}
    assert {names[k] for k in ("live shard", "running save", "other checkpoint")} <= left
    # A save runs the same cleanup first; the shard the old JSON named is then replaced.
    save_weights(model, path, max_shard_size=SMALL)
    left = {p.name for p in tmp_path.iterdir()}
    assert names["killed shard"] not in left and names["running save"] in left
    assert names["live shard"] not in left  # no longer named by the JSON: the commit removed it
    loaded = mlp(seed=1)
    load_weights(loaded, path)
    assert weights_of(loaded) == weights_of(model)
