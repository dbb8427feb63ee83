"""Weight initialisers (PyTorch's ``torch.nn.init``): fill a tensor in place, return it.

Why initialisation matters: a deep network multiplies its input by one weight matrix per
layer. If the weights are too small the activations (and, going backwards, the gradients)
shrink geometrically with depth and training stalls; too large and they explode. The schemes
below choose the spread of the random weights from the layer's fan-in/fan-out so that the
variance of the signal stays about constant through the layers. The random numbers come from
:func:`tinygrad_cnn.manual_seed`'s generator, so a seed reproduces the same network.

Every function works in place without recording a graph (it is allowed on parameters that
require grad) and bumps the tensor's version counter.

>>> import tinygrad_cnn as tg
>>> from tinygrad_cnn.nn import init
>>> w = tg.zeros(256, 128)
>>> _ = init.kaiming_normal_(w, nonlinearity="relu")
>>> round(float(w.numpy().std() / (2 / 128) ** 0.5), 1)
1.0
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_cnn import backend
from tinygrad_cnn.creation import default_generator
from tinygrad_cnn.tensor import Tensor

__all__ = [
    "calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
]


def _fill(op: str, tensor: Tensor, make) -> Tensor:
    """Write the host values ``make()`` returns into ``tensor`` in place (outside the graph,
    whatever the grad mode). They are made only once the write is allowed, so a refused call
    draws nothing from the generator."""
    def write():
        values = backend.to_device(np.asarray(make(), dtype=tensor.dtype), tensor.device)
        tensor.data[...] = values
    return tensor._write(op, write)


def _uniform(op: str, tensor: Tensor, a: float, b: float) -> Tensor:
    return _fill(op, tensor, lambda: default_generator().uniform(a, b, tensor.shape))


def _normal(op: str, tensor: Tensor, mean: float, std: float) -> Tensor:
    return _fill(op, tensor, lambda: default_generator().normal(mean, std, tensor.shape))


def _constant(op: str, tensor: Tensor, val: float) -> Tensor:
    return _fill(op, tensor, lambda: np.full(tensor.shape, val))


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The factor that keeps the signal's variance after ``nonlinearity``.

    ReLU zeroes half of its input, halving the variance, hence a gain of sqrt(2); tanh squashes
    its input, hence 5/3; linear layers, convolutions and sigmoid get 1.

    >>> calculate_gain("relu") == 2 ** 0.5, calculate_gain("tanh")
    (True, 1.6666666666666667)
    """
    linear = {"linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid"}
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"negative_slope {slope!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)``: inputs and outputs per unit, counting a conv's kernel area.

    For a weight of shape ``(out, in, *kernel)`` that is ``in * prod(kernel)`` and
    ``out * prod(kernel)`` (PyTorch's convention, also applied to ConvTranspose weights).
    """
    if tensor.ndim < 2:
        raise ValueError(
            f"fan in and fan out need a tensor with at least 2 dimensions, got shape {tensor.shape}"
        )
    receptive = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode: expected 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Samples from U(a, b): the building block of the schemes below (and of bias init).

    >>> import tinygrad_cnn as tg
    >>> w = uniform_(tg.zeros(2, 3), -1.0, 1.0)
    >>> bool(((w.numpy() >= -1) & (w.numpy() < 1)).all()), w.shape
    (True, (2, 3))
    """
    return _uniform("uniform_", tensor, a, b)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Samples from N(mean, std^2): the classic small-random-weights initialisation.

    >>> import tinygrad_cnn as tg
    >>> _ = tg.manual_seed(0)
    >>> w = normal_(tg.zeros(1000), mean=2.0, std=0.5).numpy()
    >>> round(float(w.mean()), 1), round(float(w.std()), 1)
    (2.0, 0.5)
    """
    return _normal("normal_", tensor, mean, std)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Every element ``val``: e.g. a small positive bias so ReLUs start active.

    >>> import tinygrad_cnn as tg
    >>> constant_(tg.zeros(3, dtype="float64"), 0.1).tolist()
    [0.1, 0.1, 0.1]
    """
    return _constant("constant_", tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    """Zeros: the usual bias start, and BatchNorm's shift. Never for weights, since identical
    weights get identical gradients and the units never become different (no symmetry break).

    It works on parameters that require grad, without recording anything in the graph:

    >>> import tinygrad_cnn as tg
    >>> b = tg.Tensor([0.3, -0.2], requires_grad=True)
    >>> zeros_(b).tolist(), b.requires_grad, b.grad_fn is None
    ([0.0, 0.0], True, True)
    """
    return _constant("zeros_", tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Ones: BatchNorm's scale starts at 1 so the layer is a plain normalisation at first.

    >>> import tinygrad_cnn as tg
    >>> ones_(tg.zeros(2)).tolist()
    [1.0, 1.0]
    """
    return _constant("ones_", tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot & Bengio (2010): U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)).

    Keeps the variance of activations *and* of back-propagated gradients about equal across
    layers for symmetric activations such as tanh and sigmoid (use ``calculate_gain``).

    >>> import tinygrad_cnn as tg
    >>> w = xavier_uniform_(tg.zeros(64, 32))          # fan_in 32, fan_out 64: a = 0.25
    >>> bool(abs(w.numpy()).max() <= 0.25)
    True
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _uniform("xavier_uniform_", tensor, -bound, bound)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot & Bengio (2010), normal form: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)).

    >>> import tinygrad_cnn as tg
    >>> w = xavier_normal_(tg.zeros(400, 300)).numpy()
    >>> round(float(w.std() / (2 / 700) ** 0.5), 1)
    1.0
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return _normal("xavier_normal_", tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu") -> Tensor:
    """He et al. (2015): U(-b, b), b = gain * sqrt(3 / fan), gain from ``nonlinearity``/``a``.

    Xavier's derivation assumes a linear activation; ReLU discards half the signal, so He's
    scheme doubles the variance to keep deep ReLU networks trainable. ``mode="fan_in"``
    preserves the forward signal, ``"fan_out"`` the backward gradients. PyTorch's default
    for Linear and Conv weights is this function with ``a=sqrt(5)`` (bound 1/sqrt(fan_in)).

    A conv weight (16, 8, 3, 3) has fan_in 8 * 3 * 3 = 72, so for ReLU the bound is sqrt(2) *
    sqrt(3 / 72):

    >>> import tinygrad_cnn as tg
    >>> w = kaiming_uniform_(tg.zeros(16, 8, 3, 3), nonlinearity="relu")
    >>> bool(abs(w.numpy()).max() <= 2 ** 0.5 * (3 / 72) ** 0.5)
    True
    """
    gain = calculate_gain(nonlinearity, a)
    bound = gain * math.sqrt(3.0 / _fan(tensor, mode))
    return _uniform("kaiming_uniform_", tensor, -bound, bound)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> Tensor:
    """He et al. (2015), normal form: N(0, std^2), std = gain / sqrt(fan).

    >>> import tinygrad_cnn as tg
    >>> w = kaiming_normal_(tg.zeros(256, 128), mode="fan_out", nonlinearity="relu").numpy()
    >>> round(float(w.std() / (2 / 256) ** 0.5), 1)     # fan_out = 256
    1.0
    """
    gain = calculate_gain(nonlinearity, a)
    return _normal("kaiming_normal_", tensor, 0.0, gain / math.sqrt(_fan(tensor, mode)))


def default_init_(weight: Tensor, bias: Tensor | None = None) -> None:
    """PyTorch's default for Linear and Conv layers: ``kaiming_uniform_(weight, a=sqrt(5))``,
    which draws weights from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias from the same range.

    It keeps the early activations of a freshly built network at a moderate scale whatever the
    layer widths, which is all a small CNN needs to start learning.
    """
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = _calculate_fan_in_and_fan_out(weight)
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        uniform_(bias, -bound, bound)


def default_parameters(weight_shape: tuple, bias_size: int | None, dtype=np.float32) -> tuple:
    """New ``(weight, bias)`` Parameters with :func:`default_init_` (``bias`` is None when
    ``bias_size`` is): what Linear and the Conv layers build."""
    from tinygrad_cnn.nn.module import Parameter  # noqa: PLC0415  (module imports nothing from here)

    weight = Parameter(np.empty(weight_shape, dtype=dtype))
    bias = None if bias_size is None else Parameter(np.empty(bias_size, dtype=dtype))
    default_init_(weight, bias)
    return weight, bias
