"""``microgradx.micrograd``: micrograd's code runs with its import lines changed, same numbers.

The peer is micrograd 0.1.0 itself (installed with the test tools): the same seed must
give the same weights, the same training losses, the same reprs and ``_op`` texts.
"""

from __future__ import annotations

import random
from pathlib import Path

import graphviz
import pytest
from micrograd import engine as peer_engine
from micrograd import nn as peer_nn

import microgradx
from microgradx import draw_dot
from microgradx.micrograd import nn as face_nn
from microgradx.micrograd.engine import Value
from microgradx.nn import make_moons


def test_seed_gives_micrograds_weights_exactly():
    random.seed(1337)
    peer = peer_nn.MLP(2, [16, 16, 1])
    random.seed(1337)
    ours = face_nn.MLP(2, [16, 16, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in peer.parameters()]
    assert len(ours.parameters()) == 337
    assert repr(ours) == repr(peer)
    assert repr(face_nn.Neuron(3, nonlin=False)) == "LinearNeuron(3)"


def demo_losses(engine, nn, steps: int, X, y) -> list[tuple[float, float]]:
    """micrograd's demo loop (max-margin loss, L2 1e-4, lr 1 − 0.9·k/100), written here."""
    random.seed(1337)
    model = nn.MLP(2, [16, 16, 1])
    history = []
    for k in range(steps):
        inputs = [[engine.Value(float(a)) for a in row] for row in X]
        scores = [model(x) for x in inputs]
        losses = [(1 + -float(t) * s).relu() for t, s in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        total = data_loss + 1e-4 * sum(p * p for p in model.parameters())
        accuracy = sum((t > 0) == (s.data > 0) for t, s in zip(y, scores)) / len(y)
        model.zero_grad()
        total.backward()
        lr = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= lr * p.grad
        history.append((total.data, accuracy))
    return history


def test_demo_loop_gives_micrograds_losses_at_every_step():
    X, labels = make_moons(n_samples=12, noise=0.1, seed=3)
    y = labels * 2 - 1
    peer = demo_losses(peer_engine, peer_nn, 20, X, y)
    ours = demo_losses(microgradx.micrograd.engine, face_nn, 20, X, y)
    for (loss_p, acc_p), (loss_o, acc_o) in zip(peer, ours):
        assert loss_o == pytest.approx(loss_p, rel=1e-9)
        assert acc_o == acc_p
    assert ours[-1][0] < ours[0][0]  # it learns


def build(V):
    # micrograd's own ops and the ones it composes (−, /, negation, numbers on the left)
    a, b = V(-4.0), V(2.0)
    c = a * b + b**2
    d = (c.relu() + a * 2 + 1) * (b + c)
    e = d.relu() + (-a) + c * c
    g = (a - b) / (e + 1) + 2 / b - (1 - a) * 3
    return a, b, c, d, e, g


def test_reprs_ops_and_gradients_match_micrograd_even_after_two_backwards():
    peer, ours = build(peer_engine.Value), build(Value)
    for p, o in zip(peer, ours):
        assert type(o) is Value
        assert o.data == p.data
        assert repr(o).replace(".0", "") == repr(p).replace(".0", "")
        assert o._op == p._op, (o._op, p._op)
    for _ in range(2):  # micrograd's backward adds into every gradient, intermediate ones too
        peer[-1].backward()
        ours[-1].backward()
        for p, o in zip(peer, ours):
            assert o.grad == pytest.approx(p.grad, rel=1e-12)
    assert ours[2].grad != 0.0 and bool(Value(0.0)) is True  # micrograd's Values are all true


def test_face_values_are_microgradx_values_underneath():
    x = Value(3.0, label="x")
    f = (x * 2).tanh() + x**2
    assert isinstance(f, microgradx.Value) and f.op == "add"
    assert f._op == "+" and f.children[1]._op == "**2" and f.children[0]._op == "tanh"
    tape = microgradx.compile(f, [x])
    assert tape([3.0]) == pytest.approx(f.data, rel=1e-15)
    with pytest.raises(TypeError, match="recorded by the operations"):
        Value(1.0, (x,), "+")


def test_one_neuron_layer_returns_a_value_and_wider_a_list():
    random.seed(0)
    assert isinstance(face_nn.Layer(2, 1)([1.0, 2.0]), Value)
    out = face_nn.Layer(2, 3, nonlin=False)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3


# --- draw_dot and Drawing.render with a file name ---------------------------------------


def lecture_f() -> microgradx.Value:
    f = microgradx.parse("(w + x*y)*z", w=5, x=3, y=2, z=4).output
    f.backward()
    return f


def test_draw_dot_returns_graphvizs_digraph_with_microgradx_labels():
    f = lecture_f()
    dot = draw_dot(f, format="png", rankdir="TB")
    assert isinstance(dot, graphviz.Digraph) and dot.format == "png"
    assert "rankdir=TB" in dot.source
    assert "data 44" in dot.source and "<b>z</b></td><td>data 4</td><td>grad 11<" in dot.source
    assert f.draw_dot().format == "svg"
    with pytest.raises(ValueError, match="unknown format"):
        draw_dot(f, format="gout")


def test_render_takes_a_file_name_as_graphviz_does(tmp_path: Path, dot_program, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = lecture_f()
    written = draw_dot(f).render("gout")  # the lecture's call
    assert Path(written).read_bytes().startswith(b"<?xml") and Path("gout").exists()
    drawing = f.draw()
    out = drawing.render("graph", format="png", cleanup=True)
    assert out == "graph.png" and Path(out).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not Path("graph").exists()  # cleanup removed the DOT file
    assert drawing.render("svg").startswith(b"<?xml")  # a format name: bytes, as before
    assert drawing.render(format="pdf").startswith(b"%PDF")


def test_the_lectures_neuron_with_tanh_written_out_gives_tanhs_numbers():
    # o = tanh(n) once as an op and once as (e^{2n} − 1)/(e^{2n} + 1), then the same
    # gradients by hand: ∂o/∂wᵢ = (1 − o²)·xᵢ, ∂o/∂b = 1 − o²
    def neuron(written_out: bool):
        x1, x2, w1, w2 = Value(2.0), Value(0.0), Value(-3.0), Value(1.0)
        b = Value(6.8813735870195432)
        n = x1 * w1 + x2 * w2 + b
        if written_out:
            e = (2 * n).exp()
            o = (e - 1) / (e + 1)
        else:
            o = n.tanh()
        o.backward()
        return o, (x1, x2, w1, w2, b)

    for written_out in (False, True):
        o, (x1, x2, w1, w2, b) = neuron(written_out)
        slope = 1.0 - o.data**2
        assert o.data == pytest.approx(0.7071067811865476, rel=1e-12)
        assert w1.grad == pytest.approx(slope * 2.0, rel=1e-12)
        assert x1.grad == pytest.approx(slope * -3.0, rel=1e-12)
        assert b.grad == pytest.approx(slope, rel=1e-12) and w2.grad == 0.0
        assert x2.grad == pytest.approx(slope * 1.0, rel=1e-12)


def test_a_value_used_twice_receives_both_contributions():
    a = Value(3.0)
    b = a + a  # ∂b/∂a = 2: each use passes the gradient on, and the two add up
    b.backward()
    assert a.grad == 2.0
