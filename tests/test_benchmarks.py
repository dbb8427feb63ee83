"""Keep benchmarks/ from rotting: run the harness in its tiniest mode. No timing is asserted."""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "benchmarks")
HAVE_TORCH = importlib.util.find_spec("torch") is not None


# A run's metadata as bench.run writes it, for the report tests.
_META = {"mode": "smoke", "device": "cpu", "started": "now", "threads": 2, "torch_threads": 2,
         "torch": "x", "torch_missing_reason": None, "cpus": 2, "loadavg_start": (0, 0, 0),
         "loadavg_end": (0, 0, 0), "wall_s": 1.0, "settings": {"rounds": 1, "repeats": 1, "pause": 0.3},
         "blas": {"numpy": "2", "library": "openblas", "coretype": "Haswell", "threads": 2}}


def _load(name):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", os.path.join(BENCH, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, BENCH)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(BENCH)
    return module


def test_bench_smoke_ours_only(tmp_path):
    """One round of a few workloads on our side, in subprocesses, with both reports written."""
    cmd = [sys.executable, os.path.join(BENCH, "bench.py"), "--smoke", "--no-torch",
           "--no-overhead", "--threads", "1", "--out", str(tmp_path)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads((tmp_path / "latest-cpu.json").read_text())
    assert not report["summary"]["errors"], report["summary"]["errors"]
    assert set(report["summary"]["workloads"]) == {"pool_fwd_bwd", "lenet_step"}
    assert report["summary"]["epoch"]["ours"]["images_per_s"] > 0
    assert report["summary"]["memory"]["ours"]["rss_peak_delta_mib"] >= 0
    assert "torch not measured" in (tmp_path / "latest-cpu.md").read_text().lower()


def test_retain_allocator_setting_matches_the_library():
    """bench.py --allocator retain gives both workers what retain_host_memory() asks of glibc
    by default: the same byte limit for both thresholds."""
    import inspect  # noqa: PLC0415

    from tinygrad_cnn.backend import retain_host_memory  # noqa: PLC0415

    limit = inspect.signature(retain_host_memory).parameters["limit_bytes"].default
    assert _load("bench").RETAIN_TUNABLES == (
        f"glibc.malloc.mmap_threshold={limit}:glibc.malloc.trim_threshold={limit}")


def test_compare_versions_runs_two_workers_on_one_tree():
    """The version comparison, this tree against itself: both workers answer every block."""
    cmd = [sys.executable, os.path.join(BENCH, "compare_versions.py"), ROOT, ROOT, "--batch", "2",
           "--blocks", "2", "--steps", "1", "--threads", "1"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "batch 2, 2 blocks of 1 steps: new / old per block" in proc.stdout


def test_paired_blocks_from_live_workers(monkeypatch):
    """bench.paired_blocks drives two live lenet-blocks workers (here both our side, under two
    names) in turn and gets every block's step times back; a worker that cannot start is
    reported with its error output, not waited for."""

    bench = _load("bench")
    real = bench._command
    monkeypatch.setattr(bench, "_command", lambda fw, *a: real("ours" if fw == "twin" else fw, *a))
    args = argparse.Namespace(device="cpu", allocator="default", threads=1, timeout=120)
    settings = dict(bench.MODES["smoke"], pairs=2, blocks=3, block_steps=2)
    pairs = bench.paired_blocks(args, settings, 1, ["ours", "twin"], "default")["pairs"]
    assert len(pairs) == 2 and all(set(pair) == {"ours", "twin"} for pair in pairs)
    for pair in pairs:
        assert [len(b) for b in pair["ours"]] == [2, 2, 2] and [len(b) for b in pair["twin"]] == [2, 2, 2]
        assert all(t > 0 for b in pair["ours"] + pair["twin"] for t in b)
    failed = bench.paired_blocks(args, settings, 1, ["ours", "nonesuch"], "default")
    assert failed["error"] == "nonesuch lenet-blocks worker did not start (exit 2)"
    assert any("invalid choice: 'nonesuch'" in line for line in failed["stderr"])


@pytest.mark.parametrize("script, error", [
    ("print('ready', flush=True); input(); print('[0.01]', flush=True)",
     "ours lenet-blocks worker stopped in block 2 (exit 0)"),
    ("print('ready', flush=True); input(); print('hello', flush=True); input()",
     "ours lenet-blocks worker answered block 1 with 'hello'"),
    ("import time; print('ready', flush=True); time.sleep(60)",
     "ours lenet-blocks worker gave no answer within 3 s (--timeout) and was killed"),
    ("import sys; sys.stderr.write('no luck'); sys.exit(3)", "ours lenet-blocks worker did not start (exit 3)"),
    ("import time; print('hello', flush=True); time.sleep(60)", "ours lenet-blocks worker did not start"),
])
def test_paired_blocks_report_a_worker_that_dies_hangs_or_talks_nonsense(monkeypatch, script, error):
    """Each failure comes back as an error with the worker's own error output, in about the
    --timeout for a hung one, and never as an exception that would lose the whole report."""

    bench = _load("bench")
    monkeypatch.setattr(bench, "_command", lambda fw, *a: ([sys.executable, "-c", script], dict(os.environ)))
    args = argparse.Namespace(device="cpu", allocator="default", threads=1, timeout=3)
    settings = dict(bench.MODES["smoke"], pairs=1, blocks=3, block_steps=1)
    start = time.perf_counter()
    result = bench.paired_blocks(args, settings, 1, ["ours"], "default")
    assert result["error"] == error
    assert time.perf_counter() - start < 20
    if "exit 3" in error:
        assert result["stderr"] == ["no luck"]
    assert result["pairs"] == []  # no pair had finished


def test_paired_blocks_keep_the_pairs_finished_before_a_failure():
    report = _load("report")
    pair = {"ours": [[0.012, 0.012], [0.013, 0.013]], "torch": [[0.010, 0.010], [0.010, 0.010]]}
    out = report._paired({"pairs": [pair], "error": "torch lenet-blocks worker stopped in block 1",
                          "stderr": ["boom"]})
    assert out["ratio"] == pytest.approx(1.25) and out["pairs"] == 1
    assert out["error"] == "torch lenet-blocks worker stopped in block 1" and out["stderr"] == ["boom"]
    assert report._paired({"pairs": [], "error": "e", "stderr": []}) == {"error": "e", "stderr": []}


@pytest.mark.parametrize("argv, allocators", [
    ([], ["default", "retain"]),
    (["--allocator", "retain"], ["retain"]),
    (["--only", "pool_fwd_bwd"], []),
    (["--device", "cuda"], ["retain"]),
])
def test_run_pairs_the_lenet_blocks_under_each_allocator(monkeypatch, argv, allocators):
    """With both frameworks, run() measures the LeNet-5 paired blocks with glibc as it comes and
    with freed memory kept (only the latter when that is the run's allocator, or on a GPU), and
    not at all when the LeNet-5 step is not among the workloads."""
    bench = _load("bench")
    real_find = bench.importlib.util.find_spec
    monkeypatch.setattr(bench.importlib.util, "find_spec",
                        lambda name, *a: object() if name == "torch" else real_find(name, *a))
    monkeypatch.setattr(bench, "_torch_version", lambda: "2.13.0")
    monkeypatch.setattr(bench, "_worker", lambda fw, args, settings, mode, threads: {"error": "not run", "stderr": []})
    seen = []

    def paired(args, settings, threads, frameworks, allocator):
        seen.append(allocator)
        full = bench.MODES["full"]
        assert frameworks == ["ours", "torch"]
        assert (settings["pairs"], settings["blocks"]) == (full["pairs"], full["blocks"])
        return {"error": "not run", "stderr": []}

    monkeypatch.setattr(bench, "paired_blocks", paired)
    args = argparse.Namespace(quick=False, smoke=False, device="cpu", rounds=1, repeats=1, only=None,
                                    pairs=None, blocks=None, threads=2, allocator="default", no_torch=False,
                                    no_memory=True, no_overhead=True, timeout=10)
    for flag, value in zip(argv[::2], argv[1::2]):
        setattr(args, flag.lstrip("-"), value)
    report = bench.run(args)
    assert seen == allocators
    assert sorted(report["raw"]["paired"] or {}) == sorted(allocators)


def test_bench_refuses_zero_pairs_or_blocks():
    for flag in ("--pairs", "--blocks"):
        proc = subprocess.run([sys.executable, os.path.join(BENCH, "bench.py"), flag, "0"], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2 and f"{flag}: expected at least 1, got 0" in proc.stderr


def test_the_lenet_target_reads_the_paired_blocks_with_freed_memory_kept():
    """With paired blocks the LeNet-5 target is the median of the pairs' ratios in the blocks
    run with freed memory kept (PyTorch without its page faults), and a bound inside their
    quartiles is reported as noise; the glibc-as-it-comes blocks and the separate processes'
    figures are shown too."""
    report = _load("report")
    run = {"results": {"lenet_step": {"times": [0.010] * 3, "check": [2.3]}}}
    slow = {"results": {"lenet_step": {"times": [0.020] * 3, "check": [2.3]}}}
    retain = {"pairs": [{"ours": [[0.012, 0.013, 0.011], [0.024]], "torch": [[0.010], [0.020]]},
                        {"ours": [[0.012], [0.017]], "torch": [[0.010], [0.010]]}]}
    default = {"pairs": [{"ours": [[0.012]] * 2, "torch": [[0.015]] * 2}]}
    raw = {"rounds": {"ours": [slow], "torch": [run]}, "memory": {}, "overhead": None,
           "paired": {"default": default, "retain": retain}}
    summary = report.summarise(raw, ["ours", "torch"])
    lenet = summary["workloads"]["lenet_step"]
    assert lenet["ratio"] == pytest.approx(2.0)  # the separate processes
    assert lenet["paired"]["default"]["ratio"] == pytest.approx(0.8)
    kept = lenet["paired"]["retain"]
    assert kept["block_ratios"] == pytest.approx([1.2, 1.2, 1.2, 1.7]) and kept["ratio"] == pytest.approx(1.2)
    assert kept["quartiles"] == pytest.approx([1.2, 1.325])  # within the ratios measured
    assert kept["process_pair_ratios"] == pytest.approx([1.2, 1.45])
    assert kept["pairs"] == 2 and kept["block_pairs"] == 4
    (target,) = summary["targets"]
    assert target["value"] == pytest.approx(1.2) and target["met"]
    assert target["noisy"] and target["noise_range"][0] == pytest.approx(1.2)
    meta = _META
    text = report.markdown({"meta": meta, "summary": summary})
    assert "| LeNet-5 step, paired blocks, glibc as it comes | 12.00 | 15.00 | 0.80 |" in text
    assert ("| LeNet-5 step, paired blocks, both keep freed memory (the target's figure) | 14.50 | 10.00 "
            "| 1.20 |") in text
    assert "quartiles of the paired blocks" in text
    assert "own median ratio: default: 0.80; retain: 1.20, 1.45" in text
    assert "(paired blocks, freed memory kept) | 1.20 | <= 1.3 | yes (quartiles of the paired blocks" in text
    assert "the target reads that stricter figure" in text
    raw["paired"]["retain"] = {"error": "torch lenet-blocks worker did not start", "stderr": ["boom"]}
    summary = report.summarise(raw, ["ours", "torch"])
    assert summary["targets"][0]["value"] == pytest.approx(2.0)  # no kept-memory pairs: the processes'
    assert "**Paired LeNet-5 blocks (retain) failed**" in report.markdown({"meta": meta, "summary": summary})


@pytest.mark.skipif(not HAVE_TORCH, reason="torch not installed")
def test_both_frameworks_compute_the_same_step():
    """In-process: one LeNet step and one pooling backward agree between ours and PyTorch."""
    w = _load("workloads")
    ours, torch_side = w.Ours("cpu", 1), w.Torch("cpu", 1)
    results = [w.bench_lenet(fw, repeats=1) for fw in (ours, torch_side)]
    checks = [r["check"] for r in results]
    assert len(checks[0]) == len(checks[1]) > 0
    assert all(abs(a - b) <= 2e-3 * max(abs(a), abs(b), 1e-6) for a, b in zip(*checks))
    pools = [w.bench_pool(fw, repeats=1)["check"] for fw in (ours, torch_side)]
    assert abs(pools[0][0] - pools[1][0]) <= 1e-4 * abs(pools[1][0])


def test_report_summary_with_fake_rounds():
    """The summary and Markdown handle two frameworks, ratios, targets and a failed worker."""
    report = _load("report")

    def run(scale):
        return {"results": {
            "matmul": {"gflops": 100.0 / scale},
            "conv_fwd": {"times": [0.02 * scale] * 3, "flop": 2.4e9, "check": [1.0]},
            "conv_fwd_bwd": {"times": [0.06 * scale] * 3, "flop": 7.2e9, "check": [1.0, 2.0]},
            "lenet_step": {"times": [0.01 * scale] * 3, "check": [2.3]},
            "epoch": {"images_per_s": 5000 / scale, "source": "synthetic"},
        }}

    raw = {"rounds": {"ours": [run(1.2), {"error": "ours time worker exited 1", "stderr": ["x"]}],
                      "torch": [run(1.0), run(1.0)]},
           "memory": {"ours": [{"results": {"rss_peak_delta_mib": 30.0, "method": "m"}}],
                      "torch": [{"results": {"rss_peak_delta_mib": 25.0, "method": "m"}}]},
           "overhead": None}
    summary = report.summarise(raw, ["ours", "torch"])
    assert summary["workloads"]["lenet_step"]["ratio"] == pytest.approx(1.2)
    assert summary["epoch"]["ratio"] == pytest.approx(1.2)
    assert summary["memory"]["ratio"] == pytest.approx(1.2)
    assert len(summary["errors"]) == 1
    met = {t["key"]: t["met"] for t in summary["targets"]}
    assert met == {"lenet_step": True, "conv_fwd_bwd": True, "conv_fwd_peak": True, "memory": False}
    meta = _META
    text = report.markdown({"meta": meta, "summary": summary})
    assert "LeNet-5 training step" in text and "| NO |" in text


def test_conv_forward_rounds_on_both_sides_of_the_bound_are_reported_as_noise():
    """Each round's fraction is taken against that round's own matmul peak: a round where
    both ran at half speed is no outlier, a round where only the conv did is."""
    report = _load("report")

    def run(conv_s, peak):
        return {"results": {"matmul": {"gflops": peak},
                            "conv_fwd": {"times": [conv_s] * 3, "flop": 2.4e9, "check": [1.0]}}}

    # 2.4 GFLOP in 30 ms is 80 GFLOP/s, in 60 ms 40
    raw = {"rounds": {"ours": [run(0.03, 100.0), run(0.06, 50.0), run(0.06, 100.0)]},
           "memory": {}, "overhead": None}
    summary = report.summarise(raw, ["ours"])
    conv = summary["workloads"]["conv_fwd"]["ours"]
    assert conv["round_fractions"] == pytest.approx([0.8, 0.8, 0.4])
    (target,) = summary["targets"]
    assert target["key"] == "conv_fwd_peak" and target["value"] == pytest.approx(0.4)  # 40 / median peak 100
    assert not target["met"] and target["noisy"] and target["noise_range"] == pytest.approx([0.4, 0.8])
