"""MLP training-step benchmark: microgradx against micrograd (PyPI 0.1.0), one run.

    python benchmarks/bench_mlp.py
    python benchmarks/bench_mlp.py --quick    # 20 points, 3 steps (a smoke run)

The workload is one step of full-batch gradient descent for ``MLP(2, [16, 16, 1])``
(relu hidden layers, linear output; 337 parameters) on 100 moons points:

    J = (1/100)·Σₖ max(0, 1 − yₖ·score(xₖ)) + 1e-4·Σ p²,   p ← p − 0.05·∂J/∂p

* micrograd: the usual scalar loop — one graph for the whole batch, ``zero_grad``,
  ``backward``, and the update ``p.data -= lr * p.grad``;
* microgradx: the step ``fit`` takes — :func:`microgradx.nn.scalar_loss_and_grads`
  (a graph per sample, leaf gradients accumulating) followed by ``SGD.step``;
* microgradx, one graph: the same as micrograd's loop, written with microgradx.

Both engines start from the same weights and must arrive at the same loss and the
same updated weights (checked), so the timings compare identical work. Prints ms per
step (median of the runs) and how many times faster microgradx is.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time

import numpy as np

import microgradx
from microgradx.nn import MLP, SGD, hinge, l2, make_moons, mean, scalar_loss_and_grads

try:
    from micrograd.engine import Value as PeerValue
    from micrograd.nn import MLP as PeerMLP
except ImportError:  # pragma: no cover - a helpful message instead of a traceback
    sys.exit('micrograd is needed for the comparison: pip install "microgradx[bench]"')

STEPS = 7
LR, ALPHA = 0.05, 1e-4


def make_models():
    ours = MLP(2, [16, 16, 1], activation="relu", init="uniform", seed=0)
    peer = PeerMLP(2, [16, 16, 1])
    for p, q in zip(ours.parameters(), peer.parameters(), strict=True):
        q.data = p.data  # identical starting weights (both: neurons in order, bias last)
    return ours, peer


def peer_step(model, X, y) -> float:
    scores = [model([PeerValue(a), PeerValue(b)]) for a, b in X]
    losses = [(1 + -yi * s).relu() for yi, s in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg = ALPHA * sum(p * p for p in model.parameters())
    total = data_loss + reg
    model.zero_grad()
    total.backward()
    for p in model.parameters():
        p.data -= LR * p.grad
    return data_loss.data


def our_fit_step(model, opt, X, y) -> float:
    opt.zero_grad()
    loss, _ = scalar_loss_and_grads(model, X, y.tolist(), hinge, l2=ALPHA)
    opt.step()
    return loss


def our_graph_step(model, opt, X, y) -> float:
    data_loss = mean(hinge(model(x), t) for x, t in zip(X.tolist(), y.tolist()))
    total = data_loss + l2(model, ALPHA)
    opt.zero_grad()
    total.backward()
    opt.step()
    return data_loss.data


def timed(step) -> tuple[float, list[float]]:
    times, losses = [], []
    for _ in range(STEPS):
        t0 = time.perf_counter()
        losses.append(step())
        times.append(time.perf_counter() - t0)
    return statistics.median(times[1:]), losses  # the first step warms up


def main(n_points: int = 100) -> None:
    X, labels = make_moons(n_points, noise=0.1, seed=0)
    y = (2 * labels - 1).astype(float)
    sys.setrecursionlimit(100_000)  # micrograd's backward is recursive

    ours, peer = make_models()
    peer_time, peer_losses = timed(lambda: peer_step(peer, X.tolist(), y.tolist()))
    opt = SGD(ours.parameters(), lr=LR)
    fit_time, fit_losses = timed(lambda: our_fit_step(ours, opt, X, y))
    assert np.allclose(fit_losses, peer_losses, rtol=1e-9), (fit_losses, peer_losses)
    ours_w = np.array([p.data for p in ours.parameters()])
    peer_w = np.array([p.data for p in peer.parameters()])
    assert np.allclose(ours_w, peer_w, rtol=1e-9, atol=1e-12), "different updates"

    ours2, _ = make_models()
    opt2 = SGD(ours2.parameters(), lr=LR)
    graph_time, graph_losses = timed(lambda: our_graph_step(ours2, opt2, X, y))
    assert np.allclose(graph_losses, peer_losses, rtol=1e-9)

    nodes = microgradx.stats(
        mean(hinge(ours(x), t) for x, t in zip(X.tolist(), y.tolist())) + l2(ours, ALPHA)
    ).nodes
    print(
        f"Python {sys.version.split()[0]}; one SGD step of MLP(2, [16, 16, 1]) on "
        f"{n_points} moons points, hinge + L2 ({nodes:,} nodes); median of {STEPS - 1} steps\n"
    )
    header = f"{'engine':<36}{'ms / step':>10}{'speed-up':>10}"
    print(header)
    print("-" * len(header))
    rows = [
        ("micrograd 0.1.0", peer_time),
        ("microgradx (fit: graph per sample)", fit_time),
        ("microgradx (one graph per batch)", graph_time),
    ]
    for name, t in rows:
        print(f"{name:<36}{t * 1e3:>10.1f}{peer_time / t:>9.1f}x")
    assert all(math.isfinite(t) for _, t in rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 points, 3 steps")
    if parser.parse_args().quick:
        STEPS = 3
        main(20)
    else:
        main()
