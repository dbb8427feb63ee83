"""Optimisers and learning-rate schedules (PyTorch's ``torch.optim`` names).

>>> import tinygrad_cnn as tg
>>> from tinygrad_cnn import nn, optim
>>> model = nn.Linear(3, 1)
>>> opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
>>> loss = model(tg.ones(2, 3)).sum()
>>> opt.zero_grad(); loss.backward(); opt.step()
"""

from tinygrad_cnn.optim import lr_scheduler
from tinygrad_cnn.optim.adam import Adam, AdamW
from tinygrad_cnn.optim.optimizer import Optimizer
from tinygrad_cnn.optim.rmsprop import RMSprop
from tinygrad_cnn.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler"]
