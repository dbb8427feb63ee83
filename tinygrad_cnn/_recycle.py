"""Recycled host memory for the ops (NumPy only): scratch buffers and op results.

On the machine kind this project is measured on, the first touch of every fresh 4 KiB page
costs a page fault, and a LeNet-5 training step made about 1,550 of them (several
milliseconds of a 15-20 ms step) before its ops recycled their memory; it now makes a
handful. ``backend.retain_host_memory()`` gets the same by changing the whole process's
allocator; this module does it for the ops' own arrays and touches nothing else.

Two pools, both per thread and NumPy-only (CuPy's memory pool already recycles device
memory, and knows about streams):

* **Scratch buffers** (:func:`take_buffer` / :func:`give_buffer`): arrays an op uses inside
  itself and hands back explicitly (patch matrices, padded copies, pooling's cell copies).
  Those under 64 KiB are plain ``np.empty`` arrays, as results of that size are below.
* **Results** (:func:`new_array`): arrays that leave the op. A buffer is handed out again
  only once nothing refers to it but this pool: every view of a NumPy array holds a reference
  to the array that owns the memory, so the buffer's reference count says whether any view
  (a tensor's data, a slice of it, a ``torch.from_numpy`` of it) is still alive. A result
  therefore never shares memory with an array still alive (raw pointers taken from one,
  through ``ctypes`` or ``__array_interface__``, are not references and are not tracked).
  The count that means "unused" is measured at import and checked against a buffer with one
  view; where reference counts do not behave that way (no ``sys.getrefcount``, say), results
  are not pooled. Arrays under 64 KiB, which the allocator serves from memory it already
  has, are not pooled either. Results can be laid out in a given axis order
  (:func:`memory_order`), so that an op's result is laid out like its input.

Besides, :func:`zero_like` keeps read-only arrays of zeros for ufuncs that run faster against
an array than against a scalar. :func:`release` empties the calling thread's pools and zeros.
"""

from __future__ import annotations

import math
import sys
import threading
from collections import OrderedDict

import numpy as np

__all__ = [
    "take_buffer", "give_buffer", "memory_order", "ordered_view", "new_array", "laid_out_copy",
    "outer_pieces", "recycled_ufunc", "zero_like", "release",
]

_POOL = threading.local()

# Scratch: free buffers kept by size, up to six of each (max-pooling takes six at once), for
# the few most recently used sizes (a network alternates between its layers' shapes). A size
# only ever holds as many buffers as were in use at the same time.
_SCRATCH_SIZES = 8
_SCRATCH_PER_SIZE = 6
_SCRATCH_BYTES = 256 << 20

# Results: a LeNet-5 step keeps up to 4 results of one size alive at once, the BNCNN model 8.
# The least recently used sizes are let go beyond _RESULT_SIZES (shapes that stop coming
# up, such as a last partial batch, do not hold memory for ever).
_MIN_BYTES = 64 << 10
_RESULT_SIZES = 32
_RESULTS_PER_SIZE = 16
_RESULTS_BYTES = 256 << 20

# Zeros (read-only, for ufuncs that run faster against an array than against a scalar):
# one array per size, for the few most recently used sizes of _MIN_BYTES to _ZERO_BYTES.
_ZERO_SIZES = 8
_ZERO_BYTES = 32 << 20


class _SizedLists(OrderedDict):
    """A pool's buffers by (size, dtype): one list per key, the most recently used key last,
    and ``nbytes``, what the lists hold in all (kept as buffers come and go: summing it on
    every call cost more than the rest of the pool's work)."""

    def __init__(self) -> None:
        super().__init__()
        self.nbytes = 0

    def hold(self, key, buf, per_size: int, max_bytes: int, max_sizes: int) -> None:
        """Keep ``buf`` under ``key`` when that key has room and the total stays within
        ``max_bytes``; then let go of the least recently used keys beyond ``max_sizes``."""
        stack = self.setdefault(key, [])
        self.move_to_end(key)
        if len(stack) < per_size and self.nbytes + buf.nbytes <= max_bytes:
            stack.append(buf)
            self.nbytes += buf.nbytes
        while len(self) > max_sizes:
            _, dropped = self.popitem(last=False)  # views still in use keep their memory
            self.nbytes -= sum(b.nbytes for b in dropped)

    def take(self, key):
        """A buffer held under ``key``, no longer held, or None."""
        stack = self.get(key)
        if not stack:
            return None
        buf = stack.pop()
        self.nbytes -= buf.nbytes
        return buf


def _lists(name: str) -> _SizedLists:
    """The calling thread's pool ``name``: "free" scratch buffers, "results", or "zeros"."""
    lists = getattr(_POOL, name, None)
    if lists is None:
        lists = _SizedLists()
        setattr(_POOL, name, lists)
    return lists


def take_buffer(xp, shape, dtype):
    """A contiguous array of ``shape`` that the caller owns until it hands it back with
    :func:`give_buffer` (a recycled one when available, so its pages are already mapped)."""
    if xp is not np:
        return xp.empty(shape, dtype=dtype)
    dtype = np.dtype(dtype)
    size = math.prod(shape)
    if size * dtype.itemsize < _MIN_BYTES:  # served from memory the allocator already has
        return np.empty(shape, dtype=dtype)
    buf = _lists("free").take((size, dtype.str))
    return np.empty(shape, dtype=dtype) if buf is None else buf.reshape(shape)


def give_buffer(xp, buf) -> None:
    """Hand back a contiguous buffer from :func:`take_buffer`; nothing may use it afterwards."""
    if xp is np and buf.nbytes >= _MIN_BYTES:
        _lists("free").hold((buf.size, buf.dtype.str), buf, _SCRATCH_PER_SIZE, _SCRATCH_BYTES,
                            _SCRATCH_SIZES)


def memory_order(x):
    """The axes of ``x`` from the outermost in memory to the innermost, or None when that is
    their own order (C order). A convolution's output, an NCHW view of (C, N, H, W) memory,
    gives (1, 0, 2, 3).

    >>> import numpy as np
    >>> memory_order(np.zeros((2, 3, 4, 5)).transpose(1, 0, 2, 3))
    (1, 0, 2, 3)
    """
    if x.flags.c_contiguous:
        return None
    strides, shape = x.strides, x.shape
    if any(s == 0 and n > 1 for s, n in zip(strides, shape)):
        return None  # a broadcast view has no layout worth copying
    # Size-1 axes go innermost: any place is right for them.
    order = tuple(sorted(range(x.ndim), key=lambda i: -abs(strides[i]) if shape[i] > 1 else 1))
    return None if order == tuple(range(x.ndim)) else order


def ordered_view(buf, shape, order):
    """``buf`` (contiguous, of ``shape``'s size) as an array of ``shape`` whose axes lie in
    memory in ``order`` (outermost first, as :func:`memory_order` gives; None: C order)."""
    if order is None:
        return buf.reshape(shape)
    inverse = [0] * len(order)
    for place, axis in enumerate(order):
        inverse[axis] = place
    return buf.reshape([shape[axis] for axis in order]).transpose(inverse)


def new_array(xp, shape, dtype, order=None):
    """An uninitialised array of ``shape`` and ``dtype`` for an op's result, laid out with its
    axes in the memory ``order`` given (from :func:`memory_order`; None: C order).

    Results laid out like their inputs let every elementwise pass run through memory in
    sequence (NumPy's own ``order='K'``): a ReLU of a convolution's output then neither
    reads nor writes across the grain.

    >>> import numpy as np
    >>> a = new_array(np, (512, 512), np.float32)
    >>> a.shape, a.dtype
    ((512, 512), dtype('float32'))
    >>> b = new_array(np, (512, 512), np.float32)   # ``a`` is alive: other memory
    >>> np.shares_memory(a, b)
    False
    """
    if order is not None:
        return ordered_view(new_array(xp, (math.prod(shape),), dtype), shape, order)
    dtype = np.dtype(dtype)
    size = math.prod(shape)
    if xp is not np or size * dtype.itemsize < _MIN_BYTES or _UNUSED is None:
        return xp.empty(shape, dtype=dtype)
    results = _lists("results")
    key = (size, dtype.str)
    buffers = results.get(key)
    if buffers is not None:
        results.move_to_end(key)
        for i in range(len(buffers)):  # an index: a loop variable would be one more reference
            if sys.getrefcount(buffers[i]) == _UNUSED:  # nothing but this list refers to it
                return buffers[i].reshape(shape)
    buf = np.empty(size, dtype=dtype)
    results.hold(key, buf, _RESULTS_PER_SIZE, _RESULTS_BYTES, _RESULT_SIZES)
    return buf.reshape(shape)


def laid_out_copy(xp, a, order):
    """A copy of ``a`` in :func:`new_array` memory laid out in ``order`` (see
    :func:`memory_order`; None: C order)."""
    out = new_array(xp, a.shape, a.dtype, order)
    out[...] = a
    return out


def outer_pieces(x, piece_bytes, axes=None, itemsize=None) -> list:
    """Index tuples that split ``x`` into pieces of about ``piece_bytes`` (counting
    ``itemsize`` bytes per value, default x's) along its outermost axis in memory, when that
    axis is one of ``axes`` (default: any); otherwise one piece, ``(Ellipsis,)``.

    Work done a piece at a time keeps its scratch in the cache between passes.

    >>> import numpy as np
    >>> outer_pieces(np.zeros((4, 256)), 4096)
    [(slice(0, 2, None),), (slice(2, 4, None),)]
    """
    order = memory_order(x) or tuple(range(x.ndim))
    if not x.size or not order or (axes is not None and order[0] not in axes):
        return [(Ellipsis,)]
    axis, count = order[0], x.shape[order[0]]
    total = x.size * (x.itemsize if itemsize is None else itemsize)
    step = max(1, min(count, piece_bytes * count // total))
    lead = (slice(None),) * axis
    return [lead + (slice(first, min(count, first + step)),) for first in range(0, count, step)]


def recycled_ufunc(xp, name, *args, dtype=None):
    """``xp.<name>(*args)``, on NumPy written into :func:`new_array` memory, in the result type
    NumPy gives (``dtype``, default ``np.result_type(*args)``; pass it for comparisons). CuPy
    runs its own ufunc, with its own allocation and type rules.

    >>> import numpy as np
    >>> recycled_ufunc(np, "maximum", np.array([-1.0, 2.0], dtype=np.float32), 0)
    array([0., 2.], dtype=float32)
    """
    ufunc = getattr(xp, name)
    if xp is not np:
        return ufunc(*args)
    arrays = [a for a in args if type(a) is np.ndarray]
    if math.prod([a.size for a in arrays]) * 8 < _MIN_BYTES:
        # The result (no larger than this product) is too small to pool: NumPy's own
        # allocation is cheaper than working out its shape and type here.
        out = np.asarray(ufunc(*args))  # an array even from 0-d inputs, as with out=
        return out if dtype is None or out.dtype == dtype else out.astype(dtype)
    # np.broadcast_shapes costs microseconds: skip it when every array has one shape.
    shape = arrays[0].shape if arrays else ()
    if any(a.shape != shape for a in arrays):
        shape = np.broadcast_shapes(*[np.shape(a) for a in args])
    dtype = np.dtype(np.result_type(*args) if dtype is None else dtype)
    order = None
    if math.prod(shape) * dtype.itemsize >= _MIN_BYTES:  # a pooled result: lay it out like
        like = next((a for a in arrays if a.shape == shape), None)  # its input (order='K')
        order = None if like is None else memory_order(like)
    return ufunc(*args, out=new_array(np, shape, dtype, order))


def zero_like(xp, x):
    """A zero to hand a ufunc next to ``x``: a kept read-only array of zeros laid out like
    ``x`` for NumPy float arrays of 64 KiB to 32 MiB, the scalar 0 otherwise.

    NumPy 2 vectorises ``maximum`` of two arrays but not of an array and a scalar: on
    LeNet-5's first activation (1.2 MB) ``np.maximum(x, zeros)`` took 0.06 ms and
    ``np.maximum(x, 0)`` 0.16-0.25 ms here. Larger arrays would hold too much memory, and a
    fresh one per call would cost its page faults.

    >>> import numpy as np
    >>> z = zero_like(np, np.ones((128, 128), np.float32))
    >>> z.shape, bool(z.any()), z.flags.writeable
    ((128, 128), False, False)
    >>> zero_like(np, np.ones(3))
    0
    """
    if xp is not np or x.dtype.kind != "f" or not _MIN_BYTES <= x.nbytes <= _ZERO_BYTES:
        return 0
    kept, key = _lists("zeros"), (x.size, x.dtype.str)
    held = kept.get(key)
    if held:  # shared, never taken: the caller only reads it
        kept.move_to_end(key)
        buf = held[0]
    else:
        buf = np.zeros(x.size, dtype=x.dtype)
        buf.flags.writeable = False
        kept.hold(key, buf, 1, _ZERO_SIZES * _ZERO_BYTES, _ZERO_SIZES)
    return ordered_view(buf, x.shape, memory_order(x))


def release() -> None:
    """Let go of the calling thread's pooled buffers (results still in use stay valid)."""
    _POOL.__dict__.clear()


def _unused_count():
    """The reference count that :func:`new_array` sees for a pooled buffer nothing else
    refers to, measured with the same expression; None (no pooling) unless one view of the
    buffer raises the count by exactly one, as the pool's test relies on."""
    if not hasattr(sys, "getrefcount"):
        return None
    buffers = [np.empty(1)]
    unused = sys.getrefcount(buffers[0])
    view = buffers[0][:]
    used = sys.getrefcount(buffers[0])
    del view
    return unused if used == unused + 1 and unused == sys.getrefcount(buffers[0]) else None


_UNUSED = _unused_count()
