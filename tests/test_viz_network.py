"""Network diagrams: model.draw() for Neuron, Layer and MLP."""

from __future__ import annotations

import re

import pytest

from microgradx import Value, nn
from microgradx.viz.network import draw_network


def positions(source: str) -> dict[str, tuple[float, float]]:
    """Pinned node positions from the DOT text."""
    return {
        node: (float(x), float(y))
        for node, x, y in re.findall(r'(\w+) \[.*?pos="([-\d.]+),([-\d.]+)!"', source)
    }


def test_mlp_figure_has_inputs_neurons_in_order_and_one_arrow_per_weight():
    model = nn.MLP(4, [4, 2], seed=1, activation="tanh")
    src = model.draw().source
    pos = positions(src)
    columns = [[f"x{i}" for i in range(4)], [f"l1n{j}" for j in range(4)], ["l2n0", "l2n1"]]
    xs = [{pos[n][0] for n in column} for column in columns]
    assert all(len(x) == 1 for x in xs) and sorted(x.pop() for x in xs) == [
        pos["x0"][0], pos["l1n0"][0], pos["l2n0"][0]
    ]  # fmt: skip
    assert pos["x0"][0] < pos["l1n0"][0] < pos["l2n0"][0]  # layers left to right
    for column in columns:  # index order from the top
        ys = [pos[n][1] for n in column]
        assert ys == sorted(ys, reverse=True)
    arrows = re.findall(r"^\s*(\w+) -> (\w+)", src, re.M)
    assert len(arrows) == 4 * 4 + 4 * 2
    # each weight is written on its arrow, in its sign's colour
    layer = model.layers[0]
    w = layer.neurons[2].w[3]
    label = re.search(r'w1_2_3 \[label=<<font color="(#\w+)">([^<]+)</font>', src)
    assert float(label.group(2)) == pytest.approx(w.data, abs=0.006)
    assert label.group(1) == ("#2563eb" if w.data >= 0 else "#dc2626")
    for j, neuron in enumerate(model.layers[1].neurons):
        assert re.search(rf"l2n{j} \[label=<.*?b {neuron.b.data:g}", src)


def test_one_sample_shows_activations_and_weight_gradients():
    model = nn.MLP(2, [2, 1], seed=3, activation="tanh")
    for p in model.parameters():
        p.grad = 0.25  # grads the user already has
    x, y = [0.5, -1.0], [1.0]
    src = model.draw(x=x, y=y, precision=4).source
    # truth from the scalar engine, done by hand
    inputs = [Value(v) for v in x]
    out = model(inputs)
    for p in model.parameters():
        p.grad = 0.0
    loss = (out - 1.0) ** 2
    loss.backward()
    hidden = [n(inputs) for n in model.layers[0].neurons]
    assert f"a {round(hidden[1].data, 4):g}" in src
    assert f"a {round(out.data, 4):g}" in src
    w = model.layers[1].neurons[0].w[1]
    label = re.search(r"w2_0_1 \[label=<<font[^>]*>[^<]+</font>  <font[^>]*>([^<]+)</font>", src)
    assert float(label.group(1)) == pytest.approx(w.grad, abs=1e-4)
    assert f"L = Σ(ŷ − y)² = {round(loss.data, 4):g}" in src
    # drawing did not touch the model's gradients
    model.zero_grad()
    model.draw(x=x, y=y)
    assert all(p.grad == 0.0 for p in model.parameters())


def test_neuron_and_layer_draw_too():
    neuron = nn.Neuron(3, weights=[0.5, -1.0, 2.0], bias=0.25)
    src = neuron.draw().source
    assert len(re.findall(r"-> l1n0", src)) == 3 and "b 0.25" in src
    layer = nn.Layer(2, 3, seed=0)
    assert len(re.findall(r"->", layer.draw(x=[1.0, 2.0]).source)) == 6


def test_repr_names_the_shape():
    model = nn.MLP(4, [4, 2], seed=1)
    assert repr(model.draw()) == "<Drawing: network 4-4-2>"
    assert repr(model.draw(x=[0, 0, 0, 0], y=[0, 0])).startswith("<Drawing: network 4-4-2, L = ")


def test_figure_renders(dot_program):
    png = nn.MLP(4, [4, 2], seed=1).draw(x=[1, 2, 3, 4], y=[0, 1]).png(dpi=72)
    assert png.startswith(b"\x89PNG")


def test_big_models_are_refused_or_unlabelled():
    assert "w1_0_0" not in nn.MLP(16, [16, 1], seed=0).draw().source  # arrows, no numbers
    with pytest.raises(ValueError, match="collapse=1"):
        draw_network(nn.MLP(2, [100, 1], seed=0))
    with pytest.raises(ValueError, match="3 numbers"):
        nn.Neuron(3).draw(x=[1.0, 2.0])
    with pytest.raises(ValueError, match="needs an input"):
        nn.Neuron(3).draw(y=[1.0])
    with pytest.raises(TypeError, match="Neuron, Layer or MLP"):
        draw_network(object())
