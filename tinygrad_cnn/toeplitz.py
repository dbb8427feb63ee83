"""A convolution as the dense matrix it secretly is: sparse connectivity and weight sharing.

A conv layer is a linear map, so it equals a fully connected layer whose weight matrix is
mostly zeros (each output sees only a small neighbourhood: *sparse connectivity*) and whose
non-zero entries repeat the same few kernel values (*weight sharing*). This module builds
that matrix (a doubly block Toeplitz matrix), so the claim can be checked numerically, and
counts the parameters both ways.

>>> import numpy as np
>>> w = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)          # the kernel (w x / y z) = (1 2 / 3 4)
>>> M = conv2d_toeplitz(w, (3, 4))                      # 3x4 input -> 2x3 output
>>> M.shape
(6, 12)
>>> M[0].reshape(3, 4)                                  # output (0, 0) sees a, b, e, f
array([[1., 2., 0., 0.],
       [3., 4., 0., 0.],
       [0., 0., 0., 0.]])
>>> conv_param_counts(6, 1, 5, (32, 32))                 # LeNet's first layer, as in the seed
ConvParamCounts(shared_weights=150, biases=6, dense_weights=4816896, connections=117600, output_shape=(6, 28, 28))
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from tinygrad_cnn import backend
from tinygrad_cnn.ops._args import check_int
from tinygrad_cnn.ops._conv_utils import check_groups, non_negative, ntuple, out_size, positive

__all__ = ["conv2d_toeplitz", "conv1d_toeplitz", "conv_param_counts", "ConvParamCounts"]


def _as_numpy(w) -> np.ndarray:
    data = getattr(w, "data", w)  # a Tensor/Parameter keeps its array in .data
    return backend.to_numpy(data) if backend._is_array(data) else np.asarray(data)


def _geometry(op, input_size, kernel, stride, padding, dilation) -> tuple:
    """``(H, W), stride, padding, dilation, (OH, OW)``: the settings as checked pairs and the
    output size by the conv formula (raising, and showing it, when the kernel does not fit)."""
    hw = ntuple(input_size, 2, "input_size", op)
    stride = positive(ntuple(stride, 2, "stride", op), "stride", op)
    padding = non_negative(ntuple(padding, 2, "padding", op), "padding", op)
    dilation = positive(ntuple(dilation, 2, "dilation", op), "dilation", op)
    out_hw = tuple(out_size(op, dim, n, k, s, p, p, d) for dim, n, k, s, p, d
                   in zip(("height", "width"), hw, kernel, stride, padding, dilation))
    return hw, stride, padding, dilation, out_hw


def conv2d_toeplitz(weight, input_size, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """The dense matrix ``M`` with ``conv2d(x, weight, ...).reshape(-1) == M @ x.reshape(-1)``
    for one sample ``x`` of shape ``(C_in, H, W)``.

    ``weight`` has shape ``(C_out, C_in / groups, KH, KW)`` (a Tensor or an array);
    ``input_size`` is ``(H, W)``; the settings follow :func:`tinygrad_cnn.nn.functional.conv2d`
    (a cross-correlation, zero padding). ``M`` has shape ``(C_out*OH*OW, C_in*H*W)``: row
    ``(o, i, j)`` holds the kernel of output channel ``o`` placed where output pixel ``(i, j)``
    looks, zeros elsewhere. The bias is not part of ``M`` (add it to every row of channel ``o``).

    >>> import numpy as np
    >>> w = np.ones((1, 1, 3, 3)) / 9                     # the blur kernel
    >>> M = conv2d_toeplitz(w, (4, 4), padding=1)         # "same" output size
    >>> M.shape, int((M != 0).sum(axis=1).min()), int((M != 0).sum(axis=1).max())
    ((16, 16), 4, 9)
    """
    return _toeplitz("conv2d_toeplitz", _as_numpy(weight), input_size, stride, padding, dilation, groups)


def _toeplitz(op, w, input_size, stride, padding, dilation, groups) -> np.ndarray:
    if w.ndim != 4:
        raise ValueError(f"{op}: weight: expected shape (C_out, C_in/groups, KH, KW), got {w.shape}")
    C_out, Cg, KH, KW = w.shape
    groups = check_int(op, "groups", groups)
    if C_out % groups:
        raise ValueError(f"{op}: groups={groups} must divide the output channels (weight.shape[0]) ({C_out})")
    (H, W), (sh, sw), (ph, pw), (dh, dw), (OH, OW) = _geometry(op, input_size, (KH, KW), stride,
                                                                padding, dilation)
    C_in = Cg * groups
    # Index grids, axes (o, c, i, j, a, b): output channel, input channel in group, output
    # row/col, kernel row/col.
    o, c, i, j, a, b = np.ix_(range(C_out), range(Cg), range(OH), range(OW), range(KH),
                              range(KW))
    y, x = i * sh + a * dh - ph, j * sw + b * dw - pw          # input pixel each tap reads
    cin = (o // (C_out // groups)) * Cg + c                  # its input channel
    shape = (C_out, Cg, OH, OW, KH, KW)
    rows = np.broadcast_to((o * OH + i) * OW + j, shape)
    cols = np.broadcast_to((cin * H + y) * W + x, shape)
    vals = np.broadcast_to(w[o, c, a, b], shape)
    inside = np.broadcast_to((y >= 0) & (y < H) & (x >= 0) & (x < W), shape)  # padding: zeros
    M = np.zeros((C_out * OH * OW, C_in * H * W), dtype=w.dtype)
    M[rows[inside], cols[inside]] = vals[inside]  # each (row, col) pair occurs at most once
    return M


def conv1d_toeplitz(weight, length, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """The dense matrix of a 1D convolution: ``conv1d(x, weight).reshape(-1) == M @ x.reshape(-1)``
    for one sample ``x`` of shape ``(C_in, L)``; ``weight`` has shape ``(C_out, C_in/groups, K)``.

    >>> import numpy as np
    >>> conv1d_toeplitz(np.array([[[0.5, 0.3, 0.2]]]), 5)  # a 3-tap average sliding over 5 readings
    array([[0.5, 0.3, 0.2, 0. , 0. ],
           [0. , 0.5, 0.3, 0.2, 0. ],
           [0. , 0. , 0.5, 0.3, 0.2]])
    """
    w = _as_numpy(weight)
    if w.ndim != 3:
        raise ValueError(f"conv1d_toeplitz: weight: expected shape (C_out, C_in/groups, K), got {w.shape}")
    return _toeplitz("conv1d_toeplitz", w[:, :, None, :], (1, int(length)), (1, stride), (0, padding),
                     (1, dilation), groups)


class ConvParamCounts(NamedTuple):
    """Parameter counts of a conv layer against the dense layer it replaces."""

    shared_weights: int   # the kernels: C_out * C_in/groups * KH * KW
    biases: int           # C_out, or 0 without bias
    dense_weights: int    # a fully connected layer between the same input and output
    connections: int      # non-zero entries of the Toeplitz matrix (input-output links)
    output_shape: tuple   # (C_out, OH, OW)


def conv_param_counts(out_channels, in_channels, kernel_size, input_size, stride=1, padding=0,
                      dilation=1, groups=1, bias=True) -> ConvParamCounts:
    """Count the weights of a conv layer and of its dense equivalent, as in the seed's LeNet
    (150 shared weights against 32*32 * 28*28*6 = 4,816,896 for a dense layer).

    >>> conv_param_counts(16, 6, 5, (14, 14)).shared_weights   # LeNet's second conv layer
    2400
    """
    op = "conv_param_counts"
    groups = check_groups(op, groups, in_channels, "in_channels", out_channels, "out_channels")
    KH, KW = positive(ntuple(kernel_size, 2, "kernel_size", op), "kernel_size", op)
    (H, W), (sh, sw), (ph, pw), (dh, dw), (OH, OW) = _geometry(op, input_size, (KH, KW), stride,
                                                                padding, dilation)
    shared = out_channels * (in_channels // groups) * KH * KW
    # Links that fall on padding read zeros and are not connections; count the real ones.
    rows = [sum(0 <= i * sh + a * dh - ph < H for a in range(KH)) for i in range(OH)]
    cols = [sum(0 <= j * sw + b * dw - pw < W for b in range(KW)) for j in range(OW)]
    connections = out_channels * (in_channels // groups) * sum(rows) * sum(cols)
    return ConvParamCounts(shared, out_channels if bias else 0,
                           in_channels * H * W * out_channels * OH * OW, connections,
                           (out_channels, OH, OW))
