"""``draw_backward``: the forward and the backward pass in one drawing, linked."""

from __future__ import annotations

import importlib.util
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import microgradx
from microgradx import Value, backward_steps, draw_backward, grad, parse, topological_order
from microgradx.cli import main
from microgradx.viz.backward import LEGEND, LINK_COLOUR

ROOT = Path(__file__).resolve().parent.parent
NODE = re.compile(r"^\t+(\w+) \[(.*)\]$", re.M)
EDGE = re.compile(r"^\t(\w+) -> (\w+)(?: \[(.*)\])?$", re.M)
# a value's table: its name (bold when given, grey otherwise) and its data
NAME_AND_DATA = re.compile(
    r"<td>(?:<b>([^<]*)</b>|<font color=\"#4b5563\">([^<]*)</font>)</td><td>data ([^<]+)</td>"
)


class Dot:
    """A drawing's DOT text read back: clusters, names, data and edges."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.title: dict[str, str] = {}  # "forward" / "backward" -> frame title
        self.cluster: dict[str, str] = {}  # node id -> "forward" / "backward"
        for block in source.split("subgraph ")[1:]:
            title = re.search(r"label=<<b>([^<]*)</b>>", block).group(1)
            side = title.split(" pass")[0]
            self.title[side] = title
            for node_id, _ in NODE.findall(block.split("\n\t}")[0]):
                self.cluster[node_id] = side
        self.name: dict[str, str] = {}
        self.data: dict[str, float] = {}
        for node_id, attrs in NODE.findall(source):
            found = NAME_AND_DATA.search(attrs)
            if found:
                self.name[node_id] = found.group(1) or found.group(2)
                self.data[node_id] = float(found.group(3))
        self.ids = {name: node_id for node_id, name in self.name.items()}
        self.edges = [(t, h, attrs or "") for t, h, attrs in EDGE.findall(source)]

    def side(self, node_id: str) -> str:
        """The frame of a node or of an op oval (``v7op`` is in ``v7``'s frame)."""
        return self.cluster[node_id.removesuffix("op")]

    def links(self) -> list[tuple[str, str]]:
        """Edges drawn in the link style, as (tail name, head name)."""
        return [
            (self.name[t], self.name[h.removesuffix("op")])
            for t, h, attrs in self.edges
            if "style=dashed" in attrs and f'color="{LINK_COLOUR}"' in attrs
        ]


def lecture(w=5.0, x=3.0, y=2.0, z=4.0) -> tuple[Value, list[Value]]:
    leaves = [Value(w, "w"), Value(x, "x"), Value(y, "y"), Value(z, "z")]
    w_, x_, y_, z_ = leaves
    f = (w_ + x_ * y_) * z_
    f.label = "f"
    return f, leaves


def test_both_passes_are_framed_and_named():
    f, (_, x, y, _) = lecture()
    dot = Dot(draw_backward(f, [x, y]).source)
    assert dot.title == {"forward": "forward pass: f", "backward": "backward pass: ∂f/∂x, ∂f/∂y"}
    forward = {n for i, n in dot.name.items() if dot.cluster[i] == "forward"}
    backward = {n for i, n in dot.name.items() if dot.cluster[i] == "backward"}
    assert forward == {"w", "x", "y", "z", "x·y", "w+x·y", "f"}
    assert backward == {"∂f/∂x", "∂f/∂y"}
    # ∂f/∂x = y·z and ∂f/∂y = x·z are product nodes of the backward pass
    assert '"∂f/∂x = y × z"' in dot.source and '"∂f/∂y = x × z"' in dot.source


@pytest.mark.parametrize(
    "w, x, y, z", [(5.0, 3.0, 2.0, 4.0), (-1.25, 0.5, -3.0, 7.5), (0.1, 2.0**-3, 1e3, -0.3)]
)
def test_backward_values_match_the_closed_forms(w, x, y, z):
    f, leaves = lecture(w, x, y, z)
    dot = Dot(draw_backward(f, leaves, precision=17).source)
    closed = {"∂f/∂w": z, "∂f/∂x": y * z, "∂f/∂y": x * z, "∂f/∂z": w + x * y}
    for name, value in closed.items():
        assert dot.data[dot.ids[name]] == pytest.approx(value, rel=1e-12)
        assert dot.cluster[dot.ids[name]] == "backward"
    assert dot.data[dot.ids["f"]] == pytest.approx((w + x * y) * z, rel=1e-12)


def test_every_forward_operand_of_a_backward_node_is_a_link():
    f, (w, x, y, z) = lecture()
    dot = Dot(draw_backward(f, [w, x, y, z]).source)
    links = dot.links()
    # each backward op's edges from the forward frame, and only those, are links
    for tail, head, attrs in dot.edges:
        if "style=invis" in attrs:
            continue
        crossing = dot.side(tail) == "forward" and dot.side(head) == "backward"
        assert ("style=dashed" in attrs and LINK_COLOUR in attrs) == crossing, (tail, head)
    # ∂f/∂x = y·z reads y and z; ∂f/∂y = x·z reads x and z; ∂f/∂z = w+x·y and ∂f/∂w = z
    # are forward values, drawn as boxes linked to them
    assert sorted(links) == sorted(
        [
            *[("y", "∂f/∂x"), ("z", "∂f/∂x"), ("x", "∂f/∂y"), ("z", "∂f/∂y")],
            *[("z", "∂f/∂w"), ("w+x·y", "∂f/∂z")],
        ]
    )
    assert LEGEND in dot.source


@pytest.mark.parametrize(
    "text",
    [
        "tanh(x*w + b)**2",
        "relu(x - y) * exp(x) + max(x, y) / y",
        "a = sigmoid(x*y); log(a + 1) * a - sqrt(x*x + 1)",
        "(x + y) * (x - y) * x",
    ],
)
def test_links_are_exactly_the_forward_values_the_backward_pass_reads(text):
    values = {"x": 0.7, "y": -0.4, "w": 1.5, "b": 0.2}
    names = re.findall(r"\b([a-z])\b", text)
    expr = parse(text, **{n: v for n, v in values.items() if n in names})
    f, inputs = expr.output, list(expr.variables.values())
    dot = Dot(draw_backward(f, inputs).source)
    # the same backward pass built again: count its reads of forward values
    forward = set(topological_order(f))
    derivatives = grad(f, inputs, create_graph=True)
    made = [v for d in derivatives for v in topological_order(d) if v not in forward]
    reads = sum(c in forward for v in dict.fromkeys(made) for c in v.children)
    is_value = sum(d in forward for d in derivatives)
    assert len(dot.links()) == reads + is_value
    for name in dot.name.values():
        assert "#" not in name and name.strip()
    for v, d in zip(expr.variables, derivatives):
        assert dot.data[dot.ids[f"∂f/∂{v}"]] == pytest.approx(d.data, abs=1e-4)


def test_names_come_from_the_output_and_the_inputs():
    a, b = Value(2.0), Value(-1.0)
    loss = (a * b).tanh() + a
    dot = Dot(draw_backward(loss, [a, b]).source)
    assert dot.title["forward"] == "forward pass: loss"
    assert dot.title["backward"] == "backward pass: ∂loss/∂a, ∂loss/∂b"
    assert {"∂loss/∂a", "∂loss/∂b"} <= set(dot.name.values())
    assert not any(n.startswith("∂f/") or n.startswith("#") for n in dot.name.values())
    assert a.grad == b.grad == loss.grad == 0.0  # no .grad is touched


def test_a_derivative_already_drawn_gets_a_box_of_its_own():
    x, y = Value(0.5, "x"), Value(0.25, "y")
    f = (x + y).tanh()
    dot = Dot(draw_backward(f, [x, y]).source)
    # ∂f/∂x and ∂f/∂y are one node (1 − f²): both names are drawn, one linked to the other
    dx, dy = dot.ids["∂f/∂x"], dot.ids["∂f/∂y"]
    assert dot.data[dx] == dot.data[dy] == pytest.approx(1 - f.data**2, abs=1e-4)
    assert (dx, dy) in [(t, h) for t, h, attrs in dot.edges if "style=dashed" in attrs]
    assert ("f", "f·f") in dot.links()


def test_inputs_outside_the_graph_get_zero():
    f, _ = lecture()
    q = Value(9.0, "q")
    dot = Dot(draw_backward(f, [q]).source)
    assert dot.data[dot.ids["∂f/∂q"]] == 0.0
    assert dot.cluster[dot.ids["∂f/∂q"]] == "backward"


def test_the_same_code_gives_the_same_dot():
    first = draw_backward(*lecture()).source
    assert draw_backward(*lecture()).source == first
    f, leaves = lecture()
    assert draw_backward(f, leaves).source == draw_backward(f, leaves).source == first
    assert re.findall(r"\b(v\d+|d\d+) \[", first)[:3] == ["v0", "v1", "v2"]


def test_arguments_are_checked():
    f, (_, x, y, _) = lecture()
    with pytest.raises(TypeError, match="needs a Value"):
        draw_backward(3.0, [x])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="inputs must hold Values"):
        draw_backward(f, [x, "y"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="inputs is empty"):
        draw_backward(f, [])
    with pytest.raises(ValueError, match="max_nodes=8"):
        draw_backward(f, [x, y], max_nodes=8)  # 7 forward values, 2 derivatives
    assert "∂f/∂x" in draw_backward(f, [x, y], max_nodes=9).source
    with pytest.raises(TypeError):
        draw_backward(f, [x], collapse=True)  # type: ignore[call-arg]


def test_the_stepper_works_on_the_derivative():
    f, (_, x, y, z) = lecture()
    dx = grad(f, x, create_graph=True)
    frames = backward_steps(dx)
    assert "∂f/∂x" in frames[0].source
    final = frames[-1].grads
    assert final[y] == z.data and final[z] == y.data  # ∂²f/∂x∂y = z, ∂²f/∂x∂z = y
    assert any("∂f/∂x" in frame.caption for frame in frames)


# --- pictures ---------------------------------------------------------------------------


def _cluster_boxes(svg: str) -> dict[str, tuple[float, float]]:
    """Each frame's horizontal extent (min x, max x) in the SVG."""
    boxes = {}
    for g in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}g"):
        if g.get("class") != "cluster":
            continue
        texts = [t.text or "" for t in g.iter("{http://www.w3.org/2000/svg}text")]
        side = "forward" if any("forward pass" in t for t in texts) else "backward"
        path = next(e for e in g if e.tag.endswith(("path", "polygon")))
        outline = path.get("d") or path.get("points")
        numbers = [float(n) for n in re.findall(r"-?\d+\.?\d*", outline)]
        boxes[side] = (min(numbers[0::2]), max(numbers[0::2]))
    return boxes


def test_the_passes_sit_side_by_side():
    f, leaves = lecture()
    svg = draw_backward(f, leaves).svg()
    boxes = _cluster_boxes(svg)
    assert boxes["forward"][1] < boxes["backward"][0]  # forward on the left, backward right
    png = draw_backward(f, leaves).png()
    assert png.startswith(b"\x89PNG")


@pytest.fixture
def slow_dot(tmp_path, monkeypatch):
    """A ``dot`` that never finishes."""
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "dot"
    script.write_text(f"#!/bin/sh\nexec {shutil.which('sleep')} 30\n", encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", str(folder))


def test_the_layout_is_bounded(slow_dot, tmp_path):
    f, leaves = lecture()
    drawing = draw_backward(f, leaves, timeout=0.5)
    with pytest.raises(microgradx.LayoutTimeoutError, match=r"0\.5 s"):
        drawing.save(tmp_path / "f.png")
    assert not (tmp_path / "f.png").exists()


# --- the command line and the README ----------------------------------------------------


def test_cli_draws_the_passes_side_by_side(tmp_path, capsys):
    path = tmp_path / "dx.dot"
    args = ["graph", "v = x*y; u = w + v; f = u*z", "w=5", "x=3", "y=2", "z=4"]
    assert main([*args, "--backward", "x", "--side-by-side", "-o", str(path)]) == 0
    assert "x               3               8" in capsys.readouterr().out  # x: value, ∂f/∂x
    dot = Dot(path.read_text(encoding="utf-8"))
    assert dot.title == {"forward": "forward pass: f", "backward": "backward pass: ∂f/∂x"}
    assert sorted(dot.links()) == [("y", "∂f/∂x"), ("z", "∂f/∂x")]
    assert dot.data[dot.ids["∂f/∂x"]] == 8.0


def test_cli_side_by_side_needs_backward(capsys):
    with pytest.raises(SystemExit) as info:
        raise SystemExit(main(["graph", "x*y", "x=1", "y=2", "--side-by-side"]))
    assert info.value.code == 2
    assert "--side-by-side needs --backward" in capsys.readouterr().err


def test_the_readme_picture_is_made_by_code():
    spec = importlib.util.spec_from_file_location("make_images", ROOT / "docs" / "make_images.py")
    make_images = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_images)
    dot = Dot(make_images.backward_drawing().source)
    assert set(dot.title) == {"forward", "backward"} and dot.links()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Beyond first order")[1].split("\n## ")[0]
    assert "draw_backward(" in section and "(docs/backward_graph.png)" in section
    assert (ROOT / "docs" / "backward_graph.png").read_bytes().startswith(b"\x89PNG")


def test_an_unnamed_output_is_f():
    leaves = [Value(2.0, "a"), Value(-1.0, "b")]
    dot = Dot(draw_backward((leaves[0] * leaves[1]).tanh(), leaves).source)
    assert dot.title == {
        "forward": "forward pass: f = tanh(a·b)",
        "backward": "backward pass: ∂f/∂a, ∂f/∂b",
    }
