"""Saving is atomic: a write that fails half way leaves the previous file whole."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap

import pytest

from microgradx import _atomic
from microgradx.nn import MLP, History


def _half_then_fail(monkeypatch) -> list[int]:
    """Make ``os.write`` write half of what it is given once, then fail as a full disk."""
    real_write = os.write
    calls: list[int] = []

    def write(fd: int, data) -> int:
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", write)
    return calls


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "notes.txt"
    path.write_text("the old, good text\n")
    calls = _half_then_fail(monkeypatch)
    with pytest.raises(OSError, match="No space"):
        _atomic.atomic_write(path, "new text " * 1000)
    assert len(calls) == 2  # it did write half before failing
    assert path.read_text() == "the old, good text\n"
    assert os.listdir(tmp_path) == ["notes.txt"]


def test_a_successful_write_replaces_the_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("old")
    assert _atomic.atomic_write(path, "new ✓") == path
    assert path.read_text(encoding="utf-8") == "new ✓"
    assert os.listdir(tmp_path) == ["notes.txt"]
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_writing_over_a_directory_is_refused(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(IsADirectoryError):
        _atomic.atomic_write(tmp_path / "d", "x")


def test_model_and_history_saves_go_through_the_atomic_writer(tmp_path, monkeypatch):
    model_path, history_path = tmp_path / "model.json", tmp_path / "history.json"
    MLP(2, [3, 1], seed=0).save(model_path)
    History([{"epoch": 1, "loss": 0.5}]).save(history_path)
    before = model_path.read_text(), history_path.read_text()
    _half_then_fail(monkeypatch)
    with pytest.raises(OSError):
        MLP(2, [30, 1], seed=1).save(model_path)
    _half_then_fail(monkeypatch)
    with pytest.raises(OSError):
        History([{"epoch": e, "loss": 0.1} for e in range(100)]).save(history_path)
    assert (model_path.read_text(), history_path.read_text()) == before
    assert sorted(os.listdir(tmp_path)) == ["history.json", "model.json"]


# A real fault, whatever the writer: a file size limit makes the write fail half way.
_SCRIPT = textwrap.dedent(
    """
    import resource, signal, sys
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write, do not kill us
    from microgradx.nn import MLP, History
    kind, path = sys.argv[1], sys.argv[2]
    if kind == "model":
        save = MLP(2, [64, 64, 1], seed=0).save
    elif kind == "history":
        save = History([{"epoch": e, "loss": 0.25, "lr": 0.1} for e in range(3000)]).save
    else:
        from microgradx import plot
        history = History([{"epoch": e, "loss": 1 / (e + 1), "accuracy": None} for e in range(50)])
        save = lambda p: plot.loss_curve(history, path=p)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, hard))
    try:
        save(path)
    except OSError as exc:
        print("write failed:", exc.errno)
        sys.exit(3)
    """
)


@pytest.mark.parametrize(("kind", "name"), [("model", "m.json"), ("history", "h.json"),
                                            ("plot", "loss.png")])  # fmt: skip
def test_a_file_size_limit_leaves_the_previous_file_intact(tmp_path, kind, name):
    path = tmp_path / name
    old = b"previous good contents\n"
    path.write_bytes(old)
    run = subprocess.run(
        [sys.executable, "-c", _SCRIPT, kind, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 3, run.stderr
    assert f"write failed: {errno.EFBIG}" in run.stdout
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == [name]
