"""The seed's flight example: a 1D weighted average of distance readings with F.conv1d.

s_t = sum_a w_{-a} x_{t-a}: the current reading x_t gets the largest weight w_0, older readings
less. F.conv1d computes a cross-correlation, so the kernel lists the weights oldest first:
(w_-6, ..., w_0). The seed's weights sum to 0.19; divided by that sum they make a weighted
*average* (the plot shows both).

    python examples/seed_flight_average.py --out docs/_static   # writes seed_flight_average.png
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

WEIGHTS = [0.01, 0.01, 0.02, 0.02, 0.04, 0.04, 0.05]  # w_-6 ... w_0, the seed's table
READINGS = [1.00, 1.10, 1.20, 1.40, 1.70, 1.80, 1.90, 2.10, 2.20, 2.40, 2.50, 2.70]


def weighted_average(readings, weights, normalise=True) -> np.ndarray:
    """s_t for every t with a full window (t = K-1 ... N-1), with F.conv1d."""
    w = np.asarray(weights, dtype=np.float64)
    if normalise:
        w = w / w.sum()
    x = tg.Tensor(np.asarray(readings, dtype=np.float64)[None, None])  # (N=1, C=1, L)
    return F.conv1d(x, tg.Tensor(w[None, None])).numpy()[0, 0]       # (L - K + 1,)


def main(argv=None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".", help="folder for the PNG")
    args = parser.parse_args(argv)

    k = len(WEIGHTS)
    raw = weighted_average(READINGS, WEIGHTS, normalise=False)
    avg = weighted_average(READINGS, WEIGHTS)
    t = np.arange(len(READINGS))
    print("t   x_t   s_t (raw weights)   s_t (weights / their sum)")
    for i, (r, a) in enumerate(zip(raw, avg)):
        print(f"{i + k - 1:<3d} {READINGS[i + k - 1]:.2f}  {r:.4f}              {a:.4f}")

    fig, (ax, axw) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [3, 1.2]})
    ax.plot(t, READINGS, "o-", label="readings x_t")
    ax.plot(t[k - 1:], avg, "s-", label="weighted average s_t (normalised)")
    ax.plot(t[k - 1:], raw, "^--", label="s_t with the raw weights (sum 0.19)")
    ax.set_xlabel("t (reading)")
    ax.set_ylabel("distance")
    ax.set_title("s_t = sum_a w_-a x_t-a  =  F.conv1d(x, w)")
    ax.legend()
    axw.bar([f"w{-a}" if a else "w0" for a in range(k - 1, -1, -1)], WEIGHTS, color="#3b528b")
    axw.set_title("kernel (oldest first)")
    fig.tight_layout()
    return [save_figure(fig, args.out, "seed_flight_average.png")]


if __name__ == "__main__":
    main()
