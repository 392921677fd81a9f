"""Tests for atomic writes: temporary file in the same folder, fsync, rename."""

import errno
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
import zipfile

import numpy as np
import pytest

from heft._platform import _write_hints
from heft._platform._switches import WRITE_HINTS
from heft.saving import _atomic
from heft.saving._atomic import (
    Writeback,
    atomic_path,
    check_target,
    release_cache,
    remove_stale_temps,
)

LINUX = sys.platform.startswith("linux")


def test_atomic_path_writes_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "a.bin"
    with atomic_path(str(target)) as tmp:
        assert os.path.dirname(tmp) == str(tmp_path)
        assert os.path.basename(tmp).startswith(".a.bin.")
        with open(tmp, "wb") as fh:
            fh.write(b"new")
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["a.bin"]
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(target).st_mode & 0o777 == 0o666 & ~umask


def test_atomic_path_failure_keeps_previous_file(tmp_path):
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), atomic_path(str(target)) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(b"half")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["a.bin"]


def test_atomic_path_refuses_existing_file_without_overwrite(tmp_path):
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")
    with pytest.raises(FileExistsError, match=r"already exists and `overwrite=False`"):
        with atomic_path(str(target), overwrite=False):
            pass
    assert target.read_bytes() == b"old"


def test_atomic_path_refuses_file_appearing_while_writing(tmp_path):
    target = tmp_path / "a.bin"
    with pytest.raises(FileExistsError, match=r"appeared while saving"):
        with atomic_path(str(target), overwrite=False):
            target.write_bytes(b"someone else")
    assert target.read_bytes() == b"someone else"
    assert os.listdir(tmp_path) == ["a.bin"]


def test_check_target_folder_errors(tmp_path):
    with pytest.raises(IsADirectoryError, match=r"it is a folder"):
        check_target(str(tmp_path), overwrite=True)
    with pytest.raises(FileNotFoundError, match=r"does not exist. Create it first"):
        check_target(str(tmp_path / "missing" / "a.bin"), overwrite=True)


def test_atomic_path_unwritable_folder(tmp_path, monkeypatch):
    real_open = os.open

    def deny(path, flags, *args):
        if str(path).endswith(".tmp"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", deny)
    with pytest.raises(PermissionError, match=r"is not writable"):
        with atomic_path(str(tmp_path / "a.bin")):
            pass


def test_release_cache_keeps_the_file_and_ignores_what_is_not_a_file(tmp_path):
    path = tmp_path / "w.bin"
    path.write_bytes(b"abc" * 1000)
    release_cache(str(path))
    assert path.read_bytes() == b"abc" * 1000
    release_cache(str(tmp_path / "missing.bin"))
    release_cache(str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.bin"]


def test_atomic_path_removes_temporary_files_of_killed_saves_only(tmp_path, dead_pid):
    target = tmp_path / "m.weights.h5"
    with atomic_path(str(target)) as tmp:
        name = os.path.basename(tmp)
        host, pid = re.fullmatch(
            r"\.m\.weights\.h5\.([0-9a-f]{8})-(\d+)-[0-9a-f]{12}\.tmp", name
        ).groups()
        assert int(pid) == os.getpid()
        open(tmp, "w").close()
    other_host = "0" * 8 if host != "0" * 8 else "1" * 8
    dead = dead_pid
    names = {
        "killed": f".m.weights.h5.{host}-{dead}-{'a' * 12}.tmp",
        "running": f".m.weights.h5.{host}-{os.getpid()}-{'b' * 12}.tmp",
        "other host": f".m.weights.h5.{other_host}-{dead}-{'c' * 12}.tmp",
        "other target": f".n.weights.h5.{host}-{dead}-{'d' * 12}.tmp",
        "not heft's": f".m.weights.h5.{host}-{dead}-xyz.tmp",
    }
    for name in names.values():
        (tmp_path / name).write_bytes(b"partial")
    with atomic_path(str(target)) as tmp:
        open(tmp, "w").close()
    left = {p.name for p in tmp_path.iterdir()}
    assert names["killed"] not in left
    assert {n for k, n in names.items() if k != "killed"} <= left
    assert "m.weights.h5" in left


def test_remove_stale_temps_of_a_missing_folder_does_nothing(tmp_path):
    assert remove_stale_temps(str(tmp_path / "no" / "m.weights.h5")) == []


def _recording_hints(monkeypatch):
    """Record the page-cache hints given, instead of giving them."""
    given = []
    done = threading.Event()
    monkeypatch.setattr(_write_hints, "drop_cached_pages", lambda p: given.append(("drop", p)))

    def start(path):
        given.append(("writeback", path))
        done.set()

    monkeypatch.setattr(_write_hints, "start_writeback", start)
    monkeypatch.setattr(_write_hints, "WRITEBACK_STEP", 10)
    return given, done


@pytest.mark.skipif(not LINUX, reason="the page-cache hints are given on Linux only")
def test_the_page_cache_hints_are_given_with_the_switch_on(tmp_path, monkeypatch):
    given, done = _recording_hints(monkeypatch)
    path = str(tmp_path / "w.bin")
    with WRITE_HINTS.forced(True):
        release_cache(path)
        writeback = Writeback(path)
        writeback.wrote(4)
        assert given == [("drop", path)]  # 4 bytes: not yet a writeback step
        writeback.wrote(6)
        if _write_hints.can_start_writeback():
            assert done.wait(10)
            assert given == [("drop", path), ("writeback", path)]


def test_no_page_cache_hint_is_given_with_the_switch_off(tmp_path, monkeypatch):
    given, _ = _recording_hints(monkeypatch)
    monkeypatch.setattr(_atomic, "helper", lambda name: pytest.fail("a helper thread was used"))
    target = tmp_path / "w.bin"
    target.write_bytes(b"old")
    with WRITE_HINTS.forced(False):
        assert _write_hints.applies() is False
        release_cache(str(target))
        with atomic_path(str(target)) as tmp:
            writeback = Writeback(tmp)
            with open(tmp, "wb") as fh:
                fh.write(b"new" * 100)
            writeback.wrote(300)
    assert given == []
    assert target.read_bytes() == b"new" * 100


def _files(folder):
    """Every file in ``folder`` and its bytes; of a ``.keras`` archive, its members but the date."""
    out = {}
    for name in sorted(os.listdir(folder)):
        data = (folder / name).read_bytes()
        if name.endswith(".keras"):
            with zipfile.ZipFile(folder / name) as archive:
                data = b"".join(
                    archive.read(member)
                    for member in sorted(archive.namelist())
                    if member != "metadata.json"
                )
        out[name] = hashlib.sha256(data).hexdigest()
    return out


@pytest.mark.parametrize(
    "suffix", [".weights.h5", ".safetensors", ".h5", ".weights.json", ".keras"]
)
def test_saves_write_the_same_bytes_with_and_without_the_hints(tmp_path, monkeypatch, suffix):
    import heft
    from heft import layers
    from heft.saving import save_weights

    # A writeback every 64 KiB, so that the hints are given during these small saves.
    monkeypatch.setattr(_write_hints, "WRITEBACK_STEP", 64 << 10)
    # Sharded saves name their shards after a fresh save id: the same one for both.
    saved_id = uuid.UUID(int=0x3F9A2C1B << 96)
    monkeypatch.setattr(uuid, "uuid4", lambda: saved_id)
    model = heft.Sequential([layers.Input((300,)), layers.Dense(400), layers.Dense(3)])
    rng = np.random.default_rng(0)
    model.set_weights([rng.standard_normal(w.shape).astype("float32") for w in model.weights])
    found = []
    for on in (True, False):
        folder = tmp_path / ("on" if on else "off")
        folder.mkdir()
        path = folder / f"m{suffix}"
        path.write_bytes(b"an older file, replaced")
        with WRITE_HINTS.forced(on):
            if suffix == ".keras":
                model.save(path)
            else:
                extra = {"max_shard_size": 0.1} if suffix == ".weights.json" else {}
                save_weights(model, path, **extra)
        found.append(_files(folder))
    assert found[0] == found[1]
    assert len(found[0]) >= (2 if suffix == ".weights.json" else 1)


# ------------------------------------------------------------------ killed saves

_KILLED_SAVE_CHILD = textwrap.dedent(
    """
    import sys
    import heft
    from heft import layers

    # 64 MiB of weights: each save takes long enough to be killed in the middle.
    stack = [layers.Input((1024,))]
    stack += [layers.Dense(1024, kernel_initializer="zeros") for _ in range(16)]
    model = heft.Sequential(stack)
    print("ready", flush=True)
    while True:
        model.save(sys.argv[1])
    """
)


def _temporaries(folder):
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


def _kill_mid_save(path):
    """Run saves to ``path`` in a child process and SIGKILL it while both temporaries exist."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_SAVE_CHILD, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()[-3000:]
        deadline = time.monotonic() + 60
        # A `.keras` save holds two temporaries at once (the zip and the weights).
        while len(_temporaries(path.parent)) < 2 and time.monotonic() < deadline:
            time.sleep(0.001)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
    return _temporaries(path.parent)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL and the stale-temporary cleanup are POSIX")
def test_a_save_after_a_killed_archive_save_leaves_no_debris(tmp_path):
    import heft
    from heft import layers
    from heft.saving import load_model

    path = tmp_path / "m.keras"
    for _ in range(3):  # the kill may land just after a save ended: try again
        left = _kill_mid_save(path)
        if left:
            break
    assert left, "no save was killed in the middle"
    assert all(name.startswith(".m.keras.") for name in left)
    small = heft.Sequential([layers.Input((3,)), layers.Dense(2)])
    small.save(path)
    assert os.listdir(tmp_path) == ["m.keras"]
    assert [w.shape for w in load_model(path).weights] == [(3, 2), (2,)]


def test_archive_saves_remove_the_folders_older_versions_left(tmp_path):
    import heft
    from heft import layers

    def folder(name, files, age_s):
        path = tmp_path / name
        path.mkdir()
        for file in files:
            (path / file).write_bytes(b"partial")
        when = time.time() - age_s
        for item in [*(path / f for f in files), path]:
            os.utime(item, (when, when))

    folder(".heft-archive-ab12cd_9", ["model.weights.h5"], 2 * 86400)  # a killed save's
    folder(".heft-archive-zz99yy88", [], 2 * 86400)  # killed before writing
    folder(".heft-archive-qq11ww22", ["model.weights.h5"], 600)  # maybe a save in progress
    folder(".heft-archive-mm33nn44", ["model.weights.h5", "mine.txt"], 2 * 86400)  # not heft's
    folder("heft-archive-pp55oo66", ["model.weights.h5"], 2 * 86400)  # not heft's name
    heft.Sequential([layers.Input((3,)), layers.Dense(2)]).save(tmp_path / "m.keras")
    assert sorted(os.listdir(tmp_path)) == [
        ".heft-archive-mm33nn44",
        ".heft-archive-qq11ww22",
        "heft-archive-pp55oo66",
        "m.keras",
    ]


# ------------------------------------------------------------------ full disks, read-only folders

SUFFIXES = [".weights.h5", ".h5", ".safetensors", ".weights.json", ".keras"]


def _save(model, path):
    from heft.saving import save_model, save_weights

    if path.suffix == ".keras":
        save_model(model, path)
    else:
        extra = {"max_shard_size": 1.0} if path.name.endswith(".weights.json") else {}
        save_weights(model, path, **extra)


def _model():
    import heft
    from heft import layers

    return heft.Sequential([layers.Input((30,)), layers.Dense(40), layers.Dense(3)])


def _check_write_error(err, path, code, existed):
    assert err.errno == code
    message = str(err)
    assert f"Could not save '{path}': {os.strerror(code)}, {errno.errorcode[code]}." in message
    if existed:
        assert f"The previous file at '{path}' is untouched" in message
    else:
        assert f"No file was created at '{path}'" in message
    assert "no temporary file is left behind" in message


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_save_on_a_full_disk_names_the_file_and_keeps_the_previous_one(
    tmp_path, monkeypatch, suffix
):
    from heft.saving import _sharded

    path = tmp_path / f"m{suffix}"
    _save(_model(), path)
    before = _files(tmp_path)

    def full(target):
        raise OSError(errno.ENOSPC, "No space left on device")

    # The disk fills up while the data is flushed (as with delayed allocation).
    monkeypatch.setattr(_atomic, "fsync_file", full)
    monkeypatch.setattr(_sharded, "fsync_file", full)
    with pytest.raises(OSError) as info:
        _save(_model(), path)
    _check_write_error(info.value, path, errno.ENOSPC, existed=True)
    assert "The disk (or your quota on it) is full: free some space" in str(info.value)
    assert _files(tmp_path) == before
    with pytest.raises(OSError) as info:
        _save(_model(), tmp_path / f"new{suffix}")
    _check_write_error(info.value, tmp_path / f"new{suffix}", errno.ENOSPC, existed=False)
    assert _files(tmp_path) == before


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_save_to_a_read_only_file_system_names_the_file(tmp_path, monkeypatch, suffix):
    path = tmp_path / f"m{suffix}"
    _save(_model(), path)
    before = _files(tmp_path)
    real_open = os.open

    def read_only(name, flags, *args):
        if flags & os.O_CREAT:
            raise OSError(errno.EROFS, "Read-only file system", name)
        return real_open(name, flags, *args)

    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(OSError) as info:
        _save(_model(), path)
    _check_write_error(info.value, path, errno.EROFS, existed=True)
    assert f"Folder '{tmp_path}' is on a read-only file system" in str(info.value)
    assert _files(tmp_path) == before


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.skipif(os.name == "posix" and os.geteuid() == 0, reason="root ignores permissions")
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_save_to_a_read_only_folder_is_a_permission_error(tmp_path, suffix):
    path = tmp_path / f"m{suffix}"
    _save(_model(), path)
    before = _files(tmp_path)
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(PermissionError) as info:
            _save(_model(), path)
    finally:
        tmp_path.chmod(0o755)
    _check_write_error(info.value, path, errno.EACCES, existed=True)
    assert f"Folder '{tmp_path}' is not writable" in str(info.value)
    assert _files(tmp_path) == before


_SMALL_FILE_SYSTEM_CHILD = textwrap.dedent(
    """
    import errno, json, os, subprocess, sys
    import heft
    from heft import layers
    from heft.saving import save_model, save_weights

    folder = sys.argv[1]
    small = heft.Sequential([layers.Input((30,)), layers.Dense(40)])
    big = heft.Sequential([layers.Input((1024,)), layers.Dense(1024)])  # 4 MiB > the disk

    def save(model, path):
        if path.endswith(".keras"):
            save_model(model, path)
        else:
            extra = {"max_shard_size": 1.0} if path.endswith(".weights.json") else {}
            save_weights(model, path, **extra)

    def listing():
        out = {}
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name), "rb") as fh:
                out[name] = fh.read().hex()
        return out

    out = {}
    suffixes = sys.argv[2:]
    for suffix in suffixes:
        save(small, os.path.join(folder, "m" + suffix))
    for stage, model in (("full", big), ("read-only", small)):
        if stage == "read-only":
            subprocess.run(["mount", "-o", "remount,ro", folder], check=True)
        for suffix in suffixes:
            path = os.path.join(folder, "m" + suffix)
            before = listing()
            try:
                save(model, path)
                result = ["saved", None, ""]
            except Exception as err:
                result = [type(err).__name__, getattr(err, "errno", None), str(err)]
            out[f"{stage} {suffix}"] = result + [listing() == before]
    print(json.dumps(out))
    """
)


@pytest.mark.skipif(not LINUX, reason="mounts a tmpfs in a user namespace (Linux)")
def test_saves_on_a_real_full_and_read_only_file_system(tmp_path):
    # A 2 MiB tmpfs, mounted in a user namespace where this test may mount: the
    # errors come from the system itself (HDF5's writes included), not a stub.
    mount = tmp_path / "mnt"
    mount.mkdir()
    command = f'mount -t tmpfs -o size=2m heft-test {mount} && exec "$0" "$@"'
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1) to mount a tmpfs in a user namespace")
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", command, "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("cannot mount a tmpfs in a user namespace here")
    child = [sys.executable, "-c", _SMALL_FILE_SYSTEM_CHILD, str(mount), *SUFFIXES]
    result = subprocess.run(
        ["unshare", "-rm", "sh", "-c", command, *child],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    for stage, code in (("full", errno.ENOSPC), ("read-only", errno.EROFS)):
        for suffix in SUFFIXES:
            kind, got, message, unchanged = out[f"{stage} {suffix}"]
            path = mount / f"m{suffix}"
            assert kind == "OSError" and got == code, (stage, suffix, kind, message)
            assert message.startswith(f"[Errno {code}] Could not save '{path}': "), message
            assert f"The previous file at '{path}' is untouched" in message
            assert unchanged, (stage, suffix)
