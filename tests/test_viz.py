"""Drawings: DOT text, roles, local gradients, scopes, limits, images and Jupyter display."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import microgradx
from microgradx import Drawing, GraphvizNotFoundError, Value, draw, nn, scope
from microgradx.viz.dot import ROLE_COLOURS, format_number

GOLDEN = Path(__file__).parent / "data" / "lecture.dot"
W, X, Y, Z = 5.0, 3.0, 2.0, 4.0  # the lecture graph's inputs (see the lecture fixture)

# A value's table: optional bold label, then data and grad cells.
RECORD = re.compile(
    r"(v\d+) \[label=<<table[^>]*bgcolor=\"([^\"]+)\"[^>]*><tr>"
    r"(?:<td><b>([^<]*)</b></td>)?<td>data ([^<]+)</td><td>grad ([^<]+)</td>"
)


def records(source: str) -> dict[str, tuple[str, float, float]]:
    """label (or node id) -> (fill colour, data, grad), read back from DOT text."""
    found = {}
    for node_id, fill, label, data, grad in RECORD.findall(source):
        found[label or node_id] = (fill, float(data), float(grad))
    return found


def test_lecture_example_matches_golden_dot(lecture):
    assert draw(lecture(backward=True).f).source == GOLDEN.read_text(encoding="utf-8")


def test_lecture_records_show_values_and_gradients(lecture):
    found = records(draw(lecture(backward=True).f).source)
    # f = (w + x·y)·z; ∂f/∂w = z, ∂f/∂x = z·y, ∂f/∂y = z·x, ∂f/∂z = w + x·y
    expected = {
        "w": (W, Z), "x": (X, Z * Y), "y": (Y, Z * X), "z": (Z, W + X * Y),
        "v": (X * Y, Z), "u": (W + X * Y, Z), "f": ((W + X * Y) * Z, 1.0),
    }  # fmt: skip
    assert {k: v[1:] for k, v in found.items()} == expected
    assert found["f"][1:] == (44.0, 1.0)
    assert [found[k][2] for k in "wxyz"] == [4.0, 8.0, 12.0, 11.0]


def test_same_expression_gives_same_dot_text_byte_for_byte(lecture):
    assert draw(lecture(backward=True).f).source == draw(lecture(backward=True).f).source
    assert "0x" not in draw(lecture(backward=True).f).source  # no object ids


def test_value_draw_is_the_same_as_draw(lecture):
    f = lecture(backward=True).f
    assert f.draw(rankdir="TB").source == draw(f, rankdir="TB").source
    assert "rankdir=TB" in f.draw(rankdir="TB").source


def test_roles_have_their_colours():
    a, b = Value(2.0, "a"), Value(-1.0, "b")
    w = Value(0.5, "w")
    out = (a * w + b - 3.0).tanh()
    out.label = "out"
    found = records(draw(out, params=[w]).source)
    assert found["a"][0] == ROLE_COLOURS["input"][0]
    assert found["w"][0] == ROLE_COLOURS["parameter"][0]
    assert found["out"][0] == ROLE_COLOURS["output"][0]
    constants = [v for k, v in found.items() if v[1] == 3.0 and k not in "abw"]
    assert [c[0] for c in constants] == [ROLE_COLOURS["constant"][0]]
    # without params=, w is an input; nn marks its weights itself
    assert records(draw(out).source)["w"][0] == ROLE_COLOURS["input"][0]
    model = nn.MLP(1, [1], seed=0)
    y = model([a])
    assert records(draw(y).source)["w0"][0] == ROLE_COLOURS["parameter"][0]


def test_op_symbols_and_operand_order():
    a, b = Value(7.0, "a"), Value(2.0, "b")
    out = ((a - b) / b) ** 2
    src = draw(out).source
    for symbol in ("−", "÷", "^2"):
        assert f'label="{symbol}"' in src
    ids = {label: node for node, _, label, *_ in RECORD.findall(src) if label}
    sub_edges = re.findall(r"(v\d+) -> (v\d+op)", src)
    into_sub = [t for t, h in sub_edges if h == sub_edges[0][1]]
    assert into_sub == [ids["a"], ids["b"]]  # a − b: a's edge first


def test_local_gradients_on_edges_are_the_chain_rule_factors():
    x = Value(0.5, "x")
    t = x.tanh()
    t.label = "t"
    y = Value(3.0, "y")
    out = t * y
    out.label = "out"
    src = draw(out, show_local_grads=True, precision=6).source
    edge = {
        (result, operand): float(label)
        for label, result, operand in re.findall(
            r'label=([^ \]]+) fontcolor="[^"]+" fontsize=10 tooltip="∂(\w+)/∂(\w+) = ', src
        )
    }
    assert len(edge) == 3
    assert edge["t", "x"] == pytest.approx(1 - math.tanh(0.5) ** 2, abs=1e-6)  # 1 − tanh²
    assert edge["out", "t"] == 3.0  # ∂(t·y)/∂t = y
    assert edge["out", "y"] == pytest.approx(math.tanh(0.5), abs=1e-6)  # ∂(t·y)/∂y = t
    assert "fontcolor" not in draw(out).source.split("->", 1)[1]


def test_show_data_show_grad_and_precision():
    x = Value(1.0 / 3.0, "x")
    out = x * 2.0
    out.backward()
    src = draw(out, precision=2).source
    assert "data 0.33<" in src and "data 0.3333" not in src
    assert "grad " not in draw(out, show_grad=False).source
    assert "data " not in draw(out, show_data=False).source


@pytest.mark.parametrize(
    ("x", "text"),
    [(44.0, "44"), (-1.5, "-1.5"), (0.88079707, "0.8808"), (2e-5, "2e-05"),
     (math.nan, "nan"), (-math.inf, "-inf"), (-0.0, "0"), (1234567.0, "1234567")],
)  # fmt: skip
def test_numbers_read_well_on_slides(x, text):
    assert format_number(x, 4) == text


def test_highlight_outlines_values_in_red(lecture):
    f = lecture(backward=True).f
    x = f.children[0].children[1].children[0]
    assert x.label == "x"
    src = draw(f, highlight=[x]).source
    line = next(line for line in src.splitlines() if "<b>x</b>" in line)
    assert 'color="#dc2626"' in line and 'border="3"' in line
    others = [line for line in src.splitlines() if "<b>w</b>" in line]
    assert 'color="#dc2626"' not in others[0]


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"rankdir": "XY"}, ValueError, "rankdir"),
        ({"precision": -1}, ValueError, "precision"),
        ({"max_nodes": 0}, ValueError, "max_nodes"),
        ({"collapse": 0}, ValueError, "collapse"),
        ({"highlight": [1.0]}, TypeError, "highlight"),
        ({"params": 3}, TypeError, "params"),
        ({"show_grad": "yes"}, TypeError, "show_grad"),
    ],
)
def test_bad_options_are_clear_errors(lecture, options, error, message):
    with pytest.raises(error, match=message):
        draw(lecture(backward=True).f, **options)
    with pytest.raises(TypeError, match="float"):
        draw(3.0)


@pytest.mark.slow
def test_deep_chain_is_refused_without_recursion():
    x = Value(1.0, "x")
    v = x
    for _ in range(1_000_000):
        v = v + 1.0
    with pytest.raises(ValueError, match="collapse=True") as info:
        draw(v)
    assert "max_nodes=1000" in str(info.value)
    with pytest.raises(ValueError, match="max_nodes"):
        draw(v, collapse=True)
    assert microgradx.stats(v).depth == 1_000_000


def test_max_nodes_counts_values():
    a = Value(1.0, "a")
    out = a * 2.0 + 3.0  # a, 2, a·2, 3, out: 5 values
    draw(out, max_nodes=5)
    with pytest.raises(ValueError, match="max_nodes=4"):
        draw(out, max_nodes=4)


def mlp_loss():
    model = nn.MLP(2, [3, 2, 1], activation="tanh", seed=1)
    x = [Value(0.5, "x1"), Value(-1.0, "x2")]
    loss = (model(x) - 1.0) ** 2
    loss.label = "L"
    loss.backward()
    return model, loss


def test_clusters_follow_nested_scopes():
    _, loss = mlp_loss()
    src = draw(loss, clusters=True).source
    # layers 0-2 and 3 + 2 + 1 neurons
    assert src.count("subgraph cluster_") == 3 + 6
    layer0 = src.index("label=layer0")
    # each neuron's cluster is written inside its layer's cluster, before the layer's label closes
    assert src.count("label=neuron0") == 3
    assert src.index("subgraph cluster_") < layer0


def test_collapse_draws_one_box_per_neuron_with_its_output():
    model, loss = mlp_loss()
    src = draw(loss, collapse=True).source
    boxes = re.findall(r"(s\d+) \[label=<<table.*?<b>([^<]+)</b>.*?(\d+) ops( · (\d+) params)?"
                       r".*?data ([^<]+)</td>", src)  # fmt: skip
    names = sorted(b[1] for b in boxes)
    sizes = [3, 2, 1]
    assert names == sorted(f"layer{i}/neuron{j}" for i, n in enumerate(sizes) for j in range(n))
    # each box shows the neuron's output: compare with a numpy forward pass
    h = np.array([0.5, -1.0])
    outputs = {}
    for i, layer in enumerate(model.layers):
        z = layer.weight @ h + layer.bias
        h = np.tanh(z) if i < 2 else z
        for j, value in enumerate(h):
            outputs[f"layer{i}/neuron{j}"] = value
    for _, name, ops, _, params, data in boxes:
        assert float(data) == pytest.approx(outputs[name], abs=1e-4)
        layer = int(name[5])
        nin = [2, *sizes][layer]
        assert int(params) == nin + 1  # weights and bias
        assert int(ops) == nin + 1 + (layer < 2)  # products, Σ, tanh (not on the output)
    # collapse=1: one box per layer
    layers = re.findall(r"<b>(layer\d)</b>", draw(loss, collapse=1).source)
    assert sorted(layers) == ["layer0", "layer1", "layer2"]
    # every edge joins drawn nodes
    ids = set(re.findall(r"^\t(\w+) \[", src, re.M))
    for tail, head in re.findall(r"^\t(\w+) -> (\w+)", src, re.M):
        assert tail in ids and head in ids


def test_collapse_makes_a_big_mlp_drawable():
    model = nn.MLP(2, [16, 16, 1], seed=0)
    X, y = nn.make_moons(8, seed=0)
    preds = [model(list(x)) for x in X]
    loss = microgradx.sum(nn.hinge(p, 1 if t else -1) for p, t in zip(preds, y)) / len(y)
    with pytest.raises(ValueError, match="collapse"):
        draw(loss)
    src = draw(loss, collapse=True, max_nodes=200).source
    assert src.count("ops · ") == 33


# --- images ------------------------------------------------------------------------------


def test_svg_png_pdf_are_valid(lecture, dot_program, tmp_path):
    drawing = draw(lecture(backward=True).f)
    svg = drawing.svg()
    assert ET.fromstring(svg.encode()).tag.endswith("svg")
    assert "44" in svg
    assert drawing.png().startswith(b"\x89PNG\r\n\x1a\n")
    for name, magic in [("g.svg", b"<?xml"), ("g.PNG", b"\x89PNG"), ("g.pdf", b"%PDF")]:
        path = drawing.save(tmp_path / name)
        assert path.read_bytes().startswith(magic), name
    assert drawing._repr_mimebundle_()["image/svg+xml"] == svg


def test_dot_files_need_no_graphviz(lecture, no_dot, tmp_path):
    drawing = draw(lecture(backward=True).f)
    for name in ("g.dot", "g.gv"):
        assert (drawing.save(tmp_path / name)).read_text(encoding="utf-8") == drawing.source


def test_wrong_suffix_is_an_error_and_writes_nothing(lecture, tmp_path):
    with pytest.raises(ValueError, match=r"\.svg \.png \.pdf \.dot \.gv"):
        draw(lecture(backward=True).f).save(tmp_path / "graph.jpeg")
    assert list(tmp_path.iterdir()) == []


def test_without_dot_jupyter_gets_text_and_files_are_not_broken(lecture, no_dot, tmp_path):
    drawing = draw(lecture(backward=True).f)
    bundle = drawing._repr_mimebundle_()
    assert set(bundle) == {"text/plain"}
    assert "apt-get install graphviz" in bundle["text/plain"]
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        drawing.svg()
    with pytest.raises(GraphvizNotFoundError):
        drawing.save(tmp_path / "graph.png")
    assert not (tmp_path / "graph.png").exists()


def test_repr_names_the_size(lecture):
    assert repr(draw(lecture(backward=True).f)) == "<Drawing of 7 values>"
    assert isinstance(draw(lecture(backward=True).f), Drawing)


def test_scope_tags_do_not_change_the_drawing_without_clusters(lecture):
    with scope("block"):
        f = lecture(backward=True).f
    assert draw(f).source == GOLDEN.read_text(encoding="utf-8")
