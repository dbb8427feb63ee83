"""Gradient utilities: ``clip_grad_norm_`` and ``clip_grad_value_`` (PyTorch's names).

>>> import tinygrad_cnn as tg
>>> w = tg.Tensor([3.0, 4.0], requires_grad=True)
>>> (w * w).sum().backward()          # grad = [6, 8], norm 10
>>> float(clip_grad_norm_([w], max_norm=1.0).item())
10.0
>>> [round(v, 3) for v in w.grad.tolist()]
[0.6, 0.8]
"""

from __future__ import annotations

import math

from tinygrad_cnn.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _with_grad(parameters) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Rescale all gradients together so that their joint norm is at most ``max_norm``.

    The norm is taken over all gradients as if concatenated into one vector; when it exceeds
    ``max_norm`` every gradient is multiplied by ``max_norm / (norm + 1e-6)``. Returns the
    total norm before clipping (a 0-d Tensor). Guards against exploding gradients.

    >>> import tinygrad_cnn as tg
    >>> a, b = tg.Tensor([1.0], requires_grad=True), tg.Tensor([1.0], requires_grad=True)
    >>> (3 * a + 4 * b).backward()                   # grads 3 and 4: joint norm 5
    >>> clip_grad_norm_([a, b], max_norm=1.0).item(), round(a.grad.item(), 3), round(b.grad.item(), 3)
    (5.0, 0.6, 0.8)
    >>> round(clip_grad_norm_([a, b], max_norm=2.0, norm_type="inf").item(), 3)   # the largest |element|
    0.8
    """
    params = _with_grad(parameters)
    if not params:
        return Tensor(0.0)
    norm_type = float(norm_type)
    if math.isinf(norm_type):
        total = max(float(abs(p.grad.data).max()) for p in params)
    else:
        total = sum(float((abs(p.grad.data) ** norm_type).sum()) for p in params) ** (1 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"the total norm of order {norm_type} of the gradients is non-finite ({total}); "
            "set error_if_nonfinite=False to clip anyway"
        )
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for p in params:
            # A new array, never in place: one gradient array may be shared by two parameters.
            p.grad = Tensor._wrap(p.grad.data * p.grad.data.dtype.type(coef))
    return Tensor(total)


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clamp every gradient element into ``[-clip_value, clip_value]``.

    >>> import tinygrad_cnn as tg
    >>> w = tg.Tensor([1.0, 1.0, 1.0], requires_grad=True)
    >>> (w * tg.Tensor([-5.0, 0.5, 3.0])).sum().backward()
    >>> clip_grad_value_([w], 1.0); w.grad.tolist()
    [-1.0, 0.5, 1.0]
    """
    for p in _with_grad(parameters):
        p.grad = Tensor._wrap(p.grad.data.clip(-clip_value, clip_value))
