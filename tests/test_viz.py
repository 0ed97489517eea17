"""Drawings: DOT text, roles, local gradients, scopes, limits, images and Jupyter display."""

from __future__ import annotations

import math
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import microgradx
from microgradx import Drawing, GraphvizNotFoundError, Value, draw, nn, scope
from microgradx.viz.formatting import format_number
from microgradx.viz.options import ROLE_COLOURS

GOLDEN = Path(__file__).parent / "data" / "lecture.dot"
W, X, Y, Z = 5.0, 3.0, 2.0, 4.0  # the lecture graph's inputs (see the lecture fixture)

# A value's table: its name (bold when the user gave it, grey otherwise), data and grad cells.
RECORD = re.compile(
    r"(v\d+) \[label=<<table[^>]*bgcolor=\"([^\"]+)\"[^>]*><tr>"
    r"<td>(?:<b>([^<]*)</b>|<font color=\"#4b5563\">([^<]*)</font>)</td>"
    r"<td>data ([^<]+)</td><td>grad ([^<]+)</td>"
)


def records(source: str) -> dict[str, tuple[str, float, float]]:
    """label (or node id) -> (fill colour, data, grad), read back from DOT text."""
    found = {}
    for node_id, fill, given, other, data, grad in RECORD.findall(source):
        found[given or other or node_id] = (fill, float(data), float(grad))
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
def test_deep_chain_is_refused_without_recursion(million_chain):
    v = million_chain.output
    with pytest.raises(ValueError, match="collapse=True") as info:
        draw(v)
    assert "max_nodes=1000" in str(info.value)
    # the chain has no scopes: collapsing cannot help, and the refusal says so
    for collapse in (True, 1):
        with pytest.raises(ValueError, match="the graph has no scopes") as info:
            draw(v, collapse=collapse)
        message = str(info.value)
        assert "microgradx.scope(" in message and "max_nodes" in message
        assert "shallower" not in message


def test_collapse_counts_boxes_and_values_exactly():
    _, loss = mlp_loss()  # MLP(2, [3, 2, 1]): neuron boxes, layer boxes, values outside
    for collapse in (True, 1):
        drawn = draw(loss, collapse=collapse).source.count("<table")  # boxes and values
        assert drawn < 50
        draw(loss, collapse=collapse, max_nodes=drawn)
        with pytest.raises(ValueError, match=f"more than {drawn - 1} boxes and values"):
            draw(loss, collapse=collapse, max_nodes=drawn - 1)


def test_collapse_refusals_suggest_what_would_help():
    _, loss = mlp_loss()
    # neurons (layer0/neuron1) sit inside layers: one box per layer is fewer
    with pytest.raises(ValueError, match=r"shallower depth \(e.g. collapse=1\)"):
        draw(loss, collapse=True, max_nodes=8)
    # one box per layer already: only a smaller graph or a larger limit helps
    with pytest.raises(ValueError, match="draw a smaller part") as info:
        draw(loss, collapse=1, max_nodes=3)
    assert "shallower" not in str(info.value) and "max_nodes" in str(info.value)


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


def test_png_resolution_is_sharp_by_default_and_can_be_set(lecture, dot_program, tmp_path):
    import struct

    def size(png: bytes) -> tuple[int, int]:
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        return struct.unpack(">II", png[16:24])

    d = draw(lecture(backward=True).f)
    default, low = size(d.png()), size(d.png(dpi=72))
    assert default[0] >= 2 * low[0] * 0.95  # 200 dpi against 72 dpi: about 2.8x
    assert abs(default[0] / low[0] - 200 / 72) < 0.1
    saved = d.save(tmp_path / "f.png", dpi=100).read_bytes()
    assert abs(size(saved)[0] / low[0] - 100 / 72) < 0.1
    with pytest.raises(ValueError, match="dpi"):
        d.png(dpi=0)


@pytest.fixture
def slow_dot(tmp_path, monkeypatch) -> None:
    """A ``dot`` on PATH that never finishes its layout."""
    folder = tmp_path / "slow-bin"
    folder.mkdir()
    script = folder / "dot"
    sleep = shutil.which("sleep")
    script.write_text(f"#!/bin/sh\nexec {sleep} 30\n", encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", str(folder))


def test_layout_past_the_time_limit_is_stopped_with_advice(lecture, slow_dot, tmp_path):
    d = draw(lecture(backward=True).f, timeout=0.5)
    with pytest.raises(microgradx.LayoutTimeoutError) as info:
        d.save(tmp_path / "f.svg")
    message = str(info.value)
    for advice in ("0.5 s", "collapse=True", "smaller graph", 'layout="sfdp"', "timeout="):
        assert advice in message
    assert not (tmp_path / "f.svg").exists()
    # Jupyter still gets its text fallback instead of hanging
    bundle = draw(lecture(backward=True).f, timeout=0.5)._repr_mimebundle_()
    assert "image/svg+xml" not in bundle and "collapse" in bundle["text/plain"]


def test_stepper_page_layout_is_bounded_too(lecture, slow_dot, tmp_path):
    with pytest.raises(microgradx.LayoutTimeoutError):
        microgradx.save_steps(lecture().f, tmp_path / "steps.html", timeout=0.5)


def test_layout_and_timeout_are_checked(lecture):
    with pytest.raises(ValueError, match="layout must be one of dot, neato"):
        draw(lecture(backward=True).f, layout="magic")
    with pytest.raises(ValueError, match="timeout"):
        draw(lecture(backward=True).f, timeout=0)
    drawing = draw(lecture(backward=True).f, layout="neato")
    assert drawing.layout == "neato" and drawing.digraph.engine == "neato"


def test_collapsed_neurons_in_index_order_rows_by_sample_bundled_edges():
    model = nn.MLP(2, [4, 4, 1], activation="relu", seed=0)
    X = [[0.5, -1.0], [1.0, 2.0], [-0.3, 0.8]]
    loss = microgradx.sum((model(x) - 1.0) ** 2 for x in X)
    src = draw(loss, collapse=True).source
    ids = dict(re.findall(r"(s\d+) \[label=<<table.*?<b>([^<]+)</b>", src))
    # each layer is one column held top to bottom in index order by invisible edges
    columns = re.findall(r"\{\s*rank=same\s*((?:\w+ -> \w+ \[style=invis\]\s*)+)\}", src)
    orders = [[*re.findall(r"(\w+) ->", c), re.findall(r"-> (\w+)", c)[-1]] for c in columns]
    assert [[ids[b] for b in o] for o in orders] == [
        [f"layer{i}/neuron{j}" for j in range(4)] for i in (0, 1)
    ]
    # one row per sample, in sample order, with the neuron's output for that sample
    box = re.search(r"label=<<table[^\n]*<b>layer1/neuron2</b>[^\n]*", src).group(0)
    rows = re.findall(r"sample (\d)</font></td><td>data ([^<]+)</td>", box)
    h = np.array(X)
    for layer in model.layers[:2]:
        h = np.maximum(h @ layer.weight.T + layer.bias, 0)
    assert [int(k) for k, _ in rows] == [0, 1, 2]
    assert [float(d) for _, d in rows] == pytest.approx(h[:, 2], abs=1e-4)
    # the 4 x 4 links between the layers meet in one junction labelled with its count
    junctions = re.findall(r'(j\d+) \[label="(\d+) edges"', src)
    assert len(junctions) == 1 and junctions[0][1] == str(4 * 4 * 3)
    j = junctions[0][0]
    assert len(re.findall(rf"-> {j}\b", src)) == 4 and len(re.findall(rf"{j} -> ", src)) == 4
    layer0 = {b for b, name in ids.items() if name.startswith("layer0")}
    layer1 = {b for b, name in ids.items() if name.startswith("layer1")}
    assert not any(t in layer0 and h_ in layer1
                   for t, h_ in re.findall(r"(\w+) -> (\w+)(?! \[style=invis)", src))  # fmt: skip
    # collapse=1: one edge per pair of layers, labelled with the edges it stands for
    by_layer = draw(loss, collapse=1).source
    assert re.search(r'-> \w+ \[label="48 edges"', by_layer)
