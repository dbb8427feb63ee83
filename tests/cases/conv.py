"""Op-case rows for convolution: conv1d/2d, transposed convolutions, true convolution,
unfold and fold."""


import numpy as np

import tinygrad_cnn.nn.functional as F

import reference as ref
from cases import OpCase


def _normal(*shapes):
    return lambda rng: tuple(rng.standard_normal(s) for s in shapes)


def _conv1d_ref(x, w, b, **kw):
    return ref.conv2d(x[:, :, None], w[:, :, None], b, **kw)[:, :, 0]


def _unfold_ref(x, kernel, dilation, padding, stride):
    """Loops over blocks and block cells: column l of row (c, a, b) is cell (a, b) of block l."""
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel, dilation, padding, stride
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    n, c, h, w = xp.shape
    oh, ow = (h - dh * (kh - 1) - 1) // sh + 1, (w - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, c * kh * kw, oh * ow))
    for ch in range(c):
        for a in range(kh):
            for b in range(kw):
                for i in range(oh):
                    for j in range(ow):
                        out[:, (ch * kh + a) * kw + b, i * ow + j] = xp[:, ch, i * sh + a * dh, j * sw + b * dw]
    return out


def _fold_ref(cols, size, kernel, dilation, padding, stride):
    """The adjoint of _unfold_ref: each column's values added back where they were read."""
    (kh, kw), (ph, pw) = kernel, padding
    n, rows, _ = cols.shape
    c = rows // (kh * kw)
    out = np.zeros((n, c, size[0] + 2 * ph, size[1] + 2 * pw))
    (dh, dw), (sh, sw) = dilation, stride
    oh = (size[0] + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (size[1] + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    for ch in range(c):
        for a in range(kh):
            for b in range(kw):
                for i in range(oh):
                    for j in range(ow):
                        out[:, ch, i * sh + a * dh, j * sw + b * dw] += cols[:, (ch * kh + a) * kw + b, i * ow + j]
    return out[:, :, ph:ph + size[0], pw:pw + size[1]]


_BLOCKS = dict(kernel=(2, 3), dilation=(1, 2), padding=(1, 2), stride=(2, 1))
_TORCH_NAMES = dict(kernel_size=(2, 3), dilation=(1, 2), padding=(1, 2), stride=(2, 1))

CASES = [
    OpCase("unfold", lambda x: F.unfold(x, **_TORCH_NAMES), _normal((2, 2, 4, 5)),
           lambda x: _unfold_ref(x, **_BLOCKS)),
    OpCase("unfold_unbatched", lambda x: F.unfold(x, 2), _normal((2, 3, 3)),
           lambda x: _unfold_ref(x[None], (2, 2), (1, 1), (0, 0), (1, 1))[0]),
    OpCase("fold", lambda c: F.fold(c, (4, 5), **_TORCH_NAMES), _normal((2, 12, 15)),
           lambda c: _fold_ref(c, (4, 5), **_BLOCKS)),
    OpCase("conv2d", lambda x, w, b: F.conv2d(x, w, b, padding=1),
           _normal((2, 2, 4, 4), (3, 2, 3, 3), (3,)),
           lambda x, w, b: ref.conv2d(x, w, b, padding=1)),
    OpCase("conv2d_stride_dilation_groups",
           lambda x, w: F.conv2d(x, w, stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2),
           _normal((1, 4, 5, 6), (4, 2, 2, 2)),
           lambda x, w: ref.conv2d(x, w, stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)),
    OpCase("conv2d_same_even_kernel", lambda x, w: F.conv2d(x, w, padding="same"),
           _normal((1, 2, 4, 3), (2, 2, 2, 3)), lambda x, w: ref.conv2d(x, w, padding="same")),
    OpCase("conv2d_unbatched", lambda x, w: F.conv2d(x, w, stride=2),
           _normal((2, 5, 5), (2, 2, 3, 3)), lambda x, w: ref.conv2d(x[None], w, stride=2)[0]),
    OpCase("conv1d", lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=2),
           _normal((2, 2, 7), (3, 2, 3), (3,)),
           lambda x, w, b: _conv1d_ref(x, w, b, stride=(1, 2), padding=(0, 1), dilation=(1, 2))),
    OpCase("conv_transpose2d",
           lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2),
           _normal((1, 4, 3, 2), (4, 1, 3, 3), (2,)),
           lambda x, w, b: ref.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2)),
    OpCase("conv_transpose2d_dilation",
           lambda x, w: F.conv_transpose2d(x, w, stride=(1, 2), dilation=2, padding=(2, 0)),
           _normal((2, 2, 3, 3), (2, 3, 2, 2)),
           lambda x, w: ref.conv_transpose2d(x, w, stride=(1, 2), dilation=2, padding=(2, 0))),
    OpCase("conv_transpose1d", lambda x, w: F.conv_transpose1d(x, w, stride=3),
           _normal((2, 2, 3), (2, 2, 2)),
           lambda x, w: ref.conv_transpose2d(x[:, :, None], w[:, :, None], stride=(1, 3))[:, :, 0]),
    OpCase("true_conv2d", lambda x, k: F.true_conv2d(x, k),
           _normal((1, 1, 4, 5), (1, 1, 2, 3)),
           lambda x, k: ref.true_conv2d_single(x[0, 0], k[0, 0])[None, None]),
]
