"""`microgradx graph` and `microgradx gradcheck`: output, files and one-line errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from microgradx.cli import main

LECTURE = ["(w + x*y)*z", "w=5", "x=3", "y=2", "z=4"]


def gradient_table(text: str) -> dict[str, tuple[float, float]]:
    """{input: (value, gradient)} from the table under the header "input value ∂f/∂input"."""
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["input", "value"])
    assert re.fullmatch(r"∂\S+/∂input", lines[header].split()[2])
    rows = {}
    for line in lines[header + 1 :]:
        parts = line.split()
        if len(parts) != 3:
            break
        rows[parts[0]] = (float(parts[1]), float(parts[2]))
    return rows


def test_graph_prints_value_and_gradients(capsys):
    assert main(["graph", *LECTURE]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "output = 44"
    # ∂f/∂w = z, ∂f/∂x = z·y, ∂f/∂y = z·x, ∂f/∂z = w + x·y
    assert gradient_table(out) == {
        "w": (5, 4), "x": (3, 8), "y": (2, 12), "z": (4, 11),
    }  # fmt: skip


def test_graph_with_named_lines_uses_the_last_name(capsys):
    assert main(["graph", "v = x*y; u = w + v; f = u*z", "w=5", "x=3", "y=2", "z=4"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "f = 44"
    assert gradient_table(out)["x"] == (3, 8)
    assert out.splitlines()[1].split() == ["input", "value", "∂f/∂input"]


def test_graph_writes_svg_and_stepper(dot_program, tmp_path, capsys):
    svg, steps = tmp_path / "graph.svg", tmp_path / "steps.html"
    argv = ["graph", *LECTURE, "-o", str(svg), "--local-grads", "--rankdir", "TB",
            "--steps", str(steps)]  # fmt: skip
    assert main(argv) == 0
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    text = svg.read_text(encoding="utf-8")
    for number in ("data 44", "grad 4", "grad 8", "grad 12", "grad 11"):
        assert number in text
    page = steps.read_text(encoding="utf-8")
    frames = re.search(r'<script id="frames" type="application/json">(.*?)</script>', page, re.S)
    # inputs + mul, add, mul forward; start + mul, add, mul backward
    assert len(json.loads(frames.group(1))["frames"]) == 8
    assert f"wrote {svg}" in capsys.readouterr().out


def test_dot_output_needs_no_graphviz(no_dot, tmp_path):
    path = tmp_path / "graph.dot"
    assert main(["graph", *LECTURE, "-o", str(path)]) == 0
    assert path.read_text(encoding="utf-8").startswith("digraph")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["graph", "(w + x*y", "w=1", "x=1", "y=1"], "line 1"),
        (["graph", "x + q", "x=1"], "q"),
        (["graph", "x*2", "x=abc"], "'abc' is not a number"),
        (["graph", "x*2", "x"], "expected NAME=VALUE"),
        (["graph", "x*2", "x=1", "x=2"], "x is given twice"),
        (["graph", "x*2", "x=1", "y=2"], "not in the expression: y"),
        (["graph", "__import__('os').system('echo hi')"], "not allowed"),
        (["graph", "x*2", "x=1", "-o", "graph.jpeg"], ".svg .png .pdf .dot .gv"),
        (["graph", "x*2", "x=1", "--steps", "steps.txt"], ".html"),
        (["gradcheck", "x*2"], "x=3"),
        (["gradcheck", "2*3"], "no variables"),
        (["gradcheck", "x*2", "x=1", "--eps", "0"], "--eps must be positive"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert status(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert message in lines[0]
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def status(argv: list[str]) -> int:
    """The exit status of the command line, whether returned or raised by argparse."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def test_binary_format_without_dot_is_a_clear_error(no_dot, tmp_path, capsys):
    path = tmp_path / "graph.png"
    assert main(["graph", *LECTURE, "-o", str(path)]) == 2
    err = capsys.readouterr().err
    assert "apt-get install graphviz" in err and ".dot file needs no Graphviz" in err
    assert not path.exists()


def test_unwritable_path_is_a_clear_error(tmp_path, capsys):
    target = tmp_path / "missing-dir" / "graph.dot"
    assert main(["graph", *LECTURE, "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("microgradx graph: error: cannot write drawing")
    assert len(err.strip().splitlines()) == 1


def test_gradcheck_passes_and_prints_the_table(capsys):
    status = main(["gradcheck", "tanh(x*y) + exp(x)/y", "x=0.5", "y=2"])
    out = capsys.readouterr().out
    assert status == 0
    assert "all gradients match" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:4]}
    assert set(rows) == {"x", "y"}
    assert all(row[-1] == "ok" for row in rows.values())


def test_gradcheck_mismatch_exits_1(capsys):
    # relu has a kink at 0: the autograd gradient is relu'(0) = 0, the central difference ½
    status = main(["gradcheck", "relu(x)", "x=0"])
    out = capsys.readouterr().out
    assert status == 1
    assert "MISMATCH" in out and "FAIL" in out


def test_console_script_runs_graph(tmp_path):
    script = os.path.join(os.path.dirname(sys.executable), "microgradx")
    done = subprocess.run([script, "graph", *LECTURE], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert gradient_table(done.stdout)["z"] == (4, 11)


def test_gradcheck_steps_by_the_library_rule_by_default(capsys):
    # At x = 1e8 a fixed step of 1e-6 is lost in rounding (f ~ 1e32): the central
    # difference of x⁴ is off by 2e-4; the step ε^(1/3)·max(1, |x|) gets it right.
    from microgradx import gradcheck

    assert main(["gradcheck", "x*x*x*x", "x=1e8"]) == 0
    out = capsys.readouterr().out
    assert "all gradients match" in out
    (row,) = gradcheck(lambda x: x * x * x * x, [1e8])
    assert f"{row.abs_error:.2e}" in out  # the very difference the library finds
    assert main(["gradcheck", "x*x*x*x", "x=1e8", "--eps", "1e-6"]) == 1  # a fixed step fails
    capsys.readouterr()
