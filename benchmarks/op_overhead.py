"""Engine overhead per recorded op: time tiny ops, where the arithmetic costs almost nothing.

Prints microseconds per op for: the raw NumPy call, the op without recording (no_grad), the
op recorded in the graph, and recorded forward plus backward; PyTorch's CPU build is timed
on the same ops in the same run when it is installed.

    python benchmarks/op_overhead.py [--ops 20000]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import tinygrad_cnn as tg


def _median_of(fn, repeats=5):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(n_ops: int) -> dict:
    a = np.ones(4, dtype=np.float32)

    def raw():
        y = a
        for _ in range(n_ops):
            y = y * 1.0

    x = tg.Tensor(a, requires_grad=True)

    def unrecorded():
        with tg.no_grad():
            y = x
            for _ in range(n_ops):
                y = y * 1.0

    def recorded():
        y = x
        for _ in range(n_ops):
            y = y * 1.0
        return y

    def recorded_backward():
        recorded().sum().backward()
        x.grad = None

    results = {
        "numpy": _median_of(raw) / n_ops * 1e6,
        "tinygrad_cnn no_grad": _median_of(unrecorded) / n_ops * 1e6,
        "tinygrad_cnn recorded": _median_of(recorded) / n_ops * 1e6,
        "tinygrad_cnn forward+backward": _median_of(recorded_backward) / n_ops * 1e6,
    }
    try:
        import torch
    except ImportError:
        return results
    torch.set_num_threads(1)
    tx = torch.ones(4, requires_grad=True)

    def torch_recorded():
        y = tx
        for _ in range(n_ops):
            y = y * 1.0
        return y

    def torch_backward():
        torch_recorded().sum().backward()
        tx.grad = None

    results["torch recorded"] = _median_of(torch_recorded) / n_ops * 1e6
    results["torch forward+backward"] = _median_of(torch_backward) / n_ops * 1e6
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=20000, help="ops per timed chain")
    args = parser.parse_args()
    results = measure(args.ops)
    print(f"{'what':32s} {'us per op':>10s}")
    for name, us in results.items():
        print(f"{name:32s} {us:10.2f}")
    print(f"{'engine overhead (recorded-numpy)':32s} {results['tinygrad_cnn recorded'] - results['numpy']:10.2f}")


if __name__ == "__main__":
    main()
