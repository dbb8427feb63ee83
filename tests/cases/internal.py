"""Rows for the ops that public functions reach only inside other ops' backward passes
(summing a broadcast back, scattering an index, gathering pooled values, conv's weight
gradient): each is checked on its own, forward against NumPy and both gradient orders."""

import numpy as np

from tinygrad_cnn import backend
from tinygrad_cnn.ops.conv import ConvWeightGrad2d, Geometry
from tinygrad_cnn.ops.pool import PoolGather, PoolScatter
from tinygrad_cnn.ops.shape import IndexAdd, sum_to

from cases import OpCase

_ROWS = np.array([0, 2, 0, 3])  # a repeated row: scatters must add, not overwrite
_FLAT = np.array([5, 0, 7, 2, 11])


def _on(t, index):
    return backend.to_device(index, t.device)


def _normal(*shapes):
    return lambda rng: tuple(rng.standard_normal(s) for s in shapes)


def _index_add_ref(g):
    out = np.zeros((5, 3))
    np.add.at(out, _ROWS, g)
    return out


def _weight_grad_ref(x, g):
    """d<conv(x, w), g>/dw for a 3x3 kernel, stride 1, padding 1, as four explicit sums."""
    xpad = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    n, c, h, w = x.shape
    o = g.shape[1]
    dw = np.zeros((o, c, 3, 3))
    for f in range(o):
        for ch in range(c):
            for a in range(3):
                for b in range(3):
                    dw[f, ch, a, b] = (g[:, f] * xpad[:, ch, a:a + h, b:b + w]).sum()
    return dw


_GEOM = Geometry((1, 1), ((1, 1), (1, 1)), (1, 1), 1)

CASES = [
    OpCase("sum_to", lambda x: sum_to(x, (3, 1)), _normal((2, 3, 4)),
           lambda x: x.sum(0).sum(-1, keepdims=True)),
    OpCase("index_add", lambda g: IndexAdd.apply(g, shape=(5, 3), index=_on(g, _ROWS)),
           _normal((4, 3)), _index_add_ref),
    OpCase("pool_gather", lambda x: PoolGather.apply(x, index=_on(x, _FLAT), shape=(3, 4),
                                                     overlap=False),
           _normal((3, 4)), lambda x: x.reshape(-1)[_FLAT]),
    OpCase("pool_scatter", lambda g: PoolScatter.apply(g, index=_on(g, _FLAT), shape=(3, 4),
                                                       overlap=False),
           _normal((5,)), lambda g: np.bincount(_FLAT, g, minlength=12).reshape(3, 4)),
    OpCase("conv_weight_grad", lambda x, g: ConvWeightGrad2d.apply(x, g, geom=_GEOM, kernel=(3, 3), cols=None),
           _normal((2, 2, 4, 4), (2, 3, 4, 4)), _weight_grad_ref),
]
