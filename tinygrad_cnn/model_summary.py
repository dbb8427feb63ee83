"""A layer-by-layer table of a model: output shapes, parameters, receptive fields, cost.

:func:`summary` runs one forward pass on a zero input of the given size, watching every
module through forward hooks, and reports for each layer its output shape (H x W x C, the
course's notation, batch dropped), its parameter count, its receptive field on the input
(size and jump, see below), its multiply-adds and the memory of its output.

The receptive field of a unit is the side of the input patch it can see; the jump is the
input distance between two neighbouring units of the layer. Through a layer with kernel k,
stride s and dilation d: ``rf_out = rf_in + d*(k-1) * jump_in`` and ``jump_out = jump_in * s``.
Element-wise layers keep both; a fully connected layer sees everything ("all"). The
receptive field follows the layers (modules): a convolution or pooling written as a function
call inside ``forward`` (``F.max_pool2d``) is not a row and is not counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinygrad_cnn.tensor import Tensor

__all__ = ["summary", "Summary", "SummaryRow"]


@dataclass
class SummaryRow:
    """One layer (one module call) of a :class:`Summary`."""

    name: str                 # dotted module name ("conv1", "features.0")
    type: str                 # class name ("Conv2d")
    output_shape: tuple       # full output shape, batch included
    params: int               # parameters of this module (0 for ReLU, pooling, ...)
    receptive_field: tuple | None  # (rf_h, rf_w) in input pixels; None: the whole input
    jump: tuple | None        # (jump_h, jump_w); None once the spatial layout is gone
    mult_adds: int            # multiply-accumulate operations for the whole batch
    activation_bytes: int     # memory of the output

    @property
    def shape_str(self) -> str:
        """The output shape as in the course: H x W x C for images, batch dropped."""
        s = self.output_shape[1:]
        s = tuple(s[1:]) + (s[0],) if len(s) >= 2 else s
        return "x".join(str(v) for v in s) or "1"


@dataclass
class Summary:
    """What :func:`summary` returns; ``str()`` gives the table."""

    rows: list
    total_params: int
    trainable_params: int
    input_size: tuple
    param_bytes: int

    @property
    def total_mult_adds(self) -> int:
        return sum(r.mult_adds for r in self.rows)

    @property
    def activation_bytes(self) -> int:
        return sum(r.activation_bytes for r in self.rows)

    def __str__(self) -> str:
        head = ("Layer (type)", "Output (HxWxC)", "Params", "RF", "Jump", "Mult-adds",
                "Activations")
        body = [(f"{r.name} ({r.type})", r.shape_str, f"{r.params:,}", _fmt_pair(r.receptive_field),
                 _fmt_pair(r.jump, "-"), f"{r.mult_adds:,}", _fmt_bytes(r.activation_bytes))
                for r in self.rows]
        widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]

        def line(cells):
            return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

        rule = "-" * len(line(head))
        out = [rule, line(head), rule, *(line(b) for b in body), rule]
        out += [
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.total_params - self.trainable_params:,}",
            f"Total mult-adds: {self.total_mult_adds:,}",
            f"Input size: {'x'.join(map(str, self.input_size))}; activations: "
            f"{_fmt_bytes(self.activation_bytes)}; parameters: {_fmt_bytes(self.param_bytes)}",
            rule,
        ]
        return "\n".join(out)

    def _repr_pretty_(self, p, cycle):  # IPython shows the table
        p.text(str(self))


def _fmt_pair(v, none="all") -> str:
    if v is None:
        return none
    return str(v[0]) if v[0] == v[1] else f"{v[0]}x{v[1]}"


def _fmt_bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"  # unreachable, keeps linters calm


def _pair(v) -> tuple:
    return tuple(int(x) for x in v)[-2:] if isinstance(v, (tuple, list)) else (int(v), int(v))


def _layer_geometry(module, out):
    """How ``module`` maps receptive fields: ("keep" | "all" | (kernel, stride, dilation, up))."""
    name = type(module).__name__
    if name.startswith("Adaptive") or name == "Linear":
        return "all"
    if getattr(module, "kernel_size", None) is not None and out.ndim >= 3:
        k, s = _pair(module.kernel_size), _pair(module.stride or module.kernel_size)
        d = _pair(getattr(module, "dilation", 1) or 1)
        if out.ndim == 3:  # 1D layers: the "height" axis is a single row
            k, s, d = (1, k[-1]), (1, s[-1]), (1, d[-1])
        return k, s, d, "Transpose" in name
    return "keep"


def _mult_adds(module, inputs, out) -> int:
    name = type(module).__name__
    w = getattr(module, "weight", None)
    if w is None or not isinstance(w, Tensor):
        return 0
    if name == "Linear":
        return int(np.prod(out.shape)) * w.shape[1]
    if name.startswith("Conv") and w.ndim >= 3:
        per_output = int(np.prod(w.shape[1:]))  # C_in/groups * KH * KW
        if "Transpose" in name and inputs:  # every input element is spread over the kernel
            return int(np.prod(inputs[0].shape)) * w.shape[1] * int(np.prod(w.shape[2:]))
        return int(np.prod(out.shape)) * per_output
    return int(np.prod(out.shape))  # scale-and-shift layers (BatchNorm): one per output


def _find_rf(t, known):
    """The receptive field of tensor ``t``: its own entry, or the largest among the tensors
    it was computed from (walking back through functional ops such as ``F.relu``)."""
    best, stack, seen = None, [t], set()
    while stack:
        u = stack.pop()
        if id(u) in seen:
            continue
        seen.add(id(u))
        if id(u) in known:
            entry = known[id(u)]  # (rf, jump); rf None means "the whole input"
            if best is None or entry[0] is None or (best[0] is not None and entry[0] > best[0]):
                best = entry
            continue
        if u._ctx is not None:
            stack.extend(u._ctx.inputs)
    return best if best is not None else ((1, 1), (1, 1))  # the model's input


def summary(model, input_size, device="cpu", dtype=None) -> Summary:
    """Run ``model`` once on zeros of shape ``input_size`` and tabulate every layer.

    ``input_size`` includes the batch, e.g. ``(1, 1, 32, 32)``. The model must already live on
    ``device`` (``model.to(device)``); it is run in eval mode and its mode restored after.
    The rows are the calls of leaf modules (those without submodules) in execution order.

    >>> from tinygrad_cnn import nn
    >>> model = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2))
    >>> s = summary(model, (1, 1, 32, 32))
    >>> [(r.shape_str, r.params, r.receptive_field[0]) for r in s.rows]
    [('28x28x6', 156, 5), ('28x28x6', 0, 5), ('14x14x6', 0, 6)]
    >>> s.total_params, s.rows[0].mult_adds     # 28*28*6 outputs, 25 multiply-adds each
    (156, 117600)
    """
    from tinygrad_cnn.creation import zeros  # noqa: PLC0415
    from tinygrad_cnn.module_trace import trace_modules  # noqa: PLC0415

    params = list(model.parameters())
    if dtype is None:
        dtype = params[0].dtype if params else np.float32
    x = zeros(*input_size, dtype=dtype, device=device).requires_grad_()  # record the graph
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        with trace_modules(model) as trace:
            model(x)
    finally:
        model.train(was_training)
    known = {id(x): ((1, 1), (1, 1))}  # id(tensor) -> (rf, jump)
    rows = []
    for call in trace.calls:
        mod = call.module
        own = list(mod.named_parameters(recurse=False))
        if not (call.is_leaf or own) or not call.outputs:
            continue
        out = call.outputs[0]
        rf, jump = _find_rf(call.inputs[0], known) if call.inputs else ((1, 1), (1, 1))
        geom = _layer_geometry(mod, out)
        if geom == "all" or rf is None:
            rf, jump = None, None
        elif geom != "keep":
            k, s, d, up = geom
            if up:  # a transposed conv refines the grid: the jump shrinks by the stride
                jump = tuple(max(j // si, 1) for j, si in zip(jump, s))
                rf = tuple(r + di * (ki - 1) * j for r, ki, di, j in zip(rf, k, d, jump))
            else:
                rf = tuple(r + di * (ki - 1) * j for r, ki, di, j in zip(rf, k, d, jump))
                jump = tuple(j * si for j, si in zip(jump, s))
        for t in call.outputs:
            known[id(t)] = (rf, jump)
        n_params = sum(p.numel() for _, p in (mod.named_parameters() if call.is_leaf else own))
        rows.append(SummaryRow(call.name or type(mod).__name__, type(mod).__name__,
                               tuple(out.shape), n_params, rf, jump,
                               _mult_adds(mod, call.inputs, out), out.numel() * out.dtype.itemsize))
    return Summary(rows, sum(p.numel() for p in params),
                   sum(p.numel() for p in params if p.requires_grad), tuple(input_size),
                   sum(p.numel() * p.dtype.itemsize for p in params))
