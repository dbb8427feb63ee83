"""``DataLoader``: batches of a dataset as Tensors, optionally shuffled and on a device."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from tinygrad_cnn import backend
from tinygrad_cnn.creation import default_generator
from tinygrad_cnn.data.dataset import batch_of
from tinygrad_cnn.ops._args import check_int
from tinygrad_cnn.tensor import Tensor

__all__ = ["DataLoader"]


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size``, yielding Tensors in the samples'
    structure (a tuple of Tensors for tuple samples).

    Batches come from the dataset's ``get_batch`` (array-backed datasets index one whole
    batch at a time, never sample by sample; any object with ``__len__`` and
    ``__getitem__`` works too), in the samples' structure: a tuple of Tensors for tuple
    samples (a namedtuple for namedtuples), a dict for dict samples, one Tensor for lone
    arrays. A batch is always a copy:
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

    As in PyTorch:

    * ``collate_fn(samples)`` gets the list of ``dataset[i]`` of each batch (so the samples are
      fetched one by one, not through ``get_batch``) and its result is yielded as it is, not
      converted. ``device=`` does not reach into that result, so giving both is an error:
      move the Tensors to the device inside ``collate_fn``.
    * ``generator``, a ``numpy.random.Generator`` (:func:`tinygrad_cnn.creation.default_generator`
      returns one), draws each pass's shuffle order straight from itself: a freshly seeded
      generator repeats the orders, and ``set_epoch`` does not change them. It replaces
      ``seed`` (giving both is an error) and is not used when ``shuffle=False``.
    * ``batch_size=None`` turns batching off: the loader yields the samples one by one
      (shuffled with ``shuffle=True``), each passed to ``collate_fn`` if one is given, else
      converted as PyTorch converts them: arrays, NumPy scalars and Tensors become Tensors
      (copies, on ``device``), tuples, lists and dicts keep their types (PyTorch makes lists
      of plain tuples), and Python numbers and strings stay as they are. ``drop_last=True``
      has nothing to drop then and is an error.

    >>> list(DataLoader(ds, batch_size=4, collate_fn=lambda samples: [int(y) for x, y in samples]))
    [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    >>> order = DataLoader(ds, batch_size=10, shuffle=True, generator=np.random.default_rng(0))
    >>> sorted(next(iter(order))[1].tolist()) == list(range(10))
    True
    >>> [(x.tolist(), y.tolist()) for x, y in DataLoader(ds, batch_size=None)][:2]
    [(0.0, 0), (1.0, 1)]
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool = False,
                 drop_last: bool = False, seed: int | None = None, device=None,
                 collate_fn=None, generator=None) -> None:
        if batch_size is not None:
            batch_size = check_int("DataLoader", "batch_size", batch_size)
        elif drop_last:
            raise ValueError("DataLoader: drop_last: batch_size=None yields samples one by one, with "
                             "no last batch to drop; expected drop_last=False, got True")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError("DataLoader: collate_fn: expected a callable taking a list of samples, "
                            f"got {type(collate_fn).__name__} {collate_fn!r}")
        if collate_fn is not None and device is not None:
            raise ValueError("DataLoader: device: collate_fn's result is yielded as it is, so device= "
                             f"would not apply to it; got device={device!r} with a collate_fn (move "
                             "the Tensors in the collate_fn with .to(device) instead)")
        if generator is not None and not isinstance(generator, np.random.Generator):
            hint = f"; for an int seed, pass seed={generator!r}" if isinstance(generator, int) else ""
            raise TypeError("DataLoader: generator: expected a numpy.random.Generator (such as "
                            "tinygrad_cnn.creation.default_generator()), got "
                            f"{type(generator).__name__} {generator!r}{hint}")
        if generator is not None and seed is not None:
            raise ValueError(f"DataLoader: seed and generator: expected at most one, got seed={seed!r} "
                             "and a generator (both would set the shuffle order)")
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last = shuffle, drop_last
        self.device = None if device is None else backend.get_device(device)
        self.seed, self.generator, self.collate_fn = seed, generator, collate_fn
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Make the next pass use epoch ``epoch``'s shuffle order (with a ``seed``), to resume a run.

        >>> from tinygrad_cnn.data import TensorDataset
        >>> loader = DataLoader(TensorDataset(np.arange(6)), batch_size=6, shuffle=True, seed=1)
        >>> orders = [next(iter(loader))[0].tolist() for epoch in range(2)]
        >>> orders
        [[4, 0, 2, 1, 5, 3], [1, 4, 0, 3, 2, 5]]
        >>> loader.set_epoch(1)
        >>> next(iter(loader))[0].tolist() == orders[1]
        True
        """
        self.epoch = int(epoch)

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self):
        n = len(self.dataset)
        if not self.shuffle:
            return None
        if self.generator is not None:
            return self.generator.permutation(n)
        if self.seed is None:
            return np.random.default_rng(int(default_generator().integers(2**62))).permutation(n)
        return np.random.default_rng([self.seed, self.epoch]).permutation(n)

    def __iter__(self):
        n, bs = len(self.dataset), self.batch_size
        order = self._order()
        self.epoch += 1
        indices = range(n) if order is None else order
        if bs is None:
            convert = self.collate_fn or self._sample
            for i in indices:
                yield convert(self.dataset[int(i)])
            return
        for start in range(0, n, bs):
            stop = min(start + bs, n)
            if self.drop_last and stop - start < bs:
                break
            if self.collate_fn is not None:  # it expects the samples themselves, as in PyTorch
                yield self.collate_fn([self.dataset[int(i)] for i in indices[start:stop]])
            else:  # whole batches through the dataset's get_batch where it has one
                yield self._tensors(batch_of(self.dataset, indices[start:stop] if order is not None
                                             else slice(start, stop)))

    def _tensors(self, batch):
        """A batch's arrays as Tensors (on ``device``), keeping its tuple or dict structure."""
        if isinstance(batch, Mapping):
            return {key: self._tensors(value) for key, value in batch.items()}
        if isinstance(batch, tuple) or (isinstance(batch, list) and batch and (
                isinstance(batch[0], (tuple, list, Mapping, Tensor)) or backend._is_array(batch[0]))):
            fields = [self._tensors(value) for value in batch]  # fields, not one list of numbers
            return type(batch)(*fields) if hasattr(batch, "_fields") else tuple(fields)
        array = batch.data if isinstance(batch, Tensor) else batch
        if not backend._is_array(array):
            array = np.asarray(array)  # a list of numbers from a custom get_batch
        # A copy (contiguous) unless indexing already made one: a slice of the dataset's arrays
        # is a view of them, and a training loop may change its batch in place.
        elif backend.memory_owner(array) is not array or not array.flags.c_contiguous:
            array = array.copy(order="C")
        return self._wrap(array)

    def _sample(self, sample):
        """One sample (``batch_size=None``) converted as PyTorch's loader converts it: only
        arrays, NumPy scalars and Tensors become Tensors; containers keep their types."""
        if isinstance(sample, Mapping):
            return {key: self._sample(value) for key, value in sample.items()}
        if isinstance(sample, (tuple, list)):
            values = [self._sample(value) for value in sample]
            return type(sample)(*values) if hasattr(sample, "_fields") else type(sample)(values)
        array = sample.data if isinstance(sample, Tensor) else sample
        if isinstance(array, np.generic):
            array = np.asarray(array)
        if not backend._is_array(array) or array.dtype.kind in "USO":
            return sample  # numbers, strings, objects: nothing to compute with, left alone
        # Always a copy: a sample is often a view of the dataset's arrays (a row) or its own
        # Tensor, and a training loop may change it in place.
        return self._wrap(array.copy(order="C"))

    def _wrap(self, array) -> Tensor:
        if self.device is not None:
            array = backend.to_device(array, self.device)
        return Tensor._wrap(array)
