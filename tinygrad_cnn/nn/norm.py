"""Batch normalisation (Ioffe & Szegedy, 2015) with PyTorch's exact train/eval semantics.

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
from tinygrad_cnn.nn.module import Module, Parameter, check_size
from tinygrad_cnn.tensor import Tensor

__all__ = ["BatchNorm1d", "BatchNorm2d"]


class _BatchNorm(Module):
    _input_dims: tuple = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=np.float32):
        super().__init__()
        num_features = check_size(type(self).__name__, "num_features", num_features)
        if not eps >= 0:
            raise ValueError(f"{type(self).__name__}: eps: expected a number >= 0, got {eps}")
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"{type(self).__name__}: momentum: expected a number in [0, 1] or None, got {momentum}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
            self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
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
            self.num_batches_tracked.data[...] = 0

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
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

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
        axes = (0, *range(2, x.ndim))
        shape = (1, self.num_features) + (1,) * (x.ndim - 2)
        use_batch_stats = self.training or not self.track_running_stats
        if use_batch_stats:
            n = x.numel() // self.num_features
            if n <= 1:  # in eval too without running statistics, as in PyTorch
                raise ValueError(
                    f"{type(self).__name__}: expected more than 1 value per channel to take "
                    f"batch statistics from, got input shape {x.shape}"
                )
            mean = x.mean(axes, keepdim=True)
            xc = x - mean
            var = (xc * xc).mean(axes, keepdim=True)  # biased: used to normalise
            if self.training and self.track_running_stats:
                self._update_running_stats(mean.data, var.data, n)
            invstd = (var + self.eps) ** -0.5
            scale = invstd if not self.affine else invstd * self.weight.reshape(shape)
            out = xc * scale
            return out + self.bias.reshape(shape) if self.affine else out
        # Eval: a fixed per-channel affine map, folded into one scale and one shift.
        invstd = (self.running_var.data + self.eps) ** -0.5
        mean = self.running_mean.data
        if self.affine:
            scale = self.weight * invstd
            shift = self.bias - scale * mean
            return x * scale.reshape(shape) + shift.reshape(shape)
        return (x - mean.reshape(shape)) * invstd.reshape(shape)

    def _update_running_stats(self, mean, var, n: int) -> None:
        """Update the buffers in place from the batch statistics (raw arrays, no graph)."""
        self.num_batches_tracked.data[...] = self.num_batches_tracked.data + 1
        self.num_batches_tracked._version += 1
        if self.momentum is None:  # cumulative moving average
            m = 1.0 / float(self.num_batches_tracked.data.item())
        else:
            m = self.momentum
        rm, rv = self.running_mean.data, self.running_var.data
        mean = mean.reshape(-1).astype(rm.dtype, copy=False)
        unbiased = var.reshape(-1).astype(rv.dtype, copy=False) * (n / (n - 1))
        rm *= 1 - m
        rm += m * mean
        rv *= 1 - m
        rv += m * unbiased
        self.running_mean._version += 1
        self.running_var._version += 1

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
