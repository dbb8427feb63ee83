"""Which tensors each module consumed and produced: forward hooks around one forward pass.

:func:`trace_modules` is what lets :func:`tinygrad_cnn.viz.draw_graph` fold the ops of a
module into one node.
"""

from __future__ import annotations

from contextlib import contextmanager

from tinygrad_cnn.tensor import Tensor

__all__ = ["trace_modules", "ModuleTrace", "ModuleCall"]


class ModuleCall:
    """One call of one module, as seen by its forward hook: name, module, inputs, outputs."""

    def __init__(self, name, module, inputs, outputs, index):
        self.name, self.module, self.index = name, module, index
        self.inputs, self.outputs = inputs, outputs

    @property
    def is_leaf(self) -> bool:
        """True for a module without submodules (Conv2d, ReLU, ...)."""
        return next(iter(self.module.children()), None) is None

    def __repr__(self) -> str:
        return f"ModuleCall({self.name or type(self.module).__name__!r}, #{self.index})"


class ModuleTrace:
    """What :func:`trace_modules` recorded: the model and its module calls in hook order
    (a module's hook fires after its children's, so inner calls come first)."""

    def __init__(self, model):
        self.model = model
        self.calls: list[ModuleCall] = []
        self._count: dict[str, int] = {}

    def _hook(self, name):
        def hook(module, args, output):
            self._count[name] = self._count.get(name, 0) + 1
            self.calls.append(ModuleCall(name, module, tuple(_tensors(args)),
                                         tuple(_tensors(output)), self._count[name]))
        return hook


@contextmanager
def trace_modules(model):
    """Record which tensors each module of ``model`` consumed and produced (forward hooks).

    Use it around the forward pass, then pass the trace to :func:`draw_graph`:

    >>> import tinygrad_cnn as tg
    >>> from tinygrad_cnn import nn
    >>> model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    >>> with trace_modules(model) as trace:
    ...     y = model(tg.ones(1, 2)).sum()
    >>> trace.calls
    [ModuleCall('0', #1), ModuleCall('1', #1), ModuleCall('Sequential', #1)]
    >>> from tinygrad_cnn.viz import draw_graph
    >>> dot = draw_graph(y, collapse_modules=True, trace=trace)
    >>> "0: Linear" in dot.source and "1: ReLU" in dot.source
    True
    """
    trace = ModuleTrace(model)
    handles = [mod.register_forward_hook(trace._hook(name)) for name, mod in model.named_modules()]
    try:
        yield trace
    finally:
        for h in handles:
            h.remove()


def _tensors(obj):
    """The Tensors inside nested tuples/lists/dicts, in order."""
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, Tensor):
            yield o
        elif isinstance(o, (tuple, list)):
            stack.extend(reversed(o))
        elif isinstance(o, dict):
            stack.extend(reversed(list(o.values())))
