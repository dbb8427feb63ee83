"""interpolate, the Upsample and padding layers, and adaptive max pooling: values and
gradients against PyTorch where it is installed, reprs, and every bad-input error.
Finite-difference checks of the differentiable functions are rows of the op table
(tests/cases/resize.py)."""

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import nn

LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}
SHAPES = {1: [(2, 3, 5), (1, 2, 1), (1, 1, 9)], 2: [(2, 2, 4, 6), (1, 1, 1, 3), (1, 2, 7, 5)],
          3: [(1, 2, 3, 4, 2)]}


def _resize_arguments(nd):
    """Sizes and factors that grow, shrink, keep and double dims, whole and fractional."""
    sizes = [1, 2, 3, 8, 13, tuple(range(2, 2 + nd)), tuple(range(9, 9 - nd, -1))]
    factors = [0.5, 0.7, 1.0, 1.1, 1.7, 2, 2.05, 2.5, 3, 1 / 3, tuple(1.3 + 0.6 * i for i in range(nd))]
    return ([{"size": s} for s in sizes] + [{"scale_factor": f} for f in factors]
            + [{"scale_factor": f, "recompute_scale_factor": True} for f in (0.7, 1.7, 2.05)])


def _compare_with_torch(torch, ours_fn, torch_fn, x, dtype, atol, grad=True):
    """Values and the input gradient for a random cotangent, ours against PyTorch's."""
    x = x.astype(dtype)
    xt = torch.tensor(x, requires_grad=True)
    want = torch_fn(xt)
    xg = tg.tensor(x, requires_grad=True)
    got = ours_fn(xg)
    assert got.shape == tuple(want.shape) and got.dtype == dtype
    np.testing.assert_allclose(got.numpy(), want.detach().numpy(), atol=atol, rtol=atol)
    if not grad:
        return
    cot = np.random.default_rng(1).standard_normal(got.shape).astype(dtype)
    want.backward(torch.tensor(cot))
    (gx,) = tg.grad(got, xg, grad_outputs=tg.tensor(cot))
    assert gx.dtype == dtype
    np.testing.assert_allclose(gx.numpy(), xt.grad.numpy(), atol=atol, rtol=atol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("mode", ["nearest", "linear", "linear_align_corners"])
def test_interpolate_matches_pytorch(mode, nd, dtype):
    torch = pytest.importorskip("torch")
    name = "nearest" if mode == "nearest" else LINEAR[nd]
    align = None if mode == "nearest" else mode.endswith("corners")
    atol = 1e-12 if dtype == np.float64 else 2e-5
    rng = np.random.default_rng(0)
    for shape in SHAPES[nd]:
        x = rng.standard_normal(shape)
        for kwargs in _resize_arguments(nd):
            factors = kwargs.get("scale_factor", 1)
            factors = factors if isinstance(factors, tuple) else (factors,) * nd
            if any(int(n * f) == 0 for n, f in zip(shape[2:], factors)):
                continue  # an empty output: an error (tested below)
            if mode == "nearest" and _pytorch_may_copy(nd, shape, kwargs):
                continue  # see test_interpolate_random_sweep_matches_pytorch
            _compare_with_torch(
                torch, lambda t, kw=kwargs: F.interpolate(t, mode=name, align_corners=align, **kw),
                lambda t, kw=kwargs: torch.nn.functional.interpolate(t, mode=name, align_corners=align, **kw),
                x, dtype, atol, grad=not (mode == "nearest" and _pytorch_backward_disagrees(nd, shape, kwargs)))


def _keeps_or_doubles(nd, shape, kwargs):
    """Whether a scale_factor other than 1 or 2 keeps or doubles some dim's size: there PyTorch's
    nearest kernels (the 4-D forward for some sizes, the 1-D and 3-D backward) copy or double
    that dim where the documented rule, which ours follows, floors i / scale_factor (5 cells by
    1.1: read 0, 0, 1, 2, 3; see test_nearest_gradient_is_the_gradient_of_the_forward)."""
    factors = kwargs.get("scale_factor")
    if factors is None or kwargs.get("recompute_scale_factor"):
        return False
    factors = factors if isinstance(factors, tuple) else (factors,) * nd
    return any(int(n * f) in (n, 2 * n) and f not in (1, 2) for n, f in zip(shape[2:], factors))


def _pytorch_backward_disagrees(nd, shape, kwargs):
    return nd != 2 and _keeps_or_doubles(nd, shape, kwargs)


def test_nearest_gradient_is_the_gradient_of_the_forward():
    x = tg.arange(5.0).reshape(1, 1, 5).requires_grad_()
    y = F.interpolate(x, scale_factor=1.1)
    assert y.tolist() == [[[0.0, 0.0, 1.0, 2.0, 3.0]]]  # as PyTorch's forward
    assert tg.grad(y.sum(), x)[0].tolist() == [[[2.0, 1.0, 1.0, 1.0, 0.0]]]  # PyTorch: all ones


def _pytorch_may_copy(nd, shape, kwargs):
    return nd == 2 and _keeps_or_doubles(nd, shape, kwargs)


def _sweep_configs(count=300, seed=0):
    """Random shapes (spatial sizes up to 64, 12 for 5-D) with sizes, factors and recomputed factors."""
    rng = np.random.default_rng(seed)
    configs = []
    while len(configs) < count:
        nd = int(rng.integers(1, 4))
        top = 65 if nd < 3 else 13
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 3))) + tuple(int(rng.integers(1, top)) for _ in range(nd))
        kind = int(rng.integers(0, 3))
        if kind == 0:
            kwargs = {"size": tuple(int(rng.integers(1, 2 * top)) for _ in range(nd))}
        else:
            factors = tuple(float(np.round(rng.uniform(0.3, 5.5), int(rng.integers(1, 4)))) for _ in range(nd))
            if any(int(n * f) == 0 for n, f in zip(shape[2:], factors)):
                continue
            kwargs = {"scale_factor": factors}
            if kind == 2:
                kwargs["recompute_scale_factor"] = True
        configs.append((shape, kwargs))
    return configs


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_interpolate_random_sweep_matches_pytorch(dtype):
    """Values of every mode on a few hundred random configurations, and gradients (every 4th)
    where PyTorch's own are the gradient of its forward. Nearest follows the documented rule
    floor(i * scale); the only disagreements allowed are PyTorch's 4-D keep/double shortcut."""
    torch = pytest.importorskip("torch")
    atol = 1e-12 if dtype == np.float64 else 2e-5
    differ = []
    for n, (shape, kwargs) in enumerate(_sweep_configs()):
        nd = len(shape) - 2
        x = np.random.default_rng(n).standard_normal(shape)
        for mode, align in [("nearest", None), (LINEAR[nd], False), (LINEAR[nd], True)]:
            grad = n % 4 == 0 and not (mode == "nearest" and _pytorch_backward_disagrees(nd, shape, kwargs))
            try:
                _compare_with_torch(
                    torch, lambda t, kw=kwargs, m=mode, a=align: F.interpolate(t, mode=m, align_corners=a, **kw),
                    lambda t, kw=kwargs, m=mode, a=align: torch.nn.functional.interpolate(
                        t, mode=m, align_corners=a, **kw),
                    x, dtype, atol, grad=grad)
            except AssertionError:
                if mode != "nearest" or not _pytorch_may_copy(nd, shape, kwargs):
                    raise
                differ.append((shape, kwargs))
    assert len(differ) <= 4, differ


def test_nearest_uses_one_rule_for_every_dimensionality():
    """Source floor(i / scale_factor) on 3-D and 4-D input alike (PyTorch's 4-D kernel may copy
    a kept dim instead: 9 cells by 1.1 read 0, 0, 1, ... here)."""
    row = tg.arange(9.0).reshape(1, 1, 9)
    assert F.interpolate(row, scale_factor=2.05).tolist()[0][0][:4] == [0.0, 0.0, 0.0, 1.0]
    assert F.interpolate(row.reshape(1, 1, 1, 9), scale_factor=2.05).tolist()[0][0][0][:4] == [0.0, 0.0, 0.0, 1.0]
    assert F.interpolate(row, scale_factor=1.1).tolist()[0][0][:3] == [0.0, 0.0, 1.0]
    assert F.interpolate(row.reshape(1, 1, 1, 9), scale_factor=1.1).tolist()[0][0][0][:3] == [0.0, 0.0, 1.0]


@pytest.mark.parametrize("shape, kwargs, dtype", [
    ((1, 1, 12, 38), {"scale_factor": (1.01, 3.1)}, np.float64),  # PyTorch floors the kept H here
    ((1, 1, 32, 11), {"scale_factor": (5.16, 2.079)}, np.float32),
    ((1, 1, 20, 55), {"scale_factor": (1.5, 2.3)}, np.float64),
    ((1, 1, 62, 3), {"size": (112, 32)}, np.float64),  # float64 coordinates, floored as float32
    ((1, 1, 2), {"size": 82}, np.float64),
])
def test_nearest_agrees_with_pytorch_in_rounding_corners(shape, kwargs, dtype):
    """Values only: PyTorch's nearest backward does not always send the gradient where its
    forward read (see _pytorch_backward_disagrees); ours is the gradient of the forward."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(shape)
    _compare_with_torch(torch, lambda t: F.interpolate(t, **kwargs),
                        lambda t: torch.nn.functional.interpolate(t, **kwargs), x, dtype, 0, grad=False)


def test_kept_dims_are_copied_into_a_new_tensor():
    row = tg.arange(9.0).reshape(1, 1, 9)
    assert F.interpolate(row, scale_factor=1.1, mode="linear").tolist()[0][0] == list(range(9))
    x = tg.ones(1, 1, 3, requires_grad=True)
    for mode in ["linear", "nearest"]:
        y = F.interpolate(x, size=3, mode=mode)
        assert y is not x and tg.grad(y.sum(), x)[0].tolist() == [[[1.0, 1.0, 1.0]]]


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_float16_gradients_of_a_50x_upsampling_match_pytorch(mode):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((1, 2, 3, 2)).astype(np.float16)
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.interpolate(xt, scale_factor=50, mode=mode).sum().backward()
    xg = tg.tensor(x, requires_grad=True)
    y = F.interpolate(xg, scale_factor=50, mode=mode)
    (gx,) = tg.grad(y.sum(), xg)
    assert y.dtype == gx.dtype == np.float16
    np.testing.assert_allclose(gx.numpy().astype(np.float64), xt.grad.numpy().astype(np.float64), rtol=2e-3)
    assert gx.numpy().min() > 2048  # each cell collects well over 2048 ones


def test_coordinates_are_cached_host_arrays():
    from tinygrad_cnn.ops import adaptive_pool, resize
    a = resize._linear_matrix(4, 9, None, False, np.float32)
    assert a is resize._linear_matrix(4, 9, None, False, np.float32) and not a.flags.writeable
    np.testing.assert_allclose(a.sum(axis=1), 1.0)
    assert resize._nearest_source(4, 9, None, np.float32) is resize._nearest_source(4, 9, None, np.float32)
    assert adaptive_pool._adaptive_matrix(5, 3) is adaptive_pool._adaptive_matrix(5, 3)
    assert adaptive_pool._window_cells(5, 3) is adaptive_pool._window_cells(5, 3)


def test_interpolate_nearest_takes_integers():
    torch = pytest.importorskip("torch")
    x = np.arange(24, dtype=np.uint8).reshape(1, 2, 3, 4)
    for size in [(5, 3), (6, 8), (3, 4)]:
        want = torch.nn.functional.interpolate(torch.tensor(x), size=size).numpy()
        got = F.interpolate(tg.tensor(x), size=size)
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got.numpy(), want)


def test_interpolate_linear_keeps_float32():
    assert F.interpolate(tg.randn(1, 1, 4), scale_factor=1.5, mode="linear").dtype == np.float32


def test_interpolate_second_order():
    x = tg.tensor(np.random.default_rng(3).standard_normal((1, 2, 3, 4)), requires_grad=True)
    assert tg.gradgradcheck(lambda t: F.interpolate(t, scale_factor=(1.5, 0.75), mode="bilinear"), (x,))
    assert tg.gradgradcheck(lambda t: F.interpolate(t, size=(4, 6)) ** 2, (x,))


@pytest.mark.parametrize("layer", [
    lambda nn_: nn_.Upsample(scale_factor=2),
    lambda nn_: nn_.Upsample(size=5, mode="linear"),
    lambda nn_: nn_.Upsample(size=(3, 7), mode="bilinear", align_corners=True),
    lambda nn_: nn_.Upsample(scale_factor=(1.5, 0.5), mode="bilinear"),
    lambda nn_: nn_.Upsample(scale_factor=1.7, mode="linear", recompute_scale_factor=True),
    lambda nn_: nn_.UpsamplingNearest2d(scale_factor=3),
    lambda nn_: nn_.UpsamplingNearest2d(size=(2, 5)),
    lambda nn_: nn_.UpsamplingBilinear2d(scale_factor=2),
    lambda nn_: nn_.UpsamplingBilinear2d(size=(5, 3)),
])
def test_upsample_layers_match_pytorch(layer):
    torch = pytest.importorskip("torch")
    ours, theirs = layer(nn), layer(torch.nn)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(0).standard_normal((2, 3, 4) if theirs.mode == "linear" else (2, 3, 4, 6))
    _compare_with_torch(torch, ours, theirs, x, np.float64, 1e-12)


PAD_LAYERS = [
    ("ZeroPad1d", (2,), 3), ("ZeroPad1d", ((0, 3),), 3), ("ZeroPad2d", (1,), 4), ("ZeroPad2d", ((1, 0, 2, 3),), 4),
    ("ConstantPad1d", (2, 3.5), 2), ("ConstantPad1d", ((1, 0), -1), 3),
    ("ConstantPad2d", (1, 0.5), 3), ("ConstantPad2d", ((0, 2, 1, 1), 2.0), 4),
    ("ReflectionPad1d", (2,), 3), ("ReflectionPad1d", ((3, 1),), 2),
    ("ReflectionPad2d", (1,), 4), ("ReflectionPad2d", ((2, 0, 1, 3),), 3),
    ("ReplicationPad1d", (3,), 3), ("ReplicationPad1d", ((0, 4),), 2),
    ("ReplicationPad2d", (2,), 4), ("ReplicationPad2d", ((1, 5, 0, 2),), 3),
    ("CircularPad1d", (2,), 3), ("CircularPad1d", ((4, 1),), 2),
    ("CircularPad2d", (1,), 4), ("CircularPad2d", ((2, 0, 3, 1),), 3),
]


@pytest.mark.parametrize("name, args, ndim", PAD_LAYERS, ids=[f"{n}-{a}-{d}D" for n, a, d in PAD_LAYERS])
def test_padding_layers_match_pytorch(name, args, ndim):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    assert ours.padding == theirs.padding
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 4)[4 - ndim:])
    _compare_with_torch(torch, ours, theirs, x, np.float64, 1e-12)


def test_padding_layers_are_built_like_pytorchs():
    assert isinstance(nn.ZeroPad2d(1), nn.ConstantPad2d) and nn.ZeroPad2d(1).value == 0.0
    assert not isinstance(nn.ReflectionPad2d(1), nn.ReflectionPad1d)
    assert nn.ConstantPad1d([1, 2], 0.0).padding == (1, 2)


def test_pad_takes_widths_as_a_tuple_or_list_of_any_int_type_and_pads_a_0d_tensor_by_nothing():
    x = tg.tensor([[1.0, 2.0]], requires_grad=True)
    want = [[0.0, 1.0, 2.0, 0.0, 0.0]]
    for widths in ((1, 2), [1, 2], (np.int64(1), np.uint8(2))):
        assert F.pad(x, widths).tolist() == want
    assert F.pad(x, ()).tolist() == [[1.0, 2.0]] and F.pad(x, [0, 0, 0, 0]).tolist() == [[1.0, 2.0]]
    scalar = tg.tensor(3.0, requires_grad=True)
    out = F.pad(scalar, ())
    out.backward()
    assert out.shape == () and out.item() == 3.0 and scalar.grad.item() == 1.0
    with pytest.raises(ValueError, match=r"pad: pad: expected an even number of widths, a pair for "
                                         r"each of at most 2 dims, got \(1,\)"):
        F.pad(x, (1,))


def _tied_input(rng, shape):
    """Small whole numbers: many ties within windows."""
    return rng.integers(0, 3, shape).astype(np.float64)


@pytest.mark.parametrize("out_size", [1, 2, (2, 3), (3, 2), (4, 6), (5, 7), (7, 9), (None, 3), (2, None), (None, None)])
@pytest.mark.parametrize("values", ["distinct", "tied"])
def test_adaptive_max_pool2d_matches_pytorch(out_size, values):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for shape in [(2, 3, 4, 6), (3, 5, 7)]:
        x = rng.standard_normal(shape) if values == "distinct" else _tied_input(rng, shape)
        _compare_with_torch(torch, lambda t: F.adaptive_max_pool2d(t, out_size),
                            lambda t: torch.nn.functional.adaptive_max_pool2d(t, out_size), x, np.float64, 0)
        _, idx = F.adaptive_max_pool2d(tg.tensor(x), out_size, return_indices=True)
        _, want = torch.nn.functional.adaptive_max_pool2d(torch.tensor(x), out_size, return_indices=True)
        assert idx.dtype == np.int64
        np.testing.assert_array_equal(idx.numpy(), want.numpy())


def test_adaptive_max_pool2d_nan_and_float32_follow_pytorch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 6))
    x[0, 0, 1, 1] = x[0, 0, 1, 2] = x[0, 1, 4, 0] = np.nan
    out, idx = F.adaptive_max_pool2d(tg.tensor(x), (2, 3), return_indices=True)
    want, want_idx = torch.nn.functional.adaptive_max_pool2d(torch.tensor(x), (2, 3), return_indices=True)
    np.testing.assert_array_equal(out.numpy(), want.numpy())
    np.testing.assert_array_equal(idx.numpy(), want_idx.numpy())
    x = np.random.default_rng(1).standard_normal((1, 2, 4, 6))  # equal windows: the max_pool2d path
    x[0, 0, 0, 0] = x[0, 0, 1, 1] = x[0, 1, 3, 5] = np.nan
    x[0, 1, 0, 0] = x[0, 1, 0, 1] = 5.0
    out, idx = F.adaptive_max_pool2d(tg.tensor(x), (2, 3), return_indices=True)
    want, want_idx = torch.nn.functional.adaptive_max_pool2d(torch.tensor(x), (2, 3), return_indices=True)
    np.testing.assert_array_equal(out.numpy(), want.numpy())
    np.testing.assert_array_equal(idx.numpy(), want_idx.numpy())
    for out_size in [3, (2, 3)]:
        x32 = np.random.default_rng(2).standard_normal((2, 3, 5, 6))
        _compare_with_torch(torch, lambda t, o=out_size: F.adaptive_max_pool2d(t, o),
                            lambda t, o=out_size: torch.nn.functional.adaptive_max_pool2d(t, o), x32, np.float32, 0)


@pytest.mark.parametrize("out_size", [1, 3, (2, 3), (5, 4), (None, 2)])
def test_adaptive_avg_pool2d_matches_pytorch(out_size):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 8))
    for dtype, atol in [(np.float64, 1e-12), (np.float32, 1e-6)]:
        _compare_with_torch(torch, lambda t: F.adaptive_avg_pool2d(t, out_size),
                            lambda t: torch.nn.functional.adaptive_avg_pool2d(t, out_size), x, dtype, atol)


def test_adaptive_max_pool2d_layer_matches_pytorch():
    torch = pytest.importorskip("torch")
    for args in [(3,), ((None, 2),), ((2, 3), True)]:
        ours, theirs = nn.AdaptiveMaxPool2d(*args), torch.nn.AdaptiveMaxPool2d(*args)
        assert repr(ours) == repr(theirs)
        x = np.random.default_rng(0).standard_normal((2, 3, 5, 7))
        got, want = ours(tg.tensor(x)), theirs(torch.tensor(x))
        if len(args) == 2:
            np.testing.assert_array_equal(got[1].numpy(), want[1].numpy())
            got, want = got[0], want[0]
        np.testing.assert_array_equal(got.numpy(), want.numpy())


X3, X4 = tg.zeros(1, 2, 4), tg.zeros(1, 2, 4, 4)


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.interpolate(X4, size=3, scale_factor=2), ValueError,
     r"interpolate: expected exactly one of size and scale_factor, got both"),
    (lambda: F.interpolate(X4), ValueError, r"exactly one of size and scale_factor, got neither"),
    (lambda: F.interpolate(X4, size=2, align_corners=True), ValueError,
     r"interpolate: align_corners: only the linear modes take it, got align_corners=True with mode 'nearest'"),
    (lambda: F.interpolate(X4, size=2, mode="linear"), ValueError,
     r"interpolate: input: mode 'linear' needs a 3-D \(N, C, L\) tensor, got shape \(1, 2, 4, 4\)"),
    (lambda: F.interpolate(X3, size=2, mode="bilinear"), ValueError,
     r"mode 'bilinear' needs a 4-D \(N, C, H, W\) tensor, got shape \(1, 2, 4\)"),
    (lambda: F.interpolate(X4, size=2, mode="bicubic"), ValueError,
     r"interpolate: mode: expected one of 'nearest', 'linear', 'bilinear', 'trilinear', got 'bicubic'"),
    (lambda: F.interpolate(tg.zeros(4, 4), size=2), ValueError,
     r"interpolate: input: expected a 3-D, 4-D or 5-D tensor .* got shape \(4, 4\)"),
    (lambda: F.interpolate(X4.numpy(), size=2), TypeError, r"interpolate: input: expected a Tensor, got ndarray"),
    (lambda: F.interpolate(X4, size=0), ValueError, r"interpolate: size: expected sizes >= 1, got 0"),
    (lambda: F.interpolate(X4, size=()), ValueError,
     r"interpolate: size: expected one value or 2 \(one per spatial dim of the input\), got \(\)"),
    (lambda: F.interpolate(X4, scale_factor=0.1), ValueError, r"output \(0, 0\)"),
    (lambda: F.interpolate(X4, scale_factor=-1.0), ValueError,
     r"interpolate: scale_factor: expected positive finite numbers, got -1.0"),
    (lambda: F.interpolate(X4, size=(2, 3, 4)), ValueError,
     r"interpolate: size: expected one value or 2 \(one per spatial dim of the input\), got \(2, 3, 4\)"),
    (lambda: F.interpolate(X4, size=2.5), TypeError, r"interpolate: size: expected an int or a tuple of 2, got 2.5"),
    (lambda: F.interpolate(X4, size=(2, None)), TypeError, r"size: expected an int or a tuple of 2"),
    (lambda: F.interpolate(X4, scale_factor="2"), TypeError,
     r"scale_factor: expected a number or a tuple of 2, got '2'"),
    (lambda: F.interpolate(X4, size=2, recompute_scale_factor=True), ValueError,
     r"recompute_scale_factor: only meaningful with scale_factor"),
    (lambda: F.interpolate(X4, size=2, antialias=True), ValueError, r"antialias: only antialias=False"),
    (lambda: F.interpolate(tg.zeros(1, 1, 2, dtype="int64"), size=3, mode="linear"), TypeError,
     r"interpolate: input: mode 'linear' needs a floating-point tensor, got dtype int64"),
    (lambda: nn.Upsample(size=3, mode="linear")(X4), ValueError, r"mode 'linear' needs a 3-D"),
    # The layer checks what it can where it is built, before any input.
    (lambda: nn.Upsample(scale_factor=2, mode="bicubic"), ValueError,
     r"Upsample: mode: expected one of 'nearest', 'linear', 'bilinear', 'trilinear', got 'bicubic'"),
    (lambda: nn.Upsample(), ValueError, r"Upsample: expected exactly one of size and scale_factor, got neither"),
    (lambda: nn.Upsample(size=2, scale_factor=2), ValueError, r"Upsample: .* got both"),
    (lambda: nn.Upsample(scale_factor="2"), TypeError,
     r"Upsample: scale_factor: expected a number or a tuple of them, got '2'"),
    (lambda: nn.Upsample(scale_factor=(2.0, -1.0)), ValueError,
     r"Upsample: scale_factor: expected positive finite numbers, got \(2.0, -1.0\)"),
    (lambda: nn.Upsample(size=(2, None)), TypeError, r"Upsample: size: expected an int or a tuple of them"),
    (lambda: nn.Upsample(size=()), ValueError, r"Upsample: size: expected at least one, got \(\)"),
    (lambda: nn.Upsample(size=0), ValueError, r"Upsample: size: expected sizes >= 1, got 0"),
    (lambda: nn.Upsample(size=(3, -2)), ValueError, r"Upsample: size: expected sizes >= 1, got \(3, -2\)"),
    (lambda: nn.Upsample(scale_factor=()), ValueError, r"Upsample: scale_factor: expected at least one, got \(\)"),
    (lambda: nn.Upsample(size=2, align_corners=True), ValueError,
     r"Upsample: align_corners: only the linear modes take it"),
    (lambda: nn.Upsample(size=2, recompute_scale_factor=True), ValueError,
     r"Upsample: recompute_scale_factor: only meaningful with scale_factor"),
    (lambda: nn.UpsamplingNearest2d(scale_factor=0), ValueError,
     r"UpsamplingNearest2d: scale_factor: expected positive finite numbers, got 0"),
    (lambda: F.interpolate(tg.zeros(1, 1, 2, 2, dtype="int32"), size=3, mode="bilinear"), TypeError,
     r"interpolate: input: mode 'bilinear' needs a floating-point tensor, got dtype int32"),
    (lambda: F.adaptive_avg_pool2d(tg.zeros(1, 1, 4, 4, dtype="int64"), 2), TypeError,
     r"adaptive_avg_pool2d: input: expected a floating-point tensor, got dtype int64"),
    (lambda: F.adaptive_max_pool2d(X4, 0), ValueError,
     r"adaptive_max_pool2d: output_size: expected positive values, got \(0, 0\)"),
    (lambda: F.adaptive_max_pool2d(X4, (2, 2, 2)), TypeError,
     r"adaptive_max_pool2d: output_size: expected an int or a pair, got \(2, 2, 2\)"),
    (lambda: F.adaptive_max_pool2d(tg.zeros(4, 4), 2), ValueError,
     r"adaptive_max_pool2d: input: expected a 3-D or 4-D tensor \(C, H, W\) or \(N, C, H, W\), got shape \(4, 4\)"),
    (lambda: F.adaptive_max_pool2d([1.0], 2), TypeError, r"adaptive_max_pool2d: input: expected a Tensor, got list"),
    (lambda: F.adaptive_max_pool2d(X4, 1.5), TypeError, r"output_size: expected an int or a tuple of 2 ints"),
    (lambda: nn.ZeroPad2d((1, 2)), TypeError,
     r"ZeroPad2d: padding: expected an int or a tuple of 4 ints, got \(1, 2\)"),
    (lambda: nn.ReflectionPad1d(1.5), TypeError, r"ReflectionPad1d: padding: expected an int or a tuple of 2 ints"),
    (lambda: nn.ConstantPad2d(-1, 0.0), ValueError,
     r"ConstantPad2d: padding: expected non-negative values, got \(-1, -1, -1, -1\)"),
    (lambda: nn.ReflectionPad2d(1)(tg.zeros(3, 3)), ValueError,
     r"ReflectionPad2d: input: expected a 3-D or 4-D tensor \(C, H, W\) or \(N, C, H, W\), got shape \(3, 3\)"),
    (lambda: nn.CircularPad1d(1)(tg.zeros(3)), ValueError, r"CircularPad1d: input: expected a 2-D or 3-D tensor"),
    (lambda: nn.ConstantPad2d(1, 2.0)(tg.zeros(3)), ValueError,
     r"ConstantPad2d: input: expected at least 2 dims, got shape \(3,\)"),
    (lambda: nn.ReflectionPad1d(3)(tg.zeros(1, 3)), ValueError,
     r"pad: mode 'reflect' pads dim 1 of size 3 by at most 2 on each side, got \(3, 3\)"),
])
def test_bad_input_raises(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_the_cached_matrices_are_placed_once_per_dtype_and_device(monkeypatch):
    """interpolate and adaptive pooling reuse their matrix's copy in the input's dtype and on its
    device (on CUDA each copy was a host-to-device transfer); a matrix handed to along_dim
    directly is converted at each call."""
    from tinygrad_cnn import backend
    from tinygrad_cnn.ops import linalg, resize
    placed = []
    real = backend.to_device
    monkeypatch.setattr(backend, "to_device", lambda a, d: placed.append(a.dtype) or real(a, d))
    backend.placed.cache_clear()
    x = tg.tensor(np.random.default_rng(0).standard_normal((1, 2, 4, 4)).astype(np.float32))
    first = F.interpolate(x, size=(7, 5), mode="bilinear")
    again = F.interpolate(x, size=(7, 5), mode="bilinear")
    assert placed == [np.float32, np.float32]  # one per resized dim, the second call none
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    F.interpolate(x.double(), size=(7, 5), mode="bilinear")
    assert placed[2:] == [np.float64, np.float64]
    F.adaptive_avg_pool2d(x, 3), F.adaptive_avg_pool2d(x, 3)
    assert len(placed) == 5  # both dims pool 4 -> 3 through one matrix, placed once
    mean = np.full((1, 4), 0.25)
    linalg.along_dim(x, 3, mean), linalg.along_dim(x, 3, mean)
    assert len(placed) == 7  # a float64 host matrix for a float32 input: converted every call
    linalg.along_dim(x, 3, mean.astype(np.float32))
    assert len(placed) == 7  # already the input's dtype on its device: used as it is
    kept = backend.placed(resize._linear_matrix, (4, 7, None, False, np.float32), np.dtype(np.float32),
                         x.device)
    assert not kept.flags.writeable  # shared by every call through the cache
    # Index arrays and divisors are placed once too: adaptive max-pooling's window cells,
    # average pooling's uneven divisors, nearest interpolation's source positions.
    for call, made, asked in ((lambda: F.adaptive_max_pool2d(x, 3), 1, 4),  # one (4 -> 3) for both dims
                              (lambda: F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False), 1, 2),
                              (lambda: F.interpolate(x, size=(7, 5), mode="nearest"), 2, 4)):
        before = backend.placed.cache_info()
        call(), call()
        after = backend.placed.cache_info()
        assert (after.misses - before.misses, after.hits - before.hits) == (made, asked - made)
