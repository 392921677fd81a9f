"""The ``.keras`` zip archive: write it atomically, open it with every member checked."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import struct
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

import h5py

from . import _h5
from ._atomic import atomic_path, remove_temporary, temp_path
from ._format import Opened, WeightFormat
from ._store import SavedGroup

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS = "model.weights.h5"
_NPZ_WEIGHTS = "model.weights.npz"
# JSON members are read into memory: refuse ones declaring more than this.
_MAX_JSON_BYTES = 256 << 20
# DEFLATE cannot expand data more than about 1032 times.
_MAX_EXPANSION = 1100
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_CHUNK = 1 << 20


class ArchiveNotFoundError(FileNotFoundError, ValueError):
    """A missing ``.keras`` file: a ``FileNotFoundError`` that is also Keras's ``ValueError``."""


def write(
    filepath: str,
    overwrite: bool,
    metadata_json: str,
    config_json: str,
    groups: dict[str, SavedGroup],
) -> None:
    """Write a ``.keras`` archive atomically: the JSON members, then ``model.weights.h5``.

    The weights are written to a second temporary file next to the target
    (named like the archive's own, so that the next save removes both if this
    process is killed) and copied into the zip, whose members are stored
    uncompressed, in the order Keras writes them. On any failure the target
    is left untouched and both temporary files are removed.
    """
    with atomic_path(filepath, overwrite) as tmp:
        remove_legacy_folders(os.path.dirname(os.path.abspath(filepath)))
        weights = temp_path(filepath)
        try:
            with h5py.File(weights, "w") as f:
                _h5.write_groups(f, groups)
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
                zf.writestr(METADATA, metadata_json)
                zf.writestr(CONFIG, config_json)
                _add_file(zf, weights, WEIGHTS)
        finally:
            remove_temporary(weights)


# heft before this version wrote the weights into a folder named so
# (``tempfile``'s 8 random characters), which a killed save left behind.
_LEGACY_FOLDER = re.compile(r"\.heft-archive-[a-z0-9_]{8}")
# Those names say nothing of the process, so age tells a leftover from a save
# in progress: a save writes its folder's file continuously, and never pauses a day.
_LEGACY_AGE_S = 24 * 3600


def remove_legacy_folders(folder: str) -> list[str]:
    """Remove the ``.heft-archive-*`` folders that killed saves of older heft versions left.

    Only folders named so, holding nothing but a ``model.weights.h5`` file,
    and unchanged (the folder and its file) for a day are removed. Failures
    are ignored: cleaning up never stops a save. Returns the folders removed.
    """
    now = time.time()
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    removed = []
    for name in names:
        path = os.path.join(folder, name)
        if not _LEGACY_FOLDER.fullmatch(name):
            continue
        try:
            inside = os.listdir(path)
            if not set(inside) <= {WEIGHTS}:
                continue
            changed = max(
                os.stat(p).st_mtime for p in [path, *(os.path.join(path, n) for n in inside)]
            )
            if now - changed < _LEGACY_AGE_S:
                continue
            shutil.rmtree(path)
        except OSError:
            continue
        removed.append(path)
    return removed


# The weights are copied into the zip in pieces of this size, far larger than
# the 8 KiB pieces of ``ZipFile.write``, whose per-piece cost dominates a large copy.
_COPY_BYTES = 16 << 20


def _add_file(zf: zipfile.ZipFile, path: str, name: str) -> None:
    """Store the file at ``path`` in ``zf`` as member ``name``, as ``ZipFile.write`` would."""
    info = zipfile.ZipInfo.from_file(path, name)
    info.compress_type = zipfile.ZIP_STORED
    with open(path, "rb") as src, zf.open(info, "w") as dest:
        while chunk := src.read(_COPY_BYTES):
            dest.write(chunk)


class _Window(io.RawIOBase):
    """A read-only, seekable view of ``size`` bytes of ``raw`` starting at ``start``."""

    def __init__(self, raw: Any, start: int, size: int) -> None:
        super().__init__()
        self._raw, self._start, self._size, self._pos = raw, start, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        n = max(0, min(len(view), self._size - self._pos))
        if n == 0:
            return 0
        self._raw.seek(self._start + self._pos)
        got = self._raw.readinto(view[:n])
        self._pos += got
        return got


def _describe_member_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return f"member '{name}' has an absolute path"
    if ".." in parts:
        return f"member '{name}' climbs out of the archive with '..'"
    if info.flag_bits & 0x1:
        return f"member '{name}' is encrypted"
    return None


class ArchiveReader:
    """An open ``.keras`` archive whose members were all checked before any is read.

    Use it as a context manager. Checks made on opening: the file exists and
    is a zip archive; no member has an absolute path, a ``..`` component or
    encryption; names are unique; every member's declared size fits
    in the file; ``config.json`` is present.

    Raises:
        ArchiveNotFoundError: If the file does not exist.
        IsADirectoryError: If the path is a folder.
        ValueError: If the file is not a zip archive, is truncated or corrupted,
            or has an unsafe or missing member.
    """

    def __init__(self, filepath: str) -> None:
        self.filepath = filepath
        if not os.path.exists(filepath):
            raise ArchiveNotFoundError(
                f"File not found: filepath={filepath}. Please ensure the file is an "
                f"accessible `.keras` zip file (relative paths start from the working "
                f"folder {os.getcwd()!r})."
            )
        if os.path.isdir(filepath):
            raise IsADirectoryError(
                f"'{filepath}' is a folder, not a `.keras` archive. Pass the path of a file "
                "written by `model.save('name.keras')`."
            )
        self._raw = open(filepath, "rb")
        try:
            self._size = os.fstat(self._raw.fileno()).st_size
            self._zip = self._open_zip()
            self._members = self._check_members()
        except BaseException:
            self._raw.close()
            raise

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()
        self._raw.close()

    def _open_zip(self) -> zipfile.ZipFile:
        head = self._raw.read(8)
        self._raw.seek(0)
        try:
            return zipfile.ZipFile(self._raw, "r")
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as err:
            if head.startswith(_LOCAL_SIGNATURE):
                raise ValueError(
                    f"The `.keras` archive '{self.filepath}' is truncated or corrupted: its "
                    f"zip directory cannot be read ({err}). Save the model again or copy the "
                    "file again from its source."
                ) from None
            hint = ""
            if head == _HDF5_SIGNATURE:
                hint = (
                    " It is an HDF5 file: if it holds weights, rename it to end in "
                    "`.weights.h5` (or `.h5` for the legacy Keras 2 layout) and load it "
                    "with `model.load_weights()`."
                )
            raise ValueError(
                f"'{self.filepath}' has the `.keras` suffix but is not a zip archive, so it "
                f"is not a `.keras` model file (it is empty, in another format, or "
                f"damaged).{hint}"
            ) from None

    def _check_members(self) -> dict[str, zipfile.ZipInfo]:
        members: dict[str, zipfile.ZipInfo] = {}
        for info in self._zip.infolist():
            problem = _describe_member_problem(info)
            if problem is None and info.filename in members:
                problem = f"member '{info.filename}' appears twice"
            if problem is None:
                problem = self._size_problem(info)
            if problem is not None:
                raise ValueError(
                    f"Refusing to read the `.keras` archive '{self.filepath}': {problem}. "
                    "Archives written by `model.save()` never have such members; the file "
                    "is damaged or was crafted. Only load archives you trust."
                )
            members[info.filename] = info
        if CONFIG not in members:
            raise ValueError(
                f"The `.keras` archive '{self.filepath}' has no '{CONFIG}' member (it holds "
                f"{sorted(members)}), so the model cannot be rebuilt. Save the model again "
                "with `model.save()`."
            )
        return members

    def _size_problem(self, info: zipfile.ZipInfo) -> str | None:
        name, stored, declared = info.filename, info.compress_size, info.file_size
        if info.header_offset + stored > self._size:
            return (
                f"member '{name}' declares {stored} stored bytes at offset "
                f"{info.header_offset}, beyond the end of the {self._size}-byte file "
                "(the archive is truncated)"
            )
        if info.compress_type == zipfile.ZIP_STORED and declared != stored:
            return f"uncompressed member '{name}' declares {declared} bytes but stores {stored}"
        if declared > _MAX_EXPANSION * stored + 1024:
            return (
                f"member '{name}' declares {declared} bytes but stores only {stored} "
                "(a decompression bomb)"
            )
        return None

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = self._members.get(name)
        if info is None:
            raise ValueError(
                f"The `.keras` archive '{self.filepath}' has no '{name}' member (it holds "
                f"{sorted(self._members)}). Save the model again with `model.save()`."
            )
        return info

    def read_json(self, name: str) -> Any:
        """Read and parse the JSON member ``name``.

        Raises:
            ValueError: If it is missing, too large, damaged or not valid JSON.
        """
        info = self._info(name)
        if info.file_size > _MAX_JSON_BYTES:
            raise ValueError(
                f"Refusing to read '{name}' of the `.keras` archive '{self.filepath}': it "
                f"declares {info.file_size} bytes, more than the {_MAX_JSON_BYTES}-byte "
                "limit for a config. The file is damaged or was crafted."
            )
        try:
            with self._zip.open(info) as f:
                data = f.read(_MAX_JSON_BYTES + 1)
            return json.loads(data.decode("utf8"))
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as err:
            raise ValueError(
                f"The `.keras` archive '{self.filepath}' is corrupted: member '{name}' cannot "
                f"be read ({err}). Save the model again or copy the file again."
            ) from None
        except (UnicodeDecodeError, ValueError, RecursionError) as err:
            raise ValueError(
                f"Member '{name}' of the `.keras` archive '{self.filepath}' is not valid "
                f"JSON ({err}). The file is damaged; save the model again."
            ) from None

    @property
    def weights_label(self) -> str:
        """How messages name the weights member: ``<archive>/model.weights.h5``."""
        return f"{self.filepath}/{WEIGHTS}"

    @contextlib.contextmanager
    def weights(self) -> Iterator[h5py.File]:
        """Open ``model.weights.h5`` read-only, without extracting it when it is stored.

        An uncompressed member (what Keras and heft write) is read in place
        through a window on the archive, after its CRC-32 is checked; a
        compressed one is decompressed into a private temporary folder.

        Raises:
            ValueError: If the member is missing, damaged, or not an HDF5 file.
        """
        if WEIGHTS not in self._members and _NPZ_WEIGHTS in self._members:
            raise ValueError(
                f"The `.keras` archive '{self.filepath}' stores its weights as "
                f"'{_NPZ_WEIGHTS}', which heft does not read. Re-save the model in Keras "
                "with the default weights format (`model.weights.h5`)."
            )
        info = self._info(WEIGHTS)
        with contextlib.ExitStack() as stack:
            if info.compress_type == zipfile.ZIP_STORED:
                source: Any = _Window(self._raw, self._data_offset(info), info.file_size)
                self._check_crc(source, info)
                source.seek(0)
            else:
                work = stack.enter_context(tempfile.TemporaryDirectory(prefix="heft-archive-"))
                source = os.path.join(work, WEIGHTS)
                self._extract(info, source)
            try:
                f = stack.enter_context(h5py.File(source, "r"))
            except (OSError, RuntimeError, ValueError) as err:
                raise ValueError(
                    f"Member '{WEIGHTS}' of the `.keras` archive '{self.filepath}' is not a "
                    f"readable HDF5 file ({err}). The archive is damaged; save the model again."
                ) from None
            yield f

    def _data_offset(self, info: zipfile.ZipInfo) -> int:
        self._raw.seek(info.header_offset)
        header = self._raw.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size or header[:4] != _LOCAL_SIGNATURE:
            raise ValueError(
                f"The `.keras` archive '{self.filepath}' is corrupted: the local header of "
                f"member '{info.filename}' is missing. Save the model again."
            )
        name_length, extra_length = _LOCAL_HEADER.unpack(header)[-2:]
        start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
        if start + info.compress_size > self._size:
            raise ValueError(
                f"The `.keras` archive '{self.filepath}' is truncated: member "
                f"'{info.filename}' ends past the end of the file. Save the model again."
            )
        return start

    def _check_crc(self, source: _Window, info: zipfile.ZipInfo) -> None:
        crc = 0
        buffer = bytearray(_CHUNK)
        while n := source.readinto(buffer):
            crc = zlib.crc32(memoryview(buffer)[:n], crc)
        if crc != info.CRC:
            raise ValueError(
                f"The `.keras` archive '{self.filepath}' is corrupted: member "
                f"'{info.filename}' fails its CRC-32 check. Save the model again or copy the "
                "file again from its source."
            )

    def _extract(self, info: zipfile.ZipInfo, target: str) -> None:
        written = 0
        try:
            with self._zip.open(info) as src, open(target, "wb") as dst:
                while chunk := src.read(_CHUNK):
                    written += len(chunk)
                    if written > info.file_size:
                        raise zipfile.BadZipFile("more data than the declared size")
                    dst.write(chunk)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as err:
            raise ValueError(
                f"The `.keras` archive '{self.filepath}' is corrupted: member "
                f"'{info.filename}' cannot be decompressed ({err}). Save the model again."
            ) from None


@contextlib.contextmanager
def open_weights(filepath: str) -> Iterator[Opened]:
    """Open the weights of the ``.keras`` archive ``filepath`` for loading, read in place."""
    with ArchiveReader(filepath) as archive, archive.weights() as f:
        yield _h5.opened(f, archive.weights_label)


WEIGHTS_FORMAT: WeightFormat = WeightFormat(
    name="keras",
    suffixes=(".keras",),
    description="the weights part of a whole-model archive, which `model.save()` writes",
    open=open_weights,
)
