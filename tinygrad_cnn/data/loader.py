"""``DataLoader``: batches of a dataset as Tensors, optionally shuffled and on a device."""

from __future__ import annotations

import functools
from collections.abc import Mapping

import numpy as np

from tinygrad_cnn import backend
from tinygrad_cnn.creation import default_generator
from tinygrad_cnn.data.dataset import Dataset
from tinygrad_cnn.nn.module import check_size
from tinygrad_cnn.tensor import Tensor

__all__ = ["DataLoader"]


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size``, yielding tuples of Tensors.

    Batches come from the dataset's ``get_batch`` (array-backed datasets index one whole
    batch at a time, never sample by sample; any object with ``__len__`` and
    ``__getitem__`` works too), in the samples' structure: a tuple of Tensors for tuple
    samples, a dict for dict samples, one Tensor for lone arrays. A batch is always a copy:
    changing it in place leaves the dataset alone. With ``shuffle=True`` and a ``seed``, the
    order of epoch ``e`` is a permutation drawn from ``default_rng([seed, e])``: the same seed
    gives the same batches, and a resumed run continues with the right order after
    ``set_epoch(e)``. Without a ``seed``, each pass over the data draws its order from
    :func:`tinygrad_cnn.manual_seed`'s generator, as PyTorch's loader draws from its own.

    >>> import numpy as np
    >>> from tinygrad_cnn.data import TensorDataset
    >>> ds = TensorDataset(np.arange(10, dtype=np.float32), np.arange(10))
    >>> [y.tolist() for x, y in DataLoader(ds, batch_size=4)]
    [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, seed: int | None = None, device=None) -> None:
        self.dataset, self.batch_size = dataset, check_size("DataLoader", "batch_size", batch_size)
        self.shuffle, self.drop_last = shuffle, drop_last
        self.device = None if device is None else backend.get_device(device)
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """The epoch whose order the next iteration uses (to resume a run)."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self):
        n = len(self.dataset)
        if not self.shuffle:
            return None
        if self.seed is None:
            return np.random.default_rng(int(default_generator().integers(2**62))).permutation(n)
        return np.random.default_rng([self.seed, self.epoch]).permutation(n)

    def __iter__(self):
        n, bs = len(self.dataset), self.batch_size
        order = self._order()
        self.epoch += 1
        # Any object with __len__ and __getitem__ works; Dataset's get_batch is the default.
        get_batch = getattr(self.dataset, "get_batch", None) or functools.partial(Dataset.get_batch, self.dataset)
        for start in range(0, n, bs):
            stop = min(start + bs, n)
            if self.drop_last and stop - start < bs:
                break
            idx = slice(start, stop) if order is None else order[start:stop]
            yield self._tensors(get_batch(idx))

    def _tensors(self, batch):
        """A batch's arrays as Tensors (on ``device``), keeping its tuple or dict structure."""
        if isinstance(batch, Mapping):
            return {key: self._tensors(value) for key, value in batch.items()}
        if isinstance(batch, tuple) or (isinstance(batch, list) and batch and (
                isinstance(batch[0], (tuple, list, Mapping, Tensor)) or backend._is_array(batch[0]))):
            return tuple(self._tensors(value) for value in batch)  # fields, not one list of numbers
        array = batch.data if isinstance(batch, Tensor) else batch
        if not backend._is_array(array):
            array = np.asarray(array)  # a list of numbers from a custom get_batch
        # A copy (contiguous) unless indexing already made one: a slice of the dataset's arrays
        # is a view of them, and a training loop may change its batch in place.
        elif backend.memory_owner(array) is not array or not array.flags.c_contiguous:
            array = array.copy(order="C")
        if self.device is not None:
            array = backend.to_device(array, self.device)
        return Tensor._wrap(array)

