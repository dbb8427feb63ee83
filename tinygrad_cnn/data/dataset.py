"""Datasets: ``Dataset`` (the protocol) and ``TensorDataset`` (arrays indexed together).

A dataset maps an index to a sample tuple. Array-backed datasets also provide
``get_batch(indices)``, which returns whole batches with one fancy-indexing operation per
array; :class:`~tinygrad_cnn.data.DataLoader` uses it to avoid a Python loop per sample.
"""

from __future__ import annotations

import numpy as np

from tinygrad_cnn import backend
from tinygrad_cnn.tensor import Tensor

__all__ = ["Dataset", "TensorDataset"]


class Dataset:
    """Subclass and implement ``__getitem__(i)`` (a tuple of arrays/numbers) and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def get_batch(self, indices) -> tuple:
        """Samples ``indices`` (a slice or integers) stacked along a new first axis.

        The default loops over ``__getitem__``; array-backed datasets override it for speed.
        """
        if isinstance(indices, slice):
            indices = range(len(self))[indices]
        samples = [self[int(i)] for i in indices]
        if not isinstance(samples[0], (tuple, list)):
            return (np.stack([np.asarray(s) for s in samples]),)
        return tuple(np.stack([np.asarray(s[k]) for s in samples]) for k in range(len(samples[0])))


class TensorDataset(Dataset):
    """Samples are rows of the given arrays or Tensors (same first dimension).

    >>> import numpy as np
    >>> ds = TensorDataset(np.zeros((5, 2)), np.arange(5))
    >>> len(ds), ds[3][1]
    (5, np.int64(3))
    """

    def __init__(self, *tensors) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = tuple(backend.to_numpy(t.data) if isinstance(t, Tensor) else np.asarray(t)
                            for t in tensors)
        n = len(self.arrays[0])
        if any(len(a) != n for a in self.arrays):
            raise ValueError(
                "TensorDataset: tensors: expected the same length (first dim), got shapes "
                f"{[tuple(a.shape) for a in self.arrays]}"
            )

    def __getitem__(self, index):
        return tuple(a[index] for a in self.arrays)

    def __len__(self) -> int:
        return len(self.arrays[0])

    def get_batch(self, indices) -> tuple:
        return tuple(a[indices] for a in self.arrays)
