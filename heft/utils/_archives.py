"""Extract tar and zip archives whole, refusing any member that would land outside the folder."""

from __future__ import annotations

import contextlib
import os
import shutil
import tarfile
import tempfile
import zipfile


def _inside(base: str, relative: str) -> bool:
    """Whether ``base/relative`` (resolved lexically and through existing links) stays in ``base``."""
    if os.path.isabs(relative) or relative.startswith(("/", "\\")):
        return False
    path = os.path.realpath(os.path.join(base, relative))
    try:
        return os.path.commonpath([path, base]) == base
    except ValueError:
        return False


def _tar_problem(member: tarfile.TarInfo, base: str) -> str | None:
    """Why ``member`` may not be extracted into ``base``, or ``None`` when it may."""
    if not _inside(base, member.name):
        return "its path leaves the folder"
    if member.issym():
        target = os.path.join(os.path.dirname(member.name), member.linkname)
        if os.path.isabs(member.linkname) or not _inside(base, target):
            return f"it is a symbolic link to '{member.linkname}', outside the folder"
    elif member.islnk():
        if not _inside(base, member.linkname):
            return f"it is a hard link to '{member.linkname}', outside the folder"
    elif not (member.isfile() or member.isdir()):
        return "it is a device file or a FIFO"
    return None


def _refuse(archive: str, name: str, why: str) -> ValueError:
    return ValueError(
        f"Refusing to extract archive '{archive}': member '{name}' is unsafe ({why}). "
        "Nothing was extracted. The archive may be corrupted or malicious: check where it "
        "came from."
    )


def _extract_tar(file_path: str, dest: str) -> None:
    with tarfile.open(file_path) as archive:
        members = archive.getmembers()
        for member in members:
            why = _tar_problem(member, dest)
            if why is not None:
                raise _refuse(file_path, member.name, why)
        # The "data" filter checks every member again while writing (paths,
        # links, modes), so a link made by one member cannot redirect another.
        if hasattr(tarfile, "data_filter"):
            archive.extractall(dest, members=members, filter="data")
        else:  # Python < 3.11.4: the checks above are the only ones
            archive.extractall(dest, members=members)


def _extract_zip(file_path: str, dest: str) -> None:
    with zipfile.ZipFile(file_path) as archive:
        infos = archive.infolist()
        for info in infos:
            if not _inside(dest, info.filename):
                raise _refuse(file_path, info.filename, "its path leaves the folder")
        archive.extractall(dest, members=infos)


def extract_archive(
    file_path: str | os.PathLike[str],
    path: str | os.PathLike[str] = ".",
    archive_format: str | list[str] | None = "auto",
) -> bool:
    """Extract the tar or zip archive ``file_path`` into the folder ``path``.

    Every member is checked before anything is written; one whose path is
    absolute, leaves the folder through ``..``, or that links (symbolic or
    hard) outside it, or a device file, makes the whole archive refused. The
    members go to a temporary folder beside ``path`` that replaces ``path``
    only when all are written, so a failure leaves ``path`` as it was.

    Args:
        file_path: The archive.
        path: The folder to extract into.
        archive_format: ``"auto"`` (tar then zip), ``"tar"`` (also gz, bz2,
            xz), ``"zip"``, a list of these, or ``None``.

    Returns:
        True if the archive matched a format and was extracted, else False.

    Raises:
        ValueError: If a member is unsafe.
        NotImplementedError: If a format is not 'tar' or 'zip' (as Keras).
    """
    if not archive_format:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else archive_format
    if isinstance(formats, str):
        formats = [formats]
    file_path = os.fspath(file_path)
    path = os.path.abspath(os.fspath(path))
    for kind in formats:
        if kind == "tar":
            matches, extract = tarfile.is_tarfile(file_path), _extract_tar
        elif kind == "zip":
            matches, extract = zipfile.is_zipfile(file_path), _extract_zip
        else:
            raise NotImplementedError(
                f"Unknown archive format {kind!r}: `archive_format` takes 'auto', 'tar', "
                "'zip', a list of these, or None."
            )
        if not matches:
            continue
        parent = os.path.dirname(path)
        os.makedirs(parent, exist_ok=True)
        staging = tempfile.mkdtemp(dir=parent, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
        try:
            extract(file_path, os.path.realpath(staging))
            _swap_in(staging, path)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return True
    return False


def _swap_in(staging: str, path: str) -> None:
    """Put the folder ``staging`` at ``path``, removing what was there only after the rename."""
    old = None
    if os.path.lexists(path):
        old = tempfile.mkdtemp(dir=os.path.dirname(path), prefix=".old.", suffix=".tmp")
        os.rmdir(old)
        os.replace(path, old)
    os.replace(staging, path)
    if old is not None:
        if os.path.isdir(old) and not os.path.islink(old):
            shutil.rmtree(old, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.remove(old)
