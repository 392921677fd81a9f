"""``get_file``: download a file once into the Keras cache, check its hash, extract archives."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
from typing import Any

from ..saving._atomic import fsync_file, remove_stale_temps, remove_temporary, temp_path
from ._archives import extract_archive

_CHUNK = 1 << 16


def keras_home() -> str:
    """The cache root: ``$KERAS_HOME`` when set, else ``~/.keras`` (``/tmp/.keras`` if home is read-only).

    The variable is read at each call, so a process may point it elsewhere
    after importing heft.
    """
    if "KERAS_HOME" in os.environ:
        return os.environ["KERAS_HOME"]
    base = os.path.expanduser("~")
    if not os.access(base, os.W_OK):
        base = "/tmp"
    return os.path.join(base, ".keras")


def _hasher(algorithm: str, file_hash: str | None = None) -> Any:
    """``sha256`` when asked, or for ``"auto"`` with a 64-digit hash; ``md5`` otherwise."""
    if algorithm == "sha256":
        return hashlib.sha256()
    if algorithm == "auto" and file_hash is not None and len(file_hash) == 64:
        return hashlib.sha256()
    return hashlib.md5()


def hash_file(fpath: str, algorithm: str = "sha256", chunk_size: int = 65535) -> str:
    """The hex digest of the file at ``fpath`` (``"sha256"``, ``"md5"``, or ``"auto"``: sha256).

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "empty")
    >>> open(path, "wb").close()
    >>> hash_file(path)
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    """
    hasher = _hasher(algorithm)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return str(hasher.hexdigest())


def validate_file(
    fpath: str, file_hash: str, algorithm: str = "auto", chunk_size: int = 65535
) -> bool:
    """Whether the file at ``fpath`` has the hash ``file_hash`` (algorithm as :func:`get_file`)."""
    hasher = _hasher(algorithm, file_hash)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return str(hasher.hexdigest()) == str(file_hash)


def _algorithm_name(algorithm: str, file_hash: str) -> str:
    return str(_hasher(algorithm, file_hash).name)


def _download(origin: str, target: str, file_hash: str | None, hash_algorithm: str) -> None:
    """Fetch ``origin`` into ``target`` through a temporary file in the same folder.

    The data goes to a hidden temporary name, is fsynced and its hash checked,
    and only then renamed over ``target``; on any failure (network error,
    hash mismatch, interruption) the temporary file is removed and ``target``
    is left as it was.
    """
    print(f"Downloading data from {origin}")
    # A download killed outright (SIGKILL, power loss) leaves its hidden
    # temporary file behind; the next download of the same file removes it.
    remove_stale_temps(target)
    tmp = temp_path(target)
    try:
        try:
            with urllib.request.urlopen(origin) as response, open(tmp, "wb") as out:
                expected = response.headers.get("Content-Length")
                received = 0
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    received += len(chunk)
            if expected is not None and received < int(expected):
                raise http.client.IncompleteRead(b"", int(expected) - received)
        except urllib.error.HTTPError as e:
            raise DownloadError(
                f"URL fetch failure on {origin}: {e.code} -- {e.msg}. Check the address, "
                "or download the file yourself and put it in the cache."
            ) from e
        except urllib.error.URLError as e:
            raise DownloadError(
                f"URL fetch failure on {origin}: {e.errno} -- {e.reason}. Check the address "
                "and the network connection, or download the file yourself and put it in "
                "the cache."
            ) from e
        except (http.client.HTTPException, ConnectionError, TimeoutError) as e:
            raise DownloadError(
                f"The download from {origin} broke off ({type(e).__name__}: {e}); nothing was "
                "kept. Try again, or download the file yourself and put it in the cache."
            ) from e
        fsync_file(tmp)
        if file_hash is not None and not validate_file(tmp, file_hash, hash_algorithm):
            actual = hash_file(tmp, _algorithm_name(hash_algorithm, file_hash))
            raise ValueError(
                f"Incomplete or corrupted file detected. The "
                f"{_algorithm_name(hash_algorithm, file_hash)} file hash of the download from "
                f"{origin} is {actual}, which does not match the provided value of {file_hash}. "
                "The download was discarded and the cache left as it was: check `file_hash` "
                "and `origin`, then try again."
            )
        os.replace(tmp, target)
    except BaseException:
        remove_temporary(tmp)
        raise


class DownloadError(Exception):
    """A download that failed at the network (Keras raises a plain ``Exception`` there)."""


def get_file(
    fname: str | os.PathLike[str] | None = None,
    origin: str | None = None,
    untar: bool = False,
    md5_hash: str | None = None,
    file_hash: str | None = None,
    cache_subdir: str = "datasets",
    hash_algorithm: str = "auto",
    extract: bool = False,
    archive_format: str | list[str] | None = "auto",
    cache_dir: str | os.PathLike[str] | None = None,
    force_download: bool = False,
) -> str:
    """Download ``origin`` into the cache unless it is already there, and return its path.

    The file goes to ``<cache_dir>/<cache_subdir>/<fname>``; ``cache_dir``
    defaults to ``$KERAS_HOME`` or ``~/.keras``, and is created if missing
    (``/tmp/.keras`` is used where it cannot be created or written); an
    absolute ``cache_subdir`` is used as is. A cached
    file is reused when it matches ``file_hash`` (or when no hash is given);
    otherwise it is downloaded again.

    Downloads are written to a temporary file beside the target, fsynced and
    checked against ``file_hash`` before they are renamed into place: an
    interrupted download or one with the wrong hash leaves no partial file and
    the cache as it was (an older file stays); the hidden temporary file of a
    process killed outright is removed by the next download of that file. The hash is sha256 or md5;
    ``hash_algorithm="auto"`` takes sha256 for a 64-digit hash and md5 else.

    With ``extract=True`` (or the older ``untar=True``, tar only) the
    download is a tar (plain, gz, bz2, xz) or zip archive, extracted into a
    folder whose path is returned, named as Keras names it: ``fname`` without
    its extension plus ``_extracted`` when ``fname`` has a dot (the archive
    is kept as ``fname``), or ``fname`` itself (the archive kept as
    ``<fname>_archive``). Every member is checked before anything is written:
    an absolute path, a ``..`` that leaves the folder, or a link pointing
    outside it makes the whole archive refused. The archive is extracted
    into a temporary folder that replaces the old one only when complete.
    Unlike Keras, an archive that was already cached and extracted is not
    extracted again.

    Args:
        fname: Name of the file in the cache; defaults to the last part of
            ``origin``'s path. Not a path: use ``cache_dir`` for the folder.
        origin: URL of the file.
        untar: Deprecated; ``extract=True`` for a tar archive.
        md5_hash: Deprecated; an md5 ``file_hash``.
        file_hash: Expected sha256 or md5 hex digest of the file.
        cache_subdir: Folder under the cache root.
        hash_algorithm: ``"auto"``, ``"sha256"`` or ``"md5"``.
        extract: Whether to extract the archive.
        archive_format: ``"auto"`` (tar, then zip), ``"tar"``, ``"zip"``, a
            list of these, or ``None`` (no extraction).
        cache_dir: Cache root instead of ``$KERAS_HOME`` / ``~/.keras``.
        force_download: Download even if the file is in the cache.

    Returns:
        The path of the downloaded file, or of the extraction folder.

    Raises:
        ValueError: If ``origin`` is missing, no file name can be found,
            ``fname`` contains a path separator, the download's hash differs
            from ``file_hash``, or an archive member escapes its folder.
        DownloadError: If the download fails (an ``Exception``, as Keras's).

    >>> import os, pathlib, tempfile
    >>> source = pathlib.Path(tempfile.mkdtemp()) / "hello.txt"
    >>> _ = source.write_text("hi")
    >>> path = get_file(origin=source.as_uri(), cache_dir=tempfile.mkdtemp())  # doctest: +ELLIPSIS
    Downloading data from file://...
    >>> pathlib.Path(path).read_text(), os.path.basename(path)
    ('hi', 'hello.txt')
    """
    if origin is None:
        raise ValueError(
            'Please specify the "origin" argument (URL of the file to download), '
            "e.g. get_file(origin='https://example.com/data.zip')."
        )
    if cache_dir is None:
        cache_dir = keras_home()
    if md5_hash is not None and file_hash is None:
        file_hash = md5_hash
        hash_algorithm = "md5"
    if hash_algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(
            f"`hash_algorithm` must be 'auto', 'sha256' or 'md5'. Received: "
            f"hash_algorithm={hash_algorithm!r}"
        )
    datadir_base = os.path.expanduser(os.fspath(cache_dir))
    with contextlib.suppress(OSError):
        os.makedirs(datadir_base, exist_ok=True)
    if not os.access(datadir_base, os.W_OK):
        datadir_base = os.path.join(
            "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras"
        )
    datadir = os.path.join(datadir_base, cache_subdir)
    os.makedirs(datadir, exist_ok=True)

    provided_fname = fname
    name = os.fspath(fname) if fname is not None else ""
    if not name:
        name = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not name:
            raise ValueError(
                f"Can't parse the file name from the origin provided: '{origin}'. "
                "Please specify the `fname` argument."
            )
    elif os.sep in name:
        raise ValueError(
            "Paths are no longer accepted as the `fname` argument. To specify the file's "
            f"parent directory, use the `cache_dir` argument. Received: fname={name}"
        )

    extraction_dir = None
    if extract or untar:
        if provided_fname and "." in name:
            download_target = os.path.join(datadir, name)
            extraction_dir = os.path.join(datadir, f"{name[: name.find('.')]}_extracted")
        else:
            extraction_dir = os.path.join(datadir, name)
            download_target = os.path.join(datadir, f"{name}_archive")
    else:
        download_target = os.path.join(datadir, name)

    if force_download or not os.path.exists(download_target):
        download = True
    elif file_hash is not None and not validate_file(download_target, file_hash, hash_algorithm):
        print(
            "A local file was found, but it seems to be incomplete or outdated because the "
            f"{_algorithm_name(hash_algorithm, file_hash)} file hash does not match the "
            f"original value of {file_hash} so we will re-download the data."
        )
        download = True
    else:
        download = False
    if download:
        _download(origin, download_target, file_hash, hash_algorithm)

    if extraction_dir is None:
        return download_target
    if download or not os.path.isdir(extraction_dir):
        if not extract_archive(download_target, extraction_dir, "tar" if untar else archive_format):
            warnings.warn(
                f"Could not extract archive '{download_target}': it is not a "
                f"{archive_format} archive. Pass the right `archive_format`, or "
                "`extract=False` to keep the file as it is.",
                stacklevel=2,
            )
    return extraction_dir
