"""Compiled-tape benchmark: a training step of ``fit(backend="tape")`` against PyTorch and numpy.

    python benchmarks/bench_tape.py            # or: make bench
    python benchmarks/bench_tape.py --quick    # two widths, two batches, one round
    python benchmarks/bench_tape.py --whole-call   # only the fit-against-PyTorch table

The workload is one step of full-batch gradient descent for ``MLP(2, [w, w, 1])``
(relu hidden layers, linear output) on ``b`` moons points, for widths w = 16, 64, 256
and batches b = 10, 100, 1,000, 10,000:

    J = (1/b)·Σₖ max(0, 1 − yₖ·score(xₖ)) + 1e-4·Σ p²,   p ← p − 0.05·∂J/∂p

* tape: the step ``fit(model, X, y, loss="hinge", l2=1e-4, backend="tape")`` takes,
  timed as the seconds ``fit`` records for each epoch (one step each; everything
  an epoch does, accuracy included; the first epoch, which compiles, is left out);
* PyTorch: the same step with float64 tensors on one thread (if installed);
* numpy: forward, backpropagation written by hand in matrix form, and the update.

All three use one BLAS thread. Before timing, each width is checked: three steps of
each engine from the same weights reach the same losses and weights. Then every
cell is timed in interleaved rounds (medians). A second table times compiling the
tape against building the scalar graph it traces.

A third table times what a user waits for: the whole call ``fit(model, X, y,
epochs=20)`` with its defaults (hinge, SGD with lr 0.1, full batch, the default
backend; ``progress=False``), setup and the final write-back into the Values
included, against 20 steps of ``torch.optim.SGD`` on the same MLP and loss (float64,
``torch.set_num_threads(1)``), for widths 16, 64, 256 and batches 10, 100, 1,000.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread for every engine; before numpy loads

import argparse  # noqa: E402 - after the thread settings
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from operator import attrgetter  # noqa: E402

import numpy as np  # noqa: E402

import microgradx  # noqa: E402
from microgradx import Value  # noqa: E402
from microgradx.nn import MLP, SGD, fit, hinge, make_moons  # noqa: E402

LR, ALPHA = 0.05, 1e-4


def model_for(width: int) -> MLP:
    return MLP(2, [width, width, 1], activation="relu", init="uniform", seed=0)


def weights(model: MLP) -> list[np.ndarray]:
    """``[W1, b1, W2, b2, W3, b3]`` as arrays."""
    out = []
    for layer in model.layers:
        out += [layer.weight.copy(), layer.bias.copy()]
    return out


def data(batch: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points, 0/1 labels (what ``fit`` takes) and ±1 labels (what the loss uses)."""
    X, labels = make_moons(batch, noise=0.1, seed=0)
    return X, labels, (2 * labels - 1).astype(float)


def tape_steps(model: MLP, X, labels, steps: int) -> tuple[list[float], list[float]]:
    """Seconds per step (epochs after the first) and the loss of every step."""
    history = fit(
        model,
        X,
        labels,
        loss="hinge",
        optimizer=SGD(model.parameters(), lr=LR),
        epochs=steps + 1,
        l2=ALPHA,
        progress=False,
        backend="tape",
    )
    return history.seconds[1:], history.loss


def numpy_step(params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> float:
    """Forward, the delta rule backward, and SGD, in place; returns the data loss."""
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


def torch_stepper(start: list[np.ndarray], X: np.ndarray, y: np.ndarray):
    """A step function on float64 tensors and a getter for the weights; None without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    params = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in start]
    Xt, yt = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)

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

    return step, lambda: [p.detach().numpy() for p in params]


def timed(step, steps: int) -> tuple[list[float], list[float]]:
    """Seconds and losses of ``steps`` calls, after one warm-up call."""
    losses, times = [step()], []
    for _ in range(steps):
        t0 = time.perf_counter()
        losses.append(step())
        times.append(time.perf_counter() - t0)
    return times, losses


def check(width: int, has_torch: bool) -> None:
    """Three steps of each engine from the same weights: same losses, same weights."""
    X, labels, y = data(100)
    model = model_for(width)
    start = weights(model)
    _, tape_losses = tape_steps(model, X, labels, 2)
    params = [p.copy() for p in start]
    np_losses = [numpy_step(params, X, y) for _ in range(3)]
    np.testing.assert_allclose(tape_losses, np_losses, rtol=1e-9)
    for a, b in zip(weights(model), params):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    if has_torch:
        step, torch_params = torch_stepper(start, X, y)
        torch_losses = [step() for _ in range(3)]
        np.testing.assert_allclose(torch_losses, np_losses, rtol=1e-9)
        for a, b in zip(torch_params(), params):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def steps_for(width: int, batch: int) -> int:
    """Fewer steps where one step is long, so a round stays short."""
    work = width * width * batch
    return 3 if work >= 10**8 else 10 if work >= 10**6 else 30


def compile_table(widths: list[int]) -> list[tuple[int, float, float, int]]:
    """Per width: seconds to build one sample's loss graph, to compile it, and its size."""
    rows = []
    for width in widths:
        builds, compiles = [], []
        for _ in range(5):
            model = model_for(width)
            xs = [Value(0.0, "x0"), Value(0.0, "x1")]
            t0 = time.perf_counter()
            loss = hinge(model(xs), 1.0)
            t1 = time.perf_counter()
            tape = microgradx.compile(loss, xs, model.parameters())
            t2 = time.perf_counter()
            builds.append(t1 - t0)
            compiles.append(t2 - t1)
        rows.append((width, statistics.median(builds), statistics.median(compiles), tape.size))
    return rows


def main(quick: bool, rounds: int) -> None:
    widths = [16, 64] if quick else [16, 64, 256]
    batches = [10, 100] if quick else [10, 100, 1_000, 10_000]
    has_torch = torch_stepper([np.zeros((1, 1))], np.zeros((1, 1)), np.zeros(1)) is not None
    for width in widths:
        check(width, has_torch)
    models = {w: model_for(w) for w in widths}
    for w in widths:  # compile each width's tapes before timing
        X, labels, _ = data(10)
        tape_steps(models[w], X, labels, 1)
    times: dict[tuple[int, int, str], list[float]] = {}
    for _ in range(rounds):
        for width in widths:
            for batch in batches:
                X, labels, y = data(batch)
                steps = 2 if quick else steps_for(width, batch)
                model = models[width]
                t, _ = tape_steps(model, X, labels, steps)
                times.setdefault((width, batch, "tape"), []).extend(t)
                start = weights(model)
                params = [p.copy() for p in start]
                t, _ = timed(lambda p=params, X=X, y=y: numpy_step(p, X, y), steps)
                times.setdefault((width, batch, "numpy"), []).extend(t)
                if has_torch:
                    step, _ = torch_stepper(start, X, y)
                    t, _ = timed(step, steps)
                    times.setdefault((width, batch, "torch"), []).extend(t)

    torch_version = sys.modules["torch"].__version__ if has_torch else "not installed"
    print(
        f"Python {sys.version.split()[0]}, numpy {np.__version__}, PyTorch {torch_version}; "
        f"one thread; median ms per step over {rounds} interleaved round(s)"
    )
    print("one full-batch SGD step of MLP(2, [w, w, 1]), hinge + L2 on moons points\n")
    header = (
        f"{'width':>6}{'batch':>8}{'tape fit':>11}{'PyTorch':>10}{'numpy':>10}"
        f"{'tape/PyTorch':>14}{'tape/numpy':>12}"
    )
    print(header)
    print("-" * len(header))
    for width in widths:
        for batch in batches:
            tape = statistics.median(times[width, batch, "tape"])
            by_hand = statistics.median(times[width, batch, "numpy"])
            line = f"{width:>6}{batch:>8,}{tape * 1e3:>11.3f}"
            if has_torch:
                torch_t = statistics.median(times[width, batch, "torch"])
                line += f"{torch_t * 1e3:>10.3f}"
            else:
                line += f"{'-':>10}"
            line += f"{by_hand * 1e3:>10.3f}"
            line += f"{tape / torch_t:>13.2f}x" if has_torch else f"{'-':>14}"
            line += f"{tape / by_hand:>11.2f}x"
            print(line)
    print("\nlosses and weights after 3 steps: equal in every engine (rtol 1e-9)\n")

    header = f"{'width':>6}{'nodes':>10}{'build graph ms':>16}{'compile ms':>12}{'ratio':>8}"
    print(header)
    print("-" * len(header))
    for width, build, comp, size in compile_table(widths):
        print(f"{width:>6}{size:>10,}{build * 1e3:>16.1f}{comp * 1e3:>12.1f}{comp / build:>7.2f}x")

    whole_call_table(quick, rounds, has_torch)


# --- the whole call: fit(model, X, y, epochs=20) against 20 PyTorch steps ---------------

EPOCHS = 20


def whole_fit(width: int, X: np.ndarray, labels: np.ndarray) -> tuple[float, MLP, str]:
    """Seconds of ``fit(model, X, labels, epochs=20)`` with every default (hinge, SGD with
    lr 0.1, full batch, the default backend) on a fresh model; the model; the backend."""
    model = model_for(width)
    t0 = time.perf_counter()
    history = fit(model, X, labels, epochs=EPOCHS, progress=False)
    seconds = time.perf_counter() - t0
    return seconds, model, history.info["backend"]


def torch_whole(start: list[np.ndarray], X: np.ndarray, y: np.ndarray):
    """Seconds of 20 steps of ``torch.optim.SGD`` (lr 0.1) on the same MLP and hinge loss,
    float64, one thread, and the weights it ends with. Tensors are made before timing."""
    import torch

    torch.set_num_threads(1)
    params = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in start]
    Xt, yt = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    W1, b1, W2, b2, W3, b3 = params
    t0 = time.perf_counter()
    opt = torch.optim.SGD(params, lr=0.1)
    for _ in range(EPOCHS):
        h = torch.relu(Xt @ W1.T + b1)
        h = torch.relu(h @ W2.T + b2)
        s = (h @ W3.T + b3)[:, 0]
        loss = torch.relu(1.0 - yt * s).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - t0
    return seconds, [p.detach().numpy() for p in params]


def values_in_out(width: int) -> float:
    """Seconds to read every parameter's ``.data`` into an array and write ``.data`` and
    ``.grad`` back: the least that training on arrays pays for a model made of Values."""
    params = model_for(width).parameters()
    t0 = time.perf_counter()
    data = np.fromiter(map(attrgetter("data"), params), float, len(params))
    grad = np.zeros(len(params))
    for p, x, g in zip(params, data.tolist(), grad.tolist()):
        p.data = x
        p.grad = g
    return time.perf_counter() - t0


def whole_call_table(quick: bool, rounds: int, has_torch: bool) -> None:
    """The whole ``fit`` call against 20 PyTorch steps: widths × batches, interleaved
    rounds (the order of the two alternates), medians; first checked to end on the same
    weights."""
    if not has_torch:
        print("\nthe whole-call table needs PyTorch")
        return
    widths = [16, 64] if quick else [16, 64, 256]
    batches = [10, 100] if quick else [10, 100, 1_000]
    backends = {}
    for width in widths:  # same weights after 20 steps (and everything imported)
        X, labels, y = data(100)
        _, model, backends[width] = whole_fit(width, X, labels)
        _, theirs = torch_whole(weights(model_for(width)), X, y)
        for a, b in zip(weights(model), theirs):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    times: dict[tuple[int, int, str], list[float]] = {}
    for r in range(rounds):
        for width in widths:
            for batch in batches:
                X, labels, y = data(batch)
                start = weights(model_for(width))
                order = ("fit", "torch") if r % 2 == 0 else ("torch", "fit")
                for who in order:
                    if who == "fit":
                        t = whole_fit(width, X, labels)[0]
                    else:
                        t = torch_whole(start, X, y)[0]
                    times.setdefault((width, batch, who), []).append(t)
                times.setdefault((width, batch, "values"), []).append(values_in_out(width))
    print(
        f"\nthe whole call fit(model, X, y, epochs={EPOCHS}) (defaults: hinge, SGD lr 0.1, "
        f"full batch)\nagainst {EPOCHS} PyTorch float64 SGD steps, one thread; "
        f"median ms of {rounds} interleaved round(s)\n"
    )
    header = (
        f"{'width':>6}{'batch':>8}{'backend':>8}{'fit':>10}{'PyTorch':>10}{'fit/PyTorch':>13}"
        f"{'Values':>8}{'(fit - Values)/PyTorch':>24}"
    )
    print(header)
    print("-" * len(header))
    for width in widths:
        for batch in batches:
            ours = statistics.median(times[width, batch, "fit"])
            theirs = statistics.median(times[width, batch, "torch"])
            values = statistics.median(times[width, batch, "values"])
            print(
                f"{width:>6}{batch:>8,}{backends[width]:>8}{ours * 1e3:>10.2f}"
                f"{theirs * 1e3:>10.2f}{ours / theirs:>12.2f}x"
                f"{values * 1e3:>8.2f}{(ours - values) / theirs:>23.2f}x"
            )
    print(f"\nweights after {EPOCHS} steps: equal in both (rtol 1e-9)")
    print(
        "Values: ms to read the model's parameters into an array and write .data and .grad "
        "back,\nthe least a fit on arrays pays for a model made of Values (PyTorch has "
        "tensors already)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one round")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (5)")
    parser.add_argument("--whole-call", action="store_true", help="only the whole-call table")
    args = parser.parse_args()
    rounds = args.rounds or (1 if args.quick else 5)
    if args.whole_call:
        whole_call_table(
            args.quick, rounds, torch_stepper([np.zeros((1, 1))], *([np.zeros(1)] * 2)) is not None
        )
    else:
        main(args.quick, rounds)
