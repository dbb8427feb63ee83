"""Summaries and the Markdown report of ``bench.py`` (medians, noise, ratios, targets)."""

from __future__ import annotations

import statistics

TIMED = ("conv_fwd", "conv_fwd_bwd", "pool_fwd_bwd", "lenet_step")
LABELS = {
    "lenet_step": "LeNet-5 training step (batch 64)",
    "conv_fwd": "conv 64->64 3x3 forward (no grad)",
    "conv_fwd_bwd": "conv 64->64 3x3 forward+backward",
    "pool_fwd_bwd": "max-pool 2x2 forward+backward",
}
# name, what, bound, "le" (ratio at most) or "ge" (at least)
TARGETS = {
    "cpu": (
        ("lenet_step", "LeNet-5 step, ours / PyTorch", 1.3, "le"),
        ("conv_fwd_bwd", "conv forward+backward, ours / PyTorch", 1.5, "le"),
        ("conv_fwd_peak", "conv forward GFLOP/s / NumPy matmul peak", 0.6, "ge"),
        ("memory", "LeNet loop peak memory, ours / PyTorch", 1.0, "le"),
    ),
    "cuda": (  # the H200 targets
        ("lenet_step", "LeNet-5 step, ours / PyTorch CUDA", 1.5, "le"),
        ("conv_fwd_peak", "conv forward GFLOP/s / cuBLAS matmul peak (CuPy)", 0.5, "ge"),
    ),
}


def _ok(runs):
    return [r["results"] for r in runs if "results" in r]


def _spread(values):
    return [min(values), max(values)] if values else None


def _timed(runs, name):
    per_round = [r[name]["times"] for r in runs if name in r]
    if not per_round:
        return None
    pooled = [t for ts in per_round for t in ts]
    return {
        "median_ms": statistics.median(pooled) * 1e3,
        "min_ms": min(pooled) * 1e3,
        "round_medians_ms": [statistics.median(ts) * 1e3 for ts in per_round],
        "samples": len(pooled),
    }


def _agree(a, b, rtol=2e-3):
    """Largest relative difference of two check vectors (losses, gradient and weight sums)."""
    if not a or not b or len(a) != len(b):
        return None
    return max(abs(x - y) / max(abs(x), abs(y), 1e-12) for x, y in zip(a, b)) <= rtol, max(
        abs(x - y) / max(abs(x), abs(y), 1e-12) for x, y in zip(a, b))


def quartiles(values: list) -> tuple:
    """``(first quartile, median, third quartile)`` of ``values``, within the values measured
    however few they are ("inclusive": smoke and quick runs have two or four)."""
    if len(values) < 2:
        return tuple(values) * 3
    return tuple(statistics.quantiles(values, n=4, method="inclusive"))


def _paired(paired: dict) -> dict:
    """The LeNet-5 step's paired blocks (bench.paired_blocks): each block's median, each pair of
    blocks' ratio ours / PyTorch, their median and quartiles over all pairs of processes, and
    each pair of processes' median ratio; or the workers' error."""
    failure = {"error": paired["error"], "stderr": paired.get("stderr", [])} if "error" in paired else {}
    if not paired.get("pairs"):
        return failure
    medians = {"ours": [], "torch": []}
    ratios, per_process = [], []
    for pair in paired["pairs"]:
        mine = {fw: [statistics.median(block) * 1e3 for block in pair[fw]] for fw in medians}
        pair_ratios = [o / t for o, t in zip(mine["ours"], mine["torch"])]
        per_process.append(statistics.median(pair_ratios))
        ratios += pair_ratios
        for fw in medians:
            medians[fw] += mine[fw]
    q1, median, q3 = quartiles(ratios)
    return {"pairs": len(paired["pairs"]), "block_pairs": len(ratios),
            "steps_per_block": len(paired["pairs"][0]["ours"][0]), "block_medians_ms": medians,
            "ours_ms": statistics.median(medians["ours"]), "torch_ms": statistics.median(medians["torch"]),
            "block_ratios": ratios, "ratio": median, "quartiles": [q1, q3],
            "process_pair_ratios": per_process, **failure}


def summarise(raw: dict, frameworks: list, device: str = "cpu") -> dict:
    ok = {fw: _ok(raw["rounds"][fw]) for fw in frameworks}
    out = {"errors": [r for runs in raw["rounds"].values() for r in runs if "error" in r],
           "workloads": {}, "targets": []}
    for name in TIMED:
        entry = {fw: _timed(ok[fw], name) for fw in frameworks}
        if entry.get("ours") is None:
            continue
        if entry.get("torch"):
            entry["ratio"] = entry["ours"]["median_ms"] / entry["torch"]["median_ms"]
            entry["min_ratio"] = entry["ours"]["min_ms"] / entry["torch"]["min_ms"]
            rr = [a / b for a, b in zip(entry["ours"]["round_medians_ms"],
                                        entry["torch"]["round_medians_ms"])]
            entry["round_ratios"] = rr
            checks = [r[name].get("check") for r in (ok["ours"][0], ok["torch"][0])]
            agree = _agree(*checks)
            if agree:
                entry["same_numbers"], entry["max_rel_diff"] = agree
        out["workloads"][name] = entry
    paired = raw.get("paired")
    if paired and "lenet_step" in out["workloads"]:
        out["workloads"]["lenet_step"]["paired"] = {alloc: _paired(p) for alloc, p in paired.items()}
    # matmul peaks: the physical reference
    peaks = {}
    for fw in frameworks:
        vals = [r["matmul"]["gflops"] for r in ok[fw] if "matmul" in r]
        if vals:
            peaks[fw] = {"gflops": statistics.median(vals), "round_gflops": vals}
    out["matmul_peak"] = peaks
    conv = out["workloads"].get("conv_fwd")
    if conv:
        for fw in frameworks:
            if conv.get(fw):
                flop = next(r["conv_fwd"]["flop"] for r in ok[fw] if "conv_fwd" in r)
                conv[fw]["gflops"] = flop / conv[fw]["median_ms"] / 1e6
                if "ours" in peaks:  # always against NumPy's peak: the reference
                    conv[fw]["fraction_of_numpy_peak"] = conv[fw]["gflops"] / peaks["ours"]["gflops"]
                if fw == "ours":  # each round against its own peak: a slow stretch slows both
                    conv[fw]["round_fractions"] = [
                        flop / (statistics.median(r["conv_fwd"]["times"]) * 1e3) / 1e6 / r["matmul"]["gflops"]
                        for r in ok[fw] if "conv_fwd" in r and "matmul" in r]
                if fw in peaks:
                    conv[fw]["fraction_of_own_peak"] = conv[fw]["gflops"] / peaks[fw]["gflops"]
    # epoch throughput
    epoch = {}
    for fw in frameworks:
        vals = [r["epoch"]["images_per_s"] for r in ok[fw] if "epoch" in r]
        if vals:
            epoch[fw] = {"images_per_s": statistics.median(vals), "round_values": vals,
                         "source": next(r["epoch"]["source"] for r in ok[fw] if "epoch" in r)}
    if "ours" in epoch and "torch" in epoch:
        epoch["ratio"] = epoch["torch"]["images_per_s"] / epoch["ours"]["images_per_s"]
    out["epoch"] = epoch
    # memory
    mem = {}
    for fw in frameworks:
        runs = [r["results"] for r in raw["memory"].get(fw, []) if "results" in r]
        if runs:
            mem[fw] = {k: statistics.median([r[k] for r in runs]) for k in runs[0]
                       if isinstance(runs[0][k], (int, float))}
            mem[fw]["method"] = runs[0].get("method")
    if "ours" in mem and "torch" in mem:
        key = "device_peak_mib" if "device_peak_mib" in mem["ours"] else "rss_peak_delta_mib"
        mem["compared"] = key
        mem["ratio"] = mem["ours"][key] / max(mem["torch"][key], 1e-9)
    out["memory"] = mem
    # engine overhead
    oh = raw.get("overhead")
    if oh and "results" in oh:
        res = oh["results"]
        us = res["us_per_op"]
        per_op = us["tinygrad_cnn forward+backward"] - us["numpy"]
        out["overhead"] = dict(us_per_op=us, lenet_ops_forward=res["lenet_ops_forward"],
                               engine_us_per_op_fwd_bwd=per_op,
                               est_lenet_overhead_ms=per_op * res["lenet_ops_forward"] / 1e3)
    # targets
    values, ranges = {}, {}
    for key in ("lenet_step", "conv_fwd_bwd"):
        if key in out["workloads"] and "ratio" in out["workloads"][key]:
            values[key] = out["workloads"][key]["ratio"]
            if len(out["workloads"][key]["round_ratios"]) > 1:
                ranges[key] = _spread(out["workloads"][key]["round_ratios"])
    sources = {}  # what a target's noise range is, where it is not the rounds' spread
    pair = out["workloads"].get("lenet_step", {}).get("paired", {}).get("retain")
    if pair and "ratio" in pair:
        # Their interquartile range is the noise a verdict must clear; freed memory kept is
        # the stricter figure (benchmarks/README.md).
        values["lenet_step"], ranges["lenet_step"] = pair["ratio"], pair["quartiles"]
        sources["lenet_step"] = ("paired blocks, freed memory kept", "quartiles of the paired blocks")
    if conv and conv.get("ours") and "fraction_of_numpy_peak" in conv["ours"]:
        values["conv_fwd_peak"] = conv["ours"]["fraction_of_numpy_peak"]
        if len(conv["ours"]["round_fractions"]) > 1:
            ranges["conv_fwd_peak"] = _spread(conv["ours"]["round_fractions"])
    if "ratio" in mem:
        values["memory"] = mem["ratio"]
    for key, what, bound, sense in TARGETS["cuda" if device.startswith("cuda") else "cpu"]:
        if key in values:
            v = values[key]
            source, noise = sources.get(key, (None, "rounds"))
            if source:
                what += f" ({source})"
            met = v <= bound if sense == "le" else v >= bound
            # A verdict the rounds disagree on is noise, not a result.
            noisy = key in ranges and ranges[key][0] <= bound <= ranges[key][1]
            out["targets"].append(dict(key=key, what=what, value=v, bound=bound, sense=sense,
                                       met=met, noisy=noisy, noise_range=ranges.get(key), noise=noise))
    return out


def _f(v, fmt="{:.2f}"):
    return "n/a" if v is None else fmt.format(v)


def markdown(report: dict) -> str:
    meta, s = report["meta"], report["summary"]
    blas = meta["blas"]
    lines = [f"# tinygrad_cnn vs PyTorch ({meta['device']}, {meta['mode']} mode, {meta['started']})",
             ""]
    torch_line = (f"PyTorch {meta['torch']}, torch.set_num_threads({meta['torch_threads']}) = "
                  f"NumPy's BLAS threads" if meta["torch"] else
                  f"**PyTorch not measured: {meta['torch_missing_reason']}**")
    lines += [
        f"- NumPy {blas['numpy']}, BLAS {blas['library']} kernel {blas.get('coretype')}, "
        f"{meta['threads']} threads; {torch_line}.",
        "- C allocator: " + ("glibc keeps freed memory (GLIBC_TUNABLES mmap and trim thresholds "
                             "1 GiB, both sides)" if meta.get("allocator") == "retain" else
                             "glibc as it comes (freed large blocks go back to the kernel and "
                             "page-fault when used again)") + ".",
        f"- {meta['cpus']} CPUs, load average {_f(meta['loadavg_start'][0])} at start, "
        f"{_f(meta['loadavg_end'][0])} at end (above {meta['cpus']}: other jobs competed, "
        "trust the ratios more than the times).",
        f"- {meta['settings']['rounds']} alternating round(s) (A B A B ...), "
        f"{meta['settings']['repeats']} timed calls per process; median over all calls; "
        "noise = range of the per-round medians.",
    ]
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in blas:
            lines.append(f"- {var}={blas[var]} is set: it can slow NumPy's BLAS (see "
                         "benchmarks/README.md).")
    if s["errors"]:
        lines.append(f"- **{len(s['errors'])} worker(s) failed**: "
                     + "; ".join(e["error"] + ": " + " / ".join(e["stderr"][-2:])
                                 for e in s["errors"]))
    lines += ["", "| workload | ours ms | PyTorch ms | ours / PyTorch | noise (round ratios) | "
              "ratio of minimums | same numbers |", "|---|---|---|---|---|---|---|"]
    for name, e in s["workloads"].items():
        o, t = e["ours"], e.get("torch")
        noise = (f"{min(e['round_ratios']):.2f}-{max(e['round_ratios']):.2f}"
                 if e.get("round_ratios") else
                 f"ours {min(o['round_medians_ms']):.1f}-{max(o['round_medians_ms']):.1f} ms")
        same = ("yes" if e.get("same_numbers") else "NO") + f" ({e['max_rel_diff']:.1e})" \
            if "same_numbers" in e else "n/a"
        lines.append(f"| {LABELS[name]} | {o['median_ms']:.2f} | "
                     f"{_f(t and t['median_ms'])} | {_f(e.get('ratio'))} | {noise} | "
                     f"{_f(e.get('min_ratio'))} | {same} |")
    paired = s["workloads"].get("lenet_step", {}).get("paired", {})
    for alloc, label in (("default", "glibc as it comes"),
                         ("retain", "both keep freed memory (the target's figure)")):
        pair = paired.get(alloc)
        if pair and "ratio" in pair:
            q1, q3 = pair["quartiles"]
            lines.append(f"| LeNet-5 step, paired blocks, {label} | {pair['ours_ms']:.2f} | "
                         f"{pair['torch_ms']:.2f} | {pair['ratio']:.2f} | quartiles {q1:.2f}-{q3:.2f} | | |")
    ep = s["epoch"]
    if ep.get("ours"):
        lines.append(f"| LeNet-5 epoch throughput, images/s | {ep['ours']['images_per_s']:.0f} | "
                     f"{_f(ep.get('torch', {}).get('images_per_s'), '{:.0f}')} | "
                     f"{_f(ep.get('ratio'))} | | | |")
    done = [(alloc, p) for alloc, p in paired.items() if "ratio" in p]
    if done:
        per_process = "; ".join(f"{alloc}: " + ", ".join(f"{r:.2f}" for r in p["process_pair_ratios"])
                                for alloc, p in done)
        first = done[0][1]
        pause = meta["settings"].get("pause")
        pause = f"after a pause of {pause:g} s for the other's idle threads to sleep" if pause \
            else "with no pause between them"
        lines += ["", f"Paired blocks: {first['pairs']} pair(s) of fresh processes, one per framework, "
                  f"asked in turn (A B, then B A) for blocks of {first['steps_per_block']} LeNet-5 "
                  f"steps, {first['block_pairs']} pairs of blocks in all, each block {pause}; the ratio is "
                  "the median of the pairs' ratios. Both blocks of a pair meet the same state of the "
                  "machine, where the separate processes above run their steps tens of seconds apart. "
                  f"Each pair of processes' own median ratio: {per_process}."]
        if {"default", "retain"} <= {alloc for alloc, _ in done}:
            lines.append("With glibc as it comes, PyTorch's step in a process of its own can "
                         "page-fault much of its memory in again at every step (how much depends on "
                         "where glibc's thresholds settled in that process); with freed memory kept "
                         "(GLIBC_TUNABLES, both sides) it does not, and the target reads that "
                         "stricter figure.")
    for alloc, p in paired.items():
        if "error" in p:
            lines += ["", f"**Paired LeNet-5 blocks ({alloc}) failed**: {p['error']}: "
                      + " / ".join(p["stderr"][-2:])]
    lines += ["", f"Epoch data: {ep['ours']['source']}." if ep.get("ours") else ""]
    peaks = s["matmul_peak"]
    conv = s["workloads"].get("conv_fwd", {})
    if peaks:
        lines += ["", "| reference | GFLOP/s |", "|---|---|"]
        for fw, label in (("ours", "NumPy float32 matmul peak"), ("torch", "torch matmul peak")):
            if fw in peaks:
                lines.append(f"| {label} | {peaks[fw]['gflops']:.1f} |")
        for fw, label in (("ours", "ours"), ("torch", "PyTorch")):
            if conv.get(fw) and "gflops" in conv[fw]:
                rounds = ", ".join(f"{v:.0%}" for v in conv[fw].get("round_fractions", []))
                rounds = f"; each round against its own peak: {rounds}" if rounds else ""
                lines.append(f"| conv forward, {label} | {conv[fw]['gflops']:.1f} "
                             f"({_f(conv[fw].get('fraction_of_numpy_peak'), '{:.0%}')} of NumPy "
                             f"peak{rounds}) |")
    mem = s["memory"]
    if mem.get("ours"):
        lines += ["", "| LeNet training loop memory (MiB) | ours | PyTorch |", "|---|---|---|"]
        for key, label in (("rss_peak_delta_mib", f"peak RSS over the loop ({mem['ours']['method']})"),
                           ("device_peak_mib", "device memory pool peak"),
                           ("tracemalloc_peak_mib", "tracemalloc peak (NumPy buffers)")):
            if key in mem["ours"]:
                lines.append(f"| {label} | {mem['ours'][key]:.1f} | "
                             f"{_f(mem.get('torch', {}).get(key), '{:.1f}')} |")
    oh = s.get("overhead")
    if oh:
        us = oh["us_per_op"]
        lines += ["", "Engine overhead (benchmarks/op_overhead.py, a chain of tiny multiplies):",
                  "", "| what | us per op |", "|---|---|"]
        lines += [f"| {k} | {v:.2f} |" for k, v in us.items()]
        lines += ["", f"One LeNet-5 step records {oh['lenet_ops_forward']} ops; at "
                  f"{oh['engine_us_per_op_fwd_bwd']:.1f} us of engine work per op (forward + "
                  f"backward, beyond NumPy) that is about {oh['est_lenet_overhead_ms']:.2f} ms "
                  "per step."]
    if s["targets"]:
        lines += ["", "| target | measured | bound | met |", "|---|---|---|---|"]
        for t in s["targets"]:
            sign = "<=" if t["sense"] == "le" else ">="
            verdict = "yes" if t["met"] else "NO"
            if t.get("noisy"):
                rr = t["noise_range"]
                verdict += f" ({t['noise']} {rr[0]:.2f}-{rr[1]:.2f} straddle the bound: noise)"
            lines.append(f"| {t['what']} | {t['value']:.2f} | {sign} {t['bound']} | {verdict} |")
    lines.append(f"\nWall time {meta['wall_s']:.0f} s.")
    return "\n".join(lines) + "\n"
