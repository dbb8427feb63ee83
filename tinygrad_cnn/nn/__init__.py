"""Neural-network building blocks (PyTorch's ``torch.nn`` vocabulary).

>>> from tinygrad_cnn import nn
>>> model = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
...                       nn.Linear(6 * 14 * 14, 10))
>>> sum(p.numel() for p in model.parameters())
11926
"""

from tinygrad_cnn.nn import functional, init, utils
from tinygrad_cnn.nn.activations import (
    CELU,
    ELU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from tinygrad_cnn.nn.containers import ModuleDict, ModuleList, Sequential
from tinygrad_cnn.nn.conv_layers import Conv1d, Conv2d, ConvTranspose2d
from tinygrad_cnn.nn.layers import (
    Dropout,
    Dropout2d,
    Flatten,
    Fold,
    Identity,
    Linear,
    Unfold,
)
from tinygrad_cnn.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from tinygrad_cnn.nn.module import Module, Parameter, RemovableHandle
from tinygrad_cnn.nn.norm import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm
from tinygrad_cnn.nn.parameter_containers import ParameterDict, ParameterList
from tinygrad_cnn.nn.pooling import (
    AdaptiveAvgPool2d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
)
from tinygrad_cnn.nn.resize import (
    CircularPad1d,
    CircularPad2d,
    ConstantPad1d,
    ConstantPad2d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReplicationPad1d,
    ReplicationPad2d,
    Upsample,
    UpsamplingBilinear2d,
    UpsamplingNearest2d,
    ZeroPad1d,
    ZeroPad2d,
)

__all__ = [
    "functional", "init", "utils", "Module", "Parameter", "RemovableHandle",
    "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict", "Identity", "Linear",
    "Conv1d", "Conv2d", "ConvTranspose2d",
    "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d",
    "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "ZeroPad1d", "ZeroPad2d",
    "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d", "ReflectionPad2d", "ReplicationPad1d",
    "ReplicationPad2d", "CircularPad1d", "CircularPad2d", "ReLU",
    "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Flatten", "Dropout", "Dropout2d",
    "ELU", "SELU", "CELU", "SiLU", "Mish", "Softplus", "Hardtanh", "ReLU6", "Hardsigmoid", "Hardswish",
    "PReLU",
    "Unfold", "Fold",
    "BatchNorm1d", "BatchNorm2d", "CrossEntropyLoss", "NLLLoss", "MSELoss", "BCEWithLogitsLoss",
    "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "KLDivLoss",
    "LayerNorm", "GroupNorm",
]
