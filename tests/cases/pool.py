"""Op-case rows for pooling. Max-pool inputs are a shuffle of well-separated values (no ties)."""

import numpy as np

import tinygrad_cnn.nn.functional as F

import reference as ref
from cases import OpCase


def _distinct(shape):
    size = int(np.prod(shape))
    return lambda rng: (rng.permutation(np.linspace(-2, 2, size)).reshape(shape),)


def _normal(shape):
    return lambda rng: (rng.standard_normal(shape),)


def _unpool_inputs(rng):
    # Values for a 2x2 pool of a 4x4 map, and one valid position per window.
    values = rng.standard_normal((2, 2, 2, 2))
    rows = np.array([0, 2]).reshape(2, 1) + rng.integers(0, 2, (2, 2, 2, 2))
    cols = np.array([0, 2]) + rng.integers(0, 2, (2, 2, 2, 2))
    return values, rows * 4 + cols


CASES = [
    OpCase("max_pool2d_2x2", lambda x: F.max_pool2d(x, 2, return_indices=True), _distinct((2, 3, 4, 6)),
           lambda x: ref.max_pool2d(x, 2)),
    OpCase("max_pool2d_overlapping_padded",
           lambda x: F.max_pool2d(x, 3, stride=2, padding=1, return_indices=True),
           _distinct((1, 2, 5, 6)), lambda x: ref.max_pool2d(x, 3, 2, 1)),
    OpCase("max_pool2d_dilation_ceil",
           lambda x: F.max_pool2d(x, (2, 3), stride=(2, 1), dilation=(2, 1), ceil_mode=True),
           _distinct((1, 2, 6, 5)), lambda x: ref.max_pool2d(x, (2, 3), (2, 1), 0, (2, 1), True)[0]),
    OpCase("max_pool1d", lambda x: F.max_pool1d(x, 3, stride=2, padding=1), _distinct((2, 2, 7)),
           lambda x: ref.max_pool2d(x[:, :, None], (1, 3), (1, 2), (0, 1))[0][:, :, 0]),
    OpCase("max_unpool2d", lambda x, idx: F.max_unpool2d(x, idx, 2), _unpool_inputs,
           lambda x, idx: ref.max_unpool2d(x, idx, (4, 4))),
    OpCase("avg_pool2d", lambda x: F.avg_pool2d(x, 2), _normal((2, 2, 4, 5)),
           lambda x: ref.avg_pool2d(x, 2)),
    OpCase("avg_pool2d_pad_exclude_ceil",
           lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
           _normal((1, 2, 6, 5)), lambda x: ref.avg_pool2d(x, 3, 2, 1, True, False)),
    OpCase("avg_pool1d", lambda x: F.avg_pool1d(x, 2, 1, 1), _normal((2, 2, 5)),
           lambda x: ref.avg_pool2d(x[:, :, None], (1, 2), (1, 1), (0, 1))[:, :, 0]),
    OpCase("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, (2, 3)), _normal((2, 2, 5, 7)),
           lambda x: ref.adaptive_avg_pool2d(x, (2, 3))),
    # Unbatched, growing one dim (overlapping windows), None keeping the other.
    OpCase("adaptive_avg_pool2d_grow_3d", lambda x: F.adaptive_avg_pool2d(x, (7, None)), _normal((2, 4, 5)),
           lambda x: ref.adaptive_avg_pool2d(x[None], (7, 5))[0]),
]
