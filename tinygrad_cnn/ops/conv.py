"""Convolution: conv1d/conv2d, their transposes, and true (flipped-kernel) convolution.

CNN layers compute a cross-correlation, ``out[n, o, i, j] = sum_{c, a, b}
x[n, c, i*S + a*D, j*S + b*D] * w[o, c, a, b]`` (plus bias), through im2col: a strided
window view of the padded input, one contiguous copy (C*KH*KW, N*OH*OW), and one matrix
product for the whole batch, returned as an NCHW view of its (O, N, OH, OW) result, or of an
(O, OH, OW, N) result for small inputs, whose patches put the samples innermost
(``_conv_utils.samples_last``).
Stride-1 convolutions that keep the width make their patches from long row runs, a
cache-sized chunk (a few samples, or a band of rows of one) at a time, the chunks shared
over the BLAS's threads (``_conv_utils.correlate_by_rows``): when the patches are needed
only once (inference, frozen weights), and, for inputs whose patches are not samples-last,
in training (each chunk written into the kept patch matrix) and in the input gradient's
full correlation.

The three Functions are each other's derivatives, so every order of gradient is made of them:

* :class:`Conv2d` ``y = conv(x, w)``: dx = ``ConvTranspose2d(dy, w)`` (the adjoint),
  dw = ``ConvWeightGrad2d(x, dy)`` (a correlation of the input with the output gradient).
* :class:`ConvTranspose2d` ``x = conv^T(y, w)``: dy = ``Conv2d(dx, w)``,
  dw = ``ConvWeightGrad2d(dx, y)``.
* :class:`ConvWeightGrad2d` ``dw = W(x, g)`` is linear in x and in g: for a cotangent V of dw,
  dx = ``ConvTranspose2d(g, V)`` and dg = ``Conv2d(x, V)``.
"""

from __future__ import annotations

from collections import namedtuple

from tinygrad_cnn._recycle import give_buffer, laid_out_copy, new_array, take_buffer
from tinygrad_cnn.function import Function
from tinygrad_cnn.ops._conv_utils import (
    cells,
    check_groups,
    check_input,
    correlate,
    correlate_by_rows,
    from4d,
    non_negative,
    ntuple,
    out_size,
    patches_of,
    positive,
    rows_line_up,
    samples_last,
    scratch_like_patches,
    summed_product,
    to4d,
)
from tinygrad_cnn.tensor import Tensor

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "true_conv2d", "conv_output_size"]

# The geometry of one convolution: stride (sh, sw), pads ((top, bottom), (left, right)),
# dilation (dh, dw), groups. A transposed convolution carries the geometry of the
# convolution it is the adjoint of.
Geometry = namedtuple("Geometry", ["stride", "pads", "dilation", "groups"])


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0,
                     dilation: int = 1) -> int:
    """floor((size + 2*padding - dilation*(kernel_size-1) - 1) / stride) + 1.

    >>> conv_output_size(227, 11, stride=4)   # AlexNet's first layer
    55
    >>> conv_output_size(32, 5)               # LeNet's first layer
    28
    """
    return out_size("conv_output_size", "size", size, kernel_size, stride, padding, padding, dilation)


# -- the three Functions ------------------------------------------------------------------
class Conv2d(Function):
    """Cross-correlation of x (N, C, H, W) with w (O, C/groups, KH, KW), plus optional bias."""

    def forward(self, x, w, b=None, *, geom, out_hw):
        wmat = w.reshape(w.shape[0], -1)
        # The weight gradient needs exactly these patches: keep them instead of making them
        # again (when nothing will need them, they are recycled at once, or never all made).
        keep = self.needs_input_grad[1] and self.recording
        # A cache-sized chunk at a time, shared over threads (see correlate_by_rows), unless
        # the patches are kept and the input is small enough for samples-last ones (im2col).
        if rows_line_up(self.xp, x.shape, geom.stride, out_hw) and not (keep and samples_last(self.xp, x)):
            out, self.patches = correlate_by_rows(x, wmat, w.shape[2:], geom.dilation, geom.pads,
                                                  out_hw, geom.groups, b, keep_cols=keep)
        else:
            out, self.patches = correlate(self.xp, x, wmat, w.shape[2:], geom.stride, geom.dilation,
                                          geom.pads, out_hw, geom.groups, keep_cols=keep, bias=b)
        return out

    def backward(self, grad):
        x, w = self.saved_tensors[:2]
        geom = self.settings["geom"]
        need = self.needs_input_grad
        # The weight gradient first: it is the last reader of the forward's patches, and once
        # they are back in the pool the input gradient's col2im can reuse their memory (LeNet's
        # second layer: one 3.8 MB buffer instead of two).
        dw = ConvWeightGrad2d.apply(x, grad, geom=geom, kernel=w.shape[2:],
                                    patches=self.patches) if need[1] else None
        if self.patches is not None:
            give_buffer(self.xp, self.patches.cols)
        self.patches = None
        dx = ConvTranspose2d.apply(grad, w, geom=geom, out_hw=x.shape[2:]) if need[0] else None
        db = grad.sum((0, 2, 3)) if need[2:] == (True,) else None
        return (dx, dw, db)[:len(need)]  # no bias input, no bias gradient


class ConvTranspose2d(Function):
    """The adjoint of ``Conv2d`` with geometry ``geom``: y (N, O, OH, OW) -> (N, C, *out_hw).

    Computed as one full correlation: y is spread out by the stride (zeros in between), padded
    by D*(K-1) - P on each side, and correlated with the flipped, channel-transposed kernel.
    """

    def forward(self, y, w, b=None, *, geom, out_hw):
        n, o, oh, ow = y.shape
        c = w.shape[1] * geom.groups
        # Two exact ways to compute the same thing; pick the one with the smaller patch matrix.
        # The full correlation needs O*KH*KW rows per output pixel, the col2im form C*KH*KW rows
        # per input pixel (it wins for C < O and for strides > 1, where the spread-out input
        # is mostly zeros); for C = O at stride 1 the full correlation was faster here.
        if c * oh * ow < o * out_hw[0] * out_hw[1]:
            out = _col2im_transpose(self.xp, y, w, geom, out_hw)
        else:
            out = _full_correlation_transpose(self.xp, y, w, geom, out_hw)
        if b is not None:
            out += b.reshape(1, -1, 1, 1)
        return out

    def backward(self, grad):
        y, w = self.saved_tensors[:2]
        geom = self.settings["geom"]
        need = self.needs_input_grad
        dy = Conv2d.apply(grad, w, geom=geom, out_hw=y.shape[2:]) if need[0] else None
        dw = ConvWeightGrad2d.apply(grad, y, geom=geom, kernel=w.shape[2:], patches=None) if need[1] else None
        db = grad.sum((0, 2, 3)) if need[2:] == (True,) else None
        return (dy, dw, db)[:len(need)]


class ConvWeightGrad2d(Function):
    """d<conv(x, w), g>/dw: the correlation of x (N, C, H, W) with g (N, O, OH, OW).

    One product per group over the whole batch, (O/G, N*L) @ (N*L, C/G*KH*KW), cut into chunks
    shared over threads when it is large (``_conv_utils.summed_product``). ``patches``: the
    forward's :class:`~tinygrad_cnn.ops._conv_utils.Patches` of x, or None to make them.
    """

    def forward(self, x, g, *, geom, kernel, patches):
        xp = self.xp
        n, o, oh, ow = g.shape
        groups = geom.groups
        own = patches is None  # patches built here are recycled here; Conv2d recycles its own
        if own:
            patches = patches_of(xp, x, geom.pads, kernel, geom.stride, geom.dilation, (oh, ow))
        cols = patches.cols
        # g as (G, O/G, N*L), its columns in the patches' order; free when g came from a
        # convolution (its memory is already (O, N, L), or (O, L, N) for samples-last patches).
        gt = g.transpose(1, 2, 3, 0) if patches.samples_last else g.transpose(1, 0, 2, 3)
        gmat = gt.reshape(groups, o // groups, n * oh * ow)
        rows = cols.reshape(groups, cols.shape[0] // groups, n * oh * ow).transpose(0, 2, 1)  # (G, N*L, C/G*KK)
        dw = summed_product(xp, gmat, rows)  # (G, O/G, C/G*KK)
        if own:
            give_buffer(xp, cols)
        self.settings["patches"] = None  # not needed by backward; do not keep them alive
        return dw.reshape(o, -1, kernel[0], kernel[1])

    def backward(self, grad):
        x, g = self.saved_tensors
        geom = self.settings["geom"]
        nx, ng = self.needs_input_grad
        dx = ConvTranspose2d.apply(g, grad, geom=geom, out_hw=x.shape[2:]) if nx else None
        dg = Conv2d.apply(x, grad, geom=geom, out_hw=g.shape[2:]) if ng else None
        return dx, dg


def _full_correlation_transpose(xp, y, w, geom, out_hw):
    """Spread y by the stride, pad by D*(K-1) - P, correlate with the flipped kernel."""
    (kh, kw), g = w.shape[2:], geom.groups
    spread, pads, scratch = _spread(xp, y, geom, (kh, kw), out_hw)
    o, cg = w.shape[:2]
    # (O, C/G, KH, KW) -> (G, C/G, O/G, KH, KW) flipped -> (C, O/G*KH*KW)
    wt = w.reshape(g, o // g, cg, kh, kw).transpose(0, 2, 1, 3, 4)[:, :, :, ::-1, ::-1]
    wt = xp.ascontiguousarray(wt).reshape(g * cg, -1)
    if rows_line_up(xp, spread.shape, (1, 1), out_hw) and not samples_last(xp, spread):
        out, _ = correlate_by_rows(spread, wt, (kh, kw), geom.dilation, pads, out_hw, g)
    else:
        out, _ = correlate(xp, spread, wt, (kh, kw), (1, 1), geom.dilation, pads, out_hw, g, keep_cols=False)
    if scratch is not None:
        give_buffer(xp, scratch)
    return out


def _col2im_transpose(xp, y, w, geom, out_hw):
    """One matrix product gives every window's contribution, then the KH*KW kernel offsets are
    added into place as strided slices (col2im).

    The samples go last, (C, KH, KW, OH, OW, N): the strided adds then move runs of at least N
    contiguous values instead of rows of OW, which made them about twice as fast. The result
    keeps that layout, as the outputs of a convolution with samples-last patches do (for
    inputs :func:`samples_last` accepts), else it is laid out (C, N, H, W) like the others.
    """
    n, o, oh, ow = y.shape
    g, (kh, kw) = geom.groups, w.shape[2:]
    cg = w.shape[1]
    (sh, sw), (dh, dw), ((pt, _), (pl, _)) = geom.stride, geom.dilation, geom.pads
    wt = w.reshape(g, o // g, cg * kh * kw).transpose(0, 2, 1)  # (G, C/G*KK, O/G)
    yt = xp.ascontiguousarray(y.transpose(1, 2, 3, 0)).reshape(g, o // g, oh * ow * n)
    cols = take_buffer(xp, (g, cg * kh * kw, oh * ow * n), y.dtype)  # scratch, like ``out``
    xp.matmul(wt, yt, out=cols)
    cols = cols.reshape(g * cg, kh * kw, oh, ow, n)
    h, wd = out_hw
    hp = max(pt + h, (oh - 1) * sh + dh * (kh - 1) + 1)
    wp = max(pl + wd, (ow - 1) * sw + dw * (kw - 1) + 1)
    last = samples_last(xp, y)
    whole = last and (pt, pl, hp, wp) == (0, 0, h, wd)  # the sums are the result as they lie
    shape = (g * cg, hp, wp, n)  # (C, H, W, N), padded
    out = new_array(xp, shape, y.dtype) if whole else take_buffer(xp, shape, y.dtype)
    out.fill(0)
    for k, (rows, columns) in enumerate(cells((kh, kw), geom.stride, geom.dilation, (oh, ow))):
        out[:, rows, columns] += cols[:, k]
    give_buffer(xp, cols)
    if whole:
        return out.transpose(3, 0, 1, 2)
    # A copy, never ascontiguousarray: that returns a view when the result happens to be
    # contiguous already, and ``out`` goes back to the pool.
    inside = out[:, pt:pt + h, pl:pl + wd].transpose(3, 0, 1, 2)
    result = laid_out_copy(xp, inside, (1, 2, 3, 0) if last else (1, 0, 2, 3))
    give_buffer(xp, out)
    return result


def _spread(xp, y, geom, kernel, out_hw):
    """y (N, O, OH, OW) placed every S-th row/column of a zero buffer, with D*(K-1) - P border.

    Returns ``(array, pads, scratch)`` for :func:`correlate`: at stride 1 with a border of at
    least zero all round, y itself and the border as its padding (correlate pads it into a
    recycled buffer) and no scratch; otherwise a view of ``scratch``, a recycled buffer from
    :func:`take_buffer` (laid out for samples-last patches when :func:`samples_last` accepts
    y), holding the spread and bordered y, and no padding.

    Rows that would fall outside the buffer (padding larger than D*(K-1)) belong to windows
    lying entirely in the padding, whose gradient is zero, so they are dropped.
    """
    n, o, oh, ow = y.shape
    placements = []
    for size_in, size_out, k, s, d, (lo, _) in zip((oh, ow), out_hw, kernel, geom.stride,
                                                  geom.dilation, geom.pads):
        start = d * (k - 1) - lo  # buffer row of y's row 0
        length = size_out + d * (k - 1)  # so that a stride-1 correlation gives size_out rows
        first = max(0, -(start // s) if start < 0 else 0)  # ceil(-start / s)
        last = min(size_in, (length - 1 - start) // s + 1)
        placements.append((length, slice(start + first * s, start + (last - 1) * s + 1, s),
                           slice(first, last)))
    (hb, rows, yrows), (wb, cols, ycols) = placements
    if geom.stride == (1, 1) and yrows == slice(0, oh) and ycols == slice(0, ow):
        pads = ((rows.start, hb - rows.stop), (cols.start, wb - cols.stop))
        if all(p >= 0 for pair in pads for p in pair):
            return y, pads, None
    buf, scratch = scratch_like_patches(xp, (n, o, hb, wb), y.dtype, samples_last(xp, y))
    scratch.fill(0)
    if rows.start < rows.stop and cols.start < cols.stop:
        buf[:, :, rows, cols] = y[:, :, yrows, ycols]
    return buf, ((0, 0), (0, 0)), scratch


# -- argument checks ----------------------------------------------------------------------
def _check_tensors(op, nd, x, w, b):
    check_input(op, nd, x)
    if not isinstance(w, Tensor):
        raise TypeError(f"{op}: weight: expected a Tensor, got {type(w).__name__}")
    if w.ndim != nd + 2:
        raise ValueError(f"{op}: weight: expected a {nd + 2}-D tensor, got shape {w.shape}")
    if b is not None:
        if not isinstance(b, Tensor):
            raise TypeError(f"{op}: bias: expected a Tensor or None, got {type(b).__name__}")
        if b.ndim != 1:
            raise ValueError(f"{op}: bias: expected a 1-D tensor, got shape {b.shape}")


def _same_pads(op, kernel, dilation, stride):
    if any(s != 1 for s in stride):
        raise ValueError(f"{op}: padding='same' needs stride 1, got stride={stride}")
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))  # the extra one goes right, as in PyTorch
    return pads


def padding_pairs(op, padding, nd, kernel, dilation, stride) -> list:
    """``padding`` (an int, a tuple, 'valid' or 'same') as ``nd`` (before, after) pairs."""
    if isinstance(padding, str):
        if padding == "valid":
            return [(0, 0)] * nd
        if padding == "same":
            return _same_pads(op, kernel, dilation, stride)
        raise ValueError(f"{op}: padding: expected an int, a tuple, 'valid' or 'same', got {padding!r}")
    p = non_negative(ntuple(padding, nd, "padding", op), "padding", op)
    return [(v, v) for v in p]


def _launch(fn, nd, x, w, b, geom, out_hw):
    """Run ``fn`` (Conv2d or ConvTranspose2d) on 4-D data: 1-D convs run as 2-D convs of
    height 1, unbatched inputs get a batch of 1; the result gets the caller's layout back."""
    x4, unbatched = to4d(x, nd)
    w4 = w.unsqueeze(2) if nd == 1 else w
    args = (x4, w4) if b is None else (x4, w4, b)
    return from4d(fn.apply(*args, geom=geom, out_hw=tuple(out_hw)), nd, unbatched)


# -- public functions ---------------------------------------------------------------------
def _conv(op, nd, x, w, b, stride, padding, dilation, groups):
    _check_tensors(op, nd, x, w, b)
    unbatched = x.ndim == nd + 1
    c = x.shape[0 if unbatched else 1]
    o, cg = w.shape[:2]
    groups = check_groups(op, groups, c, "input channels", o, "output channels (weight.shape[0])")
    if cg * groups != c:
        raise ValueError(
            f"{op}: channel mismatch: input has {c} channels, but weight (shape {w.shape}) "
            f"expects {cg * groups} (weight.shape[1]={cg} x groups={groups})"
        )
    if b is not None and b.shape[0] != o:
        raise ValueError(f"{op}: bias: expected shape ({o},) (one per output channel), got {b.shape}")
    kernel = tuple(w.shape[2:])
    stride = positive(ntuple(stride, nd, "stride", op), "stride", op)
    dilation = positive(ntuple(dilation, nd, "dilation", op), "dilation", op)
    positive(kernel, "weight's kernel size", op)
    pads = padding_pairs(op, padding, nd, kernel, dilation, stride)
    spatial = x.shape[-nd:]
    dims = ("length",) if nd == 1 else ("height", "width")
    out_hw = tuple(out_size(op, dim, n, k, s, lo, hi, d)
                   for dim, n, k, s, (lo, hi), d in zip(dims, spatial, kernel, stride, pads, dilation))
    if nd == 1:
        stride, dilation, pads, out_hw = (1, *stride), (1, *dilation), [(0, 0), *pads], (1, *out_hw)
    return _launch(Conv2d, nd, x, w, b, Geometry(tuple(stride), tuple(pads), tuple(dilation), groups), out_hw)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:  # noqa: A002
    """2-D cross-correlation, PyTorch's ``F.conv2d``.

    ``input`` (N, C, H, W) or (C, H, W); ``weight`` (O, C/groups, KH, KW); ``bias`` (O,).
    ``stride``, ``padding`` and ``dilation`` are ints or pairs; ``padding`` may also be
    ``'valid'`` (no padding) or ``'same'`` (output as large as the input; stride 1 only).
    The output is (N, O, OH, OW) with OH = floor((H + 2P - D*(KH-1) - 1)/S) + 1.

    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    >>> conv2d(x, Tensor(np.ones((1, 1, 2, 2))), stride=2).tolist()
    [[[[10.0, 18.0], [42.0, 50.0]]]]
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:  # noqa: A002
    """1-D cross-correlation: ``input`` (N, C, L) or (C, L), ``weight`` (O, C/groups, K).

    >>> from tinygrad_cnn import Tensor
    >>> conv1d(Tensor([[1.0, 2.0, 3.0, 4.0]]), Tensor([[[1.0, -1.0]]])).tolist()
    [[-1.0, -1.0, -1.0]]
    """
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose(op, nd, x, w, b, stride, padding, output_padding, groups, dilation):
    _check_tensors(op, nd, x, w, b)
    unbatched = x.ndim == nd + 1
    c_in = x.shape[0 if unbatched else 1]
    o, cg = w.shape[:2]  # PyTorch's layout: (in_channels, out_channels/groups, *kernel)
    groups = check_groups(op, groups, c_in, "input channels", o, "weight.shape[0]")
    if o != c_in:
        raise ValueError(
            f"{op}: channel mismatch: input has {c_in} channels, but weight (shape {w.shape}) "
            f"expects {o} (weight.shape[0], the transposed convolution's in_channels)"
        )
    c_out = cg * groups
    if b is not None and b.shape[0] != c_out:
        raise ValueError(f"{op}: bias: expected shape ({c_out},) (one per output channel), got {b.shape}")
    kernel = tuple(w.shape[2:])
    stride = positive(ntuple(stride, nd, "stride", op), "stride", op)
    dilation = positive(ntuple(dilation, nd, "dilation", op), "dilation", op)
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding: expected an int or a tuple, got {padding!r}")
    pad = non_negative(ntuple(padding, nd, "padding", op), "padding", op)
    opad = non_negative(ntuple(output_padding, nd, "output_padding", op), "output_padding", op)
    for op_, s, d in zip(opad, stride, dilation):
        if op_ >= max(s, d):
            raise ValueError(f"{op}: output_padding: expected values smaller than stride or "
                             f"dilation (stride={stride}, dilation={dilation}), got {opad}")
    out_hw = []
    for n, k, s, p, d, extra in zip(x.shape[-nd:], kernel, stride, pad, dilation, opad):
        size = (n - 1) * s - 2 * p + d * (k - 1) + extra + 1
        if size <= 0:
            raise ValueError(
                f"{op}: output size would be (size - 1)*S - 2P + D*(K-1) + output_padding + 1 = "
                f"({n} - 1)*{s} - 2*{p} + {d}*({k}-1) + {extra} + 1 = {size} <= 0"
            )
        out_hw.append(size)
    # The convolution this is the adjoint of; its output size is fixed by out_hw, so the
    # output_padding rows simply get no window of their own.
    pads = [(p, p) for p in pad]
    if nd == 1:
        stride, dilation, pads, out_hw = (1, *stride), (1, *dilation), [(0, 0), *pads], [1, *out_hw]
    geom = Geometry(tuple(stride), tuple(pads), tuple(dilation), groups)
    return _launch(ConvTranspose2d, nd, x, w, b, geom, out_hw)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,  # noqa: A002
                     groups=1, dilation=1) -> Tensor:
    """2-D transposed convolution (the gradient of ``conv2d`` with respect to its input).

    ``input`` (N, C_in, H, W); ``weight`` (C_in, C_out/groups, KH, KW) as in PyTorch. The output
    has size (H - 1)*S - 2P + D*(KH-1) + output_padding + 1.

    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor
    >>> y = conv_transpose2d(Tensor(np.ones((1, 1, 2, 2))), Tensor(np.ones((1, 1, 2, 2))), stride=2)
    >>> y.shape, float(y.sum().item())
    ((1, 1, 4, 4), 16.0)
    """
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,  # noqa: A002
                     groups=1, dilation=1) -> Tensor:
    """1-D transposed convolution: ``input`` (N, C_in, L), ``weight`` (C_in, C_out/groups, K).

    The output has length (L - 1)*S - 2P + D*(K-1) + output_padding + 1; overlapping windows add up.

    >>> from tinygrad_cnn import Tensor
    >>> conv_transpose1d(Tensor([[[1.0, 2.0]]]), Tensor([[[1.0, 1.0, 1.0]]]), stride=2).tolist()
    [[[1.0, 1.0, 3.0, 2.0, 2.0]]]
    """
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def true_conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:  # noqa: A002
    """Convolution in the signal-processing sense: the kernel is flipped in both spatial dims.

    ``s[i, j] = sum_{a, b} x[i - a, j - b] k[a, b]``. CNN layers (``conv2d``) compute the
    cross-correlation ``sum x[i + a, j + b] k[a, b]`` instead; the two differ only by the flip,
    so ``true_conv2d(x, k) == conv2d(x, k.flip)``. For a learned kernel the difference does
    not matter (the network learns the flipped kernel), for a given one (a blur is symmetric,
    an edge detector is not) it does.

    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor(np.array([[[[1.0, 2.0, 3.0]]]]))
    >>> true_conv2d(x, Tensor(np.array([[[[1.0, 0.0]]]]))).tolist()   # picks x[j + 1]
    [[[[2.0, 3.0]]]]
    >>> conv2d(x, Tensor(np.array([[[[1.0, 0.0]]]]))).tolist()        # picks x[j]
    [[[[1.0, 2.0]]]]
    """
    if isinstance(weight, Tensor) and weight.ndim >= 2:
        weight = weight[..., ::-1, ::-1]
    return conv2d(input, weight, bias, stride, padding, dilation, groups)
