"""F.batch_norm, F.instance_norm, F.layer_norm, F.group_norm, F.normalize and the LayerNorm and
GroupNorm layers: values and gradients against PyTorch, running-statistic updates, the layers'
parameters, state dicts and reprs, and every bad-input error. Finite-difference checks (first
and second order) are rows of the op table (tests/cases/normalization.py)."""

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import nn


def _compare_with_torch(ours, theirs, *arrays, atol=1e-10):
    """Run ``ours`` on tinygrad_cnn tensors and ``theirs`` on torch tensors made from the same
    float64 arrays (None stays None); compare the outputs and the gradients of every input
    for one random cotangent."""
    torch = pytest.importorskip("torch")
    mine = [None if a is None else tg.Tensor(a, requires_grad=True) for a in arrays]
    ref = [None if a is None else torch.tensor(a, requires_grad=True) for a in arrays]
    out, want = ours(*mine), theirs(*ref)
    np.testing.assert_allclose(out.numpy(), want.detach().numpy(), atol=atol, rtol=1e-9)
    cotangent = np.random.default_rng(99).standard_normal(out.shape)
    live = [t for t in mine if t is not None]
    grads = tg.grad(out, live, grad_outputs=tg.Tensor(cotangent))
    want_grads = torch.autograd.grad(want, [t for t in ref if t is not None], torch.tensor(cotangent))
    for g, w in zip(grads, want_grads):
        np.testing.assert_allclose(g.numpy(), w.numpy(), atol=atol, rtol=1e-9)


def _input_weight_bias(x_shape, affine_shape, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(x_shape) * 3 + 1, rng.standard_normal(affine_shape),
            rng.standard_normal(affine_shape))


@pytest.mark.parametrize("normalized_shape", [(5,), (4, 5), (3, 4, 5)])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_over_the_last_dims_of_nchw_matches_pytorch(normalized_shape, affine):
    torch = pytest.importorskip("torch")
    x, w, b = _input_weight_bias((2, 3, 4, 5), normalized_shape)
    if not affine:
        w = b = None
    _compare_with_torch(lambda x, w, b: F.layer_norm(x, normalized_shape, w, b, eps=1e-3),
                        lambda x, w, b: torch.nn.functional.layer_norm(x, normalized_shape, w, b, eps=1e-3),
                        x, w, b)


def test_layer_norm_takes_an_int_and_weight_or_bias_alone():
    torch = pytest.importorskip("torch")
    x, w, b = _input_weight_bias((3, 4), (4,))
    _compare_with_torch(lambda x, w: F.layer_norm(x, 4, w), lambda x, w: torch.nn.functional.layer_norm(x, (4,), w),
                        x, w)
    _compare_with_torch(lambda x, b: F.layer_norm(x, [4], bias=b),
                        lambda x, b: torch.nn.functional.layer_norm(x, [4], bias=b), x, b)


@pytest.mark.parametrize("groups", [1, 2, 4])
@pytest.mark.parametrize("shape", [(2, 4, 3, 3), (3, 4, 5), (2, 4)])
def test_group_norm_with_one_some_and_channel_many_groups_matches_pytorch(groups, shape):
    torch = pytest.importorskip("torch")
    x, w, b = _input_weight_bias(shape, (4,), seed=groups)
    _compare_with_torch(lambda x, w, b: F.group_norm(x, groups, w, b),
                        lambda x, w, b: torch.nn.functional.group_norm(x, groups, w, b), x, w, b)
    _compare_with_torch(lambda x: F.group_norm(x, groups, eps=0.1),
                        lambda x: torch.nn.functional.group_norm(x, groups, eps=0.1), x)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 4)])
def test_batch_norm_training_and_eval_update_the_running_statistics_as_pytorch(shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    ours = tg.Tensor(rng.uniform(-1, 1, 3)), tg.Tensor(rng.uniform(0.5, 2, 3))
    theirs = torch.tensor(ours[0].numpy()), torch.tensor(ours[1].numpy())
    for step, momentum in enumerate([0.1, 0.5, 1.0]):
        x, w, b = _input_weight_bias(shape, (3,), seed=step)
        _compare_with_torch(
            lambda x, w, b, m=momentum: F.batch_norm(x, *ours, w, b, training=True, momentum=m),
            lambda x, w, b, m=momentum: torch.nn.functional.batch_norm(x, *theirs, w, b, training=True, momentum=m),
            x, w, b)
        for mine, ref in zip(ours, theirs):  # moved in place, by the same amounts
            np.testing.assert_allclose(mine.numpy(), ref.numpy(), rtol=1e-10)
    before = [t.numpy().copy() for t in ours]
    x, w, b = _input_weight_bias(shape, (3,), seed=7)
    for affine in (True, False):
        _compare_with_torch(lambda x, w, b: F.batch_norm(x, *ours, w, b, eps=1e-3),
                            lambda x, w, b: torch.nn.functional.batch_norm(x, *theirs, w, b, eps=1e-3),
                            x, *((w, b) if affine else (None, None)))
    for mine, old in zip(ours, before):  # eval leaves them alone
        np.testing.assert_array_equal(mine.numpy(), old)


def test_batch_norm_without_running_statistics_and_with_weight_or_bias_alone():
    torch = pytest.importorskip("torch")
    x, w, b = _input_weight_bias((5, 2, 3), (2,))
    _compare_with_torch(lambda x: F.batch_norm(x, None, None, training=True),
                        lambda x: torch.nn.functional.batch_norm(x, None, None, training=True), x)
    mean, var = np.array([0.5, -1.0]), np.array([2.0, 0.25])
    _compare_with_torch(lambda x, w: F.batch_norm(x, tg.Tensor(mean), tg.Tensor(var), w),
                        lambda x, w: torch.nn.functional.batch_norm(x, torch.tensor(mean), torch.tensor(var), w),
                        x, w)
    _compare_with_torch(lambda x, b: F.batch_norm(x, tg.Tensor(mean), tg.Tensor(var), bias=b),
                        lambda x, b: torch.nn.functional.batch_norm(x, torch.tensor(mean), torch.tensor(var),
                                                                    bias=b), x, b)


@pytest.mark.parametrize("call", [
    lambda x, m, v: F.batch_norm(x, m, v, training=True),
    lambda x, m, v: F.instance_norm(x.reshape(2, 3, 2), m, v),
])
def test_running_statistics_in_memory_they_cannot_own_are_refused_before_any_write(call):
    """Updating a broadcast view in place would write one value for all channels (NumPy
    refuses it only after the other statistic was written): both are checked first."""
    mean, var = tg.zeros(3), tg.ones(1).expand(3)
    with pytest.raises(RuntimeError, match=r"running_var: the tensor's memory is read-only or shared "
                                           r"between its elements \(an expand or broadcast view\)"):
        call(tg.randn(4, 3), mean, var)
    assert mean.tolist() == [0.0, 0.0, 0.0] and mean._version == 0
    out = F.batch_norm(tg.randn(4, 3), mean, var)  # eval reads them: no write, no refusal
    assert out.shape == (4, 3)


def test_running_statistics_count_a_version_and_the_layers_call_the_function():
    mean, var = tg.zeros(2), tg.ones(2)
    versions = mean._version, var._version
    F.batch_norm(tg.randn(4, 2), mean, var, training=True)
    assert (mean._version, var._version) == (versions[0] + 1, versions[1] + 1)
    bn = nn.BatchNorm1d(2, momentum=0.3)
    x = tg.randn(6, 2) * 2
    m, v = tg.zeros(2), tg.ones(2)
    np.testing.assert_array_equal(bn(x).numpy(), F.batch_norm(x, m, v, bn.weight, bn.bias, True, 0.3).numpy())
    np.testing.assert_array_equal(bn.running_mean.numpy(), m.numpy())
    np.testing.assert_array_equal(bn.running_var.numpy(), v.numpy())


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("cls, shape", [("BatchNorm1d", (8, 3)), ("BatchNorm1d", (4, 3, 5)),
                                        ("BatchNorm2d", (4, 3, 3, 3))])
def test_batch_norm_layers_still_match_pytorch(cls, shape, momentum):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, cls)(3, momentum=momentum), getattr(torch.nn, cls)(3, momentum=momentum)
    rng = np.random.default_rng(5)
    for step in range(3):
        x = (rng.standard_normal(shape) * 2 + step).astype(np.float32)
        np.testing.assert_allclose(ours(tg.Tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                                   atol=1e-5)
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name].numpy(), value.numpy(), rtol=1e-5)
    x = rng.standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(ours.eval()(tg.Tensor(x)).numpy(), theirs.eval()(torch.tensor(x)).detach().numpy(),
                               atol=1e-5)


@pytest.mark.parametrize("shape", [(2, 3, 4), (3, 3, 2, 3)])
def test_instance_norm_matches_pytorch_with_and_without_running_statistics(shape):
    torch = pytest.importorskip("torch")
    x, w, b = _input_weight_bias(shape, (3,))
    _compare_with_torch(lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
                        lambda x, w, b: torch.nn.functional.instance_norm(x, weight=w, bias=b), x, w, b)
    ours, theirs = (tg.zeros(3, dtype="float64"), tg.ones(3, dtype="float64")), (torch.zeros(3), torch.ones(3))
    theirs = tuple(t.double() for t in theirs)
    _compare_with_torch(lambda x: F.instance_norm(x, *ours, momentum=0.3),
                        lambda x: torch.nn.functional.instance_norm(x, *theirs, momentum=0.3), x)
    for mine, ref in zip(ours, theirs):  # moved towards the average over the samples
        np.testing.assert_allclose(mine.numpy(), ref.numpy(), rtol=1e-10)
    _compare_with_torch(lambda x, w: F.instance_norm(x, *ours, w, use_input_stats=False),
                        lambda x, w: torch.nn.functional.instance_norm(x, *theirs, w, use_input_stats=False),
                        x, w)


@pytest.mark.parametrize("p", [2, 1, float("inf"), 3, 0.5, 0])
@pytest.mark.parametrize("dim", [1, -1, 0])
def test_normalize_matches_pytorch(p, dim):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.permutation(np.linspace(0.2, 3, 24)).reshape(2, 3, 4) * rng.choice([-1, 1], (2, 3, 4))
    _compare_with_torch(lambda x: F.normalize(x, p, dim), lambda x: torch.nn.functional.normalize(x, p, dim), x)


@pytest.mark.parametrize("p", [2, 1, float("inf"), 3, 0.5, 0])
def test_normalize_leaves_zeros_zero_with_pytorchs_finite_gradients(p):
    """A slice of zeros (and, for p < 1, single zeros) would give 0 * inf = NaN through a root."""
    torch = pytest.importorskip("torch")
    x = np.array([[0.0, 0.0, 0.0], [0.0, 1e-3, 2.0], [1.5, -0.5, 0.0]])
    _compare_with_torch(lambda x: F.normalize(x, p), lambda x: torch.nn.functional.normalize(x, p), x,
                        atol=1e-12)
    assert F.normalize(tg.tensor(-3.0), dim=0).item() == -1.0  # a 0-d tensor, as in PyTorch
    assert F.normalize(tg.ones(2, 3)).dtype == np.float32


def test_layer_and_group_norm_layers_match_pytorchs():
    torch = pytest.importorskip("torch")
    pairs = [(nn.LayerNorm(5), torch.nn.LayerNorm(5)),
             (nn.LayerNorm([4, 5], eps=1e-3, bias=False), torch.nn.LayerNorm([4, 5], eps=1e-3, bias=False)),
             (nn.LayerNorm((5,), elementwise_affine=False), torch.nn.LayerNorm((5,), elementwise_affine=False)),
             (nn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4)),
             (nn.GroupNorm(4, 4, affine=False), torch.nn.GroupNorm(4, 4, affine=False)),
             (nn.GroupNorm(1, 4, bias=False), torch.nn.GroupNorm(1, 4, bias=False))]
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((2, 4, 4, 5)) * 2 + 1).astype(np.float32)
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        state = theirs.state_dict()
        assert list(ours.state_dict()) == list(state)
        for name, value in state.items():  # PyTorch's initial values: ones and zeros
            np.testing.assert_array_equal(ours.state_dict()[name].numpy(), value.numpy())
        random_state = {k: rng.standard_normal(tuple(v.shape)).astype(np.float32) for k, v in state.items()}
        ours.load_state_dict(random_state)
        theirs.load_state_dict({k: torch.tensor(v) for k, v in random_state.items()})
        xt = torch.tensor(x, requires_grad=True)
        want = theirs(xt)
        xs = tg.Tensor(x, requires_grad=True)
        out = ours(xs)
        np.testing.assert_allclose(out.numpy(), want.detach().numpy(), atol=1e-5)
        np.testing.assert_allclose(ours.eval()(tg.Tensor(x)).numpy(), out.numpy())  # no mode dependence
        cotangent = rng.standard_normal(x.shape).astype(np.float32)
        out.backward(tg.Tensor(cotangent))
        want.backward(torch.tensor(cotangent))
        np.testing.assert_allclose(xs.grad.numpy(), xt.grad.numpy(), atol=1e-4)
        for (name, param), (_, ref) in zip(ours.named_parameters(), theirs.named_parameters()):
            np.testing.assert_allclose(param.grad.numpy(), ref.grad.numpy(), atol=1e-4, err_msg=name)


def test_layer_and_group_norm_layers_attributes_reset_and_device():
    ln, gn = nn.LayerNorm(3), nn.GroupNorm(3, 6)
    assert (ln.normalized_shape, ln.eps, ln.elementwise_affine) == ((3,), 1e-5, True)
    assert (gn.num_groups, gn.num_channels, gn.eps, gn.affine) == (3, 6, 1e-5, True)
    assert nn.LayerNorm(3, bias=False).bias is None and nn.LayerNorm(3, elementwise_affine=False).weight is None
    assert nn.GroupNorm(3, 6, affine=False).weight is None and nn.GroupNorm(3, 6, bias=False).bias is None
    for layer in (ln, gn):
        nn.init.zeros_(layer.weight)
        nn.init.ones_(layer.bias)
        layer.reset_parameters()
        assert set(layer.weight.tolist()) == {1.0} and set(layer.bias.tolist()) == {0.0}
    for layer in (nn.LayerNorm(3, device="strict"), nn.GroupNorm(1, 2, device="strict", dtype=np.float64)):
        assert all(str(t.device) == "strict" for t in layer.parameters())
    assert nn.GroupNorm(1, 2, dtype=np.float64).weight.dtype == np.float64
    assert nn.GroupNorm(2, 4)(tg.randn(1, 4, 3)).shape == (1, 4, 3)  # a batch of one is fine


def _x(*shape):
    return tg.ones(*shape)


@pytest.mark.parametrize("call, error, message", [
    # layer_norm
    (lambda: F.layer_norm(_x(2, 3), (4,)), ValueError,
     r"layer_norm: normalized_shape: expected the input's trailing dims to be \(4,\), got shape \(2, 3\)"),
    (lambda: F.layer_norm(_x(3), (1, 3)), ValueError,
     r"layer_norm: normalized_shape: expected the input's trailing dims to be \(1, 3\), got shape \(3,\)"),
    (lambda: F.layer_norm(_x(2, 3), ()), ValueError,
     r"layer_norm: normalized_shape: expected an int or a non-empty tuple of ints >= 0, got \(\)"),
    (lambda: F.layer_norm(_x(2, 3), "3"), ValueError, r"layer_norm: normalized_shape: .*got '3'"),
    (lambda: F.layer_norm(_x(2, 3), (3,), weight=_x(2)), ValueError,
     r"layer_norm: weight: expected shape \(3,\) \(normalized_shape\), got \(2,\)"),
    (lambda: F.layer_norm(_x(2, 3), (3,), bias=[0.0, 0.0, 0.0]), TypeError,
     r"layer_norm: bias: expected a Tensor or None, got list"),
    (lambda: F.layer_norm(_x(2, 3), (3,), eps=-1.0), ValueError, r"layer_norm: eps: expected a number >= 0, got -1.0"),
    (lambda: F.layer_norm(tg.tensor([[1, 2]]), (2,)), TypeError,
     r"layer_norm: input: expected a floating-point tensor, got dtype int64"),
    (lambda: F.layer_norm(np.ones((2, 3)), (3,)), TypeError, r"layer_norm: input: expected a Tensor, got ndarray"),
    # group_norm
    (lambda: F.group_norm(_x(2, 6, 3), 4), ValueError,
     r"group_norm: num_groups: expected a divisor of the input's 6 channels \(shape \(2, 6, 3\)\), got 4"),
    (lambda: F.group_norm(_x(2, 6), 0), ValueError, r"group_norm: num_groups: expected an int >= 1, got 0"),
    (lambda: F.group_norm(_x(2, 6), 2.0), TypeError, r"group_norm: num_groups: expected an int, got float 2.0"),
    (lambda: F.layer_norm(_x(2, 3), (3,), eps="a"), TypeError, r"layer_norm: eps: expected a real number, got str 'a'"),
    (lambda: F.batch_norm(_x(2, 3), None, None, training=True, eps=None), TypeError,
     r"batch_norm: eps: expected a real number, got NoneType None"),
    (lambda: F.group_norm(_x(6), 1), ValueError,
     r"group_norm: input: expected at least 2 dims \(N, C, \*\), got shape \(6,\)"),
    (lambda: F.group_norm(_x(2, 6), 3, weight=_x(3)), ValueError,
     r"group_norm: weight: expected shape \(6,\) \(one value per channel, dim 1 of the input\), got \(3,\)"),
    # batch_norm
    (lambda: F.batch_norm(_x(2, 3), None, None), ValueError,
     r"batch_norm: running_mean and running_var: expected Tensors when the running statistics are used"),
    (lambda: F.batch_norm(_x(2, 3), _x(3), None, training=True), ValueError,
     r"batch_norm: running_mean and running_var: expected both or neither, got running_mean only"),
    (lambda: F.batch_norm(_x(2, 3), _x(4), _x(4)), ValueError,
     r"batch_norm: running_mean: expected shape \(3,\) \(one value per channel, dim 1 of the input\), got \(4,\)"),
    (lambda: F.batch_norm(_x(2, 3), _x(3), tg.ones(3, dtype="int64")), TypeError,
     r"batch_norm: running_var: expected a floating-point tensor, got dtype int64"),
    (lambda: F.batch_norm(_x(2, 3), _x(3).to("strict"), _x(3).to("strict")), RuntimeError,
     r"batch_norm: running_mean: expected a tensor on cpu \(the input's device\), got strict"),
    (lambda: F.batch_norm(_x(1, 3), _x(3), _x(3), training=True), ValueError,
     r"batch_norm: expected more than 1 value per channel when training, got input shape \(1, 3\)"),
    (lambda: F.batch_norm(_x(3), _x(3), _x(3)), ValueError,
     r"batch_norm: input: expected at least 2 dims \(N, C, \*\), got shape \(3,\)"),
    (lambda: F.batch_norm(_x(2, 3), None, None, bias=_x(2), training=True), ValueError,
     r"batch_norm: bias: expected shape \(3,\)"),
    (lambda: F.batch_norm(_x(2, 3), None, None, training=True, momentum=None), TypeError,
     r"batch_norm: momentum: expected a real number, got NoneType None"),
    # instance_norm
    (lambda: F.instance_norm(_x(2, 3)), ValueError,
     r"instance_norm: expected more than 1 spatial element per channel when using the input's statistics, "
     r"got input shape \(2, 3\)"),
    (lambda: F.instance_norm(_x(2, 3, 4), use_input_stats=False), ValueError,
     r"instance_norm: running_mean and running_var: expected Tensors"),
    # normalize
    (lambda: F.normalize(_x(2, 3), p=-1), ValueError, r"normalize: p: expected a number >= 0 or inf, got -1"),
    (lambda: F.normalize(_x(2, 3), p="2"), TypeError, r"normalize: p: expected a real number, got str '2'"),
    (lambda: F.normalize(_x(2, 3), p=float("nan")), ValueError,
     r"normalize: p: expected a number >= 0 or inf, got nan"),
    (lambda: F.normalize(_x(2, 3), dim=2), IndexError, r"normalize: dim: expected a dimension in \[-2, 1\], got 2"),
    (lambda: F.normalize(_x(2, 3), dim=(0, 1)), TypeError, r"normalize: dim: expected an int, got tuple \(0, 1\)"),
    (lambda: F.normalize(tg.tensor([1, 2])), TypeError, r"normalize: input: expected a floating-point tensor"),
    # layers
    (lambda: nn.GroupNorm(3, 4), ValueError, r"GroupNorm: num_channels: expected a multiple of num_groups=3, got 4"),
    (lambda: nn.GroupNorm(0, 4), ValueError, r"GroupNorm: num_groups: expected an int >= 1, got 0"),
    (lambda: nn.GroupNorm(2, 4)(_x(2, 6, 3)), ValueError,
     r"GroupNorm\(2, 4\): expected an \(N, 4, \*\) input, got shape \(2, 6, 3\)"),
    (lambda: nn.GroupNorm(2, 4, eps=-1), ValueError, r"GroupNorm: eps: expected a number >= 0, got -1"),
    (lambda: nn.LayerNorm(()), ValueError, r"LayerNorm: normalized_shape: expected an int or a non-empty tuple"),
    (lambda: nn.LayerNorm(4)(_x(2, 3)), ValueError,
     r"layer_norm: normalized_shape: expected the input's trailing dims to be \(4,\), got shape \(2, 3\)"),
])
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("call", [
    lambda F, x: F.batch_norm(x, None, None, training=True),
    lambda F, x: F.instance_norm(x),
    lambda F, x: F.layer_norm(x, (5, 5)),
    lambda F, x: F.group_norm(x, 2),
    lambda F, x: F.normalize(x, dim=1),
    lambda F, x: F.normalize(x, p=3, dim=1),
], ids=["batch_norm", "instance_norm", "layer_norm", "group_norm", "normalize", "normalize p=3"])
def test_float16_statistics_are_taken_in_float32_as_in_pytorch(call):
    """Sums of float16 overflow at 65504 and squares past 256: the statistics (and normalize's
    norms) are in float32."""
    torch = pytest.importorskip("torch")
    x = (np.random.default_rng(0).standard_normal((8, 4, 5, 5)) * 300).astype(np.float16)
    ours = call(F, tg.tensor(x))
    exact = call(torch.nn.functional, torch.tensor(x.astype(np.float64))).numpy()
    assert ours.dtype == np.float16
    np.testing.assert_allclose(ours.numpy().astype(np.float64), exact, atol=4e-3)


def test_outputs_keep_the_inputs_dtype_whatever_the_parameters_dtype():
    x = tg.tensor(np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32))
    wide = {"dtype": "float64"}
    assert F.batch_norm(x, tg.zeros(3, **wide), tg.ones(3, **wide)).dtype == np.float32  # eval
    assert F.batch_norm(x, tg.zeros(3, **wide), tg.ones(3, **wide), training=True).dtype == np.float32
    assert F.layer_norm(x, (3,), weight=tg.ones(3, **wide)).dtype == np.float32
    assert F.group_norm(x, 3, bias=tg.zeros(3, **wide)).dtype == np.float32


@pytest.mark.parametrize("call, shape", [
    (lambda F, x, w: F.batch_norm(x, None, None, w, training=True), (0, 4, 3, 3)),
    (lambda F, x, w: F.batch_norm(x, None, None, w, training=True), (2, 4, 0, 3)),
    (lambda F, x, w: F.instance_norm(x, weight=w), (2, 4, 0)),
    (lambda F, x, w: F.group_norm(x, 2, w), (0, 4, 3)),
    (lambda F, x, w: F.layer_norm(x, (4,), w), (0, 4)),
], ids=["batch_norm_no_samples", "batch_norm_no_pixels", "instance_norm", "group_norm", "layer_norm"])
def test_empty_inputs_give_empty_results_and_zero_weight_gradients_as_in_pytorch(call, shape):
    torch = pytest.importorskip("torch")
    x, w = tg.zeros(*shape, requires_grad=True), tg.ones(4, requires_grad=True)
    tx, tw = torch.zeros(*shape, requires_grad=True), torch.ones(4, requires_grad=True)
    out, expected = call(F, x, w), call(torch.nn.functional, tx, tw)
    assert out.shape == tuple(expected.shape)
    out.sum().backward()
    expected.sum().backward()
    assert x.grad.shape == shape and w.grad.tolist() == tw.grad.tolist() == [0.0] * 4


def test_batch_norm_layer_on_an_empty_batch_counts_it_and_keeps_its_statistics_as_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.BatchNorm2d(4), torch.nn.BatchNorm2d(4)
    assert ours(tg.zeros(0, 4, 3, 3)).shape == tuple(theirs(torch.zeros(0, 4, 3, 3)).shape)
    assert ours.num_batches_tracked.item() == theirs.num_batches_tracked.item() == 1
    assert ours.running_mean.tolist() == theirs.running_mean.tolist() == [0.0] * 4
    assert ours.running_var.tolist() == theirs.running_var.tolist() == [1.0] * 4
