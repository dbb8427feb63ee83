"""Elementwise ops: arithmetic, unary maths, activations, clamp/where, casts and comparisons.

Binary ops broadcast like NumPy; their backward returns gradients in the broadcast shape
and the engine sums them back to each input's shape.
"""

from __future__ import annotations

import numbers

import numpy as np

from tinygrad_cnn import backend
from tinygrad_cnn._recycle import (
    give_buffer,
    memory_order,
    new_array,
    ordered_view,
    outer_pieces,
    recycled_ufunc,
    take_buffer,
    zero_like,
)
from tinygrad_cnn.function import Function
from tinygrad_cnn.ops._promote import floating, promoted, result_dtype
from tinygrad_cnn.tensor import Tensor, as_tensor

__all__ = [
    "add", "sub", "mul", "div", "pow", "neg", "abs", "exp", "log", "log1p", "sqrt", "sin", "cos",
    "relu", "leaky_relu", "sigmoid", "tanh", "clamp", "maximum", "minimum", "where",
    "cast", "to_device", "clone", "compare",
]


# -- arithmetic -----------------------------------------------------------------------------
class Add(Function):
    def forward(self, x, y):
        return x + y

    def backward(self, grad):
        return grad, grad


class Sub(Function):
    def forward(self, x, y):
        return x - y

    def backward(self, grad):
        return grad, (-grad if self.needs_input_grad[1] else None)


class Mul(Function):
    def forward(self, x, y):
        return recycled_ufunc(self.xp, "multiply", x, y)

    def backward(self, grad):
        x, y = self.saved_tensors
        nx, ny = self.needs_input_grad
        return (grad * y if nx else None), (grad * x if ny else None)


class Div(Function):
    def forward(self, x, y):
        return x / y

    def backward(self, grad):
        x, y = self.saved_tensors
        nx, ny = self.needs_input_grad
        gx = grad / y if nx else None
        gy = -grad * x / (y * y) if ny else None
        return gx, gy


class Pow(Function):
    """``x ** y`` for two tensors. As in PyTorch, the gradient for x is 0 where x and y are 0,
    and the gradient for y is 0 where x is 0 and y >= 0 (instead of the nan of 0 * inf).
    Only x = y = 0 is masked for x's gradient: where just y is 0, ``y * x**(y-1)`` is 0 by
    itself, and its derivative in y (the second-order gradient) must stay ``x**-1``."""

    def forward(self, x, y):
        return x**y

    def backward(self, grad):
        x, y = self.saved_tensors
        nx, ny = self.needs_input_grad
        gx = gy = None
        # The branches where() drops hold inf and nan at a zero base: NumPy need not warn.
        with np.errstate(divide="ignore", invalid="ignore"):
            if nx:
                masked = Tensor._wrap((x.data == 0) & (y.data == 0))  # 0 * 0**-1 = 0 * inf
                gx = grad * where(masked, 0.0, y * x ** (y - 1))
            if ny:
                flat = Tensor._wrap((x.data == 0) & (y.data >= 0))  # x**y is flat in y there
                gy = grad * self.saved_output * where(flat, 1.0, x).log()
        return gx, gy


class PowScalar(Function):
    """``x ** p`` for a Python number ``p`` (kept as a setting, shown in graphs)."""

    def forward(self, x, exponent):
        return x**exponent

    def backward(self, grad):
        (x,) = self.saved_tensors
        p = self.settings["exponent"]
        if p == 0:
            return grad * 0
        return grad * p * x ** (p - 1)


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, grad):
        return -grad


def _operands(x, y):
    """``x`` and ``y`` promoted to one dtype as in PyTorch (see ``_promote``); the common
    cases, two tensors of one dtype or a float tensor and a Python float or int, pass straight
    on (``Function.apply`` gives the number the tensor's dtype)."""
    if isinstance(x, Tensor):
        if isinstance(y, Tensor):
            if x.dtype == y.dtype:
                return x, y
        elif type(y) in _PLAIN_NUMBERS and x.dtype.kind == "f":
            return x, y
    elif type(x) in _PLAIN_NUMBERS and isinstance(y, Tensor) and y.dtype.kind == "f":
        return x, y
    return promoted(x, y)


_PLAIN_NUMBERS = (float, int)


def add(x, y) -> Tensor:
    """``x + y`` with broadcasting and PyTorch's type promotion.

    >>> from tinygrad_cnn import Tensor
    >>> (Tensor([1, 2]) + 0.5).tolist(), (Tensor([1, 2]) + 0.5).dtype   # float32, as in PyTorch
    ([1.5, 2.5], dtype('float32'))
    """
    return Add.apply(*_operands(x, y))


def sub(x, y) -> Tensor:
    """``x - y`` with broadcasting and PyTorch's type promotion.

    >>> from tinygrad_cnn import Tensor
    >>> (Tensor([3, 5]) - 1.5).tolist(), (2.0 - Tensor([1.0, 0.5])).tolist()
    ([1.5, 3.5], [1.0, 1.5])
    """
    return Sub.apply(*_operands(x, y))


def mul(x, y) -> Tensor:
    """``x * y`` with broadcasting and PyTorch's type promotion.

    >>> from tinygrad_cnn import Tensor
    >>> (Tensor([[1.0], [2.0]]) * Tensor([10.0, 20.0])).tolist()     # (2, 1) * (2,) -> (2, 2)
    [[10.0, 20.0], [20.0, 40.0]]
    """
    return Mul.apply(*_operands(x, y))


def div(x, y) -> Tensor:
    """``x / y`` with broadcasting (true division: integers give float32, as in PyTorch).

    >>> from tinygrad_cnn import Tensor
    >>> (Tensor([1, 2]) / Tensor([2, 2])).tolist()
    [0.5, 1.0]
    """
    x, y = _operands(x, y)
    if (x if isinstance(x, Tensor) else y).dtype.kind not in "fc":
        x, y = promoted(x, y, dtype=np.float32)
    return Div.apply(x, y)


def pow(x, y) -> Tensor:  # noqa: A001  (PyTorch's name)
    """``x ** y``; a Python-number exponent is kept as a setting.

    >>> from tinygrad_cnn import Tensor
    >>> (Tensor([2.0, 3.0]) ** 2).tolist()
    [4.0, 9.0]
    """
    if isinstance(x, Tensor) and isinstance(y, numbers.Number) and not isinstance(y, bool):
        if isinstance(y, numbers.Integral) or x.dtype.kind == "f":
            return PowScalar.apply(x, exponent=y)
        return PowScalar.apply(floating(x), exponent=y)  # int tensor ** 0.5: float32
    return Pow.apply(*_operands(x, y))


def neg(x) -> Tensor:
    """``-x`` elementwise.

    >>> from tinygrad_cnn import Tensor
    >>> (-Tensor([1.0, -2.0])).tolist()
    [-1.0, 2.0]
    """
    return Neg.apply(x)


# -- unary maths ----------------------------------------------------------------------------
class Abs(Function):
    def forward(self, x):
        return self.xp.abs(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * Tensor._wrap(self.xp.sign(x.data))


class Exp(Function):
    def forward(self, x):
        return self.xp.exp(x)

    def backward(self, grad):
        return grad * self.saved_output


class Log(Function):
    def forward(self, x):
        return self.xp.log(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad / x


class Log1p(Function):
    """log(1 + x), accurate where x is tiny (where 1 + x would round to 1)."""

    def forward(self, x):
        return self.xp.log1p(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad / (x + 1)


class Expm1(Function):
    """exp(x) - 1, accurate where x is near 0."""

    def forward(self, x):
        return self.xp.expm1(x)

    def backward(self, grad):
        # exp(x), not output + 1: near -1 the sum would keep few of exp(x)'s digits.
        (x,) = self.saved_tensors
        return grad * x.exp()


class Sqrt(Function):
    def forward(self, x):
        return self.xp.sqrt(x)

    def backward(self, grad):
        return grad / (2 * self.saved_output)


class Sin(Function):
    def forward(self, x):
        return self.xp.sin(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return grad * x.cos()


class Cos(Function):
    def forward(self, x):
        return self.xp.cos(x)

    def backward(self, grad):
        (x,) = self.saved_tensors
        return -grad * x.sin()


def abs(x) -> Tensor:  # noqa: A001
    """``|x|`` elementwise (the dtype is kept; the gradient at 0 is 0, as in PyTorch).

    >>> from tinygrad_cnn import Tensor
    >>> Tensor([-1.5, 0.0, 2.0]).abs().tolist(), Tensor([-1, 2]).abs().tolist()
    ([1.5, 0.0, 2.0], [1, 2])
    """
    return Abs.apply(x)


def exp(x) -> Tensor:
    """``e ** x`` elementwise (of an integer tensor: float32, as in PyTorch).

    >>> from tinygrad_cnn import Tensor
    >>> Tensor([0.0, 1.0]).exp().tolist()
    [1.0, 2.718281...]
    """
    return Exp.apply(floating(x))


def log(x) -> Tensor:
    """Natural logarithm (of an integer tensor: float32, as in PyTorch).

    >>> from tinygrad_cnn import Tensor
    >>> Tensor([1.0, 2.718281828]).log().tolist(), Tensor([1, 4]).log().dtype
    ([0.0, 1.0], dtype('float32'))
    """
    return Log.apply(floating(x))


def log1p(x) -> Tensor:
    """log(1 + x), accurate for tiny x, where ``1 + x`` has already lost most of x's digits.

    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor([1e-10], dtype="float64")
    >>> log1p(x).item(), (x + 1).log().item()     # the true value is 9.9999999995e-11
    (9.999999999500001e-11, 1.000000082690371e-10)
    """
    return Log1p.apply(floating(x))


def sqrt(x) -> Tensor:
    """Square root elementwise (of an integer tensor: float32, as in PyTorch).

    >>> from tinygrad_cnn import Tensor
    >>> Tensor([4.0, 9.0]).sqrt().tolist(), Tensor([4, 2]).sqrt().tolist()
    ([2.0, 3.0], [2.0, 1.414213...])
    """
    return Sqrt.apply(floating(x))


def sin(x) -> Tensor:
    """Sine of radians, elementwise (of an integer tensor: float32, as in PyTorch).

    >>> import math
    >>> from tinygrad_cnn import Tensor
    >>> Tensor([0.0, math.pi / 2]).sin().tolist()
    [0.0, 1.0]
    """
    return Sin.apply(floating(x))


def cos(x) -> Tensor:
    """Cosine of radians, elementwise (of an integer tensor: float32, as in PyTorch).

    >>> import math
    >>> from tinygrad_cnn import Tensor
    >>> Tensor([0.0, math.pi]).cos().tolist()
    [1.0, -1.0]
    """
    return Cos.apply(floating(x))


# -- activations ----------------------------------------------------------------------------
class ReLU(Function):
    def forward(self, x):
        if self.recording:
            self.mask = recycled_ufunc(self.xp, "greater", x, 0, dtype=bool)
        # Not x * mask, which gives -0.0 (and NaN for -inf). Against an array of zeros where
        # that is faster (see zero_like); NaN stays NaN, as in PyTorch.
        return recycled_ufunc(self.xp, "maximum", x, zero_like(self.xp, x))

    def backward(self, grad):
        return MaskSelect.apply(grad, mask=self.mask)


def select_bits(xp, values, mask, out=None):
    """``values`` where ``mask``, else +0.0, bit for bit (into ``out`` when given).

    Unlike ``values * mask``, an inf or NaN outside the mask does not turn into NaN; it is as
    fast (an AND of the bits with 0 or all ones), where ``xp.where`` measured 4x slower here.
    """
    itype = np.dtype(f"i{values.dtype.itemsize}")
    # Every array laid out like the mask, and the result like the values (when they match,
    # as in ReLU's backward, each pass runs through memory in sequence).
    order = memory_order(mask) if xp is np else None
    if out is None:
        shape = values.shape if values.shape == mask.shape else np.broadcast_shapes(values.shape, mask.shape)
        like = values if values.shape == shape and xp is np else None
        out = new_array(xp, shape, values.dtype, None if like is None else memory_order(like))
    pieces = [(Ellipsis,)]
    if xp is np and mask.size * itype.itemsize > _SELECT_BYTES and mask.shape == out.shape == values.shape:
        # The all-ones words a piece at a time, so that they stay in the cache between
        # their two passes (a whole-array scratch went out to main memory and back).
        pieces = outer_pieces(mask, _SELECT_BYTES, itemsize=itype.itemsize)
    buf = take_buffer(xp, (mask[pieces[0]].size,), itype)
    for piece in pieces:
        part = mask[piece]
        and_with_mask(xp, values[piece], part, ordered_view(buf[:part.size], part.shape, order),
                      out[piece])
    give_buffer(xp, buf)
    return out


def and_with_mask(xp, values, mask, bits, out) -> None:
    """``out`` = ``values`` where ``mask`` else +0.0, bit for bit, through ``bits``: integer
    scratch of the values' item size and the mask's shape (the core of :func:`select_bits`)."""
    xp.negative(mask.view(xp.int8), out=bits, dtype=bits.dtype)  # True -> all bits set
    xp.bitwise_and(values.view(bits.dtype), bits, out=out.view(bits.dtype))


_SELECT_BYTES = 256 << 10


class MaskSelect(Function):
    """``x`` where ``mask``, else +0.0 (``select_bits``): ReLU's backward. Linear in x, and
    its own adjoint. Not ``x * mask``: an inf gradient where the mask is off stays 0, as in
    PyTorch, instead of becoming NaN."""

    def forward(self, x, *, mask):
        return select_bits(self.xp, x, mask)

    def backward(self, grad):
        return MaskSelect.apply(grad, mask=self.settings["mask"])


class LeakyReLU(Function):
    def forward(self, x, negative_slope):
        self.slope = self.xp.where(x > 0, x.dtype.type(1), x.dtype.type(negative_slope))
        return x * self.slope

    def backward(self, grad):
        return grad * Tensor._wrap(self.slope)


class Sigmoid(Function):
    def forward(self, x):
        # exp(-|x|) never overflows; pick the stable form on each side of 0.
        e = self.xp.exp(-self.xp.abs(x))
        return self.xp.where(x >= 0, 1 / (1 + e), e / (1 + e))

    def backward(self, grad):
        out = self.saved_output
        return grad * out * (1 - out)


class Tanh(Function):
    def forward(self, x):
        return self.xp.tanh(x)

    def backward(self, grad):
        out = self.saved_output
        return grad * (1 - out * out)


def relu(x, inplace: bool = False) -> Tensor:
    """max(x, 0) elementwise. ``inplace`` is accepted for PyTorch's ``F.relu`` signature; the
    result is always a new tensor.

    >>> from tinygrad_cnn import Tensor
    >>> Tensor([-1.0, 2.0]).relu().tolist()
    [0.0, 2.0]
    """
    return ReLU.apply(x)


def leaky_relu(x, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, ``negative_slope * x`` otherwise (``inplace`` as in :func:`relu`).

    >>> from tinygrad_cnn import Tensor
    >>> leaky_relu(Tensor([-2.0, 3.0]), negative_slope=0.25).tolist()
    [-0.5, 3.0]
    """
    return LeakyReLU.apply(x, negative_slope=float(negative_slope))


def sigmoid(x) -> Tensor:
    """1 / (1 + exp(-x)), computed without overflow (of an integer tensor: float32).

    >>> from tinygrad_cnn import Tensor
    >>> Tensor([0.0, 1000.0, -1000.0]).sigmoid().tolist()
    [0.5, 1.0, 0.0]
    """
    return Sigmoid.apply(floating(x))


def tanh(x) -> Tensor:
    """Hyperbolic tangent elementwise (of an integer tensor: float32, as in PyTorch).

    >>> from tinygrad_cnn import Tensor
    >>> Tensor([0.0, 100.0, -100.0]).tanh().tolist()
    [0.0, 1.0, -1.0]
    """
    return Tanh.apply(floating(x))


# -- clamp, maximum, where ------------------------------------------------------------------
class Clamp(Function):
    def forward(self, x, min, max):  # noqa: A002
        # One-sided bounds through maximum/minimum: CuPy's clip wants both.
        xp, out, mask = self.xp, x, None
        if min is not None:
            mask = x >= min
            out = xp.maximum(out, min)
        if max is not None:
            upper = x <= max
            mask = upper if mask is None else mask & upper
            out = xp.minimum(out, max)
        self.mask = mask
        return out

    def backward(self, grad):
        return grad * Tensor._wrap(self.mask)


class Maximum(Function):
    """Elementwise max; at ties each side gets half of the gradient (as in PyTorch)."""

    def forward(self, x, y):
        self.share = (x > y) + 0.5 * (x == y)
        return self.xp.maximum(x, y)

    def backward(self, grad):
        share = Tensor._wrap(self.share.astype(grad.dtype))
        nx, ny = self.needs_input_grad
        return (grad * share if nx else None), (grad * (1 - share) if ny else None)


class Minimum(Maximum):
    """Elementwise min; at ties each side gets half of the gradient (as in PyTorch)."""

    def forward(self, x, y):
        self.share = (x < y) + 0.5 * (x == y)
        return self.xp.minimum(x, y)


class Where(Function):
    def forward(self, cond, x, y):
        self.cond = cond
        return self.xp.where(cond, x, y)

    def backward(self, grad):
        mask = Tensor._wrap(self.cond.astype(grad.dtype))
        _, nx, ny = self.needs_input_grad
        return None, (grad * mask if nx else None), (grad * (1 - mask) if ny else None)


def clamp(x, min=None, max=None) -> Tensor:  # noqa: A002
    """Limit values to ``[min, max]`` (either may be None); a float bound makes an integer
    tensor float32, as in PyTorch. The gradient passes where ``min <= x <= max``.

    >>> from tinygrad_cnn import Tensor
    >>> Tensor([-2.0, 0.5, 3.0]).clamp(0.0, 1.0).tolist(), Tensor([-2.0, 0.5, 3.0]).clamp(min=0.0).tolist()
    ([0.0, 0.5, 1.0], [0.0, 0.5, 3.0])
    """
    if min is None and max is None:
        raise ValueError("clamp: expected at least one of min and max, got neither")
    dtype = result_dtype(x, *[b for b in (min, max) if b is not None])
    return Clamp.apply(x if x.dtype == dtype else x.to(dtype=dtype), min=min, max=max)


def maximum(x, y) -> Tensor:
    """Elementwise maximum with broadcasting and PyTorch's type promotion; at a tie each side
    gets half of the gradient, as in PyTorch.

    >>> from tinygrad_cnn import Tensor
    >>> x, y = Tensor([2.0, 2.0], requires_grad=True), Tensor([2.0, 1.0], requires_grad=True)
    >>> m = maximum(x, y)
    >>> m.sum().backward()
    >>> m.tolist(), x.grad.tolist(), y.grad.tolist()
    ([2.0, 2.0], [0.5, 1.0], [0.5, 0.0])
    """
    return Maximum.apply(*_operands(x, y))


def minimum(x, y) -> Tensor:
    """Elementwise minimum with broadcasting and PyTorch's type promotion.

    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor
    >>> minimum(Tensor(np.array([3, 0], np.uint8)), Tensor(np.array([1, 2], np.uint8))).tolist()
    [1, 0]
    """
    return Minimum.apply(*_operands(x, y))


def where(condition, x, y) -> Tensor:
    """``x`` where ``condition`` holds, else ``y`` (broadcasting; gradients flow to x and y).
    ``condition`` must be a bool tensor; x or y may be a Python number.

    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor([1.0, -2.0, 3.0])
    >>> where(x > 0, x, 0.0).tolist(), where(Tensor([True, False]), Tensor([1, 2]), Tensor([10, 20])).tolist()
    ([1.0, 0.0, 3.0], [1, 20])
    """
    ref = _first_tensor(x, y, condition)
    cond = as_tensor(condition, like=ref)
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got dtype {cond.dtype}")
    # Always through promoted(): apply() would type a number by its first Tensor, the condition.
    return Where.apply(cond, *promoted(x, y, like=cond))


def _first_tensor(*values) -> Tensor:
    for v in values:
        if isinstance(v, Tensor):
            return v
    raise TypeError("expected at least one Tensor argument")


# -- casts and copies -----------------------------------------------------------------------
class Cast(Function):
    def forward(self, x, dtype):
        self.in_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, grad):
        return grad.to(dtype=self.in_dtype)


class ToDevice(Function):
    may_return_view = True  # a move between two host devices may keep the memory

    def forward(self, x, device):
        return backend.to_device(x, device)

    def backward(self, grad):
        return grad.to(self.device)


class Clone(Function):
    def forward(self, x):
        return x.copy()

    def backward(self, grad):
        return grad


def cast(x, dtype) -> Tensor:
    """``x`` converted to ``dtype`` (floats to integers truncate toward zero, as NumPy does);
    the gradient is cast back to x's dtype.

    >>> from tinygrad_cnn import Tensor
    >>> y = cast(Tensor([1.7, -1.7]), "int64")
    >>> y.tolist(), y.dtype
    ([1, -1], dtype('int64'))
    """
    return Cast.apply(x, dtype=np.dtype(dtype))


def to_device(x, device) -> Tensor:
    """``x`` copied to ``device`` (a :class:`~tinygrad_cnn.backend.Device`), differentiably;
    ``x`` itself when it is already there.

    >>> from tinygrad_cnn import Tensor, get_device
    >>> x = Tensor([1.0, 2.0])
    >>> to_device(x, get_device("cpu")) is x
    True
    """
    if x.device == device:
        return x
    return ToDevice.apply(x, device=device)


def clone(x) -> Tensor:
    """A copy of ``x`` in new memory, recorded in the graph (the gradient passes through).

    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> c = clone(x)
    >>> c.tolist(), c.grad_fn, c.data is x.data
    ([1.0, 2.0], <Clone backward>, False)
    """
    return Clone.apply(x)


# -- comparisons (bool results, outside the graph) -----------------------------------------
_COMPARE = {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal",
            "gt": "greater", "ge": "greater_equal"}


class Compare(Function):
    differentiable = False

    def forward(self, x, y, op):
        return getattr(self.xp, _COMPARE[op])(x, y)


def compare(x, y, op: str) -> Tensor:
    """Elementwise comparison ``op`` ("eq", "ne", "lt", "le", "gt", "ge") as a bool tensor that
    never requires grad.

    >>> from tinygrad_cnn import Tensor
    >>> compare(Tensor([1, 2, 3]), 2, "lt").tolist(), (Tensor([1, 2, 3]) >= Tensor([3, 2, 1])).tolist()
    ([True, False, False], [False, True, True])
    """
    return Compare.apply(x, y, op=op)
