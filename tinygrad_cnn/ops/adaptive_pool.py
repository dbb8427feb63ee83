"""Adaptive pooling: average and max pooling to a fixed output size, whatever the input size.

Along a dim of size n pooled to ``out``, window i covers [floor(i*n/out), ceil((i+1)*n/out)),
PyTorch's rule: the windows cover the input, neighbours overlap by at most one cell, and
their lengths differ by at most one. Average pooling is two products with small averaging
matrices. Max pooling with windows that tile the plane (sizes that divide evenly) is plain
max pooling with kernel = stride = the window; otherwise it finds each window's winning cell
on the device (no gradient flows through that choice) and then gathers the winners with a
differentiable indexing op, so the gradient goes to the winning cell exactly as in PyTorch,
ties included, and gradients of gradients work.
"""

from __future__ import annotations

import functools

import numpy as np

from tinygrad_cnn import backend
from tinygrad_cnn.ops._conv_utils import check_input, ntuple, positive
from tinygrad_cnn.ops._promote import check_floating
from tinygrad_cnn.ops.linalg import along_dim
from tinygrad_cnn.ops.pool import max_pool2d
from tinygrad_cnn.ops.shape import grid_along
from tinygrad_cnn.tensor import Tensor

__all__ = ["adaptive_avg_pool2d", "adaptive_max_pool2d"]


def _output_size(op: str, input, output_size) -> tuple:  # noqa: A002
    """``output_size`` (an int or a pair, None keeping that dim) as (OH, OW), after checking
    ``input`` is a 3-D or 4-D Tensor."""
    check_input(op, 2, input)
    h, w = input.shape[-2:]
    sizes = (output_size, output_size) if not isinstance(output_size, (tuple, list)) else tuple(output_size)
    if len(sizes) != 2:
        raise TypeError(f"{op}: output_size: expected an int or a pair, got {output_size!r}")
    oh, ow = (h if sizes[0] is None else sizes[0]), (w if sizes[1] is None else sizes[1])
    return positive(ntuple((oh, ow), 2, "output_size", op), "output_size", op)


def _windows(size: int, out: int) -> tuple:
    """(start, end) arrays of the ``out`` windows along a dim of ``size``:
    [floor(i*size/out), ceil((i+1)*size/out))."""
    i = np.arange(out)
    return (i * size) // out, -(-((i + 1) * size) // out)


@functools.lru_cache(maxsize=256)
def _adaptive_matrix(size: int, out: int) -> np.ndarray:
    """(out, size) averaging matrix: row i averages window i (shared through the cache: read-only)."""
    start, end = _windows(size, out)
    cells = np.arange(size)
    m = ((cells >= start[:, None]) & (cells < end[:, None])) / (end - start)[:, None]
    m.flags.writeable = False
    return m


def adaptive_avg_pool2d(input, output_size):  # noqa: A002
    """Average pooling to a fixed ``output_size`` (int or pair; None keeps that dim).

    Window i along a dim of size n covers [floor(i*n/out), ceil((i+1)*n/out)), as in PyTorch,
    computed as ``A_h @ x @ A_w^T`` with two small averaging matrices.

    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor
    >>> adaptive_avg_pool2d(Tensor(np.arange(16.0).reshape(1, 1, 4, 4)), 1).tolist()
    [[[[7.5]]]]
    """
    op = "adaptive_avg_pool2d"
    oh, ow = _output_size(op, input, output_size)
    check_floating(op, input)  # the averaging matrices would be cast to integers
    h, w = input.shape[-2:]
    x = input
    if oh != h:
        x = along_dim(x, x.ndim - 2, backend.placed(_adaptive_matrix, (h, oh), x.dtype, x.device))
    if ow != w:
        x = along_dim(x, x.ndim - 1, backend.placed(_adaptive_matrix, (w, ow), x.dtype, x.device))
    return x


@functools.lru_cache(maxsize=256)
def _window_cells(size: int, out: int) -> np.ndarray:
    """(out, K) positions of each window's cells, K the longest window; a shorter window
    repeats its last cell, which changes neither its maximum nor where that maximum is."""
    start, end = _windows(size, out)
    k = int((end - start).max())
    cells = np.minimum(start[:, None] + np.arange(k), end[:, None] - 1)
    cells.flags.writeable = False
    return cells


def adaptive_max_pool2d(input, output_size, return_indices=False):  # noqa: A002
    """Max pooling to a fixed ``output_size`` (int or pair; None keeps that dim), PyTorch's
    ``F.adaptive_max_pool2d``, with the windows of :func:`adaptive_avg_pool2d`.

    ``input`` is (N, C, H, W) or (C, H, W). With ``return_indices`` also returns each maximum's
    flat position in its H*W input plane (int64). As in PyTorch, a tie goes to the first
    maximum in row-major order, and a window holding NaN gives NaN with its last NaN as the
    position; the gradient goes to that position.

    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor(np.array([[[[1.0, 5.0, 2.0], [4.0, 3.0, 6.0], [0.0, 8.0, 7.0]]]]))
    >>> out, idx = adaptive_max_pool2d(x, 2, return_indices=True)
    >>> out.tolist(), idx.tolist()
    ([[[[5.0, 6.0], [8.0, 8.0]]]], [[[[1, 5], [7, 7]]]])
    """
    op = "adaptive_max_pool2d"
    oh, ow = _output_size(op, input, output_size)
    h, w = input.shape[-2:]
    if h % oh == 0 and w % ow == 0 and input.dtype.kind == "f":
        # Equal windows that tile the plane: plain max pooling (same ties, NaN and positions).
        kernel = (h // oh, w // ow)
        return max_pool2d(input, kernel, kernel, return_indices=return_indices)
    lead = input.shape[:-2]
    xp = input.device.xp
    rows = backend.placed(_window_cells, (h, oh), np.dtype(np.int64), input.device)  # (OH, KH)
    cols = backend.placed(_window_cells, (w, ow), np.dtype(np.int64), input.device)  # (OW, KW)
    kh, kw = rows.shape[1], cols.shape[1]
    # Every window's cells, (..., OH, OW, KH*KW) in row-major order within the window.
    cells = input.data[..., rows[:, None, :, None], cols[None, :, None, :]].reshape(*lead, oh, ow, kh * kw)
    pick = xp.argmax(cells, axis=-1)  # the first maximum (NaN counts as one)
    if input.dtype.kind == "f":
        nan = xp.isnan(cells)
        last_nan = kh * kw - 1 - xp.argmax(nan[..., ::-1], axis=-1)
        pick = xp.where(nan.any(axis=-1), last_nan, pick)
    at = rows[xp.arange(oh)[:, None], pick // kw] * w + cols[xp.arange(ow), pick % kw]
    flat = at.reshape(*lead, oh * ow)
    out = input.reshape(*lead, h * w)[grid_along(xp, len(lead), flat)].reshape(*lead, oh, ow)
    if not return_indices:
        return out
    return out, Tensor._wrap(at.astype(np.int64, copy=False))
