"""Sharded weights under hostile files and concurrent use: limits, special files, mixed saves, races."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from heft.saving import _lock, _sharded_load, limits, load_weights, save_weights

# Shards of at most 50 bytes: the MLP's four weights fall in three shards.
SMALL = 50 / 1024**3
ROOT = Path(__file__).resolve().parents[2]


def _env():
    """The environment of a child process: this checkout's heft first on the path."""
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": str(ROOT) + (os.pathsep + path if path else "")}


def _filled(mlp, value):
    model = mlp()
    model.set_weights([np.full(w.shape, value, w.dtype) for w in model.weights])
    return model


def _saved(folder, mlp, value=1.0):
    path = folder / "m.weights.json"
    save_weights(_filled(mlp, value), path, max_shard_size=SMALL)
    return path, json.loads(path.read_text())


def _shards(config):
    """The shard names an index lists, shard 0 first."""
    return sorted(config["metadata"]["heft"]["shards"])


# -- the index through the shared rules for untrusted files -----------------------------------


def test_load_weights_sharded_deeply_nested_index_is_refused_quickly(tmp_path, mlp, weights_of):
    path, _ = _saved(tmp_path, mlp)
    depth = 100_000
    path.write_text('{"weight_map": {"/vars": ' + "[" * depth + "]" * depth + "}}")
    model = mlp(seed=1)
    before = weights_of(model)
    start = time.perf_counter()
    with pytest.raises(
        ValueError,
        match=r"Refusing to read the weight map of '.*m\.weights\.json': it nests lists or "
        r"objects more than 100 deep.*json_depth=",
    ):
        load_weights(model, path)
    assert time.perf_counter() - start < 1.0
    assert weights_of(model) == before


def test_load_weights_sharded_index_over_the_size_and_value_limits(tmp_path, mlp, weights_of):
    path, _ = _saved(tmp_path, mlp)
    size = path.stat().st_size
    model = mlp(seed=1)
    with (
        limits(json_bytes=size - 1),
        pytest.raises(
            ValueError,
            match=rf"Refusing to read the weight map of '.*m\.weights\.json': it holds "
            rf"{size:,} bytes, more than the limit of {size - 1:,} bytes.*json_bytes=",
        ),
    ):
        load_weights(model, path)
    with (
        limits(json_values=5),
        pytest.raises(ValueError, match=r"more than the limit of 5 values.*json_values="),
    ):
        load_weights(model, path)
    with limits(json_bytes=size):
        load_weights(model, path)
    assert weights_of(model) == weights_of(_filled(mlp, 1.0))


def test_load_weights_sharded_index_that_is_a_folder(tmp_path, mlp):
    (tmp_path / "d.weights.json").mkdir()
    with pytest.raises(IsADirectoryError, match=r"'.*d\.weights\.json' is a folder"):
        load_weights(mlp(), tmp_path / "d.weights.json")


# Replaces the index, then a shard, then the lock file by a FIFO with no writer:
# each must fail at once with an OSError (a blocking open would hang the child).
_FIFO_CHILD = textwrap.dedent(
    """
    import json, os, shutil, sys
    import heft
    from heft import layers
    from heft.saving import load_weights, save_weights

    folder = sys.argv[1]
    model = heft.Sequential([layers.Input((3,)), layers.Dense(4), layers.Dense(2)])
    path = os.path.join(folder, "m.weights.json")
    save_weights(model, path, max_shard_size=50 / 1024**3)
    shard = os.path.join(folder, json.load(open(path))["weight_map"]["/layers/dense_1/vars"][0])

    def fifo_at(target):
        shutil.move(target, target + ".aside")
        os.mkfifo(target)

    def attempt(name, call):
        try:
            call()
        except OSError as err:
            print(name, type(err).__name__, err, flush=True)
        else:
            print(name, "no error", flush=True)

    fifo_at(path)
    attempt("index", lambda: load_weights(model, path))
    os.remove(path)
    shutil.move(path + ".aside", path)
    fifo_at(shard)
    attempt("shard", lambda: load_weights(model, path))
    os.remove(shard)
    shutil.move(shard + ".aside", shard)
    os.remove(os.path.join(folder, ".m.weights.json.lock"))
    os.mkfifo(os.path.join(folder, ".m.weights.json.lock"))
    attempt("lock", lambda: save_weights(model, path, max_shard_size=50 / 1024**3))
    print("loads", load_weights(model, path).loaded, flush=True)
    """
)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_sharded_fifos_in_place_of_files_fail_without_hanging(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", _FIFO_CHILD, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,  # a hang fails here, not in CI's own timeout
        check=False,
        env=_env(),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in result.stdout.strip().splitlines())
    assert lines["index"].startswith("OSError Refusing to read '"), lines
    assert "m.weights.json': it is a FIFO (named pipe), not a regular file" in lines["index"]
    assert lines["shard"].startswith("OSError Refusing to read '"), lines
    assert ".weights.h5': it is a FIFO (named pipe)" in lines["shard"]
    assert lines["lock"].startswith("OSError Refusing to read '"), lines
    assert ".m.weights.json.lock': it is a FIFO" in lines["lock"]
    assert lines["loads"] == "4"  # the failed save changed nothing


# -- shards bound to their index --------------------------------------------------------------


def test_load_weights_sharded_shard_from_another_save_is_refused(tmp_path, mlp, weights_of):
    path, config = _saved(tmp_path, mlp, 1.0)
    kept = tmp_path / "kept"
    kept.mkdir()
    for name in _shards(config):
        shutil.copy(tmp_path / name, kept / name)
    # The same model saved again, with the same values: only the save differs.
    path, config = _saved(tmp_path, mlp, 1.0)
    shard = _shards(config)[1]
    os.replace(kept / sorted(os.listdir(kept))[1], tmp_path / shard)
    model = mlp(seed=1)
    before = weights_of(model)
    with pytest.raises(
        ValueError,
        match=rf"Shard '.*{shard}' does not belong to sharded weights '.*m\.weights\.json': "
        rf"it was written by save '[0-9a-f]{{32}}', the index by save "
        rf"'{config['metadata']['heft']['save_id']}'.*copy the index and every shard",
    ):
        load_weights(model, path)
    assert weights_of(model) == before


def test_load_weights_sharded_shard_from_a_save_of_other_values_is_refused(
    tmp_path, mlp, weights_of
):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    path, config = _saved(tmp_path / "a", mlp, 1.0)
    _, other = _saved(tmp_path / "b", mlp, 2.0)
    shard = _shards(config)[2]
    shutil.copy(tmp_path / "b" / _shards(other)[2], tmp_path / "a" / shard)
    model = mlp(seed=1)
    before = weights_of(model)
    with pytest.raises(ValueError, match=rf"Shard '.*{shard}' does not belong to sharded"):
        load_weights(model, path)
    assert weights_of(model) == before


def test_load_weights_sharded_shards_swapped_within_a_save_are_refused(tmp_path, mlp, weights_of):
    path, config = _saved(tmp_path, mlp)
    first, second = _shards(config)[:2]
    os.replace(tmp_path / first, tmp_path / "aside")
    os.replace(tmp_path / second, tmp_path / first)
    os.replace(tmp_path / "aside", tmp_path / second)
    model = mlp(seed=1)
    before = weights_of(model)
    with pytest.raises(
        ValueError,
        match=rf"Shard '.*{first}' does not match sharded weights '.*m\.weights\.json': its "
        r"entries or their checksums are not those the index recorded for it \(xxh3:",
    ):
        load_weights(model, path)
    assert weights_of(model) == before


def test_load_weights_sharded_shard_without_or_with_a_malformed_save_id(tmp_path, mlp):
    path, config = _saved(tmp_path, mlp)
    shard = tmp_path / _shards(config)[0]
    with h5py.File(shard, "a") as f:
        del f.attrs["save_id"]
    with pytest.raises(ValueError, match=r"it was written by no heft save \(it has no save id\)"):
        load_weights(mlp(), path)
    with h5py.File(shard, "a") as f:
        f.attrs["save_id"] = config["metadata"]["heft"]["save_id"]  # variable-length
    with pytest.raises(ValueError, match=r"written by save '\(not a short fixed-length string\)'"):
        load_weights(mlp(), path)


# -- concurrent saves and loads ---------------------------------------------------------------

# A worker of the concurrency tests; each prints "ready" once started.
# "writer <path> <value>": on each line "go <start time> <saves>" from its
# input, waits until the start time, saves the weights (every value equal to
# <value>) that many times, prints "done". "alternate <path> <seconds>": on a
# line from its input, saves the values 1 and 2 in turn. "reader <path>
# <seconds>": on a line from its input, loads in a loop; each load must hold
# one value everywhere. Both print a JSON summary.
_WORKER = textwrap.dedent(
    """
    import json, sys, time
    import numpy as np
    import heft
    from heft import layers
    from heft.saving import load_weights, save_weights

    role, path = sys.argv[1], sys.argv[2]
    model = heft.Sequential(
        [layers.Input((3,)), layers.Dense(4), layers.Dropout(0.1), layers.Dense(2)]
    )
    size = 50 / 1024**3

    def fill(value):
        model.set_weights([np.full(w.shape, value, "float32") for w in model.weights])

    print("ready", flush=True)
    if role == "writer":
        fill(float(sys.argv[3]))
        for line in sys.stdin:
            _, start, saves = line.split()
            time.sleep(max(0.0, float(start) - time.time()))
            for _ in range(int(saves)):
                save_weights(model, path, max_shard_size=size)
            print("done", flush=True)
    elif role == "alternate":
        sys.stdin.readline()
        end, saves = time.monotonic() + float(sys.argv[3]), 0
        while time.monotonic() < end:
            fill(1.0 + saves % 2)
            save_weights(model, path, max_shard_size=size)
            saves += 1
        print(json.dumps({"saves": saves}), flush=True)
    else:
        sys.stdin.readline()
        end, loads, seen, errors = time.monotonic() + float(sys.argv[3]), 0, {}, []
        while time.monotonic() < end:
            try:
                load_weights(model, path)
            except Exception as err:
                errors.append(f"{type(err).__name__}: {err}")
                continue
            loads += 1
            values = sorted({float(v) for w in model.weights for v in np.unique(w.numpy())})
            key = ",".join(map(str, values))
            seen[key] = seen.get(key, 0) + 1
        print(json.dumps({"loads": loads, "seen": seen, "errors": errors[:5]}), flush=True)
    """
)


def _worker(*args):
    return subprocess.Popen(
        [sys.executable, "-c", _WORKER, *map(str, args)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )


def _line(proc):
    line = proc.stdout.readline()
    assert line, f"a worker stopped: {proc.stderr.read()[-3000:]}"
    return line.strip()


def _values(model):
    return sorted({float(v) for w in model.weights for v in np.unique(w.numpy())})


def test_save_weights_sharded_concurrent_saves_leave_one_whole_save(tmp_path, mlp):
    path = tmp_path / "m.weights.json"
    writers = [_worker("writer", path, value) for value in (1.0, 2.0)]
    try:
        for proc in writers:
            assert _line(proc) == "ready"
        model = mlp()
        for _ in range(10):
            # Both start at the same instant and save three times each.
            start = time.time() + 0.05
            for proc in writers:
                proc.stdin.write(f"go {start} 3\n")
                proc.stdin.flush()
            for proc in writers:
                assert _line(proc) == "done"
            load_weights(model, path)
            values = _values(model)
            assert values in ([1.0], [2.0]), f"the file mixes two saves: {values}"
            config = json.loads(path.read_text())
            listed = set(_shards(config))
            # Only the committed save's shards are left (and nothing that grows with saves).
            assert {p.name for p in tmp_path.iterdir()} == listed | {
                "m.weights.json",
                "m_00000.weights.h5",
                ".m.weights.json.lock",
            }
    finally:
        for proc in writers:
            proc.stdin.close()
            proc.wait(timeout=60)
            proc.stdout.close()
            proc.stderr.close()
    assert all(proc.returncode == 0 for proc in writers)


def test_load_weights_sharded_while_another_process_saves(tmp_path, mlp):
    path, _ = _saved(tmp_path, mlp, 1.0)
    writer = _worker("alternate", path, 3)
    reader = _worker("reader", path, 3)
    try:
        for proc in (writer, reader):
            assert _line(proc) == "ready"
        for proc in (writer, reader):  # both run for the same 3 seconds
            proc.stdin.write("go\n")
            proc.stdin.flush()
        wrote, read = json.loads(_line(writer)), json.loads(_line(reader))
    finally:
        for proc in (writer, reader):
            proc.stdin.close()
            proc.wait(timeout=60)
            proc.stdout.close()
            proc.stderr.close()
    assert read["errors"] == [], read
    assert set(read["seen"]) == {"1.0", "2.0"}, read  # each load one save, and saves overlapped
    assert wrote["saves"] >= 4 and read["loads"] >= 4, (wrote, read)


def test_load_weights_sharded_gives_up_on_an_index_replaced_at_every_try(
    tmp_path, mlp, monkeypatch, weights_of
):
    path, _ = _saved(tmp_path, mlp)
    monkeypatch.setattr(_sharded_load, "_MAX_PAUSE_S", 0.0)
    monkeypatch.setattr(_sharded_load, "changed", lambda json_path, raw: True)
    model = mlp(seed=1)
    before = weights_of(model)
    with pytest.raises(
        RuntimeError,
        match=r"Cannot load sharded weights '.*m\.weights\.json': saves replaced the index each "
        r"of the 10 times its shards were opened",
    ):
        load_weights(model, path)
    assert weights_of(model) == before


def test_load_weights_sharded_retries_when_a_save_replaces_the_shards(tmp_path, mlp, monkeypatch):
    path, config = _saved(tmp_path, mlp, 1.0)
    real = _sharded_load._open_shards
    opened = []

    def after_a_save(json_path, index, stack):
        opened.append(index.save_id)
        if len(opened) == 1:  # a save commits between reading the index and opening its shards
            save_weights(_filled(mlp, 2.0), path, max_shard_size=SMALL)
        return real(json_path, index, stack)

    monkeypatch.setattr(_sharded_load, "_open_shards", after_a_save)
    model = mlp()
    load_weights(model, path)
    assert _values(model) == [2.0]
    assert opened[0] == config["metadata"]["heft"]["save_id"] != opened[1]
    assert len(opened) == 2


def test_save_weights_sharded_waits_for_the_lock_then_times_out(tmp_path, mlp, monkeypatch):
    path, _ = _saved(tmp_path, mlp, 1.0)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    monkeypatch.setattr(_lock, "TIMEOUT_S", 0.3)
    with (
        _lock.locked(str(path)),
        pytest.raises(
            TimeoutError,
            match=r"Cannot save to '.*m\.weights\.json': another save to the same path has held "
            r"its lock '.*\.m\.weights\.json\.lock' for over 0\.3 s",
        ),
    ):
        save_weights(_filled(mlp, 2.0), path, max_shard_size=SMALL)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    # A save waits while the lock is held for less than the timeout.
    monkeypatch.setattr(_lock, "TIMEOUT_S", 30.0)
    held = threading.Event()

    def hold():
        with _lock.locked(str(path)):
            held.set()
            time.sleep(0.3)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait()
    start = time.monotonic()
    save_weights(_filled(mlp, 2.0), path, max_shard_size=SMALL)
    assert time.monotonic() - start >= 0.2
    thread.join()
    model = mlp()
    load_weights(model, path)
    assert _values(model) == [2.0]


def test_save_weights_sharded_without_fcntl_serialises_threads(tmp_path, mlp, monkeypatch):
    monkeypatch.setattr(_lock, "fcntl", None)
    path = tmp_path / "m.weights.json"
    errors = []

    def saves(value):
        model = _filled(mlp, value)
        try:
            for _ in range(5):
                save_weights(model, path, max_shard_size=SMALL)
        except Exception as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=saves, args=(v,)) for v in (1.0, 2.0)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    model = mlp()
    load_weights(model, path)
    assert _values(model) in ([1.0], [2.0])
    assert not (tmp_path / ".m.weights.json.lock").exists()  # no lock file without fcntl
    assert len(list(tmp_path.iterdir())) == 5  # the index, Keras's name, three shards
