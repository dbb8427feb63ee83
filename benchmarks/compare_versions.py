"""Two versions of tinygrad_cnn side by side: the LeNet-5 training step in alternating blocks.

    python benchmarks/compare_versions.py OLD_TREE [NEW_TREE] [--batch 64] [--blocks 40]
        [--steps 15] [--threads 2]

OLD_TREE and NEW_TREE are source trees (a checkout, or ``git worktree add /tmp/old HEAD~1``);
NEW_TREE defaults to this one. One worker process per tree imports tinygrad_cnn from its tree,
warms up, then waits; the driver (``bench.drive_blocks``) asks them in turn (A B, then B A,
...) for a block of ``--steps`` timed steps, each after two untimed ones, and reads back each
block's times. On a shared machine whose speed drifts
over seconds, blocks this short see the same drift on both sides, which a pair of whole
benchmark processes often do not; the per-block ratio new / old is the figure to read
(its median and quartiles). Both workers use this tree's ``benchmarks/workloads.py``, so the
step, the weights and the batch are the same.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from bench import MODES, TIMEOUT, drive_blocks  # noqa: E402
from report import quartiles  # noqa: E402


def worker(tree: str, batch: int) -> None:
    """Serve blocks of training steps from ``tree``'s tinygrad_cnn (workloads.serve_lenet_blocks:
    a step count per line in, that block's step times in seconds out, as a JSON list)."""
    import workloads as w  # noqa: PLC0415

    w.ROOT = tree  # Ours() puts ROOT first on sys.path before importing tinygrad_cnn
    w.LENET_BATCH = batch
    fw = w.Ours("cpu", 0)
    source = os.path.realpath(fw.tg.__file__)
    if not source.startswith(os.path.realpath(tree) + os.sep):
        raise SystemExit(f"worker for {tree} imported tinygrad_cnn from {source}")
    w.serve_lenet_blocks(fw, warmup=20)


def compare(old: str, new: str, batch: int, blocks: int, steps: int, threads: int) -> dict:
    """Median step times (ms) per block for both trees, and the per-block ratios new / old."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads))
    commands = {name: ([sys.executable, os.path.abspath(__file__), "--worker", tree, "--batch", str(batch)], env)
                for name, tree in (("old", old), ("new", new))}
    blocks_run = drive_blocks(commands, blocks, steps, pause=MODES["full"]["pause"], timeout=TIMEOUT)
    if "error" in blocks_run:
        raise SystemExit(f"{blocks_run['error']}: " + " / ".join(blocks_run["stderr"][-3:]))
    times = {name: [1e3 * statistics.median(block) for block in blocks_run[name]] for name in ("old", "new")}
    times["ratio"] = [n / o for n, o in zip(times["new"], times["old"])]
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="source tree of the version to compare against")
    parser.add_argument("new", nargs="?", default=ROOT, help="source tree (default: this one)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--blocks", type=int, default=40)
    parser.add_argument("--steps", type=int, default=15, help="steps per block")
    parser.add_argument("--threads", type=int, default=2, help="OpenBLAS threads per worker")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.old, args.batch)
        return
    if args.blocks < 1 or args.steps < 1 or args.batch < 1:
        parser.error(f"expected --blocks, --steps and --batch >= 1, got {args.blocks}, "
                     f"{args.steps} and {args.batch}")
    times = compare(args.old, args.new, args.batch, args.blocks, args.steps, args.threads)
    for name in ("old", "new"):
        print(f"{name}: median {statistics.median(times[name]):.2f} ms, "
              f"fastest block {min(times[name]):.2f} ms")
    q1, median, q3 = quartiles(times["ratio"])
    print(f"batch {args.batch}, {args.blocks} blocks of {args.steps} steps: new / old per block "
          f"{median:.3f} (quartiles {q1:.3f}-{q3:.3f})")


if __name__ == "__main__":
    main()
