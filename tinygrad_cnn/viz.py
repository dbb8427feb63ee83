"""Draw the computation graph behind a tensor, optionally with gradient norms.

:func:`draw_graph` walks the recorded ops behind a tensor (iteratively, so a 5,000-op chain
is fine) and returns a :class:`graphviz.Digraph`: op nodes (boxes) labelled with the op and
its settings, tensor nodes (ellipses) with shape and dtype, parameters named after the
module that owns them, edges in the direction data flows. Rendering (``.render()``,
``.pipe()``) needs the ``dot`` program; without it you get an error that says how to install
it, and the DOT text stays available as ``.source``.

The graph must still exist when it is drawn: draw before ``backward()``, or call
``backward(retain_graph=True)`` first (a plain ``backward()`` frees it).

>>> import tinygrad_cnn as tg
>>> from tinygrad_cnn.viz import draw_graph
>>> w = tg.Tensor([1.0, 2.0], requires_grad=True)
>>> w.name = "w"
>>> loss = (w * 3).sum()
>>> dot = draw_graph(loss, show_grad=True)
>>> "Mul" in dot.source and "|grad| 4.24" in dot.source   # |d loss / d w| = |(3, 3)|
True
"""

from __future__ import annotations

import functools
import math

from tinygrad_cnn import backend, engine
from tinygrad_cnn.module_trace import ModuleCall, ModuleTrace, _tensors, trace_modules
from tinygrad_cnn.tensor import Tensor
from tinygrad_cnn.viz_labels import _STYLE, _colour, _fmt_norm, _fmt_shape, format_op

__all__ = ["draw_graph", "trace_modules", "ModuleTrace", "ModuleCall", "format_op",
           "DotNotFoundError"]

DOT_INSTALL_HINT = (
    "the Graphviz `dot` program was not found on PATH; install it (Debian/Ubuntu: "
    "`apt-get install graphviz`, macOS: `brew install graphviz`, conda: "
    "`conda install graphviz`) and try again. The DOT text is still available as "
    "`.source` (or write it with `.save('graph.dot')`)."
)


class DotNotFoundError(RuntimeError):
    """Raised by ``render()``/``pipe()`` when Graphviz's ``dot`` program is missing."""


# -- the graph walk --------------------------------------------------------------------------
class _Graph:
    """Tensors and ops reachable from the roots, in a deterministic order, with edges."""

    def __init__(self, roots):
        self.tensors: dict[int, Tensor] = {}
        self.ops: dict[int, object] = {}
        self.edges: list[tuple[str, str]] = []
        self.consumers: dict[int, list[int]] = {}  # id(tensor) -> [id(ctx)]
        groups = []  # per op, its edges in argument order; emitted last-visited first
        stack = list(reversed(roots))
        while stack:
            t = stack.pop()
            if id(t) in self.tensors:
                continue
            self.tensors[id(t)] = t
            ctx = t._ctx
            if ctx is None:
                continue
            self.ops[id(ctx)] = ctx
            groups.append([(f"t{id(p)}", f"op{id(ctx)}") for p in ctx.inputs]
                          + [(f"op{id(ctx)}", f"t{id(t)}")])
            for parent in ctx.inputs:
                self.consumers.setdefault(id(parent), []).append(id(ctx))
            stack.extend(p for p in reversed(ctx.inputs) if id(p) not in self.tensors)
        self.edges = [e for group in reversed(groups) for e in group]
        # Inputs first: reverse the visiting order (a tensor is visited before its op's inputs).
        self.tensors = dict(reversed(list(self.tensors.items())))
        self.ops = dict(reversed(list(self.ops.items())))

    def region(self, call):
        """(op ids, tensor ids) computed inside a module call: walk back from its outputs,
        stopping at its inputs and at leaves."""
        stop = {id(t) for t in call.inputs}
        ops, tensors = set(), set()
        stack = [t for t in call.outputs if id(t) in self.tensors and id(t) not in stop]
        while stack:
            t = stack.pop()
            if id(t) in tensors:
                continue
            tensors.add(id(t))
            if t._ctx is None:
                continue
            ops.add(id(t._ctx))
            stack.extend(p for p in t._ctx.inputs if id(p) not in stop)
        return ops, tensors


def _param_names(model, params, trace) -> dict[int, str]:
    names = {}
    model = model if model is not None else (trace.model if trace is not None else None)
    if hasattr(model, "named_parameters"):
        names.update({id(p): n for n, p in model.named_parameters()})
    if params is not None:
        names.update({id(p): n for n, p in dict(params).items()})
    return names


def _gradients(roots, graph, gradient) -> dict[int, float]:
    """Gradient norm of the (first) root with respect to every tensor that requires grad."""
    root = roots[0]
    wanted = [t for t in graph.tensors.values() if t.requires_grad]
    if not root.requires_grad or not wanted:
        return {}
    grads = engine.grad(root, wanted, grad_outputs=gradient, retain_graph=True)
    return {id(t): backend.l2_norm(g.data) if g is not None else 0.0 for t, g in zip(wanted, grads)}


def _module_groups(graph, trace, collapse):
    """Map element node ids ("t..", "op..") to the module call that owns them, and return
    the calls shown as folded nodes (or as clusters) with their parent call."""
    calls = [c for c in trace.calls if c.name != "" or (collapse != "cluster" and c.is_leaf)]
    owner: dict[str, ModuleCall] = {}
    parent: dict[int, ModuleCall] = {}
    regions = {}
    for call in calls:  # inner calls first, so the first owner is the innermost
        ops, tensors = graph.region(call)
        regions[id(call)] = (ops, tensors)
        for key in [f"op{o}" for o in ops] + [f"t{t}" for t in tensors]:
            if key in owner:
                inner = owner[key]
                while id(inner) in parent:
                    inner = parent[id(inner)]
                if inner is not call:
                    parent[id(inner)] = call
            else:
                owner[key] = call
    if collapse != "cluster":
        if collapse is True:
            folded = [c for c in calls if c.is_leaf]
        else:
            folded = [c for c in calls if c.name.count(".") + 1 == int(collapse)
                      or (c.is_leaf and c.name.count(".") + 1 < int(collapse))]
        owner = {}
        for call in folded:
            ops, tensors = regions[id(call)]
            for key in [f"op{o}" for o in ops] + [f"t{t}" for t in tensors]:
                owner.setdefault(key, call)
        calls, parent = folded, {}
    # Leaves (parameters) used only inside one call belong to it.
    for tid, t in graph.tensors.items():
        if t._ctx is None and f"t{tid}" in owner:
            consumers = {owner.get(f"op{c}") for c in graph.consumers.get(tid, [])}
            if len(consumers) != 1 or None in consumers:
                del owner[f"t{tid}"]
    return owner, calls, parent


# -- drawing ---------------------------------------------------------------------------------
def draw_graph(root, show_grad=False, collapse_modules=False, model=None, trace=None,
               params=None, gradient=None, grad_range=None, rankdir="TB", graph_attr=None):
    """Draw the ops and tensors behind ``root`` as a :class:`graphviz.Digraph`.

    Parameters
    ----------
    root : Tensor or sequence of Tensors
        The output(s) whose history is drawn. The graph must not have been freed: draw
        before ``backward()`` or call ``backward(retain_graph=True)``.
    show_grad : bool
        Label every tensor that requires grad with the norm of ``d root / d tensor``
        (computed here through :func:`tinygrad_cnn.grad`; ``.grad`` is not touched; it equals
        what one ``backward()`` from zeroed gradients puts in a parameter's ``.grad``), and
        colour the nodes by that norm on a log scale (legend included), so vanishing and
        exploding gradients stand out. A non-scalar root needs ``gradient``.
    collapse_modules : bool, int or "cluster"
        Needs ``trace`` (from :func:`trace_modules`). ``True`` folds each call of a leaf module
        (Conv2d, ReLU, ...) into one node; an int ``n`` folds the modules ``n`` levels deep;
        ``"cluster"`` keeps every op but boxes them by module.
    model : Module, optional
        Names the parameters ("conv1.weight") from ``model.named_parameters()``; without it
        ``trace.model`` or the tensors' ``.name`` labels are used.
    params : dict, optional
        Extra ``{name: tensor}`` labels.
    grad_range : (float, float), optional
        Fix the colour scale to ``(lo, hi)`` gradient norms, to compare several drawings.
    rankdir, graph_attr :
        Layout direction ("TB" or "LR") and extra Graphviz graph attributes.

    >>> import tinygrad_cnn as tg
    >>> x = tg.Tensor([[1.0, -2.0]])
    >>> w = tg.Tensor([[0.5], [0.25]], requires_grad=True)
    >>> dot = draw_graph((x @ w).relu().sum(), params={"w": w})
    >>> print(dot.source.count("->"), "edges")
    7 edges
    >>> "w\\\\n(2, 1) float32" in dot.source and "MatMul" in dot.source
    True
    """
    try:
        import graphviz  # noqa: PLC0415  (optional dependency, needed only here)
    except ImportError as exc:
        raise ImportError(
            "draw_graph needs the graphviz Python package: `pip install graphviz` (or "
            "`pip install -e \".[viz]\"` in a checkout), plus the `dot` program "
            "(Debian/Ubuntu: `apt-get install graphviz`)") from exc

    roots = list(_tensors(root))
    if not roots:
        raise TypeError(f"draw_graph: expected a Tensor (or Tensors), got {type(root).__name__}")
    for r in roots:
        if r._ctx is not None and r._ctx.released:
            raise RuntimeError(
                "draw_graph: the graph behind this tensor was freed by backward(); call "
                "backward(retain_graph=True) to keep it, or draw before calling backward()"
            )
    if collapse_modules and trace is None:
        raise ValueError(
            "draw_graph: collapse_modules needs the module calls; run the forward pass inside "
            "`with trace_modules(model) as trace:` and pass trace=trace"
        )
    graph = _Graph(roots)
    names = _param_names(model, params, trace)
    norms = _gradients(roots, graph, gradient) if show_grad else {}
    finite = [math.log10(n) for n in norms.values() if n > 0 and math.isfinite(n)]
    if grad_range is not None:
        lo, hi = math.log10(grad_range[0]), math.log10(grad_range[1])
    else:
        lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5

    dot = _digraph_class(graphviz)(
        "tinygrad_cnn", graph_attr={"rankdir": rankdir, **(graph_attr or {})},
        node_attr={"fontname": "Helvetica", "fontsize": "11", "height": "0.3"},
        edge_attr={"arrowsize": "0.7"},
    )
    ids: dict[str, str] = {}

    def nid(key):  # short, deterministic node names in visiting order
        return ids.setdefault(key, f"n{len(ids)}")

    def grad_attrs(lines, tid, attrs):
        if tid in norms:
            lines.append(f"|grad| {_fmt_norm(norms[tid])}")
            attrs["fillcolor"], attrs["fontcolor"] = _colour(norms[tid], lo, hi)
        return attrs

    owner, calls, parent = ({}, [], {})
    if collapse_modules:
        owner, calls, parent = _module_groups(graph, trace, collapse_modules)
    folded = collapse_modules and collapse_modules != "cluster"
    root_ids = {id(r) for r in roots}
    bodies: dict[int, list] = {id(c): [] for c in calls}  # cluster members
    top: list = []

    def place(key, label, attrs):
        call = owner.get(key)
        if folded and call is not None:
            return
        (bodies[id(call)] if call is not None else top).append((nid(key), label, attrs))

    for tid, t in graph.tensors.items():
        lines = []
        name = names.get(tid) or t.name
        if t._ctx is None:
            kind = "param" if t.requires_grad else "leaf"
        else:
            kind = "tensor"
        if name:
            lines.append(str(name))
        if t._ctx is None and not t.requires_grad and t.numel() == 1 and not name:
            lines.append(f"{t.item():g}")
        else:
            lines.append(f"{_fmt_shape(t.shape)} {t.dtype}")
        if t.device.type != "cpu":
            lines.append(t.device.name)
        attrs = grad_attrs(lines, tid, dict(_STYLE[kind]))
        if tid in root_ids:
            attrs["penwidth"] = "2.5"
        place(f"t{tid}", "\\n".join(lines), attrs)
    for oid, ctx in graph.ops.items():
        label = format_op(ctx) + ("\\n(freed)" if ctx.released else "")
        place(f"op{oid}", label, dict(_STYLE["op"]))
    if folded:
        for call in calls:
            out = call.outputs[0] if call.outputs else None
            if out is None or id(out) not in graph.tensors:
                continue  # this call did not contribute to the root
            mod = call.module
            title = f"{call.name or type(mod).__name__}: {type(mod).__name__}"
            if call.index > 1:
                title += f" (call {call.index})"
            lines = [title]
            lines.append(f"{_fmt_shape(out.shape)} {out.dtype}")
            n_params = sum(p.numel() for _, p in mod.named_parameters())
            if n_params:
                lines.append(f"{n_params:,} params")
            attrs = dict(_STYLE["module"])
            grad_attrs(lines, id(out), attrs)
            key = f"call{id(call)}"
            for k in [k for k, c in owner.items() if c is call]:
                ids[k] = nid(key)
            top.append((nid(key), "\\n".join(lines), attrs))

    def emit(g, items):
        for node, label, attrs in items:
            g.node(node, label, **attrs)

    emit(dot, top)
    if calls and not folded:  # nested clusters, one per module call
        children: dict[int, list] = {}
        for call in calls:
            children.setdefault(id(parent[id(call)]) if id(call) in parent else 0, []).append(call)

        def cluster(call):  # recursion depth = module nesting depth, not graph size
            sub = graphviz.Digraph(name=f"cluster_{nid('call' + str(id(call)))}")
            title = f"{call.name}: {type(call.module).__name__}"
            sub.attr(label=title + (f" (call {call.index})" if call.index > 1 else ""),
                     style="rounded,dashed", color="#6a9f5b", fontname="Helvetica")
            emit(sub, bodies[id(call)])
            for child in children.get(id(call), []):
                sub.subgraph(cluster(child))
            return sub

        for call in children.get(0, []):
            dot.subgraph(cluster(call))
    for a, b in _unique_edges(graph.edges, nid):
        dot.edge(a, b)
    if norms:
        _legend(dot, lo, hi)
    return dot


def _unique_edges(edges, nid):
    """Edges between drawn nodes (folded members map to their module), without repeats."""
    seen = set()
    for a, b in edges:
        a, b = nid(a), nid(b)
        if a != b and (a, b) not in seen:
            seen.add((a, b))
            yield a, b


def _legend(dot, lo, hi):
    cells = []
    for i in range(6):
        value = 10 ** (lo + (hi - lo) * i / 5)
        fill, font = _colour(value, lo, hi)
        cells.append(f'<td bgcolor="{fill}"><font color="{font}">{value:.2g}</font></td>')
    label = ('<<table border="0" cellborder="1" cellspacing="0"><tr><td>|grad|</td>'
             + "".join(cells) + "</tr></table>>")
    dot.node("legend", label, shape="plaintext")


@functools.cache
def _digraph_class(graphviz):
    """A Digraph whose render/pipe turn a missing `dot` into a clear DotNotFoundError."""

    class Digraph(graphviz.Digraph):
        """:class:`graphviz.Digraph` with an install hint when ``dot`` is missing."""

        def pipe(self, *args, **kwargs):
            try:
                return super().pipe(*args, **kwargs)
            except graphviz.ExecutableNotFound as exc:
                raise DotNotFoundError(DOT_INSTALL_HINT) from exc

        def render(self, *args, **kwargs):
            try:
                return super().render(*args, **kwargs)
            except graphviz.ExecutableNotFound as exc:
                raise DotNotFoundError(DOT_INSTALL_HINT) from exc

    return Digraph
