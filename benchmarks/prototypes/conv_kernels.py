"""Prototype conv kernels against the current ones: same numbers, measured time.

    python benchmarks/prototypes/conv_kernels.py [--repeats 15]

Each comparison runs the current code path (imported from tinygrad_cnn.ops, raw arrays, no
autograd) and the prototype alternately (A B A B ...), checks np.allclose on the results and
prints the medians. Prototypes:

* "one GEMM" conv: im2col into a (C*KH*KW, N*OH*OW) matrix by a loop over the KH*KW kernel
  offsets (one strided block copy each), then ONE matrix product for the whole batch (instead
  of N small batched ones), and one transpose of the output back to NCHW.
* weight gradient as one GEMM on that same matrix: dw = g (O, N*L) @ cols^T, no per-sample
  products and no sum over N.
* input gradient by col2im when that is cheaper: dcols = w^T @ g, then KH*KW strided adds.
  It moves C*KH*KW*OH*OW numbers per sample against O*KH*KW*H*W for the full correlation
  (the current path): 5x fewer on LeNet's second conv (6 in, 16 out).
* buffer reuse: the same im2col into a preallocated buffer (page faults on fresh memory).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tinygrad_cnn.ops._conv_utils import correlate, pad_array  # noqa: E402
from tinygrad_cnn.ops.conv import ConvTranspose2d, Geometry  # noqa: E402


# -- current paths, as the Functions run them (raw arrays) ------------------------------------
def cur_forward(x, w, pad):
    xpad = pad_array(np, x, ((pad, pad), (pad, pad)))
    oh, ow = xpad.shape[2] - w.shape[2] + 1, xpad.shape[3] - w.shape[3] + 1
    out, cols = correlate(np, xpad, w.reshape(w.shape[0], -1), w.shape[2:], (1, 1), (1, 1),
                          (oh, ow), 1)
    return out, cols


def cur_weight_grad(cols, g, kernel):
    n, o, oh, ow = g.shape
    c = cols.reshape(n, 1, -1, oh * ow).transpose(0, 1, 3, 2)
    dw = np.matmul(g.reshape(n, 1, o, oh * ow), c).sum(axis=0)
    return dw.reshape(o, -1, *kernel)


def cur_input_grad(g, w, pad, hw):
    ctx = ConvTranspose2d.__new__(ConvTranspose2d)  # just its forward, as Conv2d.backward uses it
    ctx.xp = np
    geom = Geometry((1, 1), ((pad, pad), (pad, pad)), (1, 1), 1)
    return ctx.forward(g, w, geom=geom, out_hw=hw)


# -- prototypes -------------------------------------------------------------------------------
def cols_t(xpad, kh, kw, out=None):
    """(C*KH*KW, N*OH*OW) patches by KH*KW strided block copies (no 6-D transpose copy)."""
    n, c, hp, wp = xpad.shape
    oh, ow = hp - kh + 1, wp - kw + 1
    if out is None:
        out = np.empty((c, kh, kw, n, oh, ow), dtype=xpad.dtype)
    xt = xpad.transpose(1, 0, 2, 3)  # (C, N, H, W) view
    for a in range(kh):
        for b in range(kw):
            out[:, a, b] = xt[:, :, a:a + oh, b:b + ow]
    return out.reshape(c * kh * kw, n * oh * ow)


def new_forward(x, w, pad, buf=None):
    xpad = pad_array(np, x, ((pad, pad), (pad, pad)))
    o, c, kh, kw = w.shape
    n = x.shape[0]
    oh, ow = xpad.shape[2] - kh + 1, xpad.shape[3] - kw + 1
    cols = cols_t(xpad, kh, kw, buf)
    out = w.reshape(o, -1) @ cols  # (O, N*L): one GEMM for the batch
    return np.ascontiguousarray(out.reshape(o, n, oh, ow).transpose(1, 0, 2, 3)), cols


def new_weight_grad(cols, g, kernel):
    n, o, oh, ow = g.shape
    g2 = np.ascontiguousarray(g.transpose(1, 0, 2, 3)).reshape(o, n * oh * ow)
    return (g2 @ cols.T).reshape(o, -1, *kernel)


def new_input_grad(g, w, pad, hw):
    """col2im: dcols = w^T g, then KH*KW strided adds into a (C, N, Hp, Wp) buffer."""
    n, o, oh, ow = g.shape
    _, c, kh, kw = w.shape
    g2 = np.ascontiguousarray(g.transpose(1, 0, 2, 3)).reshape(o, -1)
    dcols = (w.reshape(o, -1).T @ g2).reshape(c, kh, kw, n, oh, ow)
    h, wd = hw
    acc = np.zeros((c, n, h + 2 * pad, wd + 2 * pad), dtype=g.dtype)
    for a in range(kh):
        for b in range(kw):
            acc[:, :, a:a + oh, b:b + ow] += dcols[:, a, b]
    return np.ascontiguousarray(acc[:, :, pad:pad + h, pad:pad + wd].transpose(1, 0, 2, 3))


# -- measuring --------------------------------------------------------------------------------
def ab(name, fa, fb, repeats, check):
    for _ in range(2):
        ra, rb = fa(), fb()
    ok = check(ra, rb)
    ta, tb = [], []
    for _ in range(repeats):  # alternate A B A B
        s = time.perf_counter()
        fa()
        ta.append(time.perf_counter() - s)
        s = time.perf_counter()
        fb()
        tb.append(time.perf_counter() - s)
    ma, mb = statistics.median(ta) * 1e3, statistics.median(tb) * 1e3
    na, nb = min(ta) * 1e3, min(tb) * 1e3
    # On a shared machine scheduling noise only adds time: the minimum is the steadier figure.
    print(f"{name:36s} {ma:8.2f} {mb:8.2f} {ma / mb:5.2f}x {na:8.2f} {nb:8.2f} {na / nb:5.2f}x  "
          f"{'same' if ok else 'DIFFER'}")
    return {"name": name, "current_ms": ma, "prototype_ms": mb, "current_min_ms": na,
            "prototype_min_ms": nb, "same": bool(ok)}


def close(a, b):
    """Same shape and np.allclose with a tolerance scaled to the result (float32 sums of
    thousands of products differ in order between the two paths)."""
    a, b = (a[0] if isinstance(a, tuple) else a), (b[0] if isinstance(b, tuple) else b)
    scale = float(np.abs(b).max())
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-5, atol=1e-5 * scale)


def compare_layer(label, n, c, h, o, k, pad, r, rng):
    x = rng.standard_normal((n, c, h, h), dtype=np.float32)
    w = rng.standard_normal((o, c, k, k), dtype=np.float32) / np.float32(np.sqrt(c * k * k))
    oh = h + 2 * pad - k + 1
    g = rng.standard_normal((n, o, oh, oh), dtype=np.float32)
    print(f"-- {label}")
    rows = [ab("forward (im2col + GEMM)", lambda: cur_forward(x, w, pad)[0],
               lambda: new_forward(x, w, pad)[0], r, close)]
    cols_now, cols_new = cur_forward(x, w, pad)[1], new_forward(x, w, pad)[1]
    rows.append(ab("weight grad (from kept cols)", lambda: cur_weight_grad(cols_now, g, (k, k)),
                   lambda: new_weight_grad(cols_new, g, (k, k)), r, close))
    if c > 1:
        rows.append(ab("input grad (full corr. vs col2im)",
                       lambda: cur_input_grad(g, w, pad, (h, h)),
                       lambda: new_input_grad(g, w, pad, (h, h)), r, close))
    buf = np.empty((c, k, k, n, oh, oh), dtype=np.float32)
    pads = ((pad, pad), (pad, pad))
    rows.append(ab("im2col fresh vs reused buffer", lambda: cols_t(pad_array(np, x, pads), k, k),
                   lambda: cols_t(pad_array(np, x, pads), k, k, buf), r,
                   lambda a, b: np.array_equal(a, b)))
    return rows


LAYERS = {  # name: (N, C, H, O, K, pad)
    "big conv 64->64 3x3 (32x32, batch 32)": (32, 64, 32, 64, 3, 1),
    "LeNet conv1 1->6 5x5 (32x32, batch 64)": (64, 1, 32, 6, 5, 0),
    "LeNet conv2 6->16 5x5 (14x14, batch 64)": (64, 6, 14, 16, 5, 0),
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--only", default="", help="substring of the layer names to run")
    args = p.parse_args()
    rng = np.random.default_rng(0)
    print(f"load average {os.getloadavg()[0]:.2f}, OPENBLAS_NUM_THREADS="
          f"{os.environ.get('OPENBLAS_NUM_THREADS', '(default)')}")
    print(f"{'kernel':36s} {'median: now':>11s} {'proto':>8s} {'gain':>6s} {'min: now':>8s} "
          f"{'proto':>8s} {'gain':>6s}  numerics")
    for label, dims in LAYERS.items():
        if args.only in label:
            compare_layer(label, *dims, args.repeats, rng)


if __name__ == "__main__":
    main()
