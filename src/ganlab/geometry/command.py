"""``ganlab geometry {tangents,localized,ssl}``: the studies of MISSION §6, as functions and a CLI.

Each study writes a markdown table and a CSV (plus figures) to ``out`` and returns its rows,
so ``ganlab experiment`` can call ``tangent_study``, ``localized_study`` and ``ssl_study``.
"""

from __future__ import annotations

import argparse
import csv
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from ganlab.errors import GanlabError

TOY = ("ring8", "grid25")
PENALTY_WEIGHT = 0.1  # orthonormal_tangent weight for the global generators (one value, not tuned)


# --- tables --------------------------------------------------------------------------------------
def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "nan" if math.isnan(v) else f"{v:.4g}"
    return str(v)


def write_table(rows: list[dict], out: Path, name: str, *, title: str, notes: Sequence[str] = ()) -> Path:
    """``name``.csv with every row and ``name``.md with a markdown table of the same rows."""
    out.mkdir(parents=True, exist_ok=True)
    cols = list(dict.fromkeys(k for r in rows for k in r))
    with open(out / f"{name}.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)
    lines = [f"# {title}", "", *notes, "" if notes else "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(_fmt(r.get(c, "")) for c in cols) + " |" for r in rows]
    (out / f"{name}.md").write_text("\n".join(lines) + "\n")
    return out / f"{name}.md"


def mean_std(rows: list[dict], keys: Sequence[str], values: Sequence[str]) -> list[dict]:
    """One row per distinct ``keys`` with "mean ± std" (sample std, n − 1) of each value over the rest."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    out = []
    for key, rs in groups.items():
        row: dict[str, Any] = dict(zip(keys, key))
        row["n"] = len(rs)
        for v in values:
            xs = np.array([r[v] for r in rs if v in r], dtype=np.float64)
            if len(xs):
                sd = xs.std(ddof=1) if len(xs) > 1 else 0.0
                row[v] = f"{xs.mean():.4g} ± {sd:.2g}"
        out.append(row)
    return out


# --- tangent study: global generators with and without the orthonormality penalty ----------------
def _class_coverage(G: torch.nn.Module, n: int = 2000, seed: int = 0) -> dict[str, float]:
    """Digits "modes": classes the shipped classifier assigns to ≥ 1 % of n samples, and the
    reverse KL of the class histogram to uniform (0 = every class equally often)."""
    from ganlab.metrics.context import generate
    from ganlab.metrics.features import FEATURES

    x = generate(G, n, seed=seed)
    p = np.bincount(FEATURES.get("digits")().extract(x)["logits"].argmax(1).numpy(), minlength=10) / n
    nz = p > 0
    return {"modes": float((p >= 0.01).sum()), "n_modes": 10.0, "reverse_kl": float((p[nz] * np.log(10 * p[nz])).sum())}


def tangent_study(quick: bool = False, seeds: int = 2, out: Path = Path("runs/geometry"), *,
                  datasets: Sequence[str] = ("ring8", "grid25", "digits"), runs: Path | None = None,
                  weight: float = PENALTY_WEIGHT, progress: bool = True) -> list[dict]:  # fmt: skip
    """Effective rank of ∂G/∂z and mode coverage with and without ``orthonormal_tangent`` (z_dim 8)."""
    import ganlab.metrics.tangent_rank  # noqa: F401  (registers the metric even before metrics/__init__ imports it)
    from ganlab.config import make_config
    from ganlab.geometry.tangents import save_spectrum_plot, spectrum
    from ganlab.metrics import evaluate
    from ganlab.train import load_run, train

    out, runs = Path(out), Path(runs) if runs is not None else Path(out) / "runs"
    start = time.process_time()
    rows, spectra = [], {}
    jobs = [(d, p, s) for d in datasets for p in ("none", "orthonormal_tangent") for s in range(seeds)]
    for data, pen, seed in tqdm(jobs, desc="tangent study", disable=not progress):
        toy = data in TOY
        steps = (100 if toy else 30) if quick else (1500 if toy else 600)
        over = [f"data.name={data}", "model.z_dim=8", f"train.steps={steps}", f"train.seed={seed}", "train.sample_every=0",
                "train.checkpoint_every=0", "train.progress=false"]  # fmt: skip
        if toy:  # 20,000 points and a faster rate than the digits' default: 1,500 steps must reach the modes
            over += ["data.n_points=20000", "train.lr_d=5e-4", "train.lr_g=5e-4", "train.batch_size=128"]
        if pen != "none":
            over.append(f"game.penalties=[{{name: orthonormal_tangent, weight: {weight}}}]")
        t0 = time.process_time()
        folder = train(make_config(overrides=over), runs / f"{data}-{pen}-s{seed}", overwrite=True, quiet=True)
        if not (folder / "metrics.json").is_file():  # the trainer stopped early (a signal): so does the study
            raise GanlabError(f"training {folder} stopped before its end", f"run the study again, or resume {folder} by hand")
        loaded = load_run(folder)
        G = loaded.G_eval
        n_jac = 64 if quick else 256
        result = evaluate(G, loaded.dataset, ["tangent_rank"] + (["mode_coverage"] if toy else []), n=2000, seed=seed,
                          options={"tangent_rank": {"n": n_jac}})["values"]  # fmt: skip
        if not toy:
            result.update(_class_coverage(G, seed=seed))
        s = spectrum(G, n_jac, seed=seed)
        save_spectrum_plot({folder.name: s}, folder / "tangent_spectrum.png", title=f"{folder.name}: spectrum of ∂G/∂z")
        spectra.setdefault(data, {}).setdefault(pen, s)
        rows.append({"data": data, "penalty": pen, "seed": seed, "steps": steps,
                     "erank": result["tangent_erank"], "rank": result["tangent_rank"], "rank_max": result["tangent_rank_max"],
                     "sigma_max": result["tangent_sigma_max"], "sigma_min": result["tangent_sigma_min"],
                     "modes": result["modes"], "n_modes": result["n_modes"], "hq": result.get("hq", float("nan")),
                     "reverse_kl": result["reverse_kl"], "cpu_s": round(time.process_time() - t0, 1)})  # fmt: skip
    for data, by_pen in spectra.items():
        save_spectrum_plot(by_pen, out / f"spectrum_{data}.png", title=f"{data}, z_dim 8, seed 0: σᵢ/σ₁ of ∂G/∂z")
    cpu = time.process_time() - start
    values = ["erank", "rank", "sigma_max", "sigma_min", "modes", "hq", "reverse_kl"]
    summary = mean_std(rows, ["data", "penalty"], values)
    notes = [f"{seeds} seed(s), quick={quick}, orthonormal_tangent weight {weight}; CPU time of the whole study {cpu:.0f} s.",
             "erank: entropy effective rank of ∂G/∂z (Roy & Vetterli 2007), mean over z; rank: #{σᵢ > 0.01 σ₁}; rank_max = "
             "min(output size, z_dim). modes: mixtures — modes with ≥ 1 high-quality sample (3σ); digits — classes the "
             "shipped classifier gives to ≥ 1 % of 2,000 samples. hq: share of samples within 3σ of a mode."]  # fmt: skip
    write_table(summary, out, "tangents", title="Tangent rank and mode coverage, with and without the orthonormality penalty", notes=notes)
    write_table(rows, out, "tangents_runs", title="Tangent study, every run", notes=notes[:1])
    return rows


# --- Localized GAN -----------------------------------------------------------------------------
def _digits():
    from ganlab.config import DataConfig
    from ganlab.data import load_dataset

    return load_dataset(DataConfig(name="digits"))


def localized_study(quick: bool = False, out: Path = Path("runs/geometry"), *, progress: bool = True) -> list[dict]:
    """Train the Localized GAN on the digits train split; its checks, an edit grid of test digits, and the model file."""
    from ganlab.geometry.localized import LocalizedConfig, label_kept, save_edit_grid, train_localized
    from ganlab.geometry.tangents import save_spectrum_plot, singular_values, summarize

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ds = _digits()
    model = train_localized(ds.train, LocalizedConfig(steps=100 if quick else 3000), progress=progress)
    model.save(out / "localized.pt")
    x = ds.test
    with torch.no_grad():
        recon = float((model.G(x, torch.zeros(len(x), model.G.z_dim)) - x).abs().max())
    s = singular_values(model.G.tangents(x).detach())
    save_spectrum_plot({"Localized GAN, test digits": s}, out / "localized_spectrum.png", title="σᵢ/σ₁ of ∂G(x, z)/∂z at z = 0")
    picks = np.array([np.flatnonzero(ds.labels["test"] == c)[0] for c in range(0, 10, 2)])  # one test digit of 0, 2, 4, 6, 8
    save_edit_grid(model.G, x[picks], out / "localized_edits.png")
    summ = summarize(s)
    row = {"steps": model.cfg.steps, "z_dim": model.cfg.z_dim, "max abs(G(x,0) − x)": recon,
           "erank": summ["tangent_erank"], "sigma_max": summ["tangent_sigma_max"], "sigma_min": summ["tangent_sigma_min"],
           **label_kept(model.G, x), "final ortho": model.history[-1]["ortho"], "cpu_s": round(model.cpu_seconds, 1)}  # fmt: skip
    notes = ["Localized GAN G(x, z) = x + h(x, z) − h(x, 0) on the digits train split; measured on the 360 test digits.",
             "label_kept: share of edits G(x, z), z ~ N(0, I), that the shipped digits classifier labels as it labels x."]  # fmt: skip
    write_table([row], out, "localized", title="Localized GAN on the 8×8 digits", notes=notes)
    return [row]


# --- semi-supervised learning with the Laplace–Beltrami regulariser --------------------------------
def ssl_study(quick: bool = False, seeds: int = 5, out: Path = Path("runs/geometry"), *, labels_per_class: int = 10,
              localized: Path | None = None, progress: bool = True) -> list[dict]:  # fmt: skip
    """Test accuracy with ``labels_per_class`` labels per class: Laplace–Beltrami (Localized GAN
    tangents) vs supervised only, random directions and LabelSpreading, one row per seed and method.

    The Localized GAN (label-free, train split only) is trained once — or loaded from
    ``localized`` — and shared by the seeds; each seed draws its own labelled set and initialisation."""
    from ganlab.geometry import laplace_beltrami as lb
    from ganlab.geometry.localized import LocalizedConfig, load_localized, train_localized

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.process_time()
    ds = _digits()
    if localized is not None:
        model = load_localized(localized)
    else:
        model = train_localized(ds.train, LocalizedConfig(steps=100 if quick else 3000), progress=progress)
    T = lb.orthonormal_tangents(model.G.tangents(ds.train).detach())  # (N, 64, k), fixed while f trains
    cfg = lb.SSLConfig(steps=100 if quick else 1500)
    y_train, y_test = ds.labels["train"], ds.labels["test"]
    rows = []
    for seed in tqdm(range(seeds), desc="ssl seeds", disable=not progress):
        lab = lb.select_labelled(y_train, labels_per_class, seed)
        xl, yl = ds.train[lab], torch.as_tensor(y_train[lab])
        variants = {"supervised only": None, "Laplace–Beltrami (LGAN tangents)": T,
                    "random directions (control)": lb.random_tangents(len(ds.train), T.shape[1], T.shape[2], seed)}  # fmt: skip
        for method, tangents in variants.items():
            t0 = time.process_time()
            f = lb.train_classifier(xl, yl, ds.train if tangents is not None else None, tangents, cfg, seed=seed)
            acc = lb.accuracy(f, ds.test, y_test)
            rows.append({"seed": seed, "method": method, "test_acc": acc, "cpu_s": round(time.process_time() - t0, 1)})
        t0 = time.process_time()
        acc = lb.label_spreading_accuracy(ds.train.numpy(), y_train, lab, ds.test.numpy(), y_test)
        rows.append({"seed": seed, "method": "LabelSpreading (k-NN graph)", "test_acc": acc, "cpu_s": round(time.process_time() - t0, 1)})
    cpu = time.process_time() - start
    notes = [f"Digits, {labels_per_class} labels per class from the train split (1,258 images, the rest unlabelled), "
             f"accuracy on the 360-image test split; {seeds} seed(s), quick={quick}. Localized GAN: {model.cfg.steps} steps, "
             f"k = {model.cfg.z_dim} tangents; λ = {cfg.lam} fixed in advance; classifier MLP 64-256-256-10, {cfg.steps} Adam steps. "
             f"CPU time of the whole study {cpu:.0f} s (Localized GAN {model.cpu_seconds:.0f} s)."]  # fmt: skip
    title = "Semi-supervised digits: Laplace–Beltrami vs baselines"
    write_table(mean_std(rows, ["method"], ["test_acc"]), out, "ssl", title=title, notes=notes)
    write_table(rows, out, "ssl_runs", title="Semi-supervised digits, every seed", notes=notes)
    return rows


# --- CLI ---------------------------------------------------------------------------------------
def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``ganlab geometry {tangents,localized,ssl}`` to the CLI's subparsers."""
    g = subparsers.add_parser("geometry", help="tangent rank, Localized GAN, Laplace–Beltrami semi-supervised learning",
                              description="Geometry studies of MISSION §6 (seed 000): markdown + CSV tables and figures.")  # fmt: skip
    g.add_argument("study", choices=["tangents", "localized", "ssl"])
    g.add_argument("--quick", action="store_true", help="tiny step counts: a smoke run in seconds")
    g.add_argument("--seeds", type=int, default=None, help="seeds (default: tangents 2, ssl 5)")
    g.add_argument("--out", type=Path, default=Path("runs/geometry"), help="folder for tables and figures")
    g.add_argument("--runs", type=Path, default=None, help="tangents: folder for the training runs (default OUT/runs)")
    g.add_argument("--localized", type=Path, default=None, help="ssl: a localized.pt to reuse instead of training one")
    g.set_defaults(func=run)
    return g


def run(args: argparse.Namespace) -> int:
    if args.seeds is not None and args.seeds < 1:
        raise GanlabError(f"--seeds must be ≥ 1, got {args.seeds}", "pass --seeds 1 or more")
    start = time.process_time()
    if args.study == "tangents":
        tangent_study(args.quick, args.seeds or 2, args.out, runs=args.runs)
        name = "tangents.md"
    elif args.study == "localized":
        localized_study(args.quick, args.out)
        name = "localized.md"
    else:
        ssl_study(args.quick, args.seeds or 5, args.out, localized=args.localized)
        name = "ssl.md"
    print((args.out / name).read_text())
    print(f"wrote {args.out / name} (CPU {time.process_time() - start:.0f} s)")
    return 0
