"""`microgradx demo` end to end with the real drawing package."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from microgradx.cli import main


def page_frames(page: str) -> list[dict]:
    """The frames a stepper page carries as data."""
    found = re.search(r'<script id="frames" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(found.group(1))["frames"]


def run_demo(out, capsys) -> str:
    assert main(["demo", "-o", str(out), "--epochs", "2", "--no-progress"]) == 0
    return capsys.readouterr().out


def test_demo_draws_the_lecture_graph_and_stepper(dot_program, tmp_path, capsys):
    text = run_demo(tmp_path, capsys)
    svg = ET.parse(tmp_path / "lecture_graph.svg").getroot()
    assert svg.tag.endswith("svg")
    labels = "".join(svg.itertext())
    for cell in ("data 44", "grad 4", "grad 8", "grad 12", "grad 11"):
        assert cell in labels
    page = (tmp_path / "lecture_steps.html").read_text(encoding="utf-8")
    assert len(page_frames(page)) == 4 and page.count("<svg") == 1  # one drawing
    assert str(tmp_path / "lecture_graph.svg") in text.split("files made in")[1]


def test_demo_without_dot_still_makes_every_file(no_dot, tmp_path, capsys):
    text = run_demo(tmp_path, capsys)
    assert (tmp_path / "lecture_graph.dot").read_text(encoding="utf-8").startswith("digraph")
    page = (tmp_path / "lecture_steps.html").read_text(encoding="utf-8")
    assert page.count('<table class="grads">') == 1 and len(page_frames(page)) == 4
    assert "apt-get install graphviz" in text
    listed = text.split("files made in")[1].split()[1:]
    assert all((tmp_path / name.rsplit("/", 1)[-1]).exists() for name in listed)
    assert len(listed) == 6
