"""Sharing an op's work between the cores (tinygrad_cnn._parallel): the splitter itself, and
the inference convolution that uses it, which must give the same numbers split or not."""

import os
import threading

import numpy as np
import pytest
from test_conv import ROW_RUN_CONFIGS, _config_id

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import Tensor, _parallel, _recycle
from tinygrad_cnn.ops import _conv_utils

import reference as ref

needs_blas_control = pytest.mark.skipif(
    not _parallel._blas(), reason="threadpoolctl cannot set this process's BLAS thread count")


def _blas_threads():
    return [lib.get_num_threads() for lib in _parallel._blas().lib_controllers]


@needs_blas_control
def test_tasks_run_at_once_on_their_own_threads_with_a_one_thread_blas_then_restored():
    before = _blas_threads()
    together = threading.Barrier(3, timeout=10)  # broken unless all three run at once
    seen = []

    def task(i):
        def run():
            together.wait()
            seen.append((i, threading.get_ident(), _blas_threads()))
            return i * 10
        return run

    assert _parallel.run_split([task(0), task(1), task(2)]) == [0, 10, 20]
    by_task = {i: (ident, threads) for i, ident, threads in seen}
    assert by_task[0][0] == threading.get_ident()  # the first on the calling thread
    assert len({ident for ident, _ in by_task.values()}) == 3
    assert all(threads == [1] * len(before) for _, threads in by_task.values())
    assert _blas_threads() == before


@needs_blas_control
def test_an_error_in_a_worker_is_raised_after_every_task_has_finished():
    before = _blas_threads()
    finished = threading.Event()

    def slow_first():
        finished.wait(0.05)
        finished.set()

    def failing():
        raise ValueError("from a worker")

    with pytest.raises(ValueError, match="from a worker"):
        _parallel.run_split([slow_first, failing])
    assert finished.is_set()
    assert _blas_threads() == before
    assert _parallel.run_split([lambda: 1, lambda: 2]) == [1, 2]  # the lock was let go


@needs_blas_control
def test_a_split_inside_a_split_runs_its_tasks_in_order_on_its_own_thread():
    inner = []

    def outer():
        here = threading.get_ident()
        return _parallel.run_split([lambda: inner.append(threading.get_ident() == here),
                                    lambda: inner.append(threading.get_ident() == here)])

    _parallel.run_split([outer, lambda: None])
    assert inner == [True, True]


@needs_blas_control
def test_release_workers_empties_the_worker_threads_pools():
    _parallel.run_split([lambda: None, lambda: None])
    size = _parallel._state["size"]

    def on_every_worker(fn):  # each worker thread takes one task: they wait for each other
        together = threading.Barrier(size, timeout=10)

        def run():
            together.wait()
            return fn()
        return _parallel.run_split([lambda: None] + [run] * size)[1:]

    def fill():
        _recycle.give_buffer(np, _recycle.take_buffer(np, (1 << 16,), np.float32))

    def pooled():
        return bool(_recycle._POOL.__dict__.get("free"))

    on_every_worker(fill)
    assert on_every_worker(pooled) == [True] * size
    _parallel.release_workers()
    assert on_every_worker(pooled) == [False] * size


@needs_blas_control
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_splits_with_threads_of_its_own():
    _parallel.run_split([lambda: None, lambda: None])  # the parent's pool exists
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only when a split completes there
        try:
            ok = _parallel.run_split([lambda: 1, lambda: 2]) == [1, 2]
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


@needs_blas_control
@pytest.mark.parametrize("parts", [2, 3])
@pytest.mark.parametrize("per_chunk", [0.4, 2])  # samples; under 1: bands of rows
@pytest.mark.parametrize("cfg", ROW_RUN_CONFIGS, ids=[_config_id(c) for c in ROW_RUN_CONFIGS])
def test_split_inference_conv_equals_the_unsplit_one(cfg, per_chunk, parts, monkeypatch):
    """The row-run forward with its samples shared out (5 samples: uneven shares) gives the
    numbers of the unsplit forward (to the last bits, which the BLAS's blocking of narrower
    products may round differently) and the loop reference's."""
    xs, ws, kw = cfg
    rng = np.random.default_rng(11)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    want = ref.conv2d(x, w, b, **kw)
    patch_bytes = xs[1] * ws[2] * ws[3] * want.shape[2] * want.shape[3] * 8
    monkeypatch.setattr(_conv_utils, "_CHUNK_BYTES", int(per_chunk * patch_bytes))
    alone = F.conv2d(Tensor(x), Tensor(w), Tensor(b), **kw).numpy()
    splits = []
    real = _parallel.run_split
    monkeypatch.setattr(_parallel, "MIN_SPLIT_MACS", 0)
    monkeypatch.setattr(_parallel, "workers", lambda: parts)
    monkeypatch.setattr(_parallel, "run_split", lambda tasks: splits.append(len(tasks)) or real(tasks))
    shared = F.conv2d(Tensor(x), Tensor(w), Tensor(b), **kw).numpy()
    assert splits == [parts]
    np.testing.assert_allclose(shared, alone, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(shared, want, atol=1e-10)


def test_only_large_inference_convs_are_split(monkeypatch):
    splits = []
    real = _parallel.run_split
    monkeypatch.setattr(_parallel, "run_split", lambda tasks: splits.append(len(tasks)) or real(tasks))
    rng = np.random.default_rng(12)
    small = Tensor(rng.standard_normal((2, 3, 8, 8)).astype(np.float32))
    F.conv2d(small, Tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32)), padding=1)
    assert splits == [1]
    x = rng.standard_normal((8, 64, 32, 32)).astype(np.float32)  # 302 M multiply-adds
    w = rng.standard_normal((64, 64, 3, 3)).astype(np.float32)
    with tg.no_grad():
        got = F.conv2d(Tensor(x), Tensor(w), padding=1).numpy()
    assert splits[1] == min(8, _parallel.workers())
    windows = np.lib.stride_tricks.sliding_window_view(
        np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1))), (3, 3), axis=(2, 3))
    want = np.tensordot(windows, w.astype(np.float64), axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3)


def test_without_blas_control_there_is_one_worker_and_tasks_run_in_order(monkeypatch):
    monkeypatch.setitem(_parallel._state, "blas", False)  # as without threadpoolctl
    assert _parallel.workers() == 1
    here, order = threading.get_ident(), []
    _parallel.run_split([lambda: order.append(threading.get_ident() == here) for _ in range(3)])
    assert order == [True, True, True]
