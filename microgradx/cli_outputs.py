"""The command line's outputs: checked before any work, written with one-line errors.

Every file a command would write is checked first (its suffix, its folder, that it is
no directory, FIFO or device, that two outputs are two files, that the program an
image format needs is there), so a refusal never comes after another file was
written. Errors the user can fix are :class:`CLIError`: one line, exit status 2.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

__all__ = ["CLIError"]


class CLIError(Exception):
    """A problem with the user's input: printed as one line, exit status 2."""


def _write(what: str, path: str, write) -> Path:
    """Call ``write(path)``, turning the ways it can fail into one-line CLIErrors."""
    from .demo import INSTALL_DOT
    from .viz import GraphvizNotFoundError

    try:
        return write(path)
    except GraphvizNotFoundError:
        raise CLIError(
            f"cannot write {path}: Graphviz's dot program is missing ({INSTALL_DOT}); "
            "a .dot file needs no Graphviz"
        ) from None
    except (ValueError, ImportError) as exc:  # a suffix that names no format, no Pillow
        raise CLIError(str(exc)) from None
    except OSError as exc:
        raise CLIError(f"cannot write {what} {path}: {exc.strerror or exc}") from None
    except RuntimeError as exc:
        raise CLIError(f"cannot write {what} {path}: {exc}") from None


def _check_outputs(outputs: Sequence[tuple[str, str, str | None, Sequence[str]]]) -> None:
    """Refuse, before any work, an output the command could not write.

    ``outputs`` holds ``(what, flag, path, suffixes)`` per output (``path`` None when
    not asked for). Each path must have one of its suffixes, a folder that exists and
    can be written, and not be a directory, FIFO or device (a symbolic link counts as
    the file it names); no two outputs may be the same file.
    """
    from ._atomic import check_output

    seen: dict[str, str] = {}
    for what, flag, path, suffixes in outputs:
        if path is None:
            continue
        if not path.strip():
            raise CLIError(f"{flag} needs a file name")
        try:
            target = check_output(path)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            if isinstance(exc, FileNotFoundError):  # a link names the folder it points into
                folder = Path(os.path.realpath(path)).parent if Path(path).is_symlink() else None
                reason = f"the folder {str(folder or Path(path).parent)!r} does not exist"
            elif isinstance(exc, IsADirectoryError):
                reason = "it is a directory; give a file name"
            raise CLIError(f"cannot write {what} {path}: {reason}") from None
        suffix = Path(path).suffix.lower()
        if suffix not in suffixes:
            raise CLIError(
                f"cannot write {what} {path}: {flag} takes a file ending in {' '.join(suffixes)}"
            )
        key = os.path.realpath(target)
        if key in seen:
            raise CLIError(f"{seen[key]} and {flag} name the same file {path}: give two names")
        seen[key] = flag


def _check_programs(output: str | None, steps: str | None) -> None:
    """Refuse, before any work, an image format whose program or package is missing."""
    import shutil

    from .demo import INSTALL_DOT

    images = [p for p, kinds in ((output, (".svg", ".png", ".pdf")), (steps, (".pdf", ".gif")))
              if p is not None and Path(p).suffix.lower() in kinds]  # fmt: skip
    if images and shutil.which("dot") is None:
        raise CLIError(
            f"cannot write {images[0]}: Graphviz's dot program is missing ({INSTALL_DOT}); "
            "a .dot file needs no Graphviz"
        )
    if steps is not None and Path(steps).suffix.lower() in (".pdf", ".gif"):
        try:
            import PIL  # noqa: F401
        except ImportError:
            from .viz.steps import INSTALL_PILLOW

            raise CLIError(f"cannot write {steps}: {INSTALL_PILLOW}") from None


def _file_error(what: str, exc: OSError) -> CLIError:
    """A one-line error for a file or directory the command cannot use."""
    where = f" {exc.filename}" if exc.filename else ""
    return CLIError(f"cannot write {what}{where}: {exc.strerror or exc}")
