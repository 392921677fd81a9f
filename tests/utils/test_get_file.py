"""get_file: download, cache, hash checks, extraction and the hostile inputs it refuses."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import zipfile

import pytest

from heft.utils import get_file
from heft.utils._archives import extract_archive


def _read(path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _tar(members: dict[str, bytes], mode: str = "w:gz", links=()) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target, kind in links:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = target
            tar.addfile(info)
    return buf.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_get_file_downloads_into_keras_home_and_caches(local_http, keras_home, capsys):
    url = local_http.put("data.bin", b"abc")
    path = get_file(origin=url)
    assert path == os.path.join(str(keras_home), "datasets", "data.bin")
    assert _read(path) == b"abc"
    assert "Downloading data from" in capsys.readouterr().out
    assert get_file(origin=url, file_hash=hashlib.sha256(b"abc").hexdigest()) == path
    assert local_http.hits["data.bin"] == 1
    assert os.listdir(os.path.dirname(path)) == ["data.bin"]


def test_get_file_cache_dir_subdir_and_force_download(local_http, tmp_path):
    url = local_http.put("d.txt", b"one")
    path = get_file("renamed.txt", url, cache_dir=str(tmp_path / "c"), cache_subdir="sub")
    assert path == str(tmp_path / "c" / "sub" / "renamed.txt")
    local_http.put("d.txt", b"two")
    assert (
        _read(get_file("renamed.txt", url, cache_dir=str(tmp_path / "c"), cache_subdir="sub"))
        == b"one"
    )
    get_file(
        "renamed.txt", url, cache_dir=str(tmp_path / "c"), cache_subdir="sub", force_download=True
    )
    assert _read(path) == b"two"
    assert local_http.hits["d.txt"] == 2


def test_get_file_md5_and_auto_hash(local_http, keras_home):
    url = local_http.put("m.bin", b"xyz")
    md5 = hashlib.md5(b"xyz").hexdigest()
    assert _read(get_file(origin=url, file_hash=md5)) == b"xyz"
    assert _read(get_file(origin=url, md5_hash=md5, force_download=True)) == b"xyz"
    sha = hashlib.sha256(b"xyz").hexdigest()
    get_file(origin=url, file_hash=sha, hash_algorithm="sha256")


def test_get_file_hash_mismatch_keeps_the_cache(local_http, keras_home):
    url = local_http.put("h.bin", b"good")
    good = hashlib.sha256(b"good").hexdigest()
    path = get_file(origin=url, file_hash=good)
    local_http.put("h.bin", b"evil")
    with pytest.raises(
        ValueError, match=r"sha256 file hash .* does not match .*cache left as it was"
    ):
        get_file(origin=url, file_hash=good, force_download=True)
    assert _read(path) == b"good"
    assert os.listdir(os.path.dirname(path)) == ["h.bin"]
    # A first download with the wrong hash leaves nothing at all.
    local_http.put("new.bin", b"evil")
    with pytest.raises(ValueError, match="does not match"):
        get_file(origin=local_http.url("new.bin"), file_hash=good)
    assert os.listdir(os.path.dirname(path)) == ["h.bin"]


def test_get_file_redownloads_a_cached_file_with_the_wrong_hash(local_http, keras_home, capsys):
    url = local_http.put("r.bin", b"old")
    get_file(origin=url)
    local_http.put("r.bin", b"new")
    path = get_file(origin=url, file_hash=hashlib.sha256(b"new").hexdigest())
    assert _read(path) == b"new"
    assert "re-download" in capsys.readouterr().out


def test_get_file_interrupted_download_leaves_no_partial_file(local_http, keras_home):
    url = local_http.put("big.bin", b"0123456789" * 1000)
    local_http.broken.add("big.bin")
    with pytest.raises(Exception, match="broke off"):
        get_file(origin=url)
    assert os.listdir(keras_home / "datasets") == []


def test_get_file_http_error(local_http, keras_home):
    with pytest.raises(Exception, match=r"URL fetch failure on .*missing.bin: 404"):
        get_file(origin=local_http.url("missing.bin"))
    assert os.listdir(keras_home / "datasets") == []


def test_get_file_bad_arguments(keras_home):
    with pytest.raises(ValueError, match='specify the "origin"'):
        get_file("x")
    with pytest.raises(ValueError, match="Can't parse the file name"):
        get_file(origin="http://127.0.0.1:1/")
    with pytest.raises(ValueError, match="Paths are no longer accepted"):
        get_file("a/b", origin="http://127.0.0.1:1/b")


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2"])
def test_get_file_extracts_tar(local_http, keras_home, mode):
    url = local_http.put("arch.tar", _tar({"top/a.txt": b"A", "top/b/c.txt": b"C"}, mode))
    path = get_file(origin=url, extract=True)
    assert path == os.path.join(str(keras_home), "datasets", "arch.tar")
    assert _read(os.path.join(path, "top", "b", "c.txt")) == b"C"
    assert os.path.isfile(path + "_archive")
    # With a dotted fname the archive keeps its name and the folder gets "_extracted".
    path = get_file("named.tar.gz", url, extract=True)
    assert path == os.path.join(str(keras_home), "datasets", "named_extracted")
    assert os.path.isfile(os.path.join(str(keras_home), "datasets", "named.tar.gz"))
    assert get_file("plain", url, untar=True).endswith(os.path.join("datasets", "plain"))


def test_get_file_extracts_zip(local_http, keras_home):
    url = local_http.put("z.zip", _zip({"d/x.txt": b"X"}))
    path = get_file("z", url, extract=True, archive_format="zip")
    assert _read(os.path.join(path, "d", "x.txt")) == b"X"
    with pytest.warns(UserWarning, match="Could not extract archive"):
        get_file("z2", url, extract=True, archive_format="tar")


def test_get_file_untar_forces_tar(local_http, keras_home):
    url = local_http.put("z.zip", _zip({"x.txt": b"X"}))
    with pytest.warns(UserWarning, match="Could not extract"):
        get_file("zz", url, untar=True)


@pytest.mark.parametrize(
    "links, names",
    [
        ((), {"../escape.txt": b"E"}),
        ((), {"/abs/escape.txt": b"E"}),
        ((), {"ok/../../escape.txt": b"E"}),
        ((("ok/link", "../../outside", tarfile.SYMTYPE),), {}),
        ((("ok/link", "/etc/passwd", tarfile.SYMTYPE),), {}),
        ((("ok/hard", "../outside", tarfile.LNKTYPE),), {}),
        ((("fifo", "", tarfile.FIFOTYPE),), {}),
    ],
)
def test_get_file_refuses_escaping_tar_members(local_http, keras_home, links, names):
    members = {"ok/first.txt": b"1", **names}
    url = local_http.put("evil.tar.gz", _tar(members, links=links))
    with pytest.raises(
        ValueError, match=r"Refusing to extract archive .* unsafe .*Nothing was extracted"
    ):
        get_file("evil", url, extract=True)
    datasets = keras_home / "datasets"
    assert sorted(os.listdir(datasets)) == ["evil_archive"]
    assert not os.path.exists(keras_home / "escape.txt")


def test_get_file_refuses_escaping_zip_members(local_http, keras_home):
    url = local_http.put("evil.zip", _zip({"ok.txt": b"1", "../escape.txt": b"E"}))
    with pytest.raises(ValueError, match=r"member '\.\./escape\.txt' is unsafe"):
        get_file("evil", url, extract=True)
    assert sorted(os.listdir(keras_home / "datasets")) == ["evil_archive"]


def test_extract_archive_keeps_the_old_folder_on_refusal(tmp_path):
    good = tmp_path / "good.tar"
    good.write_bytes(_tar({"a.txt": b"A"}, "w"))
    bad = tmp_path / "bad.tar"
    bad.write_bytes(_tar({"a.txt": b"B", "../x": b"X"}, "w"))
    dest = tmp_path / "out"
    assert extract_archive(good, dest)
    with pytest.raises(ValueError, match="unsafe"):
        extract_archive(bad, dest)
    assert (dest / "a.txt").read_bytes() == b"A"
    assert sorted(os.listdir(tmp_path)) == ["bad.tar", "good.tar", "out"]
    assert extract_archive(good, dest, None) is False
    with pytest.raises(NotImplementedError, match="Unknown archive format 'rar'"):
        extract_archive(good, dest, "rar")


def test_get_file_symlink_inside_is_allowed(local_http, keras_home):
    url = local_http.put(
        "l.tar", _tar({"d/real.txt": b"R"}, "w", links=(("d/alias", "real.txt", tarfile.SYMTYPE),))
    )
    path = get_file("l", url, extract=True)
    assert _read(os.path.join(path, "d", "alias")) == b"R"


def test_get_file_removes_the_temp_file_of_a_killed_download(local_http, keras_home):
    import subprocess
    import sys

    from heft.saving._atomic import _owner

    # What a download killed outright leaves: its hidden temporary file, named
    # after a process that no longer runs.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = _owner().split("-")[0]
    datasets = keras_home / "datasets"
    datasets.mkdir()
    leftover = datasets / f".slow.bin.{host}-{dead.pid}-0123456789ab.tmp"
    leftover.write_bytes(b"half")
    url = local_http.put("slow.bin", b"s" * 1000)
    path = get_file(origin=url)
    assert os.listdir(datasets) == ["slow.bin"]
    assert _read(path) == b"s" * 1000


def test_get_file_stalled_download_in_progress_is_not_visible(local_http, keras_home):
    import threading

    url = local_http.put("slow.bin", b"s" * 10_000)
    local_http.stalled.add("slow.bin")
    errors = []
    thread = threading.Thread(target=lambda: errors.append(_try(url)), daemon=True)
    thread.start()
    datasets = keras_home / "datasets"
    for _ in range(200):
        if datasets.is_dir() and os.listdir(datasets):
            break
        thread.join(0.01)
    (name,) = os.listdir(datasets)
    assert name.startswith(".slow.bin.") and name.endswith(".tmp")
    local_http.release.set()
    thread.join(10)
    assert errors and "broke off" in errors[0]
    assert os.listdir(datasets) == []


def _try(url):
    try:
        get_file(origin=url)
    except Exception as err:
        return str(err)
    return ""
