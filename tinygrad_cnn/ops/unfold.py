"""``unfold`` (im2col) and ``fold`` (col2im) as PyTorch's ``F.unfold`` / ``F.fold``.

``unfold`` lays every sliding block of an (N, C, H, W) input out as a column, so that a
convolution is one matrix product: ``conv2d(x, w) == (w.reshape(O, -1) @ unfold(x, K))``
reshaped to (N, O, OH, OW). ``fold`` is its adjoint: it adds each column back into the
block it came from (overlapping blocks add up), the input gradient of ``unfold``.

Both are composites of indexing (a gather and a scatter-add at the same positions), so
every order of gradient works; the convolution layers use their own faster im2col
(:mod:`tinygrad_cnn.ops._conv_utils`).
"""

from __future__ import annotations

from tinygrad_cnn.ops._conv_utils import non_negative, ntuple, out_size, positive
from tinygrad_cnn.ops.shape import GetItem, IndexAdd, pad
from tinygrad_cnn.tensor import Tensor

__all__ = ["unfold", "fold"]


def _check_input(op, input, expected, ndims) -> None:  # noqa: A002
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input: expected a Tensor, got {type(input).__name__}")
    if input.ndim not in ndims:
        raise ValueError(f"{op}: input: expected {expected} tensor, got shape {input.shape}")


def _geometry(op, kernel_size, dilation, padding, stride):
    kernel = positive(ntuple(kernel_size, 2, "kernel_size", op), "kernel_size", op)
    dilation = positive(ntuple(dilation, 2, "dilation", op), "dilation", op)
    padding = non_negative(ntuple(padding, 2, "padding", op), "padding", op)
    stride = positive(ntuple(stride, 2, "stride", op), "stride", op)
    return kernel, dilation, padding, stride


def _blocks(op, size, kernel, dilation, padding, stride) -> tuple:
    """(OH, OW): how many blocks fit along each dim of a ``size`` (H, W) input."""
    return tuple(out_size(op, dim, n, k, s, p, p, d) for dim, n, k, s, p, d in
                 zip(("height", "width"), size, kernel, stride, padding, dilation))


def _positions(xp, channels, kernel, dilation, stride, blocks) -> tuple:
    """The advanced index (channel, row, column), each (C*KH*KW, OH*OW), that picks block
    element (c, a, b) of every block out of a padded (.., C, H, W) array."""
    (kh, kw), (dh, dw), (sh, sw), (oh, ow) = kernel, dilation, stride, blocks
    c = xp.arange(channels).reshape(channels, 1, 1, 1)
    a = xp.arange(kh).reshape(1, kh, 1, 1)
    b = xp.arange(kw).reshape(1, 1, kw, 1)
    i = xp.arange(oh).repeat(ow).reshape(1, 1, 1, oh * ow)  # block row of each column
    j = xp.tile(xp.arange(ow), oh).reshape(1, 1, 1, oh * ow)  # block column of each column
    shape = (channels, kh, kw, oh * ow)
    rows = xp.broadcast_to(i * sh + a * dh, shape).reshape(-1, oh * ow)
    cols = xp.broadcast_to(j * sw + b * dw, shape).reshape(-1, oh * ow)
    chans = xp.broadcast_to(c, shape).reshape(-1, oh * ow)
    return chans, rows, cols


def unfold(input, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:  # noqa: A002
    """The sliding blocks of ``input`` (N, C, H, W), or (C, H, W), as columns:
    ``(N, C*KH*KW, L)``, rows ordered (channel, kernel row, kernel column), the ``L = OH*OW``
    blocks in row-major order, PyTorch's ``F.unfold``.

    >>> import tinygrad_cnn as tg
    >>> x = tg.arange(9.0).reshape(1, 1, 3, 3)
    >>> unfold(x, 2).tolist()                # four 2x2 blocks, one per column
    [[[0.0, 1.0, 3.0, 4.0], [1.0, 2.0, 4.0, 5.0], [3.0, 4.0, 6.0, 7.0], [4.0, 5.0, 7.0, 8.0]]]
    """
    op = "unfold"
    _check_input(op, input, "a 3-D (C, H, W) or 4-D (N, C, H, W)", (3, 4))
    kernel, dilation, padding, stride = _geometry(op, kernel_size, dilation, padding, stride)
    blocks = _blocks(op, input.shape[-2:], kernel, dilation, padding, stride)
    ph, pw = padding
    padded = pad(input, (pw, pw, ph, ph)) if ph or pw else input
    at = _positions(input.device.xp, input.shape[-3], kernel, dilation, stride, blocks)
    lead = (slice(None),) * (input.ndim - 3)
    return GetItem.apply(padded, index=lead + at)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:  # noqa: A002
    """Add columns ``(N, C*KH*KW, L)``, or ``(C*KH*KW, L)``, back into the blocks of an
    ``(N, C, *output_size)`` image, where overlapping blocks add up: PyTorch's ``F.fold``, the
    adjoint of :func:`unfold` (``fold(unfold(x))`` is ``x`` times how many blocks cover
    each pixel).

    >>> import tinygrad_cnn as tg
    >>> fold(tg.ones(1, 4, 4), (3, 3), 2).tolist()   # how many 2x2 blocks cover each pixel
    [[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]]
    """
    op = "fold"
    _check_input(op, input, "a 2-D (C*KH*KW, L) or 3-D (N, C*KH*KW, L)", (2, 3))
    size = positive(ntuple(output_size, 2, "output_size", op), "output_size", op)
    kernel, dilation, padding, stride = _geometry(op, kernel_size, dilation, padding, stride)
    rows, length = input.shape[-2:]
    if rows % (kernel[0] * kernel[1]):
        raise ValueError(f"{op}: input: expected dim {input.ndim - 2} to be divisible by the "
                         f"kernel's {kernel[0]}*{kernel[1]} cells, got {rows} (shape {input.shape})")
    blocks = _blocks(op, size, kernel, dilation, padding, stride)
    if length != blocks[0] * blocks[1]:
        raise ValueError(f"{op}: input: expected {blocks[0]}*{blocks[1]} = {blocks[0] * blocks[1]} "
                         f"blocks in its last dim for output_size={size}, kernel_size={kernel}, "
                         f"dilation={dilation}, padding={padding}, stride={stride}, got {length}")
    channels = rows // (kernel[0] * kernel[1])
    (ph, pw), (h, w) = padding, size
    at = _positions(input.device.xp, channels, kernel, dilation, stride, blocks)
    lead = input.shape[:-2]
    lead_index = (slice(None),) * len(lead)
    out = IndexAdd.apply(input, shape=(*lead, channels, h + 2 * ph, w + 2 * pw), index=lead_index + at)
    if ph or pw:
        out = GetItem.apply(out, index=lead_index + (slice(None), slice(ph, ph + h), slice(pw, pw + w)))
    return out
