"""Atomic writes: a write that fails half way leaves the old file exactly as it was."""

from __future__ import annotations

import os
import resource
import signal
import stat
import subprocess
import sys

import pytest

from microgradx._atomic import atomic_write


def run_with_file_size_limit(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a child Python whose writes past 4 kB fail with EFBIG, as a full
    disk or a quota would. The limit is the child's alone: this process (and the log
    its output may go to) keeps writing freely."""

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an error, not a kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))

    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, preexec_fn=limit, timeout=60
    )


def test_atomic_write_replaces_the_file(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old", encoding="utf-8")
    os.chmod(path, 0o640)
    assert atomic_write(path, "new ü") == path
    assert path.read_text(encoding="utf-8") == "new ü"
    assert path.stat().st_mode & 0o777 == 0o640  # the old file's permissions are kept
    atomic_write(path, b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_a_write_cut_short_leaves_the_old_file(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("the previous good file", encoding="utf-8")
    child = run_with_file_size_limit(
        f"from microgradx._atomic import atomic_write\natomic_write({str(path)!r}, 'x' * 100_000)"
    )
    assert child.returncode != 0 and "File too large" in child.stderr
    assert path.read_text(encoding="utf-8") == "the previous good file"
    assert [p.name for p in tmp_path.iterdir()] == ["big.txt"]


def test_drawing_save_cut_short_leaves_the_old_drawing(tmp_path):
    path = tmp_path / "graph.dot"
    path.write_text("digraph old {}", encoding="utf-8")
    child = run_with_file_size_limit(
        "from microgradx import Value, draw\n"
        "v = Value(1.0, 'x0')\n"
        "for i in range(60):\n"
        "    v = v * 2.0 + i\n"
        f"draw(v).save({str(path)!r})"  # DOT text well over the limit
    )
    assert child.returncode != 0 and "File too large" in child.stderr
    assert path.read_text(encoding="utf-8") == "digraph old {}"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.dot"]


def test_missing_folder_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "no" / "such.txt", "x")


def test_a_symlink_is_written_through_to_its_target(tmp_path):
    target = tmp_path / "real.txt"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    assert atomic_write(link, "new") == link
    assert link.is_symlink()  # still a link, and the file it names has the new text
    assert target.read_text(encoding="utf-8") == "new"
    dangling = tmp_path / "dangling.txt"
    dangling.symlink_to(tmp_path / "made.txt")
    atomic_write(dangling, "made")
    assert dangling.is_symlink() and (tmp_path / "made.txt").read_text() == "made"


def test_a_fifo_or_device_is_refused_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        atomic_write(fifo, "x")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    with pytest.raises(OSError, match="not a regular file"):
        atomic_write("/dev/null", "x")
    link = tmp_path / "to-null"
    link.symlink_to("/dev/null")
    with pytest.raises(OSError, match="not a regular file"):
        atomic_write(link, "x")
    assert link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe", "to-null"]
