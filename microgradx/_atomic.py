"""Writing files atomically: the old file stays whole until the new one is complete.

A file is written to a temporary file in the same folder, flushed to disk, and then
moved over the target with :func:`os.replace` (atomic on POSIX and Windows). If
anything fails on the way (a full disk, a file size limit, an interrupt), the
temporary file is removed and the target is left exactly as it was.

A symbolic link is written through: the file it points to is replaced (atomically,
in that file's folder) and the link stays a link. A FIFO, device or socket is
refused (``OSError``) rather than replaced by a regular file.
:func:`check_output` makes every one of these checks without writing, so a caller
can refuse a bad path before any work.

A folder of files that belong together (a training run) is written the same way
with :func:`atomic_dir`: into a temporary sibling folder that replaces the old one
only when every file is complete.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_dir", "atomic_path", "atomic_write", "check_output"]


def _temporary_name(path: Path) -> Path:
    """A new hidden name next to ``path``: ``.name.<random>.tmp<suffix>``."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp{path.suffix}")


def check_output(path: str | os.PathLike[str]) -> Path:
    """The file a write to ``path`` replaces, checked without writing anything.

    A symbolic link resolves to the file it points to. ``OSError`` if that is a
    directory, a FIFO, a device or a socket, or its folder is missing or not writable.
    """
    given = Path(path)
    target = Path(os.path.realpath(given)) if given.is_symlink() else given
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "Is a directory", str(given))
    if mode is not None and not stat.S_ISREG(mode):
        raise OSError(
            errno.EINVAL, "not a regular file (a FIFO, device or socket); give a file name",
            str(given),
        )  # fmt: skip
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(
            errno.ENOENT, f"No such folder {str(folder)!r} to write into", str(given)
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, f"cannot write into {str(folder)!r}", str(given))
    return target


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path`` atomically.

    The temporary file keeps ``path``'s suffix, so writers that choose a format by
    suffix (e.g. image libraries) still do. On an exception it is removed and
    ``path`` is untouched. ``path`` is first checked with :func:`check_output`
    (a symbolic link is written through to its target).
    """
    path = check_output(path)
    temporary = _temporary_name(path)
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def atomic_write(path: str | os.PathLike[str], data: bytes | str, encoding: str = "utf-8") -> Path:
    """Write ``data`` (bytes, or text encoded with ``encoding``) to ``path`` atomically.

    Returns the path written. Raises ``OSError`` when the folder is missing or not
    writable, the disk is full, or a file size limit is reached; the file at ``path``
    is then unchanged. A replaced file keeps its permissions; a new one gets the
    usual ``0o666`` less the umask.
    """
    given, path = Path(path), check_output(path)
    if isinstance(data, str):
        data = data.encode(encoding)
    old_mode = path.stat().st_mode & 0o777 if path.is_file() else None
    with atomic_path(path) as temporary:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            if old_mode is not None:
                os.fchmod(fd, old_mode)  # exactly the old file's mode, whatever the umask
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
    return given


@contextmanager
def atomic_dir(path: str | os.PathLike[str], owned: Iterable[str] = ()) -> Iterator[Path]:
    """Yield a new temporary folder to fill; on success it replaces the folder ``path``.

    The temporary folder is a hidden sibling of ``path`` (same file system), so the
    swap is two renames. Files already in ``path`` whose names are not in ``owned``
    (the names the writer makes) move into the new folder, so a user's own files
    survive; files named in ``owned`` that the writer did not make this time are
    dropped, so an old run's leftovers never mix with a new run. On an exception
    the temporary folder is removed and ``path`` is as it was (a ``path`` that did not
    exist still does not: a failed write leaves no empty folder behind). A symbolic
    link to a folder stays a link: the folder it names is replaced.
    """
    path = Path(path)
    if path.is_symlink():  # a link to a folder: replace the folder, keep the link
        path = Path(os.path.realpath(path))
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "exists and is not a directory", str(path))
    created = [p for p in path.absolute().parents if not p.exists()]  # deepest first
    path.parent.mkdir(parents=True, exist_ok=True)
    owned = set(owned)
    temporary = _temporary_name(path)
    try:
        temporary.mkdir()
    except BaseException:
        _remove_empty(created)
        raise
    moved: list[str] = []  # the user's files, moved from path into the new folder
    try:
        yield temporary
        if not path.exists():
            os.rename(temporary, path)
            return
        made = {entry.name for entry in temporary.iterdir()}
        for entry in path.iterdir():
            if entry.name not in owned and entry.name not in made:
                os.rename(entry, temporary / entry.name)
                moved.append(entry.name)
        old = _temporary_name(path).with_suffix(".old")
        os.rename(path, old)
        try:
            os.rename(temporary, path)
        except BaseException:
            os.rename(old, path)
            raise
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        for name in moved:  # hand the user's files back
            if (temporary / name).exists() and not (path / name).exists():
                os.rename(temporary / name, path / name)
        shutil.rmtree(temporary, ignore_errors=True)
        _remove_empty(created)
        raise


def _remove_empty(folders: Iterable[Path]) -> None:
    """Remove the folders (deepest first) that are still empty: undo a ``mkdir -p``."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return
