"""Splitting an op's independent pieces of work over threads (NumPy only).

A NumPy op runs on one core except inside its matrix products, where the BLAS uses its own
threads. A convolution that alternates single-threaded patch copies with multi-threaded
products leaves the other cores idle (or, with OpenBLAS, spinning while they wait for the
next product) during every copy. :func:`run_shared` instead lets as many threads as the BLAS
would use each take pieces of the work (copy and product together) from one shared queue,
with the BLAS held at one thread meanwhile, so that every core copies and multiplies at once,
and a core slowed by something else on the machine simply takes fewer pieces.

The number of threads follows the BLAS's own setting (``OMP_NUM_THREADS``,
``OPENBLAS_NUM_THREADS`` or a ``threadpoolctl`` limit): a BLAS held at one thread means no
threads here either. The BLAS is found and set through ``threadpoolctl``; without it, or
without a BLAS it knows, everything runs in the calling thread.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

__all__ = ["run_shared", "sharing_threads", "thread_count", "stop_helpers"]

_state = {"blas": None, "pool": None, "pool_size": 0, "saved": ()}
_sharing = threading.Lock()  # held by the one call that is sharing its work out


def _blas_libraries() -> list:
    """threadpoolctl's controllers of the loaded BLAS libraries (found once; [] without it)."""
    if _state["blas"] is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _state["blas"] = []
        else:
            _state["blas"] = list(ThreadpoolController().select(user_api="blas").lib_controllers)
    return _state["blas"]


def sharing_threads() -> int:
    """How many threads :func:`run_shared` would use if called now: :func:`thread_count` in
    the main thread while no call is sharing, else 1 (its work would run in the caller alone).

    >>> from tinygrad_cnn._threads import sharing_threads, thread_count
    >>> sharing_threads() == thread_count()
    True
    """
    if threading.current_thread() is not threading.main_thread() or _sharing.locked():
        return 1
    return thread_count()


def thread_count() -> int:
    """How many threads :func:`run_shared` uses at most: as many as the BLAS is set to use.

    >>> from tinygrad_cnn._threads import thread_count
    >>> thread_count() >= 1
    True
    """
    return _most([lib.get_num_threads() for lib in _blas_libraries()])


def _most(counts) -> int:
    """The thread count to use given the BLAS libraries' own ``counts``: the largest, at least 1."""
    return max([1, *counts])


class _SharedItems:
    """An iterator several threads take items from, each item once; ``stop`` ends it early."""

    def __init__(self, items):
        self._items = iter(items)
        self._lock = threading.Lock()
        self._stopped = False

    def __iter__(self):
        return self

    def __next__(self):
        with self._lock:
            if self._stopped:
                raise StopIteration
            return next(self._items)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True


def _one_blas_thread_here() -> bool:
    """Set every BLAS to one thread, as the calling thread sees it, and say whether it took.

    threadpoolctl lets only one thread at a time set OpenBLAS's process-wide count (the first
    that set it, for as long as it lives; the others' settings are ignored), while the MKL and
    OpenMP settings it makes apply to the calling thread alone: so the thread that shares sets
    it, and each helper sets it again for itself."""
    libraries = _blas_libraries()
    for lib in libraries:
        lib.set_num_threads(1)
    return all(lib.get_num_threads() == 1 for lib in libraries)


def _restore_blas(saved: tuple) -> None:
    for lib, threads in saved:
        lib.set_num_threads(threads)


def _pool(workers: int) -> ThreadPoolExecutor:
    if _state["pool_size"] < workers:  # only the call holding _sharing gets here
        if _state["pool"] is not None:
            _state["pool"].shutdown(wait=False)
        _state["pool"] = ThreadPoolExecutor(workers, thread_name_prefix="tinygrad_cnn")
        _state["pool_size"] = workers
    return _state["pool"]


def stop_helpers() -> None:
    """End the helper threads, and with them the buffers they keep for reuse; the next
    :func:`run_shared` that shares starts new ones. It waits for a call that is sharing to
    finish (so it must not be called from inside its ``work``).

    >>> from tinygrad_cnn._threads import stop_helpers
    >>> stop_helpers()
    """
    with _sharing:
        if _state["pool"] is not None:
            _state["pool"].shutdown(wait=True)
        _state.update(pool=None, pool_size=0)


def _forget_threads_after_fork() -> None:
    # A forked child has none of its parent's threads: a pool inherited from it would never run
    # anything, and the lock may have been held by one of them. If the fork came while a call
    # was sharing, the child's BLAS is still held at one thread: give it its setting back.
    global _sharing
    _sharing = threading.Lock()
    saved = _state["saved"]
    _state.update(pool=None, pool_size=0, saved=())
    _restore_blas(saved)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_threads_after_fork)


def run_shared(work, items) -> None:
    """Call ``work(shared)`` in up to :func:`thread_count` threads, the calling one included,
    where ``shared`` is one iterator over ``items`` that hands each item to one thread only.

    ``work`` must write its results into memory of its own for each item (threads run it at
    the same time), must not call ``run_shared`` itself, and should use the BLAS as if it had
    one thread: it is held at one meanwhile (OpenBLAS's count is the whole process's: other
    threads' products run on one thread then too). It must not fork either. An error raised in
    the calling thread, else the first helper's (in the order they were started), is raised
    here after every thread has stopped.

    Only the main thread shares, one call at a time: from another thread, or while a call is
    sharing, or where the BLAS setting does not take, ``work`` runs in the calling thread
    alone. threadpoolctl lets the first thread that sets OpenBLAS's count keep that control
    while it lives: sharing from a user's background thread would take it from the main
    thread. The main thread, once it has shared, holds it as after any ``threadpool_limits``
    it ran (a background thread's limits are then ignored).

    >>> import numpy as np
    >>> from tinygrad_cnn._threads import run_shared
    >>> out = np.zeros(8)
    >>> def square(shared):
    ...     for i in shared:
    ...         out[i] = i * i
    >>> run_shared(square, range(8))
    >>> out.tolist()
    [0.0, 1.0, 4.0, 9.0, 16.0, 25.0, 36.0, 49.0]
    """
    items = list(items)
    if (len(items) <= 1 or threading.current_thread() is not threading.main_thread()
            or not _sharing.acquire(blocking=False)):
        work(iter(items))
        return
    try:
        saved = tuple((lib, lib.get_num_threads()) for lib in _blas_libraries())
        threads = min(_most(count for _, count in saved), len(items))
        if threads <= 1:
            work(iter(items))
            return
        _state["saved"] = saved
        try:
            if _one_blas_thread_here():
                _share(work, _SharedItems(items), threads)
            else:
                work(iter(items))
        finally:
            _restore_blas(saved)
            _state["saved"] = ()
    finally:
        _sharing.release()


def _share(work, shared: _SharedItems, threads: int) -> None:
    def guarded(shared_items, helper):
        if helper and not _one_blas_thread_here():
            return  # its products would not run on one thread: leave the items to the others
        try:
            work(shared_items)
        except BaseException:
            shared_items.stop()  # the other threads stop at their next item
            raise

    helpers = []
    try:
        pool = _pool(threads - 1)
        for _ in range(threads - 1):
            helpers.append(pool.submit(guarded, shared, True))
    except RuntimeError:
        # No new futures once the interpreter is shutting down: go on with the helpers there
        # are. (A helper queued but not started, if a thread could not be made, finds the
        # items used up or stopped whenever it runs: it cannot outlive this call's work.)
        pass
    try:
        guarded(shared, False)
    finally:
        errors = [helper.exception() for helper in helpers]  # waits for every helper
    for error in errors:
        if error is not None:
            raise error
