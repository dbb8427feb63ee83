"""Property-based tests (hypothesis): random shapes and hyperparameters for convolution and
pooling agree with the slow references and pass gradcheck; broadcasting gradients; edge sizes.

Runs derandomized, so CI sees the same examples every time.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import Tensor

import reference

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def conv_configs(draw):
    groups = draw(st.sampled_from([1, 2]))
    cin = groups * draw(st.integers(1, 2))
    cout = groups * draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    h, w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    n = draw(st.integers(1, 2))
    return dict(n=n, cin=cin, cout=cout, k=(kh, kw), stride=stride, padding=padding,
                dilation=dilation, groups=groups, hw=(h, w))


def _out(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _valid(cfg):
    return all(_out(cfg["hw"][i], cfg["k"][i], cfg["stride"][i], cfg["padding"][i], cfg["dilation"][i]) > 0
               for i in range(2))


@SETTINGS
@given(conv_configs(), st.integers(0, 2**16))
def test_conv2d_matches_reference(cfg, seed):
    assume(_valid(cfg))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((cfg["n"], cfg["cin"], *cfg["hw"]))
    w = rng.standard_normal((cfg["cout"], cfg["cin"] // cfg["groups"], *cfg["k"]))
    b = rng.standard_normal(cfg["cout"])
    kw = dict(stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"], groups=cfg["groups"])
    got = F.conv2d(Tensor(x), Tensor(w), Tensor(b), **kw).numpy()
    np.testing.assert_allclose(got, reference.conv2d(x, w, b, **kw), atol=1e-10)


@settings(max_examples=8, deadline=None, derandomize=True)
@given(conv_configs())
def test_conv2d_gradcheck(cfg):
    assume(_valid(cfg))
    cfg["n"], cfg["hw"] = 1, (min(cfg["hw"][0], 4), min(cfg["hw"][1], 4))
    assume(_valid(cfg))
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((1, cfg["cin"], *cfg["hw"])), requires_grad=True)
    w = Tensor(rng.standard_normal((cfg["cout"], cfg["cin"] // cfg["groups"], *cfg["k"])), requires_grad=True)
    kw = dict(stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"], groups=cfg["groups"])
    assert tg.gradcheck(lambda a, b: F.conv2d(a, b, **kw), (x, w))


@st.composite
def pool_configs(draw):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    padding = (draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2)))
    h, w = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    return dict(k=(kh, kw), stride=stride, padding=padding, hw=(h, w),
                ceil_mode=draw(st.booleans()))


def _distinct(shape, rng):
    return rng.permutation(np.arange(int(np.prod(shape)), dtype=np.float64)).reshape(shape) / 7


@SETTINGS
@given(pool_configs(), st.integers(0, 2**16))
def test_max_pool2d_matches_reference_and_gradcheck(cfg, seed):
    assume(all(_out(cfg["hw"][i], cfg["k"][i], cfg["stride"][i], cfg["padding"][i], 1) > 0 for i in range(2)))
    x = _distinct((1, 2, *cfg["hw"]), np.random.default_rng(seed))
    kw = dict(stride=cfg["stride"], padding=cfg["padding"], ceil_mode=cfg["ceil_mode"])
    want, _ = reference.max_pool2d(x, cfg["k"], **kw)
    t = Tensor(x, requires_grad=True)
    np.testing.assert_array_equal(F.max_pool2d(t, cfg["k"], **kw).numpy(), want)
    assert tg.gradcheck(lambda a: F.max_pool2d(a, cfg["k"], **kw), t)


@SETTINGS
@given(pool_configs(), st.booleans(), st.integers(0, 2**16))
def test_avg_pool2d_matches_reference(cfg, count_include_pad, seed):
    assume(all(_out(cfg["hw"][i], cfg["k"][i], cfg["stride"][i], cfg["padding"][i], 1) > 0 for i in range(2)))
    x = np.random.default_rng(seed).standard_normal((2, 1, *cfg["hw"]))
    kw = dict(stride=cfg["stride"], padding=cfg["padding"], ceil_mode=cfg["ceil_mode"],
              count_include_pad=count_include_pad)
    got = F.avg_pool2d(Tensor(x), cfg["k"], **kw).numpy()
    np.testing.assert_allclose(got, reference.avg_pool2d(x, cfg["k"], **kw), atol=1e-12)


@st.composite
def broadcast_pairs(draw):
    ndim = draw(st.integers(1, 4))
    full = [draw(st.integers(1, 3)) for _ in range(ndim)]
    a = [s if draw(st.booleans()) else 1 for s in full]
    b = [s if draw(st.booleans()) else 1 for s in full]
    a = a[draw(st.integers(0, ndim - 1)):]  # drop leading dims: NumPy broadcasts them
    return tuple(a), tuple(b)


@SETTINGS
@given(broadcast_pairs(), st.integers(0, 2**16))
def test_broadcasting_gradients(shapes, seed):
    sa, sb = shapes
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    (ta * tb).sum().backward()
    full = np.broadcast_shapes(sa, sb)
    # d/da sum(a * b) = b broadcast to the full shape, summed back to a's shape
    want_a = _sum_to(np.broadcast_to(b, full), sa)
    np.testing.assert_allclose(ta.grad.numpy(), want_a)
    np.testing.assert_allclose(tb.grad.numpy(), _sum_to(np.broadcast_to(a, full), sb))
    assert ta.grad.shape == sa and tb.grad.shape == sb


def _sum_to(x, shape):
    lead = x.ndim - len(shape)
    x = x.sum(axis=tuple(range(lead)))
    return x.sum(axis=tuple(i for i, s in enumerate(shape) if s == 1), keepdims=True)


@pytest.mark.parametrize("hw,k,stride,padding", [
    ((1, 1), 1, 1, 0),     # 1x1 image, 1x1 kernel
    ((1, 1), 3, 1, 1),     # 1x1 image, padding makes room for a 3x3 kernel
    ((5, 5), 5, 1, 0),     # kernel equal to the input
    ((6, 6), 2, 5, 0),     # stride larger than the kernel
    ((7, 3), (3, 1), (2, 1), 0),  # non-square
])
def test_edge_sizes_never_crash(hw, k, stride, padding):
    x = Tensor(np.random.default_rng(0).standard_normal((1, 2, *hw)), requires_grad=True)
    kk = (k, k) if isinstance(k, int) else k
    w = Tensor(np.ones((3, 2, *kk)), requires_grad=True)
    y = F.conv2d(x, w, stride=stride, padding=padding)
    np.testing.assert_allclose(y.numpy(), reference.conv2d(x.numpy(), w.numpy(), stride=stride, padding=padding))
    y.sum().backward()
    assert x.grad.shape == x.shape and w.grad.shape == w.shape
    p = F.max_pool2d(x, kk, stride=stride, padding=padding)
    p.sum().backward()
