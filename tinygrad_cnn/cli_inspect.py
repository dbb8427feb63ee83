"""The ``graph`` and ``summary`` commands: look inside a model from the shell.

``python -m tinygrad_cnn graph --model lenet --out lenet.svg`` draws the gradient graph of one
training step (a random batch, cross-entropy loss) with gradient norms;
``python -m tinygrad_cnn summary --model lenet`` prints the layer table. The main CLI mounts
them with :func:`add_subcommands`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tinygrad_cnn.models import MODELS

__all__ = ["add_subcommands", "cmd_graph", "cmd_summary"]

_FORMATS = ("svg", "png", "pdf", "dot", "gv")


def _shape(text: str) -> tuple:
    """``--input-size``: "1,1,32,32" (or "1x1x32x32") as a tuple of ints."""
    parts = [v for v in text.lower().replace("x", ",").split(",") if v]
    if not parts or not all(v.isdigit() and int(v) > 0 for v in parts):
        raise argparse.ArgumentTypeError(f"expected positive integers such as 1,1,32,32, got {text!r}")
    return tuple(int(v) for v in parts)


def _input_size(shape, model, batch):
    return shape or (batch, *getattr(model, "input_size", (1, 32, 32)))


def add_subcommands(subparsers) -> None:
    """Register ``graph`` and ``summary`` on an ``argparse`` subparsers object."""
    g = subparsers.add_parser(
        "graph", help="draw the gradient graph of one training step",
        description="Draw the computation graph of one training step (random input, "
                    "cross-entropy loss) with gradient norms, to SVG, PNG, PDF or DOT.")
    g.add_argument("--model", default="lenet", choices=sorted(MODELS), help="model name (default: lenet)")
    g.add_argument("--out", default="graph.svg",
                   help="output file; its extension picks the format: " + ", ".join(_FORMATS))
    g.add_argument("--batch-size", type=int, default=2, help="batch of the random input")
    g.add_argument("--input-size", type=_shape, default=None,
                   help="full input shape such as 1,1,32,32 (default: the model's)")
    g.add_argument("--collapse", choices=("none", "modules", "clusters"), default="none",
                   help="fold each layer into one node, or box its ops by layer")
    g.add_argument("--no-grad", action="store_true", help="leave out gradient norms and colours")
    g.add_argument("--rankdir", choices=("TB", "LR"), default="TB", help="layout direction")
    g.add_argument("--seed", type=int, default=0)
    g.set_defaults(func=cmd_graph)

    s = subparsers.add_parser("summary", help="print a layer-by-layer table of a model",
                              description="Output shapes, parameters, receptive fields, "
                                          "multiply-adds and activation memory per layer.")
    s.add_argument("--model", default="lenet", choices=sorted(MODELS), help="model name (default: lenet)")
    s.add_argument("--input-size", type=_shape, default=None,
                   help="full input shape such as 1,1,32,32 (default: 1 x the model's)")
    s.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default: %(default)s)")
    s.set_defaults(func=cmd_summary)


def cmd_graph(args) -> int:
    """Draw the graph; returns 0, exits with status 2 (bad --out) or 1 (no `dot` program)."""
    import tinygrad_cnn as tg  # noqa: PLC0415
    import tinygrad_cnn.nn.functional as F  # noqa: PLC0415
    from tinygrad_cnn.models import get_model  # noqa: PLC0415
    from tinygrad_cnn.viz import DotNotFoundError, draw_graph, trace_modules  # noqa: PLC0415

    out = Path(args.out)
    fmt = out.suffix.lstrip(".").lower()
    if fmt not in _FORMATS:
        print(f"graph: --out must end in one of .{', .'.join(_FORMATS)}, got {out.name!r}",
              file=sys.stderr)
        raise SystemExit(2)
    tg.manual_seed(args.seed)
    model = get_model(args.model)
    size = _input_size(args.input_size, model, args.batch_size)
    x = tg.randn(*size)
    target = tg.randint(0, 10, (size[0],))
    with trace_modules(model) as trace:
        logits = model(x)
    loss = F.cross_entropy(logits, target)
    collapse = {"none": False, "modules": True, "clusters": "cluster"}[args.collapse]
    try:
        dot = draw_graph(loss, show_grad=not args.no_grad, collapse_modules=collapse, trace=trace,
                         model=model, rankdir=args.rankdir)
    except ImportError as exc:  # the optional graphviz package is missing
        raise SystemExit(f"graph: {exc}") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt in ("dot", "gv"):
        out.write_text(dot.source)
    else:
        try:
            out.write_bytes(dot.pipe(format=fmt))
        except DotNotFoundError as exc:
            dot_path = out.with_suffix(".dot")
            dot_path.write_text(dot.source)
            print(f"graph: {exc}\nWrote the DOT source to {dot_path}", file=sys.stderr)
            raise SystemExit(1) from None
    print(f"wrote {out} ({args.model}, loss {loss.item():.4f})")
    return 0


def cmd_summary(args) -> int:
    from tinygrad_cnn.cli import device_option  # noqa: PLC0415
    from tinygrad_cnn.model_summary import summary  # noqa: PLC0415
    from tinygrad_cnn.models import get_model  # noqa: PLC0415

    device = device_option(args)
    model = get_model(args.model).to(device)
    print(summary(model, _input_size(args.input_size, model, 1), device=device))
    return 0

