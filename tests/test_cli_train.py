"""`microgradx train` and `microgradx demo` end to end, in temporary directories."""

from __future__ import annotations

import json
import shutil
import sys
import types
from pathlib import Path

import pytest

from microgradx.cli import main
from microgradx.nn import MLP, History, accuracy, make_moons


def test_train_writes_model_history_and_plots(tmp_path, capsys):
    out = tmp_path / "runs" / "moons"
    argv = ["train", "--dataset", "moons", "--hidden", "8", "--epochs", "15",
            "--optimizer", "sgd", "--lr", "0.3", "--batch-size", "10", "--seed", "0",
            "-o", str(out)]  # fmt: skip
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "final training accuracy:" in captured.out
    assert "15/15" in captured.err  # the progress bar
    for name in ("model.json", "history.json", "loss.png", "boundary.png"):
        assert (out / name).stat().st_size > 0, name
    model = MLP.load(out / "model.json")
    assert model.nouts == [8, 1]
    history = History.load(out / "history.json")
    assert len(history) == 15
    X, y = make_moons(100, noise=0.1, seed=0)
    printed = captured.out.split("final training accuracy: ")[1].split("%")[0]
    assert float(printed) == pytest.approx(100 * accuracy(model, X, y), abs=0.05)


def test_train_multiclass_uses_cross_entropy(tmp_path, capsys):
    argv = ["train", "--dataset", "blobs", "--samples", "30", "--hidden", "4",
            "--epochs", "2", "--optimizer", "adam", "--lr", "0.05", "--no-progress",
            "-o", str(tmp_path)]  # fmt: skip
    assert main(argv) == 0
    assert "loss cross_entropy" in capsys.readouterr().out
    doc = json.loads((tmp_path / "model.json").read_text())
    assert doc["config"]["nouts"] == [4, 3]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--hidden", "16,x"], "--hidden must be sizes like 16,16"),
        (["--engine", "gpu"], "unknown engine 'gpu'"),
        (["--lr", "-1"], "lr must be >= 0"),
        (["--activation", "elu"], "unknown activation 'elu'"),
    ],
)
def test_train_errors_are_one_line(tmp_path, capsys, extra, message):
    argv = ["train", "--epochs", "1", "--samples", "10", "--no-progress", "-o", str(tmp_path)]
    assert main(argv + extra) == 2
    err = capsys.readouterr().err
    assert err.startswith("microgradx train: error: ") and message in err
    assert "Traceback" not in err


def fake_viz(monkeypatch, calls: list) -> None:
    """Stand-in drawing package recording what the demo asks of it (the real one is
    tested with the drawing code; here only the demo's use of it is checked)."""

    class Drawing:
        def __init__(self, root):
            self.root = root

        def save(self, path):
            calls.append(("save", self.root.data, str(path)))
            Path(path).write_text("digraph {}")
            return Path(path)

    def draw(root, **options):
        return Drawing(root)

    def save_steps_html(root, path):
        calls.append(("steps", root.data, str(path)))
        Path(path).write_text("<html></html>")
        return Path(path)

    module = types.ModuleType("microgradx.viz")
    module.draw, module.save_steps_html = draw, save_steps_html
    monkeypatch.setitem(sys.modules, "microgradx.viz", module)


@pytest.mark.parametrize("dot", ["/usr/bin/dot", None])
def test_demo_lecture_example_drawings_and_training(tmp_path, capsys, monkeypatch, dot):
    calls: list = []
    fake_viz(monkeypatch, calls)
    monkeypatch.setattr(shutil, "which", lambda name: dot if name == "dot" else None)
    out = tmp_path / "demo"
    assert main(["demo", "-o", str(out), "--epochs", "3", "--no-progress"]) == 0
    text = capsys.readouterr().out
    # the lecture example and its gradient table, numbers from the engine
    assert "f = u·z = 44" in text
    table = {line.split()[0]: line.split()[1:3] for line in text.splitlines()
             if line.strip()[:2] in ("w ", "x ", "y ", "z ")}  # fmt: skip
    assert table == {"w": ["5", "4"], "x": ["3", "8"], "y": ["2", "12"], "z": ["4", "11"]}
    graph = out / ("lecture_graph.svg" if dot else "lecture_graph.dot")
    assert calls == [("save", 44.0, str(graph)), ("steps", 44.0, str(out / "lecture_steps.html"))]
    if dot is None:
        assert "dot program is missing" in text and "apt-get install graphviz" in text
    made = [graph, out / "lecture_steps.html", out / "model.json", out / "history.json",
            out / "loss.png", out / "boundary.png"]  # fmt: skip
    listing = text.split(f"files made in {out}:")[1].split()
    assert listing == [str(p) for p in made]
    assert all(p.stat().st_size > 0 for p in made)
    assert len(History.load(out / "history.json")) == 3
