"""Writing files atomically: a failed write never leaves a half-written file behind.

The data goes to a temporary file in the same folder, is flushed to disk, and only
then moved over the target with ``os.replace`` (atomic on POSIX and Windows). If
anything fails on the way the temporary file is removed and the old file, if any,
is left exactly as it was.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write"]


def atomic_write(path: str | os.PathLike[str], data: bytes | str, encoding: str = "utf-8") -> Path:
    """Write ``data`` (bytes, or text encoded with ``encoding``) to ``path`` atomically.

    Returns the path written. Raises ``OSError`` when the folder is missing or not
    writable, the disk is full, or a file size limit is reached; the file at
    ``path`` is then unchanged.
    """
    path = Path(path)
    payload = data.encode(encoding) if isinstance(data, str) else bytes(data)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file private (0o600): keep the old file's mode, else rw-r--r--
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path
