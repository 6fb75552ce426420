"""The geometry studies of MISSION §6 (seed 000): tangent rank with and without the
orthonormality penalty, the Localized GAN on the digits, and Laplace–Beltrami semi-supervised
learning. Each trains in memory through the library's one loop and returns its rows; it also
writes its tables (markdown + CSV, ``experiments.tables``) and figures into ``out``, so
``ganlab geometry`` and ``ganlab experiment tangents`` show the same thing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from ganlab.config import DataConfig
from ganlab.data import load_dataset
from ganlab.experiments.tables import group_stats, write_table
from ganlab.experiments.training import Trained, make, train_seeds
from ganlab.metrics import FEATURES, evaluate, generate
from ganlab.metrics.tangents import DEFAULT_TOL, effective_rank, singular_values, spectrum, summarize
from ganlab.plots import Panel, Series, save_panels

TOY = ("ring8", "grid25")
PENALTY_WEIGHT = 0.1  # orthonormal_tangent weight for the global generators (one value, not tuned)


def spectrum_plot(spectra: dict[str, torch.Tensor], path: Path, title: str) -> None:
    """Median and 10–90 % band of σᵢ/σ₁ against i, one line per labelled spectrum (n, r), log scale."""
    series = []
    for label, s in spectra.items():
        rel = (s / s[:, :1].clamp_min(1e-300)).numpy()
        lo, med, hi = np.quantile(rel, [0.1, 0.5, 0.9], axis=0)
        i = np.arange(1, rel.shape[1] + 1)
        series.append(Series(f"{label} (erank {float(effective_rank(s).mean()):.2f})", i, med, lo, hi, style="o-"))
    save_panels([Panel(series, title, "index i", "σᵢ / σ₁ of ∂G/∂z", logy=True, hline=DEFAULT_TOL)], path, size=(5.5, 3.8), dpi=100)


# --- tangent study: global generators with and without the orthonormality penalty ----------------
def _class_coverage(G: torch.nn.Module, n: int = 2000, seed: int = 0) -> dict[str, float]:
    """Digits "modes": classes the shipped classifier assigns to ≥ 1 % of n samples, and the
    reverse KL of the class histogram to uniform (0 = every class equally often)."""
    x = generate(G, n, seed=seed)
    p = np.bincount(FEATURES.get("digits")().extract(x)["logits"].argmax(1).numpy(), minlength=10) / n
    nz = p > 0
    return {"modes": float((p >= 0.01).sum()), "n_modes": 10.0, "reverse_kl": float((p[nz] * np.log(10 * p[nz])).sum())}


def _tangent_row(run: Trained, data: str, pen: str, seed: int, steps: int, quick: bool, spectra: dict) -> dict:
    """One trained run of the tangent study, measured: its row (and seed 0's spectrum into ``spectra``)."""
    toy = data in TOY
    t0 = time.process_time()
    G = run.trainer.G_eval
    n_jac = 64 if quick else 256
    result = evaluate(G, run.dataset, ["tangent_rank"] + (["mode_coverage"] if toy else []), n=2000, seed=seed,
                      options={"tangent_rank": {"n": n_jac}})["values"]  # fmt: skip
    if not toy:
        result.update(_class_coverage(G, seed=seed))
    spectra.setdefault(data, {}).setdefault(pen, spectrum(G, n_jac, seed=seed))
    cpu = run.cpu_seconds + time.process_time() - t0  # its training (a group's share) and its measurement
    return {"data": data, "penalty": pen, "seed": seed, "steps": steps,
            "erank": result["tangent_erank"], "rank": result["tangent_rank"], "rank_max": result["tangent_rank_max"],
            "sigma_max": result["tangent_sigma_max"], "sigma_min": result["tangent_sigma_min"],
            "modes": result["modes"], "n_modes": result["n_modes"], "hq": result.get("hq", float("nan")),
            "reverse_kl": result["reverse_kl"], "cpu_s": round(cpu, 1)}  # fmt: skip


TANGENT_WEIGHTS = (0.01, 0.1, 1.0)  # the orthonormal_tangent weights tried on the validation seeds when tuning


def _tangent_runs(data: str, pen: str, weight: float, seeds: int, first_seed: int, quick: bool) -> tuple[list[Trained], int]:
    toy = data in TOY
    steps = (100 if toy else 30) if quick else (1500 if toy else 600)
    over = [f"data.name={data}", "model.z_dim=8", f"train.steps={steps}", f"train.seed={first_seed}", "train.progress=false"]
    if toy:  # 20,000 points and a faster rate than the digits' default: 1,500 steps must reach the modes
        over += ["data.n_points=20000", "train.lr_d=5e-4", "train.lr_g=5e-4", "train.batch_size=128"]
    if pen != "none":
        over.append(f"game.penalties=[{{name: orthonormal_tangent, weight: {weight}}}]")
    return train_seeds(make(over), seeds, desc=f"{data} {pen}"), steps


def tangent_study(quick: bool = False, seeds: int = 2, out: Path = Path("runs/geometry"), *,
                  datasets: Sequence[str] = ("ring8", "grid25", "digits"), weight: float | str = PENALTY_WEIGHT,
                  progress: bool = True) -> list[dict]:  # fmt: skip
    """Effective rank of ∂G/∂z and mode coverage with and without ``orthonormal_tangent`` (z_dim 8).

    ``weight="tune"``: per data set, the penalty weight of ``TANGENT_WEIGHTS`` with the highest
    mean effective rank over the validation seeds 100–102 (``tangents_validation``; ties to the
    smaller weight), then the reported seeds 0 … seeds − 1 with it."""
    out = Path(out)
    start = time.process_time()
    rows, spectra = [], {}
    chosen = {d: weight for d in datasets}
    if weight == "tune":
        val_rows = []
        n_val = 1 if quick else 3
        for data in tqdm(datasets, desc="tangent weight on validation seeds", disable=not progress):
            for w in TANGENT_WEIGHTS:
                runs, steps = _tangent_runs(data, "orthonormal_tangent", w, n_val, 100, quick)
                rs = [_tangent_row(run, data, "orthonormal_tangent", 100 + i, steps, quick, {}) for i, run in enumerate(runs)]
                val_rows.append({"data": data, "weight": w, "seeds": n_val, "erank": float(np.mean([r["erank"] for r in rs])),
                                 "modes": float(np.mean([r["modes"] for r in rs]))})  # fmt: skip
            best = max((r for r in val_rows if r["data"] == data), key=lambda r: (r["erank"], -r["weight"]))
            chosen[data] = best["weight"]
        for r in val_rows:
            r["chosen"] = "✓" if chosen[r["data"]] == r["weight"] else ""
        write_table(out, "tangents_validation", val_rows, title="Orthonormal-tangent weight on the validation seeds",
                    notes=f"Mean over validation seeds {', '.join(str(100 + i) for i in range(n_val))} (never reported) of the "
                    "effective rank; ✓ = chosen (highest, ties to the smaller weight).")  # fmt: skip
    jobs = [(d, p) for d in datasets for p in ("none", "orthonormal_tangent")]
    for data, pen in tqdm(jobs, desc="tangent study", disable=not progress):
        runs, steps = _tangent_runs(data, pen, float(chosen[data]), seeds, 0, quick)
        for seed, run in enumerate(runs):
            row = _tangent_row(run, data, pen, seed, steps, quick, spectra)
            row["weight"] = chosen[data] if pen != "none" else 0.0
            rows.append(row)
    for data, by_pen in spectra.items():
        spectrum_plot(by_pen, out / f"spectrum_{data}.png", title=f"{data}, z_dim 8, seed 0: σᵢ/σ₁ of ∂G/∂z")
    cpu = time.process_time() - start
    values = ["erank", "rank", "sigma_max", "sigma_min", "modes", "hq", "reverse_kl"]
    summary = group_stats(rows, ["data", "penalty", "weight"], values)
    how = "chosen on validation seeds (tangents_validation)" if weight == "tune" else "fixed"
    weights = ", ".join(f"{d} {chosen[d]:g}" for d in datasets)
    notes = [f"{seeds} seed(s), quick={quick}, orthonormal_tangent weight {how}: {weights}; CPU time of the whole study {cpu:.0f} s.",
             "erank: entropy effective rank of ∂G/∂z (Roy & Vetterli 2007), mean over z; rank: #{σᵢ > 0.01 σ₁}; rank_max = "
             "min(output size, z_dim). modes: mixtures — modes with ≥ 1 high-quality sample (3σ); digits — classes the "
             "shipped classifier gives to ≥ 1 % of 2,000 samples. hq: share of samples within 3σ of a mode."]  # fmt: skip
    write_table(out, "tangents", summary, title="Tangent rank and mode coverage, with and without the orthonormality penalty",
                notes=" ".join(notes))  # fmt: skip
    write_table(out, "tangents_runs", rows, title="Tangent study, every run", notes=notes[0])
    return rows


# --- Localized GAN -----------------------------------------------------------------------------
def _digits():
    return load_dataset(DataConfig(name="digits"))


def localized_study(quick: bool = False, out: Path = Path("runs/geometry"), *, progress: bool = True) -> list[dict]:
    """Train the Localized GAN on the digits train split; its checks, an edit grid of test digits, and the model file."""
    from ganlab.geometry.localized import LocalizedConfig, label_kept, save_edit_grid, train_localized

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ds = _digits()
    model = train_localized(ds.train, LocalizedConfig(steps=100 if quick else 3000), progress=progress)
    model.save(out / "localized.pt")
    x = ds.test
    with torch.no_grad():
        recon = float((model.G(x, torch.zeros(len(x), model.G.z_dim)) - x).abs().max())
    s = singular_values(model.G.tangents(x).detach())
    spectrum_plot({"Localized GAN, test digits": s}, out / "localized_spectrum.png", title="σᵢ/σ₁ of ∂G(x, z)/∂z at z = 0")
    picks = np.array([np.flatnonzero(ds.labels["test"] == c)[0] for c in range(0, 10, 2)])  # one test digit of 0, 2, 4, 6, 8
    save_edit_grid(model.G, x[picks], out / "localized_edits.png")
    summ = summarize(s)
    row = {"steps": model.cfg.steps, "z_dim": model.cfg.z_dim, "max abs(G(x,0) − x)": recon,
           "erank": summ["tangent_erank"], "sigma_max": summ["tangent_sigma_max"], "sigma_min": summ["tangent_sigma_min"],
           **label_kept(model.G, x), "final ortho": model.history[-1]["G/orthonormal_tangent"] / model.cfg.beta,
           "cpu_s": round(model.cpu_seconds, 1)}  # fmt: skip
    notes = ["Localized GAN G(x, z) = x + h(x, z) − h(x, 0) on the digits train split; measured on the 360 test digits.",
             "label_kept: share of edits G(x, z), z ~ N(0, I), that the shipped digits classifier labels as it labels x."]  # fmt: skip
    write_table(out, "localized", [row], title="Localized GAN on the 8×8 digits", notes=" ".join(notes))
    return [row]


# --- semi-supervised learning with the Laplace–Beltrami regulariser --------------------------------
#: one knob per method, five values each (the same search budget): the tangent term's λ for the two
#: regularised variants, weight decay for supervised only, the k-NN graph's k for LabelSpreading
SSL_GRIDS: dict[str, tuple[str, tuple[float, ...]]] = {
    "supervised only": ("weight_decay", (5e-5, 5e-4, 5e-3, 5e-2, 0.5)),
    "Laplace–Beltrami (LGAN tangents)": ("lam", (0.01, 0.03, 0.1, 0.3, 1.0)),
    "random directions (control)": ("lam", (0.01, 0.03, 0.1, 0.3, 1.0)),
    "LabelSpreading (k-NN graph)": ("n_neighbors", (3.0, 5.0, 7.0, 10.0, 15.0)),
}
SSL_DEFAULTS = {"supervised only": 5e-4, "Laplace–Beltrami (LGAN tangents)": 1.0, "random directions (control)": 1.0,
                "LabelSpreading (k-NN graph)": 7.0}  # fmt: skip
VALIDATION_SEEDS = (100, 101, 102)  # labelled sets and initialisations never used for a reported number


def _ssl_accuracy(method: str, value: float, seed: int, ds, T: torch.Tensor, cfg, labels_per_class: int, split: str) -> float:  # noqa: ANN001
    """Accuracy on ``split`` of one method with its knob at ``value``, labelled set and init drawn with ``seed``."""
    import dataclasses

    from ganlab.geometry import laplace_beltrami as lb

    y_train = ds.labels["train"]
    lab = lb.select_labelled(y_train, labels_per_class, seed)
    x_eval, y_eval = getattr(ds, split), ds.labels[split]
    if method.startswith("LabelSpreading"):
        return lb.label_spreading_accuracy(ds.train.numpy(), y_train, lab, x_eval.numpy(), y_eval, n_neighbors=int(value))
    knob = SSL_GRIDS[method][0]
    c = dataclasses.replace(cfg, **{knob: value})
    tangents = {"supervised only": None, "Laplace–Beltrami (LGAN tangents)": T,
                "random directions (control)": lb.random_tangents(len(ds.train), T.shape[1], T.shape[2], seed)}[method]  # fmt: skip
    f = lb.train_classifier(ds.train[lab], torch.as_tensor(y_train[lab]), ds.train if tangents is not None else None, tangents, c,
                            seed=seed)  # fmt: skip
    return lb.accuracy(f, x_eval, y_eval)


def ssl_study(quick: bool = False, seeds: int = 5, out: Path = Path("runs/geometry"), *, labels_per_class: int = 10,
              localized: Path | None = None, progress: bool = True, tune: bool = False) -> list[dict]:  # fmt: skip
    """Test accuracy with ``labels_per_class`` labels per class: Laplace–Beltrami (Localized GAN
    tangents) vs supervised only, random directions and LabelSpreading, one row per seed and method.

    The Localized GAN (label-free, train split only) is trained once — or loaded from
    ``localized`` — and shared by the seeds; each seed draws its own labelled set and
    initialisation. ``tune``: each method's knob (``SSL_GRIDS``, five values each) is chosen by
    its mean accuracy on the validation split over ``VALIDATION_SEEDS`` (ties: the smaller
    value), written to ``ssl_validation``; otherwise the fixed ``SSL_DEFAULTS``."""
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
    chosen = dict(SSL_DEFAULTS)
    if tune:
        val_rows = []
        val_seeds = VALIDATION_SEEDS[:1] if quick else VALIDATION_SEEDS
        jobs = [(m, v) for m, (_, grid) in SSL_GRIDS.items() for v in (grid[:2] if quick else grid)]
        for method, value in tqdm(jobs, desc="ssl validation", disable=not progress):
            accs = [_ssl_accuracy(method, value, s, ds, T, cfg, labels_per_class, "val") for s in val_seeds]
            val_rows.append({"method": method, "knob": SSL_GRIDS[method][0], "value": value, "val_acc": float(np.mean(accs)),
                             "seeds": len(accs)})  # fmt: skip
        for method in SSL_GRIDS:
            cand = [r for r in val_rows if r["method"] == method]
            chosen[method] = max(cand, key=lambda r: (r["val_acc"], -r["value"]))["value"]
        for r in val_rows:
            r["chosen"] = "✓" if chosen[r["method"]] == r["value"] else ""
        write_table(out, "ssl_validation", val_rows, title="Semi-supervised digits: each method's knob on the validation split",
                    notes=f"Mean accuracy on the 179-image validation split over seeds {', '.join(map(str, val_seeds))} (their own "
                    "labelled sets); the chosen value (✓) is the best mean, ties to the smaller value.")  # fmt: skip
    rows = []
    for seed in tqdm(range(seeds), desc="ssl seeds", disable=not progress):
        for method in SSL_GRIDS:
            t0 = time.process_time()
            acc = _ssl_accuracy(method, chosen[method], seed, ds, T, cfg, labels_per_class, "test")
            rows.append({"seed": seed, "method": method, f"{SSL_GRIDS[method][0]}": chosen[method], "test_acc": acc,
                         "cpu_s": round(time.process_time() - t0, 1)})  # fmt: skip
    cpu = time.process_time() - start
    knobs = "; ".join(f"{m}: {SSL_GRIDS[m][0]} = {chosen[m]:g}" for m in SSL_GRIDS)
    how = "chosen on the validation split (ssl_validation)" if tune else "fixed in advance"
    notes = [f"Digits, {labels_per_class} labels per class from the train split (1,258 images, the rest unlabelled), "
             f"accuracy on the 360-image test split; {seeds} seed(s), quick={quick}. Localized GAN: {model.cfg.steps} steps, "
             f"k = {model.cfg.z_dim} tangents, its settings not tuned. Settings {how}: {knobs}. Classifier MLP 64-256-256-10, "
             f"{cfg.steps} Adam steps. CPU time of the whole study {cpu:.0f} s (Localized GAN {model.cpu_seconds:.0f} s)."]  # fmt: skip
    title = "Semi-supervised digits: Laplace–Beltrami vs baselines"
    write_table(out, "ssl", group_stats(rows, ["method"], ["test_acc"]), title=title, notes=notes[0])
    write_table(out, "ssl_runs", rows, title="Semi-supervised digits, every seed", notes=notes[0])
    return rows
