"""The gradient doctor: what is wrong with a model's gradients, in one readable report.

``diagnose(loss, model)`` reads the graph that produced ``loss`` (so call it before
``loss.backward()``, or after ``backward(retain_graph=True)``) and reports

* parameters with no gradient path to the loss (they will never train),
* dead ReLUs: units (channels or features) that output zero for the whole batch,
* saturated sigmoid/tanh units: outputs pinned near their limits for the whole batch,
  where the local gradient is almost zero,
* the first op (in forward order) that produced NaN or Inf,
* per-parameter gradient norms, flagged when vanishing or exploding.

It computes gradients with :func:`tinygrad_cnn.grad`, so ``.grad`` is left untouched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from tinygrad_cnn import backend, engine
from tinygrad_cnn.tensor import Tensor

__all__ = ["diagnose", "Diagnosis"]

VANISHING = 1e-7  # gradient norm below this: the parameter effectively does not learn
EXPLODING = 1e3  # gradient norm above this: a step of any usual size overshoots
SATURATION = 0.99  # |tanh| or |2 sigmoid - 1| beyond this: local gradient < 2 %


@dataclass
class Diagnosis:
    """What :func:`diagnose` found; ``str()`` gives the report."""

    unreachable: list = field(default_factory=list)  # parameter names without a path
    dead_relus: list = field(default_factory=list)  # (where, dead units, total units)
    saturated: list = field(default_factory=list)  # (op, where, saturated units, total units)
    first_nonfinite: str | None = None  # "Op (shape) after <where>"
    grad_norms: list = field(default_factory=list)  # (name, norm, verdict)

    @property
    def healthy(self) -> bool:
        return not (self.unreachable or self.dead_relus or self.saturated or self.first_nonfinite
                    or any(v != "ok" for _, _, v in self.grad_norms))

    def __str__(self) -> str:
        lines = ["gradient doctor: " + ("no problems found" if self.healthy else "problems found")]
        if self.first_nonfinite:
            lines.append(f"  first NaN/Inf: {self.first_nonfinite}")
        for name in self.unreachable:
            lines.append(f"  no gradient path to the loss: {name}")
        for where, dead, total in self.dead_relus:
            lines.append(f"  dead ReLU units after {where}: {dead} of {total} output zero for the whole batch")
        for op, where, sat, total in self.saturated:
            lines.append(f"  saturated {op} units after {where}: {sat} of {total}")
        if self.grad_norms:
            width = max(len(n) for n, _, _ in self.grad_norms)
            lines.append(f"  {'parameter':{width}s}  {'grad norm':>10s}  verdict")
            for name, norm, verdict in self.grad_norms:
                lines.append(f"  {name:{width}s}  {norm:10.3e}  {verdict}")
        return "\n".join(lines)


def _graph(loss: Tensor) -> list:
    """Tensors of the graph in forward (topological) order."""
    return list(reversed(engine._topo_order([loss])))


def _units(array) -> tuple:
    """Axes to reduce per unit: all but the channels of (N, C, ...), or features of (N, F)."""
    return (0,) + tuple(range(2, array.ndim))


def _where(t: Tensor, names: dict, depth: int = 12) -> str:
    """The module prefix of the nearest parameter upstream of ``t`` (e.g. 'conv1')."""
    frontier = [t]
    for _ in range(depth):
        nxt = []
        for node in frontier:
            ctx = node._ctx
            if ctx is None:
                continue
            for parent in ctx.inputs:
                if id(parent) in names:
                    name = names[id(parent)]
                    return name.rpartition(".")[0] or name
                nxt.append(parent)
        frontier = nxt
    return "the input"


def diagnose(loss: Tensor, model) -> Diagnosis:
    """Examine the graph behind ``loss`` and the gradients of ``model``'s parameters.

    >>> import numpy as np
    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn import nn
    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.body = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    ...         self.head = nn.Linear(4, 1)
    ...         self.spare = nn.Linear(4, 1)                  # defined, never used
    ...     def forward(self, x):
    ...         return self.head(self.body(x))
    >>> model = Net()
    >>> with tg.no_grad():
    ...     _ = model.body[0].bias.fill_(-100.0)              # every ReLU unit dies
    >>> loss = model(tg.Tensor(np.ones((5, 3), dtype=np.float32))).sum()
    >>> report = tg.diagnose(loss, model)
    >>> report.unreachable
    ['spare.weight', 'spare.bias']
    >>> report.dead_relus
    [('body.0', 4, 4)]
    """
    if not isinstance(loss, Tensor):
        raise TypeError(f"diagnose: loss must be a Tensor, got {type(loss).__name__}")
    if not loss.requires_grad:
        raise RuntimeError("diagnose: loss does not require grad, so no parameter can learn from it")
    params = list(model.named_parameters())
    names = {id(p): n for n, p in params}
    report = Diagnosis()
    order = _graph(loss)
    in_graph = {id(t) for t in order}
    report.unreachable = [n for n, p in params if p.requires_grad and id(p) not in in_graph]

    for t in order:
        ctx = t._ctx
        if ctx is None:
            continue
        data = t.data
        if report.first_nonfinite is None and data.dtype.kind == "f":
            finite = bool(backend.device_of(data).xp.isfinite(data).all())
            if not finite:
                report.first_nonfinite = f"{ctx.name} (output shape {t.shape}) after {_where(t, names)}"
        if data.ndim < 2:
            continue
        axes = _units(data)
        if ctx.name == "ReLU":
            alive = (data > 0).any(axis=axes)
            dead = int(alive.size - int(alive.sum()))
            if dead:
                report.dead_relus.append((_where(t, names), dead, int(alive.size)))
        elif ctx.name in ("Sigmoid", "Tanh"):
            centred = 2 * data - 1 if ctx.name == "Sigmoid" else data
            pinned = (abs(centred) > SATURATION).all(axis=axes)
            n = int(pinned.sum())
            if n:
                report.saturated.append((ctx.name, _where(t, names), n, int(pinned.size)))

    reachable = [(n, p) for n, p in params if id(p) in in_graph]
    if reachable:
        grads = engine.grad(loss, [p for _, p in reachable], retain_graph=True, allow_unused=True)
        for (name, _), g in zip(reachable, grads):
            norm = 0.0 if g is None else backend.l2_norm(g.data)
            if not math.isfinite(norm):
                verdict = "NaN/Inf"
            elif norm < VANISHING:
                verdict = "vanishing"
            elif norm > EXPLODING:
                verdict = "exploding"
            else:
                verdict = "ok"
            report.grad_norms.append((name, norm, verdict))
    return report
