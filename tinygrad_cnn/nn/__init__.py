"""Neural-network building blocks (PyTorch's ``torch.nn`` vocabulary).

>>> from tinygrad_cnn import nn
>>> model = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
...                       nn.Linear(6 * 14 * 14, 10))
>>> sum(p.numel() for p in model.parameters())
11926
"""

from tinygrad_cnn.nn import (
    activations,
    containers,
    conv_layers,
    functional,
    init,
    layers,
    losses,
    norm,
    parameter_containers,
    pooling,
    resize,
    utils,
)
from tinygrad_cnn.nn.activations import *  # noqa: F403  (each family module's __all__ is the list)
from tinygrad_cnn.nn.containers import *  # noqa: F403
from tinygrad_cnn.nn.conv_layers import *  # noqa: F403
from tinygrad_cnn.nn.layers import *  # noqa: F403
from tinygrad_cnn.nn.losses import *  # noqa: F403
from tinygrad_cnn.nn.module import Module, Parameter, RemovableHandle
from tinygrad_cnn.nn.norm import *  # noqa: F403
from tinygrad_cnn.nn.parameter_containers import *  # noqa: F403
from tinygrad_cnn.nn.pooling import *  # noqa: F403
from tinygrad_cnn.nn.resize import *  # noqa: F403

# The layer families' own __all__ lists, so that a new layer is exported where it is written.
__all__ = [
    "functional", "init", "utils", "Module", "Parameter", "RemovableHandle",
    *containers.__all__, *parameter_containers.__all__, *layers.__all__, *conv_layers.__all__,
    *pooling.__all__, *resize.__all__, *activations.__all__, *norm.__all__, *losses.__all__,
]
