"""The elementwise losses beyond MSE: L1, smooth L1, Huber, binary cross-entropy of
probabilities and the Kullback-Leibler divergence.

All but binary cross-entropy are composites of differentiable Tensor ops, so their second-order
gradients come for free. Huber is written without a branch: with ``m = min(|d|, delta)``,
``0.5 m**2 + delta (|d| - m)`` is ``0.5 d**2`` inside ``delta`` and ``delta (|d| - delta / 2)``
outside, so no discarded branch needs guarding; smooth L1 is the same divided by ``beta``
(``beta = 0`` is plain L1). Binary cross-entropy is its own op because PyTorch clamps each
log at -100 and still gives a finite gradient where a saturated sigmoid hands it exactly 0
or 1; the gradient of the clamped composite would be 0 / 0 there. Like
:func:`~tinygrad_cnn.ops.loss.mse_loss`, they want the target in the input's shape (where
PyTorch broadcasts l1/smooth-L1/Huber's with a warning and kl_div's silently), and refuse
PyTorch's deprecated ``size_average`` and ``reduce``.
"""

from __future__ import annotations

import numpy as np

from tinygrad_cnn.function import Function
from tinygrad_cnn.ops._args import check_real
from tinygrad_cnn.ops._promote import check_floating
from tinygrad_cnn.ops.elementwise import where
from tinygrad_cnn.ops.loss import _check_reduction, _legacy, _reduce, _same_shape
from tinygrad_cnn.ops.shape import broadcasts_to
from tinygrad_cnn.tensor import Tensor

__all__ = ["l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy", "kl_div"]

# kl_div's extra reduction: the sum divided by the batch size, the divergence per sample.
_KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean") -> Tensor:  # noqa: A002
    """Mean (or sum, or none) of the absolute differences ``|input - target|``; the gradient
    at a zero difference is 0, as in PyTorch.

    >>> from tinygrad_cnn import Tensor
    >>> l1_loss(Tensor([1.0, 2.0]), Tensor([0.0, 4.0])).item()
    1.5
    >>> l1_loss(Tensor([1.0, 2.0]), Tensor([0.0, 4.0]), reduction="none").tolist()
    [1.0, 2.0]
    """
    _legacy("l1_loss", size_average, reduce)
    _check_reduction("l1_loss", reduction)
    _same_shape("l1_loss", input, target)
    return _reduce((input - target).abs(), reduction)


def _non_negative(op, name, value, zero_ok):
    value = check_real(op, name, value)
    if value < 0 or (value == 0 and not zero_ok) or value != value:
        want = "a number >= 0" if zero_ok else "a number > 0"
        raise ValueError(f"{op}: {name}: expected {want}, got {value}")
    return value


def _check_beta(op, beta):
    """``beta`` of smooth L1 as a float: 0 (plain L1) or more."""
    return _non_negative(op, "beta", beta, zero_ok=True)


def _check_delta(op, delta):
    """``delta`` of the Huber loss as a float: more than 0."""
    return _non_negative(op, "delta", delta, zero_ok=False)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean",  # noqa: A002
                   beta=1.0) -> Tensor:
    """``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``, for ``d = input - target``;
    ``beta=0`` is the L1 loss. It is the Huber loss divided by ``beta``.

    >>> from tinygrad_cnn import Tensor
    >>> smooth_l1_loss(Tensor([0.5, 3.0]), Tensor([0.0, 0.0]), reduction="none").tolist()
    [0.125, 2.5]
    >>> smooth_l1_loss(Tensor([0.5, 3.0]), Tensor([0.0, 0.0]), beta=2.0).item()   # (0.0625 + 2) / 2
    1.03125
    """
    op = "smooth_l1_loss"
    _legacy(op, size_average, reduce)
    _check_reduction(op, reduction)
    _same_shape(op, input, target)
    beta = _check_beta(op, beta)

    a = (input - target).abs()
    if beta == 0:
        return _reduce(a, reduction)
    m = a.clamp(max=beta)
    # m / beta <= 1 cannot overflow; 0.5 / beta can for a tiny beta, and then 0 * inf is NaN.
    return _reduce(0.5 * m * (m / beta) + (a - m), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0) -> Tensor:  # noqa: A002
    """``0.5 d**2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``, for
    ``d = input - target``: quadratic near the target, linear (robust to outliers) far from it.

    >>> from tinygrad_cnn import Tensor
    >>> huber_loss(Tensor([0.5, 3.0]), Tensor([0.0, 0.0]), reduction="none").tolist()
    [0.125, 2.5]
    >>> huber_loss(Tensor([0.5, 3.0]), Tensor([0.0, 0.0]), reduction="sum", delta=2.0).item()
    4.125
    """
    op = "huber_loss"
    _check_reduction(op, reduction)
    _same_shape(op, input, target)
    delta = _check_delta(op, delta)
    if input.dtype.kind == "f":
        target = target.to(dtype=input.dtype)  # PyTorch's huber_loss keeps the input's dtype

    a = (input - target).abs()
    m = a.clamp(max=delta)
    return _reduce(0.5 * m * m + delta * (a - m), reduction)


# PyTorch's floor under x (1 - x) in the input's gradient: 1e-12 as a float32 constant.
_EPSILON = float(np.float32(1e-12))


class BinaryCrossEntropy(Function):
    """``-(y log x + (1 - y) log(1 - x))`` for probabilities x, each log clamped at -100 (so
    that x = 0 or 1 gives a finite loss), with PyTorch's gradients: ``(x - y) / (x (1 - x))``
    with the denominator kept at least 1e-12 for x, ``log(1 - x) - log(x)`` for y."""

    def forward(self, x, y):
        xp = self.xp
        with np.errstate(divide="ignore"):  # log(0) is -inf, which the clamp turns into -100
            log_x = xp.maximum(xp.log(x), -100.0)
            log_1mx = xp.maximum(xp.log1p(-x), -100.0)
        return (y - 1) * log_1mx - y * log_x

    def backward(self, grad):
        x, y = self.saved_tensors
        nx, ny = self.needs_input_grad
        gx = grad * (x - y) / (x * (1 - x)).clamp(min=_EPSILON) if nx else None
        gy = None
        if ny:
            with np.errstate(divide="ignore"):  # +-inf at x = 0 or 1, as in PyTorch
                gy = grad * ((-x).log1p() - x.log())
        return gx, gy


def _check_probabilities(op, name, t):
    d = t.data
    if d.size and not bool(((d >= 0) & (d <= 1)).all()):  # NaN fails too, as in PyTorch
        raise ValueError(f"{op}: {name}: expected probabilities in [0, 1], got values in "
                         f"[{float(d.min())}, {float(d.max())}]")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,  # noqa: A002
                         reduction="mean") -> Tensor:
    """``-weight [y log x + (1 - y) log(1 - x)]`` for probabilities ``x = input`` (a sigmoid's
    output) and targets ``y`` in [0, 1]. Each log is clamped at -100, so a saturated sigmoid
    gives a finite loss and gradient, as in PyTorch. ``weight`` broadcasts to the input's
    shape (one that requires grad gets its gradient, where PyTorch refuses it); ``'mean'``
    divides by the number of elements. From logits,
    :func:`~tinygrad_cnn.ops.loss.binary_cross_entropy_with_logits` is more accurate.

    >>> from tinygrad_cnn import Tensor
    >>> round(binary_cross_entropy(Tensor([0.5, 0.5]), Tensor([1.0, 0.0])).item(), 4)   # ln 2
    0.6931
    >>> binary_cross_entropy(Tensor([0.0]), Tensor([1.0])).item()   # log(0) clamped at -100
    100.0
    """
    op = "binary_cross_entropy"
    _legacy(op, size_average, reduce)
    _check_reduction(op, reduction)
    _same_shape(op, input, target)
    check_floating(op, input)
    if target.dtype != input.dtype:
        raise TypeError(f"{op}: target: expected the input's dtype {input.dtype}, got {target.dtype}")
    if weight is not None:
        if not isinstance(weight, Tensor):
            raise TypeError(f"{op}: weight: expected a Tensor, got {type(weight).__name__}")
        if not broadcasts_to(weight.shape, input.shape):
            raise ValueError(f"{op}: weight: expected a shape that broadcasts to the input's "
                             f"{input.shape}, got {weight.shape}")
    _check_probabilities(op, "input", input)
    _check_probabilities(op, "target", target)
    if weight is not None:
        weight = weight.to(dtype=input.dtype)  # the loss keeps the input's dtype, as in PyTorch
    loss = BinaryCrossEntropy.apply(input, target)
    return _reduce(loss if weight is None else loss * weight, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean",  # noqa: A002
           log_target=False) -> Tensor:
    """Kullback-Leibler divergence ``target * (log(target) - input)`` of the distribution
    ``target`` from the log-probabilities ``input`` (``target`` as log-probabilities too with
    ``log_target=True``). A zero target contributes 0. ``'batchmean'`` divides the sum by the
    batch size (the first dim), the divergence per sample; ``'mean'`` divides by the number of
    elements, as PyTorch does (without its warning about that).

    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor
    >>> logq, p = Tensor(np.log([[0.5, 0.5]])), Tensor([[0.25, 0.75]])
    >>> round(kl_div(logq, p, reduction="batchmean").item(), 4)   # 0.25 ln 0.5 + 0.75 ln 1.5
    0.1308
    >>> round(kl_div(logq, p.log(), reduction="sum", log_target=True).item(), 4)
    0.1308
    """
    op = "kl_div"
    _legacy(op, size_average, reduce)
    _check_reduction(op, reduction, _KL_REDUCTIONS)
    _same_shape(op, input, target)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # log(1) = 0 where the target is 0: 0 log 0 is 0 there (its limit), not 0 * -inf.
        loss = target * where(target == 0, 1.0, target).log() - target * input
    if reduction != "batchmean":
        return _reduce(loss, reduction)
    total = loss.sum()
    if input.ndim == 0:  # no batch dim: the sum, as in PyTorch
        return total
    return total / input.shape[0] if input.shape[0] else total * float("nan")

