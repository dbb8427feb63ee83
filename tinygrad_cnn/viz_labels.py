"""Labels and colours for graph drawings: op names with settings, shapes, gradient norms."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["format_op"]

# Setting names shortened in op labels, values not worth showing, and plumbing never shown.
_ABBREV = {"stride": "s", "padding": "p", "pads": "p", "dilation": "d", "groups": "g",
           "kernel_size": "k", "kernel": "k"}
_DEFAULTS = {"stride": 1, "padding": 0, "pads": 0, "dilation": 1, "groups": 1,
             "ceil_mode": False, "keepdim": False, "count_include_pad": True}
_HIDDEN = {"out_hw", "sink", "patches", "code", "in_hw", "mask"}
# A sequential (viridis-like) palette: small gradients dark blue, large ones yellow.
_PALETTE = [(0x44, 0x01, 0x54), (0x3b, 0x52, 0x8b), (0x21, 0x91, 0x8c), (0x5e, 0xc9, 0x62),
            (0xfd, 0xe7, 0x25)]
_STYLE = {
    "op": {"shape": "box", "style": "rounded,filled", "fillcolor": "#fff3c4"},
    "param": {"shape": "box", "style": "filled", "fillcolor": "#cfe8ff"},
    "leaf": {"shape": "ellipse", "style": "filled", "fillcolor": "#e8e8e8"},
    "tensor": {"shape": "ellipse", "style": "filled", "fillcolor": "#ffffff"},
    "module": {"shape": "box3d", "style": "filled", "fillcolor": "#d9f2d0"},
}


def _flat_numbers(v):
    """The numbers of a nested tuple, or None if it holds anything else."""
    out, stack = [], [v]
    while stack:
        x = stack.pop()
        if isinstance(x, (tuple, list)):
            stack.extend(reversed(x))
        elif isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool):
            out.append(x)
        else:
            return None
    return out


def _fmt_value(v) -> str:
    if hasattr(v, "shape") and hasattr(v, "dtype"):
        return f"<array {tuple(v.shape)}>"
    if isinstance(v, slice) or isinstance(v, tuple) and any(
            hasattr(p, "shape") or isinstance(p, slice) or p is Ellipsis for p in v):  # an index
        parts = v if isinstance(v, tuple) else (v,)
        return "[" + ",".join(_fmt_value(p) if hasattr(p, "shape") else _fmt_index(p) for p in parts) + "]"
    nums = _flat_numbers(v) if isinstance(v, tuple) else None
    if nums:
        return _fmt_value(nums[0]) if all(x == nums[0] for x in nums) else ",".join(
            _fmt_value(x) for x in nums)
    if isinstance(v, (float, np.floating)):
        return f"{v:g}"
    text = v.name if isinstance(getattr(v, "name", None), str) else str(v)  # dtypes, devices
    return text if len(text) <= 24 else text[:21] + "..."


def _fmt_index(part) -> str:
    """One basic part of an index as written in Python: ``1:5:2``, ``:``, ``None``, ``...``."""
    if isinstance(part, slice):
        text = ":".join("" if v is None else str(v) for v in (part.start, part.stop, part.step))
        return text[:-1] if text.endswith(":") and part.step is None else text
    return "..." if part is Ellipsis else str(part)


def _is_default(key, value) -> bool:
    if value is None:
        return True
    nums = _flat_numbers(value) if isinstance(value, tuple) else [value]
    return key in _DEFAULTS and bool(nums) and all(x == _DEFAULTS[key] for x in nums)


def _settings(ctx):
    """An op's settings, with grouped ones (a namedtuple such as conv's geometry) spread out
    and internal plumbing (mutable lists, output sizes) left out."""
    for key, value in getattr(ctx, "settings", {}).items():
        if key in _HIDDEN or key.startswith("_") or isinstance(value, (list, dict)):
            continue
        for k, v in (value._asdict().items() if hasattr(value, "_asdict") else [(key, value)]):
            if k == "pads" and all(isinstance(p, tuple) and len(set(p)) == 1 for p in v):
                v = tuple(p[0] for p in v)  # ((1, 1), (2, 2)) -> (1, 2): symmetric padding
            yield k, v


def format_op(ctx) -> str:
    """An op's graph label: its name and its non-default settings.

    >>> import tinygrad_cnn as tg
    >>> import tinygrad_cnn.nn.functional as F
    >>> x = tg.randn(1, 3, 8, 8, requires_grad=True)
    >>> format_op(F.conv2d(x, tg.randn(4, 3, 3, 3), stride=2, padding=1)._ctx)
    'Conv2d s=2 p=1'
    >>> format_op(x.sum(1, keepdim=True)._ctx)
    'Sum axes=1 keepdim=True'
    """
    parts = [ctx.name]
    for key, value in _settings(ctx):
        if not _is_default(key, value):
            parts.append(f"{_ABBREV.get(key, key)}={_fmt_value(value)}")
    return " ".join(parts)


def _fmt_shape(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")" if len(shape) != 1 else f"({shape[0]},)"


def _fmt_norm(n) -> str:
    return "nan" if math.isnan(n) else ("inf" if math.isinf(n) else f"{n:.3g}")


def _colour(norm, lo, hi):
    """(fill, font colour) for a gradient norm on a log scale from lo to hi."""
    if not math.isfinite(norm):
        return "#ff4040", "black"
    if norm == 0.0:
        return "#d0d0d0", "black"
    pos = (math.log10(norm) - lo) / (hi - lo)
    pos = min(max(pos, 0.0), 1.0) * (len(_PALETTE) - 1)
    i = min(int(pos), len(_PALETTE) - 2)
    f = pos - i
    rgb = [round(a + (b - a) * f) for a, b in zip(_PALETTE[i], _PALETTE[i + 1])]
    return "#" + "".join(f"{c:02x}" for c in rgb), ("white" if pos < 2.2 else "black")
