"""Activation layers: each a thin :class:`Module` around one function of
:mod:`tinygrad_cnn.nn.functional`, with PyTorch's constructor arguments and repr.

``inplace=`` is accepted wherever PyTorch takes it, for compatibility; the result is always
a new tensor and the input keeps its values, so the repr never shows it. Arguments are
checked when the layer is built, where the mistake is made.

>>> import tinygrad_cnn as tg
>>> from tinygrad_cnn import nn
>>> block = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Hardswish(), nn.Conv2d(8, 8, 3), nn.PReLU(8))
>>> block(tg.ones(2, 3, 8, 8)).shape
(2, 8, 4, 4)
"""

from __future__ import annotations

import numpy as np

from tinygrad_cnn.nn import functional as F
from tinygrad_cnn.nn import init
from tinygrad_cnn.nn.module import Module, Parameter
from tinygrad_cnn.ops._args import check_int, check_real
from tinygrad_cnn.ops.activation import _nonzero

__all__ = [
    "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
    "ELU", "SELU", "CELU", "SiLU", "Mish", "Softplus", "Hardtanh", "ReLU6", "Hardsigmoid", "Hardswish",
    "PReLU",
]


class _NoSettings(Module):
    """An activation without settings of its own: ``inplace`` is accepted for PyTorch
    compatibility and ignored (the result is always a new tensor, the input keeps its values).
    A subclass names its functional form as ``_function``."""

    _function = None

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()

    def forward(self, x):
        """The activation, elementwise."""
        return self._function(x)


# -- relu, sigmoid, tanh, softmax ---------------------------------------------------------
class ReLU(_NoSettings):
    """max(x, 0), elementwise. ``inplace`` is accepted for PyTorch compatibility; the result
    is always a new tensor and the input keeps its values.

    >>> import tinygrad_cnn as tg
    >>> x = tg.tensor([-1.0, 0.0, 2.0])
    >>> ReLU(inplace=True)(x).tolist(), x.tolist()
    ([0.0, 0.0, 2.0], [-1.0, 0.0, 2.0])
    """

    _function = staticmethod(F.relu)


class LeakyReLU(Module):
    """x where x > 0, else ``negative_slope * x``. ``inplace`` is accepted for PyTorch
    compatibility; the result is always a new tensor and the input keeps its values.

    >>> import tinygrad_cnn as tg
    >>> LeakyReLU(0.5)(tg.tensor([-2.0, 3.0])).tolist()
    [-1.0, 3.0]
    >>> LeakyReLU(0.5)
    LeakyReLU(negative_slope=0.5)
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        """x where x > 0, else ``negative_slope * x``."""
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        """``negative_slope``."""
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """1 / (1 + exp(-x)), elementwise.

    >>> import tinygrad_cnn as tg
    >>> Sigmoid()(tg.tensor([0.0, 100.0])).tolist()
    [0.5, 1.0]
    """

    def forward(self, x):
        """1 / (1 + exp(-x)), elementwise."""
        return F.sigmoid(x)


class Tanh(Module):
    """The hyperbolic tangent, elementwise.

    >>> import tinygrad_cnn as tg
    >>> [round(v, 4) for v in Tanh()(tg.tensor([-1.0, 0.0, 1.0])).tolist()]
    [-0.7616, 0.0, 0.7616]
    """

    def forward(self, x):
        """tanh(x), elementwise."""
        return F.tanh(x)


class Softmax(Module):
    """:func:`~tinygrad_cnn.nn.functional.softmax` along ``dim``; with no ``dim``, PyTorch's
    implicit choice: dim 0 for 0-, 1- and 3-D inputs, dim 1 otherwise.

    >>> import tinygrad_cnn as tg
    >>> Softmax(dim=1)(tg.zeros(2, 4)).tolist()
    [[0.25, 0.25, 0.25, 0.25], [0.25, 0.25, 0.25, 0.25]]
    >>> [round(v, 4) for v in Softmax()(tg.zeros(3, 2, 2))[:, 0, 0].tolist()]  # 3-D: dim 0
    [0.3333, 0.3333, 0.3333]
    >>> Softmax(dim=1), Softmax()
    (Softmax(dim=1), Softmax(dim=None))
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x):
        """Softmax of ``x`` along ``dim``."""
        return F.softmax(x, dim=self.dim)

    def extra_repr(self) -> str:
        """``dim``."""
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """:func:`~tinygrad_cnn.nn.functional.log_softmax` along ``dim`` (no ``dim``: as
    :class:`Softmax`).

    >>> import tinygrad_cnn as tg
    >>> LogSoftmax(dim=1)
    LogSoftmax(dim=1)
    >>> LogSoftmax(dim=1)(tg.zeros(1, 2)).tolist()    # log(1/2)
    [[-0.693..., -0.693...]]
    """

    def forward(self, x):
        """Log-softmax of ``x`` along ``dim``."""
        return F.log_softmax(x, dim=self.dim)


# -- the ELU family -----------------------------------------------------------------------
class ELU(Module):
    """:func:`~tinygrad_cnn.nn.functional.elu`: x for x > 0, ``alpha * (exp(x) - 1)`` otherwise.

    >>> import tinygrad_cnn as tg
    >>> ELU(alpha=0.5), [round(v, 4) for v in ELU(alpha=0.5)(tg.tensor([-2.0, 1.0])).tolist()]
    (ELU(alpha=0.5), [-0.4323, 1.0])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        check_real(type(self).__name__, "alpha", alpha)
        self.alpha = alpha

    def forward(self, x):
        """``elu(x, alpha)``."""
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        """``alpha``."""
        return f"alpha={self.alpha}"


class SELU(_NoSettings):
    """:func:`~tinygrad_cnn.nn.functional.selu`: the self-normalising ``scale * elu(x, alpha)``.

    >>> import tinygrad_cnn as tg
    >>> SELU(), [round(v, 4) for v in SELU()(tg.tensor([-1.0, 1.0])).tolist()]
    (SELU(), [-1.1113, 1.0507])
    """

    _function = staticmethod(F.selu)


class CELU(ELU):
    """:func:`~tinygrad_cnn.nn.functional.celu`: x for x > 0, ``alpha * (exp(x / alpha) - 1)``
    otherwise; ``alpha`` must not be 0.

    >>> import tinygrad_cnn as tg
    >>> CELU(2.0), [round(v, 4) for v in CELU(2.0)(tg.tensor([-2.0, 1.0])).tolist()]
    (CELU(alpha=2.0), [-1.2642, 1.0])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(alpha)
        _nonzero(type(self).__name__, "alpha", alpha)

    def forward(self, x):
        """``celu(x, alpha)``."""
        return F.celu(x, self.alpha)


# -- smooth gates -------------------------------------------------------------------------
class SiLU(_NoSettings):
    """:func:`~tinygrad_cnn.nn.functional.silu` (swish): ``x * sigmoid(x)``.

    >>> import tinygrad_cnn as tg
    >>> SiLU(), [round(v, 4) for v in SiLU()(tg.tensor([-1.0, 2.0])).tolist()]
    (SiLU(), [-0.2689, 1.7616])
    """

    _function = staticmethod(F.silu)


class Mish(_NoSettings):
    """:func:`~tinygrad_cnn.nn.functional.mish`: ``x * tanh(softplus(x))``.

    >>> import tinygrad_cnn as tg
    >>> Mish(), [round(v, 4) for v in Mish()(tg.tensor([-1.0, 2.0])).tolist()]
    (Mish(), [-0.3034, 1.944])
    """

    _function = staticmethod(F.mish)


class Softplus(Module):
    """:func:`~tinygrad_cnn.nn.functional.softplus`: ``log(1 + exp(beta * x)) / beta``, and x
    itself where ``beta * x > threshold``; ``beta`` must not be 0.

    >>> import tinygrad_cnn as tg
    >>> Softplus(beta=2.0), [round(v, 4) for v in Softplus(beta=2.0)(tg.tensor([0.0, 30.0])).tolist()]
    (Softplus(beta=2.0, threshold=20.0), [0.3466, 30.0])
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        _nonzero(type(self).__name__, "beta", beta)
        check_real(type(self).__name__, "threshold", threshold)
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        """``softplus(x, beta, threshold)``."""
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        """``beta`` and ``threshold``."""
        return f"beta={self.beta}, threshold={self.threshold}"


# -- piecewise linear ---------------------------------------------------------------------
class Hardtanh(Module):
    """:func:`~tinygrad_cnn.nn.functional.hardtanh`: x limited to ``[min_val, max_val]``
    (as in PyTorch's layer, ``min_val < max_val``).

    >>> import tinygrad_cnn as tg
    >>> Hardtanh(-2.0, 2.0), Hardtanh(-2.0, 2.0)(tg.tensor([-3.0, 1.0, 3.0])).tolist()
    (Hardtanh(min_val=-2.0, max_val=2.0), [-2.0, 1.0, 2.0])
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        name = type(self).__name__
        if not check_real(name, "min_val", min_val) < check_real(name, "max_val", max_val):
            raise ValueError(f"{name}: min_val, max_val: expected min_val < max_val, got {min_val} and {max_val}")
        self.min_val, self.max_val = min_val, max_val

    def forward(self, x):
        """``hardtanh(x, min_val, max_val)``."""
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        """``min_val`` and ``max_val``."""
        return f"min_val={self.min_val}, max_val={self.max_val}"


class ReLU6(Hardtanh):
    """:func:`~tinygrad_cnn.nn.functional.relu6`: ``min(max(x, 0), 6)``; a :class:`Hardtanh`
    with bounds 0 and 6, as in PyTorch.

    >>> import tinygrad_cnn as tg
    >>> ReLU6(), ReLU6()(tg.tensor([-1.0, 3.0, 9.0])).tolist()
    (ReLU6(), [0.0, 3.0, 6.0])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0)

    def forward(self, x):
        """``relu6(x)``."""
        return F.relu6(x)

    def extra_repr(self) -> str:
        """Nothing: the bounds are fixed."""
        return ""


class Hardsigmoid(_NoSettings):
    """:func:`~tinygrad_cnn.nn.functional.hardsigmoid`: 0 below -3, 1 above 3, ``x / 6 + 1/2``
    in between.

    >>> import tinygrad_cnn as tg
    >>> Hardsigmoid(), Hardsigmoid()(tg.tensor([-4.0, 1.5, 4.0])).tolist()
    (Hardsigmoid(), [0.0, 0.75, 1.0])
    """

    _function = staticmethod(F.hardsigmoid)


class Hardswish(_NoSettings):
    """:func:`~tinygrad_cnn.nn.functional.hardswish`: ``x * hardsigmoid(x)``.

    >>> import tinygrad_cnn as tg
    >>> Hardswish(), Hardswish()(tg.tensor([-4.0, -1.5, 4.0])).tolist()
    (Hardswish(), [-0.0, -0.375, 4.0])
    """

    _function = staticmethod(F.hardswish)


# -- a learnt slope -----------------------------------------------------------------------
class PReLU(Module):
    """:func:`~tinygrad_cnn.nn.functional.prelu` with its slope a :class:`Parameter`
    ``weight`` of ``num_parameters`` values, all ``init`` at first: 1 shares one slope, the
    input's channel count (dim 1) learns one per channel.

    >>> import tinygrad_cnn as tg
    >>> layer = PReLU(2, init=0.5)
    >>> layer, layer.weight.tolist()
    (PReLU(num_parameters=2), [0.5, 0.5])
    >>> layer(-tg.ones(1, 2)).tolist()
    [[-0.5, -0.5]]
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=np.float32) -> None:
        super().__init__()
        self.num_parameters = check_int(type(self).__name__, "num_parameters", num_parameters)
        self.init = check_real(type(self).__name__, "init", init)
        self.weight = Parameter(np.full(self.num_parameters, self.init, dtype=dtype))
        self._place(device)

    def reset_parameters(self) -> None:
        """Set every slope back to ``init``, in place.

        >>> layer = PReLU(3)
        >>> _ = layer.weight.data.fill(1.0)
        >>> layer.reset_parameters()
        >>> layer.weight.tolist()
        [0.25, 0.25, 0.25]
        """
        init.constant_(self.weight, self.init)

    def forward(self, x):
        """``prelu(x, weight)``."""
        return F.prelu(x, self.weight)

    def extra_repr(self) -> str:
        """``num_parameters``."""
        return f"num_parameters={self.num_parameters}"
