"""Engine benchmark: microgradx against micrograd (PyPI 0.1.0), same workloads, one run.

    python benchmarks/bench_engine.py            # or: make bench
    python benchmarks/bench_engine.py --quick    # small sizes, one round (a smoke run)

Prints, per workload, nanoseconds per node for the forward pass (building the graph)
and the backward pass, bytes per node (tracemalloc: everything the graph holds), and
how many times faster (or smaller) microgradx is. Three ways to run each workload:

* ``micrograd``: micrograd as users run it (the interpreter's default GC settings);
* ``microgradx``: the same code with microgradx, also with default settings (the
  library pauses the cyclic collector inside its own calls, e.g. ``backward``);
* ``microgradx, gc_paused()``: the user's code wrapped in ``with gc_paused():``.

Workloads (the graph-building code is the same text for both engines):

* ``wide, built-in sum``: ``sum(w*x for ...)`` over 100,000 products — a chain of
  100,000 additions, as users write it;
* ``wide, microgradx.sum``: the same products under one n-ary ``Σ`` node (micrograd
  has no n-ary sum: its row is the built-in-sum one);
* ``chain``: ``v = v + x`` 10,000 times;
* ``lecture graph``: ``(w + x*y)*z`` with fresh leaves, built 100,000 times, as a lecture
  rebuilds it: 100 rounds of 1,000 graphs built, then ``backward`` on each, then dropped;
* ``lecture loop``: micrograd's training loop written by hand — an MLP 2-8-8-1 of
  ``sum(wi*xi ...) + b`` neurons with relu, hinge loss over 40 points plus L2,
  ``zero_grad``, ``backward``, ``p.data -= lr*p.grad`` — for 3 steps.

Timings are medians over interleaved rounds (every workload and engine once per
round), so machine noise hits all of them alike. Each workload also checks that
both engines compute the same gradients.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import math
import random
import statistics
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field

import microgradx

try:
    from micrograd.engine import Value as PeerValue
except ImportError:  # pragma: no cover - a helpful message instead of a traceback
    sys.exit('micrograd is needed for the comparison: pip install "microgradx[bench]"')

OURS = microgradx.Value


# --- workloads: each builds leaves (untimed), a graph (forward), then runs backward --------


@dataclass
class Run:
    """One workload's state: its Value class, the leaves whose gradients are compared,
    the outputs, and (for the training loop) the model."""

    cls: type
    leaves: list = field(default_factory=list)
    roots: list = field(default_factory=list)
    model: HandMLP | None = None


def wide_leaves(cls, n: int) -> Run:
    ws = [cls(0.5 + (i % 5) * 0.1) for i in range(n)]
    xs = [cls(float(i % 7)) for i in range(n)]
    return Run(cls, ws + xs)


def wide_builtin(run: Run) -> None:
    n = len(run.leaves) // 2
    ws, xs = run.leaves[:n], run.leaves[n:]
    run.roots = [sum(w * x for w, x in zip(ws, xs))]


def wide_nary(run: Run) -> None:
    n = len(run.leaves) // 2
    ws, xs = run.leaves[:n], run.leaves[n:]
    run.roots = [microgradx.sum([w * x for w, x in zip(ws, xs)])]


def chain_leaves(cls, n: int) -> Run:
    return Run(cls, [cls(0.5)])


def chain(n: int) -> Callable[[Run], None]:
    def build(run: Run) -> None:
        x = run.leaves[0]
        v = x
        for _ in range(n):
            v = v + x
        run.roots = [v]

    return build


def lecture_leaves(cls, n: int) -> Run:
    return Run(cls)  # leaves are made inside the timed loop, as in a lecture


def lecture_graphs(n: int, rounds: int = 100) -> Callable[[Run], None]:
    """``n // rounds`` graphs per call, called ``rounds`` times (the previous ones dropped)."""
    per_round = max(1, n // rounds)

    def build(run: Run) -> None:
        cls = run.cls
        roots = []
        for _ in range(per_round):
            w, x, y, z = cls(5.0), cls(3.0), cls(2.0), cls(4.0)
            roots.append((w + x * y) * z)
        run.roots = roots
        run.leaves = [w, x, y, z]  # the last graph's: their gradients are compared

    build.steps = rounds  # type: ignore[attr-defined]
    return build


class HandMLP:
    """micrograd's MLP written out by hand, for either engine's Value class."""

    def __init__(self, cls, sizes: list[int], seed: int = 0) -> None:
        rng = random.Random(seed)
        self.layers = []
        for fan_in, fan_out in itertools.pairwise(sizes):
            neurons = [
                ([cls(rng.uniform(-1, 1)) for _ in range(fan_in)], cls(0.0))
                for _ in range(fan_out)
            ]
            self.layers.append(neurons)

    def __call__(self, x: list) -> object:
        for k, neurons in enumerate(self.layers):
            out = [sum((wi * xi for wi, xi in zip(w, x)), b) for w, b in neurons]
            x = out if k == len(self.layers) - 1 else [v.relu() for v in out]
        return x[0]

    def parameters(self) -> list:
        return [p for neurons in self.layers for w, b in neurons for p in (*w, b)]


def moons(n: int, seed: int = 1) -> tuple[list[list[float]], list[float]]:
    """Two interleaving half circles, labels ±1 (no numpy: the same floats for both)."""
    rng = random.Random(seed)
    X, y = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2:
            X.append([math.cos(t) + rng.gauss(0, 0.1), math.sin(t) + rng.gauss(0, 0.1)])
            y.append(1.0)
        else:
            X.append([1 - math.cos(t) + rng.gauss(0, 0.1), 0.5 - math.sin(t) + rng.gauss(0, 0.1)])
            y.append(-1.0)
    return X, y


def loop_leaves(cls, n_points: int) -> Run:
    model = HandMLP(cls, [2, 8, 8, 1])
    return Run(cls, model.parameters(), model=model)


def lecture_loop(n_points: int, steps: int = 3) -> Callable[[Run], None]:
    """The forward half of each step; :func:`loop_backward` does the rest."""
    X, y = moons(n_points)

    def build(run: Run) -> None:
        model, cls = run.model, run.cls
        scores = [model([cls(a), cls(b)]) for a, b in X]
        losses = [(1 + -yi * s).relu() for yi, s in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        total = data_loss + 1e-4 * sum(p * p for p in model.parameters())
        run.roots = [total]

    build.steps = steps  # type: ignore[attr-defined]
    return build


def backward(run: Run) -> None:
    """``backward`` on every root; for the lecture loop, zero_grad first and update after."""
    if run.model is not None:
        params = run.model.parameters()
        for p in params:
            p.grad = 0.0
        run.roots[0].backward()
        for p in params:
            p.data -= 0.05 * p.grad
        return
    for r in run.roots:
        r.backward()


def count_nodes(roots: list) -> int:
    """Distinct Values reachable from the roots, walked iteratively (both engines)."""
    seen = {id(r) for r in roots}
    stack = list(roots)
    while stack:
        node = stack.pop()
        children = node._prev if isinstance(node, PeerValue) else node.children
        for child in children:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


# --- measuring --------------------------------------------------------------------------------

ENGINES = [("micrograd", PeerValue, False), ("microgradx", OURS, False)]
ENGINES.append(("microgradx, gc_paused()", OURS, True))


def one_run(
    make: Callable, build: Callable, cls, paused: bool, repeat: int = 1
) -> tuple[float, float, int, list]:
    """Seconds for forward and backward, the node count, and the leaves' gradients.

    A small workload is run ``repeat`` times and the fastest run counts.
    """
    if repeat > 1:
        runs = [one_run(make, build, cls, paused) for _ in range(repeat)]
        return min(r[0] for r in runs), min(r[1] for r in runs), runs[0][2], runs[0][3]
    run = make(cls)
    steps = getattr(build, "steps", 1)
    forward = back = 0.0
    nodes = 0
    gc.collect()
    for _ in range(steps):
        pause = microgradx.gc_paused() if paused else _nothing()
        with pause:
            t0 = time.perf_counter()
            build(run)
            t1 = time.perf_counter()
            backward(run)
            t2 = time.perf_counter()
        forward += t1 - t0
        back += t2 - t1
        nodes += count_nodes(run.roots)
    grads = [p.grad for p in run.leaves]
    del run
    gc.collect()
    return forward, back, nodes, grads


class _nothing:
    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        pass


def bytes_per_node(make: Callable, build: Callable, cls) -> float:
    run = make(cls)
    gc.collect()
    tracemalloc.start()
    build(run)
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    nodes = count_nodes(run.roots)
    del run
    gc.collect()
    return size / nodes


def workloads(quick: bool, scale: int = 1) -> list[tuple[str, Callable, Callable, str | None]]:
    """``(name, make leaves, build, peer row)``; peer row names the micrograd row to reuse.

    ``scale`` divides the sizes of the wide and lecture-graph workloads (bytes per
    node do not depend on them, so memory is measured on smaller graphs).
    """
    n_wide, n_chain, n_lecture, n_points = (
        (1_000, 300, 1_000, 6) if quick else (100_000 // scale, 10_000, 100_000 // scale, 40)
    )
    return [
        (f"wide {n_wide:,}, built-in sum", lambda c: wide_leaves(c, n_wide), wide_builtin, None),
        (
            f"wide {n_wide:,}, microgradx.sum",
            lambda c: wide_leaves(c, n_wide),
            wide_nary,
            f"wide {n_wide:,}, built-in sum",
        ),
        (f"chain {n_chain:,}", lambda c: chain_leaves(c, n_chain), chain(n_chain), None),
        (
            f"lecture graph ×{n_lecture:,}",
            lambda c: lecture_leaves(c, n_lecture),
            lecture_graphs(n_lecture),
            None,
        ),
        (
            f"lecture loop ({n_points} points)",
            lambda c: loop_leaves(c, n_points),
            lecture_loop(n_points),
            None,
        ),
    ]


def main(quick: bool, rounds: int) -> None:
    table = workloads(quick)
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    nodes: dict[tuple[str, str], int] = {}
    grads: dict[tuple[str, str], list[float]] = {}
    for _ in range(rounds):
        for name, make, build, peer_row in table:
            for engine, cls, paused in ENGINES:
                if cls is PeerValue and peer_row is not None:
                    continue
                f, b, n, g = one_run(make, build, cls, paused, 5 if "chain" in name else 1)
                times.setdefault((name, engine), []).append((f, b))
                nodes[name, engine] = n
                grads[name, engine] = g
    memory = {}
    for (name, *_), (_, make, build, peer_row) in zip(table, workloads(quick, scale=10)):
        for engine, cls in (("micrograd", PeerValue), ("microgradx", OURS)):
            if not (cls is PeerValue and peer_row is not None):
                memory[name, engine] = bytes_per_node(make, build, cls)

    print(
        f"Python {sys.version.split()[0]}, micrograd 0.1.0; median of {rounds} interleaved "
        "round(s); ns and bytes per node"
    )
    print("speed-up = micrograd's time / this row's time (memory: micrograd's bytes / ours)\n")
    header = (
        f"{'workload':<30}{'engine':<25}{'nodes':>10}{'fwd ns':>9}{'bwd ns':>9}{'bytes':>7}"
        f"{'fwd x':>8}{'bwd x':>7}{'mem x':>7}"
    )
    print(header)
    print("-" * len(header))
    speedups: dict[str, tuple[float, float, float]] = {}  # fwd x, bwd x, memory x (GC on)
    for name, _, _, peer_row in table:
        peer_key = (peer_row or name, "micrograd")
        pf, pb = medians(times[peer_key])
        pn = nodes[peer_key]
        for engine, cls, _ in ENGINES:
            key = (peer_row or name, engine) if cls is PeerValue else (name, engine)
            f, b = medians(times[key])
            n = nodes[key]
            mem = memory.get((key[0], "microgradx" if cls is OURS else "micrograd"))
            shown = name if engine == "micrograd" else ""
            line = (
                f"{shown:<30}{engine:<25}{n:>10,}{f / n * 1e9:>9.0f}{b / n * 1e9:>9.0f}{mem:>7.0f}"
            )
            if cls is OURS:
                fx, bx = (pf / pn) / (f / n), (pb / pn) / (b / n)
                line += f"{fx:>7.1f}x{bx:>6.1f}x"
                mem_peer = memory[peer_key[0], "micrograd"]
                if engine == "microgradx":  # the targets are for the engine as users run it
                    line += f"{mem_peer / mem:>6.1f}x"
                    speedups[name] = (fx, bx, mem_peer / mem)
            print(line)
        print()
    for what, k, target in (("forward", 0, None), ("backward", 1, 2.0), ("memory", 2, 4.0)):
        for name, got in speedups.items():
            want = target or (2.0 if name.startswith("chain") else 4.0)
            verdict = "within target" if got[k] >= want else "OUTSIDE TARGET"
            if quick:  # sizes too small for the targets: the ratios only
                verdict = "(quick run: no verdict)"
            print(f"{what:<9}{name:<30}{got[k]:>5.1f}x (target >= {want:g}x): {verdict}")
    print()
    # the same code in both engines gives the same gradients
    for name, _, _, peer_row in table:
        peer = grads[peer_row or name, "micrograd"]
        for engine, _, _ in ENGINES[1:]:
            check_equal(grads[name, engine], peer, (name, engine))
    print("gradients: equal in both engines for every workload (relative difference <= 1e-12)")


def check_equal(ours: list[float], peer: list[float], what: object) -> None:
    """The same gradients, to a relative 1e-12 (sums may run in another order)."""
    worst = max((abs(a - b) / max(abs(a), abs(b), 1e-300) for a, b in zip(ours, peer)), default=0)
    assert len(ours) == len(peer) and worst <= 1e-12, (what, worst)


def medians(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(f for f, _ in pairs), statistics.median(b for _, b in pairs)


def run_with_deep_stack(main: Callable[..., None], *args: object) -> None:
    """``main(*args)`` in a thread with a large stack and recursion limit: micrograd's
    backward is recursive, and its chains are deep."""
    sys.setrecursionlimit(10**6)
    threading.stack_size(1 << 29)
    worker = threading.Thread(target=main, args=args)
    worker.start()
    worker.join()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one round")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (3)")
    args = parser.parse_args()
    rounds = args.rounds or (1 if args.quick else 3)
    run_with_deep_stack(main, args.quick, rounds)
