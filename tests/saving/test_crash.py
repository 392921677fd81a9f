"""Crash safety: a save killed at any point leaves the previous or the new complete weights."""

import json
import os
import random
import re
import select
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import heft
from heft import layers
from heft.saving import load_weights

FORMATS = (".weights.h5", ".h5", ".safetensors", ".weights.json")
SEED_VARIABLE = "HEFT_CRASH_SEED"
# Shard size for the ``.weights.json`` saves: the three kernels fall in three shards.
SHARD_GB = 1.1 * 512 * 1024 * 4 / 1024**3

# Saves version v, v+1, ... of the model (every value equal to v) to each format
# in turn, printing "start <suffix> <v>" before and "done <suffix> <v>" after
# each save, until it is killed. Renames and links are slowed down (as on a slow
# file system) so that kills also land between the steps of a commit.
_CHILD = textwrap.dedent(
    f"""
    import os, sys, time
    import numpy as np

    def slowed(fn):
        def call(*args, **kwargs):
            time.sleep(0.02)
            return fn(*args, **kwargs)
        return call

    os.replace, os.link = slowed(os.replace), slowed(os.link)
    import heft
    from heft import layers
    from heft.saving import save_weights

    folder, version = sys.argv[1], int(sys.argv[2])
    model = heft.Sequential(
        [layers.Input((256,)), layers.Dense(512), layers.Dense(1024), layers.Dense(512)]
    )
    print("ready", flush=True)
    while True:
        model.set_weights([np.full(w.shape, version, "float32") for w in model.weights])
        for suffix in {FORMATS!r}:
            print("start", suffix, version, flush=True)
            kwargs = {{"max_shard_size": {SHARD_GB!r}}} if suffix == ".weights.json" else {{}}
            save_weights(model, os.path.join(folder, "m" + suffix), **kwargs)
            print("done", suffix, version, flush=True)
        version += 1
    """
)


def _model():
    return heft.Sequential(
        [layers.Input((256,)), layers.Dense(512), layers.Dense(1024), layers.Dense(512)]
    )


def _version_on_disk(model, path):
    """The single version every value of the file at ``path`` holds (``None``: no file)."""
    if not os.path.exists(path):
        return None
    for w in model.weights:
        w.assign(np.full(w.shape, -1.0, "float32"))
    load_weights(model, path)
    values = {float(v) for w in model.weights for v in np.unique(w.numpy())}
    assert len(values) == 1, f"'{path}' mixes values of several saves: {sorted(values)}"
    return int(values.pop())


class _Run:
    """One child saving in ``folder``, killed after ``delay`` seconds of saving."""

    def __init__(self, folder, version, delay):
        self.folder, self.delay = folder, delay
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(folder), str(version)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.started, self.done, self.kill_at = {}, {}, None
        self.lines, self.errors = [], ""

    def poll(self, now):
        """Read what the child printed; kill it once its time is up. True while running."""
        if self.proc.returncode is not None:
            return False
        while select.select([self.proc.stdout], [], [], 0)[0]:
            line = self.proc.stdout.readline()
            if not line:
                break
            self._record(line)
        if (self.kill_at is not None and now >= self.kill_at) or self.proc.poll() is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            for line in self.proc.stdout:  # printed before the kill
                self._record(line)
            self.errors = self.proc.stderr.read()
            self.proc.stdout.close()
            self.proc.stderr.close()
            return False
        return True

    def _record(self, line):
        self.lines.append(line.strip())
        parts = line.split()
        if parts[:1] == ["ready"]:
            self.kill_at = time.monotonic() + self.delay
        elif len(parts) == 3:
            (self.started if parts[0] == "start" else self.done)[parts[1]] = int(parts[2])


# A shard of a sharded save (``m_00000.weights.h5`` is Keras's name of the first),
# and the lock file sharded saves commit under.
_SHARD = r"m_\d{5}(\.[0-9a-f]{8})?\.weights\.h5"
_LOCK = ".m.weights.json.lock"


def _check_folder(folder, model, runs_before, run, seed):
    """After a kill: each file is whole, of the last completed or the interrupted version."""
    for suffix in FORMATS:
        path = os.path.join(folder, "m" + suffix)
        allowed = {run.done.get(suffix, runs_before.get(suffix))}  # None: never saved
        if suffix in run.started:
            allowed.add(run.started[suffix])
        found = _version_on_disk(model, path)
        assert found in allowed, (
            f"seed {seed}: '{path}' holds version {found}, expected one of "
            f"{sorted(allowed, key=str)}; the child printed {run.lines[-6:]}"
        )
        runs_before[suffix] = found
    names = set(os.listdir(folder))
    visible = {n for n in names if not n.startswith(".")}
    expected = {f"m{s}" for s in FORMATS}
    shards = {n for n in visible if re.fullmatch(_SHARD, n)}
    assert visible - shards <= expected, sorted(visible)
    for name in names - visible - {_LOCK}:  # stale temporary files never take a target's name
        assert name.endswith((".tmp", ".link")), name


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_save_weights_killed_at_random_points_leaves_a_complete_file(tmp_path):
    # A fresh seed each run, printed (pytest shows it with a failure); set
    # HEFT_CRASH_SEED to replay a run's kill delays (where each kill lands also
    # depends on how fast the machine runs the children).
    seed = int(os.environ.get(SEED_VARIABLE) or int.from_bytes(os.urandom(4), "little"))
    print(f"crash test seed {seed}: replay with {SEED_VARIABLE}={seed}")
    rng = random.Random(seed)
    model = _model()
    folders = [tmp_path / f"run{i}" for i in range(3)]
    state = {}
    for folder in folders:
        folder.mkdir()
        state[folder] = {}
    version = 0
    # Two rounds over three folders: the second round saves over what a killed
    # save left behind (stale temporary files, half-committed shards).
    for _ in range(2):
        runs = []
        for folder in folders:
            runs.append(_Run(folder, version, rng.uniform(0.05, 1.0)))
            version += 1000
        deadline = time.monotonic() + 120
        while any([run.poll(time.monotonic()) for run in runs]):
            assert time.monotonic() < deadline, f"seed {seed}: the children did not start in time"
            time.sleep(0.002)
        for run in runs:
            killed = run.proc.returncode == -signal.SIGKILL and run.kill_at is not None
            assert killed, f"seed {seed}: the child failed: {run.errors[-3000:]}"
            _check_folder(run.folder, model, state[run.folder], run, seed)
    # A complete save removes what killed saves to the same file left behind.
    for folder in folders:
        for suffix in FORMATS:
            heft.saving.save_weights(model, folder / f"m{suffix}", **_shard_args(suffix))
        stale = [
            n
            for n in os.listdir(folder)
            if re.fullmatch(
                r"\.m(_\d{5})?\.(weights\.h5|h5|safetensors|weights\.json)\..*\.(tmp|link)", n
            )
        ]
        assert not stale, f"seed {seed}: {stale}"
        # Of the shards, only those of the last save are left (and Keras's first name).
        listed = _listed(folder / "m.weights.json") | {"m_00000.weights.h5"}
        shards = {n for n in os.listdir(folder) if re.fullmatch(_SHARD, n)}
        assert shards == listed, f"seed {seed}: {sorted(shards - listed)}"


def _listed(json_path):
    """The shard names a ``.weights.json`` index lists."""
    weight_map = json.loads(json_path.read_text())["weight_map"]
    return {
        n for names in weight_map.values() for n in ([names] if isinstance(names, str) else names)
    }


def _shard_args(suffix):
    return {"max_shard_size": SHARD_GB} if suffix == ".weights.json" else {}


class _Killed(BaseException):
    """Stands for SIGKILL: raised from inside a commit step, with all cleanup disabled."""


def _save_version(model, path, version):
    model.set_weights([np.full(w.shape, version, "float32") for w in model.weights])
    heft.saving.save_weights(model, path, max_shard_size=SHARD_GB)


@pytest.mark.parametrize("step", range(8))
def test_save_weights_sharded_interrupted_at_any_commit_step(tmp_path, monkeypatch, step):
    from heft.saving import _atomic, _sharded

    model = _model()
    path = str(tmp_path / "m.weights.json")
    _save_version(model, path, 1)
    calls = []

    def interrupted(fn):
        def call(*args, **kwargs):
            calls.append(fn.__name__)
            if len(calls) > step:
                raise _Killed
            return fn(*args, **kwargs)

        return call

    real_replace, real_link = os.replace, os.link
    monkeypatch.setattr(os, "replace", interrupted(real_replace))
    monkeypatch.setattr(os, "link", interrupted(real_link))
    # A killed process runs no cleanup.
    monkeypatch.setattr(_atomic, "remove_quietly", lambda path: None)
    monkeypatch.setattr(_sharded, "remove_quietly", lambda path: None)
    try:
        _save_version(model, path, 2)
    except _Killed:
        pass
    monkeypatch.undo()
    # 3 shards: 3 renames to their names, the link and rename giving the first
    # shard Keras's name, the index's rename: 6 steps.
    steps = ["replace"] * 3 + ["link", "replace", "replace"]
    assert calls == steps[: step + 1]
    found = _version_on_disk(model, path)
    assert found == (1 if step < 6 else 2)
    names = sorted(os.listdir(tmp_path))
    assert all(re.fullmatch(_SHARD, n) for n in names if n[0] != "." and n != "m.weights.json")
    assert all(n.endswith((".tmp", ".link")) for n in names if n[0] == "." and n != _LOCK)
    _save_version(model, path, 3)  # the next save recovers
    assert _version_on_disk(model, path) == 3
    weight_map = json.loads((tmp_path / "m.weights.json").read_text())["weight_map"]
    shards = [weight_map[f"/layers/{name}/vars"] for name in ("dense", "dense_1", "dense_2")]
    assert all(len(s) == 1 for s in shards)
    after = sorted(os.listdir(tmp_path))
    visible = {"m.weights.json", "m_00000.weights.h5", *(s[0] for s in shards)}
    assert {n for n in after if not n.startswith(".")} == visible
    # Stale temporary files of the killed save stay (its process lives); nothing else does.
    assert set(after) - visible <= set(names)
