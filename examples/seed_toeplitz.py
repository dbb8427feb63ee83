"""Sparse connectivity and weight sharing made concrete: a conv layer as a dense matrix.

A convolution is a linear map, so it equals a fully connected layer whose weight matrix (a
doubly block Toeplitz matrix) is mostly zeros, with the same few kernel values repeated on
every row. This builds that matrix, checks it gives F.conv2d's output, and counts the
parameters of LeNet's first layer both ways (150 shared weights against 4,816,896).

    python examples/seed_toeplitz.py --out docs/_static    # writes seed_toeplitz.png
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _figures import save_figure  # noqa: E402  (examples/_figures.py)

import tinygrad_cnn as tg  # noqa: E402
import tinygrad_cnn.nn.functional as F  # noqa: E402
from tinygrad_cnn.toeplitz import conv2d_toeplitz, conv_param_counts  # noqa: E402


def main(argv=None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".", help="folder for the PNG")
    parser.add_argument("--size", type=int, default=6, help="side of the small input drawn")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)

    # A 2x2 kernel (w x / y z) on a small input, as in the seed's a..l example.
    n = args.size
    w = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    x = rng.standard_normal((1, 1, n, n))
    M = conv2d_toeplitz(w, (n, n))
    conv = F.conv2d(tg.Tensor(x), tg.Tensor(w)).numpy().ravel()
    err = np.abs(M @ x.ravel() - conv).max()
    print(f"{n}x{n} input, 2x2 kernel: matrix {M.shape}, max |M x - conv2d(x, w)| = {err:.1e}")
    assert err < 1e-12

    # LeNet's first layer: 6 filters of 5x5 on a 32x32 image.
    lenet_w = rng.standard_normal((6, 1, 5, 5))
    big = conv2d_toeplitz(lenet_w, (32, 32))
    img = rng.standard_normal((1, 1, 32, 32))
    err_big = np.abs(big @ img.ravel() - F.conv2d(tg.Tensor(img), tg.Tensor(lenet_w)).numpy().ravel()).max()
    c = conv_param_counts(6, 1, 5, (32, 32))
    lines = [
        "LeNet conv1 (32x32 -> 28x28x6)",
        f"shared weights:        {c.shared_weights:>10,}  (6 x 5x5x1)",
        f"dense layer weights:   {c.dense_weights:>10,}  (32x32 x 28x28x6)",
        f"non-zero in the matrix:{c.connections:>10,}  ({c.connections / c.dense_weights:.1%})",
        f"matrix = conv2d: max error {err_big:.1e}",
    ]
    print("\n".join(lines))

    fig, axes = plt.subplots(1, 3, figsize=(13, 4.6), gridspec_kw={"width_ratios": [2.2, 1, 1.4]})
    lim = np.abs(M).max()
    axes[0].imshow(np.where(M == 0, np.nan, M), cmap="viridis", vmin=0, vmax=lim)
    axes[0].set_title(f"the conv as a {M.shape[0]}x{M.shape[1]} matrix\n"
                      "(blank = 0: sparse; 4 colours = 4 shared weights)")
    axes[0].set_xlabel(f"input pixel ({n}x{n}, row by row)")
    axes[0].set_ylabel(f"output pixel ({n - 1}x{n - 1})")
    axes[1].imshow(np.where(M[0] == 0, np.nan, M[0]).reshape(n, n), cmap="viridis", vmin=0, vmax=lim)
    axes[1].set_title("row 0 = what output (0,0) sees\n(the kernel, placed; zeros elsewhere)")
    axes[1].axis("off")
    axes[2].axis("off")
    axes[2].text(0.0, 0.5, "\n".join(lines), family="monospace", fontsize=9, va="center")
    fig.tight_layout()
    return [save_figure(fig, args.out, "seed_toeplitz.png")]


if __name__ == "__main__":
    main()
