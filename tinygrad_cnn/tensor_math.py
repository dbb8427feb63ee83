"""The Tensor methods that only forward to an op function: ``x.exp()``, ``x.sum(1)``, ``x.reshape(2, -1)``.

:class:`~tinygrad_cnn.Tensor` inherits them from the mixin :class:`TensorMath`, which is kept
apart from tensor.py so that the class that owns the data, the autodiff state, the operators
and the in-place methods stays short enough to read. Each method here is
``tinygrad_cnn.ops.<family>.<op>(self, ...)``, documented with its function (most are also
``tinygrad_cnn.<op>``), so ``x.exp()`` and ``tinygrad_cnn.exp(x)`` are one and the same op.

>>> import tinygrad_cnn
>>> x = tinygrad_cnn.Tensor([[1.0, -2.0], [3.0, -4.0]])
>>> x.abs().sum(dim=1).tolist(), x.reshape(-1).shape
([3.0, 7.0], (4,))
"""

from __future__ import annotations

# The op modules import tensor.py, which imports this module before it defines Tensor, so
# tinygrad_cnn.ops cannot be imported here: the package (already in sys.modules, partially
# initialised) is imported instead, and each method looks its op up when it is called.
import tinygrad_cnn

__all__ = ["TensorMath"]


class TensorMath:
    """Mixin of :class:`~tinygrad_cnn.Tensor`: the elementwise, reduction, shape and sorting
    methods, each forwarding to its op in :mod:`tinygrad_cnn.ops`.

    >>> tinygrad_cnn.Tensor([4.0, 9.0]).sqrt().tolist()
    [2.0, 3.0]
    """

    __slots__ = ()  # Tensor uses slots: a mixin without them would give every tensor a __dict__

    # -- elementwise ------------------------------------------------------------------------
    def neg(self):
        """Each element negated, the same as ``-x``.

        >>> tinygrad_cnn.Tensor([1.0, -2.0]).neg().tolist()
        [-1.0, 2.0]
        """
        return tinygrad_cnn.ops.elementwise.neg(self)

    def abs(self):
        """The absolute value of each element (:func:`tinygrad_cnn.abs`).

        >>> tinygrad_cnn.Tensor([-1.5, 2.0]).abs().tolist()
        [1.5, 2.0]
        """
        return tinygrad_cnn.ops.elementwise.abs(self)

    def exp(self):
        """e to the power of each element (:func:`tinygrad_cnn.exp`).

        >>> tinygrad_cnn.Tensor([0.0, 1.0]).exp().tolist()
        [1.0, 2.71828...]
        """
        return tinygrad_cnn.ops.elementwise.exp(self)

    def log(self):
        """The natural logarithm of each element (:func:`tinygrad_cnn.log`); an integer tensor
        gives float32, as in PyTorch.

        >>> tinygrad_cnn.Tensor([1, 4]).log().tolist()
        [0.0, 1.38629...]
        """
        return tinygrad_cnn.ops.elementwise.log(self)

    def log1p(self):
        """log(1 + x) of each element, accurate for tiny x (:func:`tinygrad_cnn.log1p`).

        >>> tinygrad_cnn.Tensor([1e-10], dtype="float64").log1p().item()
        9.999999999500001e-11
        """
        return tinygrad_cnn.ops.elementwise.log1p(self)

    def sqrt(self):
        """The square root of each element (:func:`tinygrad_cnn.sqrt`).

        >>> tinygrad_cnn.Tensor([4.0, 9.0]).sqrt().tolist()
        [2.0, 3.0]
        """
        return tinygrad_cnn.ops.elementwise.sqrt(self)

    def sin(self):
        """The sine of each element, in radians (:func:`tinygrad_cnn.sin`).

        >>> tinygrad_cnn.Tensor([0.0, 3.14159265 / 2]).sin().tolist()
        [0.0, 1.0]
        """
        return tinygrad_cnn.ops.elementwise.sin(self)

    def cos(self):
        """The cosine of each element, in radians (:func:`tinygrad_cnn.cos`).

        >>> tinygrad_cnn.Tensor([0.0, 3.14159265]).cos().tolist()
        [1.0, -1.0]
        """
        return tinygrad_cnn.ops.elementwise.cos(self)

    def relu(self):
        """max(x, 0) of each element (:func:`tinygrad_cnn.relu`).

        >>> tinygrad_cnn.Tensor([-1.0, 2.0]).relu().tolist()
        [0.0, 2.0]
        """
        return tinygrad_cnn.ops.elementwise.relu(self)

    def sigmoid(self):
        """1 / (1 + exp(-x)) of each element, without overflow (:func:`tinygrad_cnn.sigmoid`).

        >>> tinygrad_cnn.Tensor([-1000.0, 0.0, 1000.0]).sigmoid().tolist()
        [0.0, 0.5, 1.0]
        """
        return tinygrad_cnn.ops.elementwise.sigmoid(self)

    def tanh(self):
        """The hyperbolic tangent of each element (:func:`tinygrad_cnn.tanh`).

        >>> tinygrad_cnn.Tensor([-1000.0, 0.0, 1000.0]).tanh().tolist()
        [-1.0, 0.0, 1.0]
        """
        return tinygrad_cnn.ops.elementwise.tanh(self)

    def clamp(self, min=None, max=None):  # noqa: A002  (PyTorch's names)
        """Each element limited to ``[min, max]``, either bound may be None
        (:func:`tinygrad_cnn.clamp`); ``clip`` is another name for it.

        >>> x = tinygrad_cnn.Tensor([-2.0, 0.5, 3.0])
        >>> x.clamp(-1, 1).tolist(), x.clip(min=0).tolist()
        ([-1.0, 0.5, 1.0], [0.0, 0.5, 3.0])
        """
        return tinygrad_cnn.ops.elementwise.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        """The larger of ``self`` and ``other`` (a tensor or a number) at each position, with
        broadcasting and PyTorch's type promotion (:func:`tinygrad_cnn.maximum`).

        >>> tinygrad_cnn.Tensor([1.0, 5.0]).maximum(tinygrad_cnn.Tensor([3.0, 2.0])).tolist()
        [3.0, 5.0]
        """
        return tinygrad_cnn.ops.elementwise.maximum(self, other)

    def minimum(self, other):
        """The smaller of ``self`` and ``other`` (a tensor or a number) at each position, with
        broadcasting and PyTorch's type promotion (:func:`tinygrad_cnn.minimum`).

        >>> tinygrad_cnn.Tensor([1.0, 5.0]).minimum(3.0).tolist()
        [1.0, 3.0]
        """
        return tinygrad_cnn.ops.elementwise.minimum(self, other)

    # -- reductions -------------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False):
        """The sum over ``dim`` (an int or a tuple; all dims when None), keeping the summed dims
        with size 1 when ``keepdim`` (:func:`tinygrad_cnn.sum`).

        >>> x = tinygrad_cnn.Tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> x.sum().item(), x.sum(1).tolist(), x.sum(1, keepdim=True).shape
        (10.0, [3.0, 7.0], (2, 1))
        """
        return tinygrad_cnn.ops.reduce.sum(self, dim, keepdim)

    def mean(self, dim=None, keepdim=False):
        """The mean over ``dim`` (all dims when None) of a floating-point tensor
        (:func:`tinygrad_cnn.mean`).

        >>> x = tinygrad_cnn.Tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> x.mean().item(), x.mean(0).tolist()
        (2.5, [2.0, 3.0])
        """
        return tinygrad_cnn.ops.reduce.mean(self, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """The variance over ``dim``, with Bessel's correction unless ``unbiased=False`` or
        ``correction=0`` (:func:`tinygrad_cnn.var`).

        >>> x = tinygrad_cnn.Tensor([1.0, 2.0, 3.0])
        >>> x.var().item(), round(x.var(correction=0).item(), 4)
        (1.0, 0.6667)
        """
        return tinygrad_cnn.ops.reduce.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """The standard deviation over ``dim``: the square root of :meth:`var`, with the same
        arguments (:func:`tinygrad_cnn.std`).

        >>> tinygrad_cnn.Tensor([1.0, 3.0]).std(correction=0).item()
        1.0
        """
        return tinygrad_cnn.ops.reduce.std(self, dim, unbiased, keepdim, correction=correction)

    def max(self, dim=None, keepdim=False):
        """The largest element; with ``dim``, a ``(values, indices)`` named tuple, as in PyTorch
        (:func:`tinygrad_cnn.max`).

        >>> x = tinygrad_cnn.Tensor([[1.0, 5.0], [7.0, 2.0]])
        >>> x.max().item(), x.max(dim=1).indices.tolist()
        (7.0, [1, 0])
        """
        return tinygrad_cnn.ops.reduce.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        """The smallest element; with ``dim``, a ``(values, indices)`` named tuple, as in
        PyTorch (:func:`tinygrad_cnn.min`).

        >>> tinygrad_cnn.Tensor([[1.0, 5.0], [7.0, 2.0]]).min(dim=0)
        ValuesIndices(values=tensor([1., 2.]), indices=tensor([0, 1]))
        """
        return tinygrad_cnn.ops.reduce.min(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        """The index of the largest element, in the flattened tensor when ``dim`` is None (an
        int64 tensor, not differentiable; :func:`tinygrad_cnn.argmax`).

        >>> x = tinygrad_cnn.Tensor([[1.0, 5.0], [7.0, 2.0]])
        >>> x.argmax().item(), x.argmax(dim=1).tolist()
        (2, [1, 0])
        """
        return tinygrad_cnn.ops.reduce.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        """The index of the smallest element, in the flattened tensor when ``dim`` is None (an
        int64 tensor, not differentiable; :func:`tinygrad_cnn.argmin`).

        >>> tinygrad_cnn.Tensor([[1.0, 5.0], [7.0, 2.0]]).argmin(dim=1).tolist()
        [0, 1]
        """
        return tinygrad_cnn.ops.reduce.argmin(self, dim, keepdim)

    # -- shape ------------------------------------------------------------------------------
    def reshape(self, *shape):
        """The same data in a new shape, given as ints or one tuple, where one entry may be -1
        (:func:`tinygrad_cnn.reshape`). ``view`` is another name for it, so unlike PyTorch's
        it also accepts a non-contiguous tensor (copying the data).

        >>> tinygrad_cnn.arange(6).reshape(2, 3).tolist(), tinygrad_cnn.arange(6).view(-1, 2).shape
        ([[0, 1, 2], [3, 4, 5]], (3, 2))
        """
        return tinygrad_cnn.ops.shape.reshape(self, *shape)

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        """Dims ``start_dim`` to ``end_dim`` merged into one (:func:`tinygrad_cnn.flatten`).

        >>> tinygrad_cnn.zeros(2, 3, 4).flatten().shape, tinygrad_cnn.zeros(2, 3, 4).flatten(1).shape
        ((24,), (2, 12))
        """
        return tinygrad_cnn.ops.shape.flatten(self, start_dim, end_dim)

    def permute(self, *dims):
        """The dims reordered, given as ints or one tuple (:func:`tinygrad_cnn.permute`).

        >>> tinygrad_cnn.zeros(2, 3, 4).permute(2, 0, 1).shape
        (4, 2, 3)
        """
        return tinygrad_cnn.ops.shape.permute(self, *dims)

    def transpose(self, dim0, dim1):
        """Dims ``dim0`` and ``dim1`` swapped (:func:`tinygrad_cnn.transpose`).

        >>> tinygrad_cnn.zeros(2, 3, 4).transpose(0, 2).shape
        (4, 3, 2)
        """
        return tinygrad_cnn.ops.shape.transpose(self, dim0, dim1)

    @property
    def T(self):  # noqa: N802
        """All dims in reverse order: the transpose of a matrix.

        >>> tinygrad_cnn.arange(6).reshape(2, 3).T.tolist()
        [[0, 3], [1, 4], [2, 5]]
        """
        return tinygrad_cnn.ops.shape.permute(self, *reversed(range(self.ndim)))

    def squeeze(self, dim=None):
        """Size-1 dims dropped: all of them, or those of ``dim`` (an int or a tuple)
        (:func:`tinygrad_cnn.squeeze`).

        >>> tinygrad_cnn.zeros(1, 2, 1).squeeze().shape, tinygrad_cnn.zeros(1, 2, 1).squeeze(0).shape
        ((2,), (2, 1))
        """
        return tinygrad_cnn.ops.shape.squeeze(self, dim)

    def unsqueeze(self, dim):
        """A size-1 dim inserted at ``dim`` (:func:`tinygrad_cnn.unsqueeze`).

        >>> tinygrad_cnn.zeros(2, 3).unsqueeze(0).shape, tinygrad_cnn.zeros(2, 3).unsqueeze(-1).shape
        ((1, 2, 3), (2, 3, 1))
        """
        return tinygrad_cnn.ops.shape.unsqueeze(self, dim)

    def split(self, split_size_or_sections, dim=0):
        """A tuple of pieces along ``dim``, of a given size each (the last may be smaller) or of
        the listed sizes (:func:`tinygrad_cnn.split`).

        >>> [p.tolist() for p in tinygrad_cnn.arange(5).split(2)]
        [[0, 1], [2, 3], [4]]
        """
        return tinygrad_cnn.ops.shape.split(self, split_size_or_sections, dim)

    def chunk(self, chunks, dim=0):
        """At most ``chunks`` pieces along ``dim``, of ceil(size / chunks) elements each but the
        last, which may be smaller, so there may be fewer pieces, as in PyTorch
        (:func:`tinygrad_cnn.chunk`).

        >>> [p.tolist() for p in tinygrad_cnn.arange(5).chunk(3)]
        [[0, 1], [2, 3], [4]]
        """
        return tinygrad_cnn.ops.shape.chunk(self, chunks, dim)

    def expand(self, *shape):
        """Size-1 dims broadcast to ``shape`` (ints or one tuple), where -1 keeps a dim, as
        PyTorch's ``expand`` (:func:`tinygrad_cnn.broadcast_to` with -1 allowed).

        >>> tinygrad_cnn.Tensor([[1.0], [2.0]]).expand(-1, 3).tolist()
        [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]
        """
        return tinygrad_cnn.ops.shape.expand(self, *shape)

    def gather(self, dim, index):
        """The values at ``index`` along ``dim``: ``out[i][j] = x[i][index[i][j]]`` for
        ``dim=1`` (:func:`tinygrad_cnn.gather`).

        >>> x = tinygrad_cnn.Tensor([[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]])
        >>> x.gather(1, tinygrad_cnn.Tensor([[2], [0]])).tolist()
        [[30.0], [40.0]]
        """
        return tinygrad_cnn.ops.shape.gather(self, dim, index)

    def scatter(self, dim, index, src):
        """A copy with ``src`` (a tensor or a number) written at ``index`` along ``dim``:
        ``out[i][index[i][j]] = src[i][j]`` for ``dim=1`` (:func:`tinygrad_cnn.scatter`).

        >>> tinygrad_cnn.zeros(2, 3).scatter(1, tinygrad_cnn.Tensor([[2], [0]]), 1.0).tolist()
        [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
        """
        return tinygrad_cnn.ops.shape.scatter(self, dim, index, src)

    def scatter_add(self, dim, index, src):
        """A copy with ``src`` added at ``index`` along ``dim``, values sent to one position
        adding up (:func:`tinygrad_cnn.scatter_add`).

        >>> x = tinygrad_cnn.zeros(3)
        >>> x.scatter_add(0, tinygrad_cnn.Tensor([0, 2, 2]), tinygrad_cnn.ones(3)).tolist()
        [1.0, 0.0, 2.0]
        """
        return tinygrad_cnn.ops.shape.scatter_add(self, dim, index, src)

    # -- sorting ----------------------------------------------------------------------------
    def sort(self, dim=-1, descending=False):
        """``(values, indices)``: the elements sorted along ``dim`` (stable) and where each came
        from (:func:`tinygrad_cnn.sort`).

        >>> tinygrad_cnn.Tensor([3.0, 1.0, 2.0]).sort()
        sort(values=tensor([1., 2., 3.]), indices=tensor([1, 2, 0]))
        """
        return tinygrad_cnn.ops.sorting.sort(self, dim, descending)

    def argsort(self, dim=-1, descending=False):
        """The positions that sort the elements along ``dim`` (int64, stable;
        :func:`tinygrad_cnn.argsort`).

        >>> tinygrad_cnn.Tensor([3.0, 1.0, 2.0]).argsort(descending=True).tolist()
        [0, 2, 1]
        """
        return tinygrad_cnn.ops.sorting.argsort(self, dim, descending)

    def topk(self, k, dim=-1, largest=True, sorted=True):  # noqa: A002
        """``(values, indices)`` of the ``k`` largest (or, with ``largest=False``, smallest)
        elements along ``dim``, in order (:func:`tinygrad_cnn.topk`).

        >>> tinygrad_cnn.Tensor([0.5, 3.0, 1.0, 2.0]).topk(2)
        topk(values=tensor([3., 2.]), indices=tensor([1, 3]))
        """
        return tinygrad_cnn.ops.sorting.topk(self, k, dim, largest, sorted)
