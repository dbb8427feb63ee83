"""Pooling: sweeps against loop references, the course text's 4x4 example, gradient routing,
unpooling and every bad-input error."""

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import Tensor

import reference as ref

# (input shape, kernel_size, stride, padding, dilation, ceil_mode)
MAX_CONFIGS = [
    ((2, 3, 4, 4), 2, None, 0, 1, False),
    ((1, 2, 5, 5), 2, None, 0, 1, False),  # odd size: the last row/column is dropped
    ((1, 2, 5, 5), 2, None, 0, 1, True),  # ... or kept with ceil_mode
    ((1, 2, 7, 6), 3, 2, 1, 1, False),
    ((1, 2, 7, 7), 3, 2, 1, 2, True),
    ((1, 2, 6, 5), (2, 3), (1, 2), (1, 0), 1, False),
    ((1, 1, 1, 1), 1, None, 0, 1, False),  # 1x1 image
    ((2, 2, 3, 4), (3, 4), None, 0, 1, False),  # kernel equal to the input
    ((1, 2, 4, 4), 3, 1, 1, 1, False),  # 'same'-size pooling
    ((1, 2, 7, 6), 2, 1, 1, 2, True),  # the 2x2 fast path with padding, dilation, ceil_mode
    ((2, 2, 5, 6), 2, 3, 1, 1, False),
]


def _distinct(shape, seed=0):
    return np.random.default_rng(seed).permutation(np.arange(np.prod(shape), dtype=np.float64)).reshape(shape)


@pytest.mark.parametrize("cfg", MAX_CONFIGS, ids=[str(c) for c in MAX_CONFIGS])
def test_max_pool2d_sweep_matches_reference_with_indices(cfg):
    shape, k, s, p, d, ceil = cfg
    x = _distinct(shape)
    out, idx = F.max_pool2d(Tensor(x), k, s, p, d, ceil, return_indices=True)
    want, want_idx = ref.max_pool2d(x, k, s, p, d, ceil)
    np.testing.assert_array_equal(out.numpy(), want)
    np.testing.assert_array_equal(idx.numpy(), want_idx)
    assert idx.dtype == np.int64


@pytest.mark.parametrize("layout", ref.LAYOUTS)  # chunks of samples, of channels; copies or views
@pytest.mark.parametrize("per_chunk", [1, 2])  # 5 samples (or 3 channels) leave a partial chunk
@pytest.mark.parametrize("cfg", [((5, 3, 4, 6), 2, None, 0, 1, False),  # the 2x2 tournament
                                 ((5, 3, 7, 6), 3, 2, 1, 1, False)],  # overlapping windows
                         ids=["2x2", "3x3-s2-p1"])
def test_max_pool_in_chunks_matches_reference_and_gradcheck_in_every_layout(cfg, per_chunk, layout,
                                                                            monkeypatch):
    from tinygrad_cnn import _recycle  # noqa: PLC0415
    from tinygrad_cnn.ops import _pool_utils  # noqa: PLC0415

    shape, k, s, p, d, ceil = cfg
    order = ref.LAYOUTS[layout]
    x = ref.laid_out(_distinct(shape, seed=4), order)
    monkeypatch.setattr(_pool_utils, "_CHUNK_BYTES", per_chunk * x.nbytes // x.shape[order[0]])
    assert len(_pool_utils.chunks(np, x)) == -(-x.shape[order[0]] // per_chunk)
    made = []  # the chunks the forward and the backward scatter work in
    real_chunks = _pool_utils.chunks
    monkeypatch.setattr(_pool_utils, "chunks", lambda xp, a: made.append(real_chunks(xp, a)) or made[-1])
    out, idx = F.max_pool2d(Tensor(x), k, s, p, d, ceil, return_indices=True)
    want, want_idx = ref.max_pool2d(x, k, s, p, d, ceil)
    np.testing.assert_array_equal(out.numpy(), want)
    np.testing.assert_array_equal(idx.numpy(), want_idx)
    assert _recycle.memory_order(out.data) == _recycle.memory_order(x)
    args = (Tensor(x, requires_grad=True),)
    assert tg.gradcheck(lambda t: F.max_pool2d(t, k, s, p, d, ceil), args)
    assert tg.gradgradcheck(lambda t: F.max_pool2d(t, k, s, p, d, ceil), args)
    assert any(len(chunks) > 1 for chunks in made)  # the backward scatter's, for 3x3


@pytest.mark.parametrize("device", ["cpu", "strict"])
@pytest.mark.parametrize("shape", [(0, 3, 4, 4), (2, 0, 4, 4)], ids=["no samples", "no channels"])
def test_relu_and_max_pool_of_an_empty_array_give_empty_results_and_gradients(shape, device):
    x = Tensor(np.zeros(shape), requires_grad=True, device=device)
    y = F.max_pool2d(F.relu(x), 2)
    assert y.shape == (*shape[:2], 2, 2)
    y.sum().backward()
    assert x.grad.shape == shape


@pytest.mark.parametrize("device", ["cpu", "strict"])
def test_relu_of_a_zero_dim_tensor_and_its_gradient(device):
    x = Tensor(np.array(2.0), requires_grad=True, device=device)
    F.relu(x).backward()
    assert float(x.grad.item()) == 1.0


@pytest.mark.parametrize("cfg", [c for c in MAX_CONFIGS if c[4] == 1], ids=str)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_sweep_matches_reference(cfg, count_include_pad):
    shape, k, s, p, _, ceil = cfg
    x = np.random.default_rng(1).standard_normal(shape)
    got = F.avg_pool2d(Tensor(x), k, s, p, ceil, count_include_pad)
    np.testing.assert_allclose(got.numpy(), ref.avg_pool2d(x, k, s, p, ceil, count_include_pad), atol=1e-12)


def test_seed_max_and_average_pooling_of_a_4x4_map():
    # A 2x2 filter with stride 2 splits the 4x4 map into four quadrants.
    x = Tensor(np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=np.float32)[None, None])
    assert F.max_pool2d(x, 2, stride=2).tolist() == [[[[6.0, 8.0], [3.0, 4.0]]]]
    assert F.avg_pool2d(x, 2, stride=2).tolist() == [[[[3.25, 5.25], [2.0, 2.0]]]]


def test_max_pool_gradient_goes_to_the_argmax_only():
    x = Tensor(np.array([[[[1.0, 9.0, 2.0, 3.0], [4.0, 5.0, 8.0, 7.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2).backward(Tensor(np.array([[[[10.0, 20.0]]]])))
    assert x.grad.tolist() == [[[[0.0, 10.0, 0.0, 0.0], [0.0, 0.0, 20.0, 0.0]]]]


@pytest.mark.parametrize("k", [2, 3])
def test_max_pool_ties_send_the_gradient_to_the_first_maximum(k):
    x = Tensor(np.ones((1, 1, k, k)), requires_grad=True)
    F.max_pool2d(x, k).sum().backward()
    assert x.grad.numpy().sum() == 1.0 and x.grad.numpy()[0, 0, 0, 0] == 1.0
    y = Tensor(np.array([[[[0.0, 5.0], [5.0, 5.0]]]]), requires_grad=True)
    _, idx = F.max_pool2d(y, 2, return_indices=True)
    assert idx.item() == 1  # row-major first of the tied maxima, as in the loop reference


@pytest.mark.parametrize("kernel", [2, 3])  # the 2x2 tournament and the general loop
def test_max_pool_window_of_minus_inf_never_picks_the_padding(kernel):
    """Padding counts as -inf, so a window whose input cells are all -inf ties with it: the
    first cell inside the input wins (PyTorch's indices), and the gradient stays in the input."""
    x = np.full((1, 1, 2, 2), -np.inf)
    x[0, 0, 1, 1] = 1.0
    t = Tensor(x, requires_grad=True)
    out, idx = F.max_pool2d(t, kernel, stride=1, padding=1, return_indices=True)
    out.sum().backward()
    if kernel == 2:
        assert idx.numpy().ravel().tolist() == [0, 0, 1, 0, 3, 3, 2, 3, 3]  # PyTorch 2.13's
        assert t.grad.numpy().ravel().tolist() == [3.0, 1.0, 1.0, 4.0]
    else:
        assert idx.numpy().ravel().tolist() == [3, 3, 3, 3]
        assert t.grad.numpy().ravel().tolist() == [0.0, 0.0, 0.0, 4.0]


@pytest.mark.parametrize("pool", [
    dict(kernel_size=3, stride=2, padding=1),  # the general loop
    dict(kernel_size=2, stride=2, padding=1),  # the 2x2 tournament
    dict(kernel_size=2, stride=2, padding=1, ceil_mode=True),
])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int16, np.int8, np.uint64, np.uint16,
                                   np.uint8, np.bool_])
def test_max_pool_of_integers_and_bools_pads_with_their_lowest_value(dtype, pool):
    # Padding never wins: it is the dtype's smallest value (False for bools), so the values
    # and indices are those of the values' ranks above it pooled as float64 (padded with -inf).
    rng = np.random.default_rng(4)
    lo = 0 if dtype is np.bool_ else int(np.iinfo(dtype).min)
    ranks = rng.integers(0, 3 if dtype is not np.bool_ else 2, size=(2, 3, 7, 6))
    data = (ranks.astype(object) + lo).astype(dtype)  # the smallest values, many ties
    out, idx = F.max_pool2d(Tensor(data), return_indices=True, **pool)
    want, want_idx = F.max_pool2d(Tensor(ranks.astype(np.float64)), return_indices=True, **pool)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.numpy(), (want.numpy().astype(np.int64).astype(object) + lo).astype(dtype))
    np.testing.assert_array_equal(idx.numpy(), want_idx.numpy())
    out1, idx1 = F.max_pool1d(Tensor(data[:, :, 0]), 3, stride=2, padding=1, return_indices=True)
    want1, want_idx1 = F.max_pool1d(Tensor(ranks[:, :, 0].astype(np.float64)), 3, stride=2,
                                    padding=1, return_indices=True)
    np.testing.assert_array_equal(out1.numpy(), (want1.numpy().astype(np.int64).astype(object) + lo).astype(dtype))
    np.testing.assert_array_equal(idx1.numpy(), want_idx1.numpy())


def test_overlapping_windows_accumulate_gradient():
    # The centre 9 is the maximum of all four 2x2 windows with stride 1.
    x = Tensor(np.array([[[[1.0, 2.0, 3.0], [4.0, 9.0, 5.0], [6.0, 7.0, 8.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2, stride=1).sum().backward()
    assert x.grad.numpy()[0, 0, 1, 1] == 4.0
    assert x.grad.numpy().sum() == 4.0


def test_avg_pool_gradient_spreads_evenly():
    x = Tensor(np.zeros((1, 1, 2, 4)), requires_grad=True)
    F.avg_pool2d(x, 2).backward(Tensor(np.array([[[[4.0, 8.0]]]])))
    assert x.grad.tolist() == [[[[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]]]


NAN = float("nan")


@pytest.mark.parametrize("layout", ref.LAYOUTS)
@pytest.mark.parametrize("x, pool, want_idx", [
    # PyTorch 2.13's own indices for these inputs: a window holding NaN gives NaN, and its
    # winner is the LAST NaN in row-major order.
    ([[NAN, 1, 2, NAN], [NAN, 3, 5, 4], [1, 2, 3, 4], [5, 6, 7, 8]], dict(kernel_size=2),
     [[4, 3], [13, 15]]),
    ([[1, NAN, 2, 9], [NAN, 3, 5, NAN]], dict(kernel_size=2), [[4, 7]]),
    # overlapping windows over padding: before, a NaN window could point into the padding (-3)
    ([[1, NAN, 2, 9], [NAN, 3, 5, NAN]], dict(kernel_size=3, stride=1, padding=1),
     [[4, 4, 7, 7], [4, 4, 7, 7]]),
], ids=["2x2", "2x2-row", "3x3-padded"])
def test_max_pool_windows_with_nan_point_at_their_last_nan(x, pool, want_idx, layout):
    plane = np.array(x, dtype=np.float32)
    # 2 samples x 2 channels of the same plane, laid out in each way the ops meet
    t = Tensor(ref.laid_out(np.tile(plane, (2, 2, 1, 1)), ref.LAYOUTS[layout]), requires_grad=True)
    out, idx = F.max_pool2d(t, return_indices=True, **pool)
    np.testing.assert_array_equal(idx.numpy(), np.tile(want_idx, (2, 2, 1, 1)))
    np.testing.assert_array_equal(out.numpy(), np.tile(plane.reshape(-1)[want_idx], (2, 2, 1, 1)))
    out.backward(Tensor(np.ones(out.shape, np.float32)))  # the gradient goes to those cells
    counts = np.bincount(np.ravel(want_idx), minlength=plane.size).reshape(plane.shape)
    np.testing.assert_array_equal(t.grad.numpy(), np.tile(counts, (2, 2, 1, 1)))


def test_max_unpool_puts_values_back_at_their_positions():
    x = _distinct((2, 3, 4, 6), seed=3)
    out, idx = F.max_pool2d(Tensor(x), 2, return_indices=True)
    un = F.max_unpool2d(out, idx, 2)
    np.testing.assert_array_equal(un.numpy(), np.where(un.numpy() != 0, x, 0))
    np.testing.assert_array_equal(un.numpy(), ref.max_unpool2d(out.numpy(), idx.numpy(), (4, 6)))
    assert np.count_nonzero(un.numpy()) == out.numel()
    assert F.max_unpool2d(out, idx, 2, output_size=(5, 7)).shape == (2, 3, 5, 7)


def test_pool1d_and_unbatched():
    x = _distinct((2, 3, 9))
    got = F.max_pool1d(Tensor(x), 3, stride=2, padding=1)
    np.testing.assert_array_equal(got.numpy(), ref.max_pool2d(x[:, :, None], (1, 3), (1, 2), (0, 1))[0][:, :, 0])
    avg = F.avg_pool1d(Tensor(x), 3)
    np.testing.assert_allclose(avg.numpy(), x[:, :, :9].reshape(2, 3, 3, 3).mean(-1))
    assert F.max_pool2d(Tensor(_distinct((3, 4, 4))), 2).shape == (3, 2, 2)


@pytest.mark.parametrize("out_size", [1, (2, 3), (5, 7), (3, None), (4, 4)])
def test_adaptive_avg_pool2d(out_size):
    x = np.random.default_rng(2).standard_normal((2, 3, 5, 7))
    got = F.adaptive_avg_pool2d(Tensor(x), out_size)
    sizes = (out_size, out_size) if isinstance(out_size, int) else out_size
    full = tuple(n if s is None else s for s, n in zip(sizes, (5, 7)))
    np.testing.assert_allclose(got.numpy(), ref.adaptive_avg_pool2d(x, full), atol=1e-12)
    if out_size == 1:
        np.testing.assert_allclose(got.numpy()[..., 0, 0], x.mean(axis=(2, 3)))


def test_float32_preserved():
    x = tg.randn(2, 3, 6, 6, requires_grad=True)
    for out in (F.max_pool2d(x, 2), F.avg_pool2d(x, 3, 1, 1), F.adaptive_avg_pool2d(x, 4)):
        assert out.dtype == np.float32
        (gx,) = tg.grad(out.sum(), x)
        assert gx.dtype == np.float32


X = tg.zeros(1, 2, 4, 4)


@pytest.mark.parametrize("call,error,match", [
    (lambda: F.max_pool2d(X, 3, padding=2), ValueError,
     r"max_pool2d: padding should be at most half the kernel size, got padding=\(2, 2\) for kernel_size=\(3, 3\)"),
    (lambda: F.avg_pool2d(X, 2, padding=(0, 2)), ValueError, r"avg_pool2d: padding should be at most half"),
    (lambda: F.max_pool2d(X, 2, stride=0), ValueError, r"stride: expected positive values, got \(0, 0\)"),
    (lambda: F.max_pool2d(X, 0), ValueError, r"kernel_size: expected positive values"),
    (lambda: F.max_pool2d(X, 2, dilation=-1), ValueError, r"dilation: expected positive values"),
    (lambda: F.max_pool2d(X, 5), ValueError,
     r"output height would be floor\(\(size \+ 2P - D\*\(K-1\) - 1\)/S\) \+ 1 = "
     r"floor\(\(4 \+ 2\*0 - 1\*\(5-1\) - 1\)/5\) \+ 1 = 0 <= 0"),
    (lambda: F.max_pool2d(tg.zeros(4, 4), 2), ValueError,
     r"max_pool2d: input: expected a 3-D or 4-D tensor .* got shape \(4, 4\)"),
    (lambda: F.max_pool1d(X, 2), ValueError, r"max_pool1d: input: expected a 2-D or 3-D tensor"),
    (lambda: F.max_pool2d(X, 2.0), TypeError, r"kernel_size: expected an int or a tuple of 2 ints"),
    (lambda: F.max_unpool2d(tg.zeros(1, 2, 2, 2), tg.zeros(1, 2, 2, 2, dtype=np.int64) + 99, 2), ValueError,
     r"indices: expected values in \[0, 16\)"),
    (lambda: F.adaptive_avg_pool2d(X, 0), ValueError, r"output_size: expected positive values"),
])
def test_bad_input_raises(call, error, match):
    with pytest.raises(error, match=match):
        call()

