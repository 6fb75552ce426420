"""Per-run throughput of a group of N runs trained as one batched model vs a lone run.

The setting of the issue: ring8, MLP 64×3, non-saturating + R1 γ = 1, batch 256, one torch
thread. A lone step is mostly fixed per-operation cost; the ceiling of batching is measured,
not assumed: T₁ = a lone step at batch 1 (the fixed cost), T = at batch 256, so N runs that
shared every launch perfectly would cost T₁ + N·(T − T₁) per group step — a per-run speed-up
of T / (T₁/N + T − T₁). Every group size is measured interleaved with the lone run in rounds
(the same machine load hits both), as the median over rounds; memory per run is the peak RSS
of a fresh process training that group, minus that of a process with the data and no nets.
"arithmetic ms/run" is the profiled self time of the matmul and convolution kernels per run and
step — work no batching removes — and "bound" the speed-up a group would reach if everything
else cost nothing (lone step / arithmetic per run). ``--compare-vmap`` times the same groups on
the general ``vmap`` engine too (interleaved), the column "vmap engine"; ``--compare-conv`` times
the same groups with one grouped convolution per layer instead of the CPU's default of one
convolution per run (``nets.grouped.CONV_SPLIT``), the column "grouped conv".

    python benchmarks/group_throughput.py                       # ring8, N = 1 … 64
    python benchmarks/group_throughput.py --setting digits --sizes 1 2 8 --compare-conv   # the digits default
    python benchmarks/group_throughput.py --device cuda --sizes 1 8 64 256
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch

SETTINGS = {
    "ring8": ["data.name=ring8", "model.z_dim=2", "model.width=64", "model.depth=3", "model.g_norm=none", "train.batch_size=256",
              "game.penalties=[{name: r1, gamma: 1}]"],
    "digits": [],  # the default run: digits DCGAN, non-saturating, batch 64, EMA 0.999
}  # fmt: skip
COMMON = ["train.progress=false", "eval.metrics=[]", "train.threads=1"]


def trainer(setting: list[str], runs: int, device: str, batch: int | None = None, vmap: bool = False):
    from ganlab.api import in_memory
    from ganlab.api.groups import build_group
    from ganlab.config import make_config
    from ganlab.train import Trainer

    over = [*setting, *COMMON, f"train.device={device}"] + ([f"train.batch_size={batch}"] if batch else [])
    if runs == 1:
        return in_memory(make_config(overrides=over))[1]
    cfg = make_config(overrides=[*over, f"train.runs={runs}"])
    dataset, game, G, D = build_group(cfg)
    if vmap:  # the general engine: vmap over functional_call instead of the grouped kernels
        for net in (G, D):
            object.__setattr__(net, "_program", None)
    return Trainer(G, D, game, dataset.train, cfg.train)


ARITHMETIC = {"aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm", "aten::mkldnn_convolution", "aten::convolution_backward"}


def arithmetic_ms(tr, steps: int = 5) -> float:
    """Self CPU time per step of the kernels that do the arithmetic (matmuls, convolutions),
    from torch.profiler: what no batching can remove."""
    from torch.profiler import profile

    with profile() as prof:
        for _ in range(steps):
            tr.train_step()
    return sum(e.self_cpu_time_total for e in prof.key_averages() if e.key in ARITHMETIC) / 1000 / steps


def timed(tr, steps: int) -> float:
    sync = torch.cuda.synchronize if tr.device.type == "cuda" else (lambda: None)
    sync()
    start = time.perf_counter()
    for _ in range(steps):
        tr.train_step()
    sync()
    return (time.perf_counter() - start) / steps


def peak_rss_mb(setting: str, runs: int, device: str) -> float:
    """Peak resident memory of a fresh process that trains 5 steps of the group (0 runs: data only)."""
    code = (
        "import resource, sys, torch; torch.set_num_threads(1); sys.path.insert(0, 'benchmarks'); import group_throughput as g; "
        f"tr = g.trainer(g.SETTINGS[{setting!r}], max(1, {runs}), {device!r}) if {runs} else None\n"
        "if tr is not None:\n    [tr.train_step() for _ in range(5)]\n"
        # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child of a large parent
        # would report the parent's peak (every group then "needed" 0 MB)
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')] if sys.platform == 'linux' else []\n"
        "print(int(hwm[0].split()[1]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--setting", choices=list(SETTINGS), default="ring8")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32, 64])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20, help="lone steps per round (a group of N takes max(3, steps // N))")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--compare-vmap", action="store_true", help="also time each group with the vmap engine, interleaved")
    ap.add_argument("--compare-conv", action="store_true", help="also time each group with one grouped convolution per layer")
    args = ap.parse_args()
    torch.set_num_threads(1)
    setting = SETTINGS[args.setting]
    lone = trainer(setting, 1, args.device)
    groups = {n: trainer(setting, n, args.device) for n in args.sizes if n > 1}
    vmapped = {n: trainer(setting, n, args.device, vmap=True) for n in groups} if args.compare_vmap else {}
    tiny = trainer(setting, 1, args.device, batch=1) if args.setting == "ring8" else None
    for t in [lone, *groups.values(), *vmapped.values(), *([tiny] if tiny else [])]:
        timed(t, 3)  # warm-up: the first steps allocate
    from ganlab.nets import grouped as kernels

    conv_default = kernels.CONV_SPLIT
    times: dict[str, list[float]] = {"lone": [], "batch1": [], **{str(n): [] for n in groups}, **{f"vmap{n}": [] for n in vmapped},
                                     **{f"conv{n}": [] for n in groups if args.compare_conv}}  # fmt: skip
    for _ in range(args.rounds):
        times["lone"].append(timed(lone, args.steps))
        if tiny is not None:
            times["batch1"].append(timed(tiny, args.steps))
        for n, tr in groups.items():
            times[str(n)].append(timed(tr, max(3, args.steps // n)))
        for n, tr in vmapped.items():
            times[f"vmap{n}"].append(timed(tr, max(3, args.steps // n)))
        if args.compare_conv:
            kernels.CONV_SPLIT = "grouped"
            for n, tr in groups.items():
                times[f"conv{n}"].append(timed(tr, max(3, args.steps // n)))
            kernels.CONV_SPLIT = conv_default
    t_lone = statistics.median(times["lone"])
    t_fixed = statistics.median(times["batch1"]) if tiny is not None else None
    rows = []
    base_mem = None if args.no_memory else peak_rss_mb(args.setting, 0, args.device)
    for n in args.sizes:
        t_group = t_lone if n == 1 else statistics.median(times[str(n)])
        per_run = t_group / n
        ceiling = t_lone / (t_fixed / n + t_lone - t_fixed) if t_fixed is not None and t_lone > t_fixed else None
        mem = None if args.no_memory else (peak_rss_mb(args.setting, n, args.device) - base_mem) / n
        arith = arithmetic_ms(lone if n == 1 else groups[n]) / n  # per run
        vm = t_lone / (statistics.median(times[f"vmap{n}"]) / n) if n in vmapped else None
        gc = t_lone / (statistics.median(times[f"conv{n}"]) / n) if f"conv{n}" in times else None
        rows.append({"runs": n, "group_ms": 1000 * t_group, "per_run_ms": 1000 * per_run, "speedup": t_lone / per_run,
                     "ceiling": ceiling, "share_of_ceiling": (t_lone / per_run) / ceiling if ceiling else None,
                     "mem_mb_per_run": mem, "arithmetic_ms_per_run": arith, "vmap_speedup": vm, "grouped_conv_speedup": gc})  # fmt: skip
    load = os.getloadavg()
    print(f"{args.setting}, {args.device}, one thread; lone step {1000 * t_lone:.2f} ms"
          + (f", at batch 1 {1000 * t_fixed:.2f} ms (fixed share {t_fixed / t_lone:.0%})" if t_fixed else "")
          + f"; convolutions of a group: {conv_default}; load average {load[0]:.2f}")  # fmt: skip
    print("| runs N | group step ms | per-run ms | per-run speed-up | ceiling | share of ceiling | arithmetic ms/run | bound | "
          "vmap engine | grouped conv | MB per run |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        c = f"{r['ceiling']:.2f}×" if r["ceiling"] else "—"
        s = f"{r['share_of_ceiling']:.0%}" if r["share_of_ceiling"] else "—"
        m = f"{r['mem_mb_per_run']:.1f}" if r["mem_mb_per_run"] is not None else "—"
        v = f"{r['vmap_speedup']:.2f}×" if r["vmap_speedup"] else "—"
        g = f"{r['grouped_conv_speedup']:.2f}×" if r["grouped_conv_speedup"] else "—"
        bound = 1000 * t_lone / r["arithmetic_ms_per_run"] if r["arithmetic_ms_per_run"] else float("nan")
        print(f"| {r['runs']} | {r['group_ms']:.1f} | {r['per_run_ms']:.2f} | {r['speedup']:.2f}× | {c} | {s} | "
              f"{r['arithmetic_ms_per_run']:.2f} | {bound:.2f}× | {v} | {g} | {m} |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"setting": args.setting, "device": args.device, "load": load, "lone_ms": 1000 * t_lone,
                       "batch1_ms": None if t_fixed is None else 1000 * t_fixed, "rows": rows, "times": times}, fh, indent=1)  # fmt: skip


if __name__ == "__main__":
    main()
