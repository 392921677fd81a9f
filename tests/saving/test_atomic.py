"""Tests for atomic writes: temporary file in the same folder, fsync, rename."""

import os

import pytest

from heft.saving._atomic import atomic_path, check_target, release_cache


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
