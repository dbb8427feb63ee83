"""The gradient graph of one LeNet training step, with the gradient norm of every tensor.

Runs one forward pass on a Fashion-MNIST batch (random images if the data is not installed),
the cross-entropy loss and backward(retain_graph=True), then draws the graph twice: every op
(parameters named after their layers), and folded to one node per layer. Colours follow the
gradient norm on a log scale, so vanishing or exploding gradients stand out.

    python examples/seed_graph.py --out docs/_static   # seed_graph.svg/.png, seed_graph_layers.png
"""

import argparse
from pathlib import Path

import numpy as np

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.models import LeNet5
from tinygrad_cnn.optim import SGD
from tinygrad_cnn.viz import draw_graph, trace_modules


def batch(size, seed):
    try:
        from tinygrad_cnn.data import FashionMNIST

        data = FashionMNIST(train=True, download=False, padding=2)
        return data.get_batch(np.arange(size))
    except FileNotFoundError:
        rng = np.random.default_rng(seed)
        return rng.random((size, 1, 32, 32), dtype=np.float32), rng.integers(0, 10, size)


def main(argv=None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".", help="folder for the pictures")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    tg.manual_seed(args.seed)
    model = LeNet5()
    opt = SGD(model.parameters(), lr=0.05)
    x, y = batch(args.batch_size, args.seed)
    with trace_modules(model) as trace:  # remembers which layer produced which tensor
        logits = model(tg.Tensor(x))
    loss = F.cross_entropy(logits, tg.Tensor(y))
    opt.zero_grad()
    loss.backward(retain_graph=True)  # keep the graph so that it can be drawn

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    full = draw_graph(loss, show_grad=True, model=model)
    (out / "seed_graph.svg").write_bytes(full.pipe(format="svg"))
    (out / "seed_graph.png").write_bytes(full.pipe(format="png"))
    layers = draw_graph(loss, show_grad=True, collapse_modules=True, trace=trace)
    (out / "seed_graph_layers.png").write_bytes(layers.pipe(format="png"))
    opt.step()  # the step the gradients were for
    paths = [out / "seed_graph.svg", out / "seed_graph.png", out / "seed_graph_layers.png"]
    print(f"loss {loss.item():.4f}; wrote " + ", ".join(str(p) for p in paths))
    return paths


if __name__ == "__main__":
    main()
