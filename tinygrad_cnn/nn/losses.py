"""Loss layers: :class:`CrossEntropyLoss`, :class:`NLLLoss`, :class:`MSELoss`, :class:`BCEWithLogitsLoss`,
:class:`L1Loss`, :class:`SmoothL1Loss`, :class:`HuberLoss`, :class:`BCELoss`, :class:`KLDivLoss`.

Each holds its settings (``reduction``, class weights as buffers) and calls its function in
:mod:`tinygrad_cnn.nn.functional`.

>>> import tinygrad_cnn as tg
>>> from tinygrad_cnn import nn
>>> nn.MSELoss()(tg.tensor([1.0, 2.0]), tg.tensor([1.0, 4.0])).item()
2.0
"""

from __future__ import annotations

from tinygrad_cnn.nn import functional as F
from tinygrad_cnn.nn.module import Module
from tinygrad_cnn.ops.loss import _REDUCTIONS, _check_reduction
from tinygrad_cnn.ops.pointwise_loss import _KL_REDUCTIONS, _check_beta, _check_delta

__all__ = ["CrossEntropyLoss", "NLLLoss", "MSELoss", "BCEWithLogitsLoss", "L1Loss", "SmoothL1Loss",
           "HuberLoss", "BCELoss", "KLDivLoss"]


class _Loss(Module):
    """What the losses share: a checked ``reduction`` (``'mean'``, ``'sum'`` or ``'none'``)."""

    _reductions = _REDUCTIONS  # the reductions the loss's function accepts

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        _check_reduction(type(self).__name__, reduction, self._reductions)
        self.reduction = reduction


class CrossEntropyLoss(_Loss):
    """``F.cross_entropy``: log-softmax of the logits ``(N, C)`` plus NLL of class indices ``(N,)``
    (or of class probabilities shaped like the logits).

    ``weight`` (one per class) is a buffer, so it is saved and moved with the module, as in PyTorch.

    >>> import tinygrad_cnn as tg
    >>> loss = CrossEntropyLoss()
    >>> round(loss(tg.zeros(3, 4), tg.tensor([0, 1, 2])).item(), 4)     # uniform logits: log(4)
    1.3863
    >>> CrossEntropyLoss(reduction="none")(tg.zeros(3, 4), tg.tensor([0, 1, 2])).shape
    (3,)
    >>> list(CrossEntropyLoss(weight=tg.tensor([1.0, 3.0, 1.0, 1.0])).state_dict())
    ['weight']
    """

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)  # saved and moved with the module, as in PyTorch
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):  # noqa: A002  (PyTorch's names)
        """The loss of the logits ``input`` for ``target``."""
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_Loss):
    """``F.nll_loss``: negative log-likelihood of class indices ``(N,)`` given log-probabilities
    ``(N, C)`` (the output of :class:`~tinygrad_cnn.nn.LogSoftmax`); with ``weight``, ``'mean'``
    divides by the summed weights of the counted targets, as in PyTorch.

    >>> import tinygrad_cnn as tg
    >>> logp = tg.tensor([[-0.5, -1.0], [-2.0, -0.25]])
    >>> NLLLoss()(logp, tg.tensor([0, 1])).item()                             # (0.5 + 0.25) / 2
    0.375
    >>> NLLLoss(weight=tg.tensor([1.0, 3.0]))(logp, tg.tensor([0, 1])).item()   # (0.5 + 3 * 0.25) / 4
    0.3125
    """

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index

    def forward(self, input, target):  # noqa: A002
        """The loss of the log-probabilities ``input`` for ``target``."""
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class MSELoss(_Loss):
    """``F.mse_loss``: the mean (or sum, or none) of the squared differences.

    >>> import tinygrad_cnn as tg
    >>> x, y = tg.tensor([1.0, 2.0]), tg.tensor([1.0, 4.0])
    >>> MSELoss()(x, y).item(), MSELoss(reduction="none")(x, y).tolist()
    (2.0, [0.0, 4.0])
    """

    def forward(self, input, target):  # noqa: A002
        """The squared differences of ``input`` and ``target``, reduced."""
        return F.mse_loss(input, target, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """``F.binary_cross_entropy_with_logits``: binary cross-entropy of ``sigmoid(input)`` against
    targets in [0, 1], computed stably from the logits. ``pos_weight`` weighs the positive term,
    ``weight`` each element; both are buffers, as in PyTorch.

    >>> import tinygrad_cnn as tg
    >>> round(BCEWithLogitsLoss()(tg.zeros(4), tg.tensor([0.0, 1.0, 1.0, 0.0])).item(), 4)   # log(2)
    0.6931
    >>> loss = BCEWithLogitsLoss(pos_weight=tg.tensor([2.0]))
    >>> round(loss(tg.zeros(2), tg.tensor([1.0, 0.0])).item(), 4)      # (2 log(2) + log(2)) / 2
    1.0397
    """

    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None) -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):  # noqa: A002
        """The loss of the logits ``input`` for ``target``."""
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class L1Loss(_Loss):
    """``F.l1_loss``: the mean (or sum, or none) of the absolute differences.

    >>> import tinygrad_cnn as tg
    >>> loss = L1Loss()
    >>> loss
    L1Loss()
    >>> x, y = tg.tensor([1.0, 2.0]), tg.tensor([1.5, 4.0])
    >>> loss(x, y).item(), L1Loss(reduction="none")(x, y).tolist()
    (1.25, [0.5, 2.0])
    """

    def forward(self, input, target):  # noqa: A002
        """The absolute differences of ``input`` and ``target``, reduced."""
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """``F.smooth_l1_loss``: squared (halved, divided by ``beta``) where ``|input - target| < beta``,
    ``|input - target| - beta / 2`` beyond; ``beta=0`` is the L1 loss.

    >>> import tinygrad_cnn as tg
    >>> loss = SmoothL1Loss(reduction="none", beta=2.0)
    >>> loss
    SmoothL1Loss()
    >>> loss(tg.tensor([1.0, 3.0]), tg.tensor([0.0, 0.0])).tolist()     # 1 / 4, 3 - 1
    [0.25, 2.0]
    """

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        self.beta = _check_beta(type(self).__name__, beta)

    def forward(self, input, target):  # noqa: A002
        """The smooth L1 loss of ``input`` for ``target``, reduced."""
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """``F.huber_loss``: ``d**2 / 2`` where ``|d| < delta``, ``delta (|d| - delta / 2)`` beyond,
    for ``d = input - target`` (``SmoothL1Loss`` times ``delta``).

    >>> import tinygrad_cnn as tg
    >>> loss = HuberLoss(delta=2.0)
    >>> loss
    HuberLoss()
    >>> loss(tg.tensor([1.0, 3.0]), tg.tensor([0.0, 0.0])).item()        # (1 / 2 + 2 * 2) / 2
    2.25
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = _check_delta(type(self).__name__, delta)

    def forward(self, input, target):  # noqa: A002
        """The Huber loss of ``input`` for ``target``, reduced."""
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_Loss):
    """``F.binary_cross_entropy``: binary cross-entropy of probabilities ``input`` (a sigmoid's
    output) against targets in [0, 1], each log clamped at -100. ``weight`` (broadcast to the
    input's shape) is a buffer, as in PyTorch. From logits, :class:`BCEWithLogitsLoss` is more
    accurate.

    >>> import tinygrad_cnn as tg
    >>> loss = BCELoss(weight=tg.tensor([1.0, 3.0]))
    >>> loss
    BCELoss()
    >>> round(loss(tg.tensor([0.5, 0.5]), tg.tensor([1.0, 0.0])).item(), 4)   # (1 + 3) ln 2 / 2
    1.3863
    >>> list(loss.state_dict())
    ['weight']
    """

    def __init__(self, weight=None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)

    def forward(self, input, target):  # noqa: A002
        """The loss of the probabilities ``input`` for ``target``."""
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class KLDivLoss(_Loss):
    """``F.kl_div``: the Kullback-Leibler divergence of ``target`` (probabilities, or
    log-probabilities with ``log_target=True``) from the log-probabilities ``input``.
    ``reduction='batchmean'`` gives the divergence per sample; ``'mean'`` divides by every
    element, as in PyTorch.

    >>> import numpy as np
    >>> import tinygrad_cnn as tg
    >>> loss = KLDivLoss(reduction="batchmean")
    >>> loss
    KLDivLoss()
    >>> logq = tg.tensor(np.log([[0.5, 0.5], [0.5, 0.5]]))
    >>> round(loss(logq, tg.tensor([[0.5, 0.5], [0.25, 0.75]])).item(), 4)   # (0 + 0.1308) / 2
    0.0654
    """

    _reductions = _KL_REDUCTIONS

    def __init__(self, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(reduction)
        self.log_target = log_target

    def forward(self, input, target):  # noqa: A002
        """The divergence of ``target`` from ``input``, reduced."""
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
