"""The collector pause: restores the state it found, nests, and covers the library's work."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

import microgradx
import microgradx.engine
from microgradx import Value, gc_paused
from microgradx._gc import paused


@pytest.fixture(autouse=True)
def collector_on():
    """Every test starts and must end with the collector on."""
    gc.enable()
    yield
    assert gc.isenabled(), "a test left the collector off"
    gc.enable()


def test_block_pauses_and_restores():
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_blocks_nest():
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block did not switch it back on
    assert gc.isenabled()


def test_collector_switched_off_by_the_program_stays_off():
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
        w = Value(2.0)
        (w * w).backward()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_restored_after_an_exception():
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("inside")
    assert gc.isenabled()

    @paused
    def fails():
        raise RuntimeError("inside")

    with pytest.raises(RuntimeError):
        fails()
    assert gc.isenabled()


def test_decorator_forms():
    @gc_paused()
    def public() -> bool:
        return gc.isenabled()

    @paused
    def library() -> bool:
        return gc.isenabled()

    assert public() is False and library() is False
    assert gc.isenabled()
    assert public.__name__ == "public"


def test_cycles_made_inside_are_collected_afterwards():
    class Node:
        pass

    with gc_paused():
        a, b = Node(), Node()
        a.other, b.other = b, a  # a reference cycle, unreachable once the names go
        alive = weakref.ref(a)
        del a, b
        assert alive() is not None  # only the cyclic collector can free it
    gc.collect()
    assert alive() is None


def test_overlapping_blocks_in_threads_leave_it_on():
    inside, release = threading.Barrier(3), threading.Event()

    def work():
        with gc_paused():
            inside.wait()
            release.wait()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    inside.wait()
    assert not gc.isenabled()
    release.set()
    for t in threads:
        t.join()
    assert gc.isenabled()


def test_backward_runs_paused_and_gives_the_same_gradients(monkeypatch):
    seen = []
    original = microgradx.engine.topological_order

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return original(*args, **kwargs)

    monkeypatch.setattr(microgradx.engine, "topological_order", spy)
    w, x, y, z = Value(5.0), Value(3.0), Value(2.0), Value(4.0)
    f = (w + x * y) * z
    f.backward()
    assert seen == [False]
    assert gc.isenabled()
    assert (w.grad, x.grad, y.grad, z.grad) == (4.0, 8.0, 12.0, 11.0)


def test_library_entry_points_pause(monkeypatch):
    import microgradx.viz.nodes as nodes  # where a drawing walks the graph

    seen = []
    original = nodes.topological_order

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return original(*args, **kwargs)

    monkeypatch.setattr(nodes, "topological_order", spy)
    microgradx.draw(microgradx.parse("(w + x*y)*z", w=1, x=2, y=3, z=4).output)
    assert seen and not any(seen)
    assert gc.isenabled()


def test_model_calls_compile_and_fit_run_paused(monkeypatch):
    import microgradx.nn.layers as module  # where neurons sum their inputs
    import microgradx.tape.runner as runner
    from microgradx import nn

    seen: dict[str, list[bool]] = {"model": [], "compile": [], "fit": []}
    sum_, order = module.value_sum, runner.topological_order

    def spy_sum(*args, **kwargs):
        seen["model"].append(gc.isenabled())
        return sum_(*args, **kwargs)

    def spy_order(*args, **kwargs):
        seen["compile"].append(gc.isenabled())
        return order(*args, **kwargs)

    monkeypatch.setattr(module, "value_sum", spy_sum)
    monkeypatch.setattr(runner, "topological_order", spy_order)
    model = nn.MLP(2, [3, 1], seed=0)
    xs = [Value(0.0), Value(0.0)]
    out = model(xs)
    microgradx.compile(out, xs, model.parameters())
    X, y = nn.make_moons(10, seed=0)
    nn.fit(
        model,
        X,
        y,
        epochs=1,
        progress=False,
        callbacks=[lambda h: seen["fit"].append(gc.isenabled())],
    )
    assert all(seen.values()) and not any(any(v) for v in seen.values())
    assert gc.isenabled()
