"""Normalisation: ``batch_norm``, ``instance_norm``, ``layer_norm``, ``group_norm`` and
``normalize``, with PyTorch's signatures and values.

The first four subtract a mean and divide by ``sqrt(var + eps)`` with the *biased* variance,
each over its own dims: batch norm per channel over the batch and the spatial dims, instance
norm per sample and channel over the spatial dims, layer norm per sample over the trailing
``normalized_shape`` dims, group norm per sample over groups of channels. ``normalize`` divides
by an Lp norm. All are composites of differentiable Tensor ops (mean, a product, a power), so
their gradients, and the gradients of those, come from the ops they are made of.

Batch and instance norm also keep running statistics: given ``running_mean`` and
``running_var`` while they use the input's own statistics, they update them in place as
``running = (1 - momentum) * running + momentum * statistic``, with the *unbiased* variance.

Half precision is normalised in float32 (``widened``: its sums overflow at 65504, its squares
past 256), and every result comes back in the input's dtype whatever the parameters' dtypes,
as PyTorch returns it.

>>> import tinygrad_cnn as tg
>>> x = tg.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]])
>>> layer_norm(x, (3,), eps=0.0).numpy().round(4)     # each row to mean 0, variance 1
array([[-1.2247,  0.    ,  1.2247],
       [-1.2247,  0.    ,  1.2247]], dtype=float32)
"""

from __future__ import annotations

import math
import numbers

from tinygrad_cnn.ops._args import check_int, check_real
from tinygrad_cnn.ops._promote import check_floating, widened
from tinygrad_cnn.ops.elementwise import where
from tinygrad_cnn.ops.shape import int_dim
from tinygrad_cnn.tensor import Tensor

__all__ = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "normalize"]


# -- argument checks ----------------------------------------------------------------------
def _check_input(op, x, min_dims=0, layout=""):
    check_floating(op, x)
    if x.ndim < min_dims:
        raise ValueError(f"{op}: input: expected at least {min_dims} dims {layout}, got shape {x.shape}")


def _check_eps(op, eps):
    value = check_real(op, "eps", eps)
    if not value >= 0:
        raise ValueError(f"{op}: eps: expected a number >= 0, got {eps!r}")
    return value


def _check_shaped(op, arg, t, shape, what):
    """``t`` is None or a Tensor of ``shape`` (``what`` says where that shape comes from)."""
    if t is None:
        return
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: {arg}: expected a Tensor or None, got {type(t).__name__}")
    if t.shape != shape:
        raise ValueError(f"{op}: {arg}: expected shape {shape} ({what}), got {t.shape}")


def _check_running(op, x, running_mean, running_var, required):
    """Both running statistics given (float Tensors of shape (C,) on the input's device) or
    neither; ``required`` when the output is computed from them, else they are updated in
    place, so their memory must be writable (checked before anything is written)."""
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{op}: running_mean and running_var: expected both or neither, got "
                         f"{'running_var' if running_mean is None else 'running_mean'} only")
    if running_mean is None:
        if required:
            raise ValueError(f"{op}: running_mean and running_var: expected Tensors when the "
                             "running statistics are used (eval), got None")
        return
    for arg, t in (("running_mean", running_mean), ("running_var", running_var)):
        _check_shaped(op, arg, t, (x.shape[1],), "one value per channel, dim 1 of the input")
        check_floating(op, t, arg)
        if t.device != x.device:  # raw-array arithmetic below would not say which went wrong
            raise RuntimeError(f"{op}: {arg}: expected a tensor on {x.device.name} (the input's "
                               f"device), got {t.device.name}")
        if not required:
            t._check_writable(op, arg)


def _check_per_channel(op, x, running_mean, running_var, weight, bias, momentum, eps,
                       running_required) -> tuple:
    """The checks batch and instance norm share: an (N, C, *) input, running statistics,
    weight and bias of one value per channel; returns ``(momentum, eps)`` as floats."""
    _check_input(op, x, 2, "(N, C, *)")
    _check_running(op, x, running_mean, running_var, required=running_required)
    channels = (x.shape[1],)
    _check_shaped(op, "weight", weight, channels, "one value per channel, dim 1 of the input")
    _check_shaped(op, "bias", bias, channels, "one value per channel, dim 1 of the input")
    return check_real(op, "momentum", momentum), _check_eps(op, eps)


# -- shared pieces ------------------------------------------------------------------------
def _centred(x, axes):
    """``x`` minus its mean over ``axes``, the mean and the biased variance (both keepdim)."""
    mean = x.mean(axes, keepdim=True)
    xc = x - mean
    return xc, mean, (xc * xc).mean(axes, keepdim=True)


def _empty(x, weight, bias, shape):
    """The result for an input with no elements: empty, as in PyTorch, with the weight and bias
    (viewed as ``shape``) still taking part, so that they get zero gradients, not none."""
    out = x * 1.0 if weight is None else x * weight.reshape(shape)
    return out if bias is None else out + bias.reshape(shape)


def _channel_shape(x):
    """The shape that lines a per-channel vector up with dim 1 of ``x``."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _own_statistics(x, axes, weight, bias, eps):
    """Batch or instance norm with the input's own statistics over ``axes``; returns the output
    and the raw mean and biased variance. The per-channel weight is folded into the (smaller)
    inverse standard deviation before it meets the full-size tensor."""
    xc, mean, var = _centred(x, axes)
    scale = (var + eps) ** -0.5
    if weight is not None:
        scale = scale * weight.reshape(_channel_shape(x))
    out = xc * scale
    if bias is not None:
        out = out + bias.reshape(_channel_shape(x))
    return out, mean.data, var.data


def _running_statistics(x, running_mean, running_var, weight, bias, eps):
    """Batch or instance norm with the running statistics: a fixed per-channel affine map
    (they are constants, as in PyTorch: no gradient reaches them)."""
    shape = _channel_shape(x)
    invstd = (running_var.data + eps) ** -0.5
    mean = running_mean.data
    if weight is None:
        out = (x - mean.reshape(shape)) * invstd.reshape(shape)
        return out if bias is None else out + bias.reshape(shape)
    scale = weight * invstd
    shift = -scale * mean if bias is None else bias - scale * mean
    return x * scale.reshape(shape) + shift.reshape(shape)


def _update_running(op, running_mean, running_var, mean, var, n, momentum):
    """``running = (1 - momentum) * running + momentum * statistic`` in place, on the raw
    arrays (no graph), through ``Tensor._write`` (the version counts the change); ``var`` is
    the biased variance of ``n`` values, made unbiased here."""
    mean = mean.reshape(-1).astype(running_mean.dtype, copy=False)
    unbiased = var.reshape(-1).astype(running_var.dtype, copy=False) * (n / (n - 1))
    running_mean._write(op, lambda: _move_towards(running_mean.data, mean, momentum))
    running_var._write(op, lambda: _move_towards(running_var.data, unbiased, momentum))


def _move_towards(running, statistic, momentum) -> None:
    running *= 1 - momentum
    running += momentum * statistic


# -- the functions ------------------------------------------------------------------------
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training: bool = False,  # noqa: A002
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise an ``(N, C, *)`` input per channel C: with the batch's mean and biased variance
    over every dim but C when ``training`` (updating ``running_mean`` and ``running_var`` in
    place, if given, with the unbiased variance), with the running statistics otherwise; then
    ``* weight + bias`` per channel.

    >>> import tinygrad_cnn as tg
    >>> x = tg.tensor([[1.0, 2.0], [3.0, 6.0]])
    >>> mean, var = tg.zeros(2), tg.ones(2)
    >>> batch_norm(x, mean, var, training=True).numpy().round(3)
    array([[-1., -1.],
           [ 1.,  1.]], dtype=float32)
    >>> mean, var    # 0.9 * old + 0.1 * ([2, 4], and the unbiased variance [2, 8])
    (tensor([0.2, 0.4]), tensor([1.1, 1.7]))
    >>> batch_norm(x, mean, var).numpy().round(2)    # eval: (x - mean) / sqrt(var + eps)
    array([[0.76, 1.23],
           [2.67, 4.29]], dtype=float32)
    """
    op = "batch_norm"
    momentum, eps = _check_per_channel(op, input, running_mean, running_var, weight, bias, momentum,
                                       eps, running_required=not training)
    x = widened(input)
    if not training:
        out = _running_statistics(x, running_mean, running_var, weight, bias, eps)
    elif x.numel() == 0:  # nothing to normalise or to count: the running statistics stay
        out = _empty(x, weight, bias, _channel_shape(x))
    else:
        n = x.numel() // x.shape[1]
        if n <= 1:
            raise ValueError(f"{op}: expected more than 1 value per channel when training, got "
                             f"input shape {input.shape}")
        out, mean, var = _own_statistics(x, (0, *range(2, x.ndim)), weight, bias, eps)
        if running_mean is not None:
            _update_running(op, running_mean, running_var, mean, var, n, momentum)
    return out.to(dtype=input.dtype)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,  # noqa: A002
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each sample's channels of an ``(N, C, *)`` input on their own, over the
    spatial dims (with ``use_input_stats``; the running statistics otherwise), then
    ``* weight + bias`` per channel. Given running statistics with ``use_input_stats``, they
    move towards the batch's average of the per-instance mean and unbiased variance.

    >>> import tinygrad_cnn as tg
    >>> x = tg.tensor([[[1.0, 3.0], [0.0, 10.0]]])        # one sample, 2 channels of length 2
    >>> instance_norm(x, eps=0.0).tolist()
    [[[-1.0, 1.0], [-1.0, 1.0]]]
    """
    op = "instance_norm"
    momentum, eps = _check_per_channel(op, input, running_mean, running_var, weight, bias, momentum,
                                       eps, running_required=not use_input_stats)
    x = widened(input)
    if not use_input_stats:
        out = _running_statistics(x, running_mean, running_var, weight, bias, eps)
    elif x.numel() == 0:
        out = _empty(x, weight, bias, _channel_shape(x))
    else:
        n = math.prod(x.shape[2:])
        if n <= 1:
            raise ValueError(f"{op}: expected more than 1 spatial element per channel when using "
                             f"the input's statistics, got input shape {input.shape}")
        out, mean, var = _own_statistics(x, tuple(range(2, x.ndim)), weight, bias, eps)
        if running_mean is not None:
            c = x.shape[1]
            _update_running(op, running_mean, running_var, mean.reshape(-1, c).mean(0),
                            var.reshape(-1, c).mean(0), n, momentum)
    return out.to(dtype=input.dtype)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> Tensor:  # noqa: A002
    """Normalise each sample over its trailing ``normalized_shape`` dims (mean 0, biased
    variance 1), then ``* weight + bias`` elementwise (both of shape ``normalized_shape``).
    An int ``normalized_shape`` is read as ``(int,)`` (PyTorch's functional form wants a
    tuple; its layer takes an int).

    >>> import tinygrad_cnn as tg
    >>> x = tg.tensor([[0.0, 2.0], [5.0, 3.0]])
    >>> layer_norm(x, (2,), weight=tg.tensor([1.0, 3.0]), bias=tg.tensor([0.0, 1.0]), eps=0.0).tolist()
    [[-1.0, 4.0], [1.0, -2.0]]
    """
    op = "layer_norm"
    _check_input(op, input)
    shape = _normalized_shape(op, normalized_shape)
    k = len(shape)
    if input.ndim < k or input.shape[input.ndim - k:] != shape:
        raise ValueError(f"{op}: normalized_shape: expected the input's trailing dims to be "
                         f"{shape}, got shape {input.shape}")
    _check_shaped(op, "weight", weight, shape, "normalized_shape")
    _check_shaped(op, "bias", bias, shape, "normalized_shape")
    eps = _check_eps(op, eps)
    x = widened(input)
    if x.numel() == 0:
        return _empty(x, weight, bias, shape).to(dtype=input.dtype)
    xc, _, var = _centred(x, tuple(range(x.ndim - k, x.ndim)))
    out = xc * (var + eps) ** -0.5
    if weight is not None:
        out = out * weight
    return (out if bias is None else out + bias).to(dtype=input.dtype)


def _normalized_shape(op, normalized_shape) -> tuple:
    """``normalized_shape`` as a non-empty tuple of ints >= 0."""
    if isinstance(normalized_shape, numbers.Integral) and not isinstance(normalized_shape, bool):
        normalized_shape = (normalized_shape,)
    if (not isinstance(normalized_shape, (tuple, list)) or not normalized_shape
            or any(isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 0
                   for s in normalized_shape)):
        raise ValueError(f"{op}: normalized_shape: expected an int or a non-empty tuple of ints "
                         f">= 0, got {normalized_shape!r}")
    return tuple(int(s) for s in normalized_shape)


def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5) -> Tensor:  # noqa: A002
    """Split the channels (dim 1) of an ``(N, C, *)`` input into ``num_groups`` groups of
    ``C // num_groups`` and normalise each sample's group over its channels and spatial dims,
    then ``* weight + bias`` per channel. One group is a layer norm over ``(C, *)``; C groups
    is an instance norm.

    >>> import tinygrad_cnn as tg
    >>> x = tg.tensor([[1.0, 3.0, 10.0, 20.0]])       # 4 channels in 2 groups
    >>> group_norm(x, 2, eps=0.0).tolist()
    [[-1.0, 1.0, -1.0, 1.0]]
    """
    op = "group_norm"
    _check_input(op, input, 2, "(N, C, *)")
    num_groups = check_int(op, "num_groups", num_groups)
    n, c = input.shape[:2]
    if c % num_groups:
        raise ValueError(f"{op}: num_groups: expected a divisor of the input's {c} channels "
                         f"(shape {input.shape}), got {num_groups}")
    _check_shaped(op, "weight", weight, (c,), "one value per channel, dim 1 of the input")
    _check_shaped(op, "bias", bias, (c,), "one value per channel, dim 1 of the input")
    eps = _check_eps(op, eps)
    x = widened(input)
    if x.numel() == 0:
        return _empty(x, weight, bias, _channel_shape(x)).to(dtype=input.dtype)
    grouped = x.reshape(n, num_groups, -1)
    xc, _, var = _centred(grouped, (2,))
    out = (xc * (var + eps) ** -0.5).reshape(*input.shape)
    if weight is not None:
        out = out * weight.reshape(_channel_shape(input))
    return (out if bias is None else out + bias.reshape(_channel_shape(input))).to(dtype=input.dtype)


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:  # noqa: A002
    """``input / max(||input||_p, eps)``, the Lp norm taken along ``dim``: p=2 scales each
    slice to unit length, p=1 to absolute values summing to 1, ``p=inf`` to a largest absolute
    value of 1, p=0 divides by the count of non-zeros. PyTorch also takes p < 0; here that is
    an error.

    A slice of zeros stays zero and gets the gradient ``grad / eps``, as in PyTorch.

    >>> import tinygrad_cnn as tg
    >>> x = tg.tensor([[3.0, 4.0], [0.0, 0.0]])
    >>> normalize(x)
    tensor([[0.6, 0.8],
            [0. , 0. ]])
    >>> normalize(x, p=1)[0].tolist(), normalize(x, p=float("inf"), dim=0)[0].tolist()
    ([0.4285714328289032, 0.5714285969734192], [1.0, 1.0])
    """
    op = "normalize"
    _check_input(op, input)
    norm_p = check_real(op, "p", p)
    if not norm_p >= 0:
        raise ValueError(f"{op}: p: expected a number >= 0 or inf, got {p!r}")
    d = int_dim(op, dim, input.ndim)
    eps = _check_eps(op, eps)
    if input.ndim == 0:  # PyTorch reads a 0-d tensor as one value along dim 0 or -1
        return normalize(input.reshape(1), p, 0, eps).reshape(())
    x = widened(input)
    return (x / _norm(x, norm_p, d).clamp(min=eps)).to(dtype=input.dtype)


def _norm(x, p, dim):
    """The Lp norm of ``x`` along ``dim`` (keepdim), with a zero gradient where the value is
    zero: the roots' and small powers' slopes are infinite at 0, and 0 * inf would be NaN."""
    if p == 0:  # a count: no gradient, as in PyTorch
        return (x != 0).sum(dim, keepdim=True).to(dtype=x.dtype)
    if p == math.inf:
        return x.abs().max(dim, keepdim=True).values
    if p == 1:
        return x.abs().sum(dim, keepdim=True)
    total = (x * x) if p == 2 else _power_or_zero(x.abs(), p)
    return _power_or_zero(total.sum(dim, keepdim=True), 1 / p)


def _power_or_zero(t, exponent):
    """``t ** exponent`` for ``t >= 0``, with the value and the gradient 0 where ``t == 0``."""
    positive = t > 0
    return where(positive, where(positive, t, 1.0) ** exponent, 0.0)
