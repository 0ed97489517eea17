"""Writing files atomically: the old file stays whole until the new one is complete.

A file is written to a temporary file in the same folder, flushed to disk, and then
moved over the target with :func:`os.replace` (atomic on POSIX and Windows). If
anything fails on the way (a full disk, a file size limit, an interrupt), the
temporary file is removed and the target is left exactly as it was.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "atomic_write"]


def _temporary_name(path: Path) -> Path:
    """A new hidden name next to ``path``: ``.name.<random>.tmp<suffix>``."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp{path.suffix}")


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path`` atomically.

    The temporary file keeps ``path``'s suffix, so writers that choose a format by
    suffix (e.g. image libraries) still do. On an exception it is removed and
    ``path`` is untouched.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(21, "Is a directory", str(path))
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(2, f"No such folder {str(folder)!r} to write into", str(path))
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
    path = Path(path)
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
    return path
