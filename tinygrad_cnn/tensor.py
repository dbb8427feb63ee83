"""The Tensor: an array plus the record of the op that made it.

A tensor holds its array in ``.data`` (a NumPy or CuPy array: the raw storage, unlike
PyTorch's ``.data``), and, when it was produced by a recorded op, that op's context in
``._ctx``. Ops are implemented in :mod:`tinygrad_cnn.ops`; the methods only forward to
them, so every method is differentiable exactly when its op is. The methods that do nothing
else (``exp``, ``sum``, ``reshape``...) live in :mod:`tinygrad_cnn.tensor_math`; this module
keeps the data, the autodiff state, conversion, operators, indexing and the in-place methods.
"""

from __future__ import annotations

import numbers

import numpy as np

from tinygrad_cnn import backend, engine
from tinygrad_cnn.tensor_math import TensorMath

__all__ = ["Tensor", "as_tensor"]

_FLOAT_KINDS = "f"  # only floating-point tensors may require grad
_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}  # in-place results may not climb this order


def _parse_dtype(dtype):
    try:
        return np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype: expected a NumPy dtype or its name, got {dtype!r}") from exc


def _to_array(data, dtype, device):
    """Build the backing array, with PyTorch's defaults for Python data."""
    if isinstance(data, Tensor):
        data = data.data
    if backend._is_array(data):
        arr = data if device is None else backend.to_device(data, device)
        if dtype is not None and arr.dtype != dtype:
            arr = arr.astype(dtype)
        return arr
    if isinstance(data, np.generic):
        arr = np.asarray(data)
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(v, Tensor) for v in _flat(data)):
            raise TypeError("data: a list of Tensors is ambiguous; use tinygrad_cnn.stack()")
        arr = np.asarray(data)
        if arr.dtype.kind == "f" and dtype is None:
            arr = arr.astype(np.float32)  # Python floats default to float32, as in PyTorch
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"data: expected numbers (bool, int or float), got {type(data).__name__} giving "
            f"dtype {arr.dtype}"
        )
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    return arr if device is None else backend.to_device(arr, device)


def _flat(seq):
    for v in seq:
        if isinstance(v, (list, tuple)):
            yield from _flat(v)
        else:
            yield v


class Tensor(TensorMath):
    """An n-dimensional array that records the ops applied to it for reverse-mode autodiff.

    ``Tensor(data, requires_grad=False, dtype=None, device=None)``: ``data`` is a NumPy/CuPy
    array (its dtype is kept: float64 stays float64), a nested list or a scalar (floats become
    float32, integers int64). Only floating-point tensors can require grad.

    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad.numpy().tolist()
    [[2.0, 4.0], [6.0, 8.0]]
    """

    __slots__ = ("data", "_requires_grad", "_grad", "_ctx", "_vc", "_output_version",
                 "name", "__weakref__")
    __array_priority__ = 1000  # make ndarray + Tensor call Tensor.__radd__

    def __init__(self, data, requires_grad=False, dtype=None, device=None):
        dtype = None if dtype is None else _parse_dtype(dtype)
        device = None if device is None else backend.get_device(device)
        self.data = _to_array(data, dtype, device)
        self._grad = None
        self._ctx = None
        self._vc = [0]
        self.name = None
        self._requires_grad = False
        self.requires_grad = requires_grad

    @classmethod
    def _wrap(cls, array, requires_grad=False) -> Tensor:
        """Fast path for ops: wrap an array that is already right, without checks, except one:
        NumPy's arithmetic on 0-d arrays returns scalars, which become 0-d arrays again here
        (ops and their backward passes compute with 0-d arrays like any other)."""
        if isinstance(array, np.generic):
            array = np.asarray(array)
        t = cls.__new__(cls)
        t.data = array
        t._requires_grad = requires_grad
        t._grad = None
        t._ctx = None
        t._vc = [0]
        t.name = None
        return t

    @property
    def grad(self):
        """The gradient accumulated by ``backward()`` (None until then): a Tensor of this
        tensor's shape, dtype and device; assigning anything else raises, as in PyTorch.

        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> (3 * x).sum().backward()
        >>> x.grad.tolist()
        [3.0, 3.0]
        """
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad: expected a Tensor or None, got {type(value).__name__}")
            if value.shape != self.shape or value.dtype != self.dtype or value.device != self.device:
                raise ValueError(
                    f"grad: expected a tensor of shape {self.shape}, dtype {self.dtype} on "
                    f"{self.device} (this tensor's), got shape {value.shape}, dtype "
                    f"{value.dtype} on {value.device}"
                )
        self._grad = value

    # The version counter, bumped by every in-place change. Tensors that share memory (a
    # detach(), a view made by reshape, permute or basic indexing) share one counter, as in
    # PyTorch, so that changing any of them in place is caught by a backward that saved another.
    @property
    def _version(self) -> int:
        return self._vc[0]

    @_version.setter
    def _version(self, value: int) -> None:
        self._vc[0] = value

    # -- attributes -------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        """Whether ops on this tensor are recorded for ``backward()``. Settable; only
        floating-point tensors can require grad, and a non-leaf cannot be switched off.

        >>> Tensor([1.0]).requires_grad, (Tensor([1.0], requires_grad=True) * 2).requires_grad
        (False, True)
        """
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self.data.dtype.kind not in _FLOAT_KINDS:
            raise TypeError(
                f"requires_grad: only floating-point tensors can require grad, got dtype "
                f"{self.data.dtype}"
            )
        if not value and self._ctx is not None:
            raise RuntimeError("requires_grad: cannot be switched off on a non-leaf; use detach()")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set :attr:`requires_grad` in place and return the tensor itself.

        >>> Tensor([1.0, 2.0]).requires_grad_()
        tensor([1., 2.], requires_grad=True)
        """
        self.requires_grad = requires_grad
        return self

    @property
    def shape(self) -> tuple:
        """The size of each dim, as a tuple of ints.

        >>> Tensor([[1, 2, 3], [4, 5, 6]]).shape
        (2, 3)
        """
        return tuple(self.data.shape)

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype of the elements.

        >>> Tensor([1.0]).dtype, Tensor([1]).dtype
        (dtype('float32'), dtype('int64'))
        """
        return self.data.dtype

    @property
    def device(self) -> backend.Device:
        """The :class:`~tinygrad_cnn.Device` holding the data, read from the array's type.

        >>> Tensor([1.0]).device
        device(type='cpu')
        """
        return backend.device_of(self.data)

    @property
    def ndim(self) -> int:
        """The number of dims (0 for a scalar).

        >>> Tensor([[1.0, 2.0]]).ndim, Tensor(3.0).ndim
        (2, 0)
        """
        return self.data.ndim

    @property
    def is_leaf(self) -> bool:
        """True unless the tensor was made by a recorded op (one with an input that requires
        grad); only leaves keep their ``.grad`` without :meth:`retain_grad`.

        >>> x = Tensor([1.0], requires_grad=True)
        >>> x.is_leaf, (x * 2).is_leaf, (Tensor([1.0]) * 2).is_leaf
        (True, False, True)
        """
        return self._ctx is None

    @property
    def grad_fn(self):
        """The op that produced this tensor (None for leaves).

        >>> (Tensor([1.0], requires_grad=True) * 2).grad_fn
        <Mul backward>
        """
        return self._ctx

    def size(self, dim: int | None = None):
        """The shape, or its length along ``dim`` (PyTorch's ``size()``).

        >>> x = Tensor([[1, 2, 3], [4, 5, 6]])
        >>> x.size(), x.size(1), x.size(-2)
        ((2, 3), 3, 2)
        """
        return self.shape if dim is None else self.shape[dim]

    def numel(self) -> int:
        """The number of elements.

        >>> Tensor([[1, 2, 3], [4, 5, 6]]).numel()
        6
        """
        return int(self.data.size)

    def dim(self) -> int:
        """The number of dims, as :attr:`ndim`.

        >>> Tensor([[1, 2, 3], [4, 5, 6]]).dim()
        2
        """
        return self.data.ndim

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    # -- conversion -------------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """A host (NumPy) copy of the data; never part of the graph. Unlike PyTorch's, it is a
        copy (changing it leaves the tensor alone) and it works on tensors that require grad.

        >>> Tensor([1.0, 2.0], requires_grad=True).numpy()
        array([1., 2.], dtype=float32)
        """
        return np.array(backend.to_numpy(self.data), copy=True)

    def item(self):
        """The value of a one-element tensor (of any shape) as a Python number.

        >>> Tensor([[2.5]]).item(), Tensor(7).item()
        (2.5, 7)
        """
        if self.data.size != 1:
            raise ValueError(f"item(): expected a tensor with one element, got shape {self.shape}")
        return self.data.reshape(()).item()

    def tolist(self):
        """The data as nested Python lists of numbers (a number for a 0-d tensor).

        >>> Tensor([[1, 2], [3, 4]]).tolist(), Tensor(1.5).tolist()
        ([[1, 2], [3, 4]], 1.5)
        """
        return backend.to_numpy(self.data).tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self.item())

    def register_hook(self, hook):
        """Call ``hook(grad)`` whenever a backward pass computes this tensor's gradient, before
        it is used; a Tensor the hook returns replaces the gradient. Returns a handle whose
        ``remove()`` unregisters it.

        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> handle = x.register_hook(lambda g: g * 10)
        >>> (x * x).sum().backward()
        >>> x.grad.tolist()
        [20.0, 40.0]
        """
        if not self.requires_grad:
            raise RuntimeError(f"register_hook: the tensor (shape {self.shape}) does not require grad")
        return engine.register_tensor_hook(self, hook)

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` during ``backward()`` (leaves keep
        theirs anyway), as in PyTorch.

        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> y = x * 3
        >>> y.retain_grad()
        >>> (y * y).sum().backward()
        >>> y.grad.tolist()
        [6.0, 12.0]
        """
        if not self.requires_grad:
            raise RuntimeError(f"retain_grad: the tensor (shape {self.shape}) does not require grad")
        if self._ctx is not None:  # leaves keep theirs anyway
            engine.retain(self)

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory and the version counter, like
        PyTorch: an in-place change of either is seen by a backward that saved the other).

        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> d = (x * 2).detach()
        >>> d, d.requires_grad, d.is_leaf
        (tensor([2., 4.]), False, True)
        """
        t = Tensor._wrap(self.data)
        t._vc = self._vc
        return t

    def clone(self) -> Tensor:
        """A copy of the data in new memory, recorded in the graph (the gradient flows back).

        >>> Tensor([1.0, 2.0], requires_grad=True).clone()
        tensor([1., 2.], grad_fn=Clone)
        """
        return ops.elementwise.clone(self)

    def to(self, *args, device=None, dtype=None) -> Tensor:
        """Move to a device and/or cast to a dtype, differentiably: ``x.to("cuda")``,
        ``x.to(dtype=np.float64)``, ``x.to("cpu", "float32")``. Returns the tensor itself when
        nothing changes.

        >>> Tensor([1, 2]).to("float64")
        tensor([1., 2.], dtype=float64)
        """
        for a in args:
            if isinstance(a, backend.Device):
                device = a
            elif isinstance(a, str):
                try:
                    device = backend.get_device(a)
                except ValueError:
                    try:  # a dtype name such as "float64"
                        dtype = np.dtype(a)
                    except TypeError:
                        backend.get_device(a)  # neither: raise the device error, which says why
                        raise
            else:
                dtype = a
        out = self
        if device is not None:
            out = ops.elementwise.to_device(out, backend.get_device(device))
        if dtype is not None and _parse_dtype(dtype) != out.dtype:
            out = ops.elementwise.cast(out, _parse_dtype(dtype))
        return out

    def cpu(self) -> Tensor:
        """The tensor on the CPU, as ``to("cpu")`` (the tensor itself if already there).

        >>> Tensor([1.0]).cpu().device
        device(type='cpu')
        """
        return self.to("cpu")

    def cuda(self, index: int | None = None) -> Tensor:
        """The tensor on a GPU (the current one, or ``cuda:index``), as ``to("cuda")``; needs CuPy.

        >>> import tinygrad_cnn as tg
        >>> if tg.cuda_is_available():
        ...     assert Tensor([1.0]).cuda().device.type == "cuda"
        """
        return self.to("cuda" if index is None else f"cuda:{index}")

    def float(self) -> Tensor:
        """Cast to float32, as ``to(dtype=np.float32)``.

        >>> Tensor([1, 2]).float()
        tensor([1., 2.])
        """
        return self.to(dtype=np.float32)

    def double(self) -> Tensor:
        """Cast to float64, as ``to(dtype=np.float64)``.

        >>> Tensor([1, 2]).double()
        tensor([1., 2.], dtype=float64)
        """
        return self.to(dtype=np.float64)

    def long(self) -> Tensor:
        """Cast to int64 (floats are truncated toward zero), as ``to(dtype=np.int64)``.

        >>> Tensor([1.7, -1.7]).long().tolist()
        [1, -1]
        """
        return self.to(dtype=np.int64)

    def bool(self) -> Tensor:
        """Cast to bool (nonzero is True), as ``to(dtype=np.bool_)``.

        >>> Tensor([0.0, 2.0]).bool().tolist()
        [False, True]
        """
        return self.to(dtype=np.bool_)

    def __repr__(self) -> str:
        body = np.array2string(backend.to_numpy(self.data), separator=", ", prefix="tensor(")
        extra = ""
        if self.device.type != "cpu":
            extra += f", device='{self.device.name}'"
        if self.dtype not in (np.float32, np.int64, np.bool_):
            extra += f", dtype={self.dtype}"
        if self._ctx is not None:
            extra += f", grad_fn={self._ctx.name}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    # -- autodiff ---------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=False, create_graph=False) -> None:
        """Accumulate the gradient of this tensor into the ``.grad`` of every leaf.

        ``gradient`` is required for non-scalar tensors (the vector in the vector-Jacobian
        product). The graph's saved state is freed unless ``retain_graph`` (or
        ``create_graph``, which also records the backward pass for higher-order gradients).

        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> (x * x).backward(Tensor([1.0, 10.0]))
        >>> x.grad.tolist()
        [2.0, 40.0]
        """
        engine.backward(self, gradient, retain_graph, create_graph)

    # -- in-place (only on tensors outside the graph; bump the version counter) -----------
    # Each is refused while grad mode is on if the tensor requires grad or was made by a
    # recorded op: wrap the change in ``with tinygrad_cnn.no_grad():``.
    def _in_place(self, op: str, write, value=None) -> Tensor:
        """Run ``write()``, which changes ``self.data`` in place, after the checks every in-place
        method shares (``value``: what is written, when it is a Tensor), and count the change in
        the version counter only once it is made: a refused or failed write changes nothing."""
        if engine.is_grad_enabled():
            if self.requires_grad or self._ctx is not None:
                raise RuntimeError(
                    f"{op}: in-place change of a tensor that requires grad (shape {self.shape}); "
                    "wrap it in `with no_grad():` or use the out-of-place op"
                )
            if isinstance(value, Tensor) and value.requires_grad:
                raise RuntimeError(
                    f"{op}: the value written in place requires grad, but in-place writes are not "
                    "recorded in the graph and its gradient would be lost; build the tensor out "
                    "of place (tg.cat, tg.stack, tg.where) or write value.detach()"
                )
        return self._write(op, write)

    def _write(self, op: str, write) -> Tensor:
        """The part of :meth:`_in_place` that holds for writes made outside the graph on purpose
        too (the initialisers, ``load_state_dict``): refuse memory that is read-only or a
        broadcast view, run ``write()``, and count the change once it is made."""
        self._check_writable(op)
        write()
        self._version += 1
        return self

    def _check_writable(self, op: str, arg: str | None = None) -> None:
        """Refuse to write into memory that is read-only or a broadcast view (``arg``: the name
        the caller knows the tensor by). Callers that write several tensors check them all
        first, so that a refusal leaves every one unchanged."""
        if not backend.writable_alone(self.data):
            where = f"{op}: {arg}:" if arg else f"{op}:"
            raise RuntimeError(f"{where} the tensor's memory is read-only or shared between its "
                               f"elements (an expand or broadcast view); write into x.clone() instead")

    def _check_broadcasts(self, op: str, arg: str, value: Tensor) -> None:
        """An in-place operand must broadcast to this tensor's shape, which cannot change."""
        if value.shape != self.shape and not ops.shape.broadcasts_to(value.shape, self.shape):
            raise ValueError(f"{op}: {arg}: expected a shape that broadcasts to {self.shape} (this "
                             f"tensor's), got {value.shape}")

    def _combine_in_place(self, op: str, ufunc: str, other, alpha=1) -> Tensor:
        """``self = ufunc(self, alpha * other)`` in place (``ufunc``: add, subtract, multiply or
        true_divide). Refused, as in PyTorch, when the result is of a higher kind than this
        tensor's dtype (a float into an integer tensor, any true division of one, an integer
        into a bool tensor): writing it back would silently drop the difference. Within a kind
        the result is cast back as PyTorch does (float64 into float32; integers wrap round in
        uint8). ``other`` must be on this tensor's device (the ops refuse mixed devices too;
        PyTorch lets a 0-d CPU tensor through)."""
        other = as_tensor(other, like=self)
        device = self.device
        if other.device != device:
            raise RuntimeError(f"{op}: other: expected a tensor on {device} (this tensor's "
                               f"device), got one on {other.device}")
        # The common case (an optimiser's update: same dtype, same shape) skips the type rule
        # and the broadcast check, which cost more than the arithmetic on small tensors.
        result = self.dtype if other.dtype == self.dtype else ops._promote.result_dtype(self, other)
        if ufunc == "true_divide" and result.kind in "biu":
            result = np.dtype(np.float32)
        if _KIND_RANK[result.kind] > _KIND_RANK[self.dtype.kind]:
            raise TypeError(f"{op}: other: the result is {result} ({self.dtype} with {other.dtype}), "
                            f"which cannot be written into this {self.dtype} tensor in place; use the "
                            f"out-of-place op, or convert the tensor first (e.g. x.float())")
        self._check_broadcasts(op, "other", other)
        if ufunc == "subtract" and result.kind == "b":
            raise TypeError(f"{op}: bool tensors cannot be subtracted (as in PyTorch); convert "
                            f"them first (e.g. x.long())")
        values = other.data
        if alpha != 1:
            if result.kind in "biu" and not isinstance(alpha, numbers.Integral):
                raise TypeError(f"{op}: alpha: expected an integer, since the result is {result} "
                                f"(as in PyTorch), got {alpha!r}")
            xp = device.xp  # alpha in the result's type: -1 becomes 255 in uint8, as a wrap
            values = values.astype(result, copy=False) * xp.asarray(alpha).astype(result)
        combine = getattr(device.xp, ufunc)
        return self._in_place(op, lambda: combine(self.data, values, out=self.data, casting="unsafe"), other)

    def zero_(self) -> Tensor:
        """Set every element to 0 in place and return the tensor.

        >>> Tensor([1.0, 2.0]).zero_().tolist()
        [0.0, 0.0]
        """
        return self._in_place("zero_", lambda: self.data.__setitem__(Ellipsis, 0))

    def fill_(self, value) -> Tensor:
        """Set every element to ``value`` in place and return the tensor.

        >>> Tensor([1.0, 2.0]).fill_(7).tolist()
        [7.0, 7.0]
        """
        if isinstance(value, Tensor):  # a 0-d tensor, as in PyTorch, read as its number
            if value.ndim:
                raise ValueError(f"fill_: value: expected a number or a 0-d tensor, got a tensor of "
                                 f"shape {value.shape}")
            number = value.item()
        elif isinstance(value, (numbers.Real, np.bool_)):  # not complex: its imaginary part would be lost
            number = value
        else:
            raise TypeError(f"fill_: value: expected a number or a 0-d tensor, got "
                            f"{type(value).__name__} {value!r}")
        return self._in_place("fill_", lambda: self.data.__setitem__(Ellipsis, number), value)

    def copy_(self, src) -> Tensor:
        """Write ``src`` (broadcast to this shape, cast to this dtype, moved to this device) into
        the tensor in place and return it.

        >>> Tensor([[0, 0], [0, 0]]).copy_([1, 2]).tolist()
        [[1, 2], [1, 2]]
        """
        values = as_tensor(src, like=self)
        self._check_broadcasts("copy_", "src", values)
        if values.device != self.device:
            values = values.to(self.device)
        return self._in_place("copy_", lambda: self.data.__setitem__(Ellipsis, values.data), src)

    def add_(self, other, alpha=1) -> Tensor:
        """Add ``alpha * other`` in place and return the tensor.

        >>> Tensor([1.0, 2.0]).add_(Tensor([1.0, 1.0]), alpha=10).tolist()
        [11.0, 12.0]
        """
        return self._combine_in_place("add_", "add", other, alpha)

    def scatter_(self, dim, index, src) -> Tensor:
        """In-place :meth:`scatter` (not recorded: refused inside a graph, as ``add_``).

        >>> x = Tensor([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
        >>> x.scatter_(1, Tensor([[2], [0]]), 1.0).tolist()
        [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
        """
        target, at, values = ops.shape.in_place_scatter("scatter_", self, dim, index, src, add=False)
        return self._in_place("scatter_", lambda: target.__setitem__(at, values), src)

    def scatter_add_(self, dim, index, src) -> Tensor:
        """In-place :meth:`scatter_add` (not recorded: refused inside a graph, as ``add_``).

        >>> Tensor([0.0, 0.0, 0.0]).scatter_add_(0, Tensor([0, 2, 2]), Tensor([1.0, 1.0, 1.0])).tolist()
        [1.0, 0.0, 2.0]
        """
        target, at, values = ops.shape.in_place_scatter("scatter_add_", self, dim, index, src, add=True)
        return self._in_place("scatter_add_", lambda: backend.scatter_add(target, at, values), src)

    def sub_(self, other, alpha=1) -> Tensor:
        """Subtract ``alpha * other`` in place and return the tensor (``x -= other`` does the same).

        >>> Tensor([1.0, 2.0]).sub_(1).tolist()
        [0.0, 1.0]
        """
        return self._combine_in_place("sub_", "subtract", other, alpha)

    def mul_(self, other) -> Tensor:
        """Multiply by ``other`` in place and return the tensor (``x *= other`` does the same).

        >>> Tensor([1.0, 2.0]).mul_(3).tolist()
        [3.0, 6.0]
        """
        return self._combine_in_place("mul_", "multiply", other)

    # ``x += y`` changes x in place, as in PyTorch (refused, like add_, inside a graph).
    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self._combine_in_place("div_", "true_divide", other)

    def div_(self, other) -> Tensor:
        """Divide by ``other`` in place and return the tensor (``x /= other`` does the same).

        >>> Tensor([1.0, 2.0]).div_(2).tolist()
        [0.5, 1.0]
        """
        return self.__itruediv__(other)

    def __setitem__(self, index, value) -> None:
        values = as_tensor(value, like=self).data
        ints, index = ops.shape.split_index(ops.shape.normalize_index(index))
        target = self.data if ints is None else self.data[ints]  # a view: written through
        at = ops.shape.index_on(index, self.device)
        self._in_place("__setitem__", lambda: target.__setitem__(at, values), value)

    # -- arithmetic (broadcasting, reflected forms) -----------------------------------------
    def __add__(self, other):
        return ops.elementwise.add(self, other)

    def __radd__(self, other):
        return ops.elementwise.add(other, self)

    def __sub__(self, other):
        return ops.elementwise.sub(self, other)

    def __rsub__(self, other):
        return ops.elementwise.sub(other, self)

    def __mul__(self, other):
        return ops.elementwise.mul(self, other)

    def __rmul__(self, other):
        return ops.elementwise.mul(other, self)

    def __truediv__(self, other):
        return ops.elementwise.div(self, other)

    def __rtruediv__(self, other):
        return ops.elementwise.div(other, self)

    def __pow__(self, other):
        return ops.elementwise.pow(self, other)

    def __rpow__(self, other):
        return ops.elementwise.pow(other, self)

    def __matmul__(self, other):
        return ops.linalg.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.linalg.matmul(other, self)

    def __neg__(self):
        return ops.elementwise.neg(self)

    def __abs__(self):
        return ops.elementwise.abs(self)

    # Comparisons give bool tensors outside the graph.
    def __eq__(self, other):  # type: ignore[override]
        if other is None:
            return False  # as in PyTorch: a tensor is never None
        return ops.elementwise.compare(self, other, "eq")

    def __ne__(self, other):  # type: ignore[override]
        if other is None:
            return True
        return ops.elementwise.compare(self, other, "ne")

    def __lt__(self, other):
        return ops.elementwise.compare(self, other, "lt")

    def __le__(self, other):
        return ops.elementwise.compare(self, other, "le")

    def __gt__(self, other):
        return ops.elementwise.compare(self, other, "gt")

    def __ge__(self, other):
        return ops.elementwise.compare(self, other, "ge")

    __hash__ = object.__hash__

    # -- indexing ---------------------------------------------------------------------------
    def __getitem__(self, index):
        return ops.shape.getitem(self, index)

    def __iter__(self):
        return (self[i] for i in range(len(self)))


def as_tensor(value, like: Tensor) -> Tensor:
    """``value`` as a Tensor on ``like``'s device; a Python number takes the dtype PyTorch's
    promotion gives it beside ``like`` (``ops._promote``: ``like``'s own dtype unless the
    number is of a higher category, as a float beside an integer tensor)."""
    if isinstance(value, Tensor):
        return value
    if type(value) in (float, int) and like.dtype.kind == "f":  # the common case: x * 0.5
        return Tensor._wrap(like.device.xp.asarray(value, dtype=like.dtype))
    if isinstance(value, numbers.Number):
        dtype = ops._promote.result_dtype(like, value)
        return Tensor._wrap(like.device.xp.asarray(value, dtype=dtype))
    if backend._is_array(value):
        return Tensor._wrap(value)
    return Tensor(value, device=like.device)


# Tensor methods forward to the op families; they import this module, so load them last.
from tinygrad_cnn import ops  # noqa: E402
