"""Neural-network building blocks (PyTorch's ``torch.nn`` vocabulary)."""

from tinygrad_cnn.nn import functional

__all__ = ["functional"]
