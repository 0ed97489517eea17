"""The tape refuses inputs that are not real numbers and handles a leaf output."""

from __future__ import annotations

import numpy as np
import pytest

from microgradx import Value, compile  # noqa: A004


def _tape():
    x, w = Value(2.0, "x"), Value(3.0, "w")
    return compile(x * w + 1, [x], [w])


@pytest.mark.parametrize(
    ("X", "kind"),
    [
        (np.array([["1"], ["2"]]), "string"),
        ([["1"], ["2"]], "string"),
        (np.array([[True], [False]]), "bool"),
        (np.array([[1 + 2j], [3j]]), "complex"),
        (np.array([[1.0], [None]], dtype=object), "object"),
        (np.array([[b"1"]]), "bytes"),
    ],
)
def test_run_batch_refuses_non_real_dtypes(X, kind):
    tape = _tape()
    with pytest.raises(TypeError, match=f"real numbers .*got {kind} values"):
        tape.run_batch(X)
    with pytest.raises(TypeError, match="real numbers"):
        tape.grad_batch(X)


def test_real_dtypes_and_single_points_still_work():
    tape = _tape()
    for X in ([[1], [2]], np.array([[1], [2]], dtype=np.int8), np.array([[1.0], [2.0]], "f4")):
        assert tape.run_batch(X).tolist() == [4.0, 7.0]
    assert tape([2.0]) == 7.0
    with pytest.raises(TypeError, match="real numbers"):
        tape(["2"])


@pytest.mark.parametrize("role", ["input", "param", "constant"])
def test_a_tape_whose_output_is_a_leaf(role):
    x, w, c = Value(2.0, "x"), Value(3.0, "w"), Value(5.0, "c")
    out = {"input": x, "param": w, "constant": c}[role]
    tape = compile(out, [x] if role == "input" else [], [w] if role == "param" else [])
    X = np.array([[1.0], [4.0]]) if role == "input" else np.zeros((2, 0))
    expected = {"input": [1.0, 4.0], "param": [3.0, 3.0], "constant": [5.0, 5.0]}[role]
    assert tape.run_batch(X).tolist() == expected
    g = tape.grad_batch(X, reduce="sum")
    assert g.output.tolist() == expected
    if role == "input":
        assert g.inputs.tolist() == [[1.0], [1.0]]  # ∂x/∂x = 1 per row
    if role == "param":
        assert g.params.tolist() == [2.0]  # ∂w/∂w = 1, summed over two rows
