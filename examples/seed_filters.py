"""What a trained LeNet learned: its first-layer filters and the feature maps of one image.

The course's point: instead of hand-crafting blur or edge kernels, let the network learn its
own. This trains LeNet-5 briefly on Fashion-MNIST (or loads a checkpoint), then shows the six
5x5 filters of conv1 and what they, conv2 and the pools make of one test image.

    python examples/seed_filters.py --out docs/_static               # 200 Adam steps, under a minute
    python examples/seed_filters.py --checkpoint lenet.npz --out /tmp  # a trained model
"""

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _figures import save_figure  # noqa: E402  (examples/_figures.py)

import tinygrad_cnn as tg  # noqa: E402
import tinygrad_cnn.nn.functional as F  # noqa: E402
from tinygrad_cnn.data import FashionMNIST  # noqa: E402
from tinygrad_cnn.models import LeNet5  # noqa: E402
from tinygrad_cnn.optim import Adam  # noqa: E402


def train(model, data, steps, batch_size, seed=0):
    """A few hundred Adam steps on random batches: enough for filters with structure."""
    rng = np.random.default_rng(seed)
    opt = Adam(model.parameters(), lr=2e-3)
    t0, losses = time.perf_counter(), []
    for step in range(steps):
        x, y = data.get_batch(rng.integers(0, len(data), batch_size))
        loss = F.cross_entropy(model(tg.Tensor(x)), tg.Tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if (step + 1) % 100 == 0 or step + 1 == steps:
            print(f"step {step + 1:4d}  loss {np.mean(losses[-100:]):.3f}  "
                  f"({time.perf_counter() - t0:.1f} s)")


def load_checkpoint(model, path):
    state = tg.load(path)  # a `train` checkpoint, or a saved state_dict
    model.load_state_dict(state["model"] if "model" in state else state)


def main(argv=None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".", help="folder for the PNGs")
    parser.add_argument("--checkpoint", default=None, help="a saved LeNet-5 (skips training)")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--index", type=int, default=0, help="which test image to show")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    tg.manual_seed(args.seed)
    model = LeNet5()
    test = FashionMNIST(train=False, download=False, padding=2)
    if args.checkpoint:
        load_checkpoint(model, args.checkpoint)
    else:
        train(model, FashionMNIST(train=True, download=False, padding=2), args.steps,
              args.batch_size, args.seed)
    model.eval()

    x, label = test[args.index]
    maps = {}  # feature maps of one image, caught with forward hooks
    hooks = [model.features[i].register_forward_hook(
        lambda m, inp, out, i=i: maps.__setitem__(i, out.numpy()[0])) for i in (1, 2, 4)]
    with tg.no_grad():
        pred = int(model(tg.Tensor(x[None])).argmax(1).item())
    for h in hooks:
        h.remove()

    # 1. The six learned 5x5 filters of conv1 (a shared colour scale, 0 = mid grey).
    w = model.features[0].weight.numpy()[:, 0]
    lim = np.abs(w).max()
    fig, axes = plt.subplots(1, 6, figsize=(10, 2.2))
    for i, ax in enumerate(axes):
        ax.imshow(w[i], cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_title(f"filter {i}")
        ax.axis("off")
    fig.suptitle("LeNet conv1: six learned 5x5 filters (red +, blue -)")
    fig.tight_layout()
    filters = save_figure(fig, args.out, "seed_filters.png")

    # 2. The image and what the layers make of it: 6 maps of 28x28 (conv1 + ReLU), their
    #    14x14 max-pools, and the 16 maps of 10x10 after conv2 + ReLU.
    names = test.classes
    fig = plt.figure(figsize=(12, 6.5))
    grid = fig.add_gridspec(4, 9)
    ax = fig.add_subplot(grid[0:2, 0:2])
    ax.imshow(x[0], cmap="gray")
    ax.set_title(f"input 32x32\n{names[label]} (predicted: {names[pred]})", fontsize=9)
    ax.axis("off")
    for i in range(6):
        for row, key, size in ((0, 1, "28x28"), (1, 2, "14x14")):
            ax = fig.add_subplot(grid[row, 2 + i])
            ax.imshow(maps[key][i], cmap="viridis")
            ax.set_title(f"{'conv1+ReLU' if key == 1 else 'pool1'} {i}\n{size}", fontsize=8)
            ax.axis("off")
    for i in range(16):
        ax = fig.add_subplot(grid[2 + i // 8, 1 + i % 8])
        ax.imshow(maps[4][i], cmap="viridis")
        ax.set_title(f"conv2 {i} (10x10)", fontsize=8)
        ax.axis("off")
    fig.suptitle("Feature maps of one Fashion-MNIST image in LeNet-5")
    fig.tight_layout()
    return [filters, save_figure(fig, args.out, "seed_feature_maps.png")]


if __name__ == "__main__":
    main()
