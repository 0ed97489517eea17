"""How fast can a scalar autograd engine in Python be? The floor, against micrograd.

    python benchmarks/bench_floor.py               # pure Python only
    python benchmarks/bench_floor.py --compiled    # also the same floor compiled by mypyc
    python benchmarks/bench_floor.py --quick       # small sizes, one round

The engine's targets against micrograd (``bench_engine.py``'s workloads) are forward
at least 4x (2x on the chain) and backward at least 2x; and the engine should come
within 1.25x of the least a pure-Python engine can do, forward and backward. This
benchmark measures that least: what any engine written in Python could reach. It runs
the engine benchmark's workloads (the same code, the same sizes, interleaved rounds)
with these engines:

* ``micrograd``, as users run it;
* ``microgradx``, inside ``gc_paused()`` (its best case);
* ``floor``: ``_floor_engine.py``, the least work a node can do in Python: four slots,
  an integer code instead of an op table, the math of add, mul and relu written
  inline, no labels, scopes, switches or checks. Whatever a real engine adds costs
  time, so the floor's ratios are about the best a pure-Python engine of one object
  per number can reach on this interpreter;
* ``table floor``: ``_floor_table.py``, the floor plus an op table (each node stores
  its row; both passes call the row's forward and derivative), the one rule of
  microgradx's design that the floor leaves out. microgradx over the table floor is
  what the rest (labels, scopes, switches, checks, inf and nan) costs;
* ``floor, compiled`` (with ``--compiled``): the same file turned into a C extension by
  mypyc (from the ``dev`` extra; needs a C compiler), to show what a compiled core
  would give.

Every engine's gradients are checked against micrograd's (relative 1e-12).
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import _floor_engine
import _floor_table
import bench_engine as be

HERE = Path(__file__).resolve().parent


def compiled_floor(folder: Path) -> type | str:
    """The floor's ``Value`` compiled by mypyc into ``folder``; a reason if that fails."""
    source = folder / "floor_native.py"
    shutil.copy(HERE / "_floor_engine.py", source)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mypyc", source.name],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=600,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"mypyc did not run: {error}"
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:]
        return f"mypyc failed: {' '.join(last) or 'no message'}"
    sys.path.insert(0, str(folder))
    module = importlib.import_module("floor_native")
    if not str(module.__file__).endswith((".so", ".pyd")):
        return "mypyc built no extension module"
    return module.Value


def main(quick: bool, rounds: int, compiled: type | None) -> None:
    engines: list[tuple[str, type, bool]] = [
        ("micrograd", be.PeerValue, False),
        ("microgradx, gc_paused()", be.OURS, True),
        ("floor, gc_paused()", _floor_engine.Value, True),
        ("table floor, gc_paused()", _floor_table.Value, True),
    ]
    if compiled is not None:
        engines.append(("floor compiled, gc_paused()", compiled, True))
    # micrograd has no n-ary sum, and neither has the floor
    table = [w for w in be.workloads(quick) if "microgradx.sum" not in w[0]]
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    nodes: dict[tuple[str, str], int] = {}
    grads: dict[tuple[str, str], list[float]] = {}
    for _ in range(rounds):
        for name, make, build, _peer in table:
            for engine, cls, paused in engines:
                f, b, n, g = be.one_run(make, build, cls, paused, 5 if "chain" in name else 1)
                times.setdefault((name, engine), []).append((f, b))
                nodes[name, engine] = n
                grads[name, engine] = g

    print(
        f"Python {sys.version.split()[0]}, micrograd 0.1.0; median of {rounds} interleaved "
        "round(s); ns per node; x = micrograd's time per node / this engine's"
    )
    print(
        "targets: forward >= 4x micrograd (chain: 2x), backward >= 2x; within 1.25x of the floor\n"
    )
    header = f"{'workload':<28}{'engine':<30}{'fwd ns':>8}{'bwd ns':>8}{'fwd x':>8}{'bwd x':>7}"
    print(header)
    print("-" * len(header))
    for name, *_ in table:
        pf, pb = (t / nodes[name, "micrograd"] for t in be.medians(times[name, "micrograd"]))
        for engine, _, _ in engines:
            f, b = (t / nodes[name, engine] for t in be.medians(times[name, engine]))
            line = f"{name if engine == 'micrograd' else '':<28}{engine:<30}"
            line += f"{f * 1e9:>8.0f}{b * 1e9:>8.0f}"
            if engine != "micrograd":
                line += f"{pf / f:>7.1f}x{pb / b:>6.1f}x"
            print(line)
        print()
    print("microgradx's time per node over the floors' (target: within 1.25x)\n")
    columns = ("fwd/floor", "bwd/floor", "fwd/table", "bwd/table")
    header = f"{'workload':<28}" + "".join(f"{c:>10}" for c in columns)
    print(header)
    print("-" * len(header))
    worst = {"floor": 0.0, "table": 0.0}
    for name, *_ in table:
        ours = be.medians(times[name, "microgradx, gc_paused()"])
        floor = be.medians(times[name, "floor, gc_paused()"])
        tabled = be.medians(times[name, "table floor, gc_paused()"])
        line = f"{name:<28}"
        for key, base in (("floor", floor), ("table", tabled)):
            line += "".join(f"{o / b:>9.2f}x" for o, b in zip(ours, base))
            worst[key] = max(worst[key], *(o / b for o, b in zip(ours, base)))
        print(line)
    for key, what in (("floor", "the floor"), ("table", "the table floor")):
        verdict = "within target" if worst[key] <= 1.25 else "OUTSIDE TARGET"
        if quick:  # sizes too small for the target: the ratio only
            verdict = "(quick run: no verdict)"
        print(f"at most {worst[key]:.2f}x {what}'s time per node (target <= 1.25x): {verdict}")
    print()
    for name, *_ in table:
        peer = grads[name, "micrograd"]
        for engine, _, _ in engines[1:]:
            be.check_equal(grads[name, engine], peer, (name, engine))
    print("gradients: equal to micrograd's in every engine and workload (relative 1e-12)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one round")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (3)")
    parser.add_argument(
        "--compiled", action="store_true", help="also the floor compiled by mypyc (C compiler)"
    )
    args = parser.parse_args()
    rounds = args.rounds or (1 if args.quick else 3)
    with tempfile.TemporaryDirectory() as tmp:
        native = compiled_floor(Path(tmp)) if args.compiled else None
        if isinstance(native, str):
            sys.exit(f"--compiled: {native}")
        be.run_with_deep_stack(main, args.quick, rounds, native)
