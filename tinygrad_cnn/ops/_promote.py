"""PyTorch's type promotion for the ops that combine tensors and Python numbers.

NumPy 2 promotes differently: an int64 array times a Python float, or an int64 array plus a
float32 array, is float64 there and float32 in PyTorch, and a 0-d float64 array lifts a
float32 array to float64 where PyTorch keeps float32. PyTorch's rule, which users of this
package expect:

* The result's category (bool < integer < floating point) is the highest among all operands.
* Operands are ranked: tensors with dims, then 0-d tensors, then Python numbers (a Python
  float counts as the default float32, an int as int64). Within the category, the highest
  rank present decides the type: ``float32 tensor * 2.0`` stays float32, ``int64 tensor *
  2.0`` is float32, ``float32 tensor + 0-d float64 tensor`` float32.
* Between two types, an integer and a float promote to the float (int64 + float16 is float16),
  two floats to the wider one, two integers as in NumPy.
"""

from __future__ import annotations

import numbers

import numpy as np

from tinygrad_cnn.tensor import Tensor, as_tensor

__all__ = ["result_dtype", "promoted", "floating", "check_floating", "widened"]

_BOOL, _INT64, _FLOAT32 = np.dtype(bool), np.dtype(np.int64), np.dtype(np.float32)


def _pair(a, b):
    """PyTorch's ``promote_types`` for two dtypes (None: no operand of that rank)."""
    if a is None or a == b:
        return b
    if b is None:
        return a
    fa, fb = a.kind == "f", b.kind == "f"
    if fa != fb:
        return a if fa else b
    if fa:
        return a if a.itemsize >= b.itemsize else b
    return np.promote_types(a, b)  # bools and integers: NumPy and PyTorch agree


def _combine(higher, lower):
    """The type of a higher-ranked group of operands combined with a lower-ranked one."""
    if higher is None:
        return lower
    if lower is None or higher.kind == "f":
        return higher
    if higher == _BOOL or lower.kind == "f":
        return _pair(higher, lower)  # the category rises: the lower group's type counts
    return higher


def result_dtype(*values) -> np.dtype:
    """The dtype PyTorch gives an elementwise op of ``values`` (Tensors and Python numbers).

    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor
    >>> result_dtype(Tensor([1, 2]), 0.5), result_dtype(Tensor([1.0]), Tensor(np.array(2.0)))
    (dtype('float32'), dtype('float32'))
    """
    dims = zero = scalars = None
    for v in values:
        if isinstance(v, Tensor):
            if v.ndim:
                dims = _pair(dims, v.dtype)
            else:
                zero = _pair(zero, v.dtype)
        elif isinstance(v, (bool, np.bool_)):
            scalars = _pair(scalars, _BOOL)
        elif isinstance(v, numbers.Integral):
            scalars = _pair(scalars, _INT64)
        elif isinstance(v, numbers.Real):
            scalars = _pair(scalars, _FLOAT32)
        else:
            raise TypeError(f"expected Tensors or real numbers, got {type(v).__name__}")
    return _combine(dims, _combine(zero, scalars))


def promoted(*values, dtype=None, like=None) -> list:
    """``values`` as Tensors of one dtype (``result_dtype``'s unless given), on the device of
    the first Tensor among them (or of ``like``). A Tensor is cast with a (differentiable)
    ``to``; arrays and lists become Tensors first."""
    like = next((v for v in values if isinstance(v, Tensor)), like)
    values = [v if isinstance(v, (Tensor, numbers.Number)) else as_tensor(v, like=like)
              for v in values]
    dtype = result_dtype(*values) if dtype is None else np.dtype(dtype)
    xp = like.device.xp
    out = []
    for v in values:
        if not isinstance(v, Tensor):
            v = Tensor._wrap(xp.asarray(v, dtype=dtype))
        elif v.dtype != dtype:
            v = v.to(dtype=dtype)
        out.append(v)
    return out


def check_floating(op: str, x, arg: str = "input") -> Tensor:
    """``x``, checked to be a floating-point Tensor, for the ops that refuse integers as
    PyTorch's kernels do (where :func:`floating` would convert them).

    >>> from tinygrad_cnn import Tensor
    >>> check_floating("elu", Tensor([1, 2]))
    Traceback (most recent call last):
    ...
    TypeError: elu: input: expected a floating-point tensor, got dtype int64 (convert it first, e.g. input.float())
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {arg}: expected a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: {arg}: expected a floating-point tensor, got dtype {x.dtype} (convert it "
                        f"first, e.g. {arg}.float())")
    return x


def widened(x: Tensor) -> Tensor:
    """``x`` in float32 if it is float16, else ``x`` itself. Ops whose float16 sums, squares or
    summed gradients would overflow (past 65504) or lose precision compute on this, as
    PyTorch's CPU kernels do, and cast the result back with ``out.to(dtype=x.dtype)``.

    >>> from tinygrad_cnn import Tensor
    >>> widened(Tensor([300.0], dtype="float16")).dtype, widened(Tensor([1.0], dtype="float64")).dtype
    (dtype('float32'), dtype('float64'))
    """
    return x.float() if x.dtype == np.float16 else x


def floating(x: Tensor) -> Tensor:
    """``x``, cast to float32 when it holds bools or integers (PyTorch's ``exp`` or ``sqrt``
    of an integer tensor is float32)."""
    return x if x.dtype.kind in "fc" else x.to(dtype=_FLOAT32)
