"""`microgradx graph`: what it says when nothing is drawn, and stepper exports."""

from __future__ import annotations

import sys

from microgradx.cli import main

LECTURE = ["(w + x*y)*z", "w=5", "x=3", "y=2", "z=4"]


def test_graph_without_output_says_nothing_was_drawn_and_how(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["graph", *LECTURE]) == 0
    out = capsys.readouterr().out
    assert "no drawing written: add -o graph.svg" in out
    assert list(tmp_path.iterdir()) == []  # and indeed nothing was written
    assert main(["graph", *LECTURE, "-o", "g.dot"]) == 0
    assert "no drawing written" not in capsys.readouterr().out


def test_graph_steps_as_gif(dot_program, tmp_path, capsys):
    path = tmp_path / "steps.gif"
    assert main(["graph", *LECTURE, "--steps", str(path)]) == 0
    assert path.read_bytes()[:6] == b"GIF89a"
    assert f"wrote {path}" in capsys.readouterr().out


def test_graph_steps_as_pdf_without_pillow_is_one_line(dot_program, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "PIL", None)
    assert main(["graph", *LECTURE, "--steps", str(tmp_path / "s.pdf")]) == 2
    err = capsys.readouterr().err
    assert 'pip install "microgradx[slides]"' in err and "Traceback" not in err
