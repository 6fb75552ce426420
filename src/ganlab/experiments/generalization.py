"""Generalisation by minimum reconstruction error (MRE) along training (MISSION §7.3, seed 000).

Seed 000 (after Qi's LS-GAN paper): split the data into train / validation / test, train on
train, and for each *test* x measure min_z ‖G(z) − x‖; regularised (Lipschitz) GANs — LS-GAN,
GLS-GAN, WGAN, WGAN-GP — reach lower test MRE than an unregularised DCGAN and fluctuate less
along training, and GLS-GAN is lowest. Here: the 8×8 digits (fixed stratified split), the
library's DCGAN nets, MRE of the raw G every K steps on test images and, beside it, on as many
training images (a generator that memorises has train MRE ≪ test MRE).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ganlab.experiments.base import Context, experiment
from ganlab.experiments.tables import band_over_seeds, stat
from ganlab.experiments.training import make, train_seeds
from ganlab.metrics import evaluate, mre_along_training
from ganlab.plots import Panel, Series, save_panels

WGAN_GP_OPT = ("train.n_critic=5", "train.lr_d=1e-4", "train.lr_g=1e-4", "train.betas_d=[0.0, 0.9]", "train.betas_g=[0.0, 0.9]")

# label → (overrides, regularised?, settings text); presets cited in configs/*.yaml
MODELS: dict[str, tuple[tuple[str, ...], bool, str]] = {
    "DCGAN": (("game.objective=non_saturating",), False, "non-saturating, no penalty, Adam 2e-4 β1 0.5 (DCGAN)"),
    "LS-GAN": (
        ("game.objective=loss_sensitive", "game.params={lam: 1.0, margin: 2.46, real_weight: 0.0}", "train.lr_d=1e-4", "train.lr_g=1e-4"),
        True,
        "configs/loss_sensitive.yaml: Δ = 2.46·mean|x−x̃|, Adam 1e-4",
    ),
    "GLS-GAN": (
        (
            "game.objective=gls",
            "game.params={nu: 0.5, lam: 1.0, margin: 2.46, real_weight: 0.0}",
            "game.constraints=[{name: clip, c: 0.08}]",
        ),
        True,
        "configs/gls.yaml: ν = 0.5, clip ±0.08, Adam 2e-4",
    ),
    "WGAN": (
        (
            "game.objective=wasserstein",
            "game.constraints=[{name: clip, c: 0.01}]",
            "train.n_critic=5",
            "train.optimizer_d=rmsprop",
            "train.optimizer_g=rmsprop",
            "train.lr_d=5e-5",
            "train.lr_g=5e-5",
        ),
        True,
        "clip ±0.01, RMSProp 5e-5, n_D = 5 (Arjovsky 2017)",
    ),
    "WGAN-GP": (
        ("game.objective=wasserstein", "game.penalties=[{name: gp, lam: 10}]") + WGAN_GP_OPT,
        True,
        "GP λ = 10, Adam 1e-4 β = (0, 0.9), n_D = 5 (Gulrajani 2017)",
    ),
}


def model_cell(label: str, steps: int, seeds: int, every: int, n_images: int | None, restarts: int, mre_steps: int,
               fid_n: int) -> dict[str, Any]:  # fmt: skip
    """One model of ``MODELS`` over seeds 0 … ``seeds`` − 1, as plain values: each seed's history
    (test and train MRE of the raw G every ``every`` steps), its final values and the test images used."""
    overrides = MODELS[label][0]
    cfg = make(["data.name=digits", f"train.steps={steps}", "train.seed=0", "train.progress=false", *overrides])
    mre_opts = {"restarts": restarts, "steps": mre_steps, "seed": 0}

    def measure(run, step: int) -> dict:  # noqa: ANN001
        G = run.trainer.G
        if not all(torch.isfinite(p).all() for p in G.parameters()):
            return {"test": float("nan"), "train": float("nan")}
        test_x = run.dataset.test if n_images is None else run.dataset.test[:n_images]
        test = mre_along_training([(step, G)], test_x, **mre_opts)[0]["mre"]
        train = mre_along_training([(step, G)], run.dataset.train[: len(test_x)], **mre_opts)[0]["mre"]
        return {"test": test, "train": train, "gap": test - train}

    finals: dict[str, list[float]] = {"test": [], "train": [], "gap": [], "fluct": [], "fid": [], "cpu": []}
    histories, diverged, n_test = [], [], 0
    for seed, run_ in enumerate(train_seeds(cfg, seeds, every=every, callback=measure, desc=label)):
        n_test = len(run_.dataset.test) if n_images is None else n_images
        if run_.diverged:
            diverged.append(f"seed {seed}: {run_.diverged}")
        hist = run_.history
        histories.append(hist)
        last = hist[-1]
        finals["test"].append(last["test"])
        finals["train"].append(last["train"])
        finals["gap"].append(last["test"] - last["train"])
        later = [h["test"] for h in hist if h["step"] >= steps // 2]
        finals["fluct"].append(float(np.std(later)) if len(later) > 1 else float("nan"))
        finals["cpu"].append(run_.cpu_seconds)
        fid = float("nan")
        if not run_.diverged:
            fid = evaluate(run_.trainer.G, run_.dataset, metrics=["fid"], n=fid_n, seed=seed)["values"]["fid"]
        finals["fid"].append(fid)
    return {"histories": histories, "finals": finals, "diverged": diverged, "n_test": n_test}


@experiment("generalization", seeds=5, order=3)
def run(ctx: Context) -> None:
    """Test-split MRE along training: unregularised DCGAN vs LS-GAN, GLS-GAN, WGAN, WGAN-GP (digits).

    Quick: 60 G steps, MRE of 16 images every 30 steps (1 start × 30 Adam steps on z), 1 seed.
    Full: 6,000 G steps, MRE of the whole test split (360 images) and of as many training images
    every 1,000 steps (2 starts × 100 steps), 5 seeds per model trained as one group, the models
    two at a time (one worker process per core; each kept in ``cells/`` as it ends, so a killed
    run goes on where it stopped). The measured CPU time is in the report. Claims: unpaired over
    seeds (``stats.compare``; seeds do not couple different models).
    """
    steps, every = ctx.size(60, 6000), ctx.size(30, 1000)
    n_images = ctx.size(16, None)  # None: the whole test split
    restarts, mre_steps, fid_n = ctx.size(1, 2), ctx.size(30, 100), ctx.size(500, 2000)
    jobs = [(label, steps, ctx.seeds, every, n_images, restarts, mre_steps, fid_n) for label in MODELS]
    cells = ctx.map(model_cell, jobs, desc="generalization")
    curves: dict[str, list[list[dict]]] = {}
    rows = []
    n_test = 0
    for (label, (_, regularised, settings)), cell in zip(MODELS.items(), cells):
        finals, diverged, n_test = cell["finals"], cell["diverged"], cell["n_test"]
        curves[label] = cell["histories"]
        rows.append({
            "model": label, "regularised": "yes" if regularised else "no", "test": stat(finals["test"], 4),
            "train": stat(finals["train"], 4), "gap": stat(finals["gap"], 4), "fluct": stat(finals["fluct"], 4),
            "fid": stat(finals["fid"], 1), "cpu": stat(finals["cpu"], 0),
            "settings": settings + ("; diverged " + ", ".join(diverged) if diverged else ""),
        })  # fmt: skip

    panels = []
    for key, title in (("test", "test split"), ("gap", "test − train")):
        series = []
        for i, (label, per_seed) in enumerate(curves.items()):
            xs, mean, lo, hi = band_over_seeds(per_seed, key)
            series.append(Series(label, xs, mean, lo, hi, colour=f"C{i}"))
        panels.append(Panel(series, f"MRE, {title} (mean, 95 % band over {ctx.seeds} seed(s))", "generator step",
                            "MRE (per-pixel squared error)", logy=key == "test"))  # fmt: skip
    save_panels(panels, ctx.figure("mre_vs_step", "MRE along training on the digits: the test split (left) and the gap test − "
                                   "train (right), mean and 95 % band over seeds"), size=(6, 4.2))  # fmt: skip

    ctx.table("mre", rows, [
        ("model", "model"), ("regularised", "Lipschitz-regularised"), ("test", "test MRE (final)"), ("train", "train MRE (final)"),
        ("gap", "test − train"), ("fluct", "std of test MRE, 2nd half"), ("fid", "FID (digits features)"), ("cpu", "train CPU s"),
        ("settings", "settings"),
    ], title=f"MRE after {steps} G steps, mean ± std [95 % interval] over {ctx.seeds} seed(s)",
        notes=f"MRE = mean over images of min_z ‖G(z) − x‖² / 64 (ganlab.metrics.mre), {n_test} test images (the whole "
        f"split in the full mode) and as many training images, {restarts} start(s) × {mre_steps} Adam "
        f"steps on z; raw G (no EMA). FID: {fid_n} samples vs the test split, the shipped digits classifier's "
        "features.")  # fmt: skip
    xs, base, _, _ = band_over_seeds(curves["DCGAN"], "test")
    if len(base) >= 3 and all(np.isfinite(base[-3:])):
        drift = (base[-1] - base[-3]) / base[-3]
        ctx.text(f"**Budget.** {steps:,} G steps, the digits' default optimiser per model. DCGAN's mean test MRE over the last "
                 f"{xs[-1] - xs[-3]:,} steps changed by {100 * drift:+.1f} % ({base[-3]:.4f} → {base[-1]:.4f}): the curves "
                 "above show where each model stopped falling.")  # fmt: skip
    by = {r["model"]: r["test"].mean for r in rows}
    stats_by = {r["model"]: r["test"] for r in rows}
    reg = [m for m, (_, r, _) in MODELS.items() if r]
    better = [m for m in reg if by[m] < by["DCGAN"]]
    best = min(by, key=lambda m: by[m] if np.isfinite(by[m]) else np.inf)
    claims = [ctx.claim(f"test MRE of {m} ({by[m]:.4f}) < DCGAN ({by['DCGAN']:.4f})", stats_by[m], stats_by["DCGAN"], "less",
                        paired=False) for m in reg]  # fmt: skip
    claims += [ctx.claim(f"test MRE of GLS-GAN < {m} ({by[m]:.4f})", stats_by["GLS-GAN"], stats_by[m], "less", paired=False)
               for m in reg if m != "GLS-GAN"]  # fmt: skip  (GLS-GAN < DCGAN is among the claims above)
    fl = {r["model"]: r["fluct"] for r in rows}
    claims += [ctx.claim(f"std of test MRE in the 2nd half, {m} < DCGAN", fl[m], fl["DCGAN"], "less", paired=False) for m in reg]
    ctx.text(
        f"**Verdict** (seed 000: every regularised GAN has lower test MRE than DCGAN and fluctuates less, GLS-GAN lowest): "
        f"{len(better)} of {len(reg)} regularised models have a lower mean than DCGAN ({', '.join(better) or 'none'}); lowest "
        f"mean test MRE: {best}. Per claim, unpaired over seeds: " + "; ".join(claims) + "."
    )
    ctx.data["verdict"] = {"better_than_dcgan": better, "lowest": best}
    ctx.data["curves"] = curves
