"""BLAS threads for the tape: small matrix products on one thread, large ones on all.

numpy hands matrix products to a BLAS library (OpenBLAS in numpy's wheels), which
splits every product above a tiny size across all the machine's cores. For the
products a tape runs, one layer on one batch, starting and waiting for those
threads costs more than they save, and much more when another program keeps a core
busy: on a 2-core machine with the other core busy, a (1000×256)·(256×256) product
took 37 ms on two threads and 2.2 ms on one. So a tape pass runs on one BLAS
thread, and only a product of at least :data:`PARALLEL_MACS` multiply-adds
(``rows × inner × columns``, about a tenth of a second on one core) uses the
threads BLAS had before the pass.

The thread count is set with threadpoolctl, for the BLAS libraries loaded in the
process (a process-wide setting: two Python threads running tapes at once share it).
A count the caller set already (``threadpool_limits(1)``, ``OPENBLAS_NUM_THREADS=1``)
is respected: large products never use more threads than BLAS had before the pass.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

__all__ = ["PARALLEL_MACS", "one_thread", "product"]

#: Multiply-adds from which a product runs on every BLAS thread (4·10⁹: a batch of
#: 1000 through a 2048×2048 layer); smaller products run on one thread.
PARALLEL_MACS = 4_000_000_000
#: Below these sizes OpenBLAS keeps a matrix product (multiply-adds) and a
#: matrix-vector product (matrix entries) on one thread by itself: a pass with only
#: such products leaves the thread count alone (changing it costs about 20 µs).
SERIAL_MACS, SERIAL_ENTRIES = 65536 * 4, 2304 * 4

_blas: Any = None  # threadpoolctl's controller of the BLAS libraries, made on first use
_lock = threading.Lock()  # guards the three below
_active = 0  # passes running now, in any thread
_before = 1  # BLAS threads before the first of them (1 outside a pass)
_limiter: Any = None  # threadpoolctl's limit to one thread while passes run


def _controller() -> Any:
    """threadpoolctl's controller of the loaded BLAS libraries (found once: it scans them)."""
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController().select(user_api="blas")
    return _blas


def threaded(rows: int, layers: Iterable[tuple[int, int]]) -> bool:
    """Would BLAS use several threads for the products of ``(inputs, outputs)`` layers on
    ``rows`` rows (``rows·inputs·outputs`` multiply-adds, ``rows × outputs`` sums)?"""
    return any(rows * k * n > SERIAL_MACS or rows * max(k, n) >= SERIAL_ENTRIES for k, n in layers)


@contextmanager
def one_thread(rows: int, layers: Iterable[tuple[int, int]]) -> Iterator[None]:
    """Run BLAS on one thread inside the block, for a pass over ``rows`` rows through
    ``layers`` (``(inputs, outputs)`` each); :func:`product` lifts it for big products.

    The setting is the process's, shared by every Python thread: the first pass to start
    (in any thread) sets one thread and notes the count before, the last to end puts it
    back, under a lock, so passes that overlap in two threads never leave BLAS on one.
    """
    global _before, _active, _limiter
    if not threaded(rows, layers):  # BLAS keeps such products on one thread by itself
        yield
        return
    with _lock:
        if _active == 0:
            blas = _controller()
            _before = max((lib.num_threads for lib in blas.lib_controllers), default=1)
            # one thread already (the caller's setting, a one-core machine): nothing to do
            _limiter = blas.limit(limits=1) if _before > 1 else None
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                if _limiter is not None:
                    _limiter.restore_original_limits()
                _limiter, _before = None, 1


def product(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` for 2-D arrays (into ``out`` if given), on every BLAS thread the pass
    started with if it is large."""
    if _before > 1 and a.shape[0] * a.shape[1] * b.shape[1] >= PARALLEL_MACS:
        with _controller().limit(limits=_before):
            return a @ b if out is None else np.matmul(a, b, out=out)
    return a @ b if out is None else np.matmul(a, b, out=out)
