"""Where the time goes: a LeNet-5 training step and the 64->64 conv forward+backward.

    python benchmarks/profile_step.py [--steps 20] [--what lenet,conv] [--cprofile]

For each workload: the phases (forward, backward, optimiser), then the exclusive time of every
op's ``forward`` and ``backward`` (an op's backward that applies other ops is charged only for
its own work), and what is left: the engine and Python glue. Ops are timed by wrapping their
methods in this process only; the package is not modified. ``--cprofile`` adds the top
functions by own time. Medians over ``--steps`` steps.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import workloads as W  # noqa: E402

import tinygrad_cnn as tg  # noqa: E402
import tinygrad_cnn.nn.functional as F  # noqa: E402
from tinygrad_cnn.function import all_functions  # noqa: E402


class OpTimer:
    """Exclusive time per (op, forward|backward), by temporarily wrapping Function methods."""

    def __init__(self) -> None:
        self.totals = defaultdict(float)
        self.calls = defaultdict(int)
        self._stack = []  # [start, child time] per active call
        self._saved = []

    def _wrap(self, cls, meth):
        orig = cls.__dict__[meth]
        key = (cls.__name__, meth)
        timer = self

        def wrapper(self_, *a, **k):
            timer._stack.append([time.perf_counter(), 0.0])
            try:
                return orig(self_, *a, **k)
            finally:
                start, child = timer._stack.pop()
                spent = time.perf_counter() - start
                timer.totals[key] += spent - child
                timer.calls[key] += 1
                if timer._stack:
                    timer._stack[-1][1] += spent

        return orig, wrapper

    def __enter__(self):
        for cls in all_functions():
            for meth in ("forward", "backward"):
                if meth in cls.__dict__:
                    orig, wrapper = self._wrap(cls, meth)
                    self._saved.append((cls, meth, orig))
                    setattr(cls, meth, wrapper)
        return self

    def __exit__(self, *exc):
        for cls, meth, orig in self._saved:
            setattr(cls, meth, orig)


def _lenet():
    fw = W.Ours("cpu", os.cpu_count())
    model, (x, y) = fw.lenet(), W.lenet_batch()
    opt = fw.sgd(model)
    tx, ty = tg.Tensor(x), tg.Tensor(y)

    def phases():
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(model(tx), ty)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        return {"forward": t1 - t0, "backward": t2 - t1, "optimizer": t3 - t2}

    return phases


def _conv():
    x, w, b, gy = W.conv_inputs()
    tx, tw, tb, tgy = (tg.Tensor(a, requires_grad=i < 3) for i, a in enumerate((x, w, b, gy)))

    def phases():
        tx.grad = tw.grad = tb.grad = None
        t0 = time.perf_counter()
        out = F.conv2d(tx, tw, tb, padding=1)
        t1 = time.perf_counter()
        out.backward(tgy)
        t2 = time.perf_counter()
        return {"forward": t1 - t0, "backward": t2 - t1}

    return phases


def profile(name: str, steps: int, use_cprofile: bool) -> dict:
    phases = {"lenet": _lenet, "conv": _conv}[name]()
    for _ in range(2):
        phases()
    plain = [phases() for _ in range(steps)]
    with OpTimer() as timer:
        timed = [sum(phases().values()) for _ in range(steps)]
    total = statistics.median([sum(p.values()) for p in plain])
    print(f"\n== {name}: median step {total * 1e3:.2f} ms over {steps} steps "
          f"(with op timers: {statistics.median(timed) * 1e3:.2f} ms)")
    for key in plain[0]:
        ms = statistics.median([p[key] for p in plain]) * 1e3
        print(f"  phase {key:10s} {ms:8.2f} ms")
    rows = sorted(timer.totals.items(), key=lambda kv: -kv[1])
    op_total = sum(timer.totals.values()) / steps
    step_with_timers = statistics.median(timed)
    print(f"  {'op.method':36s} {'ms/step':>8s} {'calls/step':>10s} {'share':>6s}")
    for (op, meth), secs in rows:
        ms = secs / steps * 1e3
        if ms < 0.01:
            continue
        print(f"  {op + '.' + meth:36s} {ms:8.2f} {timer.calls[(op, meth)] / steps:10.1f} "
              f"{secs / steps / step_with_timers:6.0%}")
    glue = step_with_timers - op_total
    print(f"  {'engine + Python glue (the rest)':36s} {glue * 1e3:8.2f} {'':10s} "
          f"{glue / step_with_timers:6.0%}")
    if use_cprofile:
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(steps):
            phases()
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(18)
    return {"step_ms": total * 1e3, "ops": {f"{o}.{m}": s / steps * 1e3 for (o, m), s in rows},
            "glue_ms": glue * 1e3}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--what", default="lenet,conv")
    p.add_argument("--cprofile", action="store_true")
    args = p.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    for name in args.what.split(","):
        profile(name, args.steps if name == "lenet" else max(3, args.steps // 4), args.cprofile)


if __name__ == "__main__":
    main()
