"""RMSprop (Hinton's lecture 6e), with PyTorch's options."""

from __future__ import annotations

from tinygrad_cnn.optim.optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""PyTorch's RMSprop. With ``g = grad + weight_decay * p``:

    ``v = alpha*v + (1-alpha)*g^2``; ``avg = sqrt(v) + eps`` (``centered``: also
    ``ga = alpha*ga + (1-alpha)*g`` and ``avg = sqrt(v - ga^2) + eps``); then
    ``p -= lr * g / avg``, or with momentum ``buf = momentum*buf + g/avg; p -= lr * buf``.

    >>> import tinygrad_cnn as tg
    >>> w = tg.Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = RMSprop([w], lr=0.01)
    >>> (w * w).sum().backward(); opt.step()    # the first step moves by lr / sqrt(1 - alpha)
    >>> [round(v, 4) for v in w.tolist()]
    [0.9, -1.9]
    """

    _non_negative = ("lr", "alpha", "eps", "weight_decay", "momentum")

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False,
                 maximize: bool = False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def _update(self, p, grad, group, state) -> None:
        xp = p.device.xp
        alpha, eps = group["alpha"], group["eps"]
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.data
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(p.data)
            if group["momentum"] > 0:
                state["momentum_buffer"] = xp.zeros_like(p.data)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(p.data)
        state["step"] += 1
        v = state["square_avg"]
        v *= alpha
        v += (1 - alpha) * (g * g)
        if group["centered"]:
            ga = state["grad_avg"]
            ga *= alpha
            ga += (1 - alpha) * g
            avg = xp.sqrt(v - ga * ga)
        else:
            avg = xp.sqrt(v)
        avg += eps
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += g / avg
            p.data -= group["lr"] * buf
        else:
            p.data -= group["lr"] * (g / avg)
