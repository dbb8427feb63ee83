"""Reductions: sum, mean, var, max/min (with indices along a dim), argmax/argmin."""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from tinygrad_cnn.function import Function
from tinygrad_cnn.ops.shape import _dim
from tinygrad_cnn.tensor import Tensor

__all__ = ["sum", "mean", "var", "max", "min", "argmax", "argmin", "logsumexp"]

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
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"{op}: dim: expected an int or None, got {dim!r}")
    if x.ndim == 0:
        raise IndexError(f"{op}: dim={dim} given for a 0-d tensor; use dim=None")
    return _dim(dim, x.ndim)


def _keep_shape(shape, axes) -> tuple:
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class Sum(Function):
    def forward(self, x, axes, keepdim):
        self.in_shape = x.shape
        return x.sum(axis=axes, keepdims=keepdim)

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
    """Arithmetic mean over ``dim`` (a composite: sum, then divide)."""
    axes = _axes(dim, x.ndim)
    count = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    if x.dtype.kind != "f":
        raise TypeError(f"mean: expected a floating-point tensor, got dtype {x.dtype}")
    return sum(x, axes, keepdim) / count


def var(x, dim=None, keepdim: bool = False, unbiased: bool = True) -> Tensor:
    """Variance over ``dim``; ``unbiased`` divides by n - 1 (Bessel's correction)."""
    axes = _axes(dim, x.ndim)
    count = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    centred = x - mean(x, axes, keepdim=True)
    return sum(centred * centred, axes, keepdim) / builtins.max(count - int(unbiased), 1)


class Max(Function):
    """Max over all dims: the gradient is shared evenly between tied maxima."""

    def forward(self, x, keepdim):
        out = x.max(keepdims=True)
        mask = x == out
        self.share = mask / mask.sum()
        return out if keepdim else out.reshape(())

    def backward(self, grad):
        return grad * Tensor._wrap(self.share.astype(grad.dtype))


class MaxDim(Function):
    """Max along one dim: the gradient goes to the returned index, as in PyTorch."""

    def forward(self, x, dim, keepdim):
        xp = self.xp
        idx = xp.expand_dims(x.argmax(axis=dim), dim)
        positions = xp.arange(x.shape[dim]).reshape([-1 if i == dim else 1 for i in range(x.ndim)])
        self.onehot = positions == idx
        out = xp.take_along_axis(x, idx, axis=dim)
        return out if keepdim else out.squeeze(dim)

    def backward(self, grad):
        dim = self.settings["dim"]
        if not self.settings["keepdim"]:
            grad = grad.unsqueeze(dim)
        return grad * Tensor._wrap(self.onehot.astype(grad.dtype))


def max(x, dim=None, keepdim: bool = False):  # noqa: A001
    """The maximum; with ``dim``, a ``(values, indices)`` named tuple as in PyTorch.

    >>> from tinygrad_cnn import Tensor
    >>> v, i = Tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=1)
    >>> v.tolist(), i.tolist()
    ([5.0, 7.0], [1, 0])
    """
    if x.numel() == 0:
        raise ValueError(f"max: expected a non-empty tensor, got shape {x.shape}")
    if dim is None:
        return Max.apply(x, keepdim=keepdim)
    d = _one_dim("max", dim, x)
    return ValuesIndices(MaxDim.apply(x, dim=d, keepdim=keepdim), _last_indices(x, d, keepdim))


def _last_indices(x, dim, keepdim, how: str = "argmax") -> Tensor:
    idx = getattr(x.data, how)(axis=dim)
    return Tensor._wrap(x.device.xp.expand_dims(idx, dim) if keepdim else idx)


def min(x, dim=None, keepdim: bool = False):  # noqa: A001
    """The minimum; with ``dim``, a ``(values, indices)`` named tuple as in PyTorch."""
    if dim is None:
        return -max(-x, None, keepdim)
    values, indices = max(-x, dim, keepdim)
    return ValuesIndices(-values, indices)


def argmax(x, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the maximum (of the flattened tensor when ``dim`` is None); not differentiable."""
    if dim is None:
        return Tensor._wrap(x.device.xp.asarray(x.data.argmax()))
    return _last_indices(x, _one_dim("argmax", dim, x), keepdim)


def argmin(x, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the minimum; not differentiable."""
    if dim is None:
        return Tensor._wrap(x.device.xp.asarray(x.data.argmin()))
    return _last_indices(x, _one_dim("argmin", dim, x), keepdim, "argmin")


def logsumexp(x, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``dim``, stable for large values (the max is taken out first)."""
    axes = _axes(dim, x.ndim)
    shift = Tensor._wrap(x.data.max(axis=axes, keepdims=True))  # a constant: any shift is exact
    out = (x - shift).exp().sum(axes, keepdim=True).log() + shift
    return out if keepdim else out.reshape(tuple(s for i, s in enumerate(out.shape) if i not in axes))
