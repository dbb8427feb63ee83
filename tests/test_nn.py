"""nn.Module machinery and layers: registration, state dicts, modes, hooks, BatchNorm, Dropout."""

import math

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import Tensor, nn
from tinygrad_cnn.nn import functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 2, 3)
        self.bn = nn.BatchNorm2d(2)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(2 * 4 * 4, 3))

    def forward(self, x):
        return self.head(tg.relu(self.bn(self.conv1(x))))


def test_parameters_in_definition_order_and_pytorch_keys():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "conv1.weight", "conv1.bias", "bn.weight", "bn.bias", "head.1.weight", "head.1.bias"]
    assert list(net.state_dict()) == [
        "conv1.weight", "conv1.bias", "bn.weight", "bn.bias", "bn.running_mean",
        "bn.running_var", "bn.num_batches_tracked", "head.1.weight", "head.1.bias"]
    assert [n for n, _ in net.named_children()] == ["conv1", "bn", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "conv1", "bn", "head", "head.0", "head.1"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2


def test_state_dict_round_trip_with_numpy_and_tensors():
    tg.manual_seed(0)
    a, b = Net(), Net()
    x = tg.randn(2, 1, 6, 6)
    a(x)  # update BN running stats so buffers differ from the defaults
    a.eval(), b.eval()
    b.load_state_dict({k: v.numpy() for k, v in a.state_dict().items()})
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())
    assert int(b.bn.num_batches_tracked.item()) == 1
    c = Net().eval()
    c.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a(x).numpy(), c(x).numpy())


def test_load_state_dict_errors_name_keys_and_shapes():
    net = Net()
    state = {k: v.numpy() for k, v in net.state_dict().items()}
    del state["conv1.bias"]
    state["extra.weight"] = np.zeros(1)
    with pytest.raises(KeyError, match=r"missing keys: 'conv1.bias'.*unexpected keys: 'extra.weight'"):
        net.load_state_dict(state)
    missing, unexpected = net.load_state_dict(state, strict=False)
    assert missing == ["conv1.bias"] and unexpected == ["extra.weight"]
    bad = {k: v.numpy() for k, v in net.state_dict().items()}
    bad["head.1.weight"] = np.zeros((3, 5))
    with pytest.raises(ValueError, match=r"head\.1\.weight.*\(3, 5\).*\(3, 32\)"):
        net.load_state_dict(bad)


def test_load_keeps_parameter_objects_and_dtype():
    lin = nn.Linear(2, 2)
    w = lin.weight
    lin.load_state_dict({"weight": np.ones((2, 2), dtype=np.float64), "bias": np.zeros(2)})
    assert lin.weight is w and w.dtype == np.float32 and w.numpy().tolist() == [[1, 1], [1, 1]]


def test_train_eval_requires_grad_and_zero_grad():
    net = Net()
    assert net.training and net.head[1].training
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net(tg.randn(2, 1, 6, 6)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(float(abs(p.grad.numpy()).sum()) == 0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_forward_hook_and_remove():
    calls = []
    lin = nn.Linear(3, 2)
    seq = nn.Sequential(lin, nn.ReLU())
    handle = lin.register_forward_hook(lambda m, inp, out: calls.append((m, inp[0].shape, out.shape)))
    seq(tg.ones(4, 3))
    assert calls == [(lin, (4, 3), (4, 2))]
    handle.remove()
    seq(tg.ones(4, 3))
    assert len(calls) == 1


def test_repr_like_pytorch():
    assert repr(nn.Sequential(nn.Conv2d(1, 6, 5), nn.MaxPool2d(2))) == (
        "Sequential(\n  (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))\n"
        "  (1): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n)")
    assert repr(nn.BatchNorm1d(4)) == (
        "BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)")


def test_module_to_device_keeps_parameters(device):
    lin = nn.Linear(3, 2)
    w = lin.weight
    lin.to(device)
    assert lin.weight is w and w.device == tg.get_device(device)
    out = lin(tg.Tensor(np.ones((4, 3), np.float32), device=device))
    out.sum().backward()
    assert out.device == tg.get_device(device) and w.grad.device == tg.get_device(device)


def test_default_init_bounds():
    tg.manual_seed(0)
    lin = nn.Linear(400, 120)
    bound = 1 / math.sqrt(400)
    w, b = lin.weight.numpy(), lin.bias.numpy()
    assert abs(w).max() <= bound and abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    conv = nn.Conv2d(6, 16, 5)
    assert abs(conv.weight.numpy()).max() <= 1 / math.sqrt(150)


def _bn_reference(x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps), mean.ravel(), x.var(axis=axes, ddof=1).ravel()


@pytest.mark.parametrize("cls,shape,axes", [
    (nn.BatchNorm1d, (8, 3), (0,)), (nn.BatchNorm1d, (4, 3, 5), (0, 2)),
    (nn.BatchNorm2d, (4, 3, 5, 5), (0, 2, 3))])
def test_batchnorm_train_and_eval_as_pytorch(cls, shape, axes, device):
    rng = np.random.default_rng(0)
    bn = cls(3, momentum=0.2).to(device)
    w, b = rng.normal(size=3).astype(np.float32), rng.normal(size=3).astype(np.float32)
    bn.load_state_dict({"weight": w, "bias": b}, strict=False)
    bshape = (1, 3) + (1,) * (len(shape) - 2)
    running_mean, running_var = np.zeros(3), np.ones(3)
    for _ in range(2):
        x = (rng.normal(size=shape) * 3 + 1).astype(np.float32)
        out = bn(tg.Tensor(x, device=device)).numpy()
        xhat, mean, var_unbiased = _bn_reference(x.astype(np.float64), axes, 1e-5)
        np.testing.assert_allclose(out, xhat * w.reshape(bshape) + b.reshape(bshape), atol=1e-4)
        running_mean = 0.8 * running_mean + 0.2 * mean
        running_var = 0.8 * running_var + 0.2 * var_unbiased
        np.testing.assert_allclose(bn.running_mean.numpy(), running_mean, rtol=1e-5)
        np.testing.assert_allclose(bn.running_var.numpy(), running_var, rtol=1e-5)
    assert int(bn.num_batches_tracked.item()) == 2
    bn.eval()
    x = rng.normal(size=shape).astype(np.float32)
    out = bn(tg.Tensor(x, device=device)).numpy()
    ref = (x - running_mean.reshape(bshape)) / np.sqrt(running_var.reshape(bshape) + 1e-5)
    np.testing.assert_allclose(out, ref * w.reshape(bshape) + b.reshape(bshape), atol=1e-4)
    np.testing.assert_allclose(bn.running_mean.numpy(), running_mean, rtol=1e-5)  # unchanged


def test_batchnorm_cumulative_average_and_no_tracking():
    rng = np.random.default_rng(1)
    bn = nn.BatchNorm1d(2, momentum=None)
    xs = [rng.normal(size=(6, 2)).astype(np.float32) for _ in range(3)]
    for x in xs:
        bn(tg.Tensor(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([x.mean(0) for x in xs], 0), rtol=1e-5)
    free = nn.BatchNorm1d(2, affine=False, track_running_stats=False).eval()
    assert list(free.state_dict()) == []
    np.testing.assert_allclose(free(tg.Tensor(xs[0])).numpy(), _bn_reference(xs[0], (0,), 1e-5)[0],
                               atol=1e-5)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(tg.ones(1, 2))
    with pytest.raises(ValueError, match="more than 1 value per channel"):  # eval, batch statistics
        free(tg.ones(1, 2))
    assert nn.BatchNorm1d(2, eps=0.0).eps == 0.0  # allowed, as in PyTorch


def test_batchnorm_gradients():
    rng = np.random.default_rng(2)
    bn = nn.BatchNorm2d(2, dtype=np.float64)
    bn.weight.data[...] = rng.normal(size=2)
    x = tg.Tensor(rng.normal(size=(3, 2, 2, 2)), requires_grad=True)
    assert tg.gradcheck(lambda t: bn(t), x)
    c = rng.normal(size=(3, 2, 2, 2))
    (bn(tg.Tensor(x.data)) * tg.Tensor(c)).sum().backward()
    xhat = _bn_reference(x.numpy(), (0, 2, 3), 1e-5)[0]
    np.testing.assert_allclose(bn.weight.grad.numpy(), (xhat * c).sum((0, 2, 3)), rtol=1e-8)
    np.testing.assert_allclose(bn.bias.grad.numpy(), c.sum((0, 2, 3)), rtol=1e-8)


def test_dropout_train_vs_eval():
    tg.manual_seed(0)
    drop = nn.Dropout(0.25)
    x = tg.ones(100, 100)
    y = drop(x).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)
    drop.eval()
    np.testing.assert_array_equal(drop(x).numpy(), x.numpy())
    assert (nn.Dropout(0.0)(x).numpy() == 1).all()


def test_layers_shapes_and_values():
    tg.manual_seed(0)
    x = tg.randn(2, 3, 8, 8)
    assert nn.Conv2d(3, 4, 3, stride=2, padding=1)(x).shape == (2, 4, 4, 4)
    assert nn.ConvTranspose2d(3, 4, 2, stride=2)(x).shape == (2, 4, 16, 16)
    assert nn.Conv1d(3, 5, 3)(tg.randn(2, 3, 10)).shape == (2, 5, 8)
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 4, 4)
    assert nn.AvgPool2d(2)(x).shape == (2, 3, 4, 4)
    assert nn.MaxPool1d(2)(tg.randn(2, 3, 10)).shape == (2, 3, 5)
    assert nn.AvgPool1d(2)(tg.randn(2, 3, 10)).shape == (2, 3, 5)
    assert nn.AdaptiveAvgPool2d(1)(x).shape == (2, 3, 1, 1)
    assert nn.Flatten()(x).shape == (2, 192)
    xs = x.numpy()
    np.testing.assert_allclose(nn.ReLU()(x).numpy(), np.maximum(xs, 0))
    np.testing.assert_allclose(nn.LeakyReLU(0.1)(x).numpy(), np.where(xs > 0, xs, 0.1 * xs), rtol=1e-6)
    np.testing.assert_allclose(nn.Sigmoid()(x).numpy(), 1 / (1 + np.exp(-xs)), rtol=1e-5)
    np.testing.assert_allclose(nn.Tanh()(x).numpy(), np.tanh(xs), rtol=1e-5, atol=1e-6)
    sm = nn.Softmax(dim=1)(x).numpy()
    np.testing.assert_allclose(sm, np.exp(xs) / np.exp(xs).sum(1, keepdims=True), rtol=1e-5)


def test_identity_passes_its_input_and_ignores_constructor_arguments_as_pytorch():
    layer = nn.Identity(54, unused=0.1)
    x = Tensor([1.0, -2.0], requires_grad=True)
    assert layer(x) is x
    assert list(layer.parameters()) == [] and repr(layer) == "Identity()"
    (layer(x) * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_softmax_layers_without_dim_follow_pytorchs_implicit_dim():
    x = tg.randn(2, 3, 4)  # 3-D: dim 0; 2-D and 4-D: dim 1
    np.testing.assert_allclose(nn.Softmax()(x).numpy(), F.softmax(x, dim=0).numpy())
    np.testing.assert_allclose(nn.LogSoftmax()(x).numpy(), F.log_softmax(x, dim=0).numpy())
    y = tg.randn(2, 3, 4, 5)
    np.testing.assert_allclose(nn.Softmax()(y).numpy().sum(1), np.ones((2, 4, 5)), rtol=1e-6)


def test_pool_layers_take_pytorchs_arguments_in_pytorchs_order():
    x = tg.arange(25.0).reshape(1, 1, 5, 5)
    # nn.MaxPool2d(kernel, stride, padding, dilation, return_indices, ceil_mode)
    out, idx = nn.MaxPool2d(2, 2, 0, 1, True)(x)
    assert out.shape == (1, 1, 2, 2) and idx.tolist() == [[[[6, 8], [16, 18]]]]
    assert nn.MaxPool2d(2, 2, 0, 1, False, True)(x).shape == (1, 1, 3, 3)  # ceil_mode
    out1, idx1 = nn.MaxPool1d(2, return_indices=True)(tg.arange(6.0).reshape(1, 1, 6))
    assert out1.tolist() == [[[1.0, 3.0, 5.0]]] and idx1.tolist() == [[[1, 3, 5]]]
    assert nn.AvgPool2d(2, divisor_override=2)(x).tolist() == [[[[6.0, 10.0], [26.0, 30.0]]]]


@pytest.mark.parametrize("mode,np_mode", [("reflect", "reflect"), ("replicate", "edge"),
                                           ("circular", "wrap")])
@pytest.mark.parametrize("padding", [1, (2, 1), "same"])
def test_conv_padding_modes_pad_the_input_as_np_pad_does(mode, np_mode, padding):
    tg.manual_seed(0)
    conv = nn.Conv2d(2, 3, (3, 4), padding=padding, padding_mode=mode)
    x = tg.randn(2, 2, 6, 7)
    # 'same' for a (3, 4) kernel: 2 rows (1, 1) and 3 columns (1 before, 2 after), as in PyTorch.
    pads = {1: ((1, 1), (1, 1)), (2, 1): ((2, 2), (1, 1)), "same": ((1, 1), (1, 2))}[padding]
    padded = np.pad(x.numpy(), ((0, 0), (0, 0), *pads), mode=np_mode)
    want = F.conv2d(Tensor(padded), conv.weight, conv.bias).numpy()
    np.testing.assert_allclose(conv(x).numpy(), want, rtol=1e-5, atol=1e-6)
    assert f"padding_mode={mode}" in repr(conv)
    conv1 = nn.Conv1d(2, 3, 3, padding=2, padding_mode=mode)
    x1 = tg.randn(2, 2, 5)
    padded1 = np.pad(x1.numpy(), ((0, 0), (0, 0), (2, 2)), mode=np_mode)
    np.testing.assert_allclose(conv1(x1).numpy(), F.conv1d(Tensor(padded1), conv1.weight, conv1.bias).numpy(),
                               rtol=1e-5, atol=1e-6)


def test_padding_mode_set_on_a_built_layer_takes_effect_as_in_pytorch():
    tg.manual_seed(0)
    x = tg.randn(1, 2, 5, 5)
    built = nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect")
    changed = nn.Conv2d(2, 3, 3, padding=1)
    changed.load_state_dict(built.state_dict())
    zeros = changed(x).numpy()
    changed.padding_mode = "reflect"
    np.testing.assert_array_equal(changed(x).numpy(), built(x).numpy())
    assert not np.array_equal(zeros, built(x).numpy())


def test_padding_mode_errors_and_the_device_argument():
    with pytest.raises(ValueError, match="Conv2d: padding_mode: expected one of zeros, reflect, "
                                         "replicate, circular, got 'mirror'"):
        nn.Conv2d(1, 2, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="ConvTranspose2d: padding_mode: expected one of zeros, got 'reflect'"):
        nn.ConvTranspose2d(1, 2, 3, padding_mode="reflect")
    for layer in (nn.Linear(2, 3, device="strict"), nn.Conv2d(1, 2, 3, device="strict"),
                  nn.BatchNorm2d(3, device="strict")):
        assert all(str(t.device) == "strict" for t in [*layer.parameters(), *layer.buffers()])


def test_module_names_state_and_modes_as_in_pytorch():
    layer = nn.Linear(2, 3)
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        layer.register_buffer("weight", tg.zeros(3, 2))
    with pytest.raises(KeyError, match="attribute 'forward' already exists"):
        layer.register_parameter("forward", None)
    for bad in ("", "a.b"):
        with pytest.raises(KeyError, match="expected a non-empty name without dots"):
            layer.add_module(bad, nn.ReLU())
    result = layer.load_state_dict({"weight": tg.zeros(3, 2)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == []
    with pytest.raises(ValueError, match="train: mode: expected a bool, got 'x'"):
        layer.train("x")
    (layer(tg.ones(1, 2)).sum()).backward()
    grad = layer.weight.grad
    layer.zero_grad(set_to_none=False)  # in place: the same tensor, now zeros
    assert layer.weight.grad is grad and grad.tolist() == [[0.0, 0.0]] * 3


def test_module_dict_and_sequential_editing():
    heads = nn.ModuleDict({"a": nn.Linear(2, 3)})
    heads["b"] = nn.Linear(3, 1)
    assert list(heads) == ["a", "b"] and "b" in heads and len(heads) == 2
    assert list(heads.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]
    assert isinstance(heads.pop("b"), nn.Linear) and list(heads.keys()) == ["a"]
    with pytest.raises(KeyError, match="ModuleDict has no module 'zz'; it has \\['a'\\]"):
        heads["zz"]
    seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    seq.insert(1, nn.Tanh())
    assert [type(m).__name__ for m in seq] == ["Linear", "Tanh", "ReLU", "Linear"]
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "3.weight", "3.bias"]  # renumbered
    assert isinstance(seq.pop(0), nn.Linear) and isinstance(seq[0], nn.Tanh)
    del seq[0:2]
    seq.extend([nn.Sigmoid()])
    assert [type(m).__name__ for m in seq] == ["Linear", "Sigmoid"]
    with pytest.raises(IndexError, match=r"Sequential: index: expected an int in \[-2, 2\), got 5"):
        del seq[5]


def test_multi_line_extra_repr_is_indented():
    class Two(nn.Module):
        def extra_repr(self):
            return "k=1\nj=2"

    outer = Two()
    outer.child = nn.ReLU()
    assert repr(Two()) == "Two(\n  k=1\n  j=2\n)"
    assert repr(outer) == "Two(\n  k=1\n  j=2\n  (child): ReLU()\n)"


def test_conv2d_matches_loop_reference():
    tg.manual_seed(1)
    conv = nn.Conv2d(2, 3, 3, padding=1)
    x = tg.randn(1, 2, 4, 4)
    xp = np.pad(x.numpy()[0], ((0, 0), (1, 1), (1, 1)))
    w, b = conv.weight.numpy(), conv.bias.numpy()
    ref = np.zeros((3, 4, 4))
    for o in range(3):
        for i in range(4):
            for j in range(4):
                ref[o, i, j] = (xp[:, i:i + 3, j:j + 3] * w[o]).sum() + b[o]
    np.testing.assert_allclose(conv(x).numpy()[0], ref, rtol=1e-4, atol=1e-5)


def test_losses_match_numpy():
    rng = np.random.default_rng(3)
    logits, target = rng.normal(size=(5, 4)).astype(np.float32), rng.integers(0, 4, 5)
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    ce = nn.CrossEntropyLoss()(tg.Tensor(logits), tg.Tensor(target))
    assert abs(ce.item() + logp[np.arange(5), target].mean()) < 1e-5
    a, b = rng.normal(size=(3, 2)).astype(np.float32), rng.normal(size=(3, 2)).astype(np.float32)
    assert abs(nn.MSELoss()(tg.Tensor(a), tg.Tensor(b)).item() - ((a - b) ** 2).mean()) < 1e-6
    assert abs(nn.MSELoss(reduction="sum")(tg.Tensor(a), tg.Tensor(b)).item()
               - ((a - b) ** 2).sum()) < 1e-5


def test_containers():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.append(nn.ReLU())
    assert isinstance(layers[-1], nn.ReLU)
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert isinstance(seq[1:], nn.Sequential) and len(seq[1:]) == 2
    with pytest.raises(TypeError, match="cannot assign"):
        seq[0].weight = tg.ones(3, 2)


def test_clip_grad_norm():
    a = tg.Tensor([3.0, 0.0], requires_grad=True)
    b = tg.Tensor([0.0, 4.0], requires_grad=True)
    (a * a / 2).sum().backward()
    (b * b / 2).sum().backward()
    total = nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    assert abs(total.item() - 5.0) < 1e-6
    np.testing.assert_allclose(a.grad.numpy(), [0.6, 0], rtol=1e-5)
    np.testing.assert_allclose(b.grad.numpy(), [0, 0.8], rtol=1e-5)
    assert abs(nn.utils.clip_grad_norm_([a, b], 10.0).item() - 1.0) < 1e-5  # no change below


def test_optimizer_step_between_forward_and_backward_is_refused_through_linear():
    """nn.Linear saves its weight itself, so an update after the forward pass is detected."""
    from tinygrad_cnn import optim

    layer = nn.Linear(3, 2)
    opt = optim.SGD(layer.parameters(), lr=0.1)
    loss = layer(tg.ones(4, 3)).sum()
    loss.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match="Linear: an input needed for its gradient .* modified in place"):
        loss.backward()


def test_dropout2d_unfold_and_fold_layers_wrap_their_functions():
    x = tg.randn(2, 4, 5, 5)
    layer = nn.Dropout2d(0.5)
    tg.manual_seed(7)
    dropped = layer(x).numpy()
    tg.manual_seed(7)
    np.testing.assert_array_equal(dropped, F.dropout2d(x, 0.5).numpy())
    assert layer.eval()(x) is x
    cols = nn.Unfold((2, 3), padding=1, stride=2)(x)
    np.testing.assert_array_equal(cols.numpy(), F.unfold(x, (2, 3), padding=1, stride=2).numpy())
    back = nn.Fold((5, 5), (2, 3), padding=1, stride=2)(cols)
    np.testing.assert_array_equal(back.numpy(), F.fold(cols, (5, 5), (2, 3), padding=1, stride=2).numpy())
    assert list(nn.Unfold(2).parameters()) == [] and back.shape == x.shape


@pytest.mark.parametrize("make", [lambda d: nn.Linear(3, 2, device=d), lambda d: nn.Conv2d(1, 2, 3, device=d),
                                  lambda d: nn.BatchNorm1d(3, device=d)])
def test_layer_device_argument_takes_only_a_device(make):
    assert make("cpu").weight.device.type == "cpu"
    with pytest.raises(ValueError, match=r"device: expected 'cpu', 'cuda' or 'cuda:N', got 'float64'"):
        make("float64")  # Module.to would read it as a dtype; a layer's device= must not


# -- Sequential runs a ReLU before a max-pool as the pool before the ReLU ---------------------
def _tied_input(shape, dtype, rng):
    """Small integers (many ties, many windows at or below zero), with -0.0, +-inf and NaN."""
    x = rng.integers(-3, 3, size=shape).astype(dtype)
    flat = x.reshape(-1)
    picks = rng.choice(flat.size, size=4 * 4, replace=False)
    flat[picks[:4]] = -0.0
    flat[picks[4:8]] = np.inf
    flat[picks[8:12]] = -np.inf
    flat[picks[12:]] = np.nan
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("pool, shape", [
    (nn.MaxPool2d(2), (3, 4, 8, 8)),
    (nn.MaxPool2d(3, stride=1, padding=1), (2, 3, 7, 6)),
    (nn.MaxPool2d(3, stride=2, ceil_mode=True), (2, 3, 8, 9)),
    (nn.MaxPool2d((3, 2), stride=(3, 1), padding=(1, 0)), (2, 2, 7, 7)),
    (nn.MaxPool1d(2), (3, 4, 10)),
    (nn.MaxPool1d(3, stride=2, padding=1, ceil_mode=True), (2, 3, 12)),
])
def test_sequential_relu_then_max_pool_keeps_values_and_gradients_bit_for_bit(pool, shape, dtype):
    rng = np.random.default_rng(7)
    data = _tied_input(shape, dtype, rng)
    x_seq, x_ref = Tensor(data, requires_grad=True), Tensor(data.copy(), requires_grad=True)
    out = nn.Sequential(nn.ReLU(), pool)(x_seq)
    ref = pool.forward(F.relu(x_ref))  # the written order, op by op
    assert out.grad_fn.name == "ReLU"  # the pair ran in the other order
    np.testing.assert_array_equal(out.numpy().view(f"u{data.itemsize}"), ref.numpy().view(f"u{data.itemsize}"))
    cotangent = rng.standard_normal(out.shape).astype(dtype)
    out.backward(Tensor(cotangent))
    ref.backward(Tensor(cotangent))
    np.testing.assert_array_equal(x_seq.grad.numpy().view(f"u{data.itemsize}"),
                                  x_ref.grad.numpy().view(f"u{data.itemsize}"))
    assert np.count_nonzero(x_seq.grad.numpy()) > 0


def test_sequential_relu_then_max_pool_second_order():
    rng = np.random.default_rng(3)
    data = rng.standard_normal((2, 2, 6, 6))  # no ties, no zeros: gradcheck's finite differences hold
    net = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(18, 3), nn.Tanh()).double()
    x = Tensor(data, requires_grad=True)
    assert tg.gradcheck(net, x)
    assert tg.gradgradcheck(net, x)
    # and bit for bit against the written order, first and second order
    written = lambda t: net[2:](net[1].forward(F.relu(t)))  # noqa: E731
    cotangent = Tensor(rng.standard_normal((2, 3)))
    grads = []
    for fn in (net, written):
        t = Tensor(data, requires_grad=True)
        out = fn(t)
        (g,) = tg.grad(out, t, cotangent, create_graph=True)
        (gg,) = tg.grad((g * g).sum(), t)
        grads.append((out.numpy(), g.numpy(), gg.numpy()))
    assert net(x).grad_fn.name == "Tanh" and net[:2](x).grad_fn.name == "ReLU"
    for ours, ref in zip(*grads):
        np.testing.assert_array_equal(ours.view(np.uint64), ref.view(np.uint64))


def test_relu_of_minus_zero_is_plus_zero_where_sequential_reorders():
    # The reordering is exact because relu never gives -0.0 in these dtypes (float16's
    # maximum keeps -0.0, so float16 keeps the written order, tested below).
    for dtype in (np.float32, np.float64):
        out = F.relu(Tensor(np.array([-0.0, 0.0, -1.0], dtype=dtype))).numpy()
        assert not np.signbit(out).any()


def test_sequential_keeps_the_written_order_for_hooks_indices_and_other_layers():
    x = tg.tensor([[[[-1.0, -2.0, 3.0, 1.0], [-3.0, -4.0, 2.0, 5.0]]]], requires_grad=True)
    relu, pool = nn.ReLU(), nn.MaxPool2d(2)
    seen = []
    handle = relu.register_forward_hook(lambda m, inp, out: seen.append(out.shape))
    out = nn.Sequential(relu, pool)(x)
    assert seen == [(1, 1, 2, 4)] and out.grad_fn.name == "MaxPool2d"
    handle.remove()
    handle = pool.register_forward_pre_hook(lambda m, inp: seen.append(inp[0].shape))
    nn.Sequential(relu, pool)(x)
    assert seen[-1] == (1, 1, 2, 4)
    handle.remove()
    # With indices the pool must see the ReLU's zeros: the first cell of an all-negative
    # window wins, where the pool first would name the largest negative value.
    out, idx = nn.Sequential(nn.ReLU(), nn.MaxPool2d(2, return_indices=True))(x)
    assert out.tolist() == [[[[0.0, 5.0]]]] and idx.tolist() == [[[[0, 7]]]]
    # A subclass may compute something else, so only the plain layers trade places.
    class Shifted(nn.ReLU):
        def forward(self, t):
            return super().forward(t) + 1.0
    assert nn.Sequential(Shifted(), nn.MaxPool2d(2))(x).tolist() == [[[[1.0, 6.0]]]]
    assert nn.Sequential(nn.ReLU(), nn.AvgPool2d(2))(x).grad_fn.name != "ReLU"


def test_sequential_keeps_the_written_order_where_the_orders_could_differ():
    def run(net, data, **kw):
        return net(Tensor(data, **kw))
    relu_pool = lambda **kw: nn.Sequential(nn.ReLU(), nn.MaxPool2d(**kw))  # noqa: E731
    # float16: relu(-0.0) is -0.0 there, and a window [-1, -0.0] would pool to -0.0 first.
    data = np.array([[[[-1.0, -0.0]]]], dtype=np.float16)
    out = run(relu_pool(kernel_size=(1, 2)), data)
    assert out.grad_fn is None and not np.signbit(out.numpy()).any()
    out = run(relu_pool(kernel_size=(1, 2)), data, requires_grad=True)
    assert out.grad_fn.name == "MaxPool2d"
    # Dilation with padding: a window of padding only pools to -inf as written; the pool and
    # then the ReLU would give 0.
    pool1d = nn.Sequential(nn.ReLU(), nn.MaxPool1d(2, padding=1, dilation=3))
    assert run(pool1d, np.array([[[-1.0, -2.0]]], dtype=np.float32)).tolist() == [[[-np.inf]]]
    # Integers and bools keep the written order (ReLU's type rules, then the pool).
    ints = run(relu_pool(kernel_size=2), np.array([[[[-1, 2], [3, -4]]]]), requires_grad=False)
    assert ints.tolist() == [[[[3]]]]
    # Anomaly detection checks each op's output as written: a window of -inf is 0 after the
    # ReLU, not an Inf out of the pool.
    with tg.detect_anomaly():
        out = run(relu_pool(kernel_size=2), np.full((1, 1, 2, 2), -np.inf, np.float32),
                  requires_grad=True)
    assert out.tolist() == [[[[0.0]]]] and out.grad_fn.name == "MaxPool2d"
    # A forward set on the instance, and hooks on either side, keep the written order too.
    relu, pool = nn.ReLU(), nn.MaxPool2d(2)
    relu.forward = lambda t: -t
    assert run(nn.Sequential(relu, pool), np.array([[[[-4.0, 1.0], [2.0, 3.0]]]])).tolist() == [[[[4.0]]]]
    for module in (nn.ReLU(), nn.MaxPool2d(2)):
        for register in (module.register_forward_hook, module.register_forward_pre_hook):
            handle = register(lambda *args: None)
            pair = nn.Sequential(module, nn.MaxPool2d(2)) if isinstance(module, nn.ReLU) else \
                nn.Sequential(nn.ReLU(), module)
            out = run(pair, np.ones((1, 1, 2, 2), np.float32), requires_grad=True)
            assert out.grad_fn.name == "MaxPool2d"
            handle.remove()
            assert run(pair, np.ones((1, 1, 2, 2), np.float32), requires_grad=True).grad_fn.name == "ReLU"


def test_sequential_keeps_the_written_order_off_numpy():
    # Only NumPy's maximum is known to give +0.0 for relu(-0.0); the strict device (and CuPy)
    # run the layers as written.
    x = tg.tensor(np.array([[[[-1.0, 2.0], [3.0, -4.0]]]], dtype=np.float32), device="strict",
                  requires_grad=True)
    assert nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))(x).grad_fn.name == "MaxPool2d"
