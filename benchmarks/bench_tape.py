"""Compiled-tape benchmark: one training step, five ways, in one run.

    python benchmarks/bench_tape.py

The workload is one step of full-batch gradient descent for ``MLP(2, [16, 16, 1])``
(relu hidden layers, linear output; 337 parameters) on 100 moons points:

    J = (1/100)·Σₖ max(0, 1 − yₖ·score(xₖ)) + 1e-4·Σ p²,   p ← p − 0.05·∂J/∂p

* micrograd 0.1.0: one scalar graph for the batch, ``backward``, update;
* microgradx scalar: the step ``fit`` takes (a graph per sample);
* microgradx tape: the step ``fit(engine="tape")`` takes — the sample's loss graph,
  traced once per label, replayed over the batch with fused layers;
* microgradx tape, direct: the same loss written with the label as a tape input,
  ``relu(1 − y·score)``, so one tape covers the batch; ``grad_batch`` then a
  plain update of the parameter Values;
* numpy: backpropagation written by hand in matrix form;
* PyTorch (float64 tensors), when ``torch`` is installed (it is not a dependency).

Every engine starts from the same weights and must reach the same loss and the same
updated weights (checked), so the timings compare identical work. Prints ms per step
(median) and ratios.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

import microgradx
from microgradx import Value, no_grad
from microgradx.nn import MLP, SGD, hinge, make_moons, scalar_loss_and_grads, tape_loss_and_grads

try:
    from micrograd.engine import Value as PeerValue
    from micrograd.nn import MLP as PeerMLP
except ImportError:  # pragma: no cover - a helpful message instead of a traceback
    sys.exit('micrograd is needed for the comparison: pip install "microgradx[bench]"')

LR, ALPHA = 0.05, 1e-4


def timed(step, repeats: int) -> tuple[float, list[float]]:
    """Median seconds per step (after one warm-up step) and the losses."""
    losses = [step()]
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        losses.append(step())
        times.append(time.perf_counter() - t0)
    return statistics.median(times), losses


def weights(model: MLP) -> list[np.ndarray]:
    """``[W1, b1, W2, b2, W3, b3]`` as arrays."""
    out = []
    for layer in model.layers:
        out += [layer.weight.copy(), layer.bias.copy()]
    return out


def peer_step(model, X, y) -> float:
    scores = [model([PeerValue(a), PeerValue(b)]) for a, b in X]
    losses = [(1 + -yi * s).relu() for yi, s in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    total = data_loss + ALPHA * sum(p * p for p in model.parameters())
    model.zero_grad()
    total.backward()
    for p in model.parameters():
        p.data -= LR * p.grad
    return data_loss.data


def engine_step(engine, model, opt, X, y) -> float:
    opt.zero_grad()
    loss, _ = engine(model, X, y, hinge, ALPHA)
    opt.step()
    return loss


def direct_tape(model: MLP, X: np.ndarray, y: np.ndarray):
    """A step through one tape whose inputs are the point and its label."""
    x1, x2, label = Value(0.0, "x1"), Value(0.0, "x2"), Value(0.0, "y")
    score = model([x1, x2])
    params = model.parameters()
    tape = microgradx.compile((1.0 - score * label).relu(), [x1, x2, label], params)
    Xy = np.column_stack([X, y])

    def step() -> float:
        g = tape.grad_batch(Xy, reduce="mean")
        data = np.array([p.data for p in params])
        new = data - LR * (g.params + 2 * ALPHA * data)
        with no_grad():
            for p, v in zip(params, new.tolist()):
                p.data = v
        return float(g.output.mean())

    return step


def numpy_step(params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> float:
    """Forward, the delta rule backward, and SGD, in place."""
    W1, b1, W2, b2, W3, b3 = params
    m = len(X)
    z1 = X @ W1.T + b1
    h1 = np.maximum(z1, 0.0)
    z2 = h1 @ W2.T + b2
    h2 = np.maximum(z2, 0.0)
    s = (h2 @ W3.T + b3)[:, 0]
    margin = 1.0 - y * s
    loss = np.maximum(margin, 0.0).mean()
    ds = np.where(margin > 0, -y, 0.0)[:, None] / m  # ∂J/∂s
    dz2 = (ds @ W3) * (z2 > 0)
    dz1 = (dz2 @ W2) * (z1 > 0)
    grads = [dz1.T @ X, dz1.sum(0), dz2.T @ h1, dz2.sum(0), ds.T @ h2, ds.sum(0)]
    for p, g in zip(params, grads):
        p -= LR * (g + 2 * ALPHA * p)
    return float(loss)


def torch_runner(start: list[np.ndarray], X: np.ndarray, y: np.ndarray):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    params = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in start]
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)

    def step() -> float:
        W1, b1, W2, b2, W3, b3 = params
        h = torch.relu(Xt @ W1.T + b1)
        h = torch.relu(h @ W2.T + b2)
        s = (h @ W3.T + b3)[:, 0]
        data_loss = torch.relu(1.0 - yt * s).mean()
        total = data_loss + ALPHA * sum((p * p).sum() for p in params)
        for p in params:
            p.grad = None
        total.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
        return float(data_loss.detach())

    return step, lambda: [p.detach().numpy() for p in params], torch.__version__


def main() -> None:
    X, labels = make_moons(100, noise=0.1, seed=0)
    y = (2 * labels - 1).astype(float)
    sys.setrecursionlimit(100_000)  # micrograd's backward is recursive

    def fresh():
        return MLP(2, [16, 16, 1], activation="relu", init="uniform", seed=0)

    start = weights(fresh())
    peer = PeerMLP(2, [16, 16, 1])
    for p, q in zip(fresh().parameters(), peer.parameters(), strict=True):
        q.data = p.data
    rows = []
    peer_t, peer_losses = timed(lambda: peer_step(peer, X.tolist(), y.tolist()), 5)
    rows.append(("micrograd 0.1.0", peer_t))
    final = {}
    for name, engine, repeats in [
        ("microgradx scalar (fit)", scalar_loss_and_grads, 5),
        ("microgradx tape (fit, engine='tape')", tape_loss_and_grads, 300),
    ]:
        model = fresh()
        opt = SGD(model.parameters(), lr=LR)
        t, losses = timed(lambda e=engine, m=model, o=opt: engine_step(e, m, o, X, y), repeats)
        np.testing.assert_allclose(losses[:6], peer_losses[:6], rtol=1e-9)
        rows.append((name, t))
        final[name] = (repeats, weights(model))
    model = fresh()
    t, losses = timed(direct_tape(model, X, y), 300)
    np.testing.assert_allclose(losses[:6], peer_losses[:6], rtol=1e-9)
    rows.append(("microgradx tape, direct (label as input)", t))
    final["direct"] = (300, weights(model))
    params = [p.copy() for p in start]
    t, losses = timed(lambda: numpy_step(params, X, y), 300)
    np.testing.assert_allclose(losses[:6], peer_losses[:6], rtol=1e-9)
    rows.append(("numpy, backprop by hand", t))
    final["numpy"] = (300, params)
    runner = torch_runner(start, X, y)
    if runner is not None:
        step, torch_params, version = runner
        t, losses = timed(step, 300)
        np.testing.assert_allclose(losses[:6], peer_losses[:6], rtol=1e-9)
        rows.append((f"PyTorch {version} (float64, 1 thread)", t))
        final["torch"] = (300, torch_params())
    # engines that took the same number of steps end at the same weights
    ref = final["microgradx tape (fit, engine='tape')"][1]
    for name in ("direct", "numpy", "torch"):
        if name in final:
            for a, b in zip(final[name][1], ref):
                np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-12)

    print(
        f"Python {sys.version.split()[0]}, numpy {np.__version__}; one SGD step of "
        "MLP(2, [16, 16, 1]) on 100 moons points, hinge + L2; median ms per step\n"
    )
    tape_t = dict(rows)["microgradx tape (fit, engine='tape')"]
    header = f"{'engine':<42}{'ms / step':>11}{'vs micrograd':>14}{'tape vs it':>12}"
    print(header)
    print("-" * len(header))
    for name, t in rows:
        print(f"{name:<42}{t * 1e3:>11.3f}{peer_t / t:>13.0f}x{t / tape_t:>11.2f}x")
    if runner is None:
        print("\n(PyTorch is not installed: its row is left out)")


if __name__ == "__main__":
    main()
