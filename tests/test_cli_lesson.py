"""`microgradx graph ... --steps page.html --quiz`: the lesson page from the command line."""

from __future__ import annotations

import json
import re

from microgradx.cli import main

LECTURE = ["(w + x*y)*z", "w=5", "x=3", "y=2", "z=4"]


def page_data(path) -> dict:
    page = path.read_text(encoding="utf-8")
    found = re.search(r'<script id="frames" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(found.group(1))


def test_steps_page_with_a_quiz(no_dot, tmp_path, capsys):
    path = tmp_path / "page.html"
    assert main(["graph", *LECTURE, "--steps", str(path), "--quiz"]) == 0
    assert f"wrote {path}" in capsys.readouterr().out
    data = page_data(path)
    assert data["quiz"] is True
    assert [frame["p"] for frame in data["frames"]] == ["f"] * 4 + ["b"] * 4
    # the last frame sets ∂f/∂x = y·z = 8 and ∂f/∂y = x·z = 12, by hand
    names = [node["n"] for node in data["nodes"]]
    last = {names[int(i)]: g[0] for i, g in data["frames"][-1]["g"].items()}
    assert last == {"x": 8.0, "y": 12.0}
    assert main(["graph", *LECTURE, "--steps", str(tmp_path / "plain.html")]) == 0
    assert page_data(tmp_path / "plain.html")["quiz"] is False


def test_quiz_needs_an_html_page(tmp_path, capsys):
    for argv in (["--quiz"], ["--quiz", "--steps", str(tmp_path / "s.gif")]):
        assert main(["graph", *LECTURE, *argv]) == 2
        err = capsys.readouterr().err
        assert "--quiz needs --steps FILE.html" in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
