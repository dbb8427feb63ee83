"""Op-case rows for resizing (interpolate) and adaptive max pooling.

The references are loops over output positions with PyTorch's coordinate rules written out.
Nearest sizes are chosen so that no source coordinate is a whole number (apart from 0), where
a float32 rounding could move it to the cell before; adaptive max-pool inputs are a shuffle of
well-separated values (no ties).
"""

import math

import numpy as np

import tinygrad_cnn.nn.functional as F

from cases import OpCase


def _normal(shape):
    return lambda rng: (rng.standard_normal(shape),)


def _distinct(shape):
    size = int(np.prod(shape))
    return lambda rng: (rng.permutation(np.linspace(-2, 2, size)).reshape(shape),)


def _nearest_ref(x, sizes, factors=None):
    """Output i of each spatial dim reads source floor(i * n_in / n_out) (or floor(i / factor))."""
    for k, n_out in enumerate(sizes):
        axis, n_in = 2 + k, x.shape[2 + k]
        src = [math.floor(i / factors[k]) if factors else (i * n_in) // n_out for i in range(n_out)]
        x = np.take(x, [min(s, n_in - 1) for s in src], axis=axis)
    return x


def _linear_ref(x, sizes, align_corners, factors=None):
    """Each spatial dim in turn: output i is the mix of the two source cells around its
    source coordinate."""
    for k, n_out in enumerate(sizes):
        axis, n_in = 2 + k, x.shape[2 + k]
        if n_in == n_out:
            continue
        rows = []
        for i in range(n_out):
            if align_corners:
                src = i * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
            else:
                scale = 1 / factors[k] if factors else n_in / n_out
                src = max((i + 0.5) * scale - 0.5, 0.0)
            lo = min(int(math.floor(src)), n_in - 1)
            hi = min(lo + 1, n_in - 1)
            t = src - lo
            rows.append(np.take(x, lo, axis=axis) * (1 - t) + np.take(x, hi, axis=axis) * t)
        x = np.stack(rows, axis=axis)
    return x


def _adaptive_max_ref(x, out_hw):
    """Max and flat argmax of each window [floor(i*n/out), ceil((i+1)*n/out)) of every plane."""
    h, w = x.shape[-2:]
    oh, ow = out_hw
    out = np.zeros(x.shape[:-2] + (oh, ow))
    index = np.zeros(x.shape[:-2] + (oh, ow), dtype=np.int64)
    for i in range(oh):
        r0, r1 = (i * h) // oh, -(-((i + 1) * h) // oh)
        for j in range(ow):
            c0, c1 = (j * w) // ow, -(-((j + 1) * w) // ow)
            window = x[..., r0:r1, c0:c1].reshape(*x.shape[:-2], -1)
            best = window.argmax(axis=-1)
            out[..., i, j] = window.max(axis=-1)
            index[..., i, j] = (r0 + best // (c1 - c0)) * w + c0 + best % (c1 - c0)
    return out, index


CASES = [
    OpCase("interpolate_nearest_2d_size", lambda x: F.interpolate(x, size=(5, 7)), _normal((2, 2, 3, 4)),
           lambda x: _nearest_ref(x, (5, 7))),
    OpCase("interpolate_nearest_2d_downscale", lambda x: F.interpolate(x, size=(2, 3)), _normal((1, 2, 5, 7)),
           lambda x: _nearest_ref(x, (2, 3))),
    OpCase("interpolate_nearest_1d_scale", lambda x: F.interpolate(x, scale_factor=1.5), _normal((2, 3, 5)),
           lambda x: _nearest_ref(x, (7,), (1.5,))),
    OpCase("interpolate_nearest_2d_repeat", lambda x: F.interpolate(x, scale_factor=(2, 3)), _normal((2, 2, 3, 4)),
           lambda x: _nearest_ref(x, (6, 12), (2, 3))),
    OpCase("interpolate_nearest_2d_repeat_large_blocks",  # 20 cells a block: the reshape-sum gradient
           lambda x: F.interpolate(x, scale_factor=(4, 5)), _normal((1, 2, 2, 3)),
           lambda x: _nearest_ref(x, (8, 15), (4, 5))),
    OpCase("interpolate_nearest_3d_keep_middle", lambda x: F.interpolate(x, size=(3, 3, 5)), _normal((1, 2, 2, 3, 4)),
           lambda x: _nearest_ref(x, (3, 3, 5))),
    OpCase("interpolate_linear", lambda x: F.interpolate(x, size=7, mode="linear"), _normal((2, 3, 4)),
           lambda x: _linear_ref(x, (7,), False)),
    OpCase("interpolate_linear_downscale_scale",
           lambda x: F.interpolate(x, scale_factor=0.6, mode="linear"), _normal((2, 2, 9)),
           lambda x: _linear_ref(x, (5,), False, (0.6,))),
    OpCase("interpolate_bilinear_align_corners",
           lambda x: F.interpolate(x, size=(5, 3), mode="bilinear", align_corners=True), _normal((2, 2, 3, 4)),
           lambda x: _linear_ref(x, (5, 3), True)),
    OpCase("interpolate_bilinear_scale",
           lambda x: F.interpolate(x, scale_factor=(1.7, 0.8), mode="bilinear"), _normal((1, 2, 3, 6)),
           lambda x: _linear_ref(x, (5, 4), False, (1.7, 0.8))),
    OpCase("interpolate_trilinear", lambda x: F.interpolate(x, size=(3, 2, 5), mode="trilinear"),
           _normal((1, 2, 2, 3, 3)), lambda x: _linear_ref(x, (3, 2, 5), False)),
    OpCase("adaptive_max_pool2d",
           lambda x: F.adaptive_max_pool2d(x, (3, 2), return_indices=True), _distinct((2, 3, 5, 7)),
           lambda x: _adaptive_max_ref(x, (3, 2))),
    OpCase("adaptive_max_pool2d_even_windows",
           lambda x: F.adaptive_max_pool2d(x, (2, 3), return_indices=True), _distinct((2, 3, 4, 6)),
           lambda x: _adaptive_max_ref(x, (2, 3))),
    OpCase("adaptive_max_pool2d_grow_and_keep",
           lambda x: F.adaptive_max_pool2d(x, (6, None)), _distinct((2, 4, 5)),
           lambda x: _adaptive_max_ref(x, (6, 5))[0]),
]
