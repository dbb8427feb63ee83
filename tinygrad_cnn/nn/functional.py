"""The functional API (``import tinygrad_cnn.nn.functional as F``), PyTorch's names and signatures."""

from tinygrad_cnn.ops.elementwise import leaky_relu, relu, sigmoid, tanh

__all__ = ["relu", "leaky_relu", "sigmoid", "tanh"]
