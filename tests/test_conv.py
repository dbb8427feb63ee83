"""Convolution: configuration sweeps against loop references, the course text's numbers,
true convolution vs cross-correlation, and every bad-input error."""

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import Tensor

import reference as ref

# (input shape, weight shape, kwargs): stride, padding (incl. 'same'/'valid'), dilation,
# groups, non-square kernels, odd sizes, batch 1, 1x1 images, kernel equal to the input.
CONFIGS = [
    ((2, 3, 6, 6), (4, 3, 3, 3), {}),
    ((1, 2, 7, 5), (3, 2, 3, 3), {"stride": 2}),
    ((1, 2, 7, 7), (2, 2, 3, 3), {"stride": 3, "padding": 2}),
    ((2, 2, 5, 6), (3, 2, 3, 3), {"padding": "same"}),
    ((1, 2, 5, 6), (3, 2, 2, 4), {"padding": "same", "dilation": (2, 1)}),
    ((1, 2, 5, 5), (2, 2, 3, 3), {"padding": "valid"}),
    ((1, 2, 8, 7), (2, 2, 3, 2), {"dilation": 2, "padding": 1}),
    ((1, 4, 5, 5), (6, 2, 3, 3), {"groups": 2, "padding": 1}),
    ((1, 3, 5, 4), (3, 1, 3, 3), {"groups": 3}),  # depthwise
    ((1, 2, 5, 7), (2, 2, 1, 3), {"stride": (1, 2)}),
    ((1, 2, 6, 4), (2, 2, 3, 1), {"padding": (1, 0)}),
    ((1, 3, 1, 1), (4, 3, 1, 1), {}),  # 1x1 image, 1x1 kernel
    ((1, 2, 1, 1), (2, 2, 3, 3), {"padding": 1}),  # 1x1 image seen through padding
    ((2, 2, 4, 5), (3, 2, 4, 5), {}),  # kernel equal to the input: 1x1 output
]


def _config_id(cfg):
    x, w, kw = cfg
    return f"x{x}-w{w}-" + ",".join(f"{k}={v}" for k, v in kw.items())


@pytest.mark.parametrize("cfg", CONFIGS, ids=[_config_id(c) for c in CONFIGS])
def test_conv2d_sweep_matches_loop_reference_and_gradcheck(cfg):
    xs, ws, kw = cfg
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    got = F.conv2d(Tensor(x), Tensor(w), Tensor(b), **kw)
    np.testing.assert_allclose(got.numpy(), ref.conv2d(x, w, b, **kw), atol=1e-10)
    args = (Tensor(x, requires_grad=True), Tensor(w, requires_grad=True), Tensor(b, requires_grad=True))
    assert tg.gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), args)


@pytest.mark.parametrize("order", ["samples last", "samples first"])
@pytest.mark.parametrize("cfg", CONFIGS, ids=[_config_id(c) for c in CONFIGS])
def test_both_patch_orders_match_loop_reference_and_gradcheck(cfg, order, monkeypatch):
    """The patch matrix's columns are ordered (OH, OW, N) for inputs small enough to copy
    into a samples-last layout, (N, OH, OW) for larger ones (the threshold is moved here):
    the forward, the weight gradient that reuses the patches, the input gradient and the
    layout of the output are checked in both orders."""
    from tinygrad_cnn import _recycle  # noqa: PLC0415
    from tinygrad_cnn.ops import _conv_utils  # noqa: PLC0415

    monkeypatch.setattr(_conv_utils, "_SAMPLES_LAST_BYTES", 1 << 30 if order == "samples last" else 0)
    xs, ws, kw = cfg
    xs = (3, *xs[1:])  # a batch: with one sample both orders are the same
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    got = F.conv2d(Tensor(x), Tensor(w, requires_grad=True), Tensor(b), **kw)  # keeps its patches
    np.testing.assert_allclose(got.numpy(), ref.conv2d(x, w, b, **kw), atol=1e-10)
    if got.shape[2] * got.shape[3] > 1:
        want = (1, 2, 3, 0) if order == "samples last" else (1, 0, 2, 3)
        assert _recycle.memory_order(got.data) == want
    args = (Tensor(x, requires_grad=True), Tensor(w, requires_grad=True), Tensor(b, requires_grad=True))
    assert tg.gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), args)
    assert tg.gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), args)


# Stride 1 with an output as wide as the input, when the weight needs no gradient (inference,
# frozen weights) or the patches are not samples-last: conv2d reads each kernel cell's patch
# row as one run of a vertically padded copy, a chunk (a few samples, or a band of rows of
# one) at a time (_conv_utils.correlate_by_rows).
ROW_RUN_CONFIGS = [
    ((5, 3, 6, 7), (4, 3, 3, 3), {"padding": 1}),
    ((5, 2, 5, 6), (3, 2, 2, 4), {"padding": "same", "dilation": (2, 1)}),  # uneven pads
    ((5, 4, 5, 5), (6, 2, 3, 3), {"groups": 2, "padding": (0, 1)}),
    ((5, 2, 2, 2), (3, 2, 5, 5), {"padding": 2}),  # reads wrap round more than a whole row
    ((5, 2, 4, 3), (3, 2, 1, 1), {}),
    ((5, 2, 6, 4), (2, 2, 3, 1), {"padding": (2, 0), "dilation": 2}),
]


def _row_run_calls(monkeypatch) -> list:
    """Record each call of the row-run correlation: (input shape, whether it kept its patches)."""
    from tinygrad_cnn.ops import conv  # noqa: PLC0415

    calls, real = [], conv.correlate_by_rows

    def spy(*args, **kwargs):
        out, patches = real(*args, **kwargs)
        calls.append((args[0].shape, patches is not None))
        return out, patches

    monkeypatch.setattr(conv, "correlate_by_rows", spy)
    return calls


def _chunks_of(monkeypatch, per_chunk, x_shape, w_shape, out_shape) -> None:
    """Make the row-run chunks ``per_chunk`` samples' worth of patches (float64)."""
    from tinygrad_cnn.ops import _conv_utils  # noqa: PLC0415

    patch_bytes = x_shape[1] * w_shape[2] * w_shape[3] * out_shape[2] * out_shape[3] * 8  # one sample's
    monkeypatch.setattr(_conv_utils, "_CHUNK_BYTES", int(per_chunk * patch_bytes))


@pytest.mark.parametrize("per_chunk", [0.4, 1, 2, 5])  # samples; under 1: bands of rows
@pytest.mark.parametrize("cfg", ROW_RUN_CONFIGS, ids=[_config_id(c) for c in ROW_RUN_CONFIGS])
def test_row_run_path_in_chunks_matches_loop_reference_and_gradcheck(cfg, per_chunk, monkeypatch):
    xs, ws, kw = cfg
    rng = np.random.default_rng(7)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    calls = _row_run_calls(monkeypatch)
    want = ref.conv2d(x, w, b, **kw)
    _chunks_of(monkeypatch, per_chunk, xs, ws, want.shape)
    np.testing.assert_allclose(F.conv2d(Tensor(x), Tensor(w), Tensor(b), **kw).numpy(), want, atol=1e-10)
    assert calls == [(xs, False)]  # the forward took the row-run path, keeping no patches
    # Frozen weights: the row-run forward inside a recorded graph, its input gradient and
    # the gradient of that.
    frozen_w, frozen_b = Tensor(w), Tensor(b)
    args = (Tensor(x, requires_grad=True),)
    assert tg.gradcheck(lambda x: F.conv2d(x, frozen_w, frozen_b, **kw), args)
    assert tg.gradgradcheck(lambda x: F.conv2d(x, frozen_w, frozen_b, **kw), args)
    assert len(calls) > 1


@pytest.mark.parametrize("per_chunk", [0.4, 1, 2])  # samples; under 1: bands of rows
@pytest.mark.parametrize("cfg", ROW_RUN_CONFIGS, ids=[_config_id(c) for c in ROW_RUN_CONFIGS])
def test_training_on_the_row_run_path_keeps_its_patches_and_matches_the_reference(cfg, per_chunk, monkeypatch):
    """Inputs too large for samples-last patches train on the row-run path too: the forward
    writes each chunk's patches into the kept patch matrix and the weight gradient sums
    products over chunks of its long inner dimension (the input gradient, gradchecked below,
    is a row-run correlation only where it takes the full-correlation form; tests/test_threads.py
    checks that case)."""
    from tinygrad_cnn.ops import _conv_utils  # noqa: PLC0415

    xs, ws, kw = cfg
    rng = np.random.default_rng(17)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    calls = _row_run_calls(monkeypatch)
    monkeypatch.setattr(_conv_utils, "_SAMPLES_LAST_BYTES", 0)  # every input counts as large
    monkeypatch.setattr(_conv_utils, "_SHARED_PRODUCT_MIN", 0)  # every weight gradient is cut up
    want = ref.conv2d(x, w, b, **kw)
    _chunks_of(monkeypatch, per_chunk, xs, ws, want.shape)
    tw = Tensor(w, requires_grad=True)
    y = F.conv2d(Tensor(x), tw, Tensor(b), **kw)
    np.testing.assert_allclose(y.numpy(), want, atol=1e-10)
    assert calls == [(xs, True)]  # the row-run forward kept its patches for the weight gradient
    gy = rng.standard_normal(y.shape)
    y.backward(Tensor(gy))
    # d<conv(x, w), gy>/dw[o, c, a, b]: the loop reference's gradient by finite differences is
    # slow, so compare with the adjoint identity on the reference instead.
    dw = np.zeros_like(w)
    for index in np.ndindex(*w.shape):
        unit = np.zeros_like(w)
        unit[index] = 1
        dw[index] = (ref.conv2d(x, unit, None, **kw) * gy).sum()
    np.testing.assert_allclose(tw.grad.numpy(), dw, atol=1e-9)
    args = (Tensor(x, requires_grad=True), Tensor(w, requires_grad=True), Tensor(b, requires_grad=True))
    assert tg.gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), args)
    if per_chunk == 1:  # the second order runs the same chunks again: once per geometry
        assert tg.gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), args)


def test_training_forward_keeps_the_whole_batch_patches_for_the_weight_gradient(monkeypatch):
    from tinygrad_cnn.ops import conv  # noqa: PLC0415

    monkeypatch.setattr(conv, "correlate_by_rows", None)  # must not be called
    rng = np.random.default_rng(9)
    x, w = Tensor(rng.standard_normal((2, 3, 5, 5))), Tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    assert y.grad_fn.patches is not None and y.grad_fn.patches.cols.shape == (27, 2 * 25)
    y.sum().backward()
    # d sum(y) / dw[o, c, a, b] = the sum of the padded input over the positions cell (a, b) sees
    xpad = np.pad(x.numpy(), ((0, 0), (0, 0), (1, 1), (1, 1)))
    seen = np.lib.stride_tricks.sliding_window_view(xpad, (5, 5), axis=(2, 3)).sum(axis=(0, 4, 5))
    np.testing.assert_allclose(w.grad.numpy(), np.broadcast_to(seen, (4, 3, 3, 3)), atol=1e-12)


def test_row_run_path_reads_a_previous_conv_output_as_it_lies():
    """A conv output is a transposed view of (O, N, H, W) memory; the next conv reads it."""
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 2, 5, 6)).astype(np.float32)
    w1, w2 = (rng.standard_normal((4, c, 3, 3)).astype(np.float32) for c in (2, 4))
    hidden = F.conv2d(Tensor(x), Tensor(w1), padding=1)
    assert not hidden.numpy().flags.c_contiguous
    got = F.conv2d(hidden, Tensor(w2), padding=1)
    assert got.dtype == np.float32
    want = ref.conv2d(ref.conv2d(x.astype(np.float64), w1, padding=1), w2, padding=1)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("stride,padding,output_padding,dilation", [
    (1, 0, 0, 1), (2, 0, 1, 1), (3, 1, 2, 1), (2, 2, 0, 2), (1, 1, 1, 2),
])
def test_conv_transpose2d_sweep_matches_scatter_reference(stride, padding, output_padding, dilation):
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((2, 2, 3, 4)), rng.standard_normal((2, 3, 3, 2)), rng.standard_normal(3)
    kw = dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
    got = F.conv_transpose2d(Tensor(x), Tensor(w), Tensor(b), **kw)
    np.testing.assert_allclose(got.numpy(), ref.conv_transpose2d(x, w, b, **kw), atol=1e-10)


@pytest.mark.parametrize("stride,padding,dilation", [(1, 0, 1), (2, 1, 1), (3, 2, 2), (2, 0, 3)])
def test_conv_input_gradient_is_the_transposed_convolution(stride, padding, dilation):
    """<conv(x, w), g> = <x, conv_transpose(g, w)>: the input gradient is the adjoint."""
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal((2, 3, 9, 8)), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 3, 3, 3)))
    y = F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation)
    g = rng.standard_normal(y.shape)
    y.backward(Tensor(g))
    extra = [x.shape[i] - ((y.shape[i] - 1) * stride - 2 * padding + dilation * 2 + 1) for i in (2, 3)]
    want = ref.conv_transpose2d(g, w.numpy(), stride=stride, padding=padding,
                                output_padding=tuple(extra), dilation=dilation)
    np.testing.assert_allclose(x.grad.numpy(), want, atol=1e-10)
    assert float((y * Tensor(g)).sum().item()) == pytest.approx(float((x.grad * x).sum().item()))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("x_shape, w_shape, groups", [
    ((64, 1, 32, 32), (6, 1, 5, 5), 1),  # LeNet-5's first layer: samples-last patches
    ((2, 4, 9, 9), (6, 2, 3, 3), 2),
])
def test_weight_and_bias_gradients_are_laid_out_like_their_parameters(x_shape, w_shape, groups, dtype):
    """As in PyTorch, a parameter's .grad is C-ordered like the parameter: code that views it
    flat (``.grad.view(-1)``) writes into the gradient itself, not into a copy."""
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal(x_shape).astype(dtype))
    w = tg.tensor(rng.standard_normal(w_shape).astype(dtype), requires_grad=True)
    b = tg.tensor(np.zeros(w_shape[0], dtype), requires_grad=True)
    F.conv2d(x, w, b, groups=groups).sum().backward()
    assert w.grad.numpy().flags.c_contiguous and b.grad.numpy().flags.c_contiguous
    w.grad.view(-1).mul_(0)
    assert not w.grad.numpy().any()


@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("op", ["conv2d", "conv_transpose2d"])
def test_empty_batch_gives_empty_output_and_zero_weight_gradient(op, groups):
    x = Tensor(np.zeros((0, 4, 5, 5)), requires_grad=True)
    w = Tensor(np.ones((4, 4 // groups, 3, 3)), requires_grad=True)
    kwargs = {"padding": 1} if op == "conv2d" else {"stride": 2}
    y = getattr(F, op)(x, w, groups=groups, **kwargs)
    y.sum().backward()
    assert y.shape == ((0, 4, 5, 5) if op == "conv2d" else (0, 4 // groups * groups, 11, 11))
    assert x.grad.shape == (0, 4, 5, 5)
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros(w.shape))


def test_conv1d_matches_conv2d_of_height_one():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 3, 9)), rng.standard_normal((4, 3, 3))
    got = F.conv1d(Tensor(x), Tensor(w), stride=2, padding="valid", dilation=2)
    want = ref.conv2d(x[:, :, None], w[:, :, None], stride=(1, 2), dilation=(1, 2))[:, :, 0]
    np.testing.assert_allclose(got.numpy(), want, atol=1e-10)
    assert F.conv1d(Tensor(x[0]), Tensor(w), padding="same").shape == (4, 9)  # unbatched


def test_float32_in_float32_out_and_grads():
    x = tg.randn(2, 3, 8, 8, requires_grad=True)
    w = tg.randn(4, 3, 3, 3, requires_grad=True)
    b = tg.zeros(4, requires_grad=True)
    y = F.conv2d(x, w, b, padding=1)
    F.max_pool2d(y, 2).sum().backward()
    assert y.dtype == np.float32
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32


def test_second_order_gradient_of_conv_matches_finite_differences():
    # d/dw of ||d conv(x, w)/dx . g||^2 goes through ConvTranspose2d's backward.
    rng = np.random.default_rng(4)
    x = Tensor(rng.standard_normal((1, 2, 5, 5)), requires_grad=True)
    w = Tensor(rng.standard_normal((2, 2, 3, 3)), requires_grad=True)
    assert tg.gradgradcheck(lambda x, w: F.conv2d(x, w, stride=2, padding=1), (x, w))


# -- the course text's numbers ------------------------------------------------------------
def test_seed_flight_example_1d_weighted_sum():
    # s_6 = x_6 w_0 + x_5 w_-1 + ... + x_0 w_-6, the weights listed from w_-6 to w_0.
    w = np.array([0.01, 0.01, 0.02, 0.02, 0.04, 0.04, 0.05])
    x = np.array([1.00, 1.10, 1.20, 1.40, 1.70, 1.80, 1.90, 2.10, 2.20, 2.40, 2.50, 2.70])
    s = F.conv1d(Tensor(x.reshape(1, 1, -1)), Tensor(w.reshape(1, 1, -1))).numpy()[0, 0]
    # Cross-correlation with w laid out from w_-6 to w_0 gives exactly the seed's sum.
    assert s[0] == pytest.approx(1.90 * 0.05 + 1.80 * 0.04 + 1.70 * 0.04 + 1.40 * 0.02
                                 + 1.20 * 0.02 + 1.10 * 0.01 + 1.00 * 0.01)
    # The seed's weights sum to 0.19, not 1, so s_6 is 0.308, not the table's 1.80.
    assert s[0] == pytest.approx(0.308)
    assert s.shape == (12 - 7 + 1,)


def test_seed_2d_example_abcd_efgh_ijkl_with_wxyz():
    a, b, c, d, e, f, g, h, i, j, k, l = range(1, 13)
    w, x, y, z = 1.0, 2.0, 3.0, 4.0
    image = Tensor(np.array([[a, b, c, d], [e, f, g, h], [i, j, k, l]], dtype=np.float64)[None, None])
    kernel = Tensor(np.array([[w, x], [y, z]])[None, None])
    out = F.conv2d(image, kernel).numpy()[0, 0]
    want = [[a * w + b * x + e * y + f * z, b * w + c * x + f * y + g * z, c * w + d * x + g * y + h * z],
            [e * w + f * x + i * y + j * z, f * w + g * x + j * y + k * z, g * w + h * x + k * y + l * z]]
    np.testing.assert_allclose(out, want)
    assert out[0, 0] == 44.0  # 1*1 + 2*2 + 5*3 + 6*4


def test_seed_alexnet_first_layer_55x55x96():
    assert F.conv_output_size(227, 11, stride=4) == 55  # (227 - 11 + 0)/4 + 1
    x = tg.randn(1, 3, 227, 227)
    w = tg.randn(96, 3, 11, 11)
    out = F.conv2d(x, w, stride=4)
    assert out.shape == (1, 96, 55, 55)
    # One neuron, by hand: filter 7 at output (10, 20) sees rows 40..50 and columns 80..90.
    patch = x.numpy()[0, :, 40:51, 80:91]
    assert out.numpy()[0, 7, 10, 20] == pytest.approx(float((patch * w.numpy()[7]).sum()), rel=1e-4)


def test_seed_lenet_shapes():
    x = tg.randn(2, 1, 32, 32)
    h1 = F.conv2d(x, tg.randn(6, 1, 5, 5))
    h2 = F.max_pool2d(h1, 2)
    h3 = F.conv2d(h2, tg.randn(16, 6, 5, 5))
    h4 = F.max_pool2d(h3, 2)
    assert [t.shape[1:] for t in (h1, h2, h3, h4)] == [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5)]


@pytest.mark.parametrize("size,k,s,p,d,want", [
    (32, 5, 1, 0, 1, 28), (227, 11, 4, 0, 1, 55), (7, 3, 1, 1, 1, 7), (7, 3, 2, 1, 1, 4),
    (10, 3, 1, 0, 2, 6), (5, 5, 1, 0, 1, 1),
])
def test_output_size_formula(size, k, s, p, d, want):
    assert F.conv_output_size(size, k, s, p, d) == want
    x = tg.zeros(1, 1, size, size)
    assert F.conv2d(x, tg.zeros(1, 1, k, k), stride=s, padding=p, dilation=d).shape[-2:] == (want, want)


def test_padding_same_keeps_size_and_multiple_filters_give_depth_k():
    x = tg.randn(1, 3, 30, 30)
    blur = np.full((3, 3), 1 / 9)
    sharpen = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64)
    edges = np.array([[1, 1, 1], [1, -8, 1], [1, 1, 1]], dtype=np.float64)
    w = np.stack([np.stack([k] * 3) for k in (blur, sharpen, edges)]).astype(np.float32)
    out = F.conv2d(x, Tensor(w), padding="same")
    assert out.shape == (1, 3, 30, 30)  # K = 3 filters -> depth 3, 'same' keeps 30x30
    flat = tg.ones(1, 3, 30, 30)
    centre = F.conv2d(flat, Tensor(w), padding="same").numpy()[0, :, 15, 15]
    np.testing.assert_allclose(centre, [3.0, 3.0, 0.0], atol=1e-5)  # blur keeps, edges vanish


# -- true convolution vs cross-correlation ------------------------------------------------
def test_true_convolution_is_correlation_with_the_flipped_kernel():
    rng = np.random.default_rng(5)
    image, kernel = rng.standard_normal((5, 6)), rng.standard_normal((2, 3))
    true = F.true_conv2d(Tensor(image[None, None]), Tensor(kernel[None, None])).numpy()[0, 0]
    np.testing.assert_allclose(true, ref.true_conv2d_single(image, kernel), atol=1e-12)
    flipped = F.conv2d(Tensor(image[None, None]), Tensor(kernel[::-1, ::-1].copy()[None, None]))
    np.testing.assert_allclose(true, flipped.numpy()[0, 0], atol=1e-12)
    corr = F.conv2d(Tensor(image[None, None]), Tensor(kernel[None, None])).numpy()[0, 0]
    assert not np.allclose(true, corr)  # an asymmetric kernel tells them apart
    assert F.convolve2d is F.true_conv2d


def test_true_convolution_of_symmetric_kernel_equals_correlation():
    x, k = tg.randn(1, 1, 6, 6), Tensor(np.full((1, 1, 3, 3), 1 / 9))
    np.testing.assert_allclose(F.true_conv2d(x, k).numpy(), F.conv2d(x, k).numpy(), atol=1e-6)


# -- bad input ----------------------------------------------------------------------------
X = tg.zeros(2, 3, 5, 5)
W = tg.zeros(4, 3, 3, 3)


@pytest.mark.parametrize("call,error,match", [
    (lambda: F.conv2d(X, tg.zeros(4, 2, 3, 3)), ValueError,
     r"channel mismatch: input has 3 channels, but weight .* expects 2"),
    (lambda: F.conv2d(tg.zeros(1, 3, 5, 5), tg.zeros(4, 1, 3, 3), groups=2), ValueError,
     r"groups=2 must divide the input channels \(3\)"),
    (lambda: F.conv2d(tg.zeros(1, 4, 5, 5), tg.zeros(3, 2, 3, 3), groups=2), ValueError,
     r"groups=2 must divide the output channels .*\(3\)"),
    (lambda: F.conv2d(tg.zeros(1, 4, 5, 5), tg.zeros(4, 2, 3, 3), groups=2.0), TypeError,
     r"conv2d: groups: expected an int, got float 2.0"),
    (lambda: F.conv2d(tg.zeros(1, 4, 5, 5), tg.zeros(4, 2, 3, 3), groups=0), ValueError,
     r"conv2d: groups: expected an int >= 1, got 0"),
    (lambda: F.conv2d(tg.zeros(1, 3, 3, 3), tg.zeros(4, 3, 5, 5)), ValueError,
     r"output height would be floor\(\(size \+ 2P - D\*\(K-1\) - 1\)/S\) \+ 1 = "
     r"floor\(\(3 \+ 2\*0 - 1\*\(5-1\) - 1\)/1\) \+ 1 = -1 <= 0: the kernel \(size 5, dilated 5\) "
     r"is larger than the padded input \(3\)"),
    (lambda: F.conv2d(tg.zeros(1, 3, 5, 5), W, dilation=3), ValueError,
     r"kernel \(size 3, dilated 7\) is larger than the padded input \(5\)"),
    (lambda: F.conv2d(X, W, stride=0), ValueError, r"conv2d: stride: expected positive values, got \(0, 0\)"),
    (lambda: F.conv2d(X, W, dilation=(1, -1)), ValueError, r"dilation: expected positive values, got \(1, -1\)"),
    (lambda: F.conv2d(X, W, padding=-1), ValueError, r"padding: expected non-negative values"),
    (lambda: F.conv2d(X, W, padding="full"), ValueError, r"padding: expected an int, a tuple, 'valid' or 'same'"),
    (lambda: F.conv2d(X, W, stride=2, padding="same"), ValueError, r"padding='same' needs stride 1"),
    (lambda: F.conv2d(X, W, stride=1.5), TypeError, r"stride: expected an int or a tuple of 2 ints, got 1.5"),
    (lambda: F.conv2d(tg.zeros(5, 5), W), ValueError,
     r"input: expected a 3-D or 4-D tensor \(C, H, W\) or \(N, C, H, W\), got shape \(5, 5\)"),
    (lambda: F.conv2d(X, tg.zeros(4, 3, 3)), ValueError, r"weight: expected a 4-D tensor, got shape \(4, 3, 3\)"),
    (lambda: F.conv2d(X, W, tg.zeros(3)), ValueError, r"bias: expected shape \(4,\)"),
    (lambda: F.conv2d(X.numpy(), W), TypeError, r"input: expected a Tensor, got ndarray"),
    (lambda: F.conv1d(tg.zeros(1, 2, 3, 4), tg.zeros(1, 2, 3)), ValueError,
     r"conv1d: input: expected a 2-D or 3-D tensor"),
    (lambda: F.conv_transpose2d(X, tg.zeros(2, 4, 3, 3)), ValueError,
     r"conv_transpose2d: channel mismatch: input has 3 channels, but weight .* expects 2"),
    (lambda: F.conv_transpose2d(X, tg.zeros(3, 4, 3, 3), stride=2, output_padding=2), ValueError,
     r"output_padding: expected values smaller than stride or dilation"),
    (lambda: F.conv_transpose2d(tg.zeros(1, 3, 1, 1), tg.zeros(3, 4, 1, 1), padding=1), ValueError,
     r"output size would be \(size - 1\)\*S - 2P \+ D\*\(K-1\) \+ output_padding \+ 1 = "
     r"\(1 - 1\)\*1 - 2\*1 \+ 1\*\(1-1\) \+ 0 \+ 1 = -1 <= 0"),
])
def test_bad_input_raises_where_the_mistake_is_made(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("order", ["samples last", "samples first"])
@pytest.mark.parametrize("cfg", CONFIGS, ids=[_config_id(c) for c in CONFIGS])
def test_both_transposed_conv_algorithms_agree(cfg, order, monkeypatch):
    """ConvTranspose2d picks col2im or a full correlation by size; both must give the same,
    with the samples innermost or not (see test_both_patch_orders_...)."""
    from tinygrad_cnn.ops import _conv_utils, conv  # noqa: PLC0415

    monkeypatch.setattr(_conv_utils, "_SAMPLES_LAST_BYTES", 1 << 30 if order == "samples last" else 0)
    xs, ws, kw = cfg
    xs = (3, *xs[1:])
    rng = np.random.default_rng(6)
    x, w = Tensor(rng.standard_normal(xs), requires_grad=True), Tensor(rng.standard_normal(ws))
    y = F.conv2d(x, w, **kw)
    geom = y.grad_fn.settings["geom"]
    g = rng.standard_normal(y.shape)
    a = conv._col2im_transpose(np, g, w.numpy(), geom, xs[2:])
    b = conv._full_correlation_transpose(np, g, w.numpy(), geom, xs[2:])
    np.testing.assert_allclose(a, b, atol=1e-10)
    y.backward(Tensor(g))  # the engine's choice, against the adjoint identity
    assert float((y * Tensor(g)).sum().item()) == pytest.approx(float((x.grad * x).sum().item()))


def test_convolution_doc_page_runs_and_prints_what_it_says():
    """Every ```python block of docs/convolution.md runs; printed lines match the comments."""
    import contextlib  # noqa: PLC0415
    import io  # noqa: PLC0415
    import re  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    page = (Path(__file__).resolve().parent.parent / "docs" / "convolution.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", page, flags=re.S)
    assert len(blocks) > 10
    namespace = {"__name__": "__docs__"}
    for code in blocks:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "convolution.md", "exec"), namespace)
        printed = [line.strip() for line in out.getvalue().splitlines()]
        # A printed result is the run of "# ..." comment lines right after a print() line.
        want, lines = [], code.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("# ") and i and (lines[i - 1].startswith(("print", "    print"))
                                                or (want and lines[i - 1].startswith("# "))):
                want.append(line[2:].strip())
        assert printed == want, code


# -- unfold / fold ------------------------------------------------------------------------
def test_a_convolution_is_a_weight_product_with_the_unfolded_input():
    rng = np.random.default_rng(21)
    x, w = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 2))
    kw = dict(padding=(1, 0), stride=(2, 1), dilation=(1, 2))
    out = F.conv2d(Tensor(x), Tensor(w), **kw)
    cols = F.unfold(Tensor(x), w.shape[2:], **kw)
    np.testing.assert_allclose((Tensor(w).reshape(4, -1) @ cols).reshape(out.shape).numpy(),
                               out.numpy(), atol=1e-12)


def test_fold_of_unfold_counts_the_blocks_covering_each_pixel():
    x = Tensor(np.random.default_rng(22).standard_normal((1, 2, 4, 4)))
    covered = F.fold(F.unfold(tg.ones(1, 2, 4, 4, dtype="float64"), 3, padding=1), (4, 4), 3, padding=1)
    np.testing.assert_allclose(F.fold(F.unfold(x, 3, padding=1), (4, 4), 3, padding=1).numpy(),
                               x.numpy() * covered.numpy())
    assert covered.numpy()[0, 0].tolist() == [[4, 6, 6, 4], [6, 9, 9, 6], [6, 9, 9, 6], [4, 6, 6, 4]]


@pytest.mark.parametrize("kw", [dict(kernel_size=(2, 3), padding=1, stride=(2, 1)),
                                dict(kernel_size=3, dilation=2, padding=2), dict(kernel_size=1)])
def test_unfold_and_fold_match_pytorch(kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(23)
    x = rng.standard_normal((2, 3, 5, 6))
    cols = torch.nn.functional.unfold(torch.tensor(x), **kw).numpy()
    np.testing.assert_array_equal(F.unfold(Tensor(x), **kw).numpy(), cols)
    c = rng.standard_normal(cols.shape)
    np.testing.assert_allclose(F.fold(Tensor(c), (5, 6), **kw).numpy(),
                               torch.nn.functional.fold(torch.tensor(c), (5, 6), **kw).numpy(), atol=1e-12)


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.unfold(tg.ones(2, 3), 2), ValueError,
     r"unfold: input: expected a 3-D \(C, H, W\) or 4-D \(N, C, H, W\) tensor, got shape \(2, 3\)"),
    (lambda: F.unfold(np.ones((1, 1, 3, 3)), 2), TypeError, r"unfold: input: expected a Tensor, got ndarray"),
    (lambda: F.unfold(tg.ones(1, 1, 3, 3), 4), ValueError, r"unfold: output height would be .* <= 0"),
    (lambda: F.unfold(tg.ones(1, 1, 3, 3), 2, stride=0), ValueError,
     r"unfold: stride: expected positive values, got \(0, 0\)"),
    (lambda: F.unfold(tg.ones(1, 1, 3, 3), 2, padding=-1), ValueError,
     r"unfold: padding: expected non-negative values, got \(-1, -1\)"),
    (lambda: F.fold(tg.ones(1, 17, 15), (4, 5), (2, 3), padding=1, stride=(2, 1)), ValueError,
     r"fold: input: expected dim 1 to be divisible by the kernel's 2\*3 cells, got 17"),
    (lambda: F.fold(tg.ones(1, 18, 14), (4, 5), (2, 3), padding=1, stride=(2, 1)), ValueError,
     r"fold: input: expected 3\*5 = 15 blocks in its last dim .*got 14"),
    (lambda: F.fold(tg.ones(18), (4, 5), 2), ValueError, r"fold: input: expected a 2-D .* got shape \(18,\)"),
    (lambda: F.fold(tg.ones(1, 4, 4), (3, "3"), 2), TypeError,
     r"fold: output_size: expected an int or a tuple of 2 ints, got \(3, '3'\)"),
])
def test_unfold_and_fold_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
