"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from tinygrad_cnn.optim.optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""PyTorch's SGD. With ``g = grad + weight_decay * p``:

    * no momentum: ``p -= lr * g``;
    * momentum: ``buf = g`` at the first step, then ``buf = momentum * buf + (1 - dampening) * g``;
      ``p -= lr * buf``, or with ``nesterov=True`` ``p -= lr * (g + momentum * buf)``.

    >>> import tinygrad_cnn as tg
    >>> w = tg.Tensor([1.0, 2.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> [round(v, 3) for v in w.tolist()]
    [0.8, 1.6]
    """

    _non_negative = ("lr", "momentum", "dampening", "weight_decay")

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, maximize: bool = False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _check_group(self, group: dict) -> None:
        super()._check_group(group)
        momentum, dampening = group["momentum"], group["dampening"]
        if group["nesterov"] and (momentum <= 0 or dampening != 0):
            raise ValueError(f"SGD: nesterov=True: expected momentum > 0 and dampening 0, got "
                             f"momentum={momentum}, dampening={dampening}")

    def _update(self, p, grad, group, state) -> None:
        g = -grad if group["maximize"] else grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.data
        momentum = group["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * g
            g = g + momentum * buf if group["nesterov"] else buf
        p.data -= group["lr"] * g
