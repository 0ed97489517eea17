"""The engine's switches (no_grad, detect_anomaly, scope) belong to one thread each."""

from __future__ import annotations

import math
import sys
import threading
from collections.abc import Callable

import microgradx as mx
from microgradx import Value


def _run_both(holder: Callable[[threading.Event, threading.Event], None], worker) -> list:
    """Run ``holder`` in one thread and ``worker`` in another while ``holder`` is inside.

    ``holder(entered, done)`` sets ``entered`` once inside its block and waits for ``done``;
    ``worker()`` runs after ``entered`` and its result (or exception) is returned.
    """
    entered, done = threading.Event(), threading.Event()
    results: list = []

    def work() -> None:
        entered.wait(10)
        try:
            results.append(worker())
        except Exception as exc:  # reported to the test below
            results.append(exc)
        finally:
            done.set()

    threads = [
        threading.Thread(target=holder, args=(entered, done)),
        threading.Thread(target=work),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    return results


def _inside(manager) -> Callable[[threading.Event, threading.Event], None]:
    def holder(entered: threading.Event, done: threading.Event) -> None:
        with manager:
            entered.set()
            done.wait(10)

    return holder


def test_no_grad_in_one_thread_leaves_another_recording():
    def worker():
        x = Value(3.0, "x")
        y = x * x + 1
        y.backward()
        return mx.is_grad_enabled(), len(y.children), x.grad

    [result] = _run_both(_inside(mx.no_grad()), worker)
    assert result == (True, 2, 6.0)  # ∂(x²+1)/∂x = 2x


def test_detect_anomaly_in_one_thread_leaves_another_ieee():
    [result] = _run_both(_inside(mx.detect_anomaly()), lambda: Value(0.0).log().data)
    assert result == -math.inf


def test_scope_in_one_thread_does_not_tag_another_threads_values():
    [result] = _run_both(_inside(mx.scope("other")), lambda: (Value(1.0) * 2).scope)
    assert result == ""


def test_overlapping_no_grad_blocks_leave_gradients_on():
    """A enters, B enters, A leaves, B leaves: with one global switch B restored 'off'."""
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def a() -> None:
        with mx.no_grad():
            a_in.set()
            b_in.wait(10)
        a_out.set()

    def b() -> None:
        a_in.wait(10)
        with mx.no_grad():
            b_in.set()
            a_out.wait(10)

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert mx.is_grad_enabled()
    assert (Value(1.0) + 1).children


def test_a_new_thread_starts_with_the_defaults():
    seen: list = []
    with mx.no_grad(), mx.scope("outer"):
        t = threading.Thread(target=lambda: seen.append((mx.is_grad_enabled(), Value(1).scope)))
        t.start()
        t.join(10)
        assert not mx.is_grad_enabled() and Value(1).scope == "outer"
    assert seen == [(True, "")]


def test_two_fits_at_once_match_the_same_fits_one_after_the_other():
    from microgradx import nn

    X, y = nn.make_moons(40, noise=0.1, seed=0)

    def run(seed: int) -> list[float]:
        model = nn.MLP(2, [8, 1], seed=seed)
        history = nn.fit(model, X, y, lr=0.1, epochs=4, batch_size=5, progress=False, seed=seed)
        return history.loss

    alone = [run(1), run(2)]
    together: dict[int, list[float]] = {}
    start = threading.Barrier(2)

    def work(seed: int) -> None:
        start.wait(10)
        together[seed] = run(seed)

    threads = [threading.Thread(target=work, args=(s,)) for s in (1, 2)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, so their steps interleave
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        sys.setswitchinterval(interval)
    assert [together[1], together[2]] == alone
