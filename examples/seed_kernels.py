"""Blur, sharpen and edge detection: the seed's three 3x3 kernels applied with F.conv2d.

Each kernel re-estimates every pixel as a weighted sum of its 3x3 neighbourhood. Padding by 1
keeps the output the same size as the input (W_O = W_I - F + 2P + 1 = W_I for F=3, P=1).

    python examples/seed_kernels.py --out docs/_static          # writes seed_kernels.png
    python examples/seed_kernels.py --image hopper --out /tmp    # matplotlib's sample photo
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

KERNELS = {
    "blur": np.full((3, 3), 1 / 9),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float),
    "edge detection": np.array([[1, 1, 1], [1, -8, 1], [1, 1, 1]], dtype=float),
}


def load_image(which: str, index: int = 0) -> tuple[np.ndarray, str]:
    """A grey image in [0, 1]: a Fashion-MNIST test image, or matplotlib's sample photo."""
    if which in ("auto", "fashion"):
        try:
            from tinygrad_cnn.data import FashionMNIST

            ds = FashionMNIST(train=False, download=False)
            return ds.data[index].astype(np.float64) / 255, f"Fashion-MNIST #{index}: {ds.classes[ds.targets[index]]}"
        except FileNotFoundError:
            if which == "fashion":
                raise
    from matplotlib import cbook

    with cbook.get_sample_data("grace_hopper.jpg") as f:
        rgb = plt.imread(f, format="jpg").astype(np.float64) / 255
    grey = rgb @ np.array([0.299, 0.587, 0.114])
    return grey[::4, ::4], "Grace Hopper (matplotlib sample)"  # 150 x 128: 3x3 kernels show


def main(argv=None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".", help="folder for the PNG")
    parser.add_argument("--image", choices=("auto", "fashion", "hopper"), default="auto")
    parser.add_argument("--index", type=int, default=0, help="which Fashion-MNIST test image")
    args = parser.parse_args(argv)

    img, title = load_image(args.image, args.index)
    x = tg.Tensor(img[None, None])  # (N=1, C=1, H, W)
    w = tg.Tensor(np.stack(list(KERNELS.values()))[:, None])  # (3 kernels, C=1, 3, 3)
    maps = F.conv2d(x, w, padding=1).numpy()[0]  # (3, H, W): same size as the input
    assert maps.shape[1:] == img.shape

    fig, axes = plt.subplots(2, 4, figsize=(12, 5.6), gridspec_kw={"height_ratios": [4, 1]})
    panels = [("input", img, None)] + [(n, m, k) for (n, k), m in zip(KERNELS.items(), maps)]
    for (name, image, kernel), top, bottom in zip(panels, axes[0], axes[1]):
        if name == "edge detection":  # signed response: mid grey is 0, stretch the contrast
            lim = np.percentile(np.abs(image), 99)
            top.imshow(image, cmap="gray", vmin=-lim, vmax=lim)
        else:
            top.imshow(np.clip(image, 0, 1), cmap="gray", vmin=0, vmax=1)
        top.set_title(f"{name}\n{image.shape[0]}x{image.shape[1]}")
        top.axis("off")
        bottom.axis("off")
        if kernel is not None:
            text = "\n".join(" ".join(f"{v:5.2g}" for v in row) for row in kernel)
            bottom.text(0.5, 0.5, text, ha="center", va="center", family="monospace",
                        fontsize=12, bbox={"boxstyle": "round", "fc": "#fff3c4"})
    fig.suptitle(f"3x3 kernels applied with F.conv2d(x, w, padding=1) to {title}")
    fig.tight_layout()
    return [save_figure(fig, args.out, "seed_kernels.png")]


if __name__ == "__main__":
    main()
