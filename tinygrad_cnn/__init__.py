"""tinygrad_cnn: a small, readable autodiff engine for convolutional networks.

>>> import tinygrad_cnn as tg
>>> x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (x ** 2).sum().backward()
>>> x.grad.tolist()
[2.0, 4.0, 6.0]
"""

from tinygrad_cnn.backend import Device, cuda_is_available, get_device
from tinygrad_cnn.tensor import Tensor
from tinygrad_cnn.function import Function
from tinygrad_cnn.engine import enable_grad, grad, is_grad_enabled, no_grad, set_grad_enabled
from tinygrad_cnn.anomaly import AnomalyError, detect_anomaly
from tinygrad_cnn.autograd import GradcheckError, gradcheck, gradgradcheck
from tinygrad_cnn.creation import (
    arange, eye, full, manual_seed, ones, ones_like, rand, randint, randn, tensor, zeros,
    zeros_like,
)
from tinygrad_cnn.ops.elementwise import (
    abs, clamp, cos, exp, log, log1p, maximum, minimum, relu, sigmoid, sin, sqrt, tanh, where,
)
from tinygrad_cnn.ops.linalg import matmul
from tinygrad_cnn.ops.reduce import argmax, argmin, logsumexp, max, mean, min, std, sum, var
from tinygrad_cnn.ops.shape import (
    broadcast_to, cat, chunk, flatten, gather, pad, permute, reshape, scatter, scatter_add, split,
    squeeze, stack, transpose, unsqueeze,
)
from tinygrad_cnn.ops.sorting import argsort, sort, topk
from tinygrad_cnn import nn
from tinygrad_cnn.doctor import diagnose
from tinygrad_cnn.model_summary import summary
from tinygrad_cnn.viz import draw_graph, trace_modules
from tinygrad_cnn.serialization import load, save
import numpy as _np

float16, float32, float64 = _np.dtype("float16"), _np.dtype("float32"), _np.dtype("float64")
int32, int64, bool_ = _np.dtype("int32"), _np.dtype("int64"), _np.dtype("bool")

__version__ = "0.1.0"

__all__ = [
    "nn", "Tensor", "Function", "Device", "get_device", "cuda_is_available",
    "grad", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "gradcheck", "gradgradcheck", "GradcheckError", "detect_anomaly", "AnomalyError", "diagnose",
    "summary", "draw_graph", "trace_modules",
    "tensor", "zeros", "ones", "full", "zeros_like", "ones_like", "arange", "eye",
    "rand", "randn", "randint", "manual_seed",
    "abs", "clamp", "cos", "exp", "log", "log1p", "maximum", "minimum", "relu", "sigmoid", "sin", "sqrt",
    "tanh", "where", "matmul", "argmax", "argmin", "logsumexp", "max", "mean", "min", "sum",
    "std", "var", "broadcast_to", "cat", "chunk", "flatten", "gather", "pad", "permute", "reshape",
    "scatter", "scatter_add", "split", "squeeze", "stack", "sort", "argsort", "topk",
    "transpose", "unsqueeze",
    "float16", "float32", "float64", "int32", "int64", "bool_",
    "load", "save",
]
