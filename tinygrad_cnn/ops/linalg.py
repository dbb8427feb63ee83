"""Matrix products."""

from __future__ import annotations

import math

import numpy as np

from tinygrad_cnn import backend
from tinygrad_cnn.function import Function
from tinygrad_cnn.tensor import Tensor, as_tensor

__all__ = ["matmul", "Linear", "along_dim"]


class MatMul(Function):
    """Batched ``x @ y`` for operands of at least two dims (batch dims broadcast)."""

    def forward(self, x, y):
        return x @ y

    def backward(self, grad):
        x, y = self.saved_tensors
        nx, ny = self.needs_input_grad
        gx = grad @ y.transpose(-1, -2) if nx else None
        gy = x.transpose(-1, -2) @ grad if ny else None
        return gx, gy


def matmul(x, y) -> Tensor:
    """Matrix product with NumPy's rules: 1-D operands are promoted, batch dims broadcast.

    >>> from tinygrad_cnn import Tensor
    >>> (Tensor([[1.0, 2.0]]) @ Tensor([[3.0], [4.0]])).tolist()
    [[11.0]]
    """
    ref = x if isinstance(x, Tensor) else y
    x, y = as_tensor(x, like=ref), as_tensor(y, like=ref)
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"matmul: expected operands with at least one dim, got shapes {x.shape} and {y.shape}")
    if x.shape[-1] != y.shape[-2 if y.ndim > 1 else 0]:
        raise ValueError(
            f"matmul: inner dims differ: x has shape {x.shape}, y has shape {y.shape}"
        )
    if x.ndim == 1 and y.ndim == 1:
        return (x * y).sum()
    if x.ndim == 1:
        return MatMul.apply(x.unsqueeze(0), y).squeeze(-2)
    if y.ndim == 1:
        return MatMul.apply(x, y.unsqueeze(1)).squeeze(-1)
    return MatMul.apply(x, y)


class Linear(Function):
    """``x (*, in) @ w.T + b`` as one op (``F.linear``): one product instead of a transpose, a
    product and an add, and the weight itself is saved, so an in-place change of it (an
    optimiser step) between forward and backward is detected."""

    def forward(self, x, w, b=None):
        out = x @ w.T
        return out if b is None else out + b

    def backward(self, grad):
        x, w = self.saved_tensors[:2]
        need = self.needs_input_grad
        need_b = need[2:] == (True,)  # a bias that needs its gradient
        gx = grad @ w if need[0] else None
        gw = gb = None
        if need[1] or need_b:
            g2 = grad.reshape(-1, grad.shape[-1])  # (samples, out)
            if need[1]:
                gw = g2.transpose(0, 1) @ x.reshape(-1, x.shape[-1])
            if need_b:
                gb = g2.sum(0)
        return (gx, gw, gb)[:len(need)]


def along_dim(x: Tensor, d: int, matrix) -> Tensor:
    """``matrix`` (n_out, n_in) applied to dim ``d`` of ``x``, which has n_in entries there: one
    matrix product, so its gradient is the transposed product (the linear resizing modes and
    adaptive average pooling are such maps). A host array, or one already in ``x``'s dtype on
    its device (see :func:`tinygrad_cnn.backend.placed`), which is used as it is.

    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor
    >>> along_dim(Tensor([[1.0, 3.0], [5.0, 7.0]]), 0, np.array([[0.5, 0.5]])).tolist()  # mean of the rows
    [[3.0, 5.0]]
    """
    m = matrix
    if m.dtype != x.dtype or backend.device_of(m) != x.device:
        m = backend.to_device(np.ascontiguousarray(m, dtype=x.dtype), x.device)
    if d == x.ndim - 1:
        return x @ Tensor._wrap(m.T)
    shape = x.shape
    trailing = math.prod(shape[d + 1:])
    y = Tensor._wrap(m) @ x.reshape(*shape[:d], shape[d], trailing)
    return y.reshape(*shape[:d], m.shape[0], *shape[d + 1:])
