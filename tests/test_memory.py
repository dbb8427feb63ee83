"""Graph memory is returned after backward: live tensors, process RSS, saved buffers."""

import gc
import os

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import Tensor, _recycle, nn, optim

import reference as ref


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _small_cnn():
    tg.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(4 * 4 * 4, 10),
    )


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
@pytest.mark.parametrize("create_graph", [False, True])
def test_rss_is_flat_over_thousands_of_training_steps(create_graph):
    model = _small_cnn()
    opt = optim.SGD(model.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((8, 1, 8, 8)).astype(np.float32))
    y = Tensor(rng.integers(0, 10, 8))

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward(create_graph=create_graph)
        opt.step()

    for _ in range(200):  # warm up allocator pools
        step()
    gc.collect()
    before = _rss_mb()
    for _ in range(2000):
        step()
    gc.collect()
    grown = _rss_mb() - before
    assert grown < 8, f"RSS grew by {grown:.1f} MB over 2000 steps (create_graph={create_graph})"


def test_live_tensor_count_is_flat_for_a_cnn():
    model = _small_cnn()
    x = Tensor(np.ones((2, 1, 8, 8), dtype=np.float32))

    def live():
        gc.collect()
        return sum(isinstance(o, Tensor) for o in gc.get_objects())

    for _ in range(3):
        model(x).sum().backward()
    before = live()
    for _ in range(300):
        model(x).sum().backward()
    assert live() <= before


def test_im2col_buffers_do_not_outlive_backward():
    """After backward every op of the graph has dropped its saved arrays."""
    x = Tensor(np.ones((2, 3, 8, 8), dtype=np.float32))
    w = Tensor(np.ones((4, 3, 3, 3), dtype=np.float32), requires_grad=True)
    h = F.conv2d(x, w, padding=1)
    out = F.max_pool2d(h.relu(), 2)
    ctxs = [out.grad_fn, h.grad_fn]
    out.sum().backward()
    for ctx in ctxs:
        arrays = [k for k, v in vars(ctx).items() if isinstance(v, np.ndarray)]
        assert ctx.released and not arrays, f"{ctx.name} still holds {arrays}"


def test_scratch_im2col_buffer_never_corrupts_saved_patches():
    """Forward passes under no_grad reuse an im2col buffer; a graph recorded before them keeps
    its own patches, so its weight gradient is unaffected."""
    rng = np.random.default_rng(0)
    x1 = Tensor(rng.standard_normal((2, 3, 6, 6)))
    x2 = Tensor(rng.standard_normal((2, 3, 6, 6)))
    w = Tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    y = F.conv2d(x1, w)
    with tg.no_grad():
        a = F.conv2d(x2, w).numpy()
        b = F.conv2d(x1, w).numpy()  # same shape: same scratch buffer
    np.testing.assert_allclose(a, F.conv2d(x2, w.detach()).numpy())
    assert not np.allclose(a, b)
    g = rng.standard_normal(y.shape)
    y.backward(Tensor(g))
    want = np.einsum("noij,ncijab->ocab", g,
                     np.lib.stride_tricks.sliding_window_view(x1.numpy(), (3, 3), axis=(2, 3)))
    np.testing.assert_allclose(w.grad.numpy(), want, atol=1e-10)


@pytest.fixture
def recycle_every_result(monkeypatch):
    """Pool results of every size (normally only those of 64 KiB and more), from empty pools."""
    monkeypatch.setattr(_recycle, "_MIN_BYTES", 0)
    _recycle.release()
    yield
    _recycle.release()


@pytest.mark.parametrize("shape, op", [
    ((1, 3, 1, 1), lambda x, w: F.conv2d(x, w)),  # results that are contiguous views by chance
    ((2, 3, 5, 5), lambda x, w: F.conv2d(x, w, padding=1)),
    ((2, 3, 6, 6), lambda x, w: F.max_pool2d(F.conv2d(x, w, padding=1), 2)),
    ((2, 3, 6, 6), lambda x, w: F.relu(F.conv2d(x, w, padding=1)) * 2.0),
    ((2, 3, 7, 7), lambda x, w: F.conv_transpose2d(F.conv2d(x, w, stride=2), w, stride=2)),
    ((2, 3, 6, 6), lambda x, w: F.conv2d(x, w.detach(), padding=1)),  # frozen: the row-run path
], ids=["conv_1x1", "conv_padded", "conv_pool", "conv_relu_mul", "conv_transpose", "conv_frozen"])
def test_results_never_share_memory_with_recycled_buffers(shape, op, recycle_every_result):
    """Ops recycle scratch buffers (padded copies, patches, col2im sums, pooling copies) and
    the memory of dead results: a result handed out, forward or gradient, must stay intact
    when the same shapes run again."""
    rng = np.random.default_rng(1)

    def run():
        x = Tensor(rng.standard_normal(shape), requires_grad=True)
        w = Tensor(rng.standard_normal((4, shape[1], 3 if shape[2] > 1 else 1, 3 if shape[2] > 1 else 1)),
                   requires_grad=True)
        y = op(x, w)
        y.backward(Tensor(rng.standard_normal(y.shape)))
        return [t.data for t in (y, x.grad, w.grad) if t is not None]  # the arrays themselves

    first = run()
    kept = [np.array(a, copy=True) for a in first]
    for _ in range(3):
        run()
    for got, want in zip(first, kept):
        np.testing.assert_array_equal(got, want)


@pytest.mark.skipif(_recycle._UNUSED is None, reason="no reference counts here: results are not pooled")
def test_a_result_s_memory_is_reused_only_once_every_view_of_it_is_gone(recycle_every_result):
    x = Tensor(np.random.default_rng(2).standard_normal((4, 5)))

    def address(a):
        return a.__array_interface__["data"][0]

    first = F.relu(x)
    spot = address(first.data)
    view = first.data[1:]  # a user's slice keeps the memory after the tensor is gone
    del first
    second = F.relu(x)
    assert not np.shares_memory(second.data, view)
    want = np.maximum(x.numpy(), 0)
    np.testing.assert_array_equal(view, want[1:])
    del view
    third = F.relu(x)  # now nothing refers to the first result's memory: it is reused
    assert address(third.data) == spot
    np.testing.assert_array_equal(third.numpy(), want)
    np.testing.assert_array_equal(second.numpy(), want)


def test_pooled_results_keep_numpy_s_result_types(recycle_every_result):
    flags = np.array([[True, False], [False, True]])
    small = np.arange(-3, 3, dtype=np.int8)
    assert F.relu(Tensor(flags)).numpy().dtype == np.maximum(flags, 0).dtype  # int64
    np.testing.assert_array_equal(F.relu(Tensor(small)).numpy(), np.maximum(small, 0))
    assert F.relu(Tensor(small)).dtype == np.int8
    assert (Tensor(flags) * Tensor(flags)).dtype == np.bool_


def test_release_cached_memory_leaves_live_results_intact(recycle_every_result):
    x = Tensor(np.random.default_rng(3).standard_normal((3, 4)))
    y = F.relu(x)
    assert _recycle._POOL.results
    tg.backend.release_cached_memory()
    assert not getattr(_recycle._POOL, "results", None)
    np.testing.assert_array_equal(y.numpy(), np.maximum(x.numpy(), 0))
    z = F.relu(x)  # a new pool; y's memory is not in it
    assert not np.shares_memory(y.data, z.data)


def test_the_results_pool_lets_go_of_sizes_no_longer_used(recycle_every_result, monkeypatch):
    monkeypatch.setattr(_recycle, "_RESULT_SIZES", 2)
    for n in range(1, 6):
        F.relu(Tensor(np.ones((n, 3))))
    assert list(_recycle._POOL.results) == [(12, "<f8"), (15, "<f8")]
    held = sum(b.nbytes for bufs in _recycle._POOL.results.values() for b in bufs)
    assert _recycle._POOL.results.nbytes == held > 0  # the evicted sizes' bytes left the count


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="glibc/Linux only")
def test_retain_host_memory_is_accepted_by_glibc():
    import subprocess
    import sys

    code = "import tinygrad_cnn as tg; print(tg.backend.retain_host_memory())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_recycled_patch_buffers_never_alias_live_graphs():
    """Patches kept for the weight gradient go back to a free list after backward; graphs
    still alive keep their own, so every weight gradient stays exact."""
    rng = np.random.default_rng(1)
    w = Tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    xs = [Tensor(rng.standard_normal((2, 3, 6, 6))) for _ in range(3)]

    def want(x, g):
        win = np.lib.stride_tricks.sliding_window_view(x.numpy(), (3, 3), axis=(2, 3))
        return np.einsum("noij,ncijab->ocab", g, win)

    g = rng.standard_normal((2, 4, 4, 4))
    y1, y2 = F.conv2d(xs[0], w), F.conv2d(xs[1], w)
    y1.backward(Tensor(g))  # y1's patches return to the free list ...
    np.testing.assert_allclose(w.grad.numpy(), want(xs[0], g), atol=1e-10)
    y3 = F.conv2d(xs[2], w)  # ... and y3 takes them
    for y, x in ((y2, xs[1]), (y3, xs[2])):
        w.grad = None
        y.backward(Tensor(g))
        np.testing.assert_allclose(w.grad.numpy(), want(x, g), atol=1e-10)


CONV_LAYOUTS = {name: ref.LAYOUTS[name] for name in ("CNHW", "CHWN")}  # a convolution's output


@pytest.mark.parametrize("layout", CONV_LAYOUTS)
def test_relu_pooling_and_their_gradients_keep_a_convolution_s_layout(layout):
    """A convolution's output lies in memory as (C, N, H, W), or (C, H, W, N) with samples-last
    patches; ReLU, max-pooling and their gradients keep that layout (NumPy's order='K'), so no
    pass reads across the grain, and give bit for bit what they give on the same values in
    (N, C, H, W) order."""
    rng = np.random.default_rng(4)
    values = rng.standard_normal((16, 6, 28, 28)).astype(np.float32)  # 300 KB: pooled results
    cotangent = rng.standard_normal((16, 6, 14, 14)).astype(np.float32)
    results = {}
    for name, data in (("NCHW", values), (layout, ref.laid_out(values, CONV_LAYOUTS[layout]))):
        x = Tensor(data, requires_grad=True)
        h = F.relu(x)
        y = F.max_pool2d(h, 2)
        y.backward(Tensor(cotangent))  # a C-order gradient: re-laid for the scatter
        results[name] = (h.data, y.data, x.grad.data)
    for got, want in zip(results[layout], results["NCHW"]):
        assert _recycle.memory_order(got) == CONV_LAYOUTS[layout]
        np.testing.assert_array_equal(got, want)
    for got in results["NCHW"]:
        assert got.flags.c_contiguous


@pytest.mark.parametrize("small", [True, False])
def test_convolution_results_keep_samples_innermost_when_their_patches_do(small, monkeypatch):
    """Small inputs get samples-last patches, and their convolution's output, its transposed
    convolution's and the gradients lie (C, H, W, N); over the size threshold (moved here)
    they lie (C, N, H, W)."""
    from tinygrad_cnn.ops import _conv_utils  # noqa: PLC0415

    if not small:
        monkeypatch.setattr(_conv_utils, "_SAMPLES_LAST_BYTES", 0)
    want = CONV_LAYOUTS["CHWN" if small else "CNHW"]
    rng = np.random.default_rng(5)
    x = Tensor(rng.standard_normal((8, 6, 14, 14)), requires_grad=True)
    w = Tensor(rng.standard_normal((16, 6, 5, 5)), requires_grad=True)
    y = F.conv2d(x, w)
    assert _recycle.memory_order(y.data) == want
    y.relu().sum().backward()
    assert _recycle.memory_order(x.grad.data) == want  # the col2im form (6 channels < 16)
    out = F.conv_transpose2d(y.detach(), w.detach())
    assert _recycle.memory_order(out.data) == want
    assert _recycle.memory_order(F.conv2d(out, w).data) == want


@pytest.mark.parametrize("layout", ["NCHW", *CONV_LAYOUTS])
def test_relu_against_an_array_of_zeros_matches_numpy_bit_for_bit(layout):
    """Large float inputs run np.maximum against a kept array of zeros (faster than against
    the scalar 0): NaN, infinities and signed zeros come out exactly as np.maximum(x, 0)."""
    specials = np.array([-0.0, 0.0, np.nan, -np.nan, np.inf, -np.inf, 1.5, -2.5], np.float32)
    data = np.resize(specials, (4, 8, 32, 32))  # 128 KB, over the zeros threshold
    if layout != "NCHW":
        data = ref.laid_out(data, CONV_LAYOUTS[layout])
    got = F.relu(Tensor(data)).numpy()
    want = np.maximum(data, 0)
    np.testing.assert_array_equal(got.view(np.int32), want.view(np.int32))
    assert not _recycle.zero_like(np, data).any()  # the kept zeros stay zeros


def test_a_conv_backward_reuses_its_patches_memory_for_the_input_gradient():
    """The weight gradient is the forward patches' last reader: they go back to the pool
    before the input gradient's col2im asks for a buffer of the same size (LeNet-5's second
    layer), so one buffer serves both."""
    _recycle.release()
    rng = np.random.default_rng(6)
    x = Tensor(rng.standard_normal((8, 6, 14, 14)), requires_grad=True)
    w = Tensor(rng.standard_normal((16, 6, 5, 5)), requires_grad=True)
    y = F.conv2d(x, w)  # patches (6*5*5, 8*10*10); col2im sums (6*5*5, 10*10*8): one size
    y.backward(Tensor(rng.standard_normal(y.shape)))
    assert len(_recycle._POOL.free[(150 * 800, "<f8")]) == 1
    _recycle.release()


def test_broadcast_and_reversed_inputs_give_results_in_c_order():
    """A broadcast view (stride 0) or a reversed one has no layout worth copying: results of
    such inputs come out in C order, as NumPy's own ufuncs give them."""
    row = np.broadcast_to(np.ones((1, 256)), (256, 256))
    assert _recycle.recycled_ufunc(np, "multiply", row, np.ones((256, 256))).flags.c_contiguous
    expanded = Tensor(np.ones((1, 8, 32, 32))).expand(16, 8, 32, 32)
    assert F.relu(expanded).data.flags.c_contiguous
    reversed_batch = np.random.default_rng(7).standard_normal((4, 8, 32, 32))[::-1]
    pooled = F.max_pool2d(Tensor(reversed_batch), 2)
    assert pooled.data.flags.c_contiguous
    np.testing.assert_array_equal(pooled.numpy(), F.max_pool2d(Tensor(reversed_batch.copy()), 2).numpy())


def test_recycled_ufunc_pools_by_result_size_and_honours_dtype(recycle_every_result, monkeypatch):
    monkeypatch.setattr(_recycle, "_MIN_BYTES", 64 << 10)
    column, row = np.ones((256, 1)), np.ones((1, 256))  # small inputs, a 512 KiB result
    out = _recycle.recycled_ufunc(np, "multiply", column, row)
    assert (256 * 256, "<f8") in _recycle._POOL.results
    assert out.shape == (256, 256)
    small = np.ones(3, np.float32)
    assert _recycle.recycled_ufunc(np, "multiply", small, small, dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("layout", ["NCHW", *CONV_LAYOUTS])
def test_select_bits_in_cache_sized_pieces_is_exact(layout, monkeypatch):
    """select_bits makes its all-ones words a piece at a time along the outermost axis in
    memory (the piece size is shrunk here to force several, one partial): the result is
    bit for bit ``where(mask, values, +0.0)``, inf and NaN included, into a new array laid
    out like the values or into a strided ``out``."""
    from tinygrad_cnn.ops import elementwise  # noqa: PLC0415

    monkeypatch.setattr(elementwise, "_SELECT_BYTES", 3 * 5 * 7 * 8 * 4)  # 3 of 5 on the outer axis
    rng = np.random.default_rng(8)
    values = rng.standard_normal((5, 5, 7, 8)).astype(np.float32)
    values.flat[::7] = np.inf
    values.flat[3::11] = np.nan
    values.flat[5::13] = -np.inf
    mask = rng.random(values.shape) < 0.5
    if layout != "NCHW":
        order = CONV_LAYOUTS[layout]
        values, mask = ref.laid_out(values, order), ref.laid_out(mask, order)
    assert len(_recycle.outer_pieces(mask, elementwise._SELECT_BYTES, itemsize=4)) == 2  # 3 + 2
    want = np.where(mask, values, np.float32(0.0))
    got = elementwise.select_bits(np, values, mask)
    np.testing.assert_array_equal(got.view(np.int32), want.view(np.int32))
    assert _recycle.memory_order(got) == _recycle.memory_order(values)
    into = np.full((5, 5, 14, 8), 7.0, np.float32)
    elementwise.select_bits(np, values, mask, out=into[:, :, ::2])
    np.testing.assert_array_equal(into[:, :, ::2].view(np.int32), want.view(np.int32))
    assert (into[:, :, 1::2] == 7.0).all()


def test_scratch_pool_keeps_count_of_its_bytes_and_its_cap(monkeypatch):
    """The scratch pool's running total equals what its free lists hold through takes, gives
    and evictions of old sizes, and a give over the byte cap is not kept."""
    monkeypatch.setattr(_recycle, "_SCRATCH_BYTES", 10 * 8 * 100)
    monkeypatch.setattr(_recycle, "_SCRATCH_SIZES", 2)
    monkeypatch.setattr(_recycle, "_MIN_BYTES", 0)  # pool even these small sizes
    _recycle.release()

    def held():
        return sum(b.nbytes for bufs in _recycle._POOL.free.values() for b in bufs)

    bufs = [_recycle.take_buffer(np, (100,), np.float64) for _ in range(3)]
    for buf in bufs:
        _recycle.give_buffer(np, buf)
    assert held() == _recycle._POOL.free.nbytes == 3 * 800
    again = _recycle.take_buffer(np, (100,), np.float64)
    assert any(again is b or again.base is b for b in bufs)  # a recycled one
    assert held() == _recycle._POOL.free.nbytes == 2 * 800
    for size in (200, 300):  # three sizes over a limit of two: the oldest (100) is let go
        _recycle.give_buffer(np, _recycle.take_buffer(np, (size,), np.float64))
    assert (100, "<f8") not in _recycle._POOL.free
    assert held() == _recycle._POOL.free.nbytes == (200 + 300) * 8
    _recycle.give_buffer(np, np.empty(600))  # 4800 bytes more would pass the 8000-byte cap
    assert _recycle._POOL.free[(600, "<f8")] == []  # not kept; its size evicts the 200s
    assert held() == _recycle._POOL.free.nbytes == 300 * 8
    _recycle.release()
