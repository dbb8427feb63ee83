"""Ordering along a dim: ``sort``, ``argsort`` and ``topk``, as in PyTorch.

The order itself is an integer result with no gradient; the values are picked at it with a
getitem (a ``gather`` without its checks), so their gradient goes back to the elements
picked, to every order. Sorts are stable (equal values keep their order, descending too),
and NaN counts as larger than every number, as in PyTorch.
"""

from __future__ import annotations

import math
from collections import namedtuple

from tinygrad_cnn.ops._args import check_int
from tinygrad_cnn.ops.shape import GetItem, _one_d, grid_along, int_dim
from tinygrad_cnn.tensor import Tensor

__all__ = ["sort", "argsort", "topk"]

# PyTorch returns these as named tuples (torch.return_types.sort / topk).
SortResult = namedtuple("sort", ["values", "indices"])
TopkResult = namedtuple("topk", ["values", "indices"])


def _sorted(op, x, dim, descending, k=None, values=True) -> tuple:
    """``(values, indices)``: ``x`` ordered along ``dim`` (stably), the first ``k`` along it
    when given (``values`` None unless asked for). A 0-d ``x`` is read as 1-d of size 1 (as
    PyTorch does) and gives 0-d results. The values are a getitem at the order: a gather
    without its checks, since the order is valid by construction and checking it would cost
    a device sync."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input: expected a Tensor, got {type(x).__name__}")
    x1 = _one_d(x)
    d = int_dim(op, dim, x1.ndim)
    xp, data = x1.device.xp, x1.data
    if k is not None:  # checked before any sorting is done
        k = check_int(op, "k", k, minimum=-math.inf)
        if not 0 <= k <= data.shape[d]:
            raise ValueError(f"{op}: k: expected an int in [0, {data.shape[d]}] (the size of dim "
                             f"{d}, input shape {x.shape}), got {k}")
    if not descending:
        order = xp.argsort(data, axis=d, kind="stable")
    else:  # stable descending: sort the reversed values ascending, then reverse and map back
        n = data.shape[d]
        order = n - 1 - xp.flip(xp.argsort(xp.flip(data, axis=d), axis=d, kind="stable"), axis=d)
    order = order.astype("int64", copy=False)
    if k is not None and x.ndim:  # PyTorch gives a 0-d input's one value whatever k is
        order = order[(slice(None),) * d + (slice(0, k),)]
    picked = GetItem.apply(x1, index=grid_along(xp, d, order)) if values else None
    if not x.ndim:
        return (picked.reshape(()) if values else None), Tensor._wrap(order.reshape(()))
    return picked, Tensor._wrap(order)


def argsort(input, dim: int = -1, descending: bool = False) -> Tensor:  # noqa: A002
    """The positions that sort ``input`` along ``dim`` (an int64 tensor; stable).

    >>> import tinygrad_cnn as tg
    >>> argsort(tg.tensor([3.0, 1.0, 2.0])).tolist()
    [1, 2, 0]
    """
    return _sorted("argsort", input, dim, descending, values=False)[1]


def sort(input, dim: int = -1, descending: bool = False) -> SortResult:  # noqa: A002
    """``(values, indices)``: ``input`` sorted along ``dim`` (stable) and where each value
    came from, PyTorch's ``torch.sort``. The values' gradient goes back to where they came
    from.

    >>> import tinygrad_cnn as tg
    >>> values, indices = sort(tg.tensor([3.0, 1.0, 2.0]), descending=True)
    >>> values.tolist(), indices.tolist()
    ([3.0, 2.0, 1.0], [0, 2, 1])
    """
    return SortResult(*_sorted("sort", input, dim, descending))


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> TopkResult:  # noqa: A002
    """``(values, indices)`` of the ``k`` largest (or, with ``largest=False``, smallest)
    elements along ``dim``, in order, PyTorch's ``torch.topk`` (the results are always
    sorted; ``sorted=False`` only allows any order in PyTorch). Top-5 accuracy is whether
    the label is among ``topk(logits, 5).indices``.

    >>> import tinygrad_cnn as tg
    >>> logits = tg.tensor([[0.5, 3.0, 1.0, 2.0]])
    >>> topk(logits, 2).indices.tolist()
    [[1, 3]]
    """
    return TopkResult(*_sorted("topk", input, dim, largest, k))
