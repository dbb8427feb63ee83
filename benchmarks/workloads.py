"""The benchmark workloads, run for ONE framework per process (``bench.py`` alternates them).

    python benchmarks/workloads.py --framework ours|torch [--device cpu|cuda] [--threads N]
        [--repeats R] [--only lenet,conv_fwd,...] [--epoch-batches B] [--mode time|memory|overhead]

prints one JSON object on its last stdout line (``--mode lenet-blocks`` instead serves blocks
of LeNet-5 steps to a driver, see :func:`serve_lenet_blocks`). Both frameworks get the same inputs: every
weight and every batch is drawn here with NumPy from fixed seeds and handed to the framework,
so the two processes compute the same function on the same numbers (the report compares the
first losses and the weights after the timed steps to prove it).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import statistics
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FASHION_DIR = "/usr/share/datasets/fashion-mnist"  # Debian's dataset-fashion-mnist

# The workload shapes: every mode, --quick included, keeps them (only repeats shrink).
LENET_BATCH = 64
CONV = dict(n=32, c=64, o=64, hw=32, k=3, pad=1)
POOL = dict(n=32, c=64, hw=32)
CONV_FLOP = 2 * CONV["n"] * CONV["o"] * CONV["c"] * CONV["k"] ** 2 * CONV["hw"] ** 2
WORKLOADS = ("matmul", "conv_fwd", "conv_fwd_bwd", "pool_fwd_bwd", "lenet_step", "epoch")
LENET_KEYS = {  # state_dict name -> shape; both frameworks' LeNet-5 use these exact names
    "features.0.weight": (6, 1, 5, 5), "features.0.bias": (6,),
    "features.3.weight": (16, 6, 5, 5), "features.3.bias": (16,),
    "classifier.1.weight": (120, 400), "classifier.1.bias": (120,),
    "classifier.3.weight": (84, 120), "classifier.3.bias": (84,),
    "classifier.5.weight": (10, 84), "classifier.5.bias": (10,),
}


# -- shared inputs (NumPy, seeded) --------------------------------------------------------------
def lenet_weights(seed: int = 0) -> dict:
    """PyTorch's default init scale, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), drawn with NumPy."""
    rng = np.random.default_rng(seed)
    out, fan_in = {}, 1
    for key, shape in LENET_KEYS.items():
        if key.endswith("weight"):
            fan_in = int(np.prod(shape[1:]))
        bound = 1.0 / np.sqrt(fan_in)
        out[key] = rng.uniform(-bound, bound, size=shape).astype(np.float32)
    return out


def lenet_batch(seed: int = 1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((LENET_BATCH, 1, 32, 32)).astype(np.float32)
    return x, rng.integers(0, 10, LENET_BATCH).astype(np.int64)


def conv_inputs(seed: int = 2):
    rng = np.random.default_rng(seed)
    n, c, o, hw, k = (CONV[key] for key in ("n", "c", "o", "hw", "k"))
    x = rng.standard_normal((n, c, hw, hw)).astype(np.float32)
    w = (rng.standard_normal((o, c, k, k)) / np.sqrt(c * k * k)).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32)
    gy = rng.standard_normal((n, o, hw, hw)).astype(np.float32)
    return x, w, b, gy


def pool_inputs(seed: int = 3):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((POOL["n"], POOL["c"], POOL["hw"], POOL["hw"])).astype(np.float32)
    gy = rng.standard_normal((POOL["n"], POOL["c"], POOL["hw"] // 2, POOL["hw"] // 2))
    return x, gy.astype(np.float32)


def _read_idx(path: str) -> np.ndarray:
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def epoch_data(n_images: int):
    """Fashion-MNIST train images padded to 32x32 and normalised, or synthetic of that shape."""
    images = os.path.join(FASHION_DIR, "train-images-idx3-ubyte.gz")
    labels = os.path.join(FASHION_DIR, "train-labels-idx1-ubyte.gz")
    if os.path.exists(images) and os.path.exists(labels):
        x = _read_idx(images)[:n_images].astype(np.float32) / 255.0
        y = _read_idx(labels)[:n_images].astype(np.int64)
        source = f"Fashion-MNIST train set from {FASHION_DIR} (first {len(x)} images)"
    else:
        rng = np.random.default_rng(4)
        x = rng.random((n_images, 28, 28), dtype=np.float32)
        y = rng.integers(0, 10, n_images).astype(np.int64)
        source = f"synthetic (no {FASHION_DIR}): {n_images} random 28x28 images"
    x = np.pad((x - 0.2860) / 0.3530, ((0, 0), (2, 2), (2, 2)))[:, None].astype(np.float32)
    return x, y, source


# -- the two frameworks behind one small interface --------------------------------------------
class Ours:
    name = "tinygrad_cnn"

    def __init__(self, device: str, threads: int) -> None:
        sys.path.insert(0, ROOT)
        import tinygrad_cnn as tg  # noqa: PLC0415
        import tinygrad_cnn.nn.functional as F  # noqa: PLC0415
        from tinygrad_cnn import optim  # noqa: PLC0415

        self.tg, self.F, self.optim, self.device = tg, F, optim, device
        self.xp = tg.get_device(device).xp
        self.sync = self._cuda_sync if device.startswith("cuda") else (lambda: None)

    def _cuda_sync(self) -> None:
        self.xp.cuda.get_current_stream().synchronize()

    def tensor(self, a, grad=False):
        return self.tg.Tensor(a, requires_grad=grad, device=self.device)

    def no_grad(self):
        return self.tg.no_grad()

    def numpy(self, t):
        return t.numpy()

    def matmul_pair(self, n: int):
        rng = np.random.default_rng(5)
        a, b = (self.xp.asarray(rng.standard_normal((n, n), dtype=np.float32)) for _ in range(2))
        return lambda: self.xp.matmul(a, b)

    def lenet(self):
        try:
            from tinygrad_cnn.models import LeNet5  # noqa: PLC0415

            model = LeNet5()
        except ImportError:  # models.py not there yet: the same layers by hand
            nn = self.tg.nn
            model = nn.Module()
            model.features = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
                                           nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2, 2))
            model.classifier = nn.Sequential(nn.Flatten(), nn.Linear(400, 120), nn.ReLU(),
                                             nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
            model.forward = lambda x: model.classifier(model.features(x))
        model.load_state_dict(lenet_weights())
        return model.to(self.device)

    def sgd(self, model):
        return self.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def state(self, model) -> dict:
        return {k: v.numpy() for k, v in model.state_dict().items()}

    def batches(self, x, y, batch: int, seed: int):
        from tinygrad_cnn.data import DataLoader, TensorDataset  # noqa: PLC0415

        loader = DataLoader(TensorDataset(x, y), batch_size=batch, shuffle=True, seed=seed,
                            device=self.device)
        return iter(loader)


class Torch:
    name = "torch"

    def __init__(self, device: str, threads: int) -> None:
        import torch  # noqa: PLC0415
        import torch.nn.functional as F  # noqa: PLC0415

        torch.set_num_threads(threads)
        self.torch, self.F, self.device = torch, F, device
        self.sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)

    def tensor(self, a, grad=False):
        return self.torch.tensor(a, requires_grad=grad, device=self.device)

    def no_grad(self):
        return self.torch.no_grad()

    def numpy(self, t):
        return t.detach().cpu().numpy()

    def matmul_pair(self, n: int):
        rng = np.random.default_rng(5)
        a, b = (self.tensor(rng.standard_normal((n, n), dtype=np.float32)) for _ in range(2))
        return lambda: self.torch.matmul(a, b)

    def lenet(self):
        nn = self.torch.nn

        class LeNet5(nn.Module):
            def __init__(self):
                super().__init__()
                self.features = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
                                              nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2, 2))
                self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(400, 120), nn.ReLU(),
                                                nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))

            def forward(self, x):
                return self.classifier(self.features(x))

        model = LeNet5()
        model.load_state_dict({k: self.torch.from_numpy(v) for k, v in lenet_weights().items()})
        return model.to(self.device)

    def sgd(self, model):
        return self.torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def state(self, model) -> dict:
        return {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}

    def batches(self, x, y, batch: int, seed: int):
        # The idiomatic fast path for an in-memory data set: slice a shuffled index.
        # (torch's DataLoader on a TensorDataset collates sample by sample, which is slower.)
        xt, yt = self.torch.from_numpy(x), self.torch.from_numpy(y)
        order = self.torch.from_numpy(np.random.default_rng([seed, 0]).permutation(len(x)))
        for start in range(0, len(x), batch):
            idx = order[start:start + batch]
            yield xt[idx].to(self.device), yt[idx].to(self.device)


# -- timing -------------------------------------------------------------------------------------
CONFIG = {"warmup": 2}  # untimed calls before each timed series (--warmup)


def _times(fw, fn, repeats: int, warmup: int | None = None) -> list:
    warmup = CONFIG["warmup"] if warmup is None else warmup
    for _ in range(warmup):
        fn()
    fw.sync()
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        fw.sync()
        out.append(time.perf_counter() - start)
    return out


def train_step(fw, model, opt, x, y):
    opt.zero_grad()
    loss = fw.F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss


def bench_matmul(fw, repeats: int, device: str) -> dict:
    sizes = (4096, 8192) if device.startswith("cuda") else (1024, 2048)
    best = {}
    for n in sizes:
        ts = _times(fw, fw.matmul_pair(n), max(2, repeats // 2), warmup=max(1, CONFIG["warmup"]))
        best[str(n)] = 2 * n**3 / statistics.median(ts) / 1e9
    return {"gflops_by_size": best, "gflops": max(best.values())}


def bench_conv(fw, repeats: int, backward: bool) -> dict:
    x, w, b, gy = conv_inputs()
    tx, tw, tb, tgy = fw.tensor(x, backward), fw.tensor(w, backward), fw.tensor(b, backward), \
        fw.tensor(gy)
    pad = CONV["pad"]
    if not backward:
        def fn():
            with fw.no_grad():
                return fw.F.conv2d(tx, tw, tb, padding=pad)
    else:
        def fn():
            tx.grad = tw.grad = tb.grad = None
            fw.F.conv2d(tx, tw, tb, padding=pad).backward(tgy)
    ts = _times(fw, fn, repeats)
    out = {"times": ts, "flop": CONV_FLOP * (3 if backward else 1)}
    if backward:  # numerics check: a few numbers both processes must agree on
        out["check"] = [float(np.abs(fw.numpy(g)).sum()) for g in (tx.grad, tw.grad, tb.grad)]
    else:
        with fw.no_grad():
            out["check"] = [float(np.abs(fw.numpy(fn())).sum())]
    return out


def bench_pool(fw, repeats: int) -> dict:
    x, gy = pool_inputs()
    tx, tgy = fw.tensor(x, True), fw.tensor(gy)

    def fn():
        tx.grad = None
        fw.F.max_pool2d(tx, 2).backward(tgy)

    ts = _times(fw, fn, repeats)
    return {"times": ts, "check": [float(np.abs(fw.numpy(tx.grad)).sum())]}


def bench_lenet(fw, repeats: int) -> dict:
    model, (x, y) = fw.lenet(), lenet_batch()
    opt = fw.sgd(model)
    tx, ty = fw.tensor(x), fw.tensor(y)
    first = float(fw.numpy(train_step(fw, model, opt, tx, ty)))
    ts = _times(fw, lambda: train_step(fw, model, opt, tx, ty), repeats)
    state = fw.state(model)
    return {"times": ts, "check": [first] + [float(np.abs(state[k]).sum()) for k in LENET_KEYS],
            "steps_after_first": repeats + 2}


def bench_epoch(fw, batches: int) -> dict:
    x, y, source = epoch_data(batches * LENET_BATCH)
    model = fw.lenet()
    opt = fw.sgd(model)
    it = fw.batches(x, y, LENET_BATCH, seed=6)
    bx, by = next(it)  # warm-up step, not timed
    train_step(fw, model, opt, bx, by)
    fw.sync()
    start, seen = time.perf_counter(), 0
    for bx, by in it:
        train_step(fw, model, opt, bx, by)
        seen += len(by)
    fw.sync()
    elapsed = time.perf_counter() - start
    return {"images_per_s": seen / elapsed, "images": seen, "seconds": elapsed, "source": source}


def serve_lenet_blocks(fw, warmup: int, stdin=sys.stdin, stdout=sys.stdout) -> None:
    """Serve blocks of LeNet-5 training steps to a driver (``bench.py``'s paired blocks,
    ``compare_versions.py``): build the model, take ``warmup`` steps, print ``ready``; then for
    each line holding a step count, take two untimed steps (the caches and pools warm again
    after the pause before the block) and that many timed ones, and print their times in
    seconds as one JSON list. Ends at the end of input."""
    model, (x, y) = fw.lenet(), lenet_batch()
    opt, tx, ty = fw.sgd(model), fw.tensor(x), fw.tensor(y)
    for _ in range(warmup):
        train_step(fw, model, opt, tx, ty)
    fw.sync()
    print("ready", file=stdout, flush=True)
    for line in stdin:
        times = _times(fw, lambda: train_step(fw, model, opt, tx, ty), int(line), warmup=2)
        print(json.dumps(times), file=stdout, flush=True)


def run_time(fw, args) -> dict:
    only = args.only.split(",") if args.only else WORKLOADS
    out = {}
    for name in WORKLOADS:
        if name not in only:
            continue
        if name == "matmul":
            out[name] = bench_matmul(fw, args.repeats, args.device)
        elif name == "conv_fwd":
            out[name] = bench_conv(fw, args.repeats, backward=False)
        elif name == "conv_fwd_bwd":
            out[name] = bench_conv(fw, args.repeats, backward=True)
        elif name == "pool_fwd_bwd":
            out[name] = bench_pool(fw, args.repeats)
        elif name == "lenet_step":
            out[name] = bench_lenet(fw, args.repeats)
        elif name == "epoch":
            out[name] = bench_epoch(fw, args.epoch_batches)
    return out


def _status_kib(field: str):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    """Reset the kernel's resident-set high-water mark (Linux >= 4.0); False where refused."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def run_memory(fw, args) -> dict:
    """Peak memory of the LeNet training loop, measured the same way for both frameworks.

    The resident set's high-water mark during ``steps`` training steps minus the resident set
    just before them (model, optimiser and batch already built): the kernel's peak is reset
    first (/proc/self/clear_refs), so whatever the process touched earlier does not hide the
    loop's peak. Where that reset is refused, the growth of ru_maxrss instead (a lower bound).
    On CUDA, the device memory pools' high-water marks as well.
    """
    model, (x, y) = fw.lenet(), lenet_batch()
    opt = fw.sgd(model)
    tx, ty = fw.tensor(x), fw.tensor(y)
    cuda = args.device.startswith("cuda")
    exact = _reset_peak_rss() and _status_kib("VmHWM") is not None
    before = _status_kib("VmRSS") if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(args.memory_steps):
        train_step(fw, model, opt, tx, ty)
    fw.sync()
    after = _status_kib("VmHWM") if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = {"rss_peak_delta_mib": (after - before) / 1024.0, "steps": args.memory_steps,
           "method": "VmHWM - VmRSS after clear_refs" if exact else "ru_maxrss growth"}
    if cuda and isinstance(fw, Torch):
        out["device_peak_mib"] = fw.torch.cuda.max_memory_allocated() / 2**20
    elif cuda:
        out["device_peak_mib"] = fw.xp.get_default_memory_pool().total_bytes() / 2**20
    if isinstance(fw, Ours) and not cuda:  # NumPy reports its buffers to tracemalloc
        import tracemalloc  # noqa: PLC0415

        tracemalloc.start()
        for _ in range(3):
            train_step(fw, model, opt, tx, ty)
        out["tracemalloc_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return out


def run_overhead(fw, args) -> dict:
    """Per-op engine overhead (benchmarks/op_overhead.py) and the op count of one LeNet step."""
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    import op_overhead  # noqa: PLC0415

    from tinygrad_cnn import engine  # noqa: PLC0415

    out = {"us_per_op": op_overhead.measure(args.overhead_ops)}
    model, (x, y) = fw.lenet(), lenet_batch()
    opt = fw.sgd(model)
    counts = []
    with engine._hook(lambda ctx, result: counts.append(ctx.name)):
        train_step(fw, model, opt, fw.tensor(x), fw.tensor(y))
    out["lenet_ops_forward"] = len(counts)
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description="one framework's side of benchmarks/bench.py")
    p.add_argument("--framework", choices=("ours", "torch"), required=True)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--mode", choices=("time", "memory", "overhead", "lenet-blocks"), default="time",
                   help="lenet-blocks: serve blocks of LeNet-5 steps on stdin/stdout "
                        "(serve_lenet_blocks)")
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--warmup", type=int, default=CONFIG["warmup"])
    p.add_argument("--only", default="")
    p.add_argument("--epoch-batches", type=int, default=100)
    p.add_argument("--memory-steps", type=int, default=20)
    p.add_argument("--overhead-ops", type=int, default=20000)
    args = p.parse_args(argv)
    CONFIG["warmup"] = args.warmup
    fw = (Ours if args.framework == "ours" else Torch)(args.device, args.threads)
    if args.mode == "lenet-blocks":
        serve_lenet_blocks(fw, max(args.warmup, 1))
        return
    run = {"time": run_time, "memory": run_memory, "overhead": run_overhead}[args.mode]
    result = {"framework": fw.name, "mode": args.mode, "results": run(fw, args)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
