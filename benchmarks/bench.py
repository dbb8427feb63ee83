"""tinygrad_cnn against PyTorch, side by side, in alternating processes.

    python benchmarks/bench.py [--quick | --smoke] [--device cpu|cuda] [--allocator default|retain]
                               [--out benchmarks/results]

Each round runs one process per framework, A B A B ... (``workloads.py`` does the work), so
slow drifts of the machine (other jobs, heat) hit both sides alike. Both sides get the same
weights and data, drawn with NumPy from fixed seeds, and the report checks that they computed
the same numbers. Reported: medians over all timed calls, the spread of the per-round medians
(the noise), ratios ours / PyTorch (time over time; > 1 means slower), conv forward GFLOP/s
against the NumPy float32 matmul peak of the same run, the peak memory of the LeNet training
loop measured the same way in each framework's own process, and the engine overhead per op.
The LeNet-5 step is also measured in paired blocks (:func:`paired_blocks`: pairs of fresh
processes asked in turn for short blocks of steps, with glibc's allocator as it comes and with
freed memory kept), and its target reads the kept-memory blocks.
A JSON and a Markdown report go to ``--out``. PyTorch is optional: without it only our side
is measured and the report says so. ``--quick`` takes about a minute; ``--smoke`` (the test
suite's mode) a few seconds; neither asserts anything about time.
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from report import TARGETS, markdown, summarise  # noqa: E402

TIMEOUT = 900  # seconds a worker process may run (--timeout)
MODES = {  # rounds, repeats, warmup, epoch batches, memory steps, overhead ops, memory rounds,
    # and the LeNet-5 step's paired blocks: pairs of processes, blocks per pair, timed steps per
    # block, the pause before each block
    "full": dict(rounds=5, repeats=10, warmup=2, epoch_batches=100, memory_steps=20,
                 overhead_ops=20000, memory_rounds=2, pairs=4, blocks=6, block_steps=15, pause=0.3),
    "quick": dict(rounds=1, repeats=2, warmup=1, epoch_batches=8, memory_steps=5,
                  overhead_ops=2000, memory_rounds=1, pairs=1, blocks=4, block_steps=5, pause=0.3),
    "smoke": dict(rounds=1, repeats=1, warmup=0, epoch_batches=2, memory_steps=2,
                  overhead_ops=200, memory_rounds=1, pairs=1, blocks=2, block_steps=1, pause=0.0,
                  only="pool_fwd_bwd,lenet_step,epoch"),
}


# What tinygrad_cnn.backend.retain_host_memory() asks of glibc, applied at process start to both
# workers: freed blocks up to 1 GiB stay in the heap instead of going back to the kernel, so
# the next step's arrays do not page-fault again.
RETAIN_TUNABLES = "glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=1073741824"


def blas_info() -> dict:
    """NumPy's BLAS: library, kernel and thread count (read from OpenBLAS itself if it can)."""
    import numpy as np  # noqa: PLC0415

    info = {"numpy": np.__version__, "library": "unknown", "threads": None, "coretype": None}
    libdir = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in glob.glob(os.path.join(libdir, "*openblas*")):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        info["library"] = os.path.basename(path)
        for prefix, suffix in (("scipy_", "64_"), ("", "64_"), ("", "")):
            threads = getattr(lib, f"{prefix}openblas_get_num_threads{suffix}", None)
            core = getattr(lib, f"{prefix}openblas_get_corename{suffix}", None)
            if threads is not None and core is not None:
                core.restype = ctypes.c_char_p
                info["threads"], info["coretype"] = int(threads()), core().decode()
                break
    if info["threads"] is None:  # not OpenBLAS, or not found: its usual environment
        env = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
        info["threads"] = int(env) if env else os.cpu_count()
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(var):
            info[var] = os.environ[var]
    return info


def _command(framework: str, args, settings: dict, mode: str, threads: int, allocator=None) -> tuple:
    """The command line and environment of one framework's ``workloads.py`` process
    (``allocator``: instead of ``args.allocator``)."""
    cmd = [sys.executable, os.path.join(HERE, "workloads.py"), "--framework", framework,
           "--device", args.device, "--threads", str(threads), "--mode", mode,
           "--repeats", str(settings["repeats"]), "--warmup", str(settings["warmup"]),
           "--epoch-batches", str(settings["epoch_batches"]),
           "--memory-steps", str(settings["memory_steps"]),
           "--overhead-ops", str(settings["overhead_ops"])]
    if settings.get("only"):
        cmd += ["--only", settings["only"]]
    env = dict(os.environ)
    if (allocator or args.allocator) == "retain":  # the same glibc setting for both, from the start
        env["GLIBC_TUNABLES"] = ":".join(filter(None, (env.get("GLIBC_TUNABLES"), RETAIN_TUNABLES)))
    if args.threads:  # both frameworks at the same, chosen thread count
        env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
    return cmd, env


def _worker(framework: str, args, settings: dict, mode: str, threads: int) -> dict:
    cmd, env = _command(framework, args, settings, mode, threads)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=args.timeout,
                          env=env)
    wall = time.perf_counter() - start
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
        return {"error": f"{framework} {mode} worker exited {proc.returncode}", "stderr": tail}
    out = json.loads(lines[-1])
    out["wall_s"] = wall
    return out


def paired_blocks(args, settings: dict, threads: int, frameworks: list, allocator: str) -> dict:
    """The LeNet-5 step in paired blocks. For each of ``pairs`` pairs of fresh processes (one
    per framework, ``workloads.py --mode lenet-blocks``, started with ``allocator``: "default"
    or "retain"), ask them in turn, A B then B A, for ``blocks`` blocks of ``block_steps`` timed
    steps (:func:`drive_blocks`).

    Why: a block takes a fraction of a second, so the two blocks of a pair meet the same state
    of a shared machine, whose speed drifts over seconds, where a whole process per framework
    runs its steps tens of seconds after the other's. And a process keeps a speed of its own
    for its whole life (two PyTorch processes side by side differed by 15-25 % here, block
    after block, as glibc's thresholds had settled in each: its step page-faults or not), so
    the blocks come from several pairs of processes. Before each block the
    driver waits ``pause`` seconds, so that the other process's idle threads (OpenBLAS spins
    for about 0.1 s after a product, OpenMP for a while too) have gone to sleep.

    Returns ``{"pairs": [{framework: [[seconds per step] per block]} per pair]}``; when a pair
    fails, also its ``"error"`` and ``"stderr"`` (the pairs finished before it are kept)."""
    pairs = []
    for _ in range(settings["pairs"]):
        commands = {fw: _command(fw, args, settings, "lenet-blocks", threads, allocator) for fw in frameworks}
        pair = drive_blocks(commands, settings["blocks"], settings["block_steps"], settings["pause"],
                            args.timeout)
        if "error" in pair:
            return {"pairs": pairs, **pair}
        pairs.append(pair)
    return {"pairs": pairs}


def drive_blocks(commands: dict, blocks: int, steps: int, pause: float, timeout: float) -> dict:
    """Start one ``workloads.serve_lenet_blocks`` worker per name (``commands``: name ->
    (argv, environment)) and ask them in turn, A B then B A, for ``blocks`` blocks of ``steps``
    timed steps, each after ``pause`` seconds. Returns ``{name: [[seconds per step] per
    block]}``; a worker that dies (the error gives its exit status), hangs (killed ``timeout``
    seconds after the start, and said so) or answers something that is not a block's times
    gives ``{"error": ..., "stderr": [its last lines]}`` instead, never an exception that would
    lose the caller's other results, and the other workers are killed."""
    procs, errs = {}, {}
    timed_out = threading.Event()

    def kill_all():  # a hung worker is killed: its stdout then ends
        timed_out.set()
        for proc in procs.values():
            proc.kill()

    watchdog = threading.Timer(timeout, kill_all)
    watchdog.daemon = True
    failure = None

    def failed(name, what, ended=False):  # ended: its output ended, so it has left or will
        nonlocal failure
        if timed_out.is_set():
            what = f"gave no answer within {timeout:g} s (--timeout) and was killed"
        elif ended:
            try:
                what += f" (exit {procs[name].wait(timeout=_EXIT_WAIT)})"
            except subprocess.TimeoutExpired:
                what += " (its output closed, the process still running)"
        errs[name].seek(0)
        failure = {"error": f"{name} lenet-blocks worker {what}",
                   "stderr": errs[name].read().decode(errors="replace").strip().splitlines()[-15:]}
        return failure

    try:
        for name, (cmd, env) in commands.items():
            errs[name] = tempfile.TemporaryFile()  # not a pipe: a chatty worker cannot block on it
            procs[name] = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                           stderr=errs[name], text=True, env=env)
        watchdog.start()
        for name, proc in procs.items():
            first = proc.stdout.readline()
            if first.strip() != "ready":
                return failed(name, "did not start", ended=not first)
        names = list(procs)
        times = {name: [] for name in names}
        for block in range(blocks):
            for name in names if block % 2 == 0 else names[::-1]:
                time.sleep(pause)
                try:
                    procs[name].stdin.write(f"{steps}\n")
                    procs[name].stdin.flush()
                    line = procs[name].stdout.readline()
                except OSError:  # a worker that died: its stdin is a broken pipe
                    line = ""
                if not line:
                    return failed(name, f"stopped in block {block + 1}", ended=True)
                try:
                    times[name].append([float(t) for t in json.loads(line)])
                except (ValueError, TypeError):
                    return failed(name, f"answered block {block + 1} with {line.strip()[:200]!r}")
        return times
    finally:
        watchdog.cancel()
        for proc in procs.values():
            if failure is not None:  # the others need not finish: nothing will read them
                proc.kill()
            try:
                proc.stdin.close()
            except OSError:
                pass
            try:
                proc.wait(timeout=_EXIT_WAIT)  # a worker leaves once its input ends
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()
        for err in errs.values():
            err.close()


_EXIT_WAIT = 30  # seconds a worker is given to leave after its last block


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run(args) -> dict:
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    settings = dict(MODES[mode])
    for key in ("rounds", "repeats", "only", "pairs", "blocks"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    blas = blas_info()
    threads = args.threads or blas["threads"] or os.cpu_count()
    have_torch = importlib.util.find_spec("torch") is not None and not args.no_torch
    frameworks = ["ours", "torch"] if have_torch else ["ours"]
    started = time.time()
    meta = {
        "mode": mode, "device": args.device, "settings": settings, "blas": blas,
        "allocator": args.allocator,
        "threads": threads, "torch_threads": threads if have_torch else None,
        "torch": _torch_version() if have_torch else None,
        "torch_missing_reason": None if have_torch else (
            "--no-torch given" if args.no_torch else "torch is not installed "
            "(pip install torch==2.13.0)"),
        "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "loadavg_start": os.getloadavg(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "workloads_shapes": {
            "lenet_step": "LeNet-5, batch 64 of 1x32x32, cross-entropy, backward, SGD(lr 0.01, "
                          "momentum 0.9)",
            "conv": "conv2d 64->64, 3x3, padding 1, bias, batch 32 of 32x32 (2.42 GFLOP forward)",
            "pool_fwd_bwd": "max_pool2d 2x2 stride 2, forward+backward, 32x64x32x32",
            "epoch": "LeNet-5 training over shuffled batches of 64, own data pipeline",
        },
    }
    rounds = {fw: [] for fw in frameworks}
    for r in range(settings["rounds"]):
        for fw in frameworks:  # A B A B ...
            _log(f"round {r + 1}/{settings['rounds']}: {fw} timing")
            rounds[fw].append(_worker(fw, args, settings, "time", threads))
    paired = None
    if len(frameworks) == 2 and "lenet_step" in (settings.get("only") or "lenet_step").split(","):
        # Under both allocators on the CPU, where glibc's page faults set PyTorch's step
        # (benchmarks/README.md); on a GPU one pass, with freed memory kept, is enough.
        paired = {}
        both = args.allocator == "default" and args.device == "cpu"
        for allocator in ("default", "retain") if both else ("retain",):
            _log(f"LeNet-5 step, allocator {allocator}: {settings['pairs']} pairs of processes, "
                 f"{settings['blocks']} paired blocks of {settings['block_steps']} steps each")
            paired[allocator] = paired_blocks(args, settings, threads, frameworks, allocator)
    memory = {fw: [] for fw in frameworks}
    if not args.no_memory:
        for r in range(settings["memory_rounds"]):
            for fw in frameworks:
                _log(f"memory {r + 1}/{settings['memory_rounds']}: {fw}")
                memory[fw].append(_worker(fw, args, settings, "memory", threads))
    overhead = None
    if not args.no_overhead and args.device == "cpu":
        _log("engine overhead per op")
        overhead = _worker("ours", args, settings, "overhead", threads)
    meta["loadavg_end"] = os.getloadavg()
    meta["wall_s"] = time.time() - started
    raw = {"rounds": rounds, "memory": memory, "overhead": overhead, "paired": paired}
    return {"meta": meta, "summary": summarise(raw, frameworks, args.device), "raw": raw}


def _torch_version():
    import torch  # noqa: PLC0415

    return torch.__version__


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="one short round (about a minute)")
    p.add_argument("--smoke", action="store_true", help="the tiniest run, for the test suite")
    p.add_argument("--device", default="cpu", help="cpu or cuda (CuPy for ours, torch.cuda)")
    p.add_argument("--out", default=os.path.join(HERE, "results"), help="report folder")
    p.add_argument("--rounds", type=int, default=None, help="alternations (A B) per workload")
    p.add_argument("--repeats", type=int, default=None, help="timed calls per process")
    p.add_argument("--pairs", type=int, default=None,
                   help="pairs of processes for the LeNet-5 step's paired blocks")
    p.add_argument("--blocks", type=int, default=None,
                   help="paired blocks of LeNet-5 steps per pair of processes (A B, then B A, ...)")
    p.add_argument("--only", default=None,
                   help="comma-separated subset of: matmul, conv_fwd, conv_fwd_bwd, "
                        "pool_fwd_bwd, lenet_step, epoch")
    p.add_argument("--threads", type=int, default=None,
                   help="threads for both sides: NumPy's BLAS (OPENBLAS_NUM_THREADS) and "
                        "torch.set_num_threads (default: NumPy's BLAS default, all CPUs)")
    p.add_argument("--allocator", choices=("default", "retain"), default="default",
                   help="glibc's allocator as it comes, or keeping freed memory (GLIBC_TUNABLES, "
                        "what retain_host_memory() sets) for both sides")
    p.add_argument("--no-torch", action="store_true", help="measure our side only")
    p.add_argument("--no-memory", action="store_true")
    p.add_argument("--no-overhead", action="store_true")
    p.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds per worker process")
    args = p.parse_args(argv)
    for name in ("rounds", "repeats", "pairs", "blocks"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            p.error(f"--{name}: expected at least 1, got {getattr(args, name)}")
    report = run(args)
    os.makedirs(args.out, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    text = markdown(report)
    paths = []
    for name in (f"bench-{args.device}-{stamp}", f"latest-{args.device}"):
        with open(os.path.join(args.out, name + ".json"), "w") as f:
            json.dump(report, f, indent=1)
        with open(os.path.join(args.out, name + ".md"), "w") as f:
            f.write(text)
        paths.append(os.path.join(args.out, name))
    print(text)
    print(f"reports: {paths[0]}.json / .md (and latest-{args.device}.*)")
    errors = [r["error"] for runs in report["raw"]["rounds"].values() for r in runs if "error" in r]
    return 1 if errors and all("error" in r for r in report["raw"]["rounds"]["ours"]) else 0


__all__ = ["main", "run", "blas_info", "TARGETS"]

if __name__ == "__main__":
    sys.exit(main())
