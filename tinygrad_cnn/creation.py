"""Tensor factories and the random number generator.

Random numbers come from one NumPy ``Generator`` on the host (seeded by
:func:`manual_seed`) and are copied to the target device, so a seed gives the same numbers
on every device.
"""

from __future__ import annotations

import numpy as np

from tinygrad_cnn import backend
from tinygrad_cnn.ops._promote import result_dtype
from tinygrad_cnn.tensor import Tensor

__all__ = [
    "tensor", "zeros", "ones", "full", "zeros_like", "ones_like", "arange", "eye",
    "rand", "randn", "randint", "manual_seed", "default_generator",
]

_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Seed the generator behind ``rand``, ``randn``, dropout and the initialisers.

    >>> manual_seed(0); a = randn(2).tolist(); manual_seed(0); a == randn(2).tolist()
    True
    """
    global _generator
    _generator = np.random.default_rng(seed)


def default_generator() -> np.random.Generator:
    """The NumPy Generator that all random tensors are drawn from."""
    return _generator


def _shape(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"size: expected non-negative dims, got {shape}")
    return shape


def _make(array, dtype, device, requires_grad) -> Tensor:
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    return Tensor(backend.to_device(array, device), requires_grad=requires_grad)


def tensor(data, dtype=None, device=None, requires_grad=False) -> Tensor:
    """PyTorch's ``torch.tensor``: a new Tensor with a copy of ``data`` (a list, a number, an
    array or a Tensor), unlike ``Tensor(array)``, which keeps the array it is given.

    >>> import numpy as np
    >>> a = np.array([1.0, 2.0], dtype=np.float32)
    >>> t = tensor(a)
    >>> a[0] = 99.0
    >>> t.tolist()
    [1.0, 2.0]
    """
    if isinstance(data, Tensor):
        data = data.data
    t = Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)
    if backend._is_array(data) and backend.memory_owner(t.data) is backend.memory_owner(data):
        t.data = t.data.copy()
    return t


def zeros(*size, dtype=np.float32, device=None, requires_grad=False) -> Tensor:
    """A tensor of zeros. ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    xp = backend.get_device(device).xp
    return Tensor(xp.zeros(_shape(size), dtype=dtype), requires_grad=requires_grad)


def ones(*size, dtype=np.float32, device=None, requires_grad=False) -> Tensor:
    """A tensor of ones."""
    xp = backend.get_device(device).xp
    return Tensor(xp.ones(_shape(size), dtype=dtype), requires_grad=requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor filled with ``fill_value``; without ``dtype``, of the value's type as in
    PyTorch (bool, int64, or float32 for a float).

    >>> full((2,), 3).dtype, full((2,), 3.0).dtype, full((2,), True).dtype
    (dtype('int64'), dtype('float32'), dtype('bool'))
    """
    if dtype is None:
        dtype = result_dtype(fill_value)  # the one promotion rule: bool, int64 or float32
    xp = backend.get_device(device).xp
    return Tensor(xp.full(_shape((size,)), fill_value, dtype=dtype), requires_grad=requires_grad)


def zeros_like(x: Tensor, dtype=None, requires_grad=False) -> Tensor:
    return Tensor(x.device.xp.zeros(x.shape, dtype=dtype or x.dtype), requires_grad=requires_grad)


def ones_like(x: Tensor, dtype=None, requires_grad=False) -> Tensor:
    return Tensor(x.device.xp.ones(x.shape, dtype=dtype or x.dtype), requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None) -> Tensor:
    """Evenly spaced values in ``[start, end)``; integers give int64, floats float32."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    values = np.arange(start, end, step)
    if dtype is None and values.dtype.kind == "f":
        dtype = np.float32
    return _make(values, dtype, device, False)


def eye(n: int, dtype=np.float32, device=None) -> Tensor:
    """The n x n identity matrix."""
    return _make(np.eye(n), dtype, device, False)


def rand(*size, dtype=np.float32, device=None, requires_grad=False) -> Tensor:
    """Uniform samples in [0, 1)."""
    return _make(_generator.random(_shape(size)), dtype, device, requires_grad)


def randn(*size, dtype=np.float32, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples."""
    return _make(_generator.standard_normal(_shape(size)), dtype, device, requires_grad)


def randint(low, high, size, dtype=np.int64, device=None) -> Tensor:
    """Integers drawn uniformly from ``[low, high)``."""
    return _make(_generator.integers(low, high, size=_shape((size,))), dtype, device, False)
