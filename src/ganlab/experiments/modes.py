"""Mode-collapse benchmark (MISSION §7.2): every registered objective on ring8 and grid25.

Base settings are the first 2-D preset (MLP width 64, depth 3,
z ∈ R², batch 256, Adam 2e-4 β = (0.5, 0.999)); each objective adds the settings its paper
or preset needs (table column "settings"). Scalar-output objectives without their own
Lipschitz device get R1 γ = 1, as in the preset. Scored: the EMA generator (library default)
and the raw G (as the published tables); 2,500 samples each, VEEGAN/PacGAN protocol
(REFERENCES §3).
"""

from __future__ import annotations

from typing import Any

import torch

from ganlab.config import DataConfig
from ganlab.data import load_dataset
from ganlab.experiments.base import Context, experiment
from ganlab.experiments.tables import stat
from ganlab.experiments.training import POINTS_BASE, make, modes_of, train_seeds
from ganlab.game import OBJECTIVES
from ganlab.plots import save_scatter_panels

DEFAULT_SETTINGS = (("game.penalties=[{name: r1, gamma: 1}]",), "R1 γ=1")  # for objectives that declare none


def settings_for(objective: str) -> tuple[tuple[str, ...], str]:
    """(overrides, why) of an objective on the benchmark: its own ``benchmark`` declaration, or
    the documented default (R1 γ = 1: scalar D outputs without a Lipschitz device of their own)."""
    return OBJECTIVES.get(objective).benchmark or DEFAULT_SETTINGS


# published rows (REFERENCES §3): (source, method) → {ring8: (modes, hq %, rev-KL), grid25: (...)}; None = not reported
PUBLISHED: list[tuple[str, dict[str, tuple[str, str, str]]]] = [
    ("VEEGAN Table 1: GAN", {"ring8": ("1", "99.3", "—"), "grid25": ("3.3", "0.5", "—")}),
    ("VEEGAN Table 1: Unrolled GAN", {"ring8": ("7.6", "35.6", "—"), "grid25": ("23.6", "16", "—")}),
    ("VEEGAN Table 1: VEEGAN", {"ring8": ("8", "52.9", "—"), "grid25": ("24.6", "40", "—")}),
    ("PacGAN Table 1: GAN", {"ring8": ("6.3±0.5", "98.2±0.2", "0.45±0.09"), "grid25": ("17.3±0.8", "94.8±0.7", "0.70±0.07")}),
    ("PacGAN Table 1: PacGAN2", {"ring8": ("7.9±0.1", "95.6±2.0", "0.07±0.03"), "grid25": ("23.8±0.7", "91.3±0.8", "0.13±0.04")}),
    ("PacGAN Table 1: PacGAN4", {"ring8": ("7.8±0.1", "95.9±1.4", "0.07±0.02"), "grid25": ("24.8±0.2", "93.6±0.6", "0.04±0.01")}),
]


def overrides_for(objective: str, data: str, steps: int, seed: int) -> list[str]:
    extra, _ = settings_for(objective)
    return [
        *POINTS_BASE,
        f"data.name={data}",
        f"game.objective={objective}",
        f"train.steps={steps}",
        f"train.seed={seed}",
        "train.ema=0.999",
        *extra,
    ]


def benchmark_row(objective: str, data: str, steps: int, seeds: int) -> tuple[dict[str, Any], Any]:
    """One objective on one mixture: mean ± std over ``seeds`` of modes, % HQ and reverse KL (EMA
    and raw G) with its declared settings, and 1,000 points of seed 0's EMA generator (None if it diverged)."""
    vals: dict[str, list[float]] = {"modes": [], "hq": [], "reverse_kl": [], "raw_modes": [], "raw_hq": [], "cpu": []}
    notes, points = [], None
    for seed, run_ in enumerate(train_seeds(make(overrides_for(objective, data, steps, 0)), seeds, desc=f"{data} {objective}")):
        if run_.diverged:
            notes.append(f"seed {seed} diverged ({run_.diverged})")
            for k in ("modes", "hq", "reverse_kl", "raw_modes", "raw_hq"):
                vals[k].append(float("nan"))
        else:
            m = modes_of(run_.trainer.G_eval, run_.dataset, seed=seed)
            raw = modes_of(run_.trainer.G, run_.dataset, seed=seed)
            vals["modes"].append(m["modes"])
            vals["hq"].append(100 * m["hq"])
            vals["reverse_kl"].append(m["reverse_kl"])
            vals["raw_modes"].append(raw["modes"])
            vals["raw_hq"].append(100 * raw["hq"])
            if seed == 0:
                with torch.no_grad():
                    z = torch.randn(1000, run_.trainer.G.z_dim, generator=torch.Generator().manual_seed(0))
                    points = run_.trainer.G_eval(z).numpy()
        vals["cpu"].append(run_.cpu_seconds)
    row = {
        "data": data, "objective": objective, "modes": stat(vals["modes"], 1), "hq": stat(vals["hq"], 1),
        "reverse_kl": stat(vals["reverse_kl"], 2),
        "raw_modes": stat(vals["raw_modes"], 1), "raw_hq": stat(vals["raw_hq"], 1), "cpu": stat(vals["cpu"], 1),
        "settings": settings_for(objective)[1] + ("; " + "; ".join(notes) if notes else ""),
    }  # fmt: skip
    return row, points


@experiment("modes", seeds=2, order=2)
def run(ctx: Context) -> None:
    """Modes covered, % high-quality samples and reverse KL for every objective on ring8 and grid25.

    Claim under test (seed 000 §4; VEEGAN, PacGAN): GANs drop modes of a mixture; the table puts
    ours beside the published rows. Quick: ring8, 300 steps, 1 seed. Full: ring8
    1,000 and grid25 1,500 G steps, 2 seeds: 444 s CPU (one thread, shared 2-core machine); quick ≈ 27 s CPU.
    """
    datasets = ctx.size(("ring8",), ("ring8", "grid25"))
    steps = {"ring8": ctx.size(300, 1000), "grid25": ctx.size(600, 1500)}
    objectives = OBJECTIVES.names()
    rows = []
    samples: dict[tuple[str, str], object] = {}
    for data in datasets:
        for obj in objectives:
            row, points = benchmark_row(obj, data, steps[data], ctx.seeds)
            rows.append(row)
            if points is not None:
                samples[(data, obj)] = points
    pub = []
    for data in datasets:
        for src, cells in PUBLISHED:
            m, hq, kl = cells[data]
            pub.append({"data": data, "objective": src, "modes": m, "hq": hq, "reverse_kl": kl})
    n_modes = {"ring8": 8, "grid25": 25}
    ctx.table(
        "modes", rows,
        [("data", "data"), ("objective", "objective"), ("modes", "modes"), ("hq", "% HQ"), ("reverse_kl", "reverse KL"),
         ("raw_modes", "modes, raw G"), ("raw_hq", "% HQ, raw G"), ("cpu", "train CPU s"), ("settings", "settings")],
        title=f"ganlab, mean ± std over {ctx.seeds} seed(s); steps: " + ", ".join(f"{d} {steps[d]}" for d in datasets),
        notes=f"Modes of {', '.join(f'{n_modes[d]} ({d})' for d in datasets)}; HQ = within 3σ of the nearest mode; "
        "reverse KL = KL(mode histogram of HQ samples ‖ uniform). First three columns: the EMA generator (decay 0.999, the "
        "library default for sampling); then the raw G (the published tables use no EMA). 2,500 samples per run.",
    )  # fmt: skip
    ctx.table("published", pub, [("data", "data"), ("objective", "source: method"), ("modes", "modes"), ("hq", "% HQ"),
                                 ("reverse_kl", "reverse KL")],
              title="Published rows (REFERENCES §3; different nets, steps and batch sizes: anchors, not targets)")  # fmt: skip
    ctx.data["steps"] = steps
    for data in datasets:
        objs = [o for o in objectives if (data, o) in samples]
        if not objs:
            continue
        centres = load_dataset(DataConfig(name=data, n_points=1000)).centres
        save_scatter_panels(
            [(obj, samples[(data, obj)]) for obj in objs],
            centres,
            ctx.figure(f"samples_{data}", f"{data}: 1,000 samples of seed 0's EMA generator per objective (red × = modes)"),
        )
