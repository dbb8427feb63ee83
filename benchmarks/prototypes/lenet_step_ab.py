"""End-to-end effect of the col2im input gradient on a LeNet-5 training step, A B A B.

    python benchmarks/prototypes/lenet_step_ab.py [--steps 30]

B swaps ``ConvTranspose2d.forward`` (the input gradient of every conv) for a version that
takes the col2im path when it moves fewer numbers than the full correlation (stride 1,
dilation 1, one group; the current code otherwise), in this process only. It checks that
every parameter gradient of one step matches A (np.allclose), then times steps alternately.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

import workloads as W  # noqa: E402
from conv_kernels import new_input_grad  # noqa: E402

from tinygrad_cnn.ops.conv import ConvTranspose2d  # noqa: E402

ORIGINAL = ConvTranspose2d.forward


def forward_choosing(self, y, w, b=None, *, geom, out_hw):
    """col2im when C*KH*KW*OH*OW < O*KH*KW*H*W (per sample), on the plain geometry."""
    (top, bottom), (left, right) = geom.pads
    plain = (geom.stride == (1, 1) and geom.dilation == (1, 1) and geom.groups == 1
             and b is None and top == bottom == left == right and self.xp is np)
    o, c = w.shape[:2]
    if plain and c * y.shape[2] * y.shape[3] < o * out_hw[0] * out_hw[1]:
        return new_input_grad(y, w, top, out_hw)
    return ORIGINAL(self, y, w, b, geom=geom, out_hw=out_hw)


def one_step(fw, model, opt, x, y):
    W.train_step(fw, model, opt, x, y)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=30)
    args = p.parse_args()
    fw = W.Ours("cpu", 1)
    (x, y) = W.lenet_batch()
    tx, ty = fw.tensor(x), fw.tensor(y)
    grads = []
    for variant in (ORIGINAL, forward_choosing):
        ConvTranspose2d.forward = variant
        model = fw.lenet()
        fw.F.cross_entropy(model(tx), ty).backward()
        grads.append({k: p.grad.numpy() for k, p in model.named_parameters()})
    same = all(np.allclose(grads[0][k], grads[1][k], rtol=1e-5, atol=1e-6) for k in grads[0])
    models = {}
    for name, variant in (("A current", ORIGINAL), ("B col2im", forward_choosing)):
        model = fw.lenet()
        models[name] = (variant, model, fw.sgd(model))
    times = {name: [] for name in models}
    for _ in range(args.steps + 2):
        for name, (variant, model, opt) in models.items():
            ConvTranspose2d.forward = variant
            start = time.perf_counter()
            one_step(fw, model, opt, tx, ty)
            times[name].append(time.perf_counter() - start)
    ConvTranspose2d.forward = ORIGINAL
    print(f"load average {os.getloadavg()[0]:.2f}; gradients identical (allclose): {same}")
    for name, ts in times.items():
        ts = ts[2:]
        print(f"{name:10s} median {statistics.median(ts) * 1e3:7.2f} ms   min {min(ts) * 1e3:7.2f} ms")
    a, b = (times[n][2:] for n in times)
    print(f"speedup: median {statistics.median(a) / statistics.median(b):.2f}x, "
          f"min {min(a) / min(b):.2f}x")


if __name__ == "__main__":
    main()
