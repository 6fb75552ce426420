"""Mode-collapse benchmark (MISSION §7.2): every registered objective on ring8 and grid25.

Base settings are the known-good 2-D preset configs/ring8.yaml (MLP width 64, depth 3,
z ∈ R², batch 256, Adam 2e-4 β = (0.5, 0.999)); each objective adds the settings its paper
or preset needs (table column "settings"). Scalar-output objectives without their own
Lipschitz device get R1 γ = 1, as in the preset. Scored: the EMA generator (library default)
and the raw G (as the published tables); 2,500 samples each, VEEGAN/PacGAN protocol
(REFERENCES §3).
"""

from __future__ import annotations

import matplotlib

from ganlab.experiments.base import Context, experiment, stat
from ganlab.experiments.training import POINTS_BASE, make, modes_of, train_loop
from ganlab.game import OBJECTIVES

R1 = ("game.penalties=[{name: r1, gamma: 1}]",)
WGAN_GP_OPT = ("train.n_critic=5", "train.lr_d=1e-4", "train.lr_g=1e-4", "train.betas_d=[0.0, 0.9]", "train.betas_g=[0.0, 0.9]")

# objective → (overrides, why). Every registered objective must have a row (tested).
SETTINGS: dict[str, tuple[tuple[str, ...], str]] = {
    "minimax": (R1, "R1 γ=1"),
    "non_saturating": (R1, "R1 γ=1 (configs/ring8.yaml)"),
    "max_likelihood": (R1, "R1 γ=1"),
    "least_squares": (R1, "R1 γ=1"),
    "hinge": (R1, "R1 γ=1"),
    "f_gan": (R1 + ("game.params={divergence: kl, g_form: saddle}",), "KL, saddle G loss (configs/f_gan.yaml); R1 γ=1"),
    "rsgan": (R1, "R1 γ=1"),
    "rasgan": (R1, "R1 γ=1"),
    "ralsgan": (R1, "R1 γ=1"),
    "rahinge": (R1, "R1 γ=1"),
    "wasserstein": (("game.penalties=[{name: gp, lam: 10}]",) + WGAN_GP_OPT,
                    "WGAN-GP: GP λ=10, n_D=5, Adam 1e-4 β=(0, 0.9) (Gulrajani 2017, Alg. 1)"),
    "gan_qp": (("game.params={lam: 10.0, distance: l1}", "train.n_critic=2"), "λ=10, L1, n_D=2 (configs/gan_qp.yaml)"),
    "loss_sensitive": (("game.params={lam: 1.0, margin: 1.0, real_weight: 0.0}",),
                       "λ=1, Δ = 1·mean|x−x̃|, no constraint (configs/loss_sensitive.yaml, margin for 2-D)"),
    "gls": (("game.params={nu: 0.5, lam: 1.0, margin: 1.0, real_weight: 0.0}", "game.constraints=[{name: clip, c: 0.08}]"),
            "ν=0.5, Δ = 1·mean|x−x̃|, clip ±0.08 (configs/gls.yaml, margin for 2-D)"),
    "sphere": (("game.params={moments: 3}", "model.init=xavier", "train.lr_d=1e-4", "train.lr_g=1e-4",
                "train.betas_d=[0.0, 0.9]", "train.betas_g=[0.0, 0.9]"),
               "R=3, d_out 16, Adam 1e-4 β=(0, 0.9), Xavier (configs/sphere.yaml)"),
    "ebgan": (("game.params={margin: 1.0, pt_weight: 0.0}",), "autoencoder D, margin 1 (configs/ebgan.yaml)"),
    "mmd": (("game.constraints=[{name: clip, c: 0.01}]", "train.n_critic=5", "train.batch_size=64", "train.optimizer_d=rmsprop",
             "train.optimizer_g=rmsprop", "train.lr_d=5e-5", "train.lr_g=5e-5"),
            "Gaussian kernels σ∈{1..16}, clip ±0.01, RMSProp 5e-5, n_D=5, batch 64 (configs/mmd.yaml)"),
    "cramer": (("game.params={gp_weight: 10.0}", "train.batch_size=64") + WGAN_GP_OPT,
               "own GP λ=10, n_D=5, Adam 1e-4 β=(0, 0.9), batch 64 (configs/cramer.yaml)"),
}

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
    extra, _ = SETTINGS[objective]
    return [*POINTS_BASE, f"data.name={data}", f"game.objective={objective}", f"train.steps={steps}", f"train.seed={seed}",
            "train.ema=0.999", *extra]


def scatter(ax, x, centres, title: str) -> None:  # noqa: ANN001
    ax.scatter(x[:, 0], x[:, 1], s=1, alpha=0.4)
    ax.scatter(centres[:, 0], centres[:, 1], marker="x", c="tab:red", s=12)
    ax.set_title(title, fontsize=7)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect("equal")


@experiment("modes", seeds=2)
def run(ctx: Context) -> None:
    """Modes covered, % high-quality samples and reverse KL for every objective on ring8 and grid25.

    Claim under test (seed 000 §4; VEEGAN, PacGAN): GANs drop modes of a mixture; the table puts
    ours beside the published rows. Quick: ring8, 300 steps, 1 seed. Full: ring8
    1,000 and grid25 1,500 G steps, 2 seeds: 444 s CPU (one thread, shared 2-core machine); quick ≈ 27 s CPU.
    """
    import matplotlib.pyplot as plt

    matplotlib.use("Agg")
    datasets = ctx.size(("ring8",), ("ring8", "grid25"))
    steps = {"ring8": ctx.size(300, 1000), "grid25": ctx.size(600, 1500)}
    objectives = OBJECTIVES.names()
    missing = [o for o in objectives if o not in SETTINGS]
    if missing:
        ctx.text(f"Objectives without settings here (skipped): {', '.join(missing)}")
    objectives = [o for o in objectives if o in SETTINGS]
    rows = []
    samples: dict[tuple[str, str], object] = {}
    for data in datasets:
        for obj in objectives:
            vals: dict[str, list[float]] = {"modes": [], "hq": [], "reverse_kl": [], "raw_modes": [], "raw_hq": [], "cpu": []}
            notes = []
            for seed in range(ctx.seeds):
                run_ = train_loop(make(overrides_for(obj, data, steps[data], seed)), desc=f"{data} {obj} s{seed}")
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
                        import torch

                        with torch.no_grad():
                            z = torch.randn(1000, 2, generator=torch.Generator().manual_seed(0))
                            samples[(data, obj)] = run_.trainer.G_eval(z).numpy()
                vals["cpu"].append(run_.cpu_seconds)
            rows.append({
                "data": data, "objective": obj, "modes": stat(vals["modes"], 1), "hq": stat(vals["hq"], 1),
                "reverse_kl": stat(vals["reverse_kl"], 2),
                "raw_modes": stat(vals["raw_modes"], 1), "raw_hq": stat(vals["raw_hq"], 1), "cpu": stat(vals["cpu"], 1),
                "settings": SETTINGS[obj][1] + ("; " + "; ".join(notes) if notes else ""),
            })  # fmt: skip
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
        cols = 6
        nrow = -(-len(objs) // cols)
        fig, axes = plt.subplots(nrow, cols, figsize=(2 * cols, 2 * nrow), squeeze=False)
        from ganlab.config import DataConfig
        from ganlab.data import load_dataset

        centres = load_dataset(DataConfig(name=data, n_points=1000)).centres
        for ax in axes.flat:
            ax.axis("off")
        for ax, obj in zip(axes.flat, objs):
            ax.axis("on")
            scatter(ax, samples[(data, obj)], centres, obj)
        fig.tight_layout()
        fig.savefig(ctx.figure(f"samples_{data}", f"{data}: 1,000 samples of seed 0's EMA generator per objective (red × = modes)"), dpi=80)
        plt.close(fig)
