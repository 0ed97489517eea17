"""Network diagrams: the textbook figure of a Neuron, Layer or MLP.

Inputs on the left, then one column per layer, left to right; one circle per neuron
in index order from the top; one arrow per weight, labelled with its value
(blue for positive, red for negative, thicker for larger ``|w|``); each neuron shows
its bias and activation. Built from the module's structure, not from the scalar
graph, so it stays small: a 4-4-2 network is 10 circles and 24 arrows.

Given one sample (``x``, and a target ``y``), it runs the sample forward and, with a
target, backward through the squared error ``L = Σⱼ (ŷⱼ − yⱼ)²``: each neuron shows
its activation ``a`` and each arrow the weight's gradient ``∂L/∂w``. The model's own
gradients are left as they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

import graphviz

from ..engine import Value
from .drawing import Drawing
from .formatting import format_number
from .options import FONT
from .render import DEFAULT_TIMEOUT, check_timeout

__all__ = ["MAX_NEURONS", "draw_network"]

#: Most neurons drawn in one layer; wider layers are refused (the figure is unreadable).
MAX_NEURONS = 64
#: Above this many weights the arrows carry no numbers (colour and width still tell).
MAX_LABELLED_WEIGHTS = 80
#: ... or when a neuron has more inputs than this (their labels would crowd).
MAX_LABELLED_FAN_IN = 6

INPUT_COLOURS = ("#dbeafe", "#2563eb")
HIDDEN_COLOURS = ("#fef3c7", "#d97706")
OUTPUT_COLOURS = ("#dcfce7", "#16a34a")
POSITIVE, NEGATIVE = "#2563eb", "#dc2626"
GRAD_COLOUR = "#7c3aed"
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _layers(model: Any) -> list[Any]:
    """The model's layers as lists of neurons (a Neuron is a layer of one).

    Read through the model's ``neuron_layers()`` (``nn``'s Neuron, Layer and MLP have
    it), so the drawing needs nothing from the ``nn`` package, which sits above it.
    """
    layers = getattr(model, "neuron_layers", None)
    if not callable(layers):
        raise TypeError(f"draw_network() draws a Neuron, Layer or MLP, got {type(model).__name__}")
    return layers()


def _numbers(name: str, values: Any, n: int) -> list[float]:
    if isinstance(values, (int, float)) and not isinstance(values, bool):
        values = [values]
    try:
        out = [float(v) for v in values]
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a sequence of {n} numbers") from None
    if len(out) != n:
        raise ValueError(f"{name} must have {n} numbers, got {len(out)}")
    return out


def _forward(
    model: Any, layers: list[list[Any]], x: Sequence[float], y: Sequence[float] | None
) -> tuple[list[list[float]], dict[Value, float], float | None]:
    """Activations of every layer, the weights' gradients ∂L/∂w and the loss."""
    if any(
        getattr(layer, "norm", None) is not None for layer in getattr(model, "layers", [model])
    ):
        raise ValueError(
            "draw_network does not compute activations through batch normalisation; "
            "draw the network without x and y, or draw the Value graph with draw()"
        )
    params = [p for neurons in layers for n in neurons for p in n.parameters()]
    saved = [p.grad for p in params]
    try:
        h: list[Value] = [Value(v, f"x{i}") for i, v in enumerate(x)]
        activations = [[v.data for v in h]]
        for neurons in layers:
            h = [n._forward(h) for n in neurons]
            activations.append([v.data for v in h])
        if y is None:
            return activations, {}, None
        loss = Value(0.0)
        for out, target in zip(h, y):
            loss = loss + (out - target) ** 2
        for p in params:
            p.grad = 0.0
        loss.backward()
        grads = {p: p.grad for p in params}
        return activations, grads, loss.data
    finally:
        for p, g in zip(params, saved):
            p.grad = g


def draw_network(
    model: Any,
    x: Sequence[float] | None = None,
    y: Sequence[float] | float | None = None,
    *,
    precision: int = 2,
    weights: bool | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Drawing:
    """Draw ``model`` (a Neuron, Layer or MLP) as the textbook network figure.

    Args:
        model: the network.
        x: one input sample; each neuron then shows its activation ``a``.
        y: the sample's target; each arrow then shows ``∂L/∂w`` for the squared
            error ``L = Σⱼ (ŷⱼ − yⱼ)²`` (the model's ``.grad`` are left unchanged).
        precision: decimals shown.
        weights: label arrows with weights (default: when there are at most 80
            weights and no neuron has more than 6 inputs).
        timeout: seconds the layout may take.

    Returns:
        A :class:`~microgradx.viz.Drawing` (``.png()``, ``.save()``, Jupyter display).
    """
    layers = _layers(model)
    widest = max(len(neurons) for neurons in layers)
    if max(widest, model.nin) > MAX_NEURONS:
        raise ValueError(
            f"cannot draw a layer of {max(widest, model.nin)} neurons: the limit is "
            f"{MAX_NEURONS}; draw a smaller model, or the scalar graph with "
            "draw(loss, collapse=1)"
        )
    n_weights = sum(len(n.w) for neurons in layers for n in neurons)
    fan_in = max([model.nin] + [len(neurons) for neurons in layers[:-1]])
    if weights is None:
        weights = n_weights <= MAX_LABELLED_WEIGHTS and fan_in <= MAX_LABELLED_FAN_IN
    if y is not None and x is None:
        raise ValueError("a target y needs an input x")
    xs = None if x is None else _numbers("x", x, model.nin)
    ys = None if y is None else _numbers("y", y, len(layers[-1]))
    activations, grads, loss = (
        _forward(model, layers, xs, ys) if xs is not None else ([], {}, None)
    )

    def num(v: float) -> str:
        return format_number(round(v, precision), precision)

    # Positions are fixed (neato with pinned nodes): columns left to right, neurons in
    # index order from the top, each column centred. A weight's label sits on its arrow
    # at fraction t of the way to the target, where arrows into one neuron are spread
    # apart by (1 - t) times the spacing of their sources.
    sizes = [model.nin] + [len(neurons) for neurons in layers]
    fan_in = max(sizes[:-1])
    step = 1.4  # inches between neurons of a column
    reach = 1.05  # inches from a label's centre to its target's centre
    # The labels of the arrows into neuron j lie between its height and its sources'
    # heights, scaled by (1 - t): they span at most fan_in·(1 - t)·step, which must stay
    # below one step less a label's height (0.24 in) so neighbouring groups never meet.
    share = (1 - 0.24 / step) / fan_in
    gap = max(2.4, reach / share) if weights else 2.4
    t = 1 - reach / gap
    top = (max(sizes) - 1) * step / 2

    def position(k: int, j: int) -> tuple[float, float]:
        return k * gap, top - (j - (sizes[k] - 1) / 2) * step - top

    def pin(xy: tuple[float, float]) -> str:
        return f"{xy[0]:.3f},{xy[1]:.3f}!"

    captions = []
    if loss is not None:
        captions.append(f"L = Σ(ŷ − y)² = {num(loss)}")
        captions.append("on each arrow: weight w, and ∂L/∂w in violet")
    elif weights:
        captions.append("on each arrow: the weight; blue positive, red negative")
    graph_attr = {
        "fontname": FONT,
        "splines": "line",
        "overlap": "true",
        "outputorder": "edgesfirst",
    }
    if captions:
        graph_attr.update(label="    ".join(captions), labelloc="b", fontsize="14")
    dot = graphviz.Digraph(
        "network",
        engine="neato",
        graph_attr=graph_attr,
        node_attr={"fontname": FONT, "fontsize": "13", "shape": "circle", "style": "filled"},
        edge_attr={"fontname": FONT, "arrowsize": "0.7"},
    )
    last = len(layers) - 1
    radius = 1.05 if grads else 0.9

    def title(k: int, text: str) -> None:
        x, _ = position(k, 0)
        y = top + step * 0.1 + radius / 2
        dot.node(f"title{k}", text, shape="plaintext", style="", fontcolor="#4b5563",
                 pos=pin((x, y)))  # fmt: skip

    fill, border = INPUT_COLOURS
    for i in range(model.nin):
        text = f"<b>x{str(i).translate(_SUBSCRIPTS)}</b>"
        if activations:
            text += f"<br/>{num(activations[0][i])}"
        dot.node(f"x{i}", f"<{text}>", fillcolor=fill, color=border, width=f"{radius * 0.8}",
                 fixedsize="true", pos=pin(position(0, i)))  # fmt: skip
    title(0, "inputs")

    for k, neurons in enumerate(layers, 1):
        fill, border = OUTPUT_COLOURS if k - 1 == last else HIDDEN_COLOURS
        for j, neuron in enumerate(neurons):
            symbol = "ŷ" if k - 1 == last else f"h{k}" if len(layers) > 2 else "h"
            lines = [f"<b>{symbol}{str(j).translate(_SUBSCRIPTS)}</b>"]
            if activations:
                lines.append(f"a {num(activations[k][j])}")
            lines.append(f'<font point-size="11">b {num(neuron.b.data)}</font>')
            if grads:
                lines.append(
                    f'<font point-size="11" color="{GRAD_COLOUR}">∂b {num(grads[neuron.b])}</font>'
                )
            node_id = f"l{k}n{j}"
            dot.node(node_id, "<" + "<br/>".join(lines) + ">", fillcolor=fill, color=border,
                     penwidth="1.5", width=f"{radius}", fixedsize="true",
                     pos=pin(position(k, j)))  # fmt: skip
            biggest = max(1.0, *(abs(w.data) for w in neuron.w))
            for i, w in enumerate(neuron.w):
                source = f"x{i}" if k == 1 else f"l{k - 1}n{i}"
                colour = POSITIVE if w.data >= 0 else NEGATIVE
                dot.edge(source, node_id, color=colour, tooltip=f"w = {num(w.data)}",
                         penwidth=f"{0.7 + 2.0 * abs(w.data) / biggest:.2f}")  # fmt: skip
                if not weights:
                    continue
                (x0, y0), (x1, y1) = position(k - 1, i), position(k, j)
                label = f'<font color="{colour}">{escape(num(w.data))}</font>'
                if grads:
                    label += f'  <font color="{GRAD_COLOUR}">{escape(num(grads[w]))}</font>'
                dot.node(f"w{k}_{j}_{i}", f"<{label}>", shape="plaintext", style="filled",
                         fillcolor="white", fontsize="11", margin="0.01", width="0", height="0",
                         pos=pin((x0 + t * (x1 - x0), y0 + t * (y1 - y0))))  # fmt: skip
        kind = "output" if k - 1 == last else f"layer {k}"
        title(k, f"{kind} ({neurons[0].activation})")
    shape = "-".join(str(n) for n in sizes)
    summary = f"network {shape}" + (f", {captions[0]}" if loss is not None else "")
    return Drawing(dot, caption=summary, timeout=check_timeout(timeout))
