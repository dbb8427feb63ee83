"""The activations of ``tinygrad_cnn.ops.activation`` and their layers against PyTorch: values,
first and second gradients in float32 and float64, the corners, large and non-finite inputs,
integer dtypes, the layers' reprs and the bad-input errors. Finite-difference checks are rows
of the op table (``cases/activation.py``)."""

import warnings

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import nn

# (name, keyword arguments): called by the same name and keywords in both libraries.
CALLS = [
    ("elu", {}), ("elu", {"alpha": 0.5}), ("selu", {}), ("celu", {}), ("celu", {"alpha": 2.5}),
    ("celu", {"alpha": -1.5}), ("silu", {}), ("mish", {}), ("softplus", {}),
    ("softplus", {"beta": 2.0, "threshold": 3.0}), ("softplus", {"beta": -1.5}), ("hardtanh", {}),
    ("hardtanh", {"min_val": -0.5, "max_val": 2.0}), ("relu6", {}), ("hardsigmoid", {}), ("hardswish", {}),
]
CALL_IDS = [name + "".join(f"-{k}={v}" for k, v in kw.items()) for name, kw in CALLS]
TOLERANCES = {np.float32: {"rtol": 2e-5, "atol": 1e-6}, np.float64: {"rtol": 1e-11, "atol": 1e-13}}
SECOND_ORDER_FLOAT32 = {"rtol": 1e-4, "atol": 1e-5}
# PyTorch has no second derivative of hardsigmoid (it is 0 wherever it exists).
NO_TORCH_SECOND_ORDER = {"hardsigmoid"}


def _torch():
    return pytest.importorskip("torch")


def _ours_and_theirs(fn_ours, fn_theirs, arrays, cotangents, second_order=True):
    """Each library's outputs, gradients and second-order gradients (of the gradients against
    the cotangents, for the second set of cotangents) as NumPy arrays."""
    torch = _torch()
    results = []
    for lib, fn in (("ours", fn_ours), ("theirs", fn_theirs)):
        if lib == "ours":
            xs = [tg.Tensor(a.copy(), requires_grad=True) for a in arrays]
            v = tg.Tensor(cotangents[0])
            y = fn(*xs)
            grads = tg.grad(y, xs, grad_outputs=v, create_graph=second_order)
            seconds = ()
            if second_order:
                live = [(g, tg.Tensor(c)) for g, c in zip(grads, cotangents[1:]) if g.requires_grad]
                seconds = tg.grad([g for g, _ in live], xs, grad_outputs=[c for _, c in live]) if live else \
                    [None] * len(xs)  # piecewise linear: the gradient does not depend on x
                seconds = [tg.zeros_like(x) if g is None else g for g, x in zip(seconds, xs)]
            to_np = lambda t: t.numpy()  # noqa: E731
        else:
            xs = [torch.tensor(a, requires_grad=True) for a in arrays]
            y = fn(*xs)
            grads = torch.autograd.grad(y, xs, torch.tensor(cotangents[0]), create_graph=second_order)
            seconds = ()
            if second_order:
                seconds = torch.autograd.grad(grads, xs, [torch.tensor(c) for c in cotangents[1:]],
                                              allow_unused=True, materialize_grads=True)
            to_np = lambda t: t.detach().numpy()  # noqa: E731
        results.append((to_np(y), [to_np(g) for g in grads], [to_np(g) for g in seconds]))
    return results


def _assert_same(ours, theirs, dtype, grad_rtol=None):
    (y, grads, seconds), (ty, tgrads, tseconds) = ours, theirs
    assert y.dtype == ty.dtype == dtype and y.shape == ty.shape
    np.testing.assert_allclose(y, ty, **TOLERANCES[dtype])
    assert len(grads) == len(tgrads) and len(seconds) == len(tseconds)
    tolerances = dict(TOLERANCES[dtype], **({} if grad_rtol is None else {"rtol": grad_rtol}))
    for g, tgr in zip(grads, tgrads):
        assert g.dtype == dtype and g.shape == tgr.shape
        np.testing.assert_allclose(g, tgr, **tolerances)
    for g, tgr in zip(seconds, tseconds):
        # In float32 a small second derivative is the difference of terms near 1: both
        # libraries are off from the float64 value by about 1e-6 there (mish at x = 7).
        assert g.dtype == dtype and g.shape == tgr.shape
        np.testing.assert_allclose(g, tgr, **(SECOND_ORDER_FLOAT32 if dtype == np.float32 else tolerances))


def _grad_rtol(name, dtype):
    """PyTorch's hardsigmoid gradient is a float32 1/6 in float64 too (0.1666666716...)."""
    return 1e-7 if name == "hardsigmoid" and dtype == np.float64 else None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (7,), (3, 4), (2, 3, 4, 5)])
@pytest.mark.parametrize("name, kwargs", CALLS, ids=CALL_IDS)
def test_values_and_gradients_match_pytorch(name, kwargs, shape, dtype):
    torch = _torch()
    rng = np.random.default_rng(len(shape))
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    cotangents = [rng.standard_normal(shape).astype(dtype) for _ in range(2)]
    ours, theirs = _ours_and_theirs(lambda t: getattr(F, name)(t, **kwargs),
                                    lambda t: getattr(torch.nn.functional, name)(t, **kwargs),
                                    [x], cotangents, second_order=name not in NO_TORCH_SECOND_ORDER)
    _assert_same(ours, theirs, dtype, _grad_rtol(name, dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape, w_shape", [((2, 3, 4, 5), (3,)), ((2, 3, 4, 5), (1,)), ((4, 6), (6,)),
                                              ((4, 6), ()), ((5,), (1,)), ((), (1,)), ((2, 3, 4), (3,))])
def test_prelu_values_and_gradients_match_pytorch(x_shape, w_shape, dtype):
    torch = _torch()
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.uniform(-0.5, 0.5, w_shape).astype(dtype)
    cotangents = [rng.standard_normal(shape).astype(dtype) for shape in (x_shape, x_shape, w_shape)]
    ours, theirs = _ours_and_theirs(F.prelu, torch.nn.functional.prelu, [x, w], cotangents)
    _assert_same(ours, theirs, dtype)


CORNERS = np.array([-40.0, -6.0, -3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0, 6.0, 10.0, 20.0, 40.0])


@pytest.mark.parametrize("name, kwargs", CALLS, ids=CALL_IDS)
def test_values_and_gradients_at_the_corners_match_pytorch(name, kwargs):
    """At the kinks themselves (0, the bounds, -3 and 3, the threshold) the gradient is PyTorch's."""
    torch = _torch()
    ours, theirs = _ours_and_theirs(lambda t: getattr(F, name)(t, **kwargs),
                                    lambda t: getattr(torch.nn.functional, name)(t, **kwargs),
                                    [CORNERS], [np.ones_like(CORNERS)], second_order=False)
    _assert_same(ours, theirs, np.float64, _grad_rtol(name, np.float64))


def test_prelu_gradient_at_zero_is_the_slope_as_in_pytorch():
    x = tg.tensor([0.0, -2.0, 3.0], requires_grad=True)
    w = tg.tensor([0.25], requires_grad=True)
    F.prelu(x, w).sum().backward()
    assert x.grad.tolist() == [0.25, 0.25, 1.0] and w.grad.tolist() == [-2.0]


def test_smooth_functions_second_derivatives_at_zero():
    """softplus'' (0) = 1/4 (a max/abs composite would give 0), silu'' (0) = 1/2, mish'' (0) = 0.64."""
    for fn, want in ((F.softplus, 0.25), (F.silu, 0.5), (F.mish, 0.64)):
        x = tg.tensor([0.0], dtype="float64", requires_grad=True)
        (g,) = tg.grad(fn(x), x, create_graph=True)
        (gg,) = tg.grad(g, x)
        assert gg.item() == pytest.approx(want, rel=1e-12), fn.__name__


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["elu", "selu", "celu", "silu", "mish", "softplus", "hardsigmoid", "hardswish"])
def test_large_inputs_stay_finite_without_warnings_and_match_pytorch(name, dtype):
    torch = _torch()
    x = np.array([-1e4, -1000.0, -100.0, -30.0, 30.0, 100.0, 1000.0, 1e4], dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow in a discarded branch
        ours, theirs = _ours_and_theirs(getattr(F, name), getattr(torch.nn.functional, name), [x],
                                        [np.ones_like(x)], second_order=False)
    assert np.isfinite(ours[0]).all() and np.isfinite(ours[1][0]).all()
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(ours[1][0], theirs[1][0], rtol=1e-6, atol=1e-30)


def test_softplus_follows_pytorchs_threshold_rule():
    x = tg.tensor([5.0, 9.9, 10.1, 1000.0], dtype="float64")
    y = F.softplus(x, beta=2.0, threshold=20.0).tolist()
    assert y[2:] == [10.1, 1000.0]  # beta * x > threshold: x itself
    assert y[0] == pytest.approx(np.log1p(np.exp(10.0)) / 2, rel=1e-15) and y[1] > 9.9


@pytest.mark.parametrize("name", sorted({name for name, _ in CALLS}))
def test_nan_and_infinities_match_pytorch(name):
    torch = _torch()
    x = np.array([np.nan, np.inf, -np.inf, 0.0], np.float32)
    with np.errstate(invalid="ignore"):  # inf * 0, as PyTorch computes it too
        ours = getattr(F, name)(tg.tensor(x)).numpy()
    np.testing.assert_array_equal(ours, getattr(torch.nn.functional, name)(torch.tensor(x)).numpy())


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32", "int64"])
def test_hardtanh_and_relu6_keep_integer_dtypes_with_truncated_bounds(dtype):
    torch = _torch()
    x = np.array([0, 1, 2, 3, 5, 6, 7, 100], dtype)
    calls = [("relu6", ()), ("hardtanh", (0.5, 5.9))]  # bounds 0 and 5, as PyTorch truncates them
    if np.dtype(dtype).kind == "i":
        x = np.concatenate([x, np.array([-100, -3, -2, -1], dtype)])
        calls.append(("hardtanh", (-2.5, 2.5)))
    for name, bounds in calls:
        ours = getattr(F, name)(tg.tensor(x), *bounds)
        assert ours.dtype == np.dtype(dtype)
        theirs = getattr(torch.nn.functional, name)(torch.tensor(x), *bounds)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("name", [n for n, _ in CALLS if n not in ("hardtanh", "relu6")] + ["prelu"])
def test_integer_and_bool_inputs_are_refused_as_in_pytorch(name):
    args = (tg.tensor([0.25]),) if name == "prelu" else ()
    for x in (tg.tensor([1, -2]), tg.tensor([True, False])):
        with pytest.raises(TypeError, match=rf"{name}: input: expected a floating-point tensor, got dtype "):
            getattr(F, name)(x, *args)


@pytest.mark.parametrize("name, kwargs", [("elu", {}), ("elu", {"alpha": 0.3}), ("selu", {}),
                                          ("celu", {"alpha": 2.0}), ("celu", {"alpha": 3.0})])
def test_float16_elus_are_computed_in_float32_and_rounded_once_as_in_pytorch(name, kwargs):
    """PyTorch's ELU kernels compute half precision in float32: the outputs agree bit for bit
    (with float16 intermediates, elu with alpha 0.3, selu and celu with alpha 3 were up to 2
    ulp off on hundreds of these 4,000 values), the gradients to 1 ulp (the constants are
    multiplied in another order)."""
    torch = _torch()
    x = (np.random.default_rng(0).standard_normal(4000) * 3).astype(np.float16)
    ours = tg.tensor(x, requires_grad=True)
    out = getattr(F, name)(ours, **kwargs)
    out.backward(tg.ones(len(x), dtype="float16"))
    theirs = torch.tensor(x, requires_grad=True)
    expected = getattr(torch.nn.functional, name)(theirs, **kwargs)
    expected.backward(torch.ones(len(x), dtype=torch.float16))
    assert out.dtype == ours.grad.dtype == np.float16
    np.testing.assert_array_equal(out.numpy(), expected.detach().numpy())
    ulps = np.abs(ours.grad.numpy().view(np.int16).astype(int) - theirs.grad.numpy().view(np.int16).astype(int))
    assert ulps.max() <= 1 and (ulps > 0).sum() <= len(x) // 1000


def test_float16_stays_float16():
    x = tg.tensor([-4.0, -1.0, 0.5, 4.0], dtype="float16")
    for name, _ in CALLS:
        assert getattr(F, name)(x).dtype == np.float16, name
    assert F.prelu(x, tg.tensor([0.25], dtype="float16")).dtype == np.float16


def test_the_strict_device_runs_the_integer_and_prelu_paths(device):
    x = tg.tensor([-7, 3, 9], device=device)
    assert F.relu6(x).tolist() == [0, 3, 6] and F.hardtanh(x, -2, 2).tolist() == [-2, 2, 2]
    y = tg.tensor([[-2.0, 2.0]], device=device)
    assert F.prelu(y, tg.tensor([0.5, 0.25], device=device)).tolist() == [[-1.0, 2.0]]


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.elu([1.0]), TypeError, r"elu: input: expected a Tensor, got list"),
    (lambda: F.elu(tg.ones(2), alpha="1"), TypeError, r"elu: alpha: expected a real number, got str '1'"),
    (lambda: F.selu(np.ones(2)), TypeError, r"selu: input: expected a Tensor, got ndarray"),
    (lambda: F.celu(tg.ones(2), alpha=0.0), ValueError, r"celu: alpha: expected a non-zero number .*got 0.0"),
    (lambda: F.softplus(tg.ones(2), beta=0), ValueError, r"softplus: beta: expected a non-zero number .*got 0.0"),
    (lambda: F.softplus(tg.ones(2), threshold=None), TypeError,
     r"softplus: threshold: expected a real number, got NoneType None"),
    (lambda: F.softplus(tg.ones(2), beta=True), TypeError, r"softplus: beta: expected a real number, got bool"),
    (lambda: F.hardtanh(tg.ones(2), 2.0, 1.0), ValueError,
     r"hardtanh: min_val, max_val: expected min_val <= max_val, got 2.0 and 1.0"),
    (lambda: F.hardtanh(tg.tensor([True]), 0, 1), TypeError,
     r"hardtanh: input: expected an integer or floating-point tensor, got dtype bool"),
    (lambda: F.relu6(tg.tensor([True])), TypeError,
     r"relu6: input: expected an integer or floating-point tensor, got dtype bool"),
    (lambda: F.hardtanh(tg.tensor(np.array([1], np.int8)), -1000, 1), ValueError,
     r"hardtanh: min_val: expected a value that fits the input's dtype int8 \(\[-128, 127\]\), got -1000.0"),
    (lambda: F.hardtanh(tg.tensor([1]), 0, float("inf")), ValueError,
     r"hardtanh: max_val: expected a value that fits the input's dtype int64 .*got inf"),
    (lambda: F.prelu(tg.ones(2, 3), 0.25), TypeError, r"prelu: weight: expected a Tensor, got float"),
    (lambda: F.prelu(tg.ones(2, 3), tg.tensor([0.25], dtype="float64")), TypeError,
     r"prelu: weight: expected dtype float32 \(the input's\), got float64"),
    (lambda: F.prelu(tg.ones(2, 3), tg.ones(1, 3)), ValueError,
     r"prelu: weight: expected a 0-d or 1-D tensor \(one value, or one per channel\), got shape \(1, 3\)"),
    (lambda: F.prelu(tg.ones(2, 3, 4), tg.ones(2)), ValueError,
     r"prelu: weight: expected 1 value or 3 \(one per channel, the input's dim 1\), got 2"),
    (lambda: F.prelu(tg.ones(2, 3), tg.ones(0)), ValueError, r"prelu: weight: expected 1 value or 3 .*got 0"),
    (lambda: F.prelu(tg.ones(3), tg.ones(3)), ValueError,
     r"prelu: weight: expected 1 value \(an input of shape \(3,\) has no channel dim\), got 3"),
    (lambda: nn.ELU(alpha=None), TypeError, r"ELU: alpha: expected a real number, got NoneType None"),
    (lambda: nn.CELU(0), ValueError, r"CELU: alpha: expected a non-zero number .*got 0.0"),
    (lambda: nn.Softplus(beta=0.0), ValueError, r"Softplus: beta: expected a non-zero number"),
    (lambda: nn.Softplus(threshold="20"), TypeError, r"Softplus: threshold: expected a real number, got str"),
    (lambda: nn.Hardtanh(1.0, 1.0), ValueError,
     r"Hardtanh: min_val, max_val: expected min_val < max_val, got 1.0 and 1.0"),
    (lambda: nn.PReLU(0), ValueError, r"PReLU: num_parameters: expected an int >= 1, got 0"),
    (lambda: nn.PReLU(2.0), TypeError, r"PReLU: num_parameters: expected an int, got float 2.0"),
    (lambda: nn.PReLU(init="a"), TypeError, r"PReLU: init: expected a real number, got str 'a'"),
    (lambda: nn.PReLU(3)(tg.ones(2, 4)), ValueError, r"prelu: weight: expected 1 value or 4 .*got 3"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


# -- layers ---------------------------------------------------------------------------------
LAYERS = [
    ("ReLU", (), {}), ("LeakyReLU", (0.2,), {}), ("Sigmoid", (), {}), ("Tanh", (), {}), ("Softmax", (), {"dim": 1}),
    ("LogSoftmax", (), {"dim": 1}), ("ELU", (), {}), ("ELU", (0.5,), {}), ("SELU", (), {}), ("CELU", (), {}),
    ("CELU", (), {"alpha": 2.0}), ("SiLU", (), {}), ("Mish", (), {}), ("Softplus", (), {}),
    ("Softplus", (2, 10), {}), ("Hardtanh", (), {}), ("Hardtanh", (-2.0, 3.0), {}), ("ReLU6", (), {}),
    ("Hardsigmoid", (), {}), ("Hardswish", (), {}), ("PReLU", (), {}), ("PReLU", (3,), {"init": 0.1}),
]


@pytest.mark.parametrize("name, args, kwargs", LAYERS, ids=[f"{n}{a}{k}" for n, a, k in LAYERS])
def test_layers_repr_and_forward_match_pytorch(name, args, kwargs):
    torch = _torch()
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32) * 4
    np.testing.assert_allclose(ours(tg.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["ReLU", "ELU", "SELU", "CELU", "SiLU", "Mish", "Hardtanh", "ReLU6",
                                  "Hardsigmoid", "Hardswish"])
def test_inplace_is_accepted_and_the_input_keeps_its_values(name):
    layer = getattr(nn, name)(inplace=True)
    x = tg.tensor([-4.0, -0.5, 2.0])
    y = layer(x)
    assert x.tolist() == [-4.0, -0.5, 2.0] and y is not x and "inplace" not in repr(layer)
    assert getattr(F, name.lower())(x, inplace=True).tolist() == y.tolist()
    np.testing.assert_allclose(F.leaky_relu(x, 0.1, inplace=True).numpy(), [-0.4, -0.05, 2.0], rtol=1e-6)
    assert x.tolist() == [-4.0, -0.5, 2.0]


def test_relu6_is_a_hardtanh_as_in_pytorch():
    layer = nn.ReLU6()
    assert isinstance(layer, nn.Hardtanh) and (layer.min_val, layer.max_val) == (0.0, 6.0)


def test_prelu_layer_learns_its_slopes_like_pytorchs():
    torch = _torch()
    ours, theirs = nn.PReLU(3), torch.nn.PReLU(3)
    assert [name for name, _ in ours.named_parameters()] == ["weight"] and ours.weight.dtype == np.float32
    x = np.random.default_rng(1).standard_normal((4, 3, 2, 2)).astype(np.float32)
    ours(tg.tensor(x)).sum().backward()
    theirs(torch.tensor(x)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-6)
    assert ours.state_dict()["weight"].tolist() == [0.25, 0.25, 0.25]
    ours.load_state_dict({"weight": tg.tensor([0.1, 0.2, 0.3])})
    np.testing.assert_allclose(ours(-tg.ones(1, 3)).numpy(), [[-0.1, -0.2, -0.3]], rtol=1e-7)
    ours.reset_parameters()
    assert ours.weight.tolist() == [0.25, 0.25, 0.25]
    assert nn.PReLU(2, dtype="float64").weight.dtype == np.float64
    assert nn.PReLU(device="cpu").weight.device == tg.get_device("cpu")


def test_activation_layers_live_in_their_own_module():
    from tinygrad_cnn.nn import activations, layers

    for name in activations.__all__:
        assert getattr(nn, name) is getattr(activations, name) and not hasattr(layers, name)


_RTOL = {np.float16: 2e-3, np.float32: 1e-6, np.float64: 1e-12}  # float16's tolerance for it alone


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("name", ["hardsigmoid", "hardswish"])
def test_hard_functions_keep_their_slope_just_inside_the_corners(name, dtype):
    """Just inside 3, x + 3 rounds to 6 in float16 and float32: the branch is chosen on x."""
    torch = _torch()
    inside = np.array([np.nextafter(dtype(3), dtype(0)), np.nextafter(dtype(-3), dtype(0))], dtype)
    x = tg.Tensor(inside, requires_grad=True)
    getattr(F, name)(x).sum().backward()
    t = torch.tensor(inside, requires_grad=True)
    getattr(torch.nn.functional, name)(t).sum().backward()
    # PyTorch's hardsigmoid backward multiplies by 1/6 held as a float32 constant, float64 too
    # (0.1666666716...): there its float64 gradient agrees with ours to float32's precision.
    rtol = 1e-7 if (name, dtype) == ("hardsigmoid", np.float64) else _RTOL[dtype]
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=rtol)
    if (name, dtype) == ("hardsigmoid", np.float64):
        assert x.grad.numpy().tolist() == [1 / 6, 1 / 6]
    assert (x.grad.numpy() != 0).all() and x.grad.numpy()[0] != (0.0 if name == "hardsigmoid" else 1.0)
