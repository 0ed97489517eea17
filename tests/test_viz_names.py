"""Readable names: labels, the caller's variable names, short formulas, generated names."""

from __future__ import annotations

import re

import pytest

from microgradx import Value, backward_steps, display_name, draw, nn
from microgradx.viz.names import MAX_FORMULA, Namer, caller_names

# bound at module level: found through the caller's globals
module_level = Value(7.0) * 2.0


def test_labels_come_first():
    x = Value(3.0, "x")
    v = x * x
    v.label = "square"
    assert display_name(v) == "square"  # although this code calls it v


def test_names_bound_in_the_calling_code():
    a, b = Value(3.0), Value(2.0)  # no labels at all
    product = a * b
    names = Namer(product)
    assert [names(product), names(a), names(b)] == ["product", "a", "b"]
    assert [names.kind(product), names.kind(a)] == ["bound", "bound"]


def test_globals_are_searched_after_locals():
    assert display_name(module_level) == "module_level"


def test_lists_of_values_give_indexed_names():
    xs = [Value(1.0), Value(2.0)]
    s = xs[0] + xs[1]
    names = Namer(s)
    assert names(xs[0]) == "xs[0]" and names(xs[1]) == "xs[1]"


def test_formulas_of_named_operands_while_short():
    x, y, w, z = Value(3.0, "x"), Value(2.0, "y"), Value(5.0, "w"), Value(4.0, "z")
    names = Namer(((w + x * y) * z - x).tanh(), bound={})
    inner = [v for v in names.order if v.children]
    assert [names(v) for v in inner] == ["x·y", "w+x·y", "(w+x·y)·z", "(w+x·y)·z−x", "t1"]
    assert [names.kind(v) for v in inner][-1] == "generated"  # tanh(...) is too long
    assert all(len(names(v)) <= MAX_FORMULA for v in inner)
    assert names.term(inner[1]) == "(w+x·y)"  # ready for ∂f/∂(w+x·y)


def test_formula_brackets_follow_precedence():
    a, b, c = Value(1.0, "a"), Value(2.0, "b"), Value(3.0, "c")
    cases = {
        "a−(b+c)": a - (b + c),
        "a−b+c": a - b + c,
        "a/(b·c)": a / (b * c),
        "(a+b)²": (a + b) ** 2,
        "−(a+b)": -(a + b),
        "2·a": 2 * a,
        "a·(-2)": a * -2.0,
        "σ(a)": a.sigmoid(),
    }
    for text, v in cases.items():
        assert Namer(v, bound={})(v) == text


def test_generated_names_are_short_unique_and_skip_used_names():
    t1 = Value(1.0)  # the user already uses the name t1
    x = Value(2.0, "x")
    out = ((t1 * x).exp() + 3.0).log()
    names = Namer(out)
    generated = [names(v) for v in names.order if names.kind(v) == "generated"]
    assert "t1" not in generated and len(set(generated)) == len(generated)
    assert all(re.fullmatch(r"[tc]\d+", n) for n in generated)
    assert names(t1) == "t1"


def test_one_name_per_value():
    x, y = Value(3.0, "x"), Value(2.0, "y")
    out = x * y + x * y  # two different nodes compute x·y
    names = Namer(out, bound={})
    first, second = out.children
    assert names(first) == "x·y" and names(second) != "x·y"


def test_library_frames_are_skipped_and_names_are_deterministic():
    x = Value(3.0, "x")
    hidden = x * 2.0
    f = hidden + 1.0
    assert caller_names()[id(hidden)] == "hidden"
    sources = {draw(f).source for _ in range(3)}  # draw asks from inside the library
    assert len(sources) == 1 and "<b>hidden</b>" in sources.pop()


def test_never_an_internal_id_in_big_graphs():
    model = nn.MLP(2, [3, 1], seed=0)
    score = model([Value(0.5), Value(-1.0)])
    loss = (score - 1.0) ** 2
    text = draw(loss).source + "\n".join(f.caption for f in backward_steps(loss))
    assert not re.search(r"#\d{1,5}(?![0-9a-f])", text)  # ids, not colours such as #4b5563
    assert "loss" in text


def test_private_names_are_ignored():
    _hidden = Value(1.0) * 2.0
    assert display_name(_hidden) != "_hidden"


def test_unknown_value_is_a_clear_error():
    with pytest.raises(KeyError, match="not part of this graph"):
        Namer(Value(1.0), bound={})(Value(2.0))


def test_derivative_names_are_wrapped_inside_other_derivatives():
    from microgradx import grad

    x, y = Value(3.0, "x"), Value(2.0, "y")
    f = x * y * x
    f.label = "f"
    g = grad(f, [x], create_graph=True)[0]  # ∂f/∂x = 2xy, a graph of its own
    captions = "\n".join(frame.caption for frame in backward_steps(g))
    assert "∂∂" not in captions
    # ∂(∂f/∂x)/∂y = 2x = 6, summed over the two products that read y
    assert "∂(∂f/∂x)/∂y += " in captions and "sum 3 + 3 = 6" in captions


def test_values_sharing_a_label_get_numbered_names_and_every_name_is_one_value():
    from microgradx.nn import MLP
    from microgradx.viz.names import Namer

    p, q = Value(1.0, "a"), Value(2.0, "a")
    f = p * q + p
    names = Namer(f, bound={})
    assert (names(p), names(q)) == ("a₁", "a₂")
    model = MLP(2, [3, 1], seed=0)  # every neuron has its own w0, w1 and b
    loss = (model([Value(0.5, "x0"), Value(-1.5, "x1")]) - 1.0) ** 2
    namer = Namer(loss, bound={})
    shown = [namer(v) for v in namer.order]
    assert len(shown) == len(set(shown))
    assert {"w0₁", "w0₄", "b₄"} <= set(shown) and "w0" not in shown


def test_a_very_long_label_is_cut_with_an_ellipsis_and_kept_apart():
    from microgradx.viz.names import MAX_LABEL, Namer

    a, b = Value(1.0, "L" * 10_000), Value(2.0, "L" * 9_999 + "M")
    names = Namer(a * b, bound={})
    assert len(names(a)) <= MAX_LABEL + 1 and names(a).startswith("LLL")
    assert "…" in names(a) and names(a) != names(b)  # cut to the same text: numbered apart
