"""Resizing and padding layers: :class:`Upsample` (and its fixed-mode forms
:class:`UpsamplingNearest2d` and :class:`UpsamplingBilinear2d`) around
:func:`~tinygrad_cnn.nn.functional.interpolate`, and the padding layers around
:func:`~tinygrad_cnn.nn.functional.pad`, with PyTorch's arguments and reprs.

>>> import tinygrad_cnn as tg
>>> from tinygrad_cnn import nn
>>> nn.Sequential(nn.Upsample(scale_factor=2), nn.ReflectionPad2d(1))(tg.ones(1, 3, 4, 4)).shape
(1, 3, 10, 10)
"""

from __future__ import annotations

from tinygrad_cnn.nn import functional as F
from tinygrad_cnn.nn.module import Module
from tinygrad_cnn.ops._conv_utils import check_input, non_negative, ntuple
from tinygrad_cnn.ops.resize import check_settings
from tinygrad_cnn.tensor import Tensor

__all__ = [
    "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d",
    "ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d", "ReflectionPad2d",
    "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d", "CircularPad2d",
]


# -- resizing -----------------------------------------------------------------------------
class Upsample(Module):
    """:func:`~tinygrad_cnn.nn.functional.interpolate` as a layer: resize to ``size``, or by
    ``scale_factor`` (kept as a float, or a tuple of floats, as PyTorch keeps it), with
    ``mode`` ``"nearest"``, ``"linear"``, ``"bilinear"`` or ``"trilinear"``.

    >>> import tinygrad_cnn as tg
    >>> up = Upsample(scale_factor=2)
    >>> up
    Upsample(scale_factor=2.0, mode='nearest')
    >>> up(tg.tensor([[[1.0, 2.0]]])).tolist()
    [[[1.0, 1.0, 2.0, 2.0]]]
    >>> Upsample(size=3, mode="linear", align_corners=True)(tg.tensor([[[1.0, 2.0]]])).tolist()
    [[[1.0, 1.5, 2.0]]]
    """

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                 recompute_scale_factor=None) -> None:
        super().__init__()
        # Checked here, where the mistake is made (PyTorch checks them at the first forward).
        check_settings(type(self).__name__, size, scale_factor, mode, align_corners,
                       recompute_scale_factor)
        self.size = size
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor is not None else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, x):
        """``x`` resized."""
        return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        """The scale factor (or the size) and the mode, as PyTorch shows them."""
        what = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return f"{what}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """:class:`Upsample` with ``mode="nearest"`` for (N, C, H, W) input.

    >>> import tinygrad_cnn as tg
    >>> up = UpsamplingNearest2d(scale_factor=2)
    >>> up
    UpsamplingNearest2d(scale_factor=2.0, mode='nearest')
    >>> up(tg.tensor([[[[1.0, 2.0]]]])).tolist()
    [[[[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]]]
    """

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """:class:`Upsample` with ``mode="bilinear"`` and ``align_corners=True`` (as in PyTorch:
    the corner pixels of input and output line up) for (N, C, H, W) input.

    >>> import tinygrad_cnn as tg
    >>> up = UpsamplingBilinear2d(size=(1, 3))
    >>> up
    UpsamplingBilinear2d(size=(1, 3), mode='bilinear')
    >>> up(tg.tensor([[[[1.0, 2.0]]]])).tolist()
    [[[[1.0, 1.5, 2.0]]]]
    """

    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


# -- padding ------------------------------------------------------------------------------
class _Pad(Module):
    """What the padding layers share: ``padding`` (an int for every side, or PyTorch's
    ``(left, right[, top, bottom])``) checked where the layer is built, and ``forward``."""

    nd = 1  # and ``mode``, F.pad's, set by each non-constant layer

    def __init__(self, padding) -> None:
        super().__init__()
        layer = type(self).__name__
        self.padding = non_negative(ntuple(padding, 2 * self.nd, "padding", layer), "padding", layer)

    def forward(self, x):
        """``x`` with its last dims padded."""
        check_input(type(self).__name__, self.nd, x)
        return F.pad(x, self.padding, self.mode)

    def extra_repr(self) -> str:
        """The widths, as PyTorch shows them."""
        return f"{self.padding}"


class _ConstantPad(_Pad):
    """The constant padding layers' ``value`` and repr."""

    def __init__(self, padding, value) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, x):
        """``x`` with its last dims padded with ``value`` (any number of leading dims)."""
        layer = type(self).__name__
        if not isinstance(x, Tensor):
            raise TypeError(f"{layer}: input: expected a Tensor, got {type(x).__name__}")
        if x.ndim < self.nd:
            raise ValueError(f"{layer}: input: expected at least {self.nd} dims, got shape {x.shape}")
        return F.pad(x, self.padding, value=self.value)

    def extra_repr(self) -> str:
        """The widths and the value, as PyTorch shows them."""
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPad):
    """Pad the last dim with ``value``: ``padding`` is an int or ``(left, right)``.

    >>> import tinygrad_cnn as tg
    >>> pad = ConstantPad1d((1, 2), 3.5)
    >>> pad
    ConstantPad1d(padding=(1, 2), value=3.5)
    >>> pad(tg.tensor([[1.0, 2.0]])).tolist()
    [[3.5, 1.0, 2.0, 3.5, 3.5]]
    """


class ConstantPad2d(_ConstantPad):
    """Pad the last two dims with ``value``: ``padding`` is an int or ``(left, right, top, bottom)``.

    >>> import tinygrad_cnn as tg
    >>> pad = ConstantPad2d((0, 1, 1, 0), -1.0)
    >>> pad
    ConstantPad2d(padding=(0, 1, 1, 0), value=-1.0)
    >>> pad(tg.tensor([[1.0, 2.0]])).tolist()
    [[-1.0, -1.0, -1.0], [1.0, 2.0, -1.0]]
    """

    nd = 2


class _ZeroPad(_ConstantPad):
    """The zero padding layers: constant padding with 0, shown by the widths alone."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    extra_repr = _Pad.extra_repr


class ZeroPad1d(_ZeroPad, ConstantPad1d):
    """Pad the last dim with zeros: ``padding`` is an int or ``(left, right)``.

    >>> import tinygrad_cnn as tg
    >>> pad = ZeroPad1d(1)
    >>> pad
    ZeroPad1d((1, 1))
    >>> pad(tg.tensor([[1.0, 2.0]])).tolist()
    [[0.0, 1.0, 2.0, 0.0]]
    """


class ZeroPad2d(_ZeroPad, ConstantPad2d):
    """Pad the last two dims with zeros: ``padding`` is an int or ``(left, right, top, bottom)``.

    >>> import tinygrad_cnn as tg
    >>> pad = ZeroPad2d((1, 0, 0, 1))
    >>> pad
    ZeroPad2d((1, 0, 0, 1))
    >>> pad(tg.tensor([[[1.0, 2.0]]])).tolist()
    [[[0.0, 1.0, 2.0], [0.0, 0.0, 0.0]]]
    """


class ReflectionPad1d(_Pad):
    """Pad the last dim of (C, L) or (N, C, L) input with its reflection about the edge value
    (which is not repeated): ``padding`` is an int or ``(left, right)``, each below the size.

    >>> import tinygrad_cnn as tg
    >>> pad = ReflectionPad1d(2)
    >>> pad
    ReflectionPad1d((2, 2))
    >>> pad(tg.tensor([[1.0, 2.0, 3.0]])).tolist()
    [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0]]
    """

    mode = "reflect"


class ReflectionPad2d(_Pad):
    """Pad the last two dims of (C, H, W) or (N, C, H, W) input by reflection:
    ``padding`` is an int or ``(left, right, top, bottom)``.

    >>> import tinygrad_cnn as tg
    >>> pad = ReflectionPad2d((1, 0, 1, 0))
    >>> pad
    ReflectionPad2d((1, 0, 1, 0))
    >>> pad(tg.tensor([[[1.0, 2.0], [3.0, 4.0]]])).tolist()
    [[[4.0, 3.0, 4.0], [2.0, 1.0, 2.0], [4.0, 3.0, 4.0]]]
    """

    nd, mode = 2, "reflect"


class ReplicationPad1d(_Pad):
    """Pad the last dim of (C, L) or (N, C, L) input by repeating its edge values:
    ``padding`` is an int or ``(left, right)``.

    >>> import tinygrad_cnn as tg
    >>> pad = ReplicationPad1d((2, 1))
    >>> pad
    ReplicationPad1d((2, 1))
    >>> pad(tg.tensor([[1.0, 2.0]])).tolist()
    [[1.0, 1.0, 1.0, 2.0, 2.0]]
    """

    mode = "replicate"


class ReplicationPad2d(_Pad):
    """Pad the last two dims of (C, H, W) or (N, C, H, W) input by repeating the edges:
    ``padding`` is an int or ``(left, right, top, bottom)``.

    >>> import tinygrad_cnn as tg
    >>> pad = ReplicationPad2d((1, 0, 0, 1))
    >>> pad
    ReplicationPad2d((1, 0, 0, 1))
    >>> pad(tg.tensor([[[1.0, 2.0]]])).tolist()
    [[[1.0, 1.0, 2.0], [1.0, 1.0, 2.0]]]
    """

    nd, mode = 2, "replicate"


class CircularPad1d(_Pad):
    """Pad the last dim of (C, L) or (N, C, L) input by wrapping round (the left padding
    comes from the right end): ``padding`` is an int or ``(left, right)``, each at most the size.

    >>> import tinygrad_cnn as tg
    >>> pad = CircularPad1d((2, 1))
    >>> pad
    CircularPad1d((2, 1))
    >>> pad(tg.tensor([[1.0, 2.0, 3.0]])).tolist()
    [[2.0, 3.0, 1.0, 2.0, 3.0, 1.0]]
    """

    mode = "circular"


class CircularPad2d(_Pad):
    """Pad the last two dims of (C, H, W) or (N, C, H, W) input by wrapping round:
    ``padding`` is an int or ``(left, right, top, bottom)``.

    >>> import tinygrad_cnn as tg
    >>> pad = CircularPad2d((1, 0, 0, 1))
    >>> pad
    CircularPad2d((1, 0, 0, 1))
    >>> pad(tg.tensor([[[1.0, 2.0], [3.0, 4.0]]])).tolist()
    [[[2.0, 1.0, 2.0], [4.0, 3.0, 4.0], [2.0, 1.0, 2.0]]]
    """

    nd, mode = 2, "circular"
