"""Pooling layers: :class:`MaxPool1d`, :class:`MaxPool2d`, :class:`AvgPool1d`, :class:`AvgPool2d`,
:class:`AdaptiveAvgPool2d`, :class:`AdaptiveMaxPool2d`, each a thin :class:`Module` around its
function in :mod:`tinygrad_cnn.nn.functional`.

>>> import tinygrad_cnn as tg
>>> from tinygrad_cnn import nn
>>> nn.MaxPool2d(2)(tg.ones(1, 3, 8, 8)).shape
(1, 3, 4, 4)
"""

from __future__ import annotations

from tinygrad_cnn.nn import functional as F
from tinygrad_cnn.nn.module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d"]


class _Pool(Module):
    """What the pooling layers share: ``kernel_size``, ``stride`` (default: ``kernel_size``),
    ``padding`` and ``ceil_mode``."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode


class MaxPool1d(_Pool):
    """:func:`~tinygrad_cnn.nn.functional.max_pool1d` as a layer, PyTorch's arguments in
    PyTorch's order (``return_indices`` before ``ceil_mode``, unlike the function).

    >>> import tinygrad_cnn as tg
    >>> pool = MaxPool1d(2)
    >>> pool
    MaxPool1d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    >>> x = tg.tensor([[[1.0, 3.0, 2.0, 5.0, 4.0]]])
    >>> pool(x).tolist(), MaxPool1d(2, ceil_mode=True)(x).tolist()
    ([[[3.0, 5.0]]], [[[3.0, 5.0, 4.0]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.dilation = dilation
        self.return_indices = return_indices

    def forward(self, x):
        """The maximum of each window of ``x`` (and its flat index, with ``return_indices``)."""
        return F.max_pool1d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        """The window settings, as PyTorch shows them."""
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(MaxPool1d):
    """:func:`~tinygrad_cnn.nn.functional.max_pool2d` as a layer (arguments as
    :class:`MaxPool1d`).

    >>> import tinygrad_cnn as tg
    >>> out, idx = MaxPool2d(2, return_indices=True)(tg.arange(16.0).reshape(1, 1, 4, 4))
    >>> out.tolist(), idx.tolist()
    ([[[[5.0, 7.0], [13.0, 15.0]]]], [[[[5, 7], [13, 15]]]])
    >>> MaxPool2d(2)
    MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    """

    def forward(self, x):
        """The maximum of each window of ``x`` (and its flat index, with ``return_indices``)."""
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class AvgPool1d(_Pool):
    """:func:`~tinygrad_cnn.nn.functional.avg_pool1d` as a layer; with ``count_include_pad``
    (the default) the zeros of ``padding`` count in each window's mean.

    >>> import tinygrad_cnn as tg
    >>> pool = AvgPool1d(2)
    >>> pool
    AvgPool1d(kernel_size=2, stride=2, padding=0)
    >>> pool(tg.tensor([[[1.0, 3.0, 2.0, 6.0]]])).tolist()
    [[[2.0, 4.0]]]
    >>> x = tg.tensor([[[2.0, 4.0]]])
    >>> AvgPool1d(2, padding=1)(x).tolist(), AvgPool1d(2, padding=1, count_include_pad=False)(x).tolist()
    ([[[1.0, 2.0]]], [[[2.0, 4.0]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.count_include_pad = count_include_pad

    def forward(self, x):
        """The mean of each window of ``x``."""
        return F.avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        """The window settings, as given (PyTorch's AvgPool1d shows them as 1-tuples)."""
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(AvgPool1d):
    """:func:`~tinygrad_cnn.nn.functional.avg_pool2d` as a layer; ``divisor_override``, when
    given, divides every window's sum.

    >>> import tinygrad_cnn as tg
    >>> AvgPool2d(2)(tg.arange(16.0).reshape(1, 1, 4, 4)).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    >>> AvgPool2d(2, divisor_override=1)(tg.ones(1, 1, 2, 2)).tolist()
    [[[[4.0]]]]
    >>> AvgPool2d(2)
    AvgPool2d(kernel_size=2, stride=2, padding=0)
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, x):
        """The mean (or sum / ``divisor_override``) of each window of ``x``."""
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class _AdaptivePool(Module):
    """What the adaptive pooling layers share: ``output_size`` and its repr."""

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        """``output_size``."""
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptivePool):
    """:func:`~tinygrad_cnn.nn.functional.adaptive_avg_pool2d` as a layer: means over windows
    chosen so that the output is ``output_size`` (an int or a pair; None keeps that dim) whatever
    the input size.

    >>> import tinygrad_cnn as tg
    >>> pool = AdaptiveAvgPool2d((2, 2))
    >>> pool
    AdaptiveAvgPool2d(output_size=(2, 2))
    >>> pool(tg.arange(16.0).reshape(1, 1, 4, 4)).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    >>> AdaptiveAvgPool2d(1)(tg.ones(2, 3, 5, 7)).shape
    (2, 3, 1, 1)
    """

    def forward(self, x):
        """``x`` averaged down to ``output_size``."""
        return F.adaptive_avg_pool2d(x, self.output_size)


class AdaptiveMaxPool2d(_AdaptivePool):
    """:func:`~tinygrad_cnn.nn.functional.adaptive_max_pool2d` as a layer: maxima over the
    windows of :class:`AdaptiveAvgPool2d`, so that the output is ``output_size`` (an int or a
    pair; None keeps that dim), with their flat indices too when ``return_indices``.

    >>> import tinygrad_cnn as tg
    >>> pool = AdaptiveMaxPool2d((1, None))
    >>> pool
    AdaptiveMaxPool2d(output_size=(1, None))
    >>> pool(tg.tensor([[[[1.0, 4.0], [3.0, 2.0]]]])).tolist()
    [[[[3.0, 4.0]]]]
    >>> out, idx = AdaptiveMaxPool2d(1, return_indices=True)(tg.tensor([[[[1.0, 4.0], [3.0, 2.0]]]]))
    >>> out.tolist(), idx.tolist()
    ([[[[4.0]]]], [[[[1]]]])
    """

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, x):
        """The maximum of each window of ``x`` (and its flat index, with ``return_indices``)."""
        return F.adaptive_max_pool2d(x, self.output_size, self.return_indices)
