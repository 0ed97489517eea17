"""`microgradx graph --backward NAME`: the derivative's graph instead of the forward graph."""

from __future__ import annotations

import re

import pytest

from microgradx.cli import main


def test_backward_draws_the_derivative_graph(tmp_path, capsys):
    path = tmp_path / "dx.dot"
    args = ["graph", "v = x*y; u = w + v; f = u*z", "w=5", "x=3", "y=2", "z=4"]
    assert main([*args, "--backward", "x", "-o", str(path)]) == 0
    table = capsys.readouterr().out.splitlines()  # the gradient table is printed as before
    assert table[1].split() == ["input", "value", "∂f/∂input"] and table[2].split()[0] == "x"
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
