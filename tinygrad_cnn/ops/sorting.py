"""Ordering along a dim: ``sort``, ``argsort`` and ``topk``, as in PyTorch.

The order itself is an integer result with no gradient; the values are picked at it with a
getitem (a ``gather`` without its checks), so their gradient goes back to the elements
picked, to every order. Sorts are stable (equal values keep their order, descending too),
and NaN counts as larger than every number, as in PyTorch.
"""

from __future__ import annotations

import numbers
from collections import namedtuple

from tinygrad_cnn.ops.shape import GetItem, _dim, grid_along
from tinygrad_cnn.tensor import Tensor

__all__ = ["sort", "argsort", "topk"]

# PyTorch returns these as named tuples (torch.return_types.sort / topk).
SortResult = namedtuple("sort", ["values", "indices"])
TopkResult = namedtuple("topk", ["values", "indices"])


def _order(op, x, dim, descending):
    """``(axis, order)``: the int64 positions that sort ``x`` along ``dim`` (stably)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input: expected a Tensor, got {type(x).__name__}")
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"{op}: dim: expected an int, got {type(dim).__name__} {dim!r}")
    d = _dim(int(dim), x.ndim, f"{op}: dim")
    xp, data = x.device.xp, x.data if x.ndim else x.data.reshape(1)
    if not descending:
        order = xp.argsort(data, axis=d, kind="stable")
    else:  # stable descending: sort the reversed values ascending, then reverse and map back
        n = data.shape[d]
        order = n - 1 - xp.flip(xp.argsort(xp.flip(data, axis=d), axis=d, kind="stable"), axis=d)
    return d, order.astype("int64", copy=False)


def _picked(x, d, order) -> tuple:
    """``(values, indices)``: ``x``'s values at ``order`` along ``d`` and the order as a
    Tensor, 0-d for a 0-d ``x``. The values are a gather without its checks: the order is
    valid by construction, and checking it would cost a device sync."""
    values = GetItem.apply(x if x.ndim else x.reshape(1), index=grid_along(x.device.xp, d, order))
    if not x.ndim:
        return values.reshape(()), Tensor._wrap(order.reshape(()))
    return values, Tensor._wrap(order)


def argsort(input, dim: int = -1, descending: bool = False) -> Tensor:  # noqa: A002
    """The positions that sort ``input`` along ``dim`` (an int64 tensor; stable).

    >>> import tinygrad_cnn as tg
    >>> argsort(tg.tensor([3.0, 1.0, 2.0])).tolist()
    [1, 2, 0]
    """
    order = _order("argsort", input, dim, descending)[1]
    return Tensor._wrap(order.reshape(input.shape))


def sort(input, dim: int = -1, descending: bool = False) -> SortResult:  # noqa: A002
    """``(values, indices)``: ``input`` sorted along ``dim`` (stable) and where each value
    came from, PyTorch's ``torch.sort``. The values' gradient goes back to where they came
    from.

    >>> import tinygrad_cnn as tg
    >>> values, indices = sort(tg.tensor([3.0, 1.0, 2.0]), descending=True)
    >>> values.tolist(), indices.tolist()
    ([3.0, 2.0, 1.0], [0, 2, 1])
    """
    d, order = _order("sort", input, dim, descending)
    return SortResult(*_picked(input, d, order))


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
    d, order = _order("topk", input, dim, largest)
    size = input.shape[d] if input.ndim else 1
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 0 <= k <= size:
        raise ValueError(f"topk: k: expected an int in [0, {size}] (the size of dim {d}, input "
                         f"shape {input.shape}), got {k!r}")
    if input.ndim:
        order = order[(slice(None),) * d + (slice(0, int(k)),)]
    return TopkResult(*_picked(input, d, order))
