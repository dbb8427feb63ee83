"""Normalisation layers: batch norm (Ioffe & Szegedy, 2015) with PyTorch's exact train/eval
semantics, and layer and group norm, which normalise each sample on its own. The arithmetic is
in ``tinygrad_cnn.ops.normalization`` (``F.batch_norm``, ``F.layer_norm``, ``F.group_norm``).

In training mode each channel is normalised with the mean and the *biased* variance of the
current batch, and the running statistics are updated as
``running = (1 - momentum) * running + momentum * batch_stat`` using the *unbiased* batch
variance (``momentum=None``: a cumulative average). In eval mode the running statistics are
used instead, so the output no longer depends on the rest of the batch.

>>> import tinygrad_cnn as tg
>>> from tinygrad_cnn import nn
>>> bn = nn.BatchNorm1d(3)
>>> x = tg.randn(8, 3) * 4 + 2
>>> y = bn(x)
>>> abs(y.numpy().mean(0)).round(4).tolist()
[0.0, 0.0, 0.0]
>>> bool(abs(bn.running_mean.numpy() - 0.1 * x.numpy().mean(0)).max() < 1e-6)
True
"""

from __future__ import annotations

import numpy as np

from tinygrad_cnn.nn import init
from tinygrad_cnn.nn.module import Module, Parameter
from tinygrad_cnn.ops._args import check_int, check_real
from tinygrad_cnn.ops.normalization import (
    _check_eps,
    _normalized_shape,
    batch_norm,
    group_norm,
    layer_norm,
)
from tinygrad_cnn.tensor import Tensor

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm"]


class _BatchNorm(Module):
    _input_dims: tuple = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=np.float32):
        super().__init__()
        num_features = check_int(type(self).__name__, "num_features", num_features)
        eps = _check_eps(type(self).__name__, eps)
        if momentum is not None:
            momentum = check_real(type(self).__name__, "momentum", momentum)
            if not 0 <= momentum <= 1:
                raise ValueError(f"{type(self).__name__}: momentum: expected a number in [0, 1] or None, "
                                 f"got {momentum!r}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _affine_parameters(self, (num_features,), affine, affine, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self._place(device)

    def reset_running_stats(self) -> None:
        """Set the running mean to 0, the running variance to 1 and the batch count to 0.

        >>> from tinygrad_cnn import nn
        >>> bn = nn.BatchNorm1d(2)
        >>> _ = bn(Tensor([[1.0, 2.0], [3.0, 6.0]]))
        >>> bn.reset_running_stats()
        >>> bn.running_mean.tolist(), bn.running_var.tolist(), bn.num_batches_tracked.item()
        ([0.0, 0.0], [1.0, 1.0], 0)
        """
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Reset the running statistics and the affine weight and bias to 1 and 0.

        >>> from tinygrad_cnn import nn
        >>> bn = nn.BatchNorm1d(2)
        >>> _ = nn.init.zeros_(bn.weight)
        >>> bn.reset_parameters()
        >>> bn.weight.tolist(), bn.bias.tolist()
        ([1.0, 1.0], [0.0, 0.0])
        """
        self.reset_running_stats()
        _reset_affine(self)

    def forward(self, x: Tensor) -> Tensor:
        """Normalise ``x`` per channel (dim 1): batch statistics in training (and always with
        ``track_running_stats=False``), the running ones in eval."""
        if x.ndim not in self._input_dims:
            raise ValueError(
                f"{type(self).__name__}: expected a {' or '.join(f'{d}-D' for d in self._input_dims)}"
                f" input, got shape {x.shape}"
            )
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}): input has {x.shape[1]} channels "
                f"(shape {x.shape})"
            )
        use_batch_stats = self.training or not self.track_running_stats
        if use_batch_stats and x.numel() // self.num_features == 1:  # (none at all: an empty result)
            raise ValueError(  # in eval too without running statistics, as in PyTorch
                f"{type(self).__name__}: expected more than 1 value per channel to take "
                f"batch statistics from, got input shape {x.shape}"
            )
        update = self.training and self.track_running_stats
        momentum = self.momentum
        if momentum is None:  # a cumulative average: this batch weighs 1 / (batches seen)
            momentum = 1.0 / (float(self.num_batches_tracked.data.item()) + 1) if update else 0.0
        # Without tracking the running statistics are None, so nothing is updated; in eval
        # with tracking, they are what the output is computed from.
        out = batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                         training=use_batch_stats, momentum=momentum, eps=self.eps)
        if update:
            # A raw increment: add_(1) would make the 1 a tensor and check the type rule on
            # every training step, 22 microseconds against 6.
            count = self.num_batches_tracked
            count._write(type(self).__name__, lambda: count.data.__iadd__(1))
        return out

    def extra_repr(self) -> str:
        """The constructor's arguments, as PyTorch prints them."""
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over ``(N, C)`` or ``(N, C, L)`` inputs (statistics per channel C).

    >>> from tinygrad_cnn import nn
    >>> bn = nn.BatchNorm1d(2)
    >>> x = Tensor([[1.0, 2.0], [3.0, 6.0]])
    >>> bn(x).numpy().round(3)  # training: this batch's mean and (biased) variance
    array([[-1., -1.],
           [ 1.,  1.]], dtype=float32)
    >>> bn.running_mean, bn.running_var  # moved by momentum=0.1 towards [2, 4] and [2, 8]
    (tensor([0.2, 0.4]), tensor([1.1, 1.7]))
    >>> bn.eval()(x).numpy().round(2)  # eval: (x - running_mean) / sqrt(running_var + eps)
    array([[0.76, 1.23],
           [2.67, 4.29]], dtype=float32)
    >>> bn
    BatchNorm1d(2, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
    """

    _input_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over ``(N, C, H, W)`` inputs (statistics per channel C).

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn import nn
    >>> bn = nn.BatchNorm2d(1, momentum=None)  # None: the average over all batches seen
    >>> x = tg.arange(8.0).reshape(2, 1, 2, 2)
    >>> bn(x).shape, bn.running_mean
    ((2, 1, 2, 2), tensor([3.5]))
    >>> _ = bn(x + 2)  # batch mean 5.5
    >>> bn.running_mean, bn.num_batches_tracked
    (tensor([4.5]), tensor(2))
    >>> bn.eval()(x)[0, 0].numpy().round(2)  # (x - 4.5) / sqrt(6 + eps)
    array([[-1.84, -1.43],
           [-1.02, -0.61]], dtype=float32)
    >>> bn
    BatchNorm2d(1, eps=1e-05, momentum=None, affine=True, track_running_stats=True)
    """

    _input_dims = (4,)


def _affine_parameters(layer, shape, weight: bool, bias: bool, dtype) -> None:
    """Register ``weight`` (ones) and ``bias`` (zeros) of ``shape``, or None in their place."""
    layer.register_parameter("weight", Parameter(np.ones(shape, dtype=dtype)) if weight else None)
    layer.register_parameter("bias", Parameter(np.zeros(shape, dtype=dtype)) if bias else None)


def _reset_affine(layer) -> None:
    if layer.weight is not None:
        init.ones_(layer.weight)
    if layer.bias is not None:
        init.zeros_(layer.bias)


class LayerNorm(Module):
    """Layer norm (Ba et al., 2016): each sample normalised over its trailing
    ``normalized_shape`` dims with its own mean and biased variance, then ``* weight + bias``
    elementwise (ones and zeros of ``normalized_shape`` at first; none with
    ``elementwise_affine=False``, no bias with ``bias=False``). It needs no batch statistics,
    so training and eval give the same output.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn import nn
    >>> ln = nn.LayerNorm(3)
    >>> ln(tg.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 6.0]])).numpy().round(4)
    array([[-1.2247,  0.    ,  1.2247],
           [-0.7071, -0.7071,  1.4142]], dtype=float32)
    >>> ln, ln.weight.shape, list(ln.state_dict())
    (LayerNorm((3,), eps=1e-05, elementwise_affine=True, bias=True), (3,), ['weight', 'bias'])
    >>> nn.LayerNorm([4, 4], bias=False)(tg.ones(2, 3, 4, 4)).shape    # over (H, W)
    (2, 3, 4, 4)
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=np.float32):
        super().__init__()
        self.normalized_shape = _normalized_shape("LayerNorm", normalized_shape)
        self.eps, self.elementwise_affine = _check_eps("LayerNorm", eps), elementwise_affine
        _affine_parameters(self, self.normalized_shape, elementwise_affine, elementwise_affine and bias, dtype)
        self._place(device)

    def reset_parameters(self) -> None:
        """Set the weight to ones and the bias to zeros, as the constructor does.

        >>> from tinygrad_cnn import nn
        >>> ln = nn.LayerNorm(2)
        >>> _ = nn.init.zeros_(ln.weight)
        >>> ln.reset_parameters()
        >>> ln.weight.tolist(), ln.bias.tolist()
        ([1.0, 1.0], [0.0, 0.0])
        """
        _reset_affine(self)

    def forward(self, x: Tensor) -> Tensor:
        """Normalise ``x`` over its trailing ``normalized_shape`` dims (``F.layer_norm``)."""
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        """The constructor's arguments, as PyTorch prints them."""
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    """Group norm (Wu & He, 2018): the ``num_channels`` channels of an ``(N, C, *)`` input split
    into ``num_groups`` groups, each sample's group normalised over its channels and spatial
    dims, then ``* weight + bias`` per channel (ones and zeros at first; none with
    ``affine=False``, no bias with ``bias=False``). Independent of the batch size, so it works
    with batches of one; 1 group is a layer norm over (C, H, W), C groups an instance norm.

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn import nn
    >>> gn = nn.GroupNorm(2, 4)
    >>> gn(tg.tensor([[1.0, 3.0, 10.0, 20.0]])).numpy().round(4)
    array([[-1., 1., -1., 1.]], dtype=float32)
    >>> gn, list(gn.state_dict())
    (GroupNorm(2, 4, eps=1e-05, affine=True, bias=True), ['weight', 'bias'])
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device=None, dtype=np.float32, *, bias: bool = True):
        super().__init__()
        num_groups = check_int("GroupNorm", "num_groups", num_groups)
        num_channels = check_int("GroupNorm", "num_channels", num_channels)
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels: expected a multiple of num_groups={num_groups}, "
                             f"got {num_channels}")
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine = _check_eps("GroupNorm", eps), affine
        _affine_parameters(self, (num_channels,), affine, affine and bias, dtype)
        self._place(device)

    def reset_parameters(self) -> None:
        """Set the weight to ones and the bias to zeros, as the constructor does.

        >>> from tinygrad_cnn import nn
        >>> gn = nn.GroupNorm(1, 2)
        >>> _ = nn.init.zeros_(gn.weight)
        >>> gn.reset_parameters()
        >>> gn.weight.tolist(), gn.bias.tolist()
        ([1.0, 1.0], [0.0, 0.0])
        """
        _reset_affine(self)

    def forward(self, x: Tensor) -> Tensor:
        """Normalise ``x`` by groups of channels (``F.group_norm``)."""
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm({self.num_groups}, {self.num_channels}): expected an "
                             f"(N, {self.num_channels}, *) input, got shape {x.shape}")
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        """The constructor's arguments, as PyTorch prints them."""
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")
