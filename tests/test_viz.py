"""draw_graph: DOT content, gradient norms, module folding, rendering, big graphs, missing dot."""

import math
import re
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn import nn
from tinygrad_cnn.cli import main as cli_main
from tinygrad_cnn.models import LeNet5
from tinygrad_cnn.viz import DotNotFoundError, draw_graph, format_op, trace_modules

pytest.importorskip("graphviz")

NODE = re.compile(r'^\s*(\w+) \[label=(".*?(?<!\\)"|<.*>|\S+)(.*)\]$')
EDGE = re.compile(r"^\s*(\w+) -> (\w+)")


def parse(dot):
    """{node id: (label, attrs)} and [(src label, dst label)] from DOT source."""
    nodes, edges = {}, []
    for line in dot.source.splitlines():
        if m := NODE.match(line):
            nodes[m.group(1)] = (m.group(2).strip('"').replace("\\n", "\n"), m.group(3))
        elif m := EDGE.match(line):
            edges.append((m.group(1), m.group(2)))
    labels = {k: v[0] for k, v in nodes.items()}
    return nodes, [(labels[a], labels[b]) for a, b in edges]


def labels(dot):
    return [label for label, _ in parse(dot)[0].values()]


def lenet_step(batch=2, seed=0):
    tg.manual_seed(seed)
    model = LeNet5()
    with trace_modules(model) as trace:
        logits = model(tg.randn(batch, 1, 32, 32))
    loss = F.cross_entropy(logits, tg.Tensor(np.arange(batch) % 10))
    return model, trace, loss


# -- labels and edges ----------------------------------------------------------------------
def test_ops_tensors_and_edges_follow_the_data():
    x = tg.Tensor(np.ones((1, 3, 8, 8)), requires_grad=True)
    w = tg.Tensor(np.ones((4, 3, 3, 3)), requires_grad=True)
    x.name, w.name = "image", "kernel"
    y = F.conv2d(x, w, stride=2, padding=1).relu()
    nodes, edges = parse(draw_graph(y))
    assert ("image\n(1, 3, 8, 8) float64", "Conv2d s=2 p=1") in edges
    assert ("kernel\n(4, 3, 3, 3) float64", "Conv2d s=2 p=1") in edges
    assert ("Conv2d s=2 p=1", "(1, 4, 4, 4) float64") in edges
    assert ("(1, 4, 4, 4) float64", "ReLU") in edges
    assert len(nodes) == 6 and len(edges) == 5  # 2 leaves, 2 ops, 2 results
    root = [attrs for label, attrs in nodes.values() if label.startswith("(1, 4, 4, 4)")]
    assert sum("penwidth" in a for a in root) == 1  # the root is outlined


@pytest.mark.parametrize("make, label", [
    (lambda x: F.conv2d(x, tg.ones(2, 3, 3, 3)), "Conv2d"),
    (lambda x: F.conv2d(x, tg.ones(2, 3, 3, 3), padding=(1, 2), dilation=2), "Conv2d p=1,2 d=2"),
    (lambda x: F.conv2d(x, tg.ones(3, 1, 3, 3), groups=3), "Conv2d g=3"),
    (lambda x: F.max_pool2d(x, 2), "MaxPool2d k=2 s=2"),
    (lambda x: F.max_pool2d(x, 3, stride=1, padding=1), "MaxPool2d k=3 p=1"),
    (lambda x: x.sum((2, 3)), "Sum axes=2,3"),
    (lambda x: x.reshape(1, -1), "Reshape shape=1,192"),
    (lambda x: x * 2, "Mul"),
])
def test_op_labels_show_non_default_settings(make, label):
    x = tg.randn(1, 3, 8, 8, requires_grad=True)
    assert format_op(make(x)._ctx) == label


def test_parameter_names_come_from_the_model():
    model, trace, loss = lenet_step()
    names = {n for n, _ in model.named_parameters()}
    drawn = {label.split("\n")[0] for label in labels(draw_graph(loss, model=model))}
    assert names <= drawn
    assert "features.0.weight" in drawn and "classifier.5.bias" in drawn
    # the trace knows the model too
    assert names <= {label.split("\n")[0] for label in labels(draw_graph(loss, trace=trace))}
    nodes, edges = parse(draw_graph(loss, model=model))
    assert ("features.0.weight\n(6, 1, 5, 5) float32", "Conv2d") in edges


def test_constants_show_their_value_and_devices_are_named(device):
    x = tg.Tensor(np.ones(3), requires_grad=True, device=device)
    drawn = labels(draw_graph((x * 2.5).sum(), show_grad=True))
    assert any(label.split("\n")[0] == "2.5" for label in drawn)
    if device != "cpu":
        assert any(label.endswith(f"\n{device}\n|grad| 1.73") for label in drawn), drawn
    else:
        assert not any("\ncpu" in label for label in drawn)


# -- gradients -----------------------------------------------------------------------------
def test_gradient_norms_match_numpy_and_leave_grad_alone():
    a = np.array([[1.0, -2.0], [0.5, 3.0]])
    w = tg.Tensor(a, requires_grad=True)
    w.name = "w"
    h = w.tanh()
    loss = (h * h).sum()
    nodes, _ = parse(draw_graph(loss, show_grad=True))
    drawn = [label for label, _ in nodes.values()]
    dh = 2 * np.tanh(a)
    dw = dh * (1 - np.tanh(a) ** 2)
    assert f"w\n(2, 2) float64\n|grad| {np.linalg.norm(dw):.3g}" in drawn
    assert f"(2, 2) float64\n|grad| {np.linalg.norm(dh):.3g}" in drawn
    assert w.grad is None  # computed on the side, not accumulated


def test_gradient_colours_follow_a_log_scale_with_legend():
    x = tg.Tensor([1.0], requires_grad=True)
    loss = (((x * 10) * 10) * 10).sum()  # d loss / d (x, t1, t2, t3) = 1000, 100, 10, 1
    dot = draw_graph(loss, show_grad=True)
    assert "legend" in dot.source and "|grad|" in dot.source
    nodes, _ = parse(dot)
    fills = {label: re.search(r'fillcolor="(#\w+)"', attrs).group(1)
             for label, attrs in nodes.values() if label.startswith("(")}
    assert len(set(fills.values())) == 4  # one colour per decade
    # a fixed range clamps: everything at or above the top shares the top colour
    fixed = parse(draw_graph(loss, show_grad=True, grad_range=(1e-6, 1e-5)))[0]
    tops = {re.search(r'fillcolor="(#\w+)"', a).group(1) for lab, a in fixed.values()
            if lab.startswith("(")}
    assert tops == {"#fde725"}


def test_gradients_after_backward_with_retain_graph_match_grad():
    model, _, loss = lenet_step()
    loss.backward(retain_graph=True)
    drawn = labels(draw_graph(loss, model=model, show_grad=True))
    for name, p in model.named_parameters():
        norm = np.linalg.norm(p.grad.numpy())
        label = next(lab for lab in drawn if lab.startswith(name + "\n"))
        assert f"|grad| {norm:.3g}" in label


def test_a_freed_graph_gives_a_clear_error():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        draw_graph(loss)


def test_zero_and_non_finite_gradients_are_marked():
    x = tg.Tensor([-1.0, -2.0], requires_grad=True)
    dot = draw_graph(x.relu().sum(), show_grad=True)
    assert any(label.endswith("|grad| 0") for label in labels(dot)) and "#d0d0d0" in dot.source
    z = tg.Tensor(np.array([0.0, 1.0]), requires_grad=True)
    with np.errstate(divide="ignore"):
        dot = draw_graph(z.sqrt().sum(), show_grad=True)  # d sqrt(z)/dz = inf at 0
    assert any(label.endswith("|grad| inf") for label in labels(dot)) and 'fillcolor="#ff4040"' in dot.source


# -- module folding ------------------------------------------------------------------------
def test_collapse_folds_each_layer_into_one_node():
    model, trace, loss = lenet_step()
    full = parse(draw_graph(loss, trace=trace))[0]
    nodes, edges = parse(draw_graph(loss, trace=trace, collapse_modules=True, show_grad=True))
    drawn = [label for label, _ in nodes.values()]
    firsts = [label.split("\n")[0] for label in drawn]
    for name, mod in model.named_modules():
        if name and not list(mod.children()):
            assert f"{name}: {type(mod).__name__}" in firsts
    assert "features.0: Conv2d\n(2, 6, 28, 28) float32\n156 params" in "\n".join(drawn)
    assert not any(lab.startswith(("Conv2d", "Linear", "MaxPool2d", "features.0.weight")) for lab in drawn)
    leaves = [name for name, mod in model.named_modules() if name and not list(mod.children())]
    assert sum(f.split(": ")[0] in leaves for f in firsts) == len(leaves) == 12  # one node a layer
    assert not any(f.endswith((".weight", ".bias")) for f in firsts)  # parameters folded in
    assert len(nodes) < len(full)
    first = next(lab for lab in drawn if lab.startswith("features.0"))
    second = next(lab for lab in drawn if lab.startswith("features.1"))
    assert ("(2, 1, 32, 32) float32", first) in edges and (first, second) in edges
    assert "|grad|" in first


def test_collapse_by_depth_and_as_clusters():
    model, trace, loss = lenet_step()
    top = [lab.split("\n")[0] for lab in labels(draw_graph(loss, trace=trace, collapse_modules=1))]
    assert "features: Sequential" in top and "classifier: Sequential" in top
    assert not any(lab.startswith("features.0") for lab in top)
    dot = draw_graph(loss, trace=trace, collapse_modules="cluster")
    assert dot.source.count("subgraph cluster_") == 2 + 12  # two Sequentials, 12 layers
    assert 'label="features.0: Conv2d"' in dot.source
    assert len(parse(dot)[0]) == len(parse(draw_graph(loss, trace=trace))[0])


def test_collapse_needs_a_trace_and_marks_repeated_calls():
    x = tg.randn(2, 4)
    with pytest.raises(ValueError, match="trace_modules"):
        draw_graph((x * 2).sum(), collapse_modules=True)
    act = nn.Tanh()
    model = nn.Sequential(nn.Linear(4, 4), act, nn.Linear(4, 4), act)
    with trace_modules(model) as trace:
        y = model(x).sum()
    drawn = labels(draw_graph(y, trace=trace, collapse_modules=True))
    assert any(lab.startswith("1: Tanh (call 2)") for lab in drawn)
    first = model[0](x).sum()  # calls that did not feed this root are left out
    assert [lab.split("\n")[0] for lab in labels(draw_graph(first, trace=trace,
            collapse_modules=True)) if ": " in lab] == []
    assert act._forward_hooks == {}  # hooks removed after the trace


# -- size and rendering --------------------------------------------------------------------
def test_a_5000_op_chain_draws_without_recursion():
    x = tg.Tensor([1.0], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(400)  # far below the graph's depth
    try:
        dot = draw_graph(y.sum(), show_grad=True)
    finally:
        sys.setrecursionlimit(limit)
    assert dot.source.count(" -> ") == 2 * 5000 + 2 + 5000  # x and constant into each Mul
    assert "|grad| 1" in dot.source


def test_rendered_svg_is_valid_and_has_every_node():
    model, trace, loss = lenet_step()
    dot = draw_graph(loss, model=model, show_grad=True)
    svg = dot.pipe(format="svg")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    ns = {"s": "http://www.w3.org/2000/svg"}
    groups = root.findall(".//s:g[@class='node']", ns)
    assert len(groups) == len(parse(dot)[0])  # the legend included
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert "features.0.weight" in texts and "Conv2d" in texts


@pytest.mark.parametrize("fmt, magic", [("png", b"\x89PNG"), ("pdf", b"%PDF")])
def test_png_and_pdf(fmt, magic, tmp_path):
    dot = draw_graph((tg.Tensor([1.0], requires_grad=True) * 2).sum())
    assert dot.pipe(format=fmt).startswith(magic)
    path = dot.render(tmp_path / "g", format=fmt)
    assert open(path, "rb").read(4).startswith(magic)


def test_missing_dot_says_how_to_install_it(monkeypatch, tmp_path):
    dot = draw_graph((tg.Tensor([1.0], requires_grad=True) * 2).sum())
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no `dot` anywhere
    for call in (lambda: dot.pipe(format="svg"), lambda: dot.render(tmp_path / "g")):
        with pytest.raises(DotNotFoundError, match=r"apt-get install graphviz") as info:
            call()
        assert ".source" in str(info.value)
    assert dot.source.startswith("digraph") and "Mul" in dot.source


# -- the commands --------------------------------------------------------------------------
def test_graph_command(tmp_path, capsys):
    out = tmp_path / "lenet.svg"
    assert cli_main(["graph", "--model", "lenet", "--out", str(out)]) == 0
    root = ET.fromstring(out.read_bytes())
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert "features.3.weight" in texts and any(t and t.startswith("|grad|") for t in texts)
    assert cli_main(["graph", "--collapse", "modules", "--out", str(tmp_path / "g.dot")]) == 0
    assert "features.0: Conv2d" in (tmp_path / "g.dot").read_text()
    with pytest.raises(SystemExit) as info:
        cli_main(["graph", "--out", str(tmp_path / "g.txt")])
    assert info.value.code == 2


def test_graph_command_without_dot_keeps_the_source(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SystemExit) as info:
        cli_main(["graph", "--out", str(tmp_path / "g.png")])
    assert info.value.code == 1
    assert "apt-get install graphviz" in capsys.readouterr().err
    assert (tmp_path / "g.dot").read_text().startswith("digraph")


def test_commands_mount_on_the_main_cli(tmp_path, capsys):
    from tinygrad_cnn import cli

    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"graph", "summary"} <= set(sub.choices)  # mounted by cli.build_parser itself
    args = parser.parse_args(["graph", "--out", str(tmp_path / "g.dot")])
    assert args.func(args) == 0 and (tmp_path / "g.dot").exists()


def test_summary_command(capsys):
    assert cli_main(["summary", "--model", "lenet"]) == 0
    out = capsys.readouterr().out
    assert "Total params: 61,706" in out and "28x28x6" in out


def test_norm_format_is_compact():
    from tinygrad_cnn.viz import _fmt_norm

    assert [_fmt_norm(v) for v in (1.0, 0.000123456, 12345.0, math.nan, math.inf)] == [
        "1", "0.000123", "1.23e+04", "nan", "inf"]


def test_index_settings_read_as_python_indices_in_labels():
    from tinygrad_cnn.viz_labels import format_op  # noqa: PLC0415

    x = tg.randn(3, 4, requires_grad=True)
    assert format_op(x[1:, ::2]._ctx) == "GetItem index=[1:,::2]"
    assert format_op(x[..., None, [1, 3]]._ctx) == "GetItem index=[...,None,<array (2,)>]"
    assert format_op(x.gather(1, tg.tensor([[0], [1], [2]]))._ctx) == "GetItem index=[<array (3, 1)>,<array (3, 1)>]"
    assert format_op(x.max(dim=1).values._ctx) == "MaxDim dim=1"  # its argmax is plumbing
    assert format_op(x.min(dim=0).values._ctx) == "MinDim dim=0"
