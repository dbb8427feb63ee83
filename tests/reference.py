"""Slow, obviously correct NumPy references for convolution, pooling and the losses.

Every function is a direct transcription of the defining formula with Python loops; none of
them shares code with tinygrad_cnn. Inputs are batched NCHW float arrays.
"""

import math

import numpy as np

# Memory layouts of an (N, C, H, W) array: its axes in memory, outermost first. A
# convolution's output lies as CNHW, or as CHWN when its patches put the samples innermost.
LAYOUTS = {"NCHW": (0, 1, 2, 3), "CNHW": (1, 0, 2, 3), "CHWN": (1, 2, 3, 0)}


def laid_out(a, order):
    """``a`` (N, C, H, W), same values, with its axes in memory in ``order``."""
    return np.ascontiguousarray(a.transpose(order)).transpose(np.argsort(order))


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """out[n, o, i, j] = b[o] + sum_{c, a, q} xpad[n, g*Cg + c, i*S + a*D, j*S + q*D] w[o, c, a, q]."""
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    if padding == "same":
        th, tw = dh * (w.shape[2] - 1), dw * (w.shape[3] - 1)
        pads = ((th // 2, th - th // 2), (tw // 2, tw - tw // 2))
    else:
        ph, pw = (0, 0) if padding == "valid" else _pair(padding)
        pads = ((ph, ph), (pw, pw))
    x = np.pad(x, ((0, 0), (0, 0), *pads))
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh = (h - dh * (kh - 1) - 1) // sh + 1
    ow = (wd - dw * (kw - 1) - 1) // sw + 1
    og = o // groups
    out = np.zeros((n, o, oh, ow))
    for s in range(n):
        for f in range(o):
            g = f // og
            for i in range(oh):
                for j in range(ow):
                    total = 0.0 if b is None else b[f]
                    for ch in range(cg):
                        for a in range(kh):
                            for q in range(kw):
                                total += x[s, g * cg + ch, i * sh + a * dh, j * sw + q * dw] * w[f, ch, a, q]
                    out[s, f, i, j] = total
    return out


def conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Scatter form: every input pixel adds ``x * w`` into the output at i*S + a*D - P."""
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = (_pair(stride), _pair(padding),
                                                 _pair(output_padding), _pair(dilation))
    n, cin, h, wd = x.shape
    _, cog, kh, kw = w.shape
    cig = cin // groups
    oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    ow = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    out = np.zeros((n, cog * groups, oh, ow))
    for s in range(n):
        for ci in range(cin):
            g = ci // cig
            for i in range(h):
                for j in range(wd):
                    for co in range(cog):
                        for a in range(kh):
                            for q in range(kw):
                                r, t = i * sh + a * dh - ph, j * sw + q * dw - pw
                                if 0 <= r < oh and 0 <= t < ow:
                                    out[s, g * cog + co, r, t] += x[s, ci, i, j] * w[ci, co, a, q]
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def true_conv2d_single(image, kernel):
    """'valid' convolution with the textbook formula s[i, j] = sum_{a, b} I[i - a, j - b] K[a, b]
    (indices shifted so the output starts where the kernel fits entirely)."""
    kh, kw = kernel.shape
    oh, ow = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    out = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    out[i, j] += image[i + kh - 1 - a, j + kw - 1 - b] * kernel[a, b]
    return out


def _pool_size(n, k, s, p, d, ceil_mode):
    span = n + 2 * p - d * (k - 1) - 1
    o = (math.ceil(span / s) if ceil_mode else span // s) + 1
    if ceil_mode and (o - 1) * s >= n + p:
        o -= 1
    return o


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Returns (values, flat indices into each H*W plane), looping over every window cell."""
    (kh, kw) = _pair(kernel_size)
    (sh, sw) = _pair(stride if stride is not None else kernel_size)
    (ph, pw), (dh, dw) = _pair(padding), _pair(dilation)
    n, c, h, w = x.shape
    oh, ow = _pool_size(h, kh, sh, ph, dh, ceil_mode), _pool_size(w, kw, sw, pw, dw, ceil_mode)
    out = np.zeros((n, c, oh, ow))
    idx = np.zeros((n, c, oh, ow), dtype=np.int64)
    for s in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    best, where = -np.inf, -1
                    for a in range(kh):
                        for b in range(kw):
                            r, t = i * sh - ph + a * dh, j * sw - pw + b * dw
                            if 0 <= r < h and 0 <= t < w and x[s, ch, r, t] > best:
                                best, where = x[s, ch, r, t], r * w + t
                    out[s, ch, i, j], idx[s, ch, i, j] = best, where
    return out, idx


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    (kh, kw) = _pair(kernel_size)
    (sh, sw) = _pair(stride if stride is not None else kernel_size)
    (ph, pw) = _pair(padding)
    n, c, h, w = x.shape
    oh, ow = _pool_size(h, kh, sh, ph, 1, ceil_mode), _pool_size(w, kw, sw, pw, 1, ceil_mode)
    out = np.zeros((n, c, oh, ow))
    for s in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    total, inside, padded = 0.0, 0, 0
                    for a in range(kh):
                        for b in range(kw):
                            r, t = i * sh - ph + a, j * sw - pw + b
                            if 0 <= r < h and 0 <= t < w:
                                total += x[s, ch, r, t]
                                inside += 1
                            if -ph <= r < h + ph and -pw <= t < w + pw:
                                padded += 1
                    out[s, ch, i, j] = total / (padded if count_include_pad else inside)
    return out


def max_unpool2d(x, idx, size):
    n, c = x.shape[:2]
    out = np.zeros((n, c, size[0] * size[1]))
    for s in range(n):
        for ch in range(c):
            for v, k in zip(x[s, ch].ravel(), idx[s, ch].ravel()):
                out[s, ch, k] = v
    return out.reshape(n, c, *size)


def adaptive_avg_pool2d(x, out_hw):
    n, c, h, w = x.shape
    oh, ow = out_hw
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        r0, r1 = (i * h) // oh, math.ceil((i + 1) * h / oh)
        for j in range(ow):
            c0, c1 = (j * w) // ow, math.ceil((j + 1) * w / ow)
            out[:, :, i, j] = x[:, :, r0:r1, c0:c1].mean(axis=(2, 3))
    return out


def softmax(x, dim):
    x = np.moveaxis(x, dim, -1)
    out = np.zeros_like(x)
    for idx in np.ndindex(*x.shape[:-1]):
        row = x[idx]
        e = np.array([math.exp(v - max(row)) for v in row])
        out[idx] = e / e.sum()
    return np.moveaxis(out, -1, dim)


def log_softmax(x, dim):
    return np.log(softmax(x, dim))


def cross_entropy(logits, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """Per-sample loss -sum_c q_c w_c log p_c with q = (1 - eps) onehot + eps / C."""
    n, c = logits.shape
    w = np.ones(c) if weight is None else weight
    losses, denom = [], 0.0
    for i in range(n):
        if target[i] == ignore_index:
            losses.append(0.0)
            continue
        logp = log_softmax(logits[i], 0)
        q = np.full(c, label_smoothing / c)
        q[target[i]] += 1 - label_smoothing
        losses.append(-sum(q[k] * w[k] * logp[k] for k in range(c)))
        denom += w[target[i]]
    losses = np.array(losses)
    if reduction == "none":
        return losses
    return losses.sum() / denom if reduction == "mean" else losses.sum()


def bce_with_logits(x, y):
    p = 1 / (1 + np.exp(-x))
    return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))
