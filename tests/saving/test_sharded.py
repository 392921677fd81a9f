"""Tests for sharded weights: the ``.weights.json`` map, its shards, and all-or-nothing loading."""

import json
import os
import re

import h5py
import numpy as np
import pytest

import heft
from heft import layers
from heft.optimizers import Adam
from heft.saving import _atomic, _sharded, _sharded_index, load_weights, save_weights

# Shards of at most 50 bytes: Dense(4) on 3 inputs then Dense(2) (48 + 16 + 32 + 8 bytes).
SMALL = 50 / 1024**3


def _datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda k, o: out.update({k: o.shape}) if isinstance(o, h5py.Dataset) else None)
    return out


def _add_checksum(found, key, obj):
    if isinstance(obj, h5py.Dataset):
        found[key] = obj.attrs["checksum"].decode()


def _tag(config):
    """The tag of the save whose index is ``config`` (``big_00000.<tag>.weights.h5``)."""
    first = config["weight_map"]["/layers/dense/vars"][0]
    return re.fullmatch(r"\w+_00000\.([0-9a-f]{8})\.weights\.h5", first).group(1)


def test_save_weights_sharded_writes_keras_files_and_map(tmp_path, mlp):
    save_weights(mlp(seed=0), tmp_path / "big.weights.json", max_shard_size=SMALL)
    text = (tmp_path / "big.weights.json").read_text()
    config = json.loads(text)
    tag = _tag(config)
    shards = [f"big_0000{i}.{tag}.weights.h5" for i in range(3)]
    assert {p.name for p in tmp_path.iterdir()} == {
        ".big.weights.json.lock",
        "big.weights.json",
        "big_00000.weights.h5",
        *shards,
    }
    # Keras opens big_00000.weights.h5 first: the first shard under a second name.
    assert (tmp_path / "big_00000.weights.h5").samefile(tmp_path / shards[0])
    record = config["metadata"].pop("heft")
    assert config == {
        "metadata": {"total_size": 104.0},
        "weight_map": {
            "/layers/dense/vars": [shards[0], shards[1]],
            "/layers/dense_1/vars": [shards[1], shards[2]],
        },
    }
    assert re.fullmatch(r"[0-9a-f]{32}", record["save_id"])
    assert sorted(record["shards"]) == shards
    for name in shards:
        with h5py.File(tmp_path / name, "r") as f:
            assert f.attrs["save_id"] == record["save_id"].encode()
            checksums = {}
            f.visititems(lambda k, o, found=checksums: _add_checksum(found, k, o))
        assert record["shards"][name] == _sharded_index.shard_digest(
            record["save_id"], name, checksums
        )
    assert text.startswith('{\n    "metadata": {\n        "total_size": 104.0')
    assert _datasets(tmp_path / shards[0]) == {"layers/dense/vars/0": (3, 4)}
    assert _datasets(tmp_path / shards[1]) == {
        "layers/dense/vars/1": (4,),
        "layers/dense_1/vars/0": (4, 2),
    }
    with h5py.File(tmp_path / shards[1], "r") as f:
        assert "name" not in f["layers/dense/vars"].attrs  # continued from shard 0
        assert f["layers/dense_1/vars"].attrs["name"] == "dense_1"
        assert f["layers/dropout/vars"].attrs["name"] == "dropout"
    with h5py.File(tmp_path / shards[0], "r") as f:
        assert f["vars"].attrs["name"] == "sequential"


def test_save_weights_sharded_again_replaces_the_shards_and_leaves_no_debris(
    tmp_path, mlp, weights_of
):
    path = tmp_path / "big.weights.json"
    tags = set()
    for seed in range(4):
        save_weights(mlp(seed=seed), path, max_shard_size=SMALL)
        tags.add(_tag(json.loads(path.read_text())))
        names = sorted(p.name for p in tmp_path.iterdir())
        assert len(names) == 6, names  # lock, index, Keras's first name, three shards
    assert len(tags) == 4  # each save its own shard names
    loaded = mlp()
    load_weights(loaded, path)
    assert weights_of(loaded) == weights_of(mlp(seed=3))


def test_save_weights_sharded_map_lists_groups_of_several_variables(tmp_path):
    class Scalar(layers.Layer):
        def build(self, input_shape):
            self.gain = self.add_weight(shape=(), initializer="ones")

        def call(self, x):
            return x * self.gain

    model = heft.Sequential([layers.Input((3,)), layers.Dense(2), Scalar()])
    save_weights(model, tmp_path / "m.weights.json", max_shard_size=1)
    config = json.loads((tmp_path / "m.weights.json").read_text())
    shard = f"m_00000.{_tag(config)}.weights.h5"
    assert config["weight_map"] == {
        "/layers/dense/vars": [shard],
        "/layers/scalar/vars": shard,
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
    names = {p.name for p in tmp_path.iterdir()}
    shard = f"m_00000.{_tag(json.loads((tmp_path / 'm.weights.json').read_text()))}.weights.h5"
    assert names == {".m.weights.json.lock", "m.weights.json", "m_00000.weights.h5", shard}


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


def _shard(config, i):
    """The file name of shard ``i`` of the save whose index is ``config``."""
    return f"m_0000{i}.{_tag(config)}.weights.h5"


def test_load_weights_sharded_missing_shard(tmp_path, mlp, weights_of):
    path, config = _saved(tmp_path, mlp)
    (tmp_path / _shard(config, 1)).unlink()
    model = mlp(seed=1)
    before = weights_of(model)
    with pytest.raises(
        FileNotFoundError, match=rf"lists shard '{re.escape(_shard(config, 1))}', which is not"
    ):
        load_weights(model, path)
    assert weights_of(model) == before
    with pytest.raises(FileNotFoundError, match=r"No sharded weights file at"):
        load_weights(model, tmp_path / "none.weights.json")


_MAP = r"'.*m\.weights\.json' is not a valid weight map: "


def _with_record(config, **record):
    return json.dumps({**config, "metadata": {"heft": record}})


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda c: "{not json",
            r"'.*m\.weights\.json' is not a valid weight map: it is not valid JSON",
        ),
        (lambda c: json.dumps([1]), _MAP + r"it has no `weight_map` object"),
        (lambda c: json.dumps({"weight_map": {"/vars": 3}}), _MAP + r"the entry of '/vars' is not"),
        (
            lambda c: json.dumps({"weight_map": {"/vars": "../m_00000.weights.h5"}}),
            _MAP + r"shard '\.\./m_00000\.weights\.h5' \(of '/vars'\) is not a plain file name",
        ),
        (
            lambda c: json.dumps({"weight_map": {"/vars": "/etc/passwd"}}),
            _MAP + r"shard '/etc/passwd' \(of '/vars'\) is not a plain file name",
        ),
        (
            lambda c: json.dumps({**c, "metadata": [1]}),
            _MAP + r"its `metadata` is not an object",
        ),
        (
            lambda c: _with_record(c, save_id="x" * 32, shards=c["metadata"]["heft"]["shards"]),
            _MAP + r"its `metadata\.heft` record is not \{\"save_id\": \"<32 hex digits>\"",
        ),
        (
            lambda c: _with_record(c, save_id=c["metadata"]["heft"]["save_id"], shards=[]),
            _MAP + r"its `metadata\.heft` record is not",
        ),
        (
            lambda c: _with_record(
                c, save_id=c["metadata"]["heft"]["save_id"], shards={_shard(c, 0): "md5:0"}
            ),
            _MAP + r"the digest of shard 'm_00000\.[0-9a-f]{8}\.weights\.h5' is 'md5:0'",
        ),
        (
            lambda c: _with_record(
                c,
                save_id=c["metadata"]["heft"]["save_id"],
                shards={"../x.weights.h5": "xxh3:" + "0" * 16},
            ),
            _MAP + r"shard '\.\./x\.weights\.h5' \(of 'metadata\.heft\.shards'\) is not a plain",
        ),
        (
            lambda c: _with_record(
                c,
                save_id=c["metadata"]["heft"]["save_id"],
                shards={_shard(c, 0): c["metadata"]["heft"]["shards"][_shard(c, 0)]},
            ),
            _MAP + r"shard 'm_00001\.[0-9a-f]{8}\.weights\.h5' is missing from `metadata\.heft",
        ),
    ],
)
def test_load_weights_sharded_bad_maps(tmp_path, edit, message, mlp, weights_of):
    path, config = _saved(tmp_path, mlp)
    path.write_text(edit(config))
    model = mlp(seed=1)
    before = weights_of(model)
    with pytest.raises(ValueError, match=message):
        load_weights(model, path)
    assert weights_of(model) == before


def test_load_weights_sharded_inconsistent_map_or_shards(tmp_path, mlp):
    path, config = _saved(tmp_path, mlp)
    config["weight_map"]["/layers/dense_1/vars"] = _shard(config, 0)
    path.write_text(json.dumps(config))
    with pytest.raises(
        ValueError,
        match=r"puts group '/layers/dense_1/vars' in shard 'm_00000\.[0-9a-f]{8}\.weights\.h5', "
        "which does not",
    ):
        load_weights(mlp(), path)
    # A dataset added to a shard: heft's record no longer matches the shard ...
    path, config = _saved(tmp_path, mlp)
    with h5py.File(tmp_path / _shard(config, 2), "a") as f:
        f.require_group("layers/dense/vars").create_dataset("1", data=np.zeros(4, "float32"))
    with pytest.raises(
        ValueError,
        match=rf"Shard '.*{re.escape(_shard(config, 2))}' does not match sharded weights "
        r"'.*m\.weights\.json': its entries or their checksums are not those the index recorded",
    ):
        load_weights(mlp(), path)
    # ... and without the record (as Keras writes the index), the shards contradict each other.
    del config["metadata"]["heft"]
    path.write_text(json.dumps(config))
    with pytest.raises(ValueError, match=r"dataset 'layers/dense/vars/1' is in both"):
        load_weights(mlp(), path)


def test_load_weights_sharded_truncated_shard_names_it(tmp_path, mlp, weights_of):
    path, config = _saved(tmp_path, mlp)
    shard = tmp_path / _shard(config, 2)
    shard.write_bytes(shard.read_bytes()[:100])
    model = mlp(seed=1)
    before = weights_of(model)
    with pytest.raises(ValueError, match=rf"{re.escape(shard.name)}' is truncated or corrupted"):
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
        "named, never committed": "m_00003.0badcafe.weights.h5",
        "another checkpoint's shard": "n_00000.0badcafe.weights.h5",
        "not a shard": "m_notes.txt",
    }
    for name in names.values():
        (tmp_path / name).write_bytes(b"partial")
    # A commit of an earlier heft, killed after its first step, left an index
    # naming a temporary shard.
    path.write_text(
        json.dumps({"metadata": {}, "weight_map": {"/vars": names["live shard"]}}),
        encoding="utf8",
    )
    save_weights(model, path, max_shard_size=SMALL)
    left = {p.name for p in tmp_path.iterdir()}
    gone = ("killed shard", "killed link", "live shard", "named, never committed")
    assert not {names[k] for k in gone} & left
    assert {names[k] for k in set(names) - set(gone)} <= left
    loaded = mlp(seed=1)
    load_weights(loaded, path)
    assert weights_of(loaded) == weights_of(model)


def _as_keras_layout(path):
    """Rename a heft save's shards and rewrite its index as Keras 3 writes them (no heft record)."""
    config = json.loads(path.read_text())
    del config["metadata"]["heft"]
    untagged = {}
    for names in config["weight_map"].values():
        for name in [names] if isinstance(names, str) else names:
            untagged[name] = re.sub(r"\.[0-9a-f]{8}(?=\.weights\.h5$)", "", name)
    for name, plain in untagged.items():
        os.replace(path.parent / name, path.parent / plain)
    config["weight_map"] = {
        g: [untagged[n] for n in names] if isinstance(names, list) else untagged[names]
        for g, names in config["weight_map"].items()
    }
    path.write_text(json.dumps(config, indent=4))
    return sorted(untagged.values())


def test_save_weights_sharded_over_a_keras_layout(tmp_path, mlp, weights_of, monkeypatch):
    path, _ = _saved(tmp_path, mlp)
    keras_names = _as_keras_layout(path)
    assert keras_names == [f"m_0000{i}.weights.h5" for i in range(3)]
    loaded = mlp(seed=1)
    load_weights(loaded, path)  # no save id: loaded as the index names the shards
    assert weights_of(loaded) == weights_of(mlp(seed=0))
    first = (tmp_path / "m_00000.weights.h5").read_bytes()

    def failing(*args):
        raise OSError("not supported here")

    # The index names Keras's first name: it changes only after the commit, and
    # a failure then is a warning (the save is done; heft loads it).
    monkeypatch.setattr(os, "link", failing)
    monkeypatch.setattr(_sharded.shutil, "copyfile", failing)
    with pytest.warns(
        UserWarning,
        match=r"Saved '.*m\.weights\.json', but could not give its first shard the name "
        r"'m_00000\.weights\.h5' \(not supported here\), which Keras 3 opens first",
    ):
        save_weights(mlp(seed=1), path, max_shard_size=SMALL)
    monkeypatch.undo()
    load_weights(loaded, path)
    assert weights_of(loaded) == weights_of(mlp(seed=1))
    assert (tmp_path / "m_00000.weights.h5").read_bytes() == first
    left = {p.name for p in tmp_path.iterdir()}
    assert left & set(keras_names) == {"m_00000.weights.h5"}  # Keras's other shards removed
    # Without hard links, Keras's first name is a copy of the first shard.
    monkeypatch.setattr(os, "link", failing)
    save_weights(mlp(seed=2), path, max_shard_size=SMALL)
    monkeypatch.undo()
    shard = tmp_path / _shard(json.loads(path.read_text()), 0)
    assert (tmp_path / "m_00000.weights.h5").read_bytes() == shard.read_bytes()
    assert not (tmp_path / "m_00000.weights.h5").samefile(shard)
    assert len(list(tmp_path.iterdir())) == 6  # lock, index, Keras's first name, three shards


def test_save_weights_sharded_overwrite_false_keeps_keras_first_name(tmp_path, mlp):
    (tmp_path / "m_00000.weights.h5").write_bytes(b"someone else's file")
    with pytest.raises(FileExistsError, match=r"'.*m_00000\.weights\.h5' already exists"):
        save_weights(mlp(), tmp_path / "m.weights.json", max_shard_size=SMALL, overwrite=False)
    assert [p.name for p in tmp_path.iterdir()] == ["m_00000.weights.h5"]
    assert (tmp_path / "m_00000.weights.h5").read_bytes() == b"someone else's file"


def test_save_weights_sharded_failing_before_the_commit_changes_nothing(tmp_path, mlp, monkeypatch):
    path, _ = _saved(tmp_path, mlp)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def failing(*args):
        raise OSError("not supported here")

    monkeypatch.setattr(os, "link", failing)
    monkeypatch.setattr(_sharded.shutil, "copyfile", failing)
    with pytest.raises(OSError, match=r"not supported here"):
        save_weights(mlp(seed=1), path, max_shard_size=SMALL)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_save_weights_sharded_over_an_unreadable_index_removes_nothing_it_cannot_read(
    tmp_path, mlp, weights_of
):
    path, config = _saved(tmp_path, mlp)
    old = set(config["metadata"]["heft"]["shards"])
    path.write_text("[" * 1000)
    save_weights(mlp(seed=1), path, max_shard_size=SMALL)
    loaded = mlp()
    load_weights(loaded, path)
    assert weights_of(loaded) == weights_of(mlp(seed=1))
    # What the unreadable index named is unknown: its shards stay until a save
    # replaces a readable index.
    assert old <= {p.name for p in tmp_path.iterdir()}
    save_weights(mlp(seed=2), path, max_shard_size=SMALL)
    assert not old & {p.name for p in tmp_path.iterdir()}
    assert len(list(tmp_path.iterdir())) == 6
