"""Rows for the ops that public functions reach only inside other ops' backward passes
(summing a broadcast back, scattering an index, routing max-pool's gradient to the winning
cells and gathering it back, conv's weight gradient): each is checked on its own, forward
against NumPy and both gradient orders."""

import numpy as np

from tinygrad_cnn import backend
from tinygrad_cnn.ops.conv import ConvWeightGrad2d, Geometry
from tinygrad_cnn.ops.elementwise import MaskSelect
from tinygrad_cnn.ops.pool import PoolScatter, WindowGather, WindowScatter
from tinygrad_cnn.ops.shape import IndexAdd, sum_to

from cases import OpCase

_ROWS = np.array([0, 2, 0, 3])  # a repeated row: scatters must add, not overwrite
_FLAT = np.array([5, 0, 7, 2, 11])
_MASK = np.random.default_rng(11).random((4, 5)) > 0.5


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


def _window(kernel, stride, pad, in_hw, out_hw, seed):
    """A max-pool geometry and a random winning cell per window, (2, 2, OH, OW)."""
    code = np.random.default_rng(seed).integers(0, kernel * kernel, (2, 2, *out_hw)).astype(np.uint8)
    geom = dict(kernel=(kernel, kernel), stride=(stride, stride), dilation=(1, 1),
                pads=((pad, pad), (pad, pad)))
    return dict(code=code, in_hw=in_hw, geom=geom)


_WINDOWS = {"tiled": _window(2, 2, 0, (4, 6), (2, 3), seed=1),
            "overlapping_padded": _window(3, 2, 1, (5, 6), (3, 3), seed=2)}


def _winner(w, i, j, k):
    """(row, col) in the unpadded input of cell k of window (i, j)."""
    (_, kw), (sh, sw), ((pt, _), (pl, _)) = w["geom"]["kernel"], w["geom"]["stride"], w["geom"]["pads"]
    k = int(k)
    return i * sh + k // kw - pt, j * sw + k % kw - pl


def _window_scatter_ref(g, w):
    out = np.zeros((*g.shape[:2], *w["in_hw"]))
    for n, c, i, j in np.ndindex(*g.shape):
        r, q = _winner(w, i, j, w["code"][n, c, i, j])
        if 0 <= r < out.shape[2] and 0 <= q < out.shape[3]:
            out[n, c, r, q] += g[n, c, i, j]
    return out


def _window_gather_ref(x, w):
    out = np.zeros(w["code"].shape)
    for n, c, i, j in np.ndindex(*out.shape):
        r, q = _winner(w, i, j, w["code"][n, c, i, j])
        if 0 <= r < x.shape[2] and 0 <= q < x.shape[3]:
            out[n, c, i, j] = x[n, c, r, q]
    return out


_GEOM = Geometry((1, 1), ((1, 1), (1, 1)), (1, 1), 1)

CASES = [
    OpCase("mask_select", lambda g: MaskSelect.apply(g, mask=_on(g, _MASK)), _normal((4, 5)),
           lambda g: np.where(_MASK, g, 0.0)),
    OpCase("sum_to", lambda x: sum_to(x, (3, 1)), _normal((2, 3, 4)),
           lambda x: x.sum(0).sum(-1, keepdims=True)),
    OpCase("index_add", lambda g: IndexAdd.apply(g, shape=(5, 3), index=_on(g, _ROWS)),
           _normal((4, 3)), _index_add_ref),
    OpCase("pool_scatter", lambda x: PoolScatter.apply(x, index=_on(x, _FLAT), shape=(3, 4)),
           _normal((5,)), lambda x: np.bincount(_FLAT, x, minlength=12).reshape(3, 4)),
    # Two window geometries: 2x2 windows that tile the plane (written once, no zero fill) and
    # overlapping 3x3/stride-2 windows with padding (added, one kernel cell at a time).
    *(OpCase(f"window_scatter_{name}",
             lambda g, w=w: WindowScatter.apply(g, code=_on(g, w["code"]), in_hw=w["in_hw"], **w["geom"]),
             _normal(w["code"].shape), lambda g, w=w: _window_scatter_ref(g, w))
      for name, w in _WINDOWS.items()),
    *(OpCase(f"window_gather_{name}",
             lambda x, w=w: WindowGather.apply(x, code=_on(x, w["code"]), **w["geom"]),
             _normal((2, 2, *w["in_hw"])), lambda x, w=w: _window_gather_ref(x, w))
      for name, w in _WINDOWS.items()),
    OpCase("conv_weight_grad", lambda x, g: ConvWeightGrad2d.apply(x, g, geom=_GEOM, kernel=(3, 3), patches=None),
           _normal((2, 2, 4, 4), (2, 3, 4, 4)), _weight_grad_ref),
]
