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
    _generator = seeded("manual_seed", "seed", seed)


def seeded(op: str, arg: str, seed) -> np.random.Generator:
    """A NumPy Generator from ``seed``: anything ``numpy.random.default_rng`` takes (an int
    >= 0, a sequence of them, a SeedSequence, a BitGenerator, a Generator), refused by name
    otherwise; a bool is refused, where NumPy would take True as the seed 1.

    >>> seeded("manual_seed", "seed", -1)
    Traceback (most recent call last):
    ...
    ValueError: manual_seed: seed: expected a seed >= 0, got -1
    """
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"{op}: {arg}: expected a numpy.random.Generator or a seed (an int, a "
                        f"sequence of ints, a SeedSequence or a BitGenerator), got bool {seed!r}")
    try:
        return np.random.default_rng(seed)
    except TypeError as exc:
        raise TypeError(f"{op}: {arg}: expected a numpy.random.Generator or a seed (an int, a "
                        f"sequence of ints, a SeedSequence or a BitGenerator), got "
                        f"{type(seed).__name__} {seed!r}") from exc
    except ValueError as exc:
        raise ValueError(f"{op}: {arg}: expected a seed >= 0, got {seed!r}") from exc


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
    """A tensor of zeros of the given shape, ``zeros(2, 3)`` or ``zeros((2, 3))``; float32 by default.

    >>> import tinygrad_cnn as tg
    >>> tg.zeros(2, 3).tolist(), tg.zeros((2,), dtype=np.int64).tolist()
    ([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], [0, 0])
    """
    xp = backend.get_device(device).xp
    return Tensor(xp.zeros(_shape(size), dtype=dtype), requires_grad=requires_grad)


def ones(*size, dtype=np.float32, device=None, requires_grad=False) -> Tensor:
    """A tensor of ones of the given shape, ``ones(2, 3)`` or ``ones((2, 3))``; float32 by default.

    >>> import tinygrad_cnn as tg
    >>> t = tg.ones(2, 2)
    >>> t.tolist(), t.dtype
    ([[1.0, 1.0], [1.0, 1.0]], dtype('float32'))
    """
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
    """Zeros of ``x``'s shape, dtype (unless ``dtype`` is given) and device.

    >>> import tinygrad_cnn as tg
    >>> x = tg.Tensor([[1, 2], [3, 4]])
    >>> tg.zeros_like(x).tolist(), tg.zeros_like(x).dtype, tg.zeros_like(x, dtype=np.float32).dtype
    ([[0, 0], [0, 0]], dtype('int64'), dtype('float32'))
    """
    return Tensor(x.device.xp.zeros(x.shape, dtype=dtype or x.dtype), requires_grad=requires_grad)


def ones_like(x: Tensor, dtype=None, requires_grad=False) -> Tensor:
    """Ones of ``x``'s shape, dtype (unless ``dtype`` is given) and device.

    >>> import tinygrad_cnn as tg
    >>> x = tg.Tensor([[1, 2], [3, 4]])
    >>> tg.ones_like(x).tolist(), tg.ones_like(x).dtype
    ([[1, 1], [1, 1]], dtype('int64'))
    """
    return Tensor(x.device.xp.ones(x.shape, dtype=dtype or x.dtype), requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None) -> Tensor:
    """Values from ``start`` up to, not including, ``end``, ``step`` apart; ``arange(n)`` counts
    from 0. Integer arguments give int64, float ones float32.

    >>> import tinygrad_cnn as tg
    >>> tg.arange(4).tolist(), tg.arange(1, 7, 2).tolist(), tg.arange(0.0, 1.0, 0.25).tolist()
    ([0, 1, 2, 3], [1, 3, 5], [0.0, 0.25, 0.5, 0.75])
    >>> tg.arange(4).dtype, tg.arange(0.0, 1.0, 0.25).dtype
    (dtype('int64'), dtype('float32'))
    """
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    values = np.arange(start, end, step)
    if dtype is None and values.dtype.kind == "f":
        dtype = np.float32
    return _make(values, dtype, device, False)


def eye(n: int, dtype=np.float32, device=None) -> Tensor:
    """The ``n`` x ``n`` identity matrix; float32 by default.

    >>> import tinygrad_cnn as tg
    >>> tg.eye(3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    return _make(np.eye(n), dtype, device, False)


def rand(*size, dtype=np.float32, device=None, requires_grad=False) -> Tensor:
    """Samples drawn uniformly from [0, 1), of the given shape; float32 by default.

    >>> import tinygrad_cnn as tg
    >>> tg.manual_seed(0)
    >>> [round(v, 4) for v in tg.rand(3).tolist()]
    [0.637, 0.2698, 0.041]
    >>> tg.rand(2, 3).shape, tg.rand(2).dtype
    ((2, 3), dtype('float32'))
    """
    values = _generator.random(_shape(size))
    if dtype is not None and np.dtype(dtype).kind == "f" and np.dtype(dtype).itemsize < 8:
        # A float64 draw within half a step of 1 rounds to 1.0 in a narrower type: keep [0, 1).
        kind = np.dtype(dtype).type
        values = np.minimum(values.astype(dtype), np.nextafter(kind(1), kind(0)))
    return _make(values, dtype, device, requires_grad)


def randn(*size, dtype=np.float32, device=None, requires_grad=False) -> Tensor:
    """Samples from the standard normal distribution (mean 0, std 1), of the given shape;
    float32 by default.

    >>> import tinygrad_cnn as tg
    >>> tg.manual_seed(0)
    >>> [round(v, 4) for v in tg.randn(3).tolist()]
    [0.1257, -0.1321, 0.6404]
    >>> tg.randn(2, 3).shape
    (2, 3)
    """
    return _make(_generator.standard_normal(_shape(size)), dtype, device, requires_grad)


def randint(low, high, size, dtype=np.int64, device=None) -> Tensor:
    """Integers drawn uniformly from ``[low, high)``; ``size`` is an int or a shape tuple
    (required, unlike ``rand``'s varargs); int64 by default.

    >>> import tinygrad_cnn as tg
    >>> tg.manual_seed(0)
    >>> tg.randint(0, 10, (2, 3)).tolist()
    [[8, 6, 5], [2, 3, 0]]
    >>> tg.randint(0, 2, 4).dtype
    dtype('int64')
    """
    return _make(_generator.integers(low, high, size=_shape((size,))), dtype, device, False)
