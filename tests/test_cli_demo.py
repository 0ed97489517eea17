"""`microgradx demo` end to end, run once per session (the ``demo_run`` fixture)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from microgradx.demo import lecture_files
from microgradx.nn import MLP, History, make_moons


def page_frames(page: str) -> list[dict]:
    """The frames a stepper page carries as data."""
    found = re.search(r'<script id="frames" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(found.group(1))["frames"]


def test_demo_prints_the_lecture_example_and_its_gradients(demo_run):
    assert demo_run.status == 0
    text = demo_run.text
    assert "f = u·z = 44" in text
    # the gradient table, against the chain rule by hand: ∂f/∂w = z, ∂f/∂x = z·y,
    # ∂f/∂y = z·x, ∂f/∂z = w + x·y at w=5, x=3, y=2, z=4
    table = {line.split()[0]: line.split()[1:3] for line in text.splitlines()
             if line.strip()[:2] in ("w ", "x ", "y ", "z ")}  # fmt: skip
    assert table == {"w": ["5", "4"], "x": ["3", "8"], "y": ["2", "12"], "z": ["4", "11"]}


def test_demo_draws_the_lecture_graph_and_stepper(dot_program, demo_run):
    out = demo_run.out
    svg = ET.parse(out / "lecture_graph.svg").getroot()
    assert svg.tag.endswith("svg")
    labels = "".join(svg.itertext())
    for cell in ("data 44", "grad 4", "grad 8", "grad 12", "grad 11"):
        assert cell in labels
    page = (out / "lecture_steps.html").read_text(encoding="utf-8")
    assert len(page_frames(page)) == 8 and page.count("<svg") == 1  # one drawing


def test_demo_lists_every_file_it_made(demo_run):
    out = demo_run.out
    graph = out / ("lecture_graph.svg" if demo_run.dot else "lecture_graph.dot")
    made = [graph, out / "lecture_steps.html", out / "model.json", out / "history.json",
            out / "loss.png", out / "boundary.png"]  # fmt: skip
    listing = demo_run.text.split(f"files made in {out}:")[1].split()
    assert listing == [str(p) for p in made]
    assert all(p.stat().st_size > 0 for p in made)
    assert len(History.load(out / "history.json")) == 3
    assert MLP.load(out / "model.json").nouts == [16, 16, 1]


def test_lecture_files_without_dot_are_dot_text_and_tables(no_dot, lecture, tmp_path):
    files, notes = lecture_files(lecture(backward=True).f, tmp_path)
    assert files == [tmp_path / "lecture_graph.dot", tmp_path / "lecture_steps.html"]
    assert files[0].read_text(encoding="utf-8").startswith("digraph")
    page = files[1].read_text(encoding="utf-8")
    assert page.count('<table class="grads">') == 1 and len(page_frames(page)) == 8
    assert len(notes) == 1 and "apt-get install graphviz" in notes[0]


def test_demo_reports_one_accuracy_and_the_objective_it_minimises(demo_run):
    training = demo_run.text.split("2. An MLP learns the moons")[1].split("files made in")[0]
    assert "hinge loss + L2" in training
    model = MLP.load(demo_run.out / "model.json")
    X, y = make_moons(100, noise=0.1, seed=0)
    # By hand: scores o = model(x), targets t = ±1, hinge = mean(max(0, 1 − t·o)),
    # L2 term = 1e-4·Σ p², accuracy = share of rows with sign(o) = t.
    o = np.array([model(list(map(float, x))).data for x in X])
    t = np.where(y > 0, 1.0, -1.0)
    hinge = float(np.mean(np.maximum(0.0, 1.0 - t * o)))
    state = json.loads((demo_run.out / "model.json").read_text())["state"]
    l2 = 1e-4 * sum(v * v for v in state.values())
    acc = float(np.mean((o > 0) == (t > 0)))
    percents = re.findall(r"(\d+\.\d)%", training)
    assert percents == [f"{100 * acc:.1f}"]  # one accuracy, printed once
    found = re.search(r"objective J = hinge loss \+ L2 term = (\S+) \+ (\S+) = (\S+)", training)
    assert found is not None
    assert float(found.group(1)) == pytest.approx(hinge, abs=6e-5)
    assert float(found.group(2)) == pytest.approx(l2, abs=6e-5)
    assert float(found.group(3)) == pytest.approx(hinge + l2, abs=6e-5)
    assert "loss 0" not in training
