"""Every class of bad input gets a clear error where the mistake is made, naming the
argument, what was expected and what came."""

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import Tensor, nn, optim
from tinygrad_cnn.data import DataLoader, TensorDataset


def _x(*shape, dtype=np.float32):
    return Tensor(np.ones(shape, dtype=dtype))


def _lenet_like():
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))


CASES = [
    # -- tensors: data, dtypes, grad ------------------------------------------------------
    ("non-numeric data", lambda: Tensor(["a"]), TypeError, r"data: expected numbers"),
    ("object data", lambda: Tensor({"a": 1}), TypeError, r"data: expected numbers"),
    ("int requires grad", lambda: Tensor([1, 2], requires_grad=True), TypeError,
     r"only floating-point tensors can require grad, got dtype int64"),
    ("bad dtype", lambda: Tensor([1.0], dtype="complex-ish"), TypeError, r"dtype"),
    ("bad device string", lambda: Tensor([1.0], device="gpu0"), ValueError,
     r"device: expected 'cpu', 'cuda' or 'cuda:N', got 'gpu0'"),
    ("mixed devices", lambda: _x(2) + _x(2).to("strict"), RuntimeError,
     r"Add: expected all inputs on one device, got cpu and strict"),
    ("mean of integers", lambda: Tensor([1, 2]).mean(), TypeError,
     r"mean: input: expected a floating-point tensor, got dtype int64 \(convert it first, e\.g\. input\.float\(\)\)"),
    ("manual_seed negative", lambda: tg.manual_seed(-1), ValueError,
     r"manual_seed: seed: expected a seed >= 0, got -1"),
    ("manual_seed bool", lambda: tg.manual_seed(True), TypeError,
     r"manual_seed: seed: expected a numpy.random.Generator or a seed \(.*\), got bool True"),
    ("manual_seed string", lambda: tg.manual_seed("a"), TypeError, r"manual_seed: seed: .* got str 'a'"),
    ("var of integers", lambda: Tensor(np.arange(3)).var(), TypeError,
     r"var: input: expected a floating-point tensor, got dtype int64 \(convert it first, e\.g\. input\.float\(\)\)"),
    # -- shapes and ranks -------------------------------------------------------------------
    ("broadcast mismatch", lambda: _x(2, 3) + _x(4), ValueError, r"Add: .*broadcast.*\(2, 3\), \(4,\)"),
    ("matmul inner dims", lambda: _x(2, 3) @ _x(2, 3), ValueError, r"inner dims differ"),
    ("reshape size", lambda: _x(2, 3).reshape(5), ValueError, r"cannot view shape \(2, 3\)"),
    ("reshape negative sizes", lambda: _x(2, 3, 4).reshape(-1, -2, -3), ValueError,
     r"cannot view shape \(2, 3, 4\) \(24 elements\) as \(-1, -2, -3\)"),
    ("reshape -1 beside a 0", lambda: _x(0, 3).reshape(-1, 0), ValueError,
     r"cannot view shape \(0, 3\) \(0 elements\) as \(-1, 0\)"),
    ("dim out of range", lambda: _x(2, 3).sum(dim=3), IndexError, r"dim: expected a dimension in \[-2, 1\], got 3"),
    ("max over a tuple of dims", lambda: _x(2, 3).max(dim=(0, 1)), TypeError,
     r"max: dim: expected an int or None, got \(0, 1\)"),
    ("argmax dim of a 0-d tensor", lambda: Tensor(3.0).argmax(dim=0), IndexError,
     r"argmax: dim=0 given for a 0-d tensor; use dim=None"),
    ("conv input rank", lambda: F.conv2d(_x(3, 3), _x(1, 1, 2, 2)), ValueError,
     r"conv2d: input: expected a 3-D or 4-D tensor .* got shape \(3, 3\)"),
    ("conv weight rank", lambda: F.conv2d(_x(1, 1, 5, 5), _x(2, 2)), ValueError,
     r"conv2d: weight: expected a 4-D tensor, got shape \(2, 2\)"),
    ("conv channel mismatch", lambda: F.conv2d(_x(1, 3, 5, 5), _x(2, 2, 3, 3)), ValueError,
     r"conv2d: channel mismatch: input has 3 channels, but weight .* expects 2"),
    ("conv groups", lambda: F.conv2d(_x(1, 3, 5, 5), _x(2, 1, 3, 3), groups=2), ValueError,
     r"conv2d: groups=2 must divide the input channels \(3\)"),
    ("conv kernel > input", lambda: F.conv2d(_x(1, 1, 2, 2), _x(1, 1, 3, 3)), ValueError,
     r"floor\(\(2 \+ 2\*0 - 1\*\(3-1\) - 1\)/1\) \+ 1 = 0 <= 0"),
    ("conv zero stride", lambda: F.conv2d(_x(1, 1, 5, 5), _x(1, 1, 3, 3), stride=0), ValueError,
     r"conv2d: stride: expected positive values, got \(0, 0\)"),
    ("conv negative dilation", lambda: F.conv2d(_x(1, 1, 5, 5), _x(1, 1, 3, 3), dilation=-1), ValueError,
     r"conv2d: dilation: expected positive values, got \(-1, -1\)"),
    ("pad mode", lambda: F.pad(_x(2, 3), (1, 1), "edge"), ValueError,
     r"pad: mode: expected one of constant, reflect, replicate, circular, got 'edge'"),
    ("pad value for reflect", lambda: F.pad(_x(2, 3), (1, 1), "reflect", 2.0), ValueError,
     r"pad: mode 'reflect' takes no value, got value=2.0"),
    ("reflect pad >= size", lambda: F.pad(_x(2, 3), (3, 0), "reflect"), ValueError,
     r"pad: mode 'reflect' pads dim 1 of size 3 by at most 2 on each side, got \(3, 0\)"),
    ("circular pad > size", lambda: F.pad(_x(2, 3), (0, 0, 0, 3), "circular"), ValueError,
     r"pad: mode 'circular' pads dim 0 of size 2 by at most 2 on each side, got \(0, 3\)"),
    ("pad of an array", lambda: F.pad(np.ones((2, 3)), (1, 1)), TypeError,
     r"pad: input: expected a Tensor, got ndarray"),
    ("pad of a list", lambda: F.pad([[1.0]], (1, 1)), TypeError, r"pad: input: expected a Tensor, got list"),
    ("pad widths not a tuple", lambda: F.pad(_x(2, 3), 1), TypeError,
     r"pad: pad: expected a tuple of ints, got int 1"),
    ("pad width a float", lambda: F.pad(_x(2, 3), (1.5, 1)), TypeError,
     r"pad: pad: expected an int, got float 1.5"),
    ("negative pad width", lambda: F.pad(_x(2, 3), (1, -1)), ValueError,
     r"pad: pad: expected an int >= 0, got -1"),
    ("constant pad layer of an array", lambda: nn.ConstantPad2d(1, 0.0)(np.ones((1, 2, 2))), TypeError,
     r"ConstantPad2d: input: expected a Tensor, got ndarray"),
    ("zero pad layer of a list", lambda: nn.ZeroPad1d(1)([1.0]), TypeError,
     r"ZeroPad1d: input: expected a Tensor, got list"),
    ("pool padding > half kernel", lambda: F.max_pool2d(_x(1, 1, 4, 4), 2, padding=2), ValueError,
     r"max_pool2d: padding should be at most half the kernel size, got padding=\(2, 2\)"),
    ("pool zero kernel", lambda: F.avg_pool2d(_x(1, 1, 4, 4), 0), ValueError,
     r"avg_pool2d: kernel_size: expected positive values, got \(0, 0\)"),
    ("linear features", lambda: F.linear(_x(2, 3), _x(4, 5)), ValueError,
     r"linear: input: expected last dim 5 \(weight's in_features\), got shape \(2, 3\)"),
    # -- losses -------------------------------------------------------------------------------
    ("label out of range", lambda: F.cross_entropy(_x(2, 3), Tensor([0, 3])), ValueError,
     r"cross_entropy: target: class labels must be in \[0, 2\] .* got values in \[0, 3\]"),
    ("negative label", lambda: F.cross_entropy(_x(2, 3), Tensor([0, -2])), ValueError,
     r"got values in \[-2, 0\]"),
    ("batch mismatch", lambda: F.cross_entropy(_x(2, 3), Tensor([0, 1, 2])), ValueError,
     r"cross_entropy: target: expected shape \(2,\) to match the input's batch .* got \(3,\)"),
    ("float class target", lambda: F.nll_loss(_x(2, 3), Tensor([0.0, 1.0])), ValueError,
     r"nll_loss: target: probabilities must have the input's shape \(2, 3\), got \(2,\)"),
    ("mse shape mismatch", lambda: F.mse_loss(_x(2, 3), _x(3, 2)), ValueError,
     r"mse_loss: target: expected the input's shape \(2, 3\), got \(3, 2\)"),
    ("bad reduction", lambda: F.mse_loss(_x(2), _x(2), reduction="avg"), ValueError,
     r"mse_loss: reduction: expected 'mean', 'sum' or 'none', got 'avg'"),
    ("dropout p > 1", lambda: F.dropout(_x(2), p=1.5), ValueError,
     r"dropout: p: expected a probability in \[0, 1\], got 1.5"),
    ("dropout p < 0", lambda: nn.Dropout(p=-0.1), ValueError,
     r"Dropout: p: expected a probability in \[0, 1\], got -0.1"),
    ("dropout p not a number", lambda: nn.Dropout(p="a"), TypeError,
     r"Dropout: p: expected a real number, got str 'a'"),
    ("dropout p a bool", lambda: F.dropout(_x(2), p=True), TypeError, r"dropout: p: .* got bool True"),
    ("BatchNorm momentum not a number", lambda: nn.BatchNorm1d(2, momentum="a"), TypeError,
     r"BatchNorm1d: momentum: expected a real number, got str 'a'"),
    ("copy_ shape", lambda: tg.zeros(2).copy_(tg.zeros(3)), ValueError,
     r"copy_: src: expected a shape that broadcasts to \(2,\) \(this tensor's\), got \(3,\)"),
    ("fill_ a numpy string", lambda: tg.zeros(2).fill_(np.str_("a")), TypeError,
     r"fill_: value: expected a number or a 0-d tensor, got str_ (np\.str_\('a'\)|'a')"),  # NumPy 2 | 1 repr
    ("fill_ a NumPy complex", lambda: tg.zeros(2).fill_(np.complex64(1 + 2j)), TypeError,
     r"fill_: value: expected a number or a 0-d tensor, got complex64"),
    # -- layers -------------------------------------------------------------------------------
    ("Linear zero features", lambda: nn.Linear(0, 3), ValueError, r"Linear: in_features: expected an int >= 1, got 0"),
    ("Conv2d negative channels", lambda: nn.Conv2d(-1, 3, 3), ValueError, r"Conv2d: in_channels: .* got -1"),
    ("Conv2d groups", lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError,
     r"Conv2d: groups=2 must divide the in_channels \(3\)"),
    ("Conv2d groups of the output", lambda: nn.Conv2d(4, 3, 3, groups=2), ValueError,
     r"Conv2d: groups=2 must divide the out_channels \(3\)"),
    ("Conv2d zero kernel", lambda: nn.Conv2d(1, 2, 0), ValueError,
     r"Conv2d: kernel_size: expected positive values, got \(0, 0\)"),
    ("Conv2d negative padding", lambda: nn.Conv2d(1, 2, 3, padding=-1), ValueError,
     r"Conv2d: padding: expected non-negative values, got \(-1, -1\)"),
    ("Conv2d unknown padding mode", lambda: nn.Conv2d(1, 2, 3, padding="full"), ValueError,
     r"Conv2d: padding: expected 'same', 'valid', an int or a tuple of 2 ints, got 'full'"),
    ("Conv2d float channels", lambda: nn.Conv2d(1.5, 2, 3), TypeError, r"in_channels: expected an int, got float"),
    ("BatchNorm zero features", lambda: nn.BatchNorm1d(0), ValueError, r"BatchNorm1d: num_features"),
    ("BatchNorm momentum", lambda: nn.BatchNorm2d(3, momentum=2.0), ValueError, r"momentum"),
    ("model wrong input channels", lambda: _lenet_like()(_x(1, 3, 6, 6)), ValueError,
     r"conv2d: channel mismatch: input has 3 channels"),
    ("BatchNorm features", lambda: nn.BatchNorm2d(4)(_x(2, 3, 2, 2)), ValueError,
     r"BatchNorm2d\(4\): input has 3 channels \(shape \(2, 3, 2, 2\)\)"),
    ("load_state_dict missing key", lambda: nn.Linear(2, 2).load_state_dict({"weight": np.ones((2, 2))}),
     KeyError, r"load_state_dict for Linear: missing keys: 'bias'"),
    ("load_state_dict shape", lambda: nn.Linear(2, 2).load_state_dict(
        {"weight": np.ones((3, 2)), "bias": np.ones(2)}), ValueError,
     r"size mismatch for 'weight': copying a value of shape \(3, 2\), the module has shape \(2, 2\)"),
    # -- optimisers and data --------------------------------------------------------------------
    ("negative lr", lambda: optim.SGD(nn.Linear(2, 2).parameters(), lr=-0.1), ValueError,
     r"SGD: lr: expected a value >= 0, got -0.1"),
    ("bad momentum", lambda: optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1, momentum=-1), ValueError,
     r"SGD: momentum: expected a value >= 0, got -1"),
    ("bad betas", lambda: optim.Adam(nn.Linear(2, 2).parameters(), betas=(1.5, 0.9)), ValueError,
     r"Adam: betas\[0\]: expected a value in \[0, 1\), got 1.5"),
    ("RMSprop negative alpha", lambda: optim.RMSprop(nn.Linear(2, 2).parameters(), alpha=-0.5), ValueError,
     r"RMSprop: alpha: expected a value >= 0, got -0.5"),
    ("Nesterov without momentum", lambda: optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1, nesterov=True),
     ValueError, r"SGD: nesterov=True: expected momentum > 0 and dampening 0, got momentum=0.0"),
    ("negative lr in a parameter group", lambda: optim.Adam(
        [{"params": nn.Linear(2, 2).parameters(), "lr": -1.0}]), ValueError,
     r"Adam: lr: expected a value >= 0, got -1.0"),
    ("bad betas in a parameter group", lambda: optim.AdamW(
        [{"params": nn.Linear(2, 2).parameters(), "betas": (2, 0.9)}]), ValueError,
     r"AdamW: betas\[0\]: expected a value in \[0, 1\), got 2"),
    ("Nesterov in a parameter group without momentum", lambda: optim.SGD(
        [{"params": nn.Linear(2, 2).parameters(), "nesterov": True}], lr=0.1), ValueError,
     r"SGD: nesterov=True: expected momentum > 0 and dampening 0, got momentum=0.0"),
    ("empty parameter list", lambda: optim.Adam([]), ValueError,
     r"Adam: params: expected at least one parameter, got an empty list"),
    ("batch size zero", lambda: DataLoader(TensorDataset(_x(4, 2)), batch_size=0), ValueError,
     r"DataLoader: batch_size: expected an int >= 1, got 0"),
    ("batch size float", lambda: DataLoader(TensorDataset(_x(4, 2)), batch_size=2.5), TypeError,
     r"DataLoader: batch_size: expected an int, got float 2.5"),
    ("Tensor.to unknown device", lambda: _x(2).to("gpu"), ValueError,
     r"device: expected 'cpu', 'cuda' or 'cuda:N', got 'gpu'"),
    ("Module.to unknown device", lambda: nn.Linear(2, 2).to("gpu"), ValueError,
     r"device: expected 'cpu', 'cuda' or 'cuda:N', got 'gpu'"),
    ("dataset length mismatch", lambda: TensorDataset(_x(4, 2), Tensor([1, 2, 3])), ValueError,
     r"TensorDataset: tensors: expected the same length \(first dim\), got shapes \[\(4, 2\), \(3,\)\]"),
    # -- autodiff -------------------------------------------------------------------------------
    ("backward non-scalar", lambda: (Tensor([1.0, 2.0], requires_grad=True) * 2).backward(), RuntimeError,
     r"scalar outputs"),
    ("grad of no-grad tensor", lambda: tg.grad(_x(2).sum(), [Tensor([1.0], requires_grad=True)]), RuntimeError,
     r"does not require grad"),
    ("gradcheck float32", lambda: tg.gradcheck(lambda t: t, Tensor([1.0], requires_grad=True)), TypeError,
     r"float64"),
]


@pytest.mark.parametrize("name,make,exc,pattern", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_a_clear_error(name, make, exc, pattern):
    with pytest.raises(exc, match=pattern):
        make()
