"""Data loading: datasets, the IDX format, Fashion-MNIST/MNIST and a batching DataLoader.

>>> import numpy as np
>>> from tinygrad_cnn.data import DataLoader, TensorDataset
>>> x, y = next(iter(DataLoader(TensorDataset(np.ones((6, 2), np.float32), np.arange(6)),
...                             batch_size=4, shuffle=True, seed=0)))
>>> x.shape, y.shape
((4, 2), (4,))
"""

from tinygrad_cnn.data.dataset import Dataset, Subset, TensorDataset, collate, random_split
from tinygrad_cnn.data.idx import IDXError, read_idx, write_idx
from tinygrad_cnn.data.loader import DataLoader
from tinygrad_cnn.data.mnist import FASHION_MNIST_CLASSES, MNIST, FashionMNIST, preprocess

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "collate", "DataLoader",
           "read_idx", "write_idx", "IDXError", "FashionMNIST", "MNIST", "FASHION_MNIST_CLASSES", "preprocess"]
