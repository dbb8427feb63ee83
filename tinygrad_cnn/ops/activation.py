"""Activations beyond relu/sigmoid/tanh: the ELU family, SiLU, Mish, softplus, the piecewise
linear "hard" ones and PReLU, with PyTorch's names, arguments, dtypes and values.

Most are composites of differentiable ops (``where``, ``sigmoid``, ``tanh``), so
their second-order gradients come for free; the ELUs use the elementwise ``Expm1`` (exp(x) - 1
keeps few of x's digits near 0, where PyTorch's ELUs use expm1; float16 in float32, rounded
once, as PyTorch's kernels compute it), and ``Softplus`` is a small
Function of its own (one overflow-free pass with PyTorch's ``threshold`` rule; a max/abs
composite would have the wrong second derivative at exactly 0).

At a corner, where the derivative jumps, the gradient is PyTorch's: 0 at hardtanh's bounds
(so at relu6's 0 and 6 and hardsigmoid's -3 and 3), the negative side's slope at the ELUs'
and PReLU's 0. Like PyTorch's kernels, everything but hardtanh and relu6 refuses integer
tensors; those two keep an integer tensor's dtype, with the bounds truncated to integers.
GELU is not here: NumPy has no erf.

>>> import tinygrad_cnn as tg
>>> x = tg.tensor([-2.0, 0.0, 2.0])
>>> [round(v, 4) for v in elu(x).tolist()], relu6(x * 4).tolist()
([-0.8647, 0.0, 2.0], [0.0, 0.0, 6.0])
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_cnn.function import Function
from tinygrad_cnn.ops._args import check_real
from tinygrad_cnn.ops._promote import check_floating, widened
from tinygrad_cnn.ops.elementwise import Expm1, where
from tinygrad_cnn.tensor import Tensor

__all__ = [
    "elu", "selu", "celu", "silu", "mish", "softplus", "hardtanh", "relu6", "hardsigmoid",
    "hardswish", "prelu",
]

# SELU's constants (Klambauer et al., 2017): the fixed point of mean 0 and variance 1.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class Softplus(Function):
    """log(1 + exp(beta * x)) / beta, or x itself where beta * x > threshold (PyTorch's rule)."""

    def forward(self, x, beta, threshold):
        xp = self.xp
        bx = x * beta
        linear = bx > threshold
        if self.recording:
            self.linear = linear
        # max(t, 0) + log1p(exp(-|t|)) is log1p(exp(t)) without overflow for large t.
        soft = (xp.maximum(bx, 0) + xp.log1p(xp.exp(-xp.abs(bx)))) / beta
        return xp.where(linear, x, soft)

    def backward(self, grad):
        (x,) = self.saved_tensors
        slope = (x * self.settings["beta"]).sigmoid()
        return grad * where(Tensor._wrap(self.linear), 1.0, slope)


# -- argument checks ------------------------------------------------------------------------
def _nonzero(op: str, name: str, value) -> float:
    value = check_real(op, name, value)
    if value == 0:
        raise ValueError(f"{op}: {name}: expected a non-zero number (it divides), got {value}")
    return value


def _bounds(op: str, input, min_val, max_val) -> tuple:  # noqa: A002
    """hardtanh's bounds, checked; for an integer tensor, truncated to integers of its range,
    as PyTorch converts them to the tensor's type."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input: expected a Tensor, got {type(input).__name__}")
    if input.dtype.kind not in "iuf":
        raise TypeError(f"{op}: input: expected an integer or floating-point tensor, got dtype {input.dtype}")
    lo, hi = check_real(op, "min_val", min_val), check_real(op, "max_val", max_val)
    if not lo <= hi:
        raise ValueError(f"{op}: min_val, max_val: expected min_val <= max_val, got {min_val} and {max_val}")
    if input.dtype.kind == "f":
        return lo, hi
    info = np.iinfo(input.dtype)
    bounds = []
    for name, value in (("min_val", lo), ("max_val", hi)):
        if not (math.isfinite(value) and info.min <= int(value) <= info.max):
            raise ValueError(f"{op}: {name}: expected a value that fits the input's dtype {input.dtype} "
                             f"([{info.min}, {info.max}]), got {value}")
        bounds.append(int(value))
    return tuple(bounds)


# -- the ELU family -------------------------------------------------------------------------
def _elu(x: Tensor, alpha: float, input_scale: float = 1.0, output_scale: float = 1.0) -> Tensor:
    """``output_scale`` * (x where x > 0, else ``alpha * expm1(x * input_scale)``), computed in
    float32 for float16 input and rounded to it once at the end, as PyTorch's kernels do."""
    wide = widened(x)
    # exp only ever sees x <= 0: a large x in the discarded branch would overflow, and its
    # zero gradient times inf would be NaN.
    positive = wide > 0
    below = where(positive, 0.0, wide)
    if input_scale != 1.0:
        below = below * input_scale
    out = where(positive, wide, Expm1.apply(below) * alpha)
    if output_scale != 1.0:
        out = out * output_scale
    return out.to(dtype=x.dtype)


def elu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """The exponential linear unit: x for x > 0, ``alpha * (exp(x) - 1)`` otherwise. ``inplace``
    is accepted for PyTorch compatibility; the result is always a new tensor.

    >>> import tinygrad_cnn as tg
    >>> [round(v, 4) for v in elu(tg.tensor([-1.0, 0.0, 3.0]), alpha=2.0).tolist()]
    [-1.2642, 0.0, 3.0]
    """
    return _elu(check_floating("elu", input), check_real("elu", "alpha", alpha))


def selu(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """The scaled ELU: ``scale * elu(x, alpha)`` with alpha = 1.6732632... and scale =
    1.0507009..., which keep activations near mean 0 and variance 1 through deep layers.

    >>> import tinygrad_cnn as tg
    >>> [round(v, 4) for v in selu(tg.tensor([-1.0, 0.0, 1.0])).tolist()]
    [-1.1113, 0.0, 1.0507]
    """
    return _elu(check_floating("selu", input), _SELU_ALPHA, output_scale=_SELU_SCALE)


def celu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """The continuously differentiable ELU: x for x > 0, ``alpha * (exp(x / alpha) - 1)``
    otherwise (its slope at 0 is 1 for every alpha). ``alpha`` must not be 0.

    >>> import tinygrad_cnn as tg
    >>> [round(v, 4) for v in celu(tg.tensor([-1.0, 0.0, 3.0]), alpha=2.0).tolist()]
    [-0.7869, 0.0, 3.0]
    """
    x = check_floating("celu", input)
    alpha = _nonzero("celu", "alpha", alpha)
    return _elu(x, alpha, 1.0 / alpha)


# -- smooth gates ---------------------------------------------------------------------------
def silu(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """The sigmoid linear unit (swish): ``x * sigmoid(x)``.

    >>> import tinygrad_cnn as tg
    >>> [round(v, 4) for v in silu(tg.tensor([-1.0, 0.0, 2.0])).tolist()]
    [-0.2689, 0.0, 1.7616]
    """
    x = check_floating("silu", input)
    return x * x.sigmoid()


def mish(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """``x * tanh(softplus(x))`` (Misra, 2019).

    >>> import tinygrad_cnn as tg
    >>> [round(v, 4) for v in mish(tg.tensor([-1.0, 0.0, 2.0])).tolist()]
    [-0.3034, 0.0, 1.944]
    """
    x = check_floating("mish", input)
    return x * Softplus.apply(x, beta=1.0, threshold=20.0).tanh()


def softplus(input, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """``log(1 + exp(beta * x)) / beta``, a smooth ReLU, computed without overflow; where
    ``beta * x > threshold`` the result is x itself, as in PyTorch (the two differ there by
    less than exp(-threshold) / beta). ``beta`` must not be 0.

    >>> import tinygrad_cnn as tg
    >>> x = tg.tensor([-1000.0, 0.0, 1.0, 1000.0])
    >>> [round(v, 4) for v in softplus(x).tolist()]
    [0.0, 0.6931, 1.3133, 1000.0]
    >>> [round(v, 4) for v in softplus(x, beta=2.0, threshold=1.0).tolist()]   # 2 * 1 > 1: x
    [0.0, 0.3466, 1.0, 1000.0]
    """
    x = check_floating("softplus", input)
    beta = _nonzero("softplus", "beta", beta)
    return Softplus.apply(x, beta=beta, threshold=check_real("softplus", "threshold", threshold))


# -- piecewise linear -----------------------------------------------------------------------
def _hardtanh(x: Tensor, lo, hi) -> Tensor:
    # Not clamp: its gradient passes at the bounds themselves, PyTorch's hardtanh's does not.
    return where(x <= lo, lo, where(x >= hi, hi, x))


def _relu6_of_x_plus_3(x: Tensor) -> Tensor:
    """``min(max(x + 3, 0), 6)`` as ``hardtanh(x, -3, 3) + 3``: the branch is chosen on ``x``
    itself, since just inside 3, x + 3 rounds to 6.0 in float32, and a test on it would take
    the flat branch, losing the slope."""
    return _hardtanh(x, -3.0, 3.0) + 3


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """``x`` limited to ``[min_val, max_val]``; the gradient is 0 outside the open interval.
    An integer tensor keeps its dtype, the bounds truncated to integers (as in PyTorch).

    >>> import tinygrad_cnn as tg
    >>> hardtanh(tg.tensor([-3.0, 0.5, 3.0])).tolist(), hardtanh(tg.tensor([-3, 1, 3]), -2.5, 2.5).tolist()
    ([-1.0, 0.5, 1.0], [-2, 1, 2])
    """
    lo, hi = _bounds("hardtanh", input, min_val, max_val)
    return _hardtanh(input, lo, hi)


def relu6(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """``min(max(x, 0), 6)``: ``hardtanh(x, 0, 6)`` (MobileNet's activation).

    >>> import tinygrad_cnn as tg
    >>> relu6(tg.tensor([-1.0, 3.0, 9.0])).tolist()
    [0.0, 3.0, 6.0]
    """
    lo, hi = _bounds("relu6", input, 0.0, 6.0)
    return _hardtanh(input, lo, hi)


def hardsigmoid(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """A piecewise linear sigmoid: 0 for x <= -3, 1 for x >= 3, ``x / 6 + 1/2`` in between.

    >>> import tinygrad_cnn as tg
    >>> hardsigmoid(tg.tensor([-4.0, 0.0, 1.5, 4.0])).tolist()
    [0.0, 0.5, 0.75, 1.0]
    """
    x = check_floating("hardsigmoid", input)
    return _relu6_of_x_plus_3(x) / 6


def hardswish(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """``x * hardsigmoid(x)`` (MobileNetV3): 0 for x <= -3, x for x >= 3,
    ``x * (x + 3) / 6`` in between.

    >>> import tinygrad_cnn as tg
    >>> hardswish(tg.tensor([-4.0, -1.5, 0.0, 4.0])).tolist()
    [-0.0, -0.375, 0.0, 4.0]
    """
    x = check_floating("hardswish", input)
    return x * _relu6_of_x_plus_3(x) / 6


def prelu(input, weight) -> Tensor:  # noqa: A002
    """x for x > 0, ``weight * x`` otherwise, with a learnt ``weight``: one value for the
    whole tensor, or one per channel (dim 1). The weight's dtype must be the input's.

    >>> import tinygrad_cnn as tg
    >>> x = -tg.ones(1, 2, 1, 1)
    >>> prelu(x, tg.tensor([0.25])).flatten().tolist(), prelu(x, tg.tensor([0.1, 0.5])).flatten().tolist()
    ([-0.25, -0.25], [-0.10000000149011612, -0.5])
    """
    x = check_floating("prelu", input)
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu: weight: expected a Tensor, got {type(weight).__name__}")
    if weight.dtype != x.dtype:
        raise TypeError(f"prelu: weight: expected dtype {x.dtype} (the input's), got {weight.dtype}")
    if weight.ndim > 1:
        raise ValueError(f"prelu: weight: expected a 0-d or 1-D tensor (one value, or one per "
                         f"channel), got shape {weight.shape}")
    channels = x.shape[1] if x.ndim >= 2 else 1
    if weight.numel() == 1:
        slope = weight.reshape(())
    elif weight.numel() == channels:
        slope = weight.reshape((channels,) + (1,) * (x.ndim - 2))
    else:
        wanted = f"1 value or {channels} (one per channel, the input's dim 1)" if x.ndim >= 2 else \
            f"1 value (an input of shape {x.shape} has no channel dim)"
        raise ValueError(f"prelu: weight: expected {wanted}, got {weight.numel()}")
    return where(x > 0, x, slope * x)
