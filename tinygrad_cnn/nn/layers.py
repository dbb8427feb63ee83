"""Fully connected layers, dropout, ``Flatten`` and ``Unfold``/``Fold``.

Each layer is a thin :class:`Module` around one function of :mod:`tinygrad_cnn.nn.functional`,
with PyTorch's constructor arguments and repr. Activations, containers, pooling and losses live
in :mod:`~tinygrad_cnn.nn.activations`, :mod:`~tinygrad_cnn.nn.containers`,
:mod:`~tinygrad_cnn.nn.parameter_containers`, :mod:`~tinygrad_cnn.nn.pooling` and
:mod:`~tinygrad_cnn.nn.losses`.

>>> import tinygrad_cnn as tg
>>> from tinygrad_cnn import nn
>>> _ = tg.manual_seed(0)
>>> layer = nn.Linear(3, 2)
>>> layer(tg.ones(4, 3)).shape
(4, 2)
"""

from __future__ import annotations

import numpy as np

from tinygrad_cnn.nn import functional as F
from tinygrad_cnn.nn import init
from tinygrad_cnn.nn.module import Module
from tinygrad_cnn.ops._args import check_int, check_probability

__all__ = ["Identity", "Linear", "Flatten", "Dropout", "Dropout2d", "Unfold", "Fold"]


class Identity(Module):
    """Its input, unchanged: a placeholder where a layer is switched off. Any constructor
    arguments are accepted and ignored, as in PyTorch, so it can stand in for the layer it
    replaces without editing the call.

    >>> import tinygrad_cnn as tg
    >>> x = tg.tensor([1.0, 2.0])
    >>> Identity()(x) is x, Identity(54, unused=0.1)
    (True, Identity())
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, x):
        """``x`` itself."""
        return x


# -- fully connected ----------------------------------------------------------------------
class Linear(Module):
    """``y = x @ weight.T + bias``; weight ``(out_features, in_features)``.

    Initialised as PyTorch does: ``kaiming_uniform_(weight, a=sqrt(5))`` (so weights are
    U(-1/sqrt(in), 1/sqrt(in))) and bias U(-1/sqrt(in), 1/sqrt(in)).

    >>> import tinygrad_cnn as tg
    >>> _ = tg.manual_seed(0)
    >>> layer = Linear(3, 2)
    >>> layer
    Linear(in_features=3, out_features=2, bias=True)
    >>> layer(tg.ones(4, 3)).shape, layer.weight.shape, layer.bias.shape
    ((4, 2), (2, 3), (2,))
    >>> Linear(3, 2, bias=False).bias is None
    True
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=np.float32):
        super().__init__()
        in_features = check_int("Linear", "in_features", in_features)
        out_features = check_int("Linear", "out_features", out_features)
        self.in_features, self.out_features = in_features, out_features
        weight, bias = init.default_parameters((out_features, in_features), out_features if bias else None, dtype)
        self.weight = weight
        self.register_parameter("bias", bias)
        self._place(device)

    def reset_parameters(self) -> None:
        """Draw the weight and bias again, in place, as the constructor does.

        >>> import tinygrad_cnn as tg
        >>> _ = tg.manual_seed(0)
        >>> layer = Linear(3, 2)
        >>> first = layer.weight.tolist()
        >>> _ = tg.manual_seed(0)
        >>> layer.reset_parameters()
        >>> layer.weight.tolist() == first
        True
        """
        init.default_init_(self.weight, self.bias)

    def forward(self, x):
        """``x @ weight.T + bias``."""
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        """The sizes and whether there is a bias."""
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Flatten(Module):
    """Flatten dims ``start_dim..end_dim`` (default: all but the batch dim).

    >>> import tinygrad_cnn as tg
    >>> Flatten()
    Flatten(start_dim=1, end_dim=-1)
    >>> Flatten()(tg.ones(2, 3, 4, 5)).shape, Flatten(0, 1)(tg.ones(2, 3, 4)).shape
    ((2, 60), (6, 4))
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        """``x.flatten(start_dim, end_dim)``."""
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        """``start_dim`` and ``end_dim``."""
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Zero each element with probability ``p`` in training, scaling the rest by 1/(1-p);
    the identity in eval mode (PyTorch's inverted dropout). ``inplace`` is accepted for PyTorch
    compatibility; the result is always a new tensor, so the repr shows ``inplace=False``.

    >>> import tinygrad_cnn as tg
    >>> drop = Dropout(0.5)
    >>> drop
    Dropout(p=0.5, inplace=False)
    >>> _ = tg.manual_seed(0)
    >>> drop(tg.ones(8)).tolist()      # training: survivors scaled by 1/(1-p)
    [2.0, 0.0, 0.0, 0.0, 2.0, 2.0, 2.0, 2.0]
    >>> drop.eval()(tg.ones(4)).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        check_probability(type(self).__name__, "p", p)
        self.p = p

    def forward(self, x):
        """``x`` with dropout applied in training mode, ``x`` unchanged in eval mode."""
        return F.dropout(x, p=self.p, training=self.training)

    def extra_repr(self) -> str:
        """``p`` (and ``inplace=False``, as PyTorch shows it)."""
        return f"p={self.p}, inplace=False"


class Dropout2d(Dropout):
    """Zero whole channels of (N, C, H, W) input with probability ``p`` in training, scaling
    the rest by 1/(1-p) (:func:`~tinygrad_cnn.nn.functional.dropout2d`); the identity in eval
    mode.

    >>> import tinygrad_cnn as tg
    >>> Dropout2d(0.3)
    Dropout2d(p=0.3, inplace=False)
    >>> Dropout2d(0.3).eval()(tg.ones(1, 2, 2, 2)).tolist()
    [[[[1.0, 1.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 1.0]]]]
    """

    def forward(self, x):
        """``x`` with whole channels dropped in training mode, unchanged in eval mode."""
        return F.dropout2d(x, p=self.p, training=self.training)


class Unfold(Module):
    """:func:`~tinygrad_cnn.nn.functional.unfold` as a layer: the sliding blocks of its
    input as columns (im2col).

    >>> import tinygrad_cnn as tg
    >>> Unfold(kernel_size=(2, 3), padding=1)
    Unfold(kernel_size=(2, 3), dilation=1, padding=1, stride=1)
    >>> Unfold(2)(tg.ones(4, 3, 5, 5)).shape      # 3*2*2 rows, 4*4 blocks
    (4, 12, 16)
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, x):
        """The sliding blocks of ``x`` as columns (``F.unfold``)."""
        return F.unfold(x, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        """The block settings."""
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """:func:`~tinygrad_cnn.nn.functional.fold` as a layer: columns added back into the
    blocks of an image of ``output_size`` (col2im).

    >>> import tinygrad_cnn as tg
    >>> Fold((3, 3), 2)
    Fold(output_size=(3, 3), kernel_size=2, dilation=1, padding=0, stride=1)
    >>> Fold((3, 3), 2)(tg.ones(1, 4, 4)).shape
    (1, 1, 3, 3)
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, x):
        """The columns of ``x`` added back into an image of ``output_size`` (``F.fold``)."""
        return F.fold(x, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        """The output size and block settings."""
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
