"""The thread sharing behind the row-run convolutions (tinygrad_cnn._threads)."""

import itertools
import os
import subprocess
import sys
import threading
import time
import weakref

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import tinygrad_cnn as tg
from tinygrad_cnn import _threads
from tinygrad_cnn._recycle import give_buffer, take_buffer
from tinygrad_cnn.nn import functional as F

from reference import conv2d as reference_conv2d


def _blas_threads() -> list:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


@pytest.fixture
def two_blas_threads():
    """The BLAS set to two threads (skipped where it cannot have two, as on a one-core machine)."""
    with threadpool_limits(limits=2, user_api="blas"):
        if _threads.thread_count() < 2:
            pytest.skip(f"the BLAS runs {_blas_threads()} thread(s) here")
        yield


class _PerThreadBLAS:
    """A stand-in BLAS whose setting applies to the calling thread alone (as threadpoolctl sets
    MKL, or an OpenMP build); ``takes`` says in which threads a setting takes at all."""

    def __init__(self, takes=lambda: True):
        self._local = threading.local()
        self._takes = takes

    def get_num_threads(self):
        return getattr(self._local, "threads", 2)

    def set_num_threads(self, n):
        if self._takes():
            self._local.threads = n


def _both_threads_take_one_first(work, barrier):
    """``work`` made to wait, after taking its first item, until the other thread has one too,
    so that the items are sure to be shared between the two threads."""

    def wrapped(shared):
        items = iter(shared)
        first = next(items, None)
        barrier.wait(timeout=5)
        if first is not None:
            work(itertools.chain([first], items))

    return wrapped


def test_every_item_goes_to_exactly_one_thread_and_the_blas_is_held_at_one_meanwhile(two_blas_threads):
    taken, blas_inside = [], []
    lock = threading.Lock()

    def work(shared):
        for item in shared:
            with lock:
                taken.append((item, threading.get_ident()))
                blas_inside.extend(_blas_threads())

    _threads.run_shared(_both_threads_take_one_first(work, threading.Barrier(2)), range(20))
    assert sorted(item for item, _ in taken) == list(range(20))
    assert len({ident for _, ident in taken}) == 2
    assert set(blas_inside) == {1}
    assert set(_blas_threads()) == {2}  # restored


def test_a_blas_of_one_thread_means_the_calling_thread_alone():
    idents = set()

    def work(shared):
        for _ in shared:
            idents.add(threading.get_ident())

    with threadpool_limits(limits=1, user_api="blas"):
        assert _threads.thread_count() == 1
        _threads.run_shared(work, range(10))
    assert idents == {threading.get_ident()}


def test_without_threadpoolctl_everything_runs_in_the_calling_thread(monkeypatch):
    monkeypatch.setitem(_threads._state, "blas", [])  # what _blas_libraries finds without it
    assert _threads.thread_count() == 1
    seen = []
    _threads.run_shared(lambda shared: seen.extend((i, threading.get_ident()) for i in shared), range(3))
    assert seen == [(i, threading.get_ident()) for i in range(3)]


def test_an_error_in_a_helper_thread_is_raised_in_the_caller_and_the_blas_restored(two_blas_threads):
    caller = threading.get_ident()

    def work(shared):
        for _ in shared:
            if threading.get_ident() != caller:
                raise ValueError("from the helper")

    with pytest.raises(ValueError, match="from the helper"):
        _threads.run_shared(_both_threads_take_one_first(work, threading.Barrier(2)), range(10))
    assert set(_blas_threads()) == {2}


def test_an_error_stops_the_other_threads_at_their_next_item(two_blas_threads):
    done = []

    def work(shared):
        for item in shared:
            if item == 0:
                raise RuntimeError("first item")
            time.sleep(0.001)  # the other thread: 999 items would take a second
            done.append(item)

    with pytest.raises(RuntimeError, match="first item"):
        _threads.run_shared(_both_threads_take_one_first(work, threading.Barrier(2)), range(1000))
    assert len(done) < 500
    assert set(_blas_threads()) == {2}


def _count_sharing(monkeypatch) -> list:
    """A stand-in BLAS of two threads whose setting always takes, and a list that gets one
    entry each time a call really shares its work."""
    monkeypatch.setitem(_threads._state, "blas", [_PerThreadBLAS()])
    shared, real = [], _threads._share

    def counted(*args):
        shared.append(threading.get_ident())
        return real(*args)

    monkeypatch.setattr(_threads, "_share", counted)
    return shared


def test_a_call_from_another_thread_runs_there_alone(monkeypatch):
    """Only the main thread shares: a background thread that set OpenBLAS's count through
    threadpoolctl would keep control of it while it lives, and the main thread's limits
    would then be ignored."""
    sharing = _count_sharing(monkeypatch)
    seen = {}

    def background():
        idents = set()
        _threads.run_shared(lambda shared: idents.update(threading.get_ident() for _ in shared), range(6))
        seen.update(idents=idents, caller=threading.get_ident())

    other = threading.Thread(target=background)
    other.start()
    other.join(timeout=30)
    assert seen["idents"] == {seen["caller"]} and sharing == []
    _threads.run_shared(lambda shared: list(shared), range(6))
    assert sharing == [threading.get_ident()]  # the same call from the main thread shares


def test_a_call_inside_a_shared_call_runs_alone(monkeypatch):
    sharing = _count_sharing(monkeypatch)
    monkeypatch.setattr(_threads, "thread_count", lambda: 2)  # as if the BLAS were not held
    inner = set()

    def work(shared):
        for _ in shared:
            if threading.current_thread() is threading.main_thread():
                _threads.run_shared(lambda items: inner.update(threading.get_ident() for _ in items), range(4))

    _threads.run_shared(work, range(2))
    assert inner == {threading.get_ident()}
    assert len(sharing) == 1  # the outer call only


def test_a_blas_setting_that_does_not_take_means_the_calling_thread_alone(monkeypatch):
    monkeypatch.setitem(_threads._state, "blas", [_PerThreadBLAS(takes=lambda: False)])
    idents = set()
    _threads.run_shared(lambda shared: idents.update(threading.get_ident() for _ in shared), range(6))
    assert idents == {threading.get_ident()}


def test_each_helper_holds_a_per_thread_blas_at_one_thread_for_itself(monkeypatch):
    blas = _PerThreadBLAS()
    monkeypatch.setitem(_threads._state, "blas", [blas])
    seen = []

    def work(shared):
        for _ in shared:
            seen.append((threading.get_ident(), blas.get_num_threads()))

    _threads.run_shared(_both_threads_take_one_first(work, threading.Barrier(2)), range(6))
    assert len({ident for ident, _ in seen}) == 2 and {threads for _, threads in seen} == {1}
    assert blas.get_num_threads() == 2  # restored in the calling thread


def test_a_helper_whose_blas_setting_does_not_take_leaves_its_items_to_the_others(monkeypatch):
    blas = _PerThreadBLAS(takes=lambda: threading.current_thread() is threading.main_thread())
    monkeypatch.setitem(_threads._state, "blas", [blas])
    idents = set()

    def work(shared):
        for _ in shared:
            idents.add(threading.get_ident())
            time.sleep(0.002)  # 50 items: a tenth of a second in which a helper could take some

    _threads.run_shared(work, range(50))
    assert idents == {threading.get_ident()}


def test_keyboard_interrupt_restores_the_blas_and_frees_the_next_call(two_blas_threads):
    def work(shared):
        for _ in shared:
            if threading.current_thread() is threading.main_thread():
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _threads.run_shared(_both_threads_take_one_first(work, threading.Barrier(2)), range(4))
    assert set(_blas_threads()) == {2}
    idents = set()
    _threads.run_shared(_both_threads_take_one_first(lambda shared: idents.update(
        threading.get_ident() for _ in shared), threading.Barrier(2)), range(4))
    assert len(idents) == 2  # the lock was let go: this call shared again


def test_a_conv_at_interpreter_exit_still_runs():
    """Past the start of shutdown no new work can be handed to the helper threads; the
    calling thread does it all."""
    code = (
        "import atexit, numpy as np, tinygrad_cnn as tg\n"
        "from tinygrad_cnn import _threads\n"
        "from tinygrad_cnn.ops import _conv_utils\n"
        "_conv_utils._CHUNK_BYTES = 1\n"
        "def conv():\n"
        "    with tg.no_grad():\n"
        "        return tg.nn.functional.conv2d(tg.ones(4, 2, 3, 5), tg.ones(3, 2, 3, 3), padding=1)\n"
        "conv()  # the helper threads exist now\n"
        "atexit.register(lambda: print(_threads.thread_count(), conv().numpy()[3, 2, 1].tolist()))\n"
    )
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    threads, values = out.stdout.strip().split(" ", 1)
    if int(threads) < 2:
        pytest.skip("the BLAS runs one thread here")
    assert values == "[12.0, 18.0, 18.0, 18.0, 12.0]"


def _spread_over_two_threads(monkeypatch) -> list:
    """Make every run_shared of the conv ops hand work to both threads; the returned list
    gets, per call, the set of threads that took part."""
    from tinygrad_cnn.ops import _conv_utils  # noqa: PLC0415

    calls = []
    real = _threads.run_shared

    def spread(work, items):
        idents = set()
        calls.append(idents)

        def recorded(shared):
            idents.add(threading.get_ident())
            work(shared)

        real(_both_threads_take_one_first(recorded, threading.Barrier(2)), items)

    monkeypatch.setattr(_conv_utils, "run_shared", spread)
    monkeypatch.setattr(_conv_utils, "_CHUNK_BYTES", 1)  # one sample per chunk
    return calls


def test_the_row_run_conv_forward_shared_over_two_threads_matches_the_reference(two_blas_threads, monkeypatch):
    calls = _spread_over_two_threads(monkeypatch)
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((6, 3, 5, 7)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    with tg.no_grad():
        got = F.conv2d(tg.Tensor(x), tg.Tensor(w), tg.Tensor(b), padding=1).numpy()
    np.testing.assert_allclose(got, reference_conv2d(x, w, b, padding=1), atol=1e-10)
    assert [len(idents) for idents in calls] == [2]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_training_step_shared_over_two_threads_matches_one_thread(two_blas_threads, monkeypatch, dtype):
    """Forward with kept patches, the weight gradient's summed products and the input
    gradient's row-run correlation (as many channels in as out: the full-correlation form),
    each shared over two threads, against the same step
    with the BLAS (and so everything) on one thread."""
    from tinygrad_cnn.ops import _conv_utils  # noqa: PLC0415

    monkeypatch.setattr(_conv_utils, "_SAMPLES_LAST_BYTES", 0)  # the input counts as large
    monkeypatch.setattr(_conv_utils, "_SHARED_PRODUCT_MIN", 0)
    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal((6, 6, 5, 7)), rng.standard_normal((6, 3, 3, 3)), rng.standard_normal(6)
    gy = rng.standard_normal((6, 6, 5, 7))
    x, w, b, gy = (a.astype(dtype) for a in (x, w, b, gy))

    def step():
        tx, tw, tb = (tg.Tensor(a, requires_grad=True) for a in (x, w, b))
        y = F.conv2d(tx, tw, tb, padding=1, groups=2)
        y.backward(tg.Tensor(gy))
        return y.numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()

    with threadpool_limits(limits=1, user_api="blas"):
        alone = step()
    calls = _spread_over_two_threads(monkeypatch)
    shared = step()
    assert [len(idents) for idents in calls] == [2, 2, 2]  # forward, weight and input gradient
    tolerance = {"rtol": 1e-12, "atol": 1e-12} if dtype == np.float64 else {"rtol": 1e-5, "atol": 1e-5}
    for got, want in zip(shared, alone):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, **tolerance)
    want = reference_conv2d(*(a.astype(np.float64) for a in (x, w, b)), padding=1, groups=2)
    np.testing.assert_allclose(shared[0], want, **tolerance)


def test_the_summed_product_is_one_product_where_it_would_not_be_shared(two_blas_threads, monkeypatch):
    """Off the main thread run_shared would run the chunks one after another in the caller:
    cutting the product up would only add products and sums."""
    from tinygrad_cnn.ops import _conv_utils  # noqa: PLC0415

    monkeypatch.setattr(_conv_utils, "_SHARED_PRODUCT_MIN", 0)
    calls = []
    real = _conv_utils._transposed_product
    monkeypatch.setattr(_conv_utils, "_transposed_product", lambda a, b: calls.append(a.shape) or real(a, b))
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((1, 4, 1000)).astype(np.float32), rng.standard_normal((1, 1000, 3)).astype(np.float32)
    results = []
    worker = threading.Thread(target=lambda: results.append(_conv_utils.summed_product(np, a, b)))
    worker.start()
    worker.join()
    assert calls == [(1, 4, 1000)] and results[0].flags.c_contiguous
    np.testing.assert_allclose(results[0], a @ b, rtol=1e-5)
    _conv_utils.summed_product(np, a, b)  # in the main thread: chunks, four a thread
    assert len(calls) == 1 + 4 * _threads.thread_count()


def test_the_summed_product_does_not_depend_on_which_thread_made_which_chunk(two_blas_threads, monkeypatch):
    from tinygrad_cnn.ops import _conv_utils  # noqa: PLC0415

    monkeypatch.setattr(_conv_utils, "_SHARED_PRODUCT_MIN", 0)
    calls = _spread_over_two_threads(monkeypatch)
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((2, 8, 4001)).astype(np.float32), rng.standard_normal((2, 4001, 9)).astype(np.float32)
    results = [_conv_utils.summed_product(np, a, b) for _ in range(5)]
    assert [len(idents) for idents in calls] == [2] * 5
    step = -(-4001 // (4 * _threads.thread_count()))
    with threadpool_limits(limits=1, user_api="blas"):  # as the shared parts were made
        chunks = [a[:, :, i:i + step] @ b[:, i:i + step] for i in range(0, 4001, step)]
    in_order = sum(chunks[1:], chunks[0])
    assert all(result.flags.c_contiguous for result in results)
    for result in results:
        np.testing.assert_array_equal(result, in_order)  # bit for bit, every time
    np.testing.assert_allclose(results[0], a @ b, rtol=1e-4, atol=1e-4)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_shares_work_with_threads_of_its_own(two_blas_threads):
    _threads.run_shared(lambda shared: list(shared), range(4))  # the parent has its pool now
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if the work was done in time
        try:
            threading.Timer(20, lambda: os._exit(2)).start()
            out, idents = np.zeros(8), set()

            def work(shared):
                for i in shared:
                    out[i] = i
                    idents.add(threading.get_ident())

            _threads.run_shared(_both_threads_take_one_first(work, threading.Barrier(2)), range(8))
            os._exit(0 if out.tolist() == list(range(8)) and len(idents) == 2 else 1)
        finally:
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_releasing_cached_memory_ends_the_helper_threads_and_their_buffers(two_blas_threads):
    def helpers():
        return [t for t in threading.enumerate() if t.name.startswith("tinygrad_cnn")]

    kept = []

    def take_a_buffer(shared):
        for _ in shared:
            if threading.current_thread() is not threading.main_thread():
                buffer = take_buffer(np, (1 << 20,), np.float32)
                kept.append(weakref.ref(buffer))
                give_buffer(np, buffer)  # kept for reuse by this thread

    _threads.run_shared(_both_threads_take_one_first(take_a_buffer, threading.Barrier(2)), range(2))
    assert helpers() and kept[0]() is not None
    tg.backend.release_cached_memory()
    assert helpers() == [] and kept[0]() is None
    out = np.zeros(4)
    _threads.run_shared(lambda shared: [out.__setitem__(i, 1) for i in shared], range(4))  # new helpers
    assert out.tolist() == [1, 1, 1, 1]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_forked_while_the_main_thread_shares_gets_its_blas_setting_back(two_blas_threads):
    forked, statuses = threading.Event(), []

    def fork_now():
        pid = os.fork()
        if pid == 0:  # the child: the BLAS must be back at two threads, and sharing must work
            try:
                threading.Timer(20, lambda: os._exit(2)).start()
                ok = _blas_threads() == [2] and _threads.thread_count() == 2
                os._exit(0 if ok else 1)
            finally:
                os._exit(3)
        statuses.append(os.waitpid(pid, 0)[1])
        forked.set()

    def work(shared):
        for _ in shared:
            if threading.current_thread() is threading.main_thread() and not forked.is_set():
                assert _blas_threads() == [1]
                threading.Thread(target=fork_now).start()  # forks while the BLAS is held
                assert forked.wait(timeout=30)

    _threads.run_shared(work, range(4))
    assert [os.waitstatus_to_exitcode(status) for status in statuses] == [0]
