"""Shape ops: reshape, permute, broadcasting, indexing, concatenation and padding.

Each backward is the inverse movement of the gradient (reshape back, permute back, sum a
broadcast, scatter an index), itself written as one of these ops.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from tinygrad_cnn import backend
from tinygrad_cnn.function import Function
from tinygrad_cnn.ops._args import check_int
from tinygrad_cnn.ops._promote import promoted
from tinygrad_cnn.tensor import Tensor

__all__ = [
    "reshape", "flatten", "permute", "transpose", "squeeze", "unsqueeze", "expand",
    "broadcast_to", "sum_to", "getitem", "cat", "stack", "split", "chunk", "pad",
    "normalize_index", "gather", "scatter", "scatter_add",
]


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _dim(dim: int, ndim: int, arg: str = "dim") -> int:
    """``dim`` as a non-negative axis; a 0-d tensor takes 0 or -1, as in PyTorch."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{arg}: expected a dimension in [{-n}, {n - 1}], got {dim}")
    return dim % n


class Reshape(Function):
    may_return_view = True

    def forward(self, x, shape):
        self.in_shape = x.shape
        return x.reshape(shape)

    def backward(self, grad):
        return grad.reshape(self.in_shape)


def reshape(x, *shape) -> Tensor:
    """A tensor with the same data in a new shape (one entry may be -1).

    >>> from tinygrad_cnn import Tensor
    >>> Tensor([1.0, 2.0, 3.0, 4.0]).reshape(2, -1).shape
    (2, 2)
    """
    asked = _shape_arg(shape)
    shape, numel = asked, x.numel()
    holes = asked.count(-1)
    known = -math.prod(asked) if holes else math.prod(asked)  # the product of the other entries
    fits = (known > 0 and numel % known == 0) if holes else known == numel
    if any(s < -1 for s in asked) or holes > 1 or not fits:
        raise ValueError(f"reshape: cannot view shape {x.shape} ({numel} elements) as {asked}")
    if holes:
        # Resolved here, so that a reshape to the shape x already has, written with -1 as
        # backward passes often write it, records no op.
        shape = tuple(numel // known if s == -1 else s for s in asked)
    if shape == x.shape:
        return x
    return Reshape.apply(x, shape=shape)


def flatten(x, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` (both included) into one.

    >>> import tinygrad_cnn as tg
    >>> tg.zeros(2, 3, 4).flatten().shape, tg.zeros(2, 3, 4).flatten(1).shape
    ((24,), (2, 12))
    """
    if x.ndim == 0:
        return x.reshape(1)
    s, e = _dim(start_dim, x.ndim, "start_dim"), _dim(end_dim, x.ndim, "end_dim")
    if s > e:
        raise ValueError(f"flatten: start_dim ({start_dim}) must not come after end_dim ({end_dim})")
    return x.reshape(*x.shape[:s], math.prod(x.shape[s:e + 1]), *x.shape[e + 1:])


def squeeze(x, dim=None) -> Tensor:
    """Drop size-1 dims: all of them, or those of ``dim`` (an int or a tuple) that have size 1.

    >>> import tinygrad_cnn as tg
    >>> tg.zeros(1, 2, 1).squeeze().shape, tg.zeros(1, 2, 1).squeeze((0, 1)).shape
    ((2,), (2, 1))
    """
    if dim is None:
        dims = range(x.ndim)
    else:
        listed = [_dim(d, x.ndim) for d in ((dim,) if isinstance(dim, numbers.Integral) else dim)]
        if len(set(listed)) != len(listed):
            raise ValueError(f"squeeze: dim: a dimension appears twice in {dim}")
        dims = set(listed)
    drop = {d for d in dims if x.ndim and x.shape[d] == 1}
    if not drop:
        return x
    return x.reshape(*[s for i, s in enumerate(x.shape) if i not in drop])


def unsqueeze(x, dim: int) -> Tensor:
    """Insert a size-1 dim at ``dim`` (negative counts from the end of the result).

    >>> import tinygrad_cnn as tg
    >>> tg.zeros(2, 3).unsqueeze(0).shape, tg.zeros(2, 3).unsqueeze(-1).shape
    ((1, 2, 3), (2, 3, 1))
    """
    d = _dim(dim, x.ndim + 1)
    return x.reshape(*x.shape[:d], 1, *x.shape[d:])


class Permute(Function):
    may_return_view = True

    def forward(self, x, dims):
        self.inverse = tuple(np.argsort(dims))
        return x.transpose(dims)

    def backward(self, grad):
        return grad.permute(*self.inverse)


def permute(x, *dims) -> Tensor:
    """Reorder dims: dim ``i`` of the result is dim ``dims[i]`` of ``x`` (a view, no copy).

    >>> import tinygrad_cnn as tg
    >>> tg.zeros(2, 3, 4, 5).permute(0, 2, 3, 1).shape
    (2, 4, 5, 3)
    """
    dims = _shape_arg(dims)
    if sorted(d % max(x.ndim, 1) for d in dims) != list(range(x.ndim)) or len(dims) != x.ndim:
        raise ValueError(f"permute: expected a permutation of {x.ndim} dims, got {dims}")
    dims = tuple(d % x.ndim for d in dims)
    if dims == tuple(range(x.ndim)):
        return x
    return Permute.apply(x, dims=dims)


def transpose(x, dim0: int, dim1: int) -> Tensor:
    """Swap two dims.

    >>> from tinygrad_cnn import Tensor
    >>> Tensor([[1, 2, 3]]).transpose(0, 1).tolist()
    [[1], [2], [3]]
    """
    dims = list(range(x.ndim))
    a, b = _dim(dim0, x.ndim, "dim0"), _dim(dim1, x.ndim, "dim1")
    dims[a], dims[b] = dims[b], dims[a]
    return permute(x, *dims)


# -- broadcasting ---------------------------------------------------------------------------
class BroadcastTo(Function):
    may_return_view = True

    def forward(self, x, shape):
        self.in_shape = x.shape
        return self.xp.broadcast_to(x, shape)

    def backward(self, grad):
        return sum_to(grad, self.in_shape)


class SumTo(Function):
    def forward(self, x, shape):
        self.in_shape = x.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, s in enumerate(shape) if s == 1 and x.shape[lead + i] != 1
        )
        out = x.sum(axis=axes, keepdims=True) if axes else x
        return out.reshape(shape)

    def backward(self, grad):
        return broadcast_to(grad, self.in_shape)


def broadcasts_to(shape: tuple, target: tuple) -> bool:
    """Whether an array of ``shape`` broadcasts to exactly ``target`` (NumPy's rules).

    >>> broadcasts_to((3, 1), (2, 3, 4)), broadcasts_to((2,), (2, 3))
    (True, False)
    """
    try:
        return np.broadcast_shapes(tuple(shape), tuple(target)) == tuple(target)
    except ValueError:
        return False


def broadcast_to(x, shape) -> Tensor:
    """``x`` repeated (without copying) to ``shape`` by NumPy's broadcasting rules; the
    gradient is summed back to x's shape.

    >>> from tinygrad_cnn import Tensor
    >>> broadcast_to(Tensor([1.0, 2.0]), (2, 2)).tolist()
    [[1.0, 2.0], [1.0, 2.0]]
    """
    shape = tuple(shape)
    if x.shape == shape:
        return x
    if not broadcasts_to(x.shape, shape):
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}")
    return BroadcastTo.apply(x, shape=shape)


def expand(x, *shape) -> Tensor:
    """PyTorch's ``expand``: broadcast to ``shape``, where -1 keeps a dim.

    >>> from tinygrad_cnn import Tensor
    >>> Tensor([[1.0], [2.0]]).expand(-1, 3).tolist()
    [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]
    """
    shape = _shape_arg(shape)
    lead = len(shape) - x.ndim
    if lead < 0:
        raise ValueError(f"expand: shape {shape} has fewer dims than the tensor's {x.shape}")
    if -1 in shape[:lead]:
        raise ValueError(f"expand: -1 keeps an existing dim; shape {shape} puts it in one of the "
                         f"{lead} new leading dims of a tensor of shape {x.shape}")
    full = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
    return broadcast_to(x, full)


def sum_to(x, shape) -> Tensor:
    """Sum ``x`` down to ``shape`` (the inverse of broadcasting ``shape`` to ``x.shape``).

    >>> from tinygrad_cnn import Tensor
    >>> x = Tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> sum_to(x, (1, 2)).tolist(), sum_to(x, (2,)).tolist()
    ([[4.0, 6.0]], [4.0, 6.0])
    """
    shape = tuple(shape)
    if x.shape == shape:
        return x
    if np.broadcast_shapes(x.shape, shape) != x.shape:
        raise ValueError(f"sum_to: shape {shape} does not broadcast to {x.shape}")
    return SumTo.apply(x, shape=shape)


# -- indexing -------------------------------------------------------------------------------
def normalize_index(index):
    """Turn Tensors and lists inside an index into arrays, keep slices/ints/None/Ellipsis.

    >>> from tinygrad_cnn import Tensor
    >>> normalize_index((Tensor([0, 2]), slice(None), [1]))
    (array([0, 2]), slice(None, None, None), array([1]))
    """
    if isinstance(index, tuple):
        return tuple(_index_part(i) for i in index)
    return _index_part(index)


def split_index(index):
    """PyTorch applies the integers of an index before its arrays, where NumPy counts them as
    arrays too: ``x[1, :, [0, 2]]`` of a (3, 4, 5) x is (4, 2) in PyTorch and (2, 4) in NumPy.
    Returns ``(ints, rest)``: a basic index taking the integers and the index left for its
    result (same meaning as PyTorch's), or ``(None, index)`` when nothing needs splitting.
    ``index`` is normalized."""
    parts = index if isinstance(index, tuple) else (index,)
    if not _is_advanced(parts) or not any(type(p) is int for p in parts):
        return None, index
    ints, rest = [], []
    for p in parts:
        if type(p) is int:
            ints.append(p)
        elif p is None:
            rest.append(p)
        elif p is Ellipsis:
            ints.append(p)
            rest.append(p)
        else:  # a slice or an array: it keeps its dims for the second step (bool masks: ndim)
            mask = getattr(getattr(p, "dtype", None), "kind", "") == "b"
            ints.extend([slice(None)] * (p.ndim if mask else 1))
            rest.append(p)
    return tuple(ints), tuple(rest)


def _index_part(i):
    if isinstance(i, numbers.Integral) and not isinstance(i, (bool, np.bool_)):
        return int(i)  # NumPy integers index as Python ints, as in PyTorch
    if isinstance(i, Tensor):
        if i.dtype.kind not in "biu":
            raise IndexError(f"index: tensors used as indices must be integer or bool, got {i.dtype}")
        return i.data
    if isinstance(i, list):
        return np.asarray(i) if i else np.zeros(0, np.int64)  # [] selects nothing, as in PyTorch
    return i


def _is_advanced(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(not isinstance(p, (int, slice, type(None), type(Ellipsis))) for p in parts)


class GetItem(Function):
    may_return_view = True

    def forward(self, x, index):
        self.in_shape = x.shape
        return x[index]

    def backward(self, grad):
        return IndexAdd.apply(grad, shape=self.in_shape, index=self.settings["index"])


class IndexAdd(Function):
    """Scatter ``grad`` into zeros of ``shape`` at ``index`` (repeated indices add up)."""

    def forward(self, grad, shape, index):
        out = self.xp.zeros(shape, dtype=grad.dtype)
        if _is_advanced(index):
            backend.scatter_add(out, index, grad)
        else:
            out[index] = grad
        return out

    def backward(self, grad):
        return grad[self.settings["index"]]


def getitem(x, index) -> Tensor:
    """Indexing with ints, slices, None, Ellipsis, integer and bool arrays, as in PyTorch
    (which places the dims of an index mixing ints and arrays as if the ints came first, see
    :func:`split_index`; otherwise as NumPy).

    >>> import tinygrad_cnn as tg
    >>> tg.zeros(3, 4, 5)[1, :, [0, 2, 4]].shape
    (4, 3)
    """
    ints, index = split_index(normalize_index(index))
    if ints is not None:
        x = GetItem.apply(x, index=ints)
    return GetItem.apply(x, index=index_on(index, x.device))


def index_on(index, device):
    """``index`` with its NumPy arrays moved to ``device`` (CuPy indexes with CuPy arrays)."""
    if not _is_advanced(index):
        return index
    parts = index if isinstance(index, tuple) else (index,)
    moved = tuple(backend.to_device(p, device) if isinstance(p, np.ndarray) else p for p in parts)
    return moved if isinstance(index, tuple) else moved[0]


# -- joining and padding --------------------------------------------------------------------
class Cat(Function):
    def forward(self, *xs, dim):
        self.sizes = [x.shape[dim] for x in xs]
        return self.xp.concatenate(xs, axis=dim)

    def backward(self, grad):
        dim, start, grads = self.settings["dim"], 0, []
        lead = (slice(None),) * dim
        for size, need in zip(self.sizes, self.needs_input_grad):
            grads.append(grad[lead + (slice(start, start + size),)] if need else None)
            start += size
        return tuple(grads)


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dim.

    >>> from tinygrad_cnn import Tensor, cat
    >>> cat([Tensor([1.0]), Tensor([2.0, 3.0])]).tolist()
    [1.0, 2.0, 3.0]
    """
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    ref = tensors[0]
    d = _dim(dim, ref.ndim)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"cat: tensors[{i}] is a {type(t).__name__}, expected a Tensor")
        if t.ndim != ref.ndim or t.shape[:d] + t.shape[d + 1:] != ref.shape[:d] + ref.shape[d + 1:]:
            raise ValueError(
                f"cat: tensors[{i}] has shape {t.shape}, expected {ref.shape} in every dim but {d}"
            )
    if any(t.dtype != ref.dtype for t in tensors):
        tensors = promoted(*tensors)  # float32 and int64 give float32, as in PyTorch
    return Cat.apply(*tensors, dim=d)


def split(x, split_size_or_sections, dim: int = 0) -> tuple:
    """Pieces of ``x`` along ``dim``: of ``split_size`` each (the last may be smaller), or of
    the given section sizes, as in PyTorch. Views through indexing, so gradients flow back.

    >>> import tinygrad_cnn as tg
    >>> [p.tolist() for p in tg.arange(5).split(2)], [p.shape for p in tg.zeros(5, 2).split([1, 4])]
    ([[0, 1], [2, 3], [4]], [(1, 2), (4, 2)])
    """
    d = _dim(dim, x.ndim)
    n = x.shape[d]
    if isinstance(split_size_or_sections, numbers.Integral):
        size = int(split_size_or_sections)
        if size <= 0:
            raise ValueError(f"split: split_size: expected a positive int, got {size}")
        sizes = [size] * (n // size) + ([n % size] if n % size or n == 0 else [])
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ValueError(f"split: sections {sizes} must be sizes >= 0 summing to dim {d}'s "
                             f"size {n}")
    pieces, start = [], 0
    for size in sizes:
        pieces.append(getitem(x, (slice(None),) * d + (slice(start, start + size),)))
        start += size
    return tuple(pieces)


def chunk(x, chunks: int, dim: int = 0) -> tuple:
    """``x`` in ``chunks`` pieces along ``dim``, each of ceil(size / chunks) (PyTorch's rule,
    so there may be fewer pieces).

    >>> import tinygrad_cnn as tg
    >>> [p.tolist() for p in tg.arange(5).chunk(3)]
    [[0, 1], [2, 3], [4]]
    """
    chunks = check_int("chunk", "chunks", chunks)
    n = x.shape[_dim(dim, x.ndim)]
    if n == 0:  # PyTorch: that many empty pieces
        return split(x, [0] * int(chunks), dim)
    return split(x, -(-n // int(chunks)), dim)


def stack(tensors, dim: int = 0) -> Tensor:
    """Join tensors of one shape along a new dim.

    >>> from tinygrad_cnn import Tensor, stack
    >>> a, b = Tensor([1.0, 2.0]), Tensor([3.0, 4.0])
    >>> stack([a, b]).tolist(), stack([a, b], dim=1).tolist()
    ([[1.0, 2.0], [3.0, 4.0]], [[1.0, 3.0], [2.0, 4.0]])
    """
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: tensors[{i}] has shape {t.shape}, expected {tensors[0].shape}")
    d = _dim(dim, tensors[0].ndim + 1)
    return cat([t.unsqueeze(d) for t in tensors], dim=d)


class Pad(Function):
    def forward(self, x, widths, value):
        self.crop = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))
        if not widths:  # a 0-d tensor: nothing to pad (np.pad refuses an empty width list)
            return x.copy()
        return self.xp.pad(x, widths, mode="constant", constant_values=value)

    def backward(self, grad):
        return grad[self.crop]


PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(x, pad, mode: str = "constant", value=None) -> Tensor:
    """Pad ``x``, PyTorch's ``F.pad``: ``pad`` is ``(left, right)`` for the last dim, then the
    pair for the one before, and so on. ``mode``: ``"constant"`` (``value``, 0 by default),
    ``"reflect"`` (mirrored about the edge value, which is not repeated), ``"replicate"``
    (the edge value repeated) or ``"circular"`` (wrapped round).

    >>> from tinygrad_cnn import Tensor, pad
    >>> pad(Tensor([[1.0]]), (1, 1)).tolist()
    [[0.0, 1.0, 0.0]]
    >>> x = Tensor([[1.0, 2.0, 3.0]])
    >>> pad(x, (2, 1), "reflect").tolist(), pad(x, (2, 1), "replicate").tolist()
    ([[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]], [[1.0, 1.0, 1.0, 2.0, 3.0, 3.0]])
    >>> pad(x, (2, 1), "circular").tolist()
    [[2.0, 3.0, 1.0, 2.0, 3.0, 1.0]]
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"pad: input: expected a Tensor, got {type(x).__name__}")
    if mode not in PAD_MODES:
        raise ValueError(f"pad: mode: expected one of {', '.join(PAD_MODES)}, got {mode!r}")
    if mode != "constant" and value not in (None, 0):
        raise ValueError(f"pad: mode {mode!r} takes no value, got value={value!r}")
    if not isinstance(pad, (tuple, list)):
        raise TypeError(f"pad: pad: expected a tuple of ints, got {type(pad).__name__} {pad!r}")
    pad = tuple(check_int("pad", "pad", p, minimum=0) for p in pad)  # no cropping by negatives
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad: pad: expected an even number of widths, a pair for each of at "
                         f"most {x.ndim} dims, got {pad}")
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if mode == "constant":
        return Pad.apply(x, widths=tuple(widths), value=0.0 if value is None else value)
    for d, (lo, hi) in enumerate(widths):
        if lo or hi:  # gather each padded dim's positions, edges included (differentiable)
            x = getitem(x, (slice(None),) * d + (_pad_positions(mode, x.shape[d], lo, hi, d),))
    return x


def _pad_positions(mode: str, n: int, lo: int, hi: int, dim: int) -> np.ndarray:
    """Which of a dim's ``n`` positions each of its ``lo + n + hi`` padded positions takes."""
    limit = n - 1 if mode == "reflect" else n  # reflect never repeats the edge: at most n - 1
    if n == 0 or (mode != "replicate" and max(lo, hi) > limit):
        raise ValueError(f"pad: mode {mode!r} pads dim {dim} of size {n} by at most {limit} on "
                         f"each side, got ({lo}, {hi})")
    at = np.arange(-lo, n + hi)
    if mode == "replicate":
        return np.clip(at, 0, n - 1)
    if mode == "circular":
        return at % n
    at = np.abs(at)  # reflect: about 0 on the left, about n - 1 on the right
    return np.where(at > n - 1, 2 * (n - 1) - at, at)


# -- gathering and scattering along a dim ---------------------------------------------------
# PyTorch reads a 0-d input, index or src as 1-d of size 1; these ops do the same by
# reshaping (which also keeps a 0-d result from being a view of a 0-d input).
def _one_d(t):
    return t.reshape(1) if isinstance(t, Tensor) and t.ndim == 0 else t


def int_dim(op: str, dim, ndim: int) -> int:
    """``dim`` (an int, not a bool) as a non-negative axis of ``ndim`` dims, named in errors."""
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"{op}: dim: expected an int, got {type(dim).__name__} {dim!r}")
    return _dim(int(dim), ndim, f"{op}: dim")


def positions_along(op: str, x: Tensor, dim, index) -> tuple:
    """The advanced index that reaches ``x`` at ``index`` along ``dim`` and at the same place
    along every other dim (``x[i][index[i][j]]`` for dim 1 of a 2-D ``x``), after PyTorch's
    checks: ``index`` an integer Tensor on ``x``'s device with ``x``'s number of dims, no
    larger than ``x`` in the other dims (unless empty), its values in [0, size of ``dim``).
    ``x`` and ``index`` have at least one dim (see :func:`_one_d`)."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}: index: expected an integer Tensor, got {type(index).__name__}")
    if index.dtype.kind not in "iu":
        raise TypeError(f"{op}: index: expected an integer dtype, got {index.dtype}")
    if index.device != x.device:
        raise ValueError(f"{op}: index: expected a tensor on {x.device} (the input's device), "
                         f"got one on {index.device}")
    d = int_dim(op, dim, x.ndim)
    if index.ndim != x.ndim:
        raise ValueError(f"{op}: index: expected {x.ndim} dims (as the input, shape {x.shape}), "
                         f"got shape {index.shape}")
    for a, (n, m) in enumerate(zip(index.shape, x.shape)):
        if a != d and n > m and index.numel():
            raise ValueError(f"{op}: index: expected at most the input's size {m} in dim {a} "
                             f"(input {x.shape}, index {index.shape})")
    at = index.data
    if at.size and bool(((at < 0) | (at >= x.shape[d])).any()):
        raise IndexError(f"{op}: index: values must be in [0, {x.shape[d] - 1}] (dim {d} of the "
                         f"input, shape {x.shape}), got values in [{int(at.min())}, {int(at.max())}]")
    return grid_along(x.device.xp, d, at)


def grid_along(xp, dim: int, at) -> tuple:
    """The advanced index of :func:`positions_along` for positions ``at`` (an array of at
    least one dim) already known to be valid: ``at`` along ``dim``, aranges along the others."""
    return tuple(at if a == dim else xp.arange(n).reshape((n,) + (1,) * (at.ndim - a - 1))
                 for a, n in enumerate(at.shape))


def gather(x, dim, index) -> Tensor:
    """``out[i][j] = x[i][index[i][j]]`` (for ``dim=1``; likewise in any dim and number of
    dims), PyTorch's ``torch.gather``: the output has ``index``'s shape. A getitem, so every
    order of gradient works (repeated indices add their gradients).

    >>> import tinygrad_cnn as tg
    >>> scores = tg.tensor([[0.125, 0.75, 0.125], [0.5, 0.25, 0.25]])
    >>> gather(scores, 1, tg.tensor([[1], [0]])).tolist()   # each row's score of its label
    [[0.75], [0.5]]
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"gather: input: expected a Tensor, got {type(x).__name__}")
    x1 = _one_d(x)
    out = GetItem.apply(x1, index=positions_along("gather", x1, dim, _one_d(index)))
    return out.reshape(()) if index.ndim == 0 else out


def scatter_source(op: str, x: Tensor, index: Tensor, src, numbers_too: bool = True) -> Tensor:
    """``src`` (checked) cut to ``index``'s shape: PyTorch reads only that corner of a larger
    one. With ``numbers_too``, a number becomes a constant of ``index``'s shape. Check
    ``index`` first (:func:`positions_along`); all three have at least one dim."""
    if numbers_too and isinstance(src, numbers.Number):  # bools too: a mask's True or False
        return Tensor._wrap(x.device.xp.full(index.shape, src, dtype=x.dtype))
    if not isinstance(src, Tensor):
        wanted = "a Tensor or a number" if numbers_too else "a Tensor"
        raise TypeError(f"{op}: src: expected {wanted}, got {type(src).__name__}")
    if src.dtype != x.dtype:
        raise TypeError(f"{op}: src: expected the input's dtype {x.dtype}, got {src.dtype}")
    if src.device != x.device:
        raise ValueError(f"{op}: src: expected a tensor on {x.device} (the input's device), got "
                         f"one on {src.device}")
    if src.ndim != index.ndim or (index.numel() and any(n > m for n, m in zip(index.shape, src.shape))):
        raise ValueError(f"{op}: src: expected {index.ndim} dims, each at least index's size "
                         f"(index {index.shape}), got shape {src.shape}")
    if src.shape == index.shape:
        return src
    return GetItem.apply(src, index=tuple(slice(0, n) for n in index.shape))


def in_place_scatter(op: str, x: Tensor, dim, index, src, add: bool) -> tuple:
    """For ``scatter_``/``scatter_add_``: ``(array, positions, values)`` to write, after the
    op's own checks (``Tensor._in_place`` makes those every in-place write shares)."""
    target, index = _one_d(x), _one_d(index)
    at = positions_along(op, target, dim, index)
    values = scatter_source(op, target, index, _one_d(src), numbers_too=not add)
    return target.data, at, values.data


class Scatter(Function):
    """``x`` with ``src`` written at the advanced ``index`` (where positions repeat, one of
    the values written there stays, as in PyTorch)."""

    def forward(self, x, src, index):
        out = x.copy()
        out[index] = src
        return out

    def backward(self, grad):
        index = self.settings["index"]
        need_x, need_src = self.needs_input_grad
        dx = None
        if need_x:  # the written positions no longer depend on x
            kept = self.xp.ones(grad.shape, dtype=grad.dtype)
            kept[index] = 0
            dx = grad * Tensor._wrap(kept)
        return dx, grad[index] if need_src else None


def scatter(x, dim, index, src) -> Tensor:
    """A copy of ``x`` with ``out[i][index[i][j]] = src[i][j]`` (for ``dim=1``; likewise in
    any dim), PyTorch's ``Tensor.scatter``; ``src`` may be a number. Where ``index`` repeats a
    position, one of the values written there stays (which is unspecified, as in PyTorch).

    >>> import tinygrad_cnn as tg
    >>> labels = tg.tensor([[2], [0]])
    >>> scatter(tg.zeros(2, 3), 1, labels, 1.0).tolist()    # one-hot rows
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"scatter: input: expected a Tensor, got {type(x).__name__}")
    target, index = _one_d(x), _one_d(index)
    at = positions_along("scatter", target, dim, index)
    out = Scatter.apply(target, scatter_source("scatter", target, index, _one_d(src)), index=at)
    return out.reshape(()) if x.ndim == 0 else out


def scatter_add(x, dim, index, src) -> Tensor:
    """``x`` plus ``src`` added at ``out[i][index[i][j]]`` (for ``dim=1``; likewise in any dim),
    PyTorch's ``Tensor.scatter_add``: values sent to the same position add up. Differentiable
    in ``x`` and ``src`` to every order.

    >>> import tinygrad_cnn as tg
    >>> counts = scatter_add(tg.zeros(3), 0, tg.tensor([0, 2, 2]), tg.ones(3))
    >>> counts.tolist()
    [1.0, 0.0, 2.0]
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"scatter_add: input: expected a Tensor, got {type(x).__name__}")
    target, index = _one_d(x), _one_d(index)
    at = positions_along("scatter_add", target, dim, index)
    src = scatter_source("scatter_add", target, index, _one_d(src), numbers_too=False)
    out = target + IndexAdd.apply(src, shape=target.shape, index=at)
    return out.reshape(()) if x.ndim == 0 else out
