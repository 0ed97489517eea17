"""Seconds each refusal for size takes on a chain of 1,000,000 operations.

A graph too big to draw is refused before anything is built: the size checks count
Values with a bounded walk that stops at the limit (``microgradx.graph.count_nodes``).
Target: every refusal answers in at most 1 s.

    python benchmarks/bench_refusals.py            # the 1,000,000-deep chain
    python benchmarks/bench_refusals.py --quick    # a 2,000-deep chain (the test's run)

The drawings are refused in this process (median of a few rounds). The stepper's
entry points run in a child process each, with a time and memory limit, since a
stepper that does not refuse early computes every frame first.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable

import microgradx
from microgradx import Value

TARGET_S = 1.0
CHILD_TIMEOUT_S = 30.0
CHILD_MEMORY_BYTES = 2 * 1024**3


def chain(n: int) -> tuple[Value, Value]:
    """``x + 1 + 1 + ...``: ``n`` additions, no scopes."""
    x = Value(1.0, "x")
    v = x
    for _ in range(n):
        v = v + 1.0
    return x, v


def refusal_seconds(call: Callable[[], object], rounds: int) -> tuple[float, str]:
    """Median seconds until ``call`` raises ValueError, and the first line of its message."""
    times, message = [], ""
    for _ in range(rounds):
        start = time.perf_counter()
        try:
            call()
        except ValueError as error:
            times.append(time.perf_counter() - start)
            message = str(error)
        else:
            return float("nan"), "drawn, not refused"
    return statistics.median(times), message


CHILD = """
import resource, sys, tempfile, time
resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))
import microgradx
from microgradx import Value
x = Value(1.0, "x")
v = x
for _ in range({n}):
    v = v + 1.0
start = time.perf_counter()
try:
    with tempfile.TemporaryDirectory() as folder:
        {call}
except ValueError as error:
    print(f"{{time.perf_counter() - start:.3f}}", str(error), sep="\\n")
except MemoryError:
    print("nan", f"ran out of the {{{memory} / 2**30:g}} GB memory limit", sep="\\n")
else:
    print("nan", "not refused", sep="\\n")
"""


def child_refusal_seconds(call: str, n: int) -> tuple[float, str]:
    """Seconds until ``call`` (Python run on ``v``, the chain) is refused, in a child."""
    code = textwrap.dedent(CHILD).format(memory=CHILD_MEMORY_BYTES, n=n, call=call)
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=CHILD_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        return float("nan"), f"not refused within {CHILD_TIMEOUT_S:g} s (stopped)"
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        return float("nan"), f"failed: {last[0]}"
    seconds, message = done.stdout.split("\n", 1)
    return float(seconds), message.strip()


def main(quick: bool, rounds: int) -> None:
    n = 2_000 if quick else 1_000_000
    x, v = chain(n)
    print(f"refusals for size on a chain of {n:,} operations ({n + 1:,} values, no scopes)")
    print(f"target: each answers in <= {TARGET_S:g} s\n")
    rows: list[tuple[str, float, str]] = []
    in_process: list[tuple[str, Callable[[], object]]] = [
        ("draw(v)", lambda: microgradx.draw(v)),
        ("draw(v, collapse=True)", lambda: microgradx.draw(v, collapse=True)),
        ("draw(v, collapse=1)", lambda: microgradx.draw(v, collapse=1)),
        ("v.draw(clusters=True)", lambda: v.draw(clusters=True)),
        ("draw_backward(v, x)", lambda: microgradx.draw_backward(v, x)),
    ]
    for name, call in in_process:
        seconds, message = refusal_seconds(call, rounds)
        rows.append((name, seconds, message))
    in_child = [
        ("stepper(v)", "microgradx.stepper(v)"),
        ("backward_steps(v)", "microgradx.backward_steps(v)"),
        ("save_steps(v, 'steps.html')", "microgradx.save_steps(v, folder + '/steps.html')"),
    ]
    for name, call in in_child:
        seconds, message = child_refusal_seconds(call, n)
        rows.append((name, seconds, message))
    width = max(len(name) for name, _, _ in rows)
    print(f"{'call':{width}}  {'seconds':>8}  within target")
    for name, seconds, message in rows:
        ok = "yes" if seconds <= TARGET_S else "NO"  # nan (not refused) compares False
        print(f"{name:{width}}  {seconds:8.4f}  {ok}")
        print(textwrap.indent(textwrap.fill(message, 96), "    "))
    failed = [name for name, seconds, _ in rows if not seconds <= TARGET_S]
    print("\nevery refusal within target" if not failed else f"\nOUTSIDE TARGET: {failed}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 2,000-deep chain")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per in-process refusal")
    args = parser.parse_args()
    main(args.quick, args.rounds)
