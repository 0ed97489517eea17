"""Entry points refuse bad input with errors that name the user's own objects."""

from __future__ import annotations

import builtins

import pytest

import microgradx
from microgradx import Value, grad, gradcheck, no_grad, topological_order
from microgradx._atomic import atomic_write


def test_star_import_leaves_the_builtins_alone():
    namespace: dict = {}
    exec("from microgradx import *", namespace)
    assert "sum" not in namespace and "compile" not in namespace
    assert "Value" in namespace and "grad" in namespace
    assert microgradx.sum([Value(1.0), Value(2.0)]).data == 3.0  # still reachable by name
    assert builtins.sum([1, 2, 3]) == 6


def test_grad_of_a_no_grad_result_raises_as_backward_does():
    x = Value(0.5, "x")
    with no_grad():
        y = x.tanh()
    with pytest.raises(RuntimeError, match="no_grad"):
        y.backward()
    with pytest.raises(RuntimeError, match="no_grad"):
        grad(y, x)


def test_grad_with_create_graph_inside_no_grad_is_refused():
    x = Value(0.5, "x")
    f = x * x
    with no_grad(), pytest.raises(RuntimeError, match="create_graph"):
        grad(f, x, create_graph=True)
    assert grad(f, x, create_graph=True).data == 1.0  # 2x, outside no_grad


def test_micrograd_op_name_is_empty_for_a_result_without_operands():
    x = Value(2.0)
    with no_grad():
        y = x * 3.0
    assert y._op == "" and y._prev == set()
    assert (x * 3.0)._op == "×"


def test_a_missing_folder_is_named_not_a_temporary_file(tmp_path):
    target = tmp_path / "no" / "such" / "steps.html"
    with pytest.raises(FileNotFoundError) as caught:
        atomic_write(target, "x")
    assert caught.value.filename == str(target)
    assert ".tmp" not in str(caught.value) and "no/such" in str(caught.value)
    with pytest.raises(FileNotFoundError, match="no/such"):
        Value(1.0, "x").draw().save(target.with_suffix(".dot"))


def test_graph_walks_and_gradcheck_refuse_non_values():
    with pytest.raises(TypeError, match="needs a Value, not float"):
        topological_order(3.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="needs a Value"):
        microgradx.stats(3.0)  # type: ignore[arg-type]
    x = Value(2.0, "x")
    with pytest.raises(TypeError, match="function of Values"):
        gradcheck(x * x, [2.0])  # type: ignore[arg-type]
