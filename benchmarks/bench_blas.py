"""BLAS threads in the tape: small products on one thread, large ones on all, under load.

    python benchmarks/bench_blas.py            # or: make bench
    python benchmarks/bench_blas.py --quick    # small workloads, few rounds

The workload is one forward and backward pass over a batch of ``MLP(2, [w, w, 1])``,
by each of the two tapes: ``traced``, ``tape.grad_batch(X)`` of the tape compiled from
one sample's score, and ``layers``, the tape ``fit`` writes from the model's layers
(:func:`microgradx.nn.tape_training.structure_tape`); for widths w = 16, 64, 256 and
batches of 10, 100, 1,000 rows, and one large case, w = 960 on 5,000 rows, whose
middle layer is a product of 4.6·10⁹ multiply-adds (above
``microgradx.tape.blas.PARALLEL_MACS``, so it runs on every thread). Each cell is
timed three ways, interleaved in rounds (the order of the three alternates); times are
medians over the rounds, ratios the median of each round's ratio (paired: a change in
load between rounds cancels):

* one thread: the whole call inside ``threadpool_limits(1)``;
* tape: as the tape runs by default (one BLAS thread, every thread for large products);
* all threads: every product on all of BLAS's threads (numpy's default, what the
  tape did before it chose).

The whole table is measured twice: as the machine is, and with a second core busy
(a child process spinning ``while True: pass``). Target: under load, the tape takes
at most 1.2x its one-thread time on every workload.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import microgradx
from microgradx import Value
from microgradx.nn import MLP
from microgradx.nn.tape_training import structure_tape
from microgradx.tape import blas

TARGET = 1.2
MODES = ("one thread", "tape", "all threads")
KINDS = ("traced", "layers")  # the tape compiled from a graph; the one fit writes from an MLP


def pass_for(kind: str, width: int) -> Callable[[np.ndarray], np.ndarray]:
    """Forward and backward over a batch ``X`` for MLP(2, [width, width, 1]), returning
    ∂(Σ scores)/∂θ, with the weights as an array (passed to every call, as training does):
    ``traced``, the tape compiled from one sample's score (``tape.grad_batch``), or
    ``layers``, the tape ``fit`` writes from the model's layers."""
    model = MLP(2, [width, width, 1], activation="relu", seed=0)
    params = model.parameters()
    theta = np.array([p.data for p in params])
    if kind == "traced":
        x = [Value(0.0, "x0"), Value(0.0, "x1")]
        tape = microgradx.compile(model(x), inputs=x, params=params)  # type: ignore[arg-type]
        return lambda X: tape.grad_batch(X, params=theta).params
    stack = structure_tape(model)

    def step(X: np.ndarray) -> np.ndarray:
        with blas.one_thread(len(X), stack.layers):  # as fit runs it: once for both passes
            return stack.backward(stack.forward(X, theta), np.ones((len(X), 1))).params

    return step


@contextmanager
def mode(name: str):
    """Run the block as ``name`` says (see the module docstring)."""
    if name == "one thread":
        with threadpool_limits(limits=1, user_api="blas"):
            yield
    elif name == "all threads":
        saved, blas.PARALLEL_MACS = blas.PARALLEL_MACS, 0
        try:
            yield
        finally:
            blas.PARALLEL_MACS = saved
    else:
        yield


def seconds_per_call(call: Callable[[], object], budget: float = 0.05) -> float:
    """Seconds per call, timing as many calls as fit in about ``budget`` seconds."""
    start = time.perf_counter()
    call()
    once = time.perf_counter() - start
    repeats = max(1, int(budget / max(once, 1e-6)))
    start = time.perf_counter()
    for _ in range(repeats):
        call()
    return (time.perf_counter() - start) / repeats


def table(cases: list[tuple[str, int, int]], tapes: dict, rounds: int, budget: float) -> dict:
    """``{(tape, width, batch): {mode: [seconds per call, one per round]}}``, interleaved."""
    rng = np.random.default_rng(0)
    data = {(k, w, b): rng.normal(size=(b, 2)) for k, w, b in cases}
    times: dict = {case: {m: [] for m in MODES} for case in cases}
    for r in range(rounds):
        for case in cases:
            run, X = tapes[case[:2]], data[case]
            for m in MODES if r % 2 == 0 else MODES[::-1]:  # no mode always first
                with mode(m):
                    call = functools.partial(run, X)
                    times[case][m].append(seconds_per_call(call, budget))
    return times


def check_equal(tapes: dict) -> None:
    """Every mode gives the same gradients (the thread count changes only the speed)."""
    X = np.random.default_rng(1).normal(size=(50, 2))
    for run in tapes.values():
        results = []
        for m in MODES:
            with mode(m):
                results.append(run(X))
        for other in results[1:]:
            np.testing.assert_allclose(other, results[0], rtol=1e-10, atol=1e-12)
    print("gradients: equal in every mode")


def paired(over: list[float], under: list[float]) -> float:
    """The median of the rounds' ratios ``over[r] / under[r]``: both were timed in the
    same round, moments apart, so a change in the machine's load between rounds cancels."""
    return statistics.median(a / b for a, b in zip(over, under))


def show(title: str, result: dict) -> list[float]:
    print(f"\n{title}")
    print(f"{'tape':>6} {'width':>5} {'batch':>6} {'one ms':>9} {'tape ms':>9} {'all ms':>9} "
          f"{'tape/one':>9} {'all/one':>8}")  # fmt: skip
    ratios = []
    for (k, w, b), row in result.items():
        one, tape, every = (statistics.median(row[m]) for m in MODES)
        tape_one, every_one = (
            paired(row["tape"], row["one thread"]),
            paired(row["all threads"], row["one thread"]),
        )
        ratios.append(tape_one)
        print(f"{k:>6} {w:5} {b:6} {one * 1e3:9.3f} {tape * 1e3:9.3f} {every * 1e3:9.3f} "
              f"{tape_one:8.2f}x {every_one:7.2f}x")  # fmt: skip
    return ratios


def main(quick: bool, rounds: int) -> None:
    info = [(i["internal_api"], i["num_threads"]) for i in threadpool_info()]
    blas_libs = [i for i in threadpool_info() if i["user_api"] == "blas"]
    print(f"BLAS: {', '.join(f'{api} with {n} threads' for api, n in info) or 'none found'}")
    if not blas_libs:
        sys.exit("threadpoolctl finds no BLAS library: nothing to measure")
    widths, batches = ((16, 64), (10, 100)) if quick else ((16, 64, 256), (10, 100, 1000))
    cases = [(k, w, b) for k in KINDS for w in widths for b in batches]
    if not quick:
        cases += [(k, 960, 5000) for k in KINDS]  # a product of 4.6e9 multiply-adds: all threads
    tapes = {(k, w): pass_for(k, w) for k, w, _ in cases}
    check_equal(tapes)
    budget = 0.01 if quick else 0.1  # seconds of calls per measurement (0.05 was too noisy)
    quiet = table(cases, tapes, rounds, budget)
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)
        loaded = table(cases, tapes, rounds, budget)
    finally:
        busy.kill()
        busy.wait()
    show(f"as the machine is (medians of {rounds} rounds)", quiet)
    ratios = show("with a second core busy (python -c 'while True: pass')", loaded)
    worst = max(ratios)
    verdict = "within target" if worst <= TARGET else "OUTSIDE TARGET"
    print(f"\nunder load the tape takes at most {worst:.2f}x its one-thread time "
          f"(target <= {TARGET}x): {verdict}")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small workloads, 2 rounds")
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds (default 9)")
    args = parser.parse_args()
    main(args.quick, 2 if args.quick else args.rounds)
