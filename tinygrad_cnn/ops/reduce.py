"""Reductions: sum, mean, var, std, max/min (with indices along a dim), argmax/argmin,
logsumexp."""

from __future__ import annotations

import numbers
import warnings
from collections import namedtuple

import numpy as np

from tinygrad_cnn.function import Function
from tinygrad_cnn.ops._promote import check_floating
from tinygrad_cnn.ops.shape import _dim, int_dim
from tinygrad_cnn.tensor import Tensor

__all__ = ["sum", "mean", "var", "std", "max", "min", "argmax", "argmin", "logsumexp"]

# What ``x.max(dim)`` returns, as in PyTorch.
ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _axes(dim, ndim: int):
    """``dim`` (None, int or tuple) as a sorted tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = [_dim(d, ndim) for d in dims]
    if len(set(out)) != len(out):
        raise ValueError(f"dim: repeated dimension in {dim}")
    return tuple(sorted(out)) if ndim else ()


def _one_dim(op: str, dim, x) -> int:
    """The single axis that max/min/argmax/argmin reduce along (they return indices)."""
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"{op}: dim: expected an int or None, got {dim!r}")
    if x.ndim == 0:
        raise IndexError(f"{op}: dim={dim} given for a 0-d tensor; use dim=None")
    return int_dim(op, dim, x.ndim)


def _keep_shape(shape, axes) -> tuple:
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class Sum(Function):
    def forward(self, x, axes, keepdim):
        self.in_shape = x.shape
        # Bools and integers sum to int64, as in PyTorch (NumPy gives uint64 for uint8).
        wide = np.int64 if x.dtype.kind == "b" or (x.dtype.kind in "iu" and x.itemsize < 8) else None
        return x.sum(axis=axes, keepdims=keepdim, dtype=wide)

    def backward(self, grad):
        axes = self.settings["axes"]
        return grad.reshape(_keep_shape(self.in_shape, axes)).expand(*self.in_shape)


def sum(x, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Sum over ``dim`` (all dims when None).

    >>> from tinygrad_cnn import Tensor
    >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).sum(dim=0).tolist()
    [4.0, 6.0]
    """
    return Sum.apply(x, axes=_axes(dim, x.ndim), keepdim=keepdim)


def mean(x, dim=None, keepdim: bool = False) -> Tensor:
    """Arithmetic mean over ``dim`` (all dims when None; a composite: sum, then divide). Unlike
    ``sum``, it needs a floating-point tensor, as in PyTorch (a TypeError here, where PyTorch
    raises a RuntimeError).

    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> x.mean().item(), x.mean(dim=1).tolist(), x.mean(0, keepdim=True).shape
    (2.5, [1.5, 3.5], (1, 2))
    """
    check_floating("mean", x)
    if x.dtype == np.float16:  # its sum overflows past 65504: accumulate in float32, as PyTorch
        return mean(x.float(), dim, keepdim).to(dtype=x.dtype)
    axes = _axes(dim, x.ndim)
    count = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    return sum(x, axes, keepdim) / count


def var(x, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Variance over ``dim``: the sum of squared deviations over n - ``correction`` (1 by
    default, Bessel's correction; ``unbiased=False`` is ``correction=0``), PyTorch's argument
    order. With no degrees of freedom left (n <= correction) the result is nan, as in PyTorch.

    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor([[1.0, 2.0, 4.0]])
    >>> round(x.var(1).item(), 4), round(x.var(1, False).item(), 4), round(x.var(1, correction=0).item(), 4)
    (2.3333, 1.5556, 1.5556)
    """
    check_floating("var", x)
    if correction is not None and unbiased is not None:
        raise TypeError("var: give either unbiased or correction, not both")
    if correction is None:
        correction = 0 if unbiased is False else 1
    if x.dtype == np.float16:  # squares overflow past 256: accumulate in float32, as PyTorch
        return var(x.float(), dim, keepdim=keepdim, correction=correction).to(dtype=x.dtype)
    axes = _axes(dim, x.ndim)
    count = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    centred = x - mean(x, axes, keepdim=True)
    dof = count - correction
    if dof <= 0:
        warnings.warn(f"var: degrees of freedom <= 0 (n={count}, correction={correction}): the "
                      "result is nan", RuntimeWarning, stacklevel=2)
    return sum(centred * centred, axes, keepdim) * (1.0 / dof if dof > 0 else float("nan"))


def std(x, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Standard deviation: the square root of :func:`var` (same arguments).

    >>> from tinygrad_cnn import Tensor
    >>> round(Tensor([1.0, 2.0, 4.0]).std().item(), 4)
    1.5275
    """
    return var(x, dim, unbiased, keepdim, correction=correction).sqrt()


class Max(Function):
    """Max over all dims: the gradient is shared evenly between tied maxima (between the NaNs
    when there are any: the result is then NaN, as in PyTorch)."""

    how = "max"

    def forward(self, x, keepdim):
        out = getattr(x, self.how)(keepdims=True)
        mask = x == out
        if out.dtype.kind == "f":  # a NaN result: the NaNs share (no host check: no GPU wait)
            mask |= self.xp.isnan(x)
        self.share = mask / mask.sum()
        return out if keepdim else out.reshape(())

    def backward(self, grad):
        return grad * Tensor._wrap(self.share.astype(grad.dtype))


class Min(Max):
    """Min over all dims (see :class:`Max`)."""

    how = "min"


class MaxDim(Function):
    """Max (or min) along one dim, at ``_index`` (its argmax or argmin with ``dim`` kept, found
    once by the caller, which also returns it): the gradient goes to that index, as in PyTorch."""

    def forward(self, x, dim, keepdim, _index):  # "_": plumbing, not shown in graph labels
        xp = self.xp
        positions = xp.arange(x.shape[dim]).reshape([-1 if i == dim else 1 for i in range(x.ndim)])
        self.onehot = positions == _index
        out = xp.take_along_axis(x, _index, axis=dim)
        return out if keepdim else out.squeeze(dim)

    def backward(self, grad):
        dim = self.settings["dim"]
        if not self.settings["keepdim"]:
            grad = grad.unsqueeze(dim)
        return grad * Tensor._wrap(self.onehot.astype(grad.dtype))


class MinDim(MaxDim):
    """Min along one dim (see :class:`MaxDim`; its own name in graphs and ``grad_fn``)."""


def _extreme(op: str, x, dim, keepdim):
    if x.numel() == 0:
        raise ValueError(f"{op}: expected a non-empty tensor, got shape {x.shape}")
    if dim is None:
        return (Max if op == "max" else Min).apply(x, keepdim=keepdim)
    d = _one_dim(op, dim, x)
    indices = _indices(x, d, True, "arg" + op)
    values = (MaxDim if op == "max" else MinDim).apply(x, dim=d, keepdim=keepdim, _index=indices.data)
    return ValuesIndices(values, indices if keepdim else indices.squeeze(d))


def max(x, dim=None, keepdim: bool = False):  # noqa: A001
    """The maximum; with ``dim``, a ``(values, indices)`` named tuple as in PyTorch. A NaN is
    the maximum of anything it is in.

    >>> from tinygrad_cnn import Tensor
    >>> v, i = Tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=1)
    >>> v.tolist(), i.tolist()
    ([5.0, 7.0], [1, 0])
    """
    return _extreme("max", x, dim, keepdim)


def min(x, dim=None, keepdim: bool = False):  # noqa: A001
    """The minimum; with ``dim``, a ``(values, indices)`` named tuple as in PyTorch. A NaN is
    the minimum of anything it is in.

    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor
    >>> Tensor(np.array([3, 0, 1], dtype=np.uint8)).min().item()
    0
    """
    return _extreme("min", x, dim, keepdim)


def _indices(x, dim, keepdim, how: str) -> Tensor:
    """The argmax or argmin (``how``) along ``dim`` as an int64 tensor (an array even when
    the result has no dims)."""
    xp = x.device.xp
    idx = xp.asarray(getattr(x.data, how)(axis=dim))
    return Tensor._wrap(xp.expand_dims(idx, dim) if keepdim else idx)


def _flat_index(x, keepdim, how: str) -> Tensor:
    """The argmax or argmin of the flattened tensor; with ``keepdim``, shaped (1,) * ndim."""
    xp = x.device.xp
    idx = xp.asarray(getattr(x.data, how)())
    return Tensor._wrap(idx.reshape((1,) * x.ndim) if keepdim else idx)


def argmax(x, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the maximum (of the flattened tensor when ``dim`` is None); not differentiable.

    >>> from tinygrad_cnn import Tensor
    >>> Tensor([1.0, 3.0, 2.0]).argmax(0).tolist()
    1
    """
    if dim is None:
        return _flat_index(x, keepdim, "argmax")
    return _indices(x, _one_dim("argmax", dim, x), keepdim, "argmax")


def argmin(x, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the minimum (of the flattened tensor when ``dim`` is None); not differentiable.

    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor([[3.0, 1.0], [0.0, 5.0]])
    >>> x.argmin().item(), x.argmin(dim=1).tolist()
    (2, [1, 0])
    """
    if dim is None:
        return _flat_index(x, keepdim, "argmin")
    return _indices(x, _one_dim("argmin", dim, x), keepdim, "argmin")


def logsumexp(x, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``dim``, stable for large values (the max is taken out first;
    an infinite max is not, so that rows of -inf give -inf and rows holding +inf give +inf).

    >>> from tinygrad_cnn import Tensor
    >>> inf = float("inf")
    >>> logsumexp(Tensor([[-inf, -inf], [1.0, inf]]), 1).tolist()
    [-inf, inf]
    """
    axes = _axes(dim, x.ndim)
    xp = x.device.xp
    top = x.data.max(axis=axes, keepdims=True)
    shift = Tensor._wrap(xp.where(xp.isinf(top), 0, top).astype(x.dtype, copy=False))  # a constant
    out = (x - shift).exp().sum(axes, keepdim=True).log() + shift
    return out if keepdim else out.reshape(tuple(s for i, s in enumerate(out.shape) if i not in axes))
