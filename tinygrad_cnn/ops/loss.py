"""Softmax, log-softmax and the losses: cross-entropy, NLL, MSE, BCE with logits.

Softmax and log-softmax are fused ops for numerical stability (the row maximum is taken out
before exponentiating, so logits of 1000 stay finite); their backward passes are written
with Tensor ops, so second-order gradients work. The losses are composites: the negative
log-likelihood is ``-(log_probs * W).sum()`` with a constant matrix ``W`` that holds the
one-hot targets, class weights, label smoothing, ignored samples and the mean's divisor.
"""

from __future__ import annotations

from tinygrad_cnn.function import Function
from tinygrad_cnn.ops.elementwise import log1p, relu
from tinygrad_cnn.ops.shape import _dim
from tinygrad_cnn.tensor import Tensor

__all__ = [
    "softmax", "log_softmax", "cross_entropy", "nll_loss", "mse_loss",
    "binary_cross_entropy_with_logits",
]

_REDUCTIONS = ("mean", "sum", "none")


class Softmax(Function):
    def forward(self, x, dim):
        e = self.xp.exp(x - x.max(axis=dim, keepdims=True))
        e /= e.sum(axis=dim, keepdims=True)
        return e

    def backward(self, grad):
        out, dim = self.saved_output, self.settings["dim"]
        return out * (grad - (grad * out).sum(dim, keepdim=True))


class LogSoftmax(Function):
    def forward(self, x, dim):
        shifted = x - x.max(axis=dim, keepdims=True)
        return shifted - self.xp.log(self.xp.exp(shifted).sum(axis=dim, keepdims=True))

    def backward(self, grad):
        out, dim = self.saved_output, self.settings["dim"]
        return grad - out.exp() * grad.sum(dim, keepdim=True)


def _softmax_dim(op, x, dim):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input: expected a Tensor, got {type(x).__name__}")
    if dim is None:  # PyTorch's legacy implicit choice
        dim = 0 if x.ndim in (0, 1, 3) else 1
    return 0 if x.ndim == 0 else _dim(dim, x.ndim, f"{op}: dim")


def softmax(input, dim=None, dtype=None) -> Tensor:  # noqa: A002
    """exp(x) / sum(exp(x)) along ``dim``, stable for large logits.

    >>> from tinygrad_cnn import Tensor
    >>> [round(v, 4) for v in softmax(Tensor([1000.0, 1000.0, 0.0]), dim=0).tolist()]
    [0.5, 0.5, 0.0]
    """
    x = input if dtype is None else input.to(dtype=dtype)
    d = _softmax_dim("softmax", x, dim)
    return Softmax.apply(x, dim=d) if x.ndim else Softmax.apply(x.reshape(1), dim=0).reshape(())


def log_softmax(input, dim=None, dtype=None) -> Tensor:  # noqa: A002
    """x - log(sum(exp(x))) along ``dim``, stable for large logits.

    >>> from tinygrad_cnn import Tensor
    >>> [round(v, 4) for v in log_softmax(Tensor([1000.0, 0.0]), dim=0).tolist()]
    [0.0, -1000.0]
    """
    x = input if dtype is None else input.to(dtype=dtype)
    d = _softmax_dim("log_softmax", x, dim)
    return LogSoftmax.apply(x, dim=d) if x.ndim else LogSoftmax.apply(x.reshape(1), dim=0).reshape(())


# -- helpers ------------------------------------------------------------------------------
def _check_reduction(op, reduction, allowed=_REDUCTIONS):
    if reduction not in allowed:
        names = [repr(r) for r in allowed]
        raise ValueError(f"{op}: reduction: expected {', '.join(names[:-1])} or {names[-1]}, "
                         f"got {reduction!r}")


def _legacy(op, size_average, reduce):
    if size_average is not None or reduce is not None:
        raise ValueError(f"{op}: size_average and reduce are deprecated in PyTorch and not "
                         "supported here; use reduction='mean' | 'sum' | 'none'")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _class_last(op, x, target):
    """(N, C, d1, ...) -> (N*d1*..., C) and the shape of a per-sample result; (C,) -> (1, C)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input: expected a Tensor, got {type(x).__name__}")
    if x.ndim == 0:
        raise ValueError(f"{op}: input: expected a (C,), (N, C) or (N, C, d1, ...) tensor, got a scalar")
    if x.ndim == 1:
        return x.reshape(1, -1), ()
    if x.ndim == 2:
        return x, (x.shape[0],)
    dims = (0, *range(2, x.ndim), 1)
    return x.permute(*dims).reshape(-1, x.shape[1]), (x.shape[0], *x.shape[2:])


def _nll_weights(op, logp_shape, sample_shape, target, weight, ignore_index, reduction,
                 label_smoothing, device, dtype):
    """The matrix W (M, C) with loss = -(log_probs * W) summed per row (and over rows): a
    constant for class labels, a tensor of the target for class probabilities (so that the
    target, a teacher's output say, gets its gradient)."""
    m, c = logp_shape
    xp = device.xp
    if not isinstance(target, Tensor):
        raise TypeError(f"{op}: target: expected a Tensor, got {type(target).__name__}")
    if weight is not None:
        if not isinstance(weight, Tensor) or weight.shape != (c,):
            got = weight.shape if isinstance(weight, Tensor) else type(weight).__name__
            raise ValueError(f"{op}: weight: expected a Tensor of shape ({c},) (one per class), got {got}")
        w_c = weight.data.astype(dtype)
    else:
        w_c = None
    if target.dtype.kind == "f":  # class probabilities, same shape as the input
        want = (*sample_shape[:1], c, *sample_shape[1:]) if sample_shape else (c,)
        if target.shape != want:
            raise ValueError(f"{op}: target: probabilities must have the input's shape {want}, got {target.shape}")
        probs = target if len(sample_shape) <= 1 else \
            target.permute(0, *range(2, target.ndim), 1)  # classes last, as the input's rows
        W = probs.reshape(m, c)
        if label_smoothing:
            W = W * (1 - label_smoothing) + label_smoothing / c
        if w_c is not None:
            W = W * Tensor._wrap(w_c)
        return W / m if reduction == "mean" and m else W
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: target: expected integer class labels (or float probabilities), "
                        f"got dtype {target.dtype}")
    if target.shape != sample_shape:
        raise ValueError(f"{op}: target: expected shape {sample_shape} to match the input's batch "
                         f"(input has {m} sample(s) of {c} classes), got {target.shape}")
    t = target.data.reshape(m)
    valid = t != ignore_index
    if m:
        bad = valid & ((t < 0) | (t >= c))
        if bool(bad.any()):
            lo, hi = int(t[valid].min()), int(t[valid].max())
            raise ValueError(f"{op}: target: class labels must be in [0, {c - 1}] "
                             f"(input has {c} classes), got values in [{lo}, {hi}]")
    safe = xp.where(valid, t, 0)
    onehot = (xp.arange(c).reshape(1, c) == safe.reshape(m, 1)).astype(dtype)
    W = onehot * (1 - label_smoothing) + label_smoothing / c if label_smoothing else onehot
    keep = valid.astype(dtype).reshape(m, 1)
    if w_c is not None:
        picked = (onehot * w_c).sum(axis=1, keepdims=True)
        W = W * w_c
        keep_w = keep * picked
    else:
        keep_w = keep
    W = W * keep
    if reduction == "mean" and m:
        W = W / keep_w.sum()  # 0/0 gives nan for an all-ignored batch, as in PyTorch
    return Tensor._wrap(W.astype(dtype))


def _nll(op, logp, target, weight, ignore_index, reduction, label_smoothing):
    _check_reduction(op, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing: expected a value in [0, 1], got {label_smoothing}")
    flat, sample_shape = _class_last(op, logp, target)
    W = _nll_weights(op, flat.shape, sample_shape, target, weight, ignore_index, reduction,
                     label_smoothing, flat.device, flat.dtype)
    prod = flat * W
    # 0 - s rather than -s: a zero loss is +0.0, as in PyTorch (-s gave -0.0).
    if reduction == "none":
        return (0.0 - prod.sum(1)).reshape(sample_shape)
    loss = 0.0 - prod.sum()
    if reduction == "mean" and flat.shape[0] == 0:
        loss = loss * float("nan")  # the mean of no samples, as in PyTorch
    return loss


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,  # noqa: A002
             reduction="mean") -> Tensor:
    """Negative log-likelihood of integer ``target`` classes given ``input`` log-probabilities.

    ``input`` (N, C) (or (C,), or (N, C, d1, ...)), ``target`` (N,) integers in [0, C). With
    ``reduction='mean'`` the result is divided by the summed weights of the counted targets.

    >>> import numpy as np
    >>> from tinygrad_cnn import Tensor
    >>> logp = Tensor(np.log([[0.5, 0.5], [0.1, 0.9]]))
    >>> round(nll_loss(logp, Tensor([0, 1])).item(), 4)   # (ln 2 - ln 0.9) / 2
    0.3993
    """
    _legacy("nll_loss", size_average, reduce)
    return _nll("nll_loss", input, target, weight, ignore_index, reduction, 0.0)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,  # noqa: A002
                  reduction="mean", label_smoothing=0.0) -> Tensor:
    """``nll_loss(log_softmax(input, 1), target)``: the loss of a classifier's logits.

    ``target`` holds integer classes (N,) or class probabilities of the input's shape.
    ``label_smoothing`` mixes the one-hot target with the uniform distribution. Finite for
    logits as large as 1000.

    >>> from tinygrad_cnn import Tensor
    >>> round(cross_entropy(Tensor([[1000.0, 0.0]]), Tensor([1])).item(), 2)
    1000.0
    """
    _legacy("cross_entropy", size_average, reduce)
    if not isinstance(input, Tensor):
        raise TypeError(f"cross_entropy: input: expected a Tensor, got {type(input).__name__}")
    logp = log_softmax(input, dim=0 if input.ndim == 1 else 1)
    return _nll("cross_entropy", logp, target, weight, ignore_index, reduction, float(label_smoothing))


def _same_shape(op, x, y):
    if not isinstance(x, Tensor) or not isinstance(y, Tensor):
        raise TypeError(f"{op}: input and target: expected Tensors, got {type(x).__name__} and "
                        f"{type(y).__name__}")
    if x.shape != y.shape:
        raise ValueError(f"{op}: target: expected the input's shape {x.shape}, got {y.shape}")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean") -> Tensor:  # noqa: A002
    """Mean (or sum) of squared differences.

    >>> from tinygrad_cnn import Tensor
    >>> mse_loss(Tensor([1.0, 2.0]), Tensor([0.0, 4.0])).item()
    2.5
    """
    _legacy("mse_loss", size_average, reduce)
    _check_reduction("mse_loss", reduction)
    _same_shape("mse_loss", input, target)
    diff = input - target
    return _reduce(diff * diff, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,  # noqa: A002
                                     reduction="mean", pos_weight=None) -> Tensor:
    """``-[y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]``, computed from the logits x stably:
    ``(1 - y) x + (1 + (pos_weight - 1) y) softplus(-x)`` with
    ``softplus(-x) = log1p(exp(-abs(x))) + max(-x, 0)``.

    >>> from tinygrad_cnn import Tensor
    >>> round(binary_cross_entropy_with_logits(Tensor([0.0]), Tensor([1.0])).item(), 4)  # ln 2
    0.6931
    """
    op = "binary_cross_entropy_with_logits"
    _legacy(op, size_average, reduce)
    _check_reduction(op, reduction)
    _same_shape(op, input, target)
    softplus_neg = log1p((-input.abs()).exp()) + relu(-input)
    if pos_weight is not None:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * softplus_neg
    else:
        loss = (1 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)

