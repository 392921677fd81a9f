"""The ``.keras`` zip archive: write it atomically, open it with every member checked."""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import shutil
import struct
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any, NamedTuple

import h5py

from . import _h5, _hdf5, _untrusted
from ._atomic import atomic_path, remove_temporary, temp_path
from ._format import Opened, WeightFormat
from ._store import SavedGroup, value_spec
from ._walk import walk

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS = "model.weights.h5"
_NPZ_WEIGHTS = "model.weights.npz"
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_CHUNK = 1 << 20

# There is no check of a member's declared size against its stored size. The
# ratio cannot tell a decompression bomb from a legitimate archive: a model of
# zeros compresses as well as a bomb (DEFLATE's limit, about 1032:1, for both),
# so a ratio above that limit stops nothing and one below it refuses real
# models. What bounds extraction instead are absolute sizes: a member is
# extracted only up to the size its header declares (more data is refused);
# that size must fit what the reader needs (``Limits.json_bytes`` for JSON,
# ``WeightsNeed`` for the weights); and all that one archive extracts must fit
# ``Limits.archive_bytes``.


class ArchiveNotFoundError(FileNotFoundError, ValueError):
    """A missing ``.keras`` file: a ``FileNotFoundError`` that is also Keras's ``ValueError``."""


# ------------------------------------------------------------------ writing


def write(
    filepath: str,
    overwrite: bool,
    metadata_json: str,
    config_json: str,
    groups: dict[str, SavedGroup],
    assets: Mapping[str, bytes] | None = None,
) -> None:
    """Write a ``.keras`` archive atomically: the JSON members, then ``model.weights.h5``.

    ``assets`` (member name -> content, names under ``assets/``) are written
    between the JSON members and the weights, as Keras writes its asset files.

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
                for name, data in (assets or {}).items():
                    zf.writestr(name, data)
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


# ------------------------------------------------------------------ what the weights may hold

# A weights member holds, besides the values, HDF5's superblock and a group or
# object header (with attributes) per layer and per value: heft and Keras
# write about 750 bytes per value. These allow several times that.
_HDF5_FIXED_BYTES = 1 << 20
_HDF5_BYTES_PER_VALUE = 4 << 10
# The most values the size of a trainable variable an optimizer saves for it:
# Adam, AdamW and Nadam with `amsgrad` keep three, `use_ema` adds a moving
# average and `gradient_accumulation_steps` an accumulator.
_OPTIMIZER_COPIES = 5
# The optimizer's other values (iteration, learning rate...), each a scalar.
_OPTIMIZER_SCALARS = 16


class WeightsNeed(NamedTuple):
    """The most bytes a weights member can hold for a given model, and how they were counted."""

    nbytes: int
    how: str


def weights_need(model: Any, optimizer_state: bool, whose: str) -> WeightsNeed:
    """The largest ``model.weights.h5`` that can hold ``model``'s saved values.

    Counted from the variables a save of ``model`` writes (the walk's), each
    at its dtype's size; plus, when ``optimizer_state`` (the config names an
    optimizer), ``_OPTIMIZER_COPIES`` values the size of each trainable
    variable; plus HDF5's structure (``_HDF5_FIXED_BYTES`` and
    ``_HDF5_BYTES_PER_VALUE`` per value). Values a layer's own
    ``save_own_variables`` adds beyond its variables are not counted.

    Args:
        model: The model the archive's weights are loaded into.
        optimizer_state: Whether the archive may hold an optimizer's values.
        whose: How messages name the model ("the model its config describes").
    """
    seen: set[int] = set()
    values = trainable = count = trainable_count = 0
    for entry in walk(model).values():
        for variable in entry.variables:
            if id(variable) in seen:
                continue
            seen.add(id(variable))
            dtype, shape = value_spec(variable)
            nbytes = math.prod(shape) * dtype.itemsize
            values += nbytes
            count += 1
            if getattr(variable, "trainable", False):
                trainable += nbytes
                trainable_count += 1
    how = f"{whose} has {count:,} variables of {values:,} bytes in all"
    if optimizer_state:
        values += _OPTIMIZER_COPIES * trainable
        count += _OPTIMIZER_COPIES * trainable_count + _OPTIMIZER_SCALARS
        how += (
            f"; an optimizer may add up to {_OPTIMIZER_COPIES} values the size of each of "
            f"its {trainable_count:,} trainable variables ({_OPTIMIZER_COPIES * trainable:,} bytes)"
        )
    overhead = _HDF5_FIXED_BYTES + _HDF5_BYTES_PER_VALUE * count
    how += f"; HDF5's structure is allowed {overhead:,} bytes"
    return WeightsNeed(values + overhead, how)


def saves_optimizer(config: Any) -> bool:
    """Whether an archive with this ``config.json`` may hold an optimizer's values."""
    compile_config = config.get("compile_config") if isinstance(config, Mapping) else None
    return isinstance(compile_config, Mapping) and bool(compile_config.get("optimizer"))


# ------------------------------------------------------------------ reading


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


class _Damaged(Exception):
    """A member's data is not what its header says (raised inside the reader, then worded)."""


def _inflate(window: _Window, declared: int) -> Iterator[bytes]:
    """The DEFLATE stream in ``window``, decompressed in pieces, and at most one byte past ``declared``.

    Stopping one byte past the declared size is enough for the caller to see
    that the header lies, whatever the stream would go on to produce.

    Raises:
        _Damaged: If the compressed data ends before the stream does.
        zlib.error: If the stream is not valid DEFLATE.
    """
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    room = declared + 1
    data = b""
    while not inflater.eof and room > 0:
        if not data:
            data = window.read(_CHUNK)
            if not data:
                raise _Damaged("is cut short: its data ends before its DEFLATE stream does")
        piece = inflater.decompress(data, min(_CHUNK, room))
        data = inflater.unconsumed_tail
        room -= len(piece)
        if piece:
            yield piece


class ArchiveReader:
    """An open ``.keras`` archive whose members were all checked before any is read.

    Use it as a context manager. Checks made on opening: the path is a
    regular file (a FIFO or a device is refused before any read) and a zip
    archive; no member has an absolute path, a ``..`` component or
    encryption; names are unique; every member's stored data fits in the
    file; ``config.json`` is present. Reading a member then never extracts
    more than its header declares, and all members extracted (decompressed,
    or read into memory) fit ``Limits.archive_bytes``.

    Raises:
        ArchiveNotFoundError: If the file does not exist.
        IsADirectoryError: If the path is a folder.
        OSError: If the path is a FIFO, a device or another special file.
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
        self._raw = _untrusted.open_regular(filepath, "a `.keras` archive")
        try:
            self._size = os.fstat(self._raw.fileno()).st_size
            self._limits = _untrusted.current()
            self._extracted = 0
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
        return None

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = self._members.get(name)
        if info is None:
            raise ValueError(
                f"The `.keras` archive '{self.filepath}' has no '{name}' member (it holds "
                f"{sorted(self._members)}). Save the model again with `model.save()`."
            )
        return info

    def _reserve(self, info: zipfile.ZipInfo) -> None:
        """Count ``info``'s declared size against ``Limits.archive_bytes`` before extracting it."""
        total = self._extracted + info.file_size
        limit = self._limits.archive_bytes
        if total > limit:
            raise _untrusted.too_large(
                f"member '{info.filename}' (with the members extracted before it)",
                self.filepath,
                total,
                limit,
                "archive_bytes",
            )
        self._extracted = total

    def _extract(self, info: zipfile.ZipInfo, sink: Callable[[bytes], Any]) -> None:
        """Hand ``info``'s data to ``sink`` in pieces, checked against its header.

        Never more than the declared size is produced: a stream that would go
        on is refused as soon as it passes it. The data must also end exactly
        there and match the CRC-32. ``_reserve`` must have counted it.

        Raises:
            ValueError: If the data does not match the header, or cannot be read
                or decompressed.
            OSError: If ``sink`` fails (a full temporary folder).
        """
        name = info.filename
        try:
            with contextlib.ExitStack() as stack:
                pieces: Iterator[bytes]
                if info.compress_type == zipfile.ZIP_STORED:
                    window = _Window(self._raw, self._data_offset(info), info.file_size)
                    pieces = iter(lambda: window.read(_CHUNK), b"")
                elif info.compress_type == zipfile.ZIP_DEFLATED:
                    window = _Window(self._raw, self._data_offset(info), info.compress_size)
                    pieces = _inflate(window, info.file_size)
                else:
                    # Other methods (bzip2, LZMA) are decompressed by zipfile, whose
                    # reader stops at the declared size too; _check_pieces checks it.
                    source = stack.enter_context(self._zip.open(info))
                    pieces = iter(lambda: source.read(_CHUNK), b"")
                _check_pieces(info, pieces, sink)
        except _SinkFailed as failed:
            err = failed.error
            raise OSError(
                err.errno,
                f"Cannot extract member '{name}' of the `.keras` archive '{self.filepath}' to "
                f"a temporary file in '{tempfile.gettempdir()}' ({err.strerror or err}). Free "
                "some space there, or point the TMPDIR environment variable at a folder "
                "with room.",
            ) from None
        except _Damaged as damage:
            raise ValueError(
                f"The `.keras` archive '{self.filepath}' is corrupted: member '{name}' {damage}. "
                "Save the model again or copy the file again from its source."
            ) from None
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as err:
            action = "read" if info.compress_type == zipfile.ZIP_STORED else "decompressed"
            raise ValueError(
                f"The `.keras` archive '{self.filepath}' is corrupted: member '{name}' cannot "
                f"be {action} ({err}). Save the model again or copy the file again."
            ) from None

    def read_json(self, name: str) -> Any:
        """Read and parse the JSON member ``name`` within ``Limits``' JSON limits.

        Raises:
            ValueError: If it is missing, over a limit, damaged or not valid JSON.
        """
        info = self._info(name)
        limit = self._limits.json_bytes
        if info.file_size > limit:
            raise _untrusted.too_large(
                f"member '{name}'", self.filepath, info.file_size, limit, "json_bytes"
            )
        self._reserve(info)
        data = bytearray()
        self._extract(info, data.extend)

        def damaged(problem: str) -> ValueError:
            return ValueError(
                f"Member '{name}' of the `.keras` archive '{self.filepath}' {problem}. The "
                "file is damaged; save the model again."
            )

        return _untrusted.parse_json(bytes(data), f"member '{name}'", self.filepath, damaged)

    def member_names(self) -> list[str]:
        """The names of the archive's members, in the order they are stored."""
        return list(self._members)

    def read_bytes(self, name: str) -> bytes:
        """The content of member ``name`` (an asset file), within ``Limits.json_bytes``.

        Raises:
            ValueError: If it is missing, over the limit or damaged.
        """
        info = self._info(name)
        limit = self._limits.json_bytes
        if info.file_size > limit:
            raise _untrusted.too_large(
                f"member '{name}'", self.filepath, info.file_size, limit, "json_bytes"
            )
        self._reserve(info)
        data = bytearray()
        self._extract(info, data.extend)
        return bytes(data)

    @property
    def weights_label(self) -> str:
        """How messages name the weights member: ``<archive>/model.weights.h5``."""
        return f"{self.filepath}/{WEIGHTS}"

    def weights_member(self) -> zipfile.ZipInfo:
        """The header of ``model.weights.h5``.

        Raises:
            ValueError: If the archive has no such member.
        """
        if WEIGHTS not in self._members and _NPZ_WEIGHTS in self._members:
            raise ValueError(
                f"The `.keras` archive '{self.filepath}' stores its weights as "
                f"'{_NPZ_WEIGHTS}', which heft does not read. Re-save the model in Keras "
                "with the default weights format (`model.weights.h5`)."
            )
        return self._info(WEIGHTS)

    @contextlib.contextmanager
    def weights(self, need: WeightsNeed | None) -> Iterator[h5py.File]:
        """Open ``model.weights.h5`` read-only, without extracting it when it is stored.

        An uncompressed member (what Keras and heft write) is read in place
        through a window on the archive, after its CRC-32 is checked. A
        compressed one is extracted to an unnamed temporary file (removed by
        the system even if the process is killed), but only if its declared
        size fits ``need`` (what the model it is loaded into can use; ``None``
        skips that check) and ``Limits.archive_bytes``: both are checked
        before anything is extracted, so a decompression bomb costs nothing.

        Raises:
            ValueError: If the member is missing, larger than ``need`` or the
                limit, damaged, or not an HDF5 file.
            OSError: If the temporary folder has no room for the weights.
        """
        info = self.weights_member()
        with contextlib.ExitStack() as stack:
            source: IO[bytes] | _Window
            if info.compress_type == zipfile.ZIP_STORED:
                source = _Window(self._raw, self._data_offset(info), info.file_size)
                self._check_crc(source, info)
                source.seek(0)
            else:
                if need is not None and info.file_size > need.nbytes:
                    raise ValueError(
                        f"Refusing to extract member '{WEIGHTS}' of the `.keras` archive "
                        f"'{self.filepath}': it declares {info.file_size:,} bytes "
                        f"({info.compress_size:,} compressed), but at most {need.nbytes:,} "
                        f"can hold the weights ({need.how}). The archive is damaged or was "
                        "crafted (a decompression bomb); `model.save()` never writes one so. "
                        "If you trust it, store its weights uncompressed (e.g. `zip -0`): "
                        "heft reads those in place, without extracting them."
                    )
                self._reserve(info)
                temporary = stack.enter_context(tempfile.TemporaryFile(prefix="heft-archive-"))
                self._extract(info, temporary.write)
                temporary.seek(0)
                source = temporary
            try:
                f = stack.enter_context(h5py.File(source, "r"))
            except (OSError, RuntimeError, ValueError) as err:
                raise ValueError(
                    f"Member '{WEIGHTS}' of the `.keras` archive '{self.filepath}' is not a "
                    f"readable HDF5 file ({err}). The archive is damaged; save the model again."
                ) from None
            _hdf5._bound_metadata_cache(f)
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
        local_name = self._raw.read(name_length)
        # zipfile decoded the central directory's name this way; encoding it back
        # gives the bytes a consistent local header holds.
        encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
        if local_name != info.orig_filename.encode(encoding, "replace"):
            raise ValueError(
                f"The `.keras` archive '{self.filepath}' is corrupted: member "
                f"'{info.filename}' is named {local_name!r} in its local header. Save the "
                "model again."
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


def _check_pieces(
    info: zipfile.ZipInfo, pieces: Iterator[bytes], sink: Callable[[bytes], Any]
) -> None:
    """Pass ``pieces`` to ``sink`` while they stay within, then match, ``info``'s header.

    Raises:
        _Damaged: As soon as the data passes the declared size; or, at its end,
            if it is shorter or fails the CRC-32 check.
        _SinkFailed: If ``sink`` raises ``OSError``.
    """
    declared = info.file_size
    total = crc = 0
    for piece in pieces:
        total += len(piece)
        if total > declared:
            raise _Damaged(f"goes on past the {declared:,} bytes its header declares")
        crc = zlib.crc32(piece, crc)
        try:
            sink(piece)
        except OSError as err:
            raise _SinkFailed(err) from None
    if total < declared:
        raise _Damaged(f"holds {total:,} bytes, not the {declared:,} its header declares")
    if crc != info.CRC:
        raise _Damaged("fails its CRC-32 check")


class _SinkFailed(Exception):
    """Where an extracted member goes failed (a full disk): not the archive's fault."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


@contextlib.contextmanager
def open_weights(filepath: str) -> Iterator[Opened]:
    """Open the weights of the ``.keras`` archive ``filepath``, read in place.

    Compressed weights are extracted within ``Limits.archive_bytes`` only;
    :func:`open_weights_for` also bounds them by what a model needs.
    """
    with ArchiveReader(filepath) as archive, archive.weights(None) as f:
        yield _h5.opened(f, archive.weights_label)


@contextlib.contextmanager
def open_weights_for(filepath: str, model: Any) -> Iterator[Opened]:
    """Open the weights of ``filepath`` to load them into ``model``.

    Compressed weights are extracted only if their declared size fits what
    ``model`` can use (see :func:`weights_need`; the optimizer's values count
    when ``config.json`` names an optimizer).
    """
    with ArchiveReader(filepath) as archive:
        need = None
        if archive.weights_member().compress_type != zipfile.ZIP_STORED:
            optimizer_state = saves_optimizer(archive.read_json(CONFIG))
            need = weights_need(model, optimizer_state, "the model being loaded")
        with archive.weights(need) as f:
            yield _h5.opened(f, archive.weights_label)


WEIGHTS_FORMAT: WeightFormat = WeightFormat(
    name="keras",
    suffixes=(".keras",),
    description="the weights part of a whole-model archive, which `model.save()` writes",
    open=open_weights,
    open_for_model=open_weights_for,
)
