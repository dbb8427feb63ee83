"""l1_loss, smooth_l1_loss, huber_loss, binary_cross_entropy and kl_div (and their layers):
values and gradients against PyTorch for every reduction in float32 and float64, the edges
PyTorch handles specially (BCE at probabilities 0 and 1, KL at a zero target), dtypes, and
every bad-input error. Finite-difference checks (first and second order) are op-table rows."""

import warnings

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import nn

REDUCTIONS = ["mean", "sum", "none"]
SHAPES = [(5,), (2, 3, 4), ()]
TOL = {np.float32: dict(rtol=2e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}


def _apart(rng, shape, edges):
    """input, target with |input - target| at least 0.1 from each edge (0, beta, delta)."""
    x = rng.standard_normal(shape)
    size = rng.uniform(0.1, 3.0, shape)
    for _ in range(100):  # redraw the few that landed near an edge
        near = np.zeros(shape, bool)
        for e in edges:
            near |= np.abs(size - e) < 0.1
        if not near.any():
            break
        size = np.where(near, rng.uniform(0.1, 3.0, shape), size)
    return x, x - size * rng.choice([-1.0, 1.0], shape)


def _compare(ours, theirs, arrays, dtype, grad_inputs, seed=0):
    """Run both sides on the same arrays; compare the result (dtype, shape, values) and the
    gradients of the inputs in ``grad_inputs`` for a random cotangent."""
    torch = pytest.importorskip("torch")
    arrays = [np.asarray(a, dtype) for a in arrays]
    mine = [tg.tensor(a, requires_grad=i in grad_inputs) for i, a in enumerate(arrays)]
    ref = [torch.tensor(a, requires_grad=i in grad_inputs) for i, a in enumerate(arrays)]
    out, want = ours(*mine), theirs(*ref)
    assert str(want.dtype) == f"torch.{out.dtype}"
    assert out.shape == tuple(want.shape)
    np.testing.assert_allclose(out.numpy(), want.detach().numpy(), **TOL[dtype])
    cot = np.random.default_rng(seed).standard_normal(out.shape).astype(dtype)
    (out * tg.tensor(cot)).sum().backward()
    (want * torch.tensor(cot)).sum().backward()
    for i in grad_inputs:
        np.testing.assert_allclose(mine[i].grad.numpy(), ref[i].grad.numpy(), **TOL[dtype])
        assert mine[i].grad.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_l1_loss_matches_pytorch(shape, reduction, dtype):
    torch = pytest.importorskip("torch")
    arrays = _apart(np.random.default_rng(1), shape, [0.0])
    _compare(lambda x, y: F.l1_loss(x, y, reduction=reduction),
             lambda x, y: torch.nn.functional.l1_loss(x, y, reduction=reduction), arrays, dtype, (0, 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [1.0, 0.5, 2.0, 0.0])
@pytest.mark.parametrize("shape", SHAPES)
def test_smooth_l1_loss_matches_pytorch(shape, beta, reduction, dtype):
    torch = pytest.importorskip("torch")
    arrays = _apart(np.random.default_rng(2), shape, [0.0, beta])
    _compare(lambda x, y: F.smooth_l1_loss(x, y, reduction=reduction, beta=beta),
             lambda x, y: torch.nn.functional.smooth_l1_loss(x, y, reduction=reduction, beta=beta),
             arrays, dtype, (0, 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("delta", [1.0, 0.3, 2.5])
@pytest.mark.parametrize("shape", SHAPES)
def test_huber_loss_matches_pytorch(shape, delta, reduction, dtype):
    torch = pytest.importorskip("torch")
    arrays = _apart(np.random.default_rng(3), shape, [0.0, delta])
    _compare(lambda x, y: F.huber_loss(x, y, reduction=reduction, delta=delta),
             lambda x, y: torch.nn.functional.huber_loss(x, y, reduction=reduction, delta=delta),
             arrays, dtype, (0, 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape, weight_shape", [((5,), None), ((2, 3, 4), None), ((), None),
                                                  ((2, 3, 4), (4,)), ((2, 3, 4), (2, 1, 4)),
                                                  ((5,), (5,))])
def test_binary_cross_entropy_matches_pytorch(shape, weight_shape, reduction, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x, y = rng.uniform(0.05, 0.95, shape), rng.uniform(0, 1, shape)
    if weight_shape is None:
        _compare(lambda x, y: F.binary_cross_entropy(x, y, reduction=reduction),
                 lambda x, y: torch.nn.functional.binary_cross_entropy(x, y, reduction=reduction),
                 (x, y), dtype, (0, 1))
        return
    w = rng.uniform(0.5, 2.0, weight_shape).astype(dtype)
    # PyTorch refuses a weight that requires grad, so it is a constant on both sides here.
    _compare(lambda x, y: F.binary_cross_entropy(x, y, weight=tg.tensor(w), reduction=reduction),
             lambda x, y: torch.nn.functional.binary_cross_entropy(x, y, weight=torch.tensor(w),
                                                                   reduction=reduction),
             (x, y), dtype, (0, 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4), (6,), ()])
def test_kl_div_matches_pytorch(shape, log_target, reduction, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    logq = rng.standard_normal(shape)
    target = rng.standard_normal(shape) - 1.0 if log_target else rng.uniform(0.05, 1.0, shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # PyTorch's note about 'mean'
        _compare(lambda x, t: F.kl_div(x, t, reduction=reduction, log_target=log_target),
                 lambda x, t: torch.nn.functional.kl_div(x, t, reduction=reduction, log_target=log_target),
                 (logq, target), dtype, (0, 1))


def test_kl_div_mean_gives_pytorchs_value_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.kl_div(tg.tensor(np.log([[0.5, 0.5]])), tg.tensor([[0.25, 0.75]]))
    assert loss.item() == pytest.approx((0.25 * np.log(0.5) + 0.75 * np.log(1.5)) / 2)


def test_binary_cross_entropy_at_probabilities_0_and_1_matches_pytorch():
    """Each log is clamped at -100, and the input's gradient stays finite (PyTorch keeps the
    denominator x (1 - x) at least 1e-12); the target's is +-inf there, as in PyTorch."""
    torch = pytest.importorskip("torch")
    x = np.array([0.0, 1.0, 0.0, 1.0, 1e-30, 1 - 1e-15, 0.5])
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.5, 0.25, 0.5])
    mine = [tg.tensor(x, requires_grad=True), tg.tensor(y, requires_grad=True)]
    ref = [torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy warning about log(0)
        out = F.binary_cross_entropy(*mine, reduction="none")
        out.sum().backward()
    want = torch.nn.functional.binary_cross_entropy(*ref, reduction="none")
    want.sum().backward()
    np.testing.assert_allclose(out.numpy(), want.detach().numpy(), rtol=1e-12)
    assert out.numpy()[2] == out.numpy()[3] == 100.0
    np.testing.assert_allclose(mine[0].grad.numpy(), ref[0].grad.numpy(), rtol=1e-12)
    assert np.isfinite(mine[0].grad.numpy()).all()
    np.testing.assert_allclose(mine[1].grad.numpy(), ref[1].grad.numpy(), rtol=1e-12)


def test_binary_cross_entropy_of_a_saturated_float32_sigmoid_is_finite():
    logits = tg.tensor(np.array([-200.0, 40.0, 0.0], np.float32), requires_grad=True)
    p = logits.sigmoid()
    assert p.tolist()[:2] == [0.0, 1.0]
    loss = F.binary_cross_entropy(p, tg.tensor(np.array([1.0, 0.0, 1.0], np.float32)))
    loss.backward()
    assert loss.dtype == np.float32 and np.isfinite(loss.item())
    assert np.isfinite(logits.grad.numpy()).all()


def test_binary_cross_entropy_second_order_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x, y = rng.uniform(0.1, 0.9, (3, 4)), rng.uniform(0, 1, (3, 4))
    mx, my = tg.tensor(x, requires_grad=True), tg.tensor(y, requires_grad=True)
    tx, ty = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    gx, gy = tg.grad(F.binary_cross_entropy(mx, my), [mx, my], create_graph=True)
    hx, hy = torch.autograd.grad(torch.nn.functional.binary_cross_entropy(tx, ty), [tx, ty],
                                 create_graph=True)
    mine = tg.grad((gx * gx).sum() + (gx * gy).sum(), [mx, my])
    theirs = torch.autograd.grad((hx * hx).sum() + (hx * hy).sum(), [tx, ty])
    for a, b in zip(mine, theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10)


def test_kl_div_with_a_zero_target_counts_0_for_it_as_pytorch():
    torch = pytest.importorskip("torch")
    x, t = np.array([0.2, -0.3, 0.1]), np.array([0.0, 0.5, 0.5])
    mine = tg.tensor(x, requires_grad=True)
    ref = torch.tensor(x, requires_grad=True)
    out = F.kl_div(mine, tg.tensor(t), reduction="none")
    want = torch.nn.functional.kl_div(ref, torch.tensor(t), reduction="none")
    assert out.tolist()[0] == 0.0
    np.testing.assert_allclose(out.numpy(), want.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    want.sum().backward()
    np.testing.assert_allclose(mine.grad.numpy(), ref.grad.numpy(), rtol=1e-12)


def test_kl_div_batchmean_of_a_scalar_is_the_sum_and_of_an_empty_batch_nan():
    loss = F.kl_div(tg.tensor(0.3), tg.tensor(0.5), reduction="batchmean")
    assert loss.item() == pytest.approx(0.5 * (np.log(0.5) - 0.3))
    assert np.isnan(F.kl_div(tg.zeros(0, 3), tg.zeros(0, 3), reduction="batchmean").item())
    assert F.kl_div(tg.zeros(0, 3), tg.zeros(0, 3), reduction="sum").item() == 0.0


def test_smooth_l1_with_beta_0_is_l1_and_huber_is_smooth_l1_times_delta():
    rng = np.random.default_rng(7)
    x, y = (tg.tensor(a) for a in _apart(rng, (4, 6), [0.0, 0.7]))
    np.testing.assert_array_equal(F.smooth_l1_loss(x, y, beta=0.0).numpy(), F.l1_loss(x, y).numpy())
    np.testing.assert_allclose(F.huber_loss(x, y, delta=0.7).numpy(),
                               0.7 * F.smooth_l1_loss(x, y, beta=0.7).numpy(), rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("name", ["l1_loss", "smooth_l1_loss", "huber_loss", "kl_div"])
def test_mixed_float_dtypes_give_pytorchs_dtype(name, reduction):
    """float32 and float64 promote to float64, except that huber_loss keeps the input's dtype."""
    torch = pytest.importorskip("torch")
    for x, y in [(np.full(3, 0.25, np.float32), np.full(3, 0.5)), (np.full(3, 0.25), np.full(3, 0.5, np.float32))]:
        mine = tg.tensor(x, requires_grad=True), tg.tensor(y, requires_grad=True)
        ours = getattr(F, name)(*mine, reduction=reduction)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # PyTorch's note about kl_div's 'mean'
            theirs = getattr(torch.nn.functional, name)(torch.tensor(x), torch.tensor(y), reduction=reduction)
        assert str(theirs.dtype) == f"torch.{ours.dtype}"
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
        ours.sum().backward()
        assert mine[0].grad.dtype == x.dtype and mine[1].grad.dtype == y.dtype


def test_binary_cross_entropy_keeps_the_inputs_dtype_with_a_float64_weight():
    x, y = tg.tensor(np.array([0.25, 0.5], np.float32)), tg.tensor(np.array([1.0, 0.0], np.float32))
    loss = F.binary_cross_entropy(x, y, weight=tg.tensor([2.0, 1.0]))
    assert loss.dtype == np.float32
    assert loss.item() == pytest.approx((2 * np.log(4) + np.log(2)) / 2, rel=1e-6)



def test_binary_cross_entropy_gives_a_weight_that_requires_grad_its_gradient():
    """PyTorch refuses such a weight; here it is an ordinary factor of the loss."""
    x, y = tg.tensor([0.25, 0.5]), tg.tensor([1.0, 0.0])
    w = tg.tensor([2.0, 1.0], requires_grad=True)
    F.binary_cross_entropy(x, y, weight=w, reduction="sum").backward()
    np.testing.assert_allclose(w.grad.numpy(), [np.log(4), np.log(2)], rtol=1e-6)


# -- layers -----------------------------------------------------------------------------------
@pytest.mark.parametrize("layer, function", [
    (lambda: nn.L1Loss(reduction="sum"), lambda x, y: F.l1_loss(x, y, reduction="sum")),
    (lambda: nn.SmoothL1Loss(reduction="none", beta=0.5),
     lambda x, y: F.smooth_l1_loss(x, y, reduction="none", beta=0.5)),
    (lambda: nn.HuberLoss(delta=0.5), lambda x, y: F.huber_loss(x, y, delta=0.5)),
    (lambda: nn.BCELoss(weight=tg.tensor([1.0, 2.0, 3.0])),
     lambda x, y: F.binary_cross_entropy(x, y, weight=tg.tensor([1.0, 2.0, 3.0]))),
    (lambda: nn.KLDivLoss(reduction="batchmean", log_target=True),
     lambda x, y: F.kl_div(x, y, reduction="batchmean", log_target=True)),
])
def test_layers_call_their_functions(layer, function):
    rng = np.random.default_rng(8)
    x, y = tg.tensor(rng.uniform(0.1, 0.9, (2, 3))), tg.tensor(rng.uniform(0.1, 0.9, (2, 3)))
    np.testing.assert_array_equal(layer()(x, y).numpy(), function(x, y).numpy())
    assert repr(layer()) == f"{type(layer()).__name__}()"


def test_layers_match_pytorchs_layers():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    x, y, w = rng.uniform(0.1, 0.9, (3, 4)), rng.uniform(0.1, 0.9, (3, 4)), rng.uniform(0.5, 2, (4,))
    pairs = [(nn.L1Loss(), torch.nn.L1Loss()),
             (nn.SmoothL1Loss(beta=0.05), torch.nn.SmoothL1Loss(beta=0.05)),
             (nn.HuberLoss(reduction="sum", delta=0.05), torch.nn.HuberLoss(reduction="sum", delta=0.05)),
             (nn.BCELoss(tg.tensor(w)), torch.nn.BCELoss(torch.tensor(w))),
             (nn.KLDivLoss(reduction="batchmean"), torch.nn.KLDivLoss(reduction="batchmean"))]
    for ours, theirs in pairs:
        want = theirs(torch.tensor(x), torch.tensor(y)).item()
        assert ours(tg.tensor(x), tg.tensor(y)).item() == pytest.approx(want, rel=1e-12), ours


def test_bce_loss_keeps_its_weight_as_a_buffer():
    loss = nn.BCELoss(weight=tg.tensor([1.0, 3.0]))
    assert list(loss.state_dict()) == ["weight"] and list(loss.parameters()) == []
    assert "weight" not in nn.BCELoss().state_dict()
    model = nn.Sequential(nn.Sigmoid(), nn.BCELoss(weight=tg.tensor([2.0])))
    assert list(model.state_dict()) == ["1.weight"]


# -- bad input --------------------------------------------------------------------------------
def _pair(shape=(2, 3), value=0.5):
    return tg.full(shape, value), tg.full(shape, value)


@pytest.mark.parametrize("name", ["l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy", "kl_div"])
def test_bad_reduction_target_shape_and_types_are_refused(name):
    fn = getattr(F, name)
    allowed = "'mean', 'batchmean', 'sum' or 'none'" if name == "kl_div" else "'mean', 'sum' or 'none'"
    with pytest.raises(ValueError, match=f"{name}: reduction: expected {allowed}, got 'avg'"):
        fn(*_pair(), reduction="avg")
    if name != "kl_div":
        with pytest.raises(ValueError, match=f"{name}: reduction: expected .*, got 'batchmean'"):
            fn(*_pair(), reduction="batchmean")
    with pytest.raises(ValueError, match=rf"{name}: target: expected the input's shape \(2, 3\), got \(3,\)"):
        fn(tg.full((2, 3), 0.5), tg.full((3,), 0.5))
    with pytest.raises(ValueError, match=rf"{name}: target: expected the input's shape \(3,\), got \(2, 3\)"):
        fn(tg.full((3,), 0.5), tg.full((2, 3), 0.5))
    with pytest.raises(TypeError, match=f"{name}: input and target: expected Tensors, got list and Tensor"):
        fn([0.5], tg.tensor([0.5]))


@pytest.mark.parametrize("name", ["l1_loss", "smooth_l1_loss", "binary_cross_entropy", "kl_div"])
def test_deprecated_size_average_and_reduce_are_refused(name):
    fn = getattr(F, name)
    with pytest.raises(ValueError, match=f"{name}: size_average and reduce are deprecated"):
        fn(*_pair(), size_average=False)
    with pytest.raises(ValueError, match=f"{name}: size_average and reduce are deprecated"):
        fn(*_pair(), reduce=False)


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.binary_cross_entropy(tg.tensor([0.5, 1.5]), tg.tensor([1.0, 0.0])), ValueError,
     r"binary_cross_entropy: input: expected probabilities in \[0, 1\], got values in \[0.5, 1.5\]"),
    (lambda: F.binary_cross_entropy(tg.tensor([-0.25, 0.5]), tg.tensor([1.0, 0.0])), ValueError,
     r"binary_cross_entropy: input: expected probabilities in \[0, 1\], got values in \[-0.25, 0.5\]"),
    (lambda: F.binary_cross_entropy(tg.tensor([float("nan"), 0.5]), tg.tensor([1.0, 0.0])), ValueError,
     r"binary_cross_entropy: input: expected probabilities in \[0, 1\], got values in \[nan, nan\]"),
    (lambda: F.binary_cross_entropy(tg.tensor([0.5, 0.5]), tg.tensor([2.0, 0.0])), ValueError,
     r"binary_cross_entropy: target: expected probabilities in \[0, 1\], got values in \[0.0, 2.0\]"),
    (lambda: F.binary_cross_entropy(tg.tensor(np.array([0.5], np.float32)), tg.tensor(np.ones(1))), TypeError,
     r"binary_cross_entropy: target: expected the input's dtype float32, got float64"),
    (lambda: F.binary_cross_entropy(tg.tensor([1, 0]), tg.tensor([1, 0])), TypeError,
     r"binary_cross_entropy: input: expected a floating-point tensor, got dtype int64"),
    (lambda: F.binary_cross_entropy(*_pair(), weight=tg.ones(3, 3)), ValueError,
     r"binary_cross_entropy: weight: expected a shape that broadcasts to the input's \(2, 3\), got \(3, 3\)"),
    (lambda: F.binary_cross_entropy(*_pair(), weight=tg.ones(4, 2, 3)), ValueError,
     r"binary_cross_entropy: weight: expected a shape that broadcasts to the input's \(2, 3\), got \(4, 2, 3\)"),
    (lambda: F.binary_cross_entropy(*_pair(), weight=[1.0, 2.0, 3.0]), TypeError,
     r"binary_cross_entropy: weight: expected a Tensor, got list"),
    (lambda: F.smooth_l1_loss(*_pair(), beta=-0.5), ValueError,
     r"smooth_l1_loss: beta: expected a number >= 0, got -0.5"),
    (lambda: F.smooth_l1_loss(*_pair(), beta="1"), TypeError,
     r"smooth_l1_loss: beta: expected a real number, got str"),
    (lambda: F.huber_loss(*_pair(), delta=0.0), ValueError, r"huber_loss: delta: expected a number > 0, got 0.0"),
    (lambda: F.huber_loss(*_pair(), delta=-1), ValueError, r"huber_loss: delta: expected a number > 0, got -1.0"),
    (lambda: F.huber_loss(*_pair(), delta=float("nan")), ValueError, r"huber_loss: delta: expected a number > 0"),
    (lambda: F.huber_loss(*_pair(), delta=None), TypeError, r"huber_loss: delta: expected a real number, got NoneType"),
    (lambda: nn.SmoothL1Loss(beta=-1.0), ValueError, r"SmoothL1Loss: beta: expected a number >= 0, got -1.0"),
    (lambda: nn.HuberLoss(delta=0), ValueError, r"HuberLoss: delta: expected a number > 0, got 0.0"),
    (lambda: nn.L1Loss(reduction="batchmean"), ValueError,
     r"L1Loss: reduction: expected 'mean', 'sum' or 'none', got 'batchmean'"),
    (lambda: nn.BCELoss(reduction="avg"), ValueError, r"BCELoss: reduction: expected 'mean', 'sum' or 'none'"),
    (lambda: nn.KLDivLoss(reduction="avg"), ValueError,
     r"KLDivLoss: reduction: expected 'mean', 'batchmean', 'sum' or 'none', got 'avg'"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_refused_input_is_refused_before_any_op_is_recorded():
    from tinygrad_cnn import engine

    x = tg.tensor([0.5, 1.5], requires_grad=True)
    recorded = []
    with engine._hook(lambda ctx, out: recorded.append(type(ctx).__name__)):
        with pytest.raises(ValueError, match="binary_cross_entropy: input"):
            F.binary_cross_entropy(x, tg.tensor([1.0, 0.0]))
        F.binary_cross_entropy(x.clamp(max=1.0), tg.tensor([1.0, 0.0]))  # the hook does see ops
    assert recorded and "BinaryCrossEntropy" in recorded and recorded[0] == "Clamp"


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("beta", [1e-5, 1e-30])
def test_smooth_l1_loss_with_a_tiny_beta_stays_finite_as_in_pytorch(beta, dtype):
    torch = pytest.importorskip("torch")
    if dtype == np.float16 and beta < 1e-7:
        beta = 1e-7  # below float16's smallest subnormal both sides only see |d| >= beta
    d = np.array([0.0, 1e-6, 0.5, 2.0], dtype=dtype)
    ours = F.smooth_l1_loss(tg.tensor(d), tg.zeros(4, dtype=dtype), reduction="none", beta=beta)
    theirs = torch.nn.functional.smooth_l1_loss(torch.tensor(d), torch.zeros(4, dtype=getattr(torch, dtype.__name__)),
                                                reduction="none", beta=beta)
    assert np.isfinite(ours.numpy()).all()
    rtol, atol = {np.float16: (2e-3, 1e-7), np.float32: (1e-6, 0), np.float64: (1e-12, 0)}[dtype]
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=rtol, atol=atol)
