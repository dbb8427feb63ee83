"""Pooling: max (with indices), max-unpool and average pooling (adaptive pooling is in
:mod:`tinygrad_cnn.ops.adaptive_pool`).

Pooling runs as a loop over the KH*KW kernel cells (never over samples): each cell is one
strided slice of the input. Max-pooling folds the slices in with ``maximum`` and keeps, per
window, which cell won (one byte); for the common 2x2 pool that is a tournament of three
comparisons, much faster than a multi-axis ``max`` over a window view. Its backward sends
each output gradient to the winning cell with :class:`WindowScatter`, whose own backward is
the gather :class:`WindowGather` (and vice versa), so second-order gradients work.
The array work of both directions is in :mod:`tinygrad_cnn.ops._pool_utils`.

Average pooling is a composite of the same strided slices, sums and a division by the window
counts.
"""

from __future__ import annotations

import functools

import numpy as np

from tinygrad_cnn import backend
from tinygrad_cnn._recycle import laid_out_copy, memory_order, new_array
from tinygrad_cnn.function import Function
from tinygrad_cnn.ops._conv_utils import (
    cells,
    check_input,
    from4d,
    non_negative,
    ntuple,
    out_size,
    pad_array,
    positive,
    to4d,
)
from tinygrad_cnn.ops._pool_utils import flat_positions, max_planes, scatter_winners
from tinygrad_cnn.ops.elementwise import select_bits
from tinygrad_cnn.ops.shape import GetItem, pad
from tinygrad_cnn.tensor import Tensor

__all__ = ["max_pool1d", "max_pool2d", "max_unpool2d", "avg_pool1d", "avg_pool2d"]


# -- max pooling's backward: route by the winning cell ---------------------------------------
# Max-pool remembers, for each window, which kernel cell won (``code``, one byte for kernels of
# up to 256 cells). The gradient goes back with one strided write per kernel cell; for the
# common non-overlapping pools the writes tile the input and need no zero fill.
class WindowScatter(Function):
    """Each value of ``grad`` (N, C, OH, OW) sent to the cell ``code`` names in its window,
    in zeros of (N, C, *in_hw). The adjoint of :class:`WindowGather`."""

    def forward(self, grad, *, code, kernel, stride, dilation, pads, in_hw):
        xp = self.xp
        n, c, oh, ow = grad.shape
        (pt, pb), (pl, pr) = pads
        hp, wp = in_hw[0] + pt + pb, in_hw[1] + pl + pr
        tiled = dilation == (1, 1) and stride == kernel and (hp, wp) == (oh * stride[0], ow * stride[1])
        # Laid out like the pooled input, whose layout ``code`` has (see max_planes); a
        # gradient in another layout (from a flatten, say) is re-laid first, so that every
        # pass below runs through memory in sequence.
        order = memory_order(code) if xp is np else None
        if order is not None and memory_order(grad) != order:
            grad = laid_out_copy(xp, grad, order)
        out = new_array(xp, (n, c, hp, wp), grad.dtype, order)
        if not tiled:
            out.fill(0)
        scatter_winners(xp, grad, code, out, cells(kernel, stride, dilation, (oh, ow)), order, tiled)
        if pt or pb or pl or pr:
            out = out[:, :, pt:pt + in_hw[0], pl:pl + in_hw[1]]
        return out

    def backward(self, grad):
        s = self.settings
        return WindowGather.apply(grad, code=s["code"], kernel=s["kernel"], stride=s["stride"],
                                  dilation=s["dilation"], pads=s["pads"])


class WindowGather(Function):
    """For each window of x (N, C, H, W), the value at the cell ``code`` names: (N, C, OH, OW).
    The adjoint of :class:`WindowScatter`."""

    def forward(self, x, *, code, kernel, stride, dilation, pads):
        xp = self.xp
        self.in_hw = x.shape[2:]
        xpad = pad_array(xp, x, pads)
        out = None
        for k, (rows, cols) in enumerate(cells(kernel, stride, dilation, code.shape[2:])):
            part = select_bits(xp, xpad[:, :, rows, cols], code == k)
            out = part if out is None else xp.add(out, part, out=out)  # x + 0.0 is exact
        return out

    def backward(self, grad):
        s = self.settings
        return WindowScatter.apply(grad, code=s["code"], kernel=s["kernel"], stride=s["stride"],
                                   dilation=s["dilation"], pads=s["pads"], in_hw=self.in_hw)


class MaxPool2d(Function):
    """Max over windows of x (N, C, H, W); ``sink`` (a list, or None) receives the flat argmax
    positions. Which cell won is only worked out when backward or ``sink`` needs it."""

    def forward(self, x, *, kernel, stride, pads, dilation, out_hw, sink):
        track = self.recording or sink is not None
        best, code = max_planes(self.xp, x, kernel, stride, pads, dilation, out_hw, track)
        if self.recording:
            self.code = code
        if sink is not None:
            sink.append(flat_positions(self.xp, code, kernel, stride, dilation, pads, x.shape[3]))
        return best

    def backward(self, grad):
        (x,) = self.saved_tensors
        s = self.settings
        return WindowScatter.apply(grad, code=self.code, kernel=s["kernel"], stride=s["stride"],
                                   dilation=s["dilation"], pads=s["pads"], in_hw=x.shape[2:])


# -- max-unpool: scatter to given flat positions --------------------------------------------
class PoolScatter(Function):
    """Zeros of ``shape`` with ``x`` written at flat positions ``index`` (same shape as x).

    Positions that repeat are assigned, not added (PyTorch's max-unpool); the backward is the
    gather of the gradient at ``index``.
    """

    def forward(self, x, *, index, shape):
        out = self.xp.zeros(int(np.prod(shape)), dtype=x.dtype)
        out[index.reshape(-1)] = x.reshape(-1)
        return out.reshape(shape)

    def backward(self, grad):
        return GetItem.apply(grad.reshape(-1), index=self.settings["index"])


# -- argument checks ----------------------------------------------------------------------
def _pool_args(op, nd, x, kernel_size, stride, padding, dilation, ceil_mode):
    check_input(op, nd, x)
    kernel = positive(ntuple(kernel_size, nd, "kernel_size", op), "kernel_size", op)
    stride = kernel if stride is None or stride == () else positive(
        ntuple(stride, nd, "stride", op), "stride", op)
    pad = non_negative(ntuple(padding, nd, "padding", op), "padding", op)
    dilation = positive(ntuple(dilation, nd, "dilation", op), "dilation", op)
    for p, k in zip(pad, kernel):
        if p > k // 2:
            raise ValueError(f"{op}: padding should be at most half the kernel size, got "
                             f"padding={pad} for kernel_size={kernel}")
    dims = ("length",) if nd == 1 else ("height", "width")
    out_hw = tuple(out_size(op, dim, n, k, s, p, p, d, ceil_mode)
                   for dim, n, k, s, p, d in zip(dims, x.shape[-nd:], kernel, stride, pad, dilation))
    # ceil_mode: the last window may hang over the right edge; pad enough to cover it.
    pads = tuple((p, max(p, (o - 1) * s + d * (k - 1) + 1 - n - p))
                 for n, k, s, p, d, o in zip(x.shape[-nd:], kernel, stride, pad, dilation, out_hw))
    if nd == 1:
        kernel, stride, dilation = (1, *kernel), (1, *stride), (1, *dilation)
        pads, out_hw = ((0, 0), *pads), (1, *out_hw)
    return kernel, stride, pads, dilation, out_hw


# -- max pooling --------------------------------------------------------------------------
def _max_pool(op, nd, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    kernel, stride, pads, dilation, out_hw = _pool_args(op, nd, x, kernel_size, stride, padding,
                                                        dilation, ceil_mode)
    x4, unbatched = to4d(x, nd)
    sink = [] if return_indices else None
    out = MaxPool2d.apply(x4, kernel=kernel, stride=stride, pads=pads, dilation=dilation,
                          out_hw=out_hw, sink=sink)
    out = from4d(out, nd, unbatched)
    if not return_indices:
        return out
    index = Tensor._wrap(sink[0])
    return out, from4d(index, nd, unbatched)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
               return_indices=False):
    """Max over KH x KW windows, PyTorch's ``F.max_pool2d`` (``stride`` defaults to the kernel).

    ``input`` (N, C, H, W) or (C, H, W); padding (at most half the kernel) counts as -inf
    (as the smallest value for integers, as False for bools).
    With ``return_indices`` also returns the flat position of each maximum in its H*W plane
    (what ``max_unpool2d`` takes), and the gradient goes to that position. As in PyTorch,
    ties go to the first maximum in row-major order, and a window holding NaN gives NaN with
    its last NaN as the position.

    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor(np.array([[[[1.0, 2.0, 5.0, 6.0], [3.0, 4.0, 7.0, 8.0]]]]))
    >>> out, idx = max_pool2d(x, 2, return_indices=True)
    >>> out.tolist(), idx.tolist()
    ([[[[4.0, 8.0]]]], [[[[5, 7]]]])
    """
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
               return_indices=False):
    """Max over windows of the last dim of ``input`` (N, C, L) or (C, L).

    >>> from tinygrad_cnn import Tensor
    >>> max_pool1d(Tensor([[1.0, 3.0, 2.0, 0.0]]), 2).tolist()
    [[3.0, 2.0]]
    """
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):  # noqa: A002
    """Place each value of ``input`` at its ``indices`` position in a zero map (undo a max-pool).

    The output is (N, C, H, W) with H = (OH - 1)*S - 2P + KH, or ``output_size``.

    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor(np.array([[[[1.0, 2.0, 5.0, 6.0], [3.0, 4.0, 7.0, 8.0]]]]))
    >>> out, idx = max_pool2d(x, 2, return_indices=True)
    >>> max_unpool2d(out, idx, 2).tolist()
    [[[[0.0, 0.0, 0.0, 0.0], [0.0, 4.0, 0.0, 8.0]]]]
    """
    op = "max_unpool2d"
    if not isinstance(input, Tensor) or not isinstance(indices, Tensor):
        raise TypeError(f"{op}: input and indices: expected Tensors")
    if input.ndim not in (3, 4):
        raise ValueError(f"{op}: input: expected a 3-D or 4-D tensor, got shape {input.shape}")
    if indices.shape != input.shape:
        raise ValueError(f"{op}: indices: expected shape {input.shape} (that of input), got {indices.shape}")
    kernel = positive(ntuple(kernel_size, 2, "kernel_size", op), "kernel_size", op)
    stride = kernel if stride is None else positive(ntuple(stride, 2, "stride", op), "stride", op)
    pad = non_negative(ntuple(padding, 2, "padding", op), "padding", op)
    if output_size is None:
        size = tuple((o - 1) * s - 2 * p + k
                     for o, s, p, k in zip(input.shape[-2:], stride, pad, kernel))
    else:
        size = tuple(int(v) for v in tuple(output_size)[-2:])
    x4, unbatched = to4d(input, 2)
    idx4 = indices.data if not unbatched else indices.data.reshape(1, *indices.shape)
    xp = input.device.xp
    n, c = x4.shape[:2]
    if idx4.size and (int(idx4.min()) < 0 or int(idx4.max()) >= size[0] * size[1]):
        raise ValueError(f"{op}: indices: expected values in [0, {size[0] * size[1]}) for an "
                         f"output of size {size}, got [{int(idx4.min())}, {int(idx4.max())}]")
    flat = idx4 + (xp.arange(n * c) * (size[0] * size[1])).reshape(n, c, 1, 1)
    # Assignment, as in PyTorch: overlapping windows that share a maximum write the same value.
    out = PoolScatter.apply(x4, index=flat, shape=(n, c, *size))
    return from4d(out, 2, unbatched)


# -- average pooling ----------------------------------------------------------------------
def _window_sum(x, kernel, stride, dilation, out_hw):
    """Sum over windows as KH*KW strided slices of x (already padded), differentiably."""
    total = None
    for rows, cols in cells(kernel, stride, dilation, out_hw):
        part = x[:, :, rows, cols]
        total = part if total is None else total + part
    return total


def _avg_pool(op, nd, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override=None):
    kernel, stride, pads, dilation, out_hw = _pool_args(op, nd, x, kernel_size, stride, padding, 1,
                                                        ceil_mode)
    x4, unbatched = to4d(x, nd)
    h, w = x4.shape[2:]
    (pt, pb), (pl, pr) = pads
    xpad = pad(x4, (pl, pr, pt, pb)) if any(v for pair in pads for v in pair) else x4
    total = _window_sum(xpad, kernel, stride, dilation, out_hw)
    if divisor_override is not None:
        if divisor_override == 0:
            raise ValueError(f"{op}: divisor_override: expected a non-zero number, got 0")
        out = total / divisor_override
    else:
        geometry = ((h, w), pads, kernel, stride, dilation, out_hw, count_include_pad)
        counts = _window_counts(*geometry)
        if np.all(counts == counts.flat[0]):
            out = total / float(counts.flat[0])
        else:
            out = total / Tensor._wrap(backend.placed(_window_counts, geometry, x4.dtype, x4.device))
    return from4d(out, nd, unbatched)


@functools.lru_cache(maxsize=64)
def _window_counts(hw, pads, kernel, stride, dilation, out_hw, count_include_pad) -> np.ndarray:
    """Average pooling's divisors (1, 1, OH, OW), on the host, once per geometry: the window
    cells inside the input, or inside the symmetric padding with count_include_pad (never
    the extra ceil_mode overhang)."""
    (h, w), ((pt, pb), (pl, pr)) = hw, pads
    mask = np.zeros((1, 1, h + pt + pb, w + pl + pr))
    if count_include_pad:
        mask[:, :, :h + 2 * pt, :w + 2 * pl] = 1
    else:
        mask[:, :, pt:pt + h, pl:pl + w] = 1
    counts = sum(mask[:, :, rows, cols] for rows, cols in cells(kernel, stride, dilation, out_hw))
    counts.flags.writeable = False  # shared by every call with this geometry
    return counts


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True, divisor_override=None):
    """Mean over KH x KW windows, PyTorch's ``F.avg_pool2d``.

    Zero padding counts in the divisor when ``count_include_pad`` (the default).

    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor
    >>> avg_pool2d(Tensor(np.arange(16.0).reshape(1, 1, 4, 4)), 2).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True):
    """Mean over windows of the last dim of ``input`` (N, C, L) or (C, L).

    >>> from tinygrad_cnn import Tensor
    >>> avg_pool1d(Tensor([[1.0, 3.0, 2.0, 6.0]]), 2).tolist()
    [[2.0, 4.0]]
    """
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad)
