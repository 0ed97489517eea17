"""BLAS threads in the tape: one thread for small products, the caller's threads for large ones."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import microgradx
from microgradx import Value
from microgradx.nn import MLP
from microgradx.tape import blas, runner


def blas_threads() -> int:
    counts = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    assert counts, "numpy's BLAS library must be visible to threadpoolctl"
    return max(counts)


class Spy(np.ndarray):
    """An array that notes BLAS's thread count whenever it is multiplied (``self @ other``)."""

    seen: ClassVar[list[int]] = []

    def __matmul__(self, other):
        Spy.seen.append(blas_threads())
        return np.asarray(self) @ other


def test_only_passes_with_products_blas_would_split_change_the_threads():
    small = [(2, 16), (16, 16), (16, 1)]
    assert not blas.threaded(10, small)  # 10·16·16 multiply-adds: one thread anyway
    assert blas.threaded(1000, small)  # 256,000 multiply-adds and 16,000-entry sums
    assert blas.threaded(100, [(64, 64)])
    with threadpool_limits(limits=2, user_api="blas"):
        with blas.one_thread(10, small):
            assert blas_threads() == 2  # left alone: changing it costs more than it saves
        with blas.one_thread(100, [(64, 64)]):
            assert blas_threads() == 1
        assert blas_threads() == 2  # restored


def test_large_products_use_the_threads_the_pass_started_with(monkeypatch):
    a, b = np.ones((20, 30)), np.ones((30, 10))
    Spy.seen = []
    with threadpool_limits(limits=2, user_api="blas"):
        with blas.one_thread(1000, [(64, 64)]):
            small = blas.product(a.view(Spy), b)
            monkeypatch.setattr(blas, "PARALLEL_MACS", 20 * 30 * 10)
            large = blas.product(a.view(Spy), b)
            assert blas_threads() == 1  # back to one thread after the large product
    assert Spy.seen == [1, 2]
    np.testing.assert_array_equal(small, np.full((20, 10), 30.0))
    np.testing.assert_array_equal(large, small)


def test_a_callers_single_thread_is_kept_for_large_products(monkeypatch):
    monkeypatch.setattr(blas, "PARALLEL_MACS", 1)
    Spy.seen = []
    with threadpool_limits(limits=1, user_api="blas"):
        with blas.one_thread(1000, [(64, 64)]):
            blas.product(np.ones((3, 3)).view(Spy), np.ones((3, 3)))
        assert blas_threads() == 1
    assert Spy.seen == [1]


def test_a_tape_pass_multiplies_on_one_thread_and_restores_the_count(monkeypatch):
    model = MLP(2, [64, 64, 1], activation="tanh", seed=0)
    x = [Value(0.0), Value(0.0)]
    tape = microgradx.compile(model(x), inputs=x, params=model.parameters())
    seen = []

    def spy(a, b):
        seen.append(blas_threads())
        return a @ b

    monkeypatch.setattr(runner, "product", spy)
    X = np.random.default_rng(0).normal(size=(200, 2))  # 200·64·64 multiply-adds: threaded
    with threadpool_limits(limits=2, user_api="blas"):
        tape.grad_batch(X)
        assert blas_threads() == 2
    assert seen and set(seen) == {1}  # every product of both passes


@pytest.mark.parametrize("parallel_macs", [blas.PARALLEL_MACS, 1])
def test_gradients_are_the_scalar_engines_on_either_path(monkeypatch, parallel_macs):
    # with PARALLEL_MACS = 1 every product takes the large-product path
    monkeypatch.setattr(blas, "PARALLEL_MACS", parallel_macs)
    model = MLP(2, [24, 24, 1], activation="tanh", seed=3)
    x = [Value(0.0), Value(0.0)]
    params = model.parameters()
    tape = microgradx.compile(model(x), inputs=x, params=params)
    X = np.random.default_rng(1).normal(size=(40, 2))
    with threadpool_limits(limits=2, user_api="blas"):
        got = tape.grad_batch(X, reduce="sum")
    expected = np.zeros(len(params))
    outputs = []
    for row in X:  # the scalar engine, one sample at a time
        for p in params:
            p.grad = 0.0
        out = model([Value(float(v)) for v in row])
        out.backward()
        expected += [p.grad for p in params]
        outputs.append(out.data)
    np.testing.assert_allclose(got.params, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got.output, outputs, rtol=1e-12)


def test_fit_on_the_layers_tape_multiplies_on_one_thread_and_restores_the_count(monkeypatch):
    from microgradx.nn import fit, make_moons
    from microgradx.tape import stack

    seen = []
    real = stack.product

    def spy(a, b, out=None):
        seen.append(blas_threads())
        return real(a, b, out=out)

    monkeypatch.setattr(stack, "product", spy)
    X, y = make_moons(200, seed=0)  # 200·64·64 multiply-adds per product: BLAS would split
    model = MLP(2, [64, 64, 1], seed=0)
    with threadpool_limits(limits=2, user_api="blas"):
        history = fit(model, X, y, epochs=2, progress=False)
        assert blas_threads() == 2
    assert history.info["backend"] == "tape"
    # a step: 3 forward, 3 for ∂W, 1 for ∂H (the one-unit layer broadcasts instead)
    assert len(seen) == 2 * (3 + 3 + 1) and set(seen) == {1}


def test_the_layers_tape_hands_large_products_the_threads_back(monkeypatch):
    from microgradx.tape import stack

    monkeypatch.setattr(blas, "PARALLEL_MACS", 1)  # every product counts as large
    seen = []
    real = np.matmul

    def spy(a, b, out=None):
        seen.append(blas_threads())
        return real(a, b, out=out)

    st = stack.dense_stack(
        2, [stack.DenseSpec(2, 64, "relu", None), stack.DenseSpec(64, 1, None, None)]
    )
    theta = np.random.default_rng(0).normal(size=st.n_params)
    X = np.random.default_rng(1).normal(size=(300, 2))
    monkeypatch.setattr(blas.np, "matmul", spy)
    with threadpool_limits(limits=2, user_api="blas"):
        run = st.forward(X, theta)
        expected = np.maximum(
            X @ theta[:192].reshape(64, 3)[:, :2].T + theta[:192].reshape(64, 3)[:, 2], 0
        )
        np.testing.assert_allclose(run.saved[0][3], expected, rtol=1e-12)
    assert seen and set(seen) == {2}  # each product on the threads the pass started with


OVERLAP = """
import threading, time
from threadpoolctl import threadpool_info
import microgradx.tape.blas as blas

def count():
    return max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")

real = blas._controller()

class Slow:  # the real controller; thread A pauses between reading the count and limiting
    lib_controllers = real.lib_controllers
    def limit(self, limits):
        if threading.current_thread().name == "A":
            time.sleep(0.05)
        return real.limit(limits=limits)

blas._blas = Slow()
first = count()  # numpy's default: the machine's cores
inside = []
def one_pass(start, hold):
    time.sleep(start)
    with blas.one_thread(1000, [(256, 256)]):
        inside.append(blas._before)
        time.sleep(hold)
a = threading.Thread(target=one_pass, args=(0.0, 0.05), name="A")
b = threading.Thread(target=one_pass, args=(0.01, 0.06), name="B")
a.start(); b.start(); a.join(); b.join()
print(first, inside, count())
"""


def test_passes_that_overlap_in_two_threads_leave_blas_as_they_found_it():
    # B starts its pass while A is between reading the count (2) and limiting it; A ends
    # last. A fresh interpreter, as a program that trains in two threads would be.
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", OVERLAP], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    first = int(done.stdout.split()[0])
    # each pass noted the first count to put back, and so it is once both have ended
    assert done.stdout.strip() == f"{first} [{first}, {first}] {first}"
