"""Engine benchmark: microgradx against micrograd (PyPI 0.1.0), same workloads, one run.

    python benchmarks/bench_engine.py            # or: make bench

Prints nanoseconds per node for the forward pass (building the graph) and the
backward pass, bytes per node (tracemalloc, everything the graph holds), and the
ratio microgradx / micrograd (below 1 is better for microgradx). Workloads:

* chain: 10,000 additions in a row, ``v = v + x``;
* wide: the sum of 100,000 products ``Σ wᵢ·xᵢ``, built with Python's ``sum`` in both
  engines (a chain of 100,000 additions), and with ``microgradx.sum`` (one node);
* the longest chain each engine can backpropagate at the default recursion limit.

micrograd's backward is recursive, so the script runs in a thread with a large stack
and a raised recursion limit for the first two workloads. Default GC settings.
"""

from __future__ import annotations

import gc
import statistics
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable

import microgradx

try:
    from micrograd.engine import Value as PeerValue
except ImportError:  # pragma: no cover - a helpful message instead of a traceback
    sys.exit('micrograd is needed for the comparison: pip install "microgradx[bench]"')

REPEATS = 5


def chain(value_cls, n: int):
    x = value_cls(0.5)
    v = x
    for _ in range(n):
        v = v + x
    return v


def wide_leaves(value_cls, n: int):
    return [value_cls(0.5) for _ in range(n)], [value_cls(float(i % 7)) for i in range(n)]


def wide_builtin_sum(ws, xs):
    return sum((w * x for w, x in zip(ws, xs)), ws[0] * 0)


def wide_nary_sum(ws, xs):
    return microgradx.sum([w * x for w, x in zip(ws, xs)])


def count_nodes(root) -> int:
    """Distinct nodes, walked iteratively (works for both engines)."""
    seen, stack = {id(root)}, [root]
    while stack:
        node = stack.pop()
        children = node.children if isinstance(node, microgradx.Value) else node._prev
        for child in children:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def timed(make_leaves: Callable, build: Callable) -> tuple[float, float, int]:
    """Best-of-REPEATS seconds for forward and backward, and the node count."""
    forward, backward = [], []
    nodes = 0
    for _ in range(REPEATS):
        leaves = make_leaves()
        gc.collect()
        t0 = time.perf_counter()
        out = build(*leaves)
        t1 = time.perf_counter()
        out.backward()
        t2 = time.perf_counter()
        forward.append(t1 - t0)
        backward.append(t2 - t1)
        nodes = count_nodes(out)
        del out, leaves
        gc.collect()
    return min(forward), min(backward), nodes


def bytes_per_node(make_leaves: Callable, build: Callable) -> float:
    gc.collect()
    tracemalloc.start()
    leaves = make_leaves()
    out = build(*leaves)
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    nodes = count_nodes(out)
    del out, leaves
    gc.collect()
    return size / nodes


def survives(value_cls, n: int) -> bool:
    try:
        chain(value_cls, n).backward()
        return True
    except RecursionError:
        return False


def longest_chain(value_cls, limit: int = 1_000_000) -> int:
    """Largest n (up to ``limit``) whose chain backpropagates at the default limit."""
    if survives(value_cls, limit):
        return limit
    lo, hi = 1, limit
    while lo < hi - 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if survives(value_cls, mid) else (lo, mid)
    return lo


def main() -> None:
    rows = []
    n_chain, n_wide = 10_000, 100_000
    workloads = [
        (
            f"chain {n_chain:,}",
            lambda cls: (lambda: (), lambda: chain(cls, n_chain)),
            None,
        ),
        (
            f"wide {n_wide:,}, Python sum",
            lambda cls: (lambda: wide_leaves(cls, n_wide), wide_builtin_sum),
            None,
        ),
        (
            f"wide {n_wide:,}, microgradx.sum",
            lambda cls: (lambda: wide_leaves(cls, n_wide), wide_nary_sum),
            f"wide {n_wide:,}, Python sum",  # the peer has no n-ary sum
        ),
    ]
    peer_results = {}
    for name, make, peer_of in workloads:
        if peer_of is None:
            peer = timed(*make(PeerValue))
            peer_mem = bytes_per_node(*make(PeerValue))
            peer_results[name] = (peer, peer_mem)
        else:
            peer, peer_mem = peer_results[peer_of]
        ours = timed(*make(microgradx.Value))
        ours_mem = bytes_per_node(*make(microgradx.Value))
        rows.append((name, peer, peer_mem, ours, ours_mem))

    def ns(seconds: float, nodes: int) -> str:
        return f"{seconds / nodes * 1e9:8.0f}"

    print(f"Python {sys.version.split()[0]}, best of {REPEATS}; ns and bytes per node\n")
    header = f"{'workload':<32}{'engine':<12}{'nodes':>9}{'fwd ns':>9}{'bwd ns':>9}{'bytes':>8}"
    print(header)
    print("-" * len(header))
    for name, peer, peer_mem, ours, ours_mem in rows:
        (pf, pb, pn), (of, ob, on) = peer, ours
        print(f"{name:<32}{'micrograd':<12}{pn:>9,}{ns(pf, pn)} {ns(pb, pn)}{peer_mem:>8.0f}")
        print(f"{'':<32}{'microgradx':<12}{on:>9,}{ns(of, on)} {ns(ob, on)}{ours_mem:>8.0f}")
        print(
            f"{'':<32}{'speed-up':<12}{'':>9}{pf / of:8.1f}x {pb / ob:7.1f}x"
            f"{peer_mem / ours_mem:7.1f}x less\n"
        )
    # the same graph in both engines gives the same numbers
    checks = [chain(PeerValue, 100).data, chain(microgradx.Value, 100).data]
    assert statistics.pstdev(checks) == 0.0, checks


def recursion_table() -> None:
    print("Longest chain that backpropagates at the default recursion limit")
    print(f"  micrograd : {longest_chain(PeerValue, 100_000):>9,}")
    n = longest_chain(microgradx.Value)
    print(f"  microgradx: {n:>9,}{'+ (tested up to this; no recursion)' if n else ''}")


if __name__ == "__main__":
    recursion_table()  # at the default limit, in the main thread
    print()
    sys.setrecursionlimit(10**6)
    threading.stack_size(1 << 29)  # 512 MiB for the peer's recursive backward
    worker = threading.Thread(target=lambda: (sys.setrecursionlimit(10**6), main()))
    worker.start()
    worker.join()
