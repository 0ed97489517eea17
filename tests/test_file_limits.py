"""Reading model and history files is bounded by the file: hostile files are refused
with a ValueError before they can fill memory or block."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

import pytest

from microgradx.nn import MLP, History, serialize
from microgradx.nn import history as history_module

CHILD = """
import resource, sys
from microgradx.nn import MLP, History
load = {"model": MLP.load, "history": History.load}[sys.argv[2]]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    load(sys.argv[1])
except ValueError as exc:
    print("ValueError:", exc)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("grew_kb", after - before)
"""


def _limit_memory() -> None:
    cap = 1536 * 2**20  # a MemoryError, not a swapping machine, if the bound is broken
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _hostile_file(path, piece: bytes, megabytes: int) -> int:
    """``[piece,piece,...]`` of about ``megabytes`` MB, written in chunks; its size."""
    chunk = piece * (2**20 // len(piece))
    with open(path, "wb") as file:
        file.write(b"[")
        for _ in range(megabytes):
            file.write(chunk)
        file.write(b"{}]")
    return os.path.getsize(path)


@pytest.mark.parametrize("kind", ["model", "history"])
@pytest.mark.parametrize("piece", [b"{},", b"0,", b'"",'])
def test_a_file_of_millions_of_tiny_values_is_refused_in_bounded_memory(tmp_path, kind, piece):
    path = tmp_path / "hostile.json"
    size = _hostile_file(path, piece, 30)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONPATH=os.getcwd())
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), kind],
        capture_output=True, text=True, preexec_fn=_limit_memory, timeout=120, env=env,
    )  # fmt: skip
    assert child.returncode == 0, child.stderr[-500:]
    assert "ValueError:" in child.stdout and "values, more than" in child.stdout
    grew = int(child.stdout.split("grew_kb")[1]) * 1024  # ru_maxrss is in kB on Linux
    assert grew < 2 * size, (grew, size)


def test_a_model_file_within_the_limits_still_loads(tmp_path):
    model = MLP(2, [16, 16, 1], seed=0)
    path = model.save(tmp_path / "m.json")
    assert MLP.load(path).state_dict() == model.state_dict()
    json.loads(path.read_text())  # a real file; now one value too many for the cap
    n_values = path.read_bytes().count(b",") + 2
    with pytest.raises(ValueError, match="values, more than"):
        serialize.read_json(path, max_items=n_values // 2)


@pytest.mark.parametrize("load", [MLP.load, History.load])
def test_devices_fifos_and_folders_are_refused_unread(tmp_path, load):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)  # opening it would block until a writer comes
    for path in ("/dev/zero", fifo, tmp_path):
        with pytest.raises(ValueError, match="not a regular file"):
            load(path)


def test_history_files_have_the_size_and_value_limits_of_model_files(tmp_path, monkeypatch):
    history = History([{"epoch": i, "loss": 1.0 / (i + 1), "grad_norm": [0.5, 0.25]}
                       for i in range(1, 50)])  # fmt: skip
    path = history.save(tmp_path / "h.json")
    assert History.load(path).loss == history.loss
    monkeypatch.setattr(history_module, "MAX_HISTORY_ITEMS", 100)
    with pytest.raises(ValueError, match="more than the 100 a history file"):
        History.load(path)
    monkeypatch.setattr(serialize, "MAX_FILE_BYTES", 100)
    with pytest.raises(ValueError, match="larger than 100 bytes, the limit for a history file"):
        History.load(path)
