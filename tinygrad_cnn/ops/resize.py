"""Resizing: :func:`interpolate`, PyTorch's ``F.interpolate`` in its nearest and linear modes.

Along each spatial dim, output position ``i`` reads one source position (nearest) or two,
with weights that add up to 1 (linear); the positions and weights depend only on the sizes,
so they are worked out once per call, on the input's device. The resize itself is then a
gather (``x[..., idx]``) or a weighted sum of two gathers per dim, both differentiable Tensor
ops: the gradient adds each output gradient back into the positions it was read from, and
gradients of gradients come for free. Bilinear and trilinear resizing are the linear one
applied to each dim in turn, which is the same weighted sum of the 4 or 8 corners.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from tinygrad_cnn.tensor import Tensor

__all__ = ["interpolate"]

# mode -> the number of spatial dims it takes (None: any)
_MODES = {"nearest": None, "linear": 1, "bilinear": 2, "trilinear": 3}
_SHAPES = {1: "3-D (N, C, L)", 2: "4-D (N, C, H, W)", 3: "5-D (N, C, D, H, W)"}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,  # noqa: A002
                recompute_scale_factor=None, antialias=False) -> Tensor:
    """Resize the spatial dims of ``input`` (N, C, L), (N, C, H, W) or (N, C, D, H, W) to
    ``size``, or by ``scale_factor`` (output size floor(n * factor)), PyTorch's
    ``F.interpolate``.

    ``mode``: ``"nearest"`` (PyTorch's legacy rule: output ``i`` reads source
    floor(i * n_in / n_out), or floor(i / scale_factor) when a factor was given; on 4-D input
    a dim whose size stays or doubles is copied or doubled whatever the factor), ``"linear"``
    (3-D), ``"bilinear"`` (4-D) or ``"trilinear"`` (5-D). The linear modes treat values as
    samples at pixel centres (``align_corners=False``, the default: source coordinate
    (i + 0.5) * scale - 0.5, clamped at 0, with scale n_in / n_out or 1 / scale_factor) or at
    the corner pixels (``align_corners=True``: i * (n_in - 1) / (n_out - 1)). With
    ``recompute_scale_factor=True`` a ``scale_factor`` only sets the output size, and the
    coordinates follow from the sizes as if ``size`` had been given. In every linear mode a
    dim whose size stays is copied, as in PyTorch.

    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor([[[1.0, 2.0, 4.0]]])
    >>> interpolate(x, scale_factor=2).tolist()
    [[[1.0, 1.0, 2.0, 2.0, 4.0, 4.0]]]
    >>> interpolate(x, size=5, mode="linear", align_corners=True).tolist()
    [[[1.0, 1.5, 2.0, 3.0, 4.0]]]
    """
    op = "interpolate"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input: expected a Tensor, got {type(input).__name__}")
    if mode not in _MODES:
        raise ValueError(f"{op}: mode: expected one of {', '.join(map(repr, _MODES))}, got {mode!r}")
    if input.ndim - 2 not in _SHAPES:
        raise ValueError(f"{op}: input: expected a 3-D, 4-D or 5-D tensor (batch, channels and 1 to 3 "
                         f"spatial dims), got shape {input.shape}")
    nd = input.ndim - 2
    if _MODES[mode] not in (None, nd):
        raise ValueError(f"{op}: input: mode {mode!r} needs a {_SHAPES[_MODES[mode]]} tensor, "
                         f"got shape {input.shape}")
    if mode == "nearest" and align_corners is not None:
        raise ValueError(f"{op}: align_corners: only the linear modes take it, got "
                         f"align_corners={align_corners!r} with mode 'nearest'")
    if antialias:
        raise ValueError(f"{op}: antialias: only antialias=False is supported, got {antialias!r}")
    sizes, scales = _output_geometry(op, input.shape[2:], size, scale_factor, recompute_scale_factor)
    if mode == "nearest":
        return _nearest(input, sizes, scales)
    if input.dtype.kind != "f":
        raise TypeError(f"{op}: input: mode {mode!r} needs a floating-point tensor, got dtype {input.dtype}")
    return _linear(input, sizes, scales, bool(align_corners))


def _per_dim(op: str, arg: str, value, nd: int, kind) -> tuple:
    """``value`` (one ``kind`` number, or a sequence of ``nd``) as a tuple of ``nd``."""
    def ok(v):
        return isinstance(v, kind) and not isinstance(v, (bool, np.bool_))
    if ok(value):
        return (value,) * nd
    if isinstance(value, (tuple, list)) and all(ok(v) for v in value):
        if len(value) != nd:
            raise ValueError(f"{op}: {arg}: expected one value or {nd} (one per spatial dim of the "
                             f"input), got {tuple(value)}")
        return tuple(value)
    what = "an int" if kind is numbers.Integral else "a number"
    raise TypeError(f"{op}: {arg}: expected {what} or a tuple of {nd}, got {value!r}")


def _output_geometry(op: str, in_sizes: tuple, size, scale_factor, recompute_scale_factor) -> tuple:
    """(output sizes, scale factors the coordinates use: None where they follow from the sizes)."""
    nd = len(in_sizes)
    if (size is None) == (scale_factor is None):
        given = "both" if size is not None else "neither"
        raise ValueError(f"{op}: expected exactly one of size and scale_factor, got {given}")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError(f"{op}: recompute_scale_factor: only meaningful with scale_factor, not "
                             "with an explicit size")
        sizes = tuple(int(s) for s in _per_dim(op, "size", size, nd, numbers.Integral))
        scales = (None,) * nd
    else:
        factors = tuple(float(f) for f in _per_dim(op, "scale_factor", scale_factor, nd, numbers.Real))
        if not all(math.isfinite(f) and f > 0 for f in factors):
            raise ValueError(f"{op}: scale_factor: expected positive finite numbers, got {scale_factor!r}")
        sizes = tuple(math.floor(n * f) for n, f in zip(in_sizes, factors))
        scales = (None,) * nd if recompute_scale_factor else factors
    if min(sizes) <= 0 or min(in_sizes) <= 0:
        raise ValueError(f"{op}: expected input and output sizes greater than 0, got input "
                         f"{tuple(in_sizes)} and output {sizes}")
    return sizes, scales


def _step(kind, n_in: int, n_out: int, scale) -> object:
    """Source positions per output position: 1 / scale_factor when one was given, else n_in / n_out,
    in ``kind`` (PyTorch computes it in the input's precision: float32 unless float64)."""
    return kind(1.0 / scale) if scale is not None else kind(n_in) / kind(n_out)


def _nearest(x: Tensor, sizes: tuple, scales: tuple) -> Tensor:
    xp = x.device.xp
    kind = np.float64 if x.dtype == np.float64 else np.float32
    nd = len(sizes)
    index = []
    for d, (n_in, n_out, scale) in enumerate(zip(x.shape[2:], sizes, scales)):
        if nd == 2 and n_out in (n_in, 2 * n_in):
            # PyTorch's 2-D kernel (only that one) copies a dim whose size stays and doubles one
            # whose size doubles, whatever scale_factor says (1.1 on a 4x6 map: a copy).
            at = xp.arange(n_out) // (n_out // n_in)
        else:
            src = xp.arange(n_out, dtype=kind) * _step(kind, n_in, n_out, scale)
            # PyTorch floors the product as a float32 (floorf) whatever the input's precision;
            # a float64 product just below a whole number can round up to it there.
            at = xp.minimum(xp.floor(src.astype(np.float32)).astype(np.int64), n_in - 1)
        index.append(at.reshape((n_out,) + (1,) * (nd - 1 - d)))  # broadcast to an nd-dim grid
    return x[(Ellipsis, *index)]


def _linear(x: Tensor, sizes: tuple, scales: tuple, align_corners: bool) -> Tensor:
    xp = x.device.xp
    kind = np.float64 if x.dtype == np.float64 else np.float32
    nd = len(sizes)
    in_sizes = x.shape[2:]
    # Shrink first: the dims that get smaller are resized before those that grow, so the
    # intermediate results stay as small as they can.
    order = sorted(range(nd), key=lambda d: sizes[d] / in_sizes[d])
    resized = False
    for d in order:
        n_in, n_out = in_sizes[d], sizes[d]
        if n_in == n_out:
            continue  # PyTorch copies a dim whose size stays, whatever scale_factor says
        dst = xp.arange(n_out, dtype=kind)
        if align_corners:
            step = kind(n_in - 1) / kind(n_out - 1) if n_out > 1 else kind(0)
            src = dst * step
        else:
            step = _step(kind, n_in, n_out, scales[d])
            src = xp.maximum((dst + kind(0.5)) * step - kind(0.5), kind(0))
        lo = xp.minimum(xp.floor(src).astype(np.int64), n_in - 1)
        hi = xp.minimum(lo + 1, n_in - 1)
        frac = src - lo.astype(kind)
        shape = (n_out,) + (1,) * (nd - 1 - d)  # broadcast along the dims after d
        w_hi = Tensor._wrap(frac.astype(x.dtype).reshape(shape))
        w_lo = Tensor._wrap((1 - frac).astype(x.dtype).reshape(shape))
        before = (slice(None),) * (2 + d)
        x = x[(*before, lo)] * w_lo + x[(*before, hi)] * w_hi
        resized = True
    if not resized:  # no size changed: still a new tensor, as PyTorch returns
        x = x[..., xp.arange(in_sizes[-1])]
    return x
