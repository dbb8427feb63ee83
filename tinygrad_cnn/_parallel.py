"""Sharing one op's host work between the cores (NumPy only).

NumPy runs a matrix product on all of the BLAS's threads, and everything between products
(the copies that build a convolution's patches) on one core. An op made of many products over
cache-sized chunks can instead give each core its own chunks and run one-thread products:
every core then copies and multiplies all the time, and no product waits for another core at
its internal barriers. The 64->64 channel 3x3 inference forward on 32x32x32 inputs (32
products of 75 MFLOP, patches copied in between) took 23-27 ms this way against 23-30 ms in
quiet stretches of this 2-core machine, and against up to 50 ms in its slow stretches, where
a core is taken away now and then and two-thread products stall at their barriers.

The BLAS's thread count is process-wide, so it is lowered to one (through threadpoolctl)
only while a split runs, and one split runs at a time: a thread that finds one running does
its own work alone. Without threadpoolctl, or with a one-thread BLAS, :func:`workers` is 1
and callers do their work as before.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from tinygrad_cnn import _recycle

__all__ = ["workers", "run_split", "release_workers"]

# Below this many multiply-adds an op is not split. Handing work to a sleeping thread and
# waiting for it took 0.1-1 ms here, where the BLAS's own threads spin between products: 3x3
# convolutions of 5-150 M multiply-adds ran 1.0-1.6x slower split, those of 300-1200 M
# 1.06-1.3x faster.
MIN_SPLIT_MACS = 250_000_000

_lock = threading.Lock()
_state: dict = {"blas": None, "pool": None, "size": 0}


def _forget_after_fork() -> None:
    """A forked child has none of the parent's threads: start it without the pool (and with
    a free lock, in case another thread held it at the fork)."""
    global _lock
    _lock = threading.Lock()
    _state.update(pool=None, size=0)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def _blas():
    """threadpoolctl's controller of the loaded BLAS libraries, or False without one."""
    if _state["blas"] is None:
        try:
            from threadpoolctl import ThreadpoolController
            blas = ThreadpoolController().select(user_api="blas")
            _state["blas"] = blas if blas.lib_controllers else False
        except Exception:  # noqa: BLE001 - not installed, or it cannot inspect this process
            _state["blas"] = False
    return _state["blas"]


def workers() -> int:
    """How many workers :func:`run_split` would use: the BLAS's thread count, or 1 when that
    count cannot be lowered while a split runs.

    >>> workers() >= 1
    True
    """
    blas = _blas()
    if not blas:
        return 1
    return max(1, min(lib.get_num_threads() or 1 for lib in blas.lib_controllers))


def _pool(threads: int) -> ThreadPoolExecutor:
    if _state["pool"] is None or _state["size"] < threads:
        if _state["pool"] is not None:
            _state["pool"].shutdown(wait=True)
        _state.update(pool=ThreadPoolExecutor(threads, thread_name_prefix="tinygrad_cnn"),
                      size=threads)
    return _state["pool"]


def run_split(tasks: list) -> list:
    """Run the callables ``tasks`` at the same time, the first on the calling thread and the
    others on worker threads, with the BLAS at one thread each meanwhile; return their results
    in order. Each task must write only memory of its own. An exception from any task is
    raised once all have finished. When another split is running, the tasks run one after
    the other here.

    >>> run_split([lambda: 1, lambda: 2])
    [1, 2]
    """
    if len(tasks) < 2 or not _blas() or not _lock.acquire(blocking=False):
        return [task() for task in tasks]
    try:
        pool = _pool(len(tasks) - 1)
        with _blas().limit(limits=1):
            futures = [pool.submit(task) for task in tasks[1:]]
            try:
                first = tasks[0]()
            finally:
                rest = [f.exception() for f in futures]  # waits for every worker
            for error in rest:
                if error is not None:
                    raise error
            return [first] + [f.result() for f in futures]
    finally:
        _lock.release()


def release_workers() -> None:
    """Let go of the buffers that the worker threads' own pools hold (see ``_recycle``)."""
    with _lock:
        pool, size = _state["pool"], _state["size"]
        if pool is None:
            return
        barrier = threading.Barrier(size)

        def release_here():  # every worker waits at the barrier, so each runs this once
            barrier.wait(timeout=10)
            _recycle.release()

        for future in [pool.submit(release_here) for _ in range(size)]:
            future.result()
