"""Datasets: ``Dataset`` (the protocol) and ``TensorDataset`` (arrays indexed together).

A dataset maps an index to a sample tuple. Array-backed datasets also provide
``get_batch(indices)``, which returns whole batches with one fancy-indexing operation per
array; :class:`~tinygrad_cnn.data.DataLoader` uses it to avoid a Python loop per sample.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from tinygrad_cnn import backend
from tinygrad_cnn.creation import default_generator, seeded
from tinygrad_cnn.tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "collate", "batch_of"]


def batch_of(dataset, indices):
    """Samples ``indices`` of ``dataset`` as one batch: through its own ``get_batch`` (the
    fast path of array-backed datasets), else :meth:`Dataset.get_batch`'s loop, which any
    object with ``__len__`` and ``__getitem__`` supports."""
    get_batch = getattr(dataset, "get_batch", None)
    return get_batch(indices) if get_batch is not None else Dataset.get_batch(dataset, indices)


class Dataset:
    """Base class of datasets: subclass it and implement ``__getitem__(i)`` (a sample: a tuple,
    dict or lone array/number) and ``__len__``; :meth:`get_batch` then comes for free.

    >>> import numpy as np
    >>> class Squares(Dataset):
    ...     def __len__(self):
    ...         return 4
    ...     def __getitem__(self, i):
    ...         return np.float32(i), i * i
    >>> ds = Squares()
    >>> len(ds), ds[3]
    (4, (np.float32(3.0), 9))
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def get_batch(self, indices):
        """Samples ``indices`` (a slice or integers) stacked along a new first axis, in the
        samples' own structure: tuples (and lists) of fields give a tuple of batches, dicts a
        dict, a lone array (or number, or Tensor) one batch array, as PyTorch collates.

        The default loops over ``__getitem__``; array-backed datasets override it for speed.

        >>> class Pairs(Dataset):
        ...     def __len__(self):
        ...         return 3
        ...     def __getitem__(self, i):
        ...         return {"x": np.full(2, i), "y": i}
        >>> batch = Pairs().get_batch([2, 0])
        >>> batch["x"].tolist(), batch["y"].tolist()
        ([[2, 2], [0, 0]], [2, 0])
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
        fields = [collate(list(field)) for field in zip(*samples)]
        return type(first)(*fields) if hasattr(first, "_fields") else tuple(fields)  # namedtuples stay
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
        """Rows ``indices`` (integers, a slice or a mask) of every array, as a tuple of arrays.

        >>> ds = TensorDataset(np.arange(10).reshape(5, 2), np.array([0, 1, 0, 1, 1]))
        >>> x, y = ds.get_batch([4, 0])
        >>> x.tolist(), y.tolist()
        ([[8, 9], [0, 1]], [1, 0])
        """
        return tuple(a[indices] for a in self.arrays)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order (PyTorch's ``Subset``).

    >>> ds = Subset(TensorDataset(np.arange(10)), [7, 2])
    >>> len(ds), int(ds[0][0])
    (2, 7)
    """

    def __init__(self, dataset, indices) -> None:
        self.dataset, self.indices = dataset, np.asarray(indices, dtype=np.int64).reshape(-1)
        n = len(dataset)
        if self.indices.size and (self.indices.min() < -n or self.indices.max() >= n):
            raise IndexError(f"Subset: indices: expected values in [{-n}, {n - 1}] for a dataset "
                             f"of {n} samples, got [{self.indices.min()}, {self.indices.max()}]")

    def __getitem__(self, index):
        return self.dataset[int(self.indices[index])]

    def __len__(self) -> int:
        return len(self.indices)

    def get_batch(self, indices):
        """Samples ``indices`` of the subset, fetched as one batch from the underlying dataset.

        >>> ds = TensorDataset(np.arange(10).reshape(5, 2), np.array([0, 1, 0, 1, 1]))
        >>> x, y = Subset(ds, [4, 2, 0]).get_batch([0, 2])
        >>> x.tolist(), y.tolist()
        ([[8, 9], [0, 1]], [1, 0])
        """
        return batch_of(self.dataset, self.indices[indices])


def random_split(dataset, lengths, generator=None) -> list:
    """``dataset`` split at random into :class:`Subset` s of the given ``lengths``: counts
    that add up to its size, or fractions that add up to 1 (the counts are rounded down and
    the samples left over go one each to the first subsets, as in PyTorch). ``generator``: a
    NumPy Generator or a seed for one (an int, say); by default :func:`tinygrad_cnn.manual_seed`'s generator.

    >>> train, val = random_split(TensorDataset(np.arange(10)), [0.8, 0.2], generator=0)
    >>> len(train), len(val), sorted(int(train[i][0]) for i in range(8)) != list(range(8))
    (8, 2, True)
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(v, float) for v in lengths) and abs(sum(lengths) - 1) < 1e-9:
        if any(v < 0 for v in lengths):
            raise ValueError(f"random_split: lengths: fractions must be >= 0, got {lengths}")
        counts = [int(np.floor(n * v)) for v in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if any(isinstance(v, float) for v in lengths) or any(v < 0 for v in lengths) or sum(lengths) != n:
        raise ValueError(f"random_split: lengths: expected counts >= 0 adding up to the dataset's "
                         f"size {n}, or fractions adding up to 1, got {lengths}")
    if generator is None:
        generator = default_generator()
    elif not isinstance(generator, np.random.Generator):
        generator = seeded("random_split", "generator", generator)
    order = generator.permutation(n)
    starts = np.cumsum([0, *lengths])
    return [Subset(dataset, order[a:b]) for a, b in zip(starts[:-1], starts[1:])]

