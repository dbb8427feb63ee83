"""Datasets: ``Dataset`` (the protocol) and ``TensorDataset`` (arrays indexed together).

A dataset maps an index to a sample tuple. Array-backed datasets also provide
``get_batch(indices)``, which returns whole batches with one fancy-indexing operation per
array; :class:`~tinygrad_cnn.data.DataLoader` uses it to avoid a Python loop per sample.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from tinygrad_cnn import backend
from tinygrad_cnn.tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "collate"]


class Dataset:
    """Subclass and implement ``__getitem__(i)`` (a tuple of arrays/numbers) and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def get_batch(self, indices):
        """Samples ``indices`` (a slice or integers) stacked along a new first axis, in the
        samples' own structure: tuples (and lists) of fields give a tuple of batches, dicts a
        dict, a lone array (or number, or Tensor) one batch array, as PyTorch collates.

        The default loops over ``__getitem__``; array-backed datasets override it for speed.
        """
        if isinstance(indices, slice):
            indices = range(len(self))[indices]
        return collate([self[int(i)] for i in indices])


def collate(samples):
    """``samples`` (of one structure) stacked field by field into host arrays.

    >>> batch = collate([{"x": np.zeros(2), "y": 1}, {"x": np.ones(2), "y": 0}])
    >>> batch["x"].shape, batch["y"].tolist()
    ((2, 2), [1, 0])
    """
    first = samples[0]
    if isinstance(first, Mapping):
        return {key: collate([s[key] for s in samples]) for key in first}
    if isinstance(first, (tuple, list)):
        return tuple(collate(list(field)) for field in zip(*samples))
    if isinstance(first, Tensor):
        return np.stack([backend.to_numpy(s.data) for s in samples])
    return np.stack([np.asarray(s) for s in samples])


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
