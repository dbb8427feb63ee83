"""The functional API (``import tinygrad_cnn.nn.functional as F``), PyTorch's names and signatures.

Convolutions live in :mod:`tinygrad_cnn.ops.conv` (``unfold``/``fold`` in
:mod:`tinygrad_cnn.ops.unfold`), pooling in :mod:`tinygrad_cnn.ops.pool`,
adaptive pooling in :mod:`tinygrad_cnn.ops.adaptive_pool`, ``interpolate`` in :mod:`tinygrad_cnn.ops.resize`,
the activations beyond relu, sigmoid and tanh in :mod:`tinygrad_cnn.ops.activation`,
softmax and the losses in :mod:`tinygrad_cnn.ops.loss`; ``linear``, the dropouts and
``one_hot`` are composites defined here.

>>> import numpy as np
>>> import tinygrad_cnn as tg
>>> import tinygrad_cnn.nn.functional as F
>>> x = tg.randn(8, 1, 32, 32)                                   # LeNet's input
>>> h = F.max_pool2d(F.relu(F.conv2d(x, tg.randn(6, 1, 5, 5))), 2)
>>> h.shape                                                      # 28x28x6 pooled to 14x14x6
(8, 6, 14, 14)
"""

from __future__ import annotations

from tinygrad_cnn import backend
from tinygrad_cnn.creation import default_generator
from tinygrad_cnn.ops._args import check_int, check_probability
from tinygrad_cnn.ops.activation import (
    celu,
    elu,
    hardsigmoid,
    hardswish,
    hardtanh,
    mish,
    prelu,
    relu6,
    selu,
    silu,
    softplus,
)
from tinygrad_cnn.ops.adaptive_pool import adaptive_avg_pool2d, adaptive_max_pool2d
from tinygrad_cnn.ops.conv import (
    conv1d,
    conv2d,
    conv_output_size,
    conv_transpose1d,
    conv_transpose2d,
    true_conv2d,
)
from tinygrad_cnn.ops.elementwise import leaky_relu, relu, sigmoid, tanh
from tinygrad_cnn.ops.linalg import Linear
from tinygrad_cnn.ops.loss import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    log_softmax,
    mse_loss,
    nll_loss,
    softmax,
)
from tinygrad_cnn.ops.normalization import batch_norm, group_norm, instance_norm, layer_norm, normalize
from tinygrad_cnn.ops.pointwise_loss import (
    binary_cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    smooth_l1_loss,
)
from tinygrad_cnn.ops.pool import (
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
    max_unpool2d,
)
from tinygrad_cnn.ops.resize import interpolate
from tinygrad_cnn.ops.shape import pad
from tinygrad_cnn.ops.unfold import fold, unfold
from tinygrad_cnn.tensor import Tensor

__all__ = [
    "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "true_conv2d", "convolve2d",
    "conv_output_size", "unfold", "fold",
    "max_pool1d", "max_pool2d", "max_unpool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool2d",
    "adaptive_max_pool2d", "interpolate",
    "relu", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax",
    "elu", "selu", "celu", "silu", "mish", "softplus", "hardtanh", "relu6", "hardsigmoid", "hardswish",
    "prelu",
    "linear", "dropout", "dropout2d", "one_hot", "pad",
    "cross_entropy", "nll_loss", "mse_loss", "binary_cross_entropy_with_logits",
    "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy", "kl_div",
    "batch_norm", "instance_norm", "layer_norm", "group_norm", "normalize",
]

# SciPy's word for the same thing: convolution with the kernel flipped.
convolve2d = true_conv2d


def linear(input, weight, bias=None) -> Tensor:  # noqa: A002
    """``input @ weight.T + bias``: input ``(*, in_features)``, weight ``(out_features, in_features)``.

    >>> from tinygrad_cnn import Tensor
    >>> linear(Tensor([[1.0, 2.0]]), Tensor([[3.0, 4.0]]), Tensor([0.5])).tolist()
    [[11.5]]
    """
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError("linear: input and weight: expected Tensors, got "
                        f"{type(input).__name__} and {type(weight).__name__}")
    if weight.ndim != 2:
        raise ValueError(f"linear: weight: expected a 2-D (out_features, in_features) tensor, "
                         f"got shape {weight.shape}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input: expected last dim {weight.shape[1]} (weight's "
                         f"in_features), got shape {input.shape}")
    if bias is None:
        return Linear.apply(input, weight)
    if not isinstance(bias, Tensor) or bias.shape != (weight.shape[0],):
        got = bias.shape if isinstance(bias, Tensor) else type(bias).__name__
        raise ValueError(f"linear: bias: expected shape ({weight.shape[0]},), got {got}")
    return Linear.apply(input, weight, bias)


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero each element with probability ``p`` and scale the rest by 1/(1 - p) (training only).

    The mask is drawn on the host from :func:`tinygrad_cnn.manual_seed`'s generator and copied
    to the device, so a seed gives the same mask everywhere. ``inplace`` is accepted for
    PyTorch compatibility; the result is always a new tensor.

    >>> import tinygrad_cnn as tg
    >>> tg.manual_seed(0)
    >>> sorted(set(dropout(tg.ones(1000), 0.5).tolist()))
    [0.0, 2.0]
    >>> dropout(tg.ones(3), 0.5, training=False).tolist()
    [1.0, 1.0, 1.0]
    """
    _check_dropout("dropout", input, p)
    return _dropout(input, p, training, input.shape)


def _check_dropout(op, input, p) -> None:  # noqa: A002
    check_probability(op, "p", p)
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input: expected a Tensor, got {type(input).__name__}")


def _dropout(input, p, training, shape):  # noqa: A002
    """Inverted dropout of ``input`` with one kept-or-dropped draw per element of ``shape``
    (broadcast over the rest of the input's)."""
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = default_generator().random(shape) >= p
    mask = (keep * (1.0 / (1.0 - p))).astype(input.dtype)
    return input * Tensor._wrap(backend.to_device(mask, input.device))


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero whole channels of an (N, C, H, W) input, each with probability ``p``, and scale the
    rest by 1/(1 - p) (training only): neighbouring pixels of a feature map are strongly
    correlated, so dropping single pixels regularises a conv layer little.

    The mask is drawn as in :func:`dropout`. Only 4-D input is taken: PyTorch reads a 3-D one
    as (N, C, L) for now and plans to read it as an unbatched (C, H, W), so here it is an
    error (use ``unsqueeze(0)`` for one image).

    >>> import tinygrad_cnn as tg
    >>> tg.manual_seed(0)
    >>> y = dropout2d(tg.ones(2, 8, 3, 3), 0.5)
    >>> sorted(set(y.tolist()[0][0][0])) in ([0.0], [2.0])   # a channel is all kept or all dropped
    True
    """
    _check_dropout("dropout2d", input, p)
    if input.ndim != 4:
        raise ValueError(f"dropout2d: input: expected a 4-D tensor (N, C, H, W), got shape "
                         f"{input.shape} (for one (C, H, W) image use input.unsqueeze(0))")
    return _dropout(input, p, training, (*input.shape[:2], 1, 1))


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """Class labels as one-hot rows: an int64 tensor of shape ``(*tensor.shape, num_classes)``
    with a 1 in each label's column. ``num_classes=-1`` takes the largest label + 1.

    >>> import tinygrad_cnn as tg
    >>> one_hot(tg.tensor([0, 2]), 4).tolist()
    [[1, 0, 0, 0], [0, 0, 1, 0]]
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"one_hot: tensor: expected an integer Tensor, got {type(tensor).__name__}")
    if tensor.dtype.kind not in "iu":
        raise TypeError(f"one_hot: tensor: expected integer class labels, got dtype {tensor.dtype}")
    num_classes = check_int("one_hot", "num_classes", num_classes, minimum=-1)  # -1: max label + 1
    labels = tensor.data.astype("int64", copy=False)
    if labels.size:
        lo, hi = int(labels.min()), int(labels.max())
        if lo < 0 or (num_classes != -1 and hi >= num_classes):
            allowed = "be non-negative" if num_classes == -1 else f"be in [0, {num_classes - 1}]"
            raise ValueError(f"one_hot: tensor: class labels must {allowed}, got values in [{lo}, {hi}]")
        if num_classes == -1:
            num_classes = hi + 1
    elif num_classes == -1:
        raise ValueError("one_hot: num_classes: cannot be inferred (-1) from an empty tensor")
    xp = tensor.device.xp
    return Tensor._wrap((labels[..., None] == xp.arange(num_classes)).astype("int64"))
