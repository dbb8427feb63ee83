"""A strict CPU device that behaves like CuPy where CuPy is strict.

CuPy refuses to mix its arrays with NumPy arrays and refuses implicit conversion to NumPy,
so an op that calls ``np.something`` instead of ``self.xp.something``, or that builds a
NumPy constant and combines it with device data, only breaks on a GPU. The ``"strict"``
device catches these mistakes on any machine: its arrays wrap NumPy arrays but

* refuse ``np.asarray(arr)`` and every NumPy function called on them (``np.sum(arr)``);
* refuse to combine with plain NumPy arrays in arithmetic, ufuncs or indexing;
* allow what CuPy allows: Python and NumPy scalars, ``xp.asarray(host_array)`` (an
  explicit copy to the device), ``.item()``, ``.tolist()`` and ``float(arr)``.

>>> import numpy as np
>>> from tinygrad_cnn import Tensor
>>> from tinygrad_cnn.testing import enable_strict_device
>>> enable_strict_device()
>>> x = Tensor(np.ones(3), device="strict")
>>> (x * 2).sum().item()
6.0
>>> x.data + np.ones(3)
Traceback (most recent call last):
...
TypeError: strict device: a NumPy array (shape (3,)) was mixed into a device computation; create it with xp instead
"""

from __future__ import annotations

import types

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

from tinygrad_cnn import backend

__all__ = ["StrictArray", "enable_strict_device", "STRICT_XP"]


def _unwrap(value, explicit: bool = False):
    if isinstance(value, StrictArray):
        return value.a
    if isinstance(value, np.ndarray):
        if explicit:
            return value
        raise TypeError(
            f"strict device: a NumPy array (shape {value.shape}) was mixed into a device "
            "computation; create it with xp instead"
        )
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v, explicit) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v, explicit) for k, v in value.items()}
    return value


def _wrap(value):
    if isinstance(value, np.ndarray):
        return StrictArray(value)
    if isinstance(value, np.generic) and not isinstance(value, (np.str_, np.bytes_)):
        return StrictArray(np.asarray(value))  # CuPy returns 0-d arrays, never scalars
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


class StrictArray(NDArrayOperatorsMixin):
    """A NumPy array in a wrapper that refuses implicit host conversion."""

    __slots__ = ("a",)
    __array_priority__ = 50

    def __init__(self, array: np.ndarray) -> None:
        self.a = array

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "strict device: implicit conversion of a device array to a NumPy array is not "
            "allowed; use backend.to_numpy() for an explicit copy"
        )

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        result = getattr(ufunc, method)(*_unwrap(inputs), **_unwrap(kwargs))
        return _wrap(result)

    def __array_function__(self, func, types_, args, kwargs):
        raise TypeError(
            f"strict device: numpy.{func.__name__} was called on a device array; "
            f"use xp.{func.__name__} (self.xp inside an op)"
        )

    def to_host(self) -> np.ndarray:
        """An explicit copy to NumPy (what ``cupy.asnumpy`` does)."""
        return self.a.copy()

    def __getattr__(self, name):
        attr = getattr(self.a, name)
        if callable(attr):
            def method(*args, **kwargs):
                return _wrap(attr(*_unwrap(args), **_unwrap(kwargs)))
            return method
        return _wrap(attr)

    def __getitem__(self, index):
        return _wrap(self.a[_unwrap(index)])

    def __setitem__(self, index, value):
        self.a[_unwrap(index)] = _unwrap(value)

    def __len__(self):
        return len(self.a)

    def __iter__(self):
        return (_wrap(v) for v in self.a)

    def __float__(self):
        return float(self.a)

    def __int__(self):
        return int(self.a)

    def __bool__(self):
        return bool(self.a)

    def __index__(self):
        return self.a.__index__()

    def __repr__(self):
        return f"strict({self.a!r})"

    # The mixin routes arithmetic through __array_ufunc__; in-place forms need the same.
    def __iadd__(self, other):
        self.a += _unwrap(other)
        return self

    def __isub__(self, other):
        self.a -= _unwrap(other)
        return self

    def __imul__(self, other):
        self.a *= _unwrap(other)
        return self

    def __itruediv__(self, other):
        self.a /= _unwrap(other)
        return self


class _UfuncProxy:
    def __init__(self, ufunc):
        self._ufunc = ufunc

    def __call__(self, *args, **kwargs):
        return _wrap(self._ufunc(*_unwrap(args), **_unwrap(kwargs)))

    def __getattr__(self, name):
        attr = getattr(self._ufunc, name)
        if not callable(attr):
            return attr

        def method(*args, **kwargs):
            return _wrap(attr(*_unwrap(args), **_unwrap(kwargs)))
        return method


_EXPLICIT = {"asarray", "array", "ascontiguousarray"}  # explicit host -> device copies


class _ModuleProxy(types.SimpleNamespace):
    """``xp`` for the strict device: NumPy's namespace, returning StrictArrays."""

    def __init__(self, module):
        super().__init__()
        object.__setattr__(self, "_module", module)

    def __getattr__(self, name):
        if name == "ndarray":
            return StrictArray
        attr = getattr(self._module, name)
        if isinstance(attr, types.ModuleType):
            return _ModuleProxy(attr)
        if isinstance(attr, np.ufunc):
            return _UfuncProxy(attr)
        if isinstance(attr, type) or not callable(attr):
            return attr  # dtypes, constants
        explicit = name in _EXPLICIT

        def function(*args, **kwargs):
            return _wrap(attr(*_unwrap(args, explicit), **_unwrap(kwargs, explicit)))
        function.__name__ = name
        return function

    @property
    def __name__(self):
        return "strict." + self._module.__name__


STRICT_XP = _ModuleProxy(np)
_STRICT = backend.Device("strict", None, STRICT_XP)


def _make_device(index):
    if index not in (None, 0):
        raise ValueError(f"device: the strict device has one index (0), got {index}")
    return _STRICT


def enable_strict_device() -> None:
    """Register the ``"strict"`` device (idempotent)."""
    backend.register_array_type(StrictArray, "strict", _make_device)
