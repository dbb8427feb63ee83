"""Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019)."""

from __future__ import annotations

import math

from tinygrad_cnn.optim.optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam as in PyTorch. At step t, with ``g = grad + weight_decay * p``:

    ``m = b1*m + (1-b1)*g``, ``v = b2*v + (1-b2)*g^2``,
    ``p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)``
    (``amsgrad``: ``v`` in the denominator is replaced by its running maximum).

    >>> import tinygrad_cnn as tg
    >>> w = tg.Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()    # the first step moves each weight by ~lr
    >>> [round(v, 4) for v in w.tolist()]
    [0.9, -1.9]
    """

    _decoupled = False
    _non_negative = ("lr", "eps", "weight_decay")

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, maximize: bool = False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        for i, b in enumerate(group["betas"]):
            if not 0 <= b < 1:
                raise ValueError(f"{type(self).__name__}: betas[{i}]: expected a value in [0, 1), got {b}")

    def _update(self, p, grad, group, state) -> None:
        xp = p.device.xp
        lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        g = -grad if group["maximize"] else grad
        if wd:
            if self._decoupled:
                p.data *= 1 - lr * wd  # AdamW: shrink the weights, not the gradient
            else:
                g = g + wd * p.data
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(p.data)
            state["exp_avg_sq"] = xp.zeros_like(p.data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(p.data)
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * (g * g)
        if group["amsgrad"]:
            vmax = state["max_exp_avg_sq"]
            xp.maximum(vmax, v, out=vmax)
            v = vmax
        denom = xp.sqrt(v)
        denom /= math.sqrt(1 - b2 ** t)
        denom += eps
        step_size = lr / (1 - b1 ** t)
        p.data -= step_size * (m / denom)


class AdamW(Adam):
    r"""Adam with decoupled weight decay: ``p *= 1 - lr * weight_decay`` before the Adam step
    (the decay is not passed through Adam's normalisation, unlike L2 in ``Adam``).
    ``weight_decay`` defaults to 0.01, as in PyTorch.

    >>> import tinygrad_cnn as tg
    >>> w = tg.Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> (w * w).sum().backward(); opt.step()    # shrink by 1 - 0.1*0.5, then Adam's ~lr step
    >>> [round(v, 4) for v in w.tolist()]
    [0.85, -1.8]
    """

    _decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, maximize: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)
