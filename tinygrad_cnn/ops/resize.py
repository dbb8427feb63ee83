"""Resizing: :func:`interpolate`, PyTorch's ``F.interpolate`` in its nearest and linear modes.

Along each spatial dim, output position ``i`` reads one source position (nearest) or two,
with weights that add up to 1 (linear); the positions and weights depend only on the sizes,
so they are worked out once on the host (and cached). A linear resize is then one product with
a small (n_out, n_in) interpolation matrix per resized dim (``A_h @ x @ A_w^T`` for bilinear),
which is far faster than gathers, both ways, and its gradient is the transposed product. Nearest
with a whole-number factor repeats each cell (the :class:`Repeat` op, whose gradient adds
strided slices); other nearest sizes are a gather. A dim whose size and positions stay is left
alone. All of these are differentiable, so gradients of gradients come for free.
"""

from __future__ import annotations

import functools
import itertools
import math
import numbers

import numpy as np

from tinygrad_cnn import backend
from tinygrad_cnn.function import Function
from tinygrad_cnn.ops._promote import widened
from tinygrad_cnn.ops.linalg import along_dim
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

    ``mode``: ``"nearest"`` (PyTorch's documented rule for every dimensionality: output ``i``
    reads source floor(i * scale), scale = n_in / n_out, or 1 / scale_factor when a factor was
    given and not recomputed; PyTorch's 4-D kernel sometimes copies a dim whose size stays or
    doubles one whose size doubles instead, depending on the sizes, which is not followed here),
    ``"linear"``
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
    if input.ndim - 2 not in _SHAPES:
        raise ValueError(f"{op}: input: expected a 3-D, 4-D or 5-D tensor (batch, channels and 1 to 3 "
                         f"spatial dims), got shape {input.shape}")
    nd = input.ndim - 2
    sizes, factors = check_settings(op, size, scale_factor, mode, align_corners, recompute_scale_factor, nd)
    if _MODES[mode] not in (None, nd):
        raise ValueError(f"{op}: input: mode {mode!r} needs a {_SHAPES[_MODES[mode]]} tensor, "
                         f"got shape {input.shape}")
    if antialias:
        raise ValueError(f"{op}: antialias: only antialias=False is supported, got {antialias!r}")
    sizes, scales = _output_geometry(op, input.shape[2:], sizes, factors, recompute_scale_factor)
    if mode != "nearest" and input.dtype.kind != "f":
        raise TypeError(f"{op}: input: mode {mode!r} needs a floating-point tensor, got dtype {input.dtype}")
    # Half precision is resized in float32, as PyTorch's CPU kernels compute, so that a gradient
    # adding up many output gradients does not stall in float16 (at 2048).
    x = widened(input)
    if mode == "nearest":
        out = _nearest(x, sizes, scales)
    else:
        out = _linear(x, sizes, scales, bool(align_corners))
    return out.to(dtype=input.dtype)


def _per_dim(op: str, arg: str, value, nd: int | None, number_type) -> tuple:
    """``value`` (one ``number_type`` number, or a sequence of ``nd``) as a tuple of ``nd``;
    with ``nd`` None, as a tuple of its own values (a sequence of any non-zero length)."""
    def ok(v):
        return isinstance(v, number_type) and not isinstance(v, (bool, np.bool_))
    if ok(value):
        return (value,) * (1 if nd is None else nd)
    if isinstance(value, (tuple, list)) and all(ok(v) for v in value):
        if not value or (nd is not None and len(value) != nd):
            count = "at least one" if nd is None else f"one value or {nd} (one per spatial dim of the input)"
            raise ValueError(f"{op}: {arg}: expected {count}, got {tuple(value)}")
        return tuple(value)
    what = "an int" if number_type is numbers.Integral else "a number"
    raise TypeError(f"{op}: {arg}: expected {what} or a tuple of {'them' if nd is None else nd}, "
                    f"got {value!r}")


def check_settings(op: str, size, scale_factor, mode, align_corners, recompute_scale_factor,
                   nd: int | None = None) -> tuple:
    """Check the settings of :func:`interpolate`: ``mode``, exactly one of ``size`` and
    ``scale_factor`` (ints >= 1, or positive finite numbers), and the flags that go with them. With
    ``nd`` (the input's spatial dims) a tuple must have ``nd`` values; without it, any number
    (:class:`~tinygrad_cnn.nn.Upsample` checks its settings where it is built, before it sees
    an input). Returns ``(sizes, factors)``, one per dim as ints or floats, the one not given
    None.

    >>> check_settings("Upsample", None, 2, "bicubic", None, None)
    Traceback (most recent call last):
    ...
    ValueError: Upsample: mode: expected one of 'nearest', 'linear', 'bilinear', 'trilinear', got 'bicubic'
    """
    if mode not in _MODES:
        raise ValueError(f"{op}: mode: expected one of {', '.join(map(repr, _MODES))}, got {mode!r}")
    if mode == "nearest" and align_corners is not None:
        raise ValueError(f"{op}: align_corners: only the linear modes take it, got "
                         f"align_corners={align_corners!r} with mode 'nearest'")
    if (size is None) == (scale_factor is None):
        given = "both" if size is not None else "neither"
        raise ValueError(f"{op}: expected exactly one of size and scale_factor, got {given}")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError(f"{op}: recompute_scale_factor: only meaningful with scale_factor, not "
                             "with an explicit size")
        sizes = tuple(int(s) for s in _per_dim(op, "size", size, nd, numbers.Integral))
        if min(sizes) < 1:
            raise ValueError(f"{op}: size: expected sizes >= 1, got {size!r}")
        return sizes, None
    factors = tuple(float(f) for f in _per_dim(op, "scale_factor", scale_factor, nd, numbers.Real))
    if not all(math.isfinite(f) and f > 0 for f in factors):
        raise ValueError(f"{op}: scale_factor: expected positive finite numbers, got {scale_factor!r}")
    return None, factors


def _output_geometry(op: str, in_sizes: tuple, sizes, factors, recompute_scale_factor) -> tuple:
    """(output sizes, scale factors the coordinates use: None where they follow from the
    sizes), from the per-dim ``sizes`` or ``factors`` :func:`check_settings` returned."""
    nd = len(in_sizes)
    if sizes is not None:
        scales = (None,) * nd
    else:
        sizes = tuple(math.floor(n * f) for n, f in zip(in_sizes, factors))
        scales = (None,) * nd if recompute_scale_factor else factors
    if min(sizes) <= 0 or min(in_sizes) <= 0:
        raise ValueError(f"{op}: expected input and output sizes greater than 0, got input "
                         f"{tuple(in_sizes)} and output {sizes}")
    return sizes, scales


def _coord_dtype(dtype) -> type:
    """The precision PyTorch computes source coordinates in: float64 for float64 input, else float32."""
    return np.float64 if dtype == np.float64 else np.float32


def _step(coord_dtype, n_in: int, n_out: int, scale) -> object:
    """Source positions per output position: 1 / scale_factor when one was given, else n_in / n_out."""
    return coord_dtype(1.0 / scale) if scale is not None else coord_dtype(n_in) / coord_dtype(n_out)


@functools.lru_cache(maxsize=256)
def _nearest_source(n_in: int, n_out: int, scale, coord_dtype) -> np.ndarray:
    """(n_out,) source position of each output position: floor(i * step), at most n_in - 1."""
    src = np.arange(n_out, dtype=coord_dtype) * _step(coord_dtype, n_in, n_out, scale)
    # The product is floored as a float32 whatever the input's precision (what agrees with
    # PyTorch most often): a float64 product just below a whole number can round up to it.
    at = np.minimum(np.floor(src.astype(np.float32)).astype(np.int64), n_in - 1)
    at.flags.writeable = False  # shared by every call through the cache
    return at


@functools.lru_cache(maxsize=256)
def _linear_matrix(n_in: int, n_out: int, scale, align_corners: bool, coord_dtype) -> np.ndarray:
    """(n_out, n_in) float64 matrix whose row i mixes the two source cells around output i's
    source coordinate, computed in ``coord_dtype`` as PyTorch computes it."""
    dst = np.arange(n_out, dtype=coord_dtype)
    if align_corners:
        step = coord_dtype(n_in - 1) / coord_dtype(n_out - 1) if n_out > 1 else coord_dtype(0)
        src = dst * step
    else:
        step = _step(coord_dtype, n_in, n_out, scale)
        src = np.maximum((dst + coord_dtype(0.5)) * step - coord_dtype(0.5), coord_dtype(0))
    lo = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = src - lo.astype(coord_dtype)
    m = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    np.add.at(m, (rows, lo), (1 - frac).astype(np.float64))  # lo == hi at the last cell
    np.add.at(m, (rows, hi), frac.astype(np.float64))
    m.flags.writeable = False
    return m


class Repeat(Function):
    """Each cell along dim d repeated ``factors[d]`` times (nearest upsampling by whole factors).

    NumPy's ``repeat`` makes the output about twice as fast as copying a broadcast view, and
    the gradient, the sum of the output cells each input cell went to, is a sum of strided
    slices (one per offset within a block): 33 against 97 ms for NumPy's reshape-sum on a x2
    gradient of (16, 32, 128, 128) here. For large blocks the reshape-sum is the better one."""

    def forward(self, x, *, factors):
        for d, f in factors.items():
            x = self.xp.repeat(x, f, axis=d)
        return x

    def backward(self, grad):
        factors = self.settings["factors"]
        if math.prod(factors.values()) > _MAX_SLICES:
            split = []
            for d, n in enumerate(grad.shape):
                split += [n // factors[d], factors[d]] if d in factors else [n]
            blocks = tuple(d + k + 1 for k, d in enumerate(sorted(factors)))  # each after its cells
            return grad.reshape(*split).sum(blocks)
        total = None
        for offsets in itertools.product(*(range(f) for f in factors.values())):
            index = [slice(None)] * grad.ndim
            for d, f, o in zip(factors, factors.values(), offsets):
                index[d] = slice(o, None, f)
            part = grad[tuple(index)]
            total = part if total is None else total + part
        return total


# Up to this many cells per block, Repeat's gradient adds strided slices; beyond, it reshapes.
_MAX_SLICES = 16


def _nearest(x: Tensor, sizes: tuple, scales: tuple) -> Tensor:
    coord_dtype = _coord_dtype(x.dtype)
    repeats, gathers = {}, {}
    for k, (n_in, n_out, scale) in enumerate(zip(x.shape[2:], sizes, scales)):
        at = _nearest_source(n_in, n_out, scale, coord_dtype)
        if n_out == n_in and (at == np.arange(n_in)).all():
            continue  # nothing moves along this dim
        if n_out % n_in == 0 and (at == np.arange(n_out) // (n_out // n_in)).all():
            repeats[2 + k] = n_out // n_in
        else:
            gathers[2 + k] = (n_in, n_out, scale, coord_dtype)  # _nearest_source's arguments
    if not repeats and not gathers:
        return x.clone()  # still a new tensor, as PyTorch returns
    if repeats:
        x = Repeat.apply(x, factors=repeats)
    dims = sorted(gathers)
    if dims and dims == list(range(dims[0], dims[-1] + 1)):
        # Neighbouring dims: one gather, with index arrays broadcast to their grid.
        index = [_placed_source(gathers[d], x.device).reshape((-1,) + (1,) * (dims[-1] - d)) for d in dims]
        return x[(slice(None),) * dims[0] + tuple(index)]
    for d in dims:  # depth and width of 5-D input, with the height kept
        x = x[(slice(None),) * d + (_placed_source(gathers[d], x.device),)]
    return x


def _placed_source(args: tuple, device):
    """:func:`_nearest_source` of ``args`` on ``device``, copied there once."""
    return backend.placed(_nearest_source, args, np.dtype(np.int64), device)


def _linear(x: Tensor, sizes: tuple, scales: tuple, align_corners: bool) -> Tensor:
    coord_dtype = _coord_dtype(x.dtype)
    nd = len(sizes)
    in_sizes = x.shape[2:]
    # Shrink first: the dims that get smaller are resized before those that grow, so the
    # intermediate results stay as small as they can.
    order = sorted(range(nd), key=lambda k: sizes[k] / in_sizes[k])
    resized = False
    for k in order:
        if in_sizes[k] == sizes[k]:
            continue  # PyTorch copies a dim whose size stays, whatever scale_factor says
        args = (in_sizes[k], sizes[k], scales[k], align_corners, coord_dtype)
        x = along_dim(x, 2 + k, backend.placed(_linear_matrix, args, x.dtype, x.device))
        resized = True
    return x if resized else x.clone()  # still a new tensor, as PyTorch returns
