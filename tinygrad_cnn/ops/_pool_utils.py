"""Max-pooling's array work, on raw arrays of ``xp`` (NumPy or CuPy): the max over each window
and which kernel cell won it, and the scatter of a gradient back to the winning cells.

Both run as a loop over the KH*KW kernel cells (never over samples), each cell one strided
slice of the input, and through the input a cache-sized chunk at a time. The winning cell
is kept per window as ``code``, its row-major index in the kernel (one byte for kernels of up
to 256 cells), laid out like the pooled input.
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_cnn._recycle import (
    give_buffer,
    memory_order,
    new_array,
    ordered_view,
    outer_pieces,
    take_buffer,
)
from tinygrad_cnn.ops._conv_utils import cells, pad_array
from tinygrad_cnn.ops.elementwise import and_with_mask

__all__ = ["chunks", "max_planes", "lowest_value", "flat_positions", "scatter_winners"]


# Max-pooling works through its input a few samples (or channels) at a time, so that its
# scratch copies are still in the cache when the next step reads them: on a 32x64x32x32 input
# (8 MB) whole-batch passes took the 2x2 forward 8-11 ms and its backward 7-8 ms, chunks of
# 2 MB 4-6 ms and 4-5 ms. LeNet's 1.2 MB first pool stays one chunk (smaller chunks made it
# slower).
_CHUNK_BYTES = 2 << 20


def chunks(xp, x):
    """Index tuples that split x (N, C, H, W) into pieces of about _CHUNK_BYTES along its
    outermost axis in memory, when that is N or C (NumPy; CuPy takes the whole array: a GPU
    wants large launches)."""
    return outer_pieces(x, _CHUNK_BYTES, axes=(0, 1)) if xp is np else [(Ellipsis,)]


def max_planes(xp, x, kernel, stride, pads, dilation, out_hw, track):
    """``(best, code)``: the max over each window of x (N, C, H, W) and which cell won (None
    unless ``track``), both laid out like x: a convolution's output lies in memory as
    (C, N, H, W), or (C, H, W, N) with its samples innermost, and the ReLU beside the pool
    (before it, or after it in a Sequential) and the convolution after it read their arrays
    as they lie."""
    order = memory_order(x) if xp is np else None
    lowest = lowest_value(x.dtype)
    xpad = pad_array(xp, x, pads, value=lowest)
    parts = [xpad[:, :, rows, cols] for rows, cols in cells(kernel, stride, dilation, out_hw)]
    shape = parts[0].shape
    # Ties go to the first maximum in row-major order, as in PyTorch.
    if kernel == (2, 2):
        best = new_array(xp, shape, x.dtype, order)
        code = new_array(xp, shape, xp.uint8, order) if track else None
        # With a row of a plane innermost in memory, NumPy's arithmetic on the cells'
        # strided views measured several times slower than on contiguous copies of them;
        # with the samples or channels innermost, each view is made of long runs already
        # (LeNet-5's first pool: 0.27 ms without copies against 0.53 ms with them).
        inner = [axis for axis in order or range(4) if x.shape[axis] > 1]
        copy = not inner or inner[-1] >= 2
        pieces = chunks(xp, xpad)
        room = math.prod(best[pieces[0]].shape)
        # The copies and the row maxima are scratch: recycled buffers, so no page faults.
        bufs = [take_buffer(xp, (room,), x.dtype) for _ in range(6 if copy else 2)]
        for chunk in pieces:
            into = best[chunk]
            scratch = [ordered_view(buf[:into.size], into.shape, order) for buf in bufs]
            cell_parts = [part[chunk] for part in parts]
            if copy:
                for buf, part in zip(scratch[2:], cell_parts):
                    xp.copyto(buf, part)
                cell_parts = scratch[2:]
            _tournament(xp, cell_parts, scratch[0], scratch[1], into,
                        None if code is None else code[chunk])
        for buf in bufs:
            give_buffer(xp, buf)
    else:
        best = new_array(xp, shape, x.dtype, order)
        xp.copyto(best, parts[0])
        code = None
        if track:
            code = new_array(xp, shape, xp.uint8 if len(parts) <= 256 else xp.int32, order)
            code.fill(0)
        for k, cand in enumerate(parts[1:], 1):
            if track:
                xp.copyto(code, k, where=cand > best)
            xp.maximum(best, cand, out=best)
    if not track:
        return best, None
    (pt, _), (pl, _) = pads
    if pt or pl:
        # A window whose values are all the lowest (-inf) ties with the padding before it: point it
        # at its first cell inside the input, as PyTorch does (the padding never wins).
        first = _first_inside(xp, kernel, stride, dilation, pads, best.shape[2:])
        xp.copyto(code, first.astype(code.dtype), where=best == lowest)
    if best.dtype.kind == "f" and xp.isnan(best).any():  # rare: one pass over best to find out
        # Comparisons with NaN are false, so the cells above never pick a NaN (and may have
        # left a window pointing into the padding). PyTorch's rule: the max of a window holding
        # NaN is NaN, and its winner is the last NaN in row-major order.
        for k, part in enumerate(parts):
            xp.copyto(code, k, where=xp.isnan(part))
    return best, code


def lowest_value(dtype):
    """What max-pooling pads with, so that the padding never wins: -inf for floats, the
    smallest integer for integers, False for bools.

    >>> import numpy as np
    >>> lowest_value(np.dtype(np.float32)), lowest_value(np.dtype(np.int8)), lowest_value(np.dtype(bool))
    (-inf, -128, False)
    """
    if dtype.kind == "f":
        return -np.inf
    if dtype.kind in "iu":
        return int(np.iinfo(dtype).min)
    if dtype.kind == "b":
        return False
    raise TypeError(f"max-pooling: expected a real or bool dtype, got {dtype}")


def _tournament(xp, parts, top, bottom, best, code):
    """``best`` = the max of the four cells ``parts`` of 2x2 windows; ``code`` (or None) =
    which one won, 2*row + col, ties to the first in row-major order (as in PyTorch).
    ``top``, ``bottom``: two arrays of ``best``'s shape to work in."""
    p00, p01, p10, p11 = parts
    xp.maximum(p00, p01, out=top)
    xp.maximum(p10, p11, out=bottom)
    xp.maximum(top, bottom, out=best)
    if code is not None:
        # row 1 when the lower pair wins, col 1 when the right cell wins its pair; in bitwise
        # steps (xp.where measured 20x slower on these byte arrays).
        row = bottom > top
        col = p11 > p10
        col &= row
        upper_col = p01 > p00
        upper_col &= ~row
        col |= upper_col
        row8 = row.view(xp.uint8)
        xp.add(row8, row8, out=code)
        code += col.view(xp.uint8)


def _first_inside(xp, kernel, stride, dilation, pads, out_hw):
    """(OH, OW): the code of each window's first cell inside the unpadded input."""
    kw, ((pt, _), (pl, _)) = kernel[1], pads
    firsts = []
    for n, s, d, p in zip(out_hw, stride, dilation, (pt, pl)):
        start = xp.arange(n) * s - p  # window origins, in input coordinates
        firsts.append(xp.maximum(0, -(start // d)))  # ceil(-start / d) cells to step over
    return firsts[0].reshape(-1, 1) * kw + firsts[1]


def flat_positions(xp, code, kernel, stride, dilation, pads, width):
    """The winning cells as flat positions row * W + col in each unpadded H*W plane."""
    oh, ow = code.shape[2:]
    kw, (sh, sw), (dh, dw), ((pt, _), (pl, _)) = kernel[1], stride, dilation, pads
    a, b = code // kw, code % kw
    rows = (xp.arange(oh) * sh - pt).reshape(oh, 1) + a.astype(xp.int64) * dh
    cols = xp.arange(ow) * sw - pl + b.astype(xp.int64) * dw
    return rows * width + cols


def scatter_winners(xp, grad, code, into, slices, order, tiled) -> None:
    """Send each value of ``grad`` to the cell of its window in ``into`` that ``code`` names,
    a chunk at a time (see :func:`_scatter_cells`); ``slices``: the kernel cells' slices."""
    for batch in chunks(xp, into):
        _scatter_cells(xp, grad[batch], code[batch], into[batch], slices, order, tiled)


def _scatter_cells(xp, g, won, into, slices, order, tiled) -> None:
    """Send ``g`` to cell k of every window of ``into`` where ``won`` is k (+0.0 elsewhere):
    written when the windows tile ``into`` (every cell once), added when they overlap or
    leave gaps (``into`` holds zeros then). One comparison and one mask per cell, in two
    scratch arrays shared by the cells (a ``select_bits`` per cell cost about twice the
    arithmetic in Python work); ``g`` and ``won`` are laid out alike (``order``)."""
    itype = np.dtype(f"i{g.dtype.itemsize}")
    eq_buf, bits_buf = take_buffer(xp, (won.size,), bool), take_buffer(xp, (won.size,), itype)
    eq, bits = ordered_view(eq_buf, won.shape, order), ordered_view(bits_buf, won.shape, order)
    for k, (rows, cols) in enumerate(slices):
        xp.equal(won, k, out=eq)
        cell = into[:, :, rows, cols]
        if tiled:
            and_with_mask(xp, g, eq, bits, cell)
        else:  # the selected values land in ``bits`` first
            and_with_mask(xp, g, eq, bits, bits)
            cell += bits.view(g.dtype)
    give_buffer(xp, eq_buf)
    give_buffer(xp, bits_buf)
