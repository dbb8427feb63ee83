"""Convolution layers: ``Conv1d``, ``Conv2d`` and ``ConvTranspose2d`` (PyTorch's arguments).

>>> import tinygrad_cnn as tg
>>> from tinygrad_cnn import nn
>>> conv = nn.Conv2d(1, 6, kernel_size=5)
>>> conv.weight.shape, conv
((6, 1, 5, 5), Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1)))
"""

from __future__ import annotations

import numpy as np

from tinygrad_cnn.nn import functional as F
from tinygrad_cnn.nn import init
from tinygrad_cnn.nn.module import Module
from tinygrad_cnn.ops._args import check_int
from tinygrad_cnn.ops._conv_utils import check_groups, non_negative, ntuple, positive
from tinygrad_cnn.ops.conv import padding_pairs
from tinygrad_cnn.ops.shape import PAD_MODES

__all__ = ["Conv1d", "Conv2d", "ConvTranspose2d"]


class _ConvNd(Module):
    """Shared construction: weight, optional bias and PyTorch's default initialisation.

    The weight is ``kaiming_uniform_(a=sqrt(5))`` (U(-1/sqrt(fan_in), 1/sqrt(fan_in))) and the
    bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)), with fan_in computed from the weight's dim 1 times
    the kernel area, as PyTorch does (for transposed convolutions that dim is out/groups).
    """

    _ndim = 2
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, dilation=1, groups=1, bias=True, padding_mode="zeros",
                 device=None, dtype=np.float32):
        super().__init__()
        n = self._ndim
        layer = type(self).__name__
        # F.pad's modes, its "constant" being the convolution's own zero padding
        modes = ("zeros",) if self._transposed else ("zeros", *PAD_MODES[1:])
        if padding_mode not in modes:
            raise ValueError(f"{layer}: padding_mode: expected one of {', '.join(modes)}, got "
                             f"{padding_mode!r}")
        self.padding_mode = padding_mode
        in_channels = check_int(layer, "in_channels", in_channels)
        out_channels = check_int(layer, "out_channels", out_channels)
        groups = check_groups(layer, groups, in_channels, "in_channels", out_channels, "out_channels")
        self.kernel_size = positive(ntuple(kernel_size, n, "kernel_size", layer), "kernel_size", layer)
        self.stride = positive(ntuple(stride, n, "stride", layer), "stride", layer)
        self.dilation = positive(ntuple(dilation, n, "dilation", layer), "dilation", layer)
        self.output_padding = non_negative(ntuple(output_padding, n, "output_padding", layer),
                                           "output_padding", layer)
        if isinstance(padding, str) and not self._transposed:
            if padding not in ("same", "valid"):
                raise ValueError(f"{layer}: padding: expected 'same', 'valid', an int or a tuple of "
                                 f"{n} ints, got {padding!r}")
            self.padding = padding  # F.conv* resolves it per input
        else:
            self.padding = non_negative(ntuple(padding, n, "padding", layer), "padding", layer)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        if self._transposed:
            shape = (in_channels, out_channels // groups, *self.kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *self.kernel_size)
        weight, bias = init.default_parameters(shape, out_channels if bias else None, dtype)
        self.weight = weight
        self.register_parameter("bias", bias)
        self._place(device)
        if self.padding == "same":  # with a stride > 1 it is refused here, as in PyTorch
            padding_pairs(layer, self.padding, n, self.kernel_size, self.dilation, self.stride)

    def reset_parameters(self) -> None:
        """Draw the weight and bias again from PyTorch's default initialisation (see above).

        >>> from tinygrad_cnn import nn
        >>> conv = nn.Conv2d(1, 1, kernel_size=3)  # fan_in 9: values in [-1/3, 1/3]
        >>> _ = nn.init.zeros_(conv.weight)
        >>> conv.reset_parameters()
        >>> bool(conv.weight.numpy().any()), bool(abs(conv.weight.numpy()).max() <= 1 / 3)
        (True, True)
        """
        init.default_init_(self.weight, self.bias)

    def _pad_input(self, x):
        """``(x, padding)`` for the convolution. With a padding_mode other than zeros, F.pad
        pads the input first (PyTorch's way; F.pad takes the last dim first) and the
        convolution pads nothing. The mode and the padding are read at each call, so changing
        them on a built layer takes effect."""
        if self.padding_mode == "zeros" or self.padding == "valid":
            return x, self.padding
        pairs = padding_pairs(type(self).__name__, self.padding, self._ndim, self.kernel_size,
                              self.dilation, self.stride)
        return F.pad(x, [v for pair in reversed(pairs) for v in pair], self.padding_mode), (0,) * self._ndim

    def _arg(self, value):
        return value[0] if self._ndim == 1 and not isinstance(value, str) else value

    def extra_repr(self) -> str:
        """The constructor's arguments as PyTorch prints them: sizes and stride always, the others
        only when they differ from their defaults."""
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if any(self.padding):
            s += f", padding={self.padding}"
        if any(d != 1 for d in self.dilation):
            s += f", dilation={self.dilation}"
        if any(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-D convolution over ``(N, C_in, L)``; weight ``(C_out, C_in/groups, K)``.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn import nn
    >>> conv = nn.Conv1d(2, 4, kernel_size=3, padding=1)
    >>> conv(tg.ones(1, 2, 5)).shape
    (1, 4, 5)
    >>> conv
    Conv1d(2, 4, kernel_size=(3,), stride=(1,), padding=(1,))
    """

    _ndim = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=np.float32):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, 0, dilation,
                         groups, bias, padding_mode, device, dtype)

    def forward(self, x):
        """Convolve ``x`` of shape ``(N, C_in, L)``."""
        a = self._arg
        x, padding = self._pad_input(x)
        return F.conv1d(x, self.weight, self.bias, a(self.stride), a(padding), a(self.dilation),
                        self.groups)


class Conv2d(_ConvNd):
    """2-D convolution over ``(N, C_in, H, W)``; weight ``(C_out, C_in/groups, KH, KW)``.

    ``padding`` also takes ``"same"`` or ``"valid"``; ``padding_mode`` is ``"zeros"``,
    ``"reflect"``, ``"replicate"`` or ``"circular"`` (the last three pad the input first with
    :func:`~tinygrad_cnn.nn.functional.pad`).

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn import nn
    >>> conv = nn.Conv2d(4, 8, kernel_size=3, stride=2, padding=1, groups=2, bias=False)
    >>> conv(tg.ones(1, 4, 8, 8)).shape, conv.weight.shape
    ((1, 8, 4, 4), (8, 2, 3, 3))
    >>> conv
    Conv2d(4, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), groups=2, bias=False)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=np.float32):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, 0, dilation,
                         groups, bias, padding_mode, device, dtype)

    def forward(self, x):
        """Convolve ``x`` of shape ``(N, C_in, H, W)``."""
        x, padding = self._pad_input(x)
        return F.conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation,
                        self.groups)


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution (the gradient of Conv2d w.r.t. its input); weight
    ``(C_in, C_out/groups, KH, KW)``.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn import nn
    >>> up = nn.ConvTranspose2d(4, 2, kernel_size=2, stride=2)
    >>> up(tg.ones(1, 4, 3, 3)).shape, up.weight.shape
    ((1, 2, 6, 6), (4, 2, 2, 2))
    >>> up
    ConvTranspose2d(4, 2, kernel_size=(2, 2), stride=(2, 2))
    """

    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=np.float32):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, output_padding,
                         dilation, groups, bias, padding_mode, device, dtype)

    def forward(self, x):
        """Apply the transposed convolution to ``x`` of shape ``(N, C_in, H, W)``."""
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, self.groups, self.dilation)
