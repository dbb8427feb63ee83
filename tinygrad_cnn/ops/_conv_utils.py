"""Shared helpers of the convolution and pooling ops: argument checks, output sizes, im2col.

Everything here works on raw arrays of ``xp`` (NumPy or CuPy) or on plain Python ints.
"""

from __future__ import annotations

import numbers
from collections import namedtuple

import numpy as np

from tinygrad_cnn._recycle import give_buffer, memory_order, new_array, ordered_view, take_buffer
from tinygrad_cnn._threads import run_shared, sharing_threads
from tinygrad_cnn.ops._args import check_int
from tinygrad_cnn.tensor import Tensor

__all__ = [
    "check_input", "check_groups", "to4d", "from4d", "ntuple", "positive", "out_size", "pad_array", "cells",
    "windows", "im2col", "Patches", "patches_of", "samples_last", "is_samples_last",
    "scratch_like_patches",
]


def ntuple(value, n: int, arg: str, op: str) -> tuple:
    """``value`` (an int or a sequence of ``n`` ints) as a tuple of ``n`` ints."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value),) * n
    if isinstance(value, (tuple, list)) and len(value) == n and all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value
    ):
        return tuple(int(v) for v in value)
    raise TypeError(f"{op}: {arg}: expected an int or a tuple of {n} ints, got {value!r}")


def check_input(op: str, nd: int, x) -> None:
    """``x`` must be a Tensor of ``nd`` spatial dims, batched or not (conv and pooling)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input: expected a Tensor, got {type(x).__name__}")
    if x.ndim not in (nd + 1, nd + 2):
        names = {1: "(C, L) or (N, C, L)", 2: "(C, H, W) or (N, C, H, W)"}[nd]
        raise ValueError(f"{op}: input: expected a {nd + 1}-D or {nd + 2}-D tensor {names}, "
                         f"got shape {x.shape}")


def check_groups(op, groups, channels, arg_c, out_channels, arg_o) -> int:
    """``groups`` as an int, which must be positive and divide both channel counts (named in
    errors)."""
    groups = check_int(op, "groups", groups)
    for count, name in ((channels, arg_c), (out_channels, arg_o)):
        if count % groups:
            raise ValueError(f"{op}: groups={groups} must divide the {name} ({count})")
    return groups


def to4d(x, nd: int) -> tuple:
    """``(x as (N, C, H, W), unbatched)``: 1-D data gets height 1, unbatched data a batch of 1."""
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = x.unsqueeze(0)
    return (x.unsqueeze(2) if nd == 1 else x), unbatched


def from4d(out, nd: int, unbatched: bool):
    """Undo :func:`to4d` on a result."""
    if nd == 1:
        out = out.squeeze(2)
    return out.squeeze(0) if unbatched else out


def positive(values: tuple, arg: str, op: str) -> tuple:
    """Refuse zero or negative strides, dilations and kernel sizes."""
    if any(v <= 0 for v in values):
        raise ValueError(f"{op}: {arg}: expected positive values, got {values}")
    return values


def non_negative(values: tuple, arg: str, op: str) -> tuple:
    if any(v < 0 for v in values):
        raise ValueError(f"{op}: {arg}: expected non-negative values, got {values}")
    return values


def out_size(op: str, dim: str, size: int, k: int, s: int, lo: int, hi: int, d: int,
             ceil_mode: bool = False) -> int:
    """floor((size + lo + hi - d*(k-1) - 1) / s) + 1, checked to be positive.

    ``lo``/``hi`` are the paddings on both sides (equal except for 'same' with an even kernel).
    With ``ceil_mode`` the division rounds up, but the last window must start inside the
    input or the left padding (PyTorch's rule).
    """
    span = size + lo + hi - d * (k - 1) - 1
    n = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and n > 1 and (n - 1) * s >= size + lo:
        n -= 1
    if span < 0 or n <= 0:
        pads = f"2*{lo}" if lo == hi else f"{lo}+{hi}"
        raise ValueError(
            f"{op}: output {dim} would be floor((size + 2P - D*(K-1) - 1)/S) + 1 = "
            f"floor(({size} + {pads} - {d}*({k}-1) - 1)/{s}) + 1 = {span // s + 1} <= 0: the "
            f"kernel (size {k}, dilated {d * (k - 1) + 1}) is larger than the padded input "
            f"({size + lo + hi})"
        )
    return n


def pad_array(xp, x, pads: tuple, value=0.0):
    """``x`` with its last two dims padded by ``pads = ((top, bottom), (left, right))``,
    filled with ``value``, in fresh memory (laid out like ``x`` on NumPy), or ``x`` itself
    when there is no padding."""
    if not any(p for pair in pads for p in pair):
        return x
    (pt, pb), (pl, pr) = pads
    n, c, h, w = x.shape
    out = ordered_view(xp.empty(n * c * (h + pt + pb) * (w + pl + pr), dtype=x.dtype),
                       (n, c, h + pt + pb, w + pl + pr), memory_order(x) if xp is np else None)
    _fill_padded(out, x, pads, value, regroup=False)
    return out


def _fill_padded(out, x, pads, value, regroup) -> None:
    """Write ``x`` into the inside of ``out`` and ``value`` into its border (``pads`` wide);
    ``regroup``: ``out`` is samples-last and ``x`` may not be."""
    (pt, pb), (pl, pr) = pads
    h, w = x.shape[2:]
    out[:, :, :pt] = value
    out[:, :, pt + h:] = value
    out[:, :, pt:pt + h, :pl] = value
    out[:, :, pt:pt + h, pl + w:] = value
    inside = out[:, :, pt:pt + h, pl:pl + w]
    if not regroup or is_samples_last(x):
        inside[...] = x
        return
    # Into samples-last memory from another layout: a transposing copy. Eight samples at a
    # time it ran 2-3x faster here than in one go (LeNet-5's 64x1x32x32 batch: 0.11 against
    # 0.28 ms): the eight source rows stay in the cache while their values are picked out,
    # where one long gather thrashes it when the sample size is a power of two.
    for first in range(0, x.shape[0], 8):
        inside[first:first + 8] = x[first:first + 8]


def is_samples_last(x) -> bool:
    """Whether the samples are the innermost axis of ``x`` (N, C, H, W) in memory (N > 1)."""
    return x.shape[0] > 1 and x.strides[0] == x.itemsize


# Samples-last patches (see im2col) need the input laid out (C, H, W, N). Inputs in another
# layout are copied into it when they are at most this large: a transposing copy of larger
# ones cost about as much as the longer runs saved (a 64->64 channel 3x3 layer on 32x64x32x32:
# 20 ms against 17 ms for the whole im2col).
_SAMPLES_LAST_BYTES = 4 << 20


def samples_last(xp, x) -> bool:
    """Whether the patches of ``x`` (N, C, H, W) should be ordered with the samples innermost
    (see :func:`im2col`): NumPy only, for inputs already laid out so or small enough to copy."""
    return xp is np and x.shape[0] > 1 and (is_samples_last(x) or x.nbytes <= _SAMPLES_LAST_BYTES)


def cells(kernel: tuple, stride: tuple, dilation: tuple, out_hw: tuple) -> list:
    """For each kernel cell k = a*KW + b (row-major), the (rows, cols) slices that pick cell
    (a, b) of every window out of a padded (.., H, W) plane: one (.., OH, OW) strided view."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    return [(slice(a * dh, a * dh + (oh - 1) * sh + 1, sh), slice(b * dw, b * dw + (ow - 1) * sw + 1, sw))
            for a in range(kh) for b in range(kw)]


def windows(x, kernel: tuple, stride: tuple, dilation: tuple, out_hw: tuple, xp):
    """A strided view (N, C, OH, OW, KH, KW) of the windows of ``x`` (N, C, H, W); no copy."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    n, c, h, w = x.shape
    if (oh - 1) * sh + (kh - 1) * dh >= h or (ow - 1) * sw + (kw - 1) * dw >= w:
        raise ValueError(f"windows: {out_hw} windows of {kernel} (stride {stride}, dilation "
                         f"{dilation}) do not fit in {(h, w)}")
    # as_strided directly: sliding_window_view builds the same view with more checks and
    # took 25 us a call here against 8.
    s_n, s_c, s_h, s_w = x.strides
    strides = (s_n, s_c, s_h * sh, s_w * sw, s_h * dh, s_w * dw)
    if xp is np:
        return np.lib.stride_tricks.as_strided(x, (n, c, oh, ow, kh, kw), strides, writeable=False)
    return xp.lib.stride_tricks.as_strided(x, (n, c, oh, ow, kh, kw), strides)


# The patch matrix of a convolution and the order of its columns: (N, OH, OW), or (OH, OW, N)
# when ``samples_last``. The weight gradient reads ``cols`` in that order.
Patches = namedtuple("Patches", ["cols", "samples_last"])


def im2col(xp, x, kernel: tuple, stride: tuple, dilation: tuple, out_hw: tuple,
           samples_last: bool = False):
    """The patches of ``x`` (N, C, H, W) as one contiguous (C*KH*KW, N*OH*OW) array, columns
    ordered (N, OH, OW), or (OH, OW, N) with ``samples_last``.

    The samples sit next to the output positions, so a whole batch is ONE matrix product
    ``weight (O, C*KH*KW) @ cols``; that measured 1.2-1.7x faster here than N per-sample
    products over per-sample patch matrices of the whole batch (the weight gradient needs no
    sum over samples). Per-sample products pay off only while their patches are still in
    the cache, as in :func:`_row_patches`.

    With the samples innermost, and ``x`` laid out (C, H, W, N) in memory, a kernel cell's
    patches for one output row are ONE run of OW*N values, where the (N, OH, OW) order copies
    runs of OW: small images' copies are then bound by NumPy's per-run cost. LeNet-5's
    second layer (64x6x14x14, 5x5) took 0.15 ms against 1.07 ms here.

    The array comes from :func:`take_buffer`: the caller owns it and hands it back with
    :func:`give_buffer` once nothing reads it any more.
    """
    n, c = x.shape[:2]
    view = windows(x, kernel, stride, dilation, out_hw, xp)  # (N, C, OH, OW, KH, KW)
    if samples_last:
        view = view.transpose(1, 4, 5, 2, 3, 0)  # (C, KH, KW, OH, OW, N)
    else:
        view = view.transpose(1, 4, 5, 0, 2, 3)  # (C, KH, KW, N, OH, OW)
    cols = take_buffer(xp, view.shape, x.dtype)
    cols[...] = view
    return cols.reshape(c * kernel[0] * kernel[1], n * out_hw[0] * out_hw[1])


def scratch_like_patches(xp, shape, dtype, samples_last: bool):
    """``(array, buffer)``: an uninitialised (N, C, H, W) array of ``shape`` in a
    :func:`take_buffer` scratch ``buffer`` (give that back), laid out (C, H, W, N) for
    samples-last patches, else in C order."""
    if not samples_last:
        buf = take_buffer(xp, shape, dtype)
        return buf, buf
    n, c, h, w = shape
    buf = take_buffer(xp, (c, h, w, n), dtype)
    return buf.transpose(3, 0, 1, 2), buf


def patches_of(xp, x, pads, kernel, stride, dilation, out_hw) -> Patches:
    """:func:`im2col` of ``x`` padded by ``pads``, in the column order :func:`samples_last`
    picks. The padded (or re-laid) copy of ``x`` is recycled at once; the caller gives
    ``cols`` back."""
    last = samples_last(xp, x)
    if not any(p for pair in pads for p in pair) and (not last or is_samples_last(x)):
        return Patches(im2col(xp, x, kernel, stride, dilation, out_hw, last), last)
    (pt, pb), (pl, pr) = pads
    n, c, h, w = x.shape
    padded = (n, c, h + pt + pb, w + pl + pr)
    src, buf = scratch_like_patches(xp, padded, x.dtype, last)
    _fill_padded(src, x, pads, 0.0, regroup=last)
    cols = im2col(xp, src, kernel, stride, dilation, out_hw, last)
    give_buffer(xp, buf)
    return Patches(cols, last)


def correlate(xp, x, wmat, kernel, stride, dilation, pads, out_hw, groups, keep_cols=True, bias=None):
    """Cross-correlation of ``x`` (N, C, H, W), padded by ``pads``, with ``wmat`` (O, C/groups*KH*KW),
    plus ``bias`` (O,) when given.

    Returns the output (N, O, OH, OW) and, when ``keep_cols``, the :class:`Patches` (the weight
    gradient reuses them; the caller gives ``cols`` back), else None (they are recycled at
    once). The output is a transposed view of the product, an (O, N, OH, OW) array, or
    (O, OH, OW, N) for samples-last patches: NumPy's elementwise ops follow that memory order,
    and the next layer's im2col and the weight gradient read it as it lies.
    """
    n = x.shape[0]
    o = wmat.shape[0]
    (oh, ow), (kept, last) = out_hw, patches_of(xp, x, pads, kernel, stride, dilation, out_hw)
    out = new_array(xp, (groups, o // groups, kept.shape[1]), xp.result_type(wmat, kept))
    xp.matmul(wmat.reshape(groups, o // groups, -1),
              kept.reshape(groups, kept.shape[0] // groups, kept.shape[1]), out=out)  # (G, O/G, N*L)
    if bias is not None:  # on the contiguous product: faster than on the strided NCHW view
        out = out.reshape(o, -1)
        out += bias.reshape(o, 1)
    if not keep_cols:
        give_buffer(xp, kept)
    if last:
        out = out.reshape(o, oh, ow, n).transpose(3, 0, 1, 2)
    else:
        out = out.reshape(o, n, oh, ow).transpose(1, 0, 2, 3)
    return out, Patches(kept, last) if keep_cols else None


# The patches of one chunk should still be in the cache when the matrix product reads them:
# copies of up to 4 MiB ran at about 25 GB/s here, larger ones at 5-7 GB/s (main memory).
# Smaller chunks did not help: 512 KiB bands of rows made the 64-channel 3x3 layer's forward
# slower (35-67 ms against 28-30 ms for one 2.4 MB sample at a time, over eight processes).
_CHUNK_BYTES = 4 << 20


def rows_line_up(xp, shape, stride, out_hw) -> bool:
    """Whether the row-run path applies (NumPy only): stride 1 and an output as wide as the
    input (a 'same' padding of the width), so that the output's rows follow each other with
    the input's row length and a kernel cell's patch row is one shifted run of a plane."""
    return xp is np and tuple(stride) == (1, 1) and out_hw[1] == shape[3] and shape[0] > 0


def _chunking(x, kernel, out_h) -> tuple:
    """``(samples, band)``: a chunk of :func:`_row_patches` is ``samples`` whole samples, or,
    when one sample's patches alone are larger than _CHUNK_BYTES, a band of ``band`` output
    rows of one sample."""
    row_bytes = x.shape[1] * kernel[0] * kernel[1] * x.shape[3] * x.itemsize  # one output row's
    samples = max(1, min(x.shape[0], _CHUNK_BYTES // (row_bytes * out_h)))
    band = out_h if samples > 1 else max(1, min(out_h, _CHUNK_BYTES // row_bytes))
    return samples, band


def row_chunks(x, kernel, out_h) -> list:
    """The chunks of :func:`_row_patches` that cover ``x``: ``(first sample, top row)`` pairs."""
    samples, band = _chunking(x, kernel, out_h)
    return [(first, top) for first in range(0, x.shape[0], samples) for top in range(0, out_h, band)]


def _row_patches(x, kernel, dilation, pads, out_h, groups, chunks, ones_row=False, into=None):
    """Yield ``(start, count, patches)`` for each chunk of :func:`row_chunks` in ``chunks``:
    ``patches`` (G, C/G*KH*KW [+ 1], count) are the im2col columns ``start:start+count`` of
    ``x`` (columns ordered by sample, output row, output column), plus a row of ones under
    each group's patches with ``ones_row``, for the geometries of :func:`rows_line_up`.

    A chunk's samples are copied into a vertically padded scratch plane stack (once for all
    the bands of one sample that come one after another); kernel cell (a, b) reads it as one
    run per plane starting ``a*D`` rows down and ``b*D - left pad`` values along, and the
    values that wrapped round a row end (the left/right padding) are zeroed. ``patches`` is
    rewritten for the next chunk: use it before asking for that one. With ``into``, the whole
    (G, C/G*KH*KW, N*OH*OW) patch matrix (no ``ones_row``), each chunk's patches are written
    into its columns there instead, and stay.
    """
    n, c, h, w = x.shape
    (kh, kw), (dh, dw), ((pt, pb), (pl, pr)) = kernel, dilation, pads
    hp, length, cg = h + pt + pb, out_h * w, c // groups
    k = cg * kh * kw  # patch rows per group
    samples, band = _chunking(x, kernel, out_h)
    plane = hp * w
    # pl spare values before the first plane and pr after the last: the wrapped reads there
    # land only on values that are zeroed below.
    flat = take_buffer(np, (pl + samples * c * plane + pr,), x.dtype)
    planes = flat[pl:pl + samples * c * plane].reshape(samples, c, hp, w)
    planes[:, :, :pt] = 0
    planes[:, :, pt + h:] = 0
    e = x.itemsize
    source = np.lib.stride_tricks.as_strided(
        flat, shape=(groups, cg, kh, kw, samples, out_h, w),
        strides=(cg * plane * e, plane * e, dh * w * e, dw * e, c * plane * e, w * e, e),
        writeable=False)
    scratch = None if into is not None else take_buffer(np, (groups, k + ones_row, samples * band * w), x.dtype)
    if ones_row:
        scratch[:, k] = 1
    shifts = [(b, b * dw - pl) for b in range(kw) if b * dw != pl]
    in_planes = None  # the first sample of the chunk whose samples the planes hold
    try:
        for first, top in chunks:
            m, rows = min(samples, n - first), min(band, out_h - top)
            if first != in_planes:
                planes[:m, :, pt:pt + h] = x[first:first + m]
                in_planes = first
            start, count = first * length + top * w, m * rows * w
            patches = scratch[:, :, :count] if into is None else into[:, :, start:start + count]
            part = patches[:, :k].reshape(groups, cg, kh, kw, m, rows, w)  # only splits axes: a view
            part[...] = source[:, :, :, :, :m, top:top + rows]
            for b, shift in shifts:  # windows over the left or right edge read padding
                if shift < 0:
                    part[:, :, :, b, :, :, :min(w, -shift)] = 0
                else:
                    part[:, :, :, b, :, :, max(0, w - shift):] = 0
            yield start, count, patches
    finally:
        give_buffer(np, flat)
        if scratch is not None:
            give_buffer(np, scratch)


# Products smaller than this (in multiply-adds) are left to the BLAS as one call: LeNet-5's
# weight gradients (8-15 million) gain nothing from threads of their own.
_SHARED_PRODUCT_MIN = 1 << 27


def summed_product(xp, a, b):
    """``a (G, M, L) @ b (G, L, K)`` for a long inner length L (a weight gradient sums over
    every sample and output position), as a C-ordered array.

    A large float32 or float64 NumPy product is cut along L into chunks whose products the
    threads of :func:`tinygrad_cnn._threads.run_shared` share (each on one BLAS thread when
    they are shared), and they are added up in chunk order, so the result does not depend on
    which thread made which. One product on the BLAS's own threads would leave them spinning
    after it, taking the cores from the threads of the op that follows (the input gradient's
    shared chunks).
    """
    length = a.shape[2]
    if xp is not np or a.dtype not in _BLAS_TYPES or b.dtype != a.dtype:
        return xp.matmul(a, b)
    threads = 1 if a.shape[0] * a.shape[1] * b.shape[2] * length < _SHARED_PRODUCT_MIN else sharing_threads()
    if threads < 2:  # small, or no threads to share it with: one product is cheaper than chunks
        return np.ascontiguousarray(_transposed_product(a, b))
    step = -(-length // (4 * threads))  # four chunks a thread: a slowed core takes fewer
    starts = range(0, length, step)
    parts = [None] * len(starts)

    def multiply(chunks):
        for i in chunks:
            parts[i] = _transposed_product(a[:, :, starts[i]:starts[i] + step], b[:, starts[i]:starts[i] + step])

    run_shared(multiply, range(len(starts)))
    total = np.ascontiguousarray(parts[0])
    for part in parts[1:]:
        total += part
    return total


_BLAS_TYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _transposed_product(a, b):
    """``a @ b`` (NumPy, batched, float32 or float64: OpenBLAS) computed as ``(b^T @ a^T)^T``,
    a transposed view: the same sums, in the order OpenBLAS ran faster for a weight gradient,
    whose b^T is the C-ordered patch matrix (C*KH*KW, N*L) and a^T the output gradient's
    columns. Inside a LeNet-5 step its second layer's took 0.70 ms against 0.78 (its first
    layer's the same either way; alone, both took 0.74-0.76 of the time), the 64-channel 3x3
    layer's 0.97 of the time, and float64 products 0.83-0.92."""
    return np.matmul(b.transpose(0, 2, 1), a.transpose(0, 2, 1)).transpose(0, 2, 1)


def correlate_by_rows(x, wmat, kernel, dilation, pads, out_hw, groups, bias=None, keep_cols=False):
    """The forward of :func:`correlate` on the row-run path: one matrix product per chunk of
    :func:`_row_patches` writes that chunk's columns of the (O, N*L) output. Long runs and
    cache-sized chunks made a 64-channel 3x3 forward about 1.3x faster here than one
    whole-batch im2col of short rows. The chunks are shared out over the BLAS's threads
    (:func:`tinygrad_cnn._threads.run_shared`).

    Returns the output and, with ``keep_cols``, the whole patch matrix as :class:`Patches`
    (the weight gradient reads it; the caller gives ``cols`` back), each chunk written into
    its columns and multiplied while it is still in the cache; else None, and the patches are
    never all in memory at once.
    """
    n, o = x.shape[0], wmat.shape[0]
    length = out_hw[0] * out_hw[1]
    dtype = np.result_type(wmat, x)
    wmats = wmat.reshape(groups, o // groups, -1)
    ones_row = bias is not None and not keep_cols
    if ones_row:
        # The bias as an extra weight column against the row of ones: the product adds it
        # (a separate pass over the output cost as much as all the patch copies).
        wmats = np.concatenate([wmats, bias.reshape(groups, o // groups, 1)], axis=2)
        wmats = wmats.astype(dtype, copy=False)  # the product's type, as in correlate
    out = new_array(np, (groups, o // groups, n * length), dtype)
    cols = take_buffer(np, (groups, wmat.shape[1], n * length), x.dtype) if keep_cols else None
    per_group_bias = None if bias is None or ones_row else bias.reshape(groups, o // groups, 1)

    def convolve(chunks):  # each thread makes its chunks' patches and multiplies them at once
        for start, count, patches in _row_patches(x, kernel, dilation, pads, out_hw[0], groups,
                                                  chunks, ones_row=ones_row, into=cols):
            block = out[:, :, start:start + count]
            np.matmul(wmats, patches, out=block)
            if per_group_bias is not None:
                block += per_group_bias

    run_shared(convolve, row_chunks(x, kernel, out_hw[0]))
    kept = None if cols is None else Patches(cols.reshape(-1, n * length), False)
    return out.reshape(o, n, out_hw[0], out_hw[1]).transpose(1, 0, 2, 3), kept
