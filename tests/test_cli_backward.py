"""`microgradx graph --backward NAME`: the derivative's graph instead of the forward graph."""

from __future__ import annotations

import re

import pytest

from microgradx.cli import main


def test_backward_draws_the_derivative_graph(tmp_path, capsys):
    path = tmp_path / "dx.dot"
    args = ["graph", "v = x*y; u = w + v; f = u*z", "w=5", "x=3", "y=2", "z=4"]
    assert main([*args, "--backward", "x", "-o", str(path)]) == 0
    out = capsys.readouterr().out  # the gradient table is printed as before: x = 3, ∂f/∂x = 8
    assert "∂f/∂input" in out and re.search(r"^x +3 +8$", out, re.MULTILINE)
    dot = path.read_text(encoding="utf-8")
    # ∂f/∂x = y·z: the product of two forward values, framed as the backward pass
    names = re.findall(r"<b>([^<]*)</b>", dot)
    assert names == ["y", "z", "∂f/∂x"]
    assert "cluster_0" in dot and "label=backward" in dot
    assert "data 8" in dot and "×" in dot


def test_backward_needs_a_variable_of_the_expression(capsys):
    with pytest.raises(SystemExit) as info:
        raise SystemExit(main(["graph", "x*y", "x=1", "y=2", "--backward", "q"]))
    assert info.value.code == 2
    assert "--backward q: not a variable" in capsys.readouterr().err
