"""The geometry studies of MISSION §6 (seed 000): tangent rank with and without the
orthonormality penalty, the Localized GAN on the digits, and Laplace–Beltrami semi-supervised
learning. Each trains in memory through the library's one loop and returns its rows; it also
writes its tables (markdown + CSV, ``experiments.tables``) and figures into ``out``, so
``ganlab geometry`` and ``ganlab experiment tangents`` show the same thing.

The tangent and SSL studies are made of independent cells (a group of seeds of one setting; one
SSL accuracy), module-level functions of plain arguments that return JSON values. A study hands
them to a ``mapper`` — ``parallel.map_cells`` in this process by default, an experiment's
``Context.map`` (a worker pool or Ray, each cell kept for resuming) from ``ganlab experiment``.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganlab.config import DataConfig
from ganlab.data import load_dataset
from ganlab.errors import GanlabError
from ganlab.experiments.parallel import map_cells
from ganlab.experiments.tables import group_stats, write_table
from ganlab.experiments.training import Trained, grouped, make, train_seeds
from ganlab.metrics import FEATURES, evaluate, generate
from ganlab.metrics.tangents import DEFAULT_TOL, effective_rank, singular_values, spectrum, summarize
from ganlab.plots import Panel, Series, save_panels
from ganlab.train.checkpoint import digest

TOY = ("ring8", "grid25")
PENALTY_WEIGHT = 0.1  # orthonormal_tangent weight for the global generators (one value, not tuned)

#: ``mapper(fn, jobs, desc=…)`` → ``[fn(*job) for job in jobs]``, in any order of execution
Mapper = Callable[..., list[Any]]


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


def _tangent_row(run: Trained, data: str, pen: str, seed: int, steps: int, quick: bool,
                 want_spectrum: bool) -> tuple[dict, torch.Tensor]:  # fmt: skip
    """One trained run of the tangent study, measured: its row and (``want_spectrum``, else empty)
    its spectrum σ (n, r) of ∂G/∂z."""
    toy = data in TOY
    t0 = time.process_time()
    G = run.trainer.G_eval
    n_jac = 64 if quick else 256
    result = evaluate(G, run.dataset, ["tangent_rank"] + (["mode_coverage"] if toy else []), n=2000, seed=seed,
                      options={"tangent_rank": {"n": n_jac}})["values"]  # fmt: skip
    if not toy:
        result.update(_class_coverage(G, seed=seed))
    s = spectrum(G, n_jac, seed=seed) if want_spectrum else torch.empty(0)
    cpu = run.cpu_seconds + time.process_time() - t0  # its training (a group's share) and its measurement
    return {"data": data, "penalty": pen, "seed": seed, "steps": steps,
            "erank": result["tangent_erank"], "rank": result["tangent_rank"], "rank_max": result["tangent_rank_max"],
            "sigma_max": result["tangent_sigma_max"], "sigma_min": result["tangent_sigma_min"],
            "modes": result["modes"], "n_modes": result["n_modes"], "hq": result.get("hq", float("nan")),
            "reverse_kl": result["reverse_kl"], "cpu_s": round(cpu, 1)}, s  # fmt: skip


TANGENT_WEIGHTS = (0.01, 0.1, 1.0)  # the orthonormal_tangent weights tried on the validation seeds when tuning


def tangent_overrides(data: str, pen: str, weight: float, steps: int, first_seed: int) -> list[str]:
    """The tangent study's run of ``data``: z_dim 8 (so that ∂G/∂z can lose rank), and on the
    mixtures 20,000 points at a faster rate than the digits' default. The penalised run is the
    unpenalised one plus ``orthonormal_tangent``: the baseline's own penalties (on the mixtures,
    the defaults' R1 γ = 1) stay, so that the penalty is the only difference."""
    over = [f"data.name={data}", "model.z_dim=8", f"train.steps={steps}", f"train.seed={first_seed}", "train.progress=false"]
    if data in TOY:
        over += ["data.n_points=20000", "train.lr_d=5e-4", "train.lr_g=5e-4", "train.batch_size=128"]
    if pen != "none":
        pens = [*make(over).game.penalties, {"name": "orthonormal_tangent", "weight": weight}]
        over.append("game.penalties=" + json.dumps(pens))
    return over


def _steps(data: str, quick: bool, steps: int | None) -> int:
    """G steps of a study run: ``steps``, or the study's short defaults."""
    toy = data in TOY
    return steps or ((100 if toy else 30) if quick else (1500 if toy else 600))


def _tangent_runs(data: str, pen: str, weight: float, seeds: int, first_seed: int, quick: bool,
                  steps: int | None = None) -> tuple[list[Trained], int]:  # fmt: skip
    steps = _steps(data, quick, steps)
    return train_seeds(make(tangent_overrides(data, pen, weight, steps, first_seed)), seeds, desc=f"{data} {pen}"), steps


def tangent_cell(data: str, pen: str, weight: float, seeds: int, first_seed: int, quick: bool,
                 steps: int | None = None) -> dict[str, Any]:  # fmt: skip
    """One cell of the tangent study: ``seeds`` runs (seeds ``first_seed`` …) of ``data`` with
    penalty ``pen`` at ``weight`` (0 for "none") for ``steps`` G steps (None: the study's short
    defaults), measured. Returns their rows, the first run's spectrum σ (n, r) as nested lists,
    and the cell's CPU seconds."""
    t0 = time.process_time()
    runs, steps = _tangent_runs(data, pen, weight, seeds, first_seed, quick, steps)
    rows, first = [], []
    for i, run in enumerate(runs):
        row, s = _tangent_row(run, data, pen, first_seed + i, steps, quick, want_spectrum=i == 0)
        row["weight"] = weight if pen != "none" else 0.0
        rows.append(row)
        first = first or s.tolist()
    return {"rows": rows, "spectrum": first, "cpu_s": time.process_time() - t0}


def _seed_jobs(data: str, pen: str, weight: float, seeds: int, quick: bool, steps: int | None) -> list[tuple]:
    """The ``tangent_cell`` jobs of seeds 0 … seeds − 1: one job where the seeds train as one group,
    else one job per seed, so that the workers share a data set's lone runs and a stopped study
    keeps every finished seed (a digits run at its budget is ≈ 17 CPU min; 10 in one cell were
    ≈ 3 h, all lost if stopped). Lone runs are the same whether trained in one cell or in ten."""
    if seeds < 2 or grouped(make(tangent_overrides(data, pen, weight, _steps(data, quick, steps), 0)), seeds):
        return [(data, pen, weight, seeds, 0, quick, steps)]
    return [(data, pen, weight, 1, i, quick, steps) for i in range(seeds)]


def _merge_cells(jobs: Sequence[tuple], cells: Sequence[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """(data, penalty) → one cell: the rows of its jobs in seed order, the spectrum of its first
    seed's run and the CPU seconds of all of them."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for job, cell in sorted(zip(jobs, cells, strict=True), key=lambda jc: (jc[0][:2], jc[0][4])):
        m = merged.setdefault(job[:2], {"rows": [], "spectrum": cell["spectrum"], "cpu_s": 0.0})
        m["rows"] += cell["rows"]
        m["cpu_s"] += cell["cpu_s"]
    return merged


def _hq(run: Trained, step: int) -> dict[str, float]:
    if run.diverged:
        return {}
    m = evaluate(run.trainer.G_eval, run.dataset, ["mode_coverage"], n=2000, seed=0)["values"]
    return {"modes": m["modes"], "hq": 100 * m["hq"]}


def tangent_budget_cell(data: str, horizon: int, every: int, seeds: int, first_seed: int) -> list[list[dict]]:
    """The unpenalised run of the study on a mixture for ``horizon`` steps: each seed's history of
    modes and % HQ of the EMA G every ``every`` steps (the budget rule reads it)."""
    cfg = make(tangent_overrides(data, "none", 0.0, horizon, first_seed))
    return [run.history for run in train_seeds(cfg, seeds, every=every, callback=_hq, desc=f"{data} budget")]


def tangent_study(quick: bool = False, seeds: int = 2, out: Path = Path("runs/geometry"), *,
                  datasets: Sequence[str] = ("ring8", "grid25", "digits"), weight: float | str = PENALTY_WEIGHT,
                  mapper: Mapper | None = None, steps: dict[str, int] | None = None) -> list[dict]:  # fmt: skip
    """Effective rank of ∂G/∂z and mode coverage with and without ``orthonormal_tangent`` (z_dim 8).

    ``weight="tune"``: per data set, the penalty weight of ``TANGENT_WEIGHTS`` with the highest
    mean effective rank over the validation seeds 100–102 (``tangents_validation``; ties to the
    smaller weight), then the reported seeds 0 … seeds − 1 with it. The cells (``tangent_cell``)
    run through ``mapper`` (default: here, one after another): first the validation cells with
    the unpenalised ones, which need no choice, then the penalised ones. ``steps``: G steps per
    data set (default: the study's short budgets, 1,500 on the mixtures and 600 on the digits)."""
    out = Path(out)
    mapper = mapper or map_cells
    tune = weight == "tune"
    n_val = 1 if quick else 3
    n_steps = {d: (steps or {}).get(d) for d in datasets}
    val_jobs = [(d, "orthonormal_tangent", w, n_val, 100, quick, n_steps[d]) for d in datasets for w in TANGENT_WEIGHTS] if tune else []
    none_jobs = [job for d in datasets for job in _seed_jobs(d, "none", 0.0, seeds, quick, n_steps[d])]
    pen_jobs = [] if tune else [job for d in datasets
                                for job in _seed_jobs(d, "orthonormal_tangent", float(weight), seeds, quick, n_steps[d])]  # fmt: skip
    first = mapper(tangent_cell, val_jobs + none_jobs + pen_jobs, desc="tangent study" + (": validation" if tune else ""))
    cpu = sum(c["cpu_s"] for c in first)
    chosen = {d: weight for d in datasets}
    if tune:
        val_rows = []
        for (data, _, w, *_), cell in zip(val_jobs, first, strict=False):
            rs = cell["rows"]
            val_rows.append({"data": data, "weight": w, "seeds": n_val, "erank": float(np.mean([r["erank"] for r in rs])),
                             "modes": float(np.mean([r["modes"] for r in rs]))})  # fmt: skip
        for data in datasets:
            chosen[data] = max((r for r in val_rows if r["data"] == data), key=lambda r: (r["erank"], -r["weight"]))["weight"]
        for r in val_rows:
            r["chosen"] = "✓" if chosen[r["data"]] == r["weight"] else ""
        write_table(out, "tangents_validation", val_rows, title="Orthonormal-tangent weight on the validation seeds",
                    notes=f"Mean over validation seeds {', '.join(str(100 + i) for i in range(n_val))} (never reported) of the "
                    "effective rank; ✓ = chosen (highest, ties to the smaller weight).")  # fmt: skip
        pen_jobs = [job for d in datasets for job in _seed_jobs(d, "orthonormal_tangent", float(chosen[d]), seeds, quick, n_steps[d])]
        second = mapper(tangent_cell, pen_jobs, desc="tangent study: penalised")
        cpu += sum(c["cpu_s"] for c in second)
        first = first[len(val_jobs) :] + second
    cells = _merge_cells(none_jobs + pen_jobs, first)
    rows = [row for d in datasets for p in ("none", "orthonormal_tangent") for row in cells[d, p]["rows"]]
    for data in datasets:
        spectra = {p: torch.tensor(cells[data, p]["spectrum"], dtype=torch.float64) for p in ("none", "orthonormal_tangent")}
        spectrum_plot(spectra, out / f"spectrum_{data}.png", title=f"{data}, z_dim 8, seed 0: σᵢ/σ₁ of ∂G/∂z")
    values = ["erank", "rank", "sigma_max", "sigma_min", "modes", "hq", "reverse_kl"]
    summary = group_stats(rows, ["data", "penalty", "weight"], values)
    how = "chosen on validation seeds (tangents_validation)" if tune else "fixed"
    weights = ", ".join(f"{d} {chosen[d]:g}" for d in datasets)
    budgets = ", ".join(f"{d} {next(r['steps'] for r in rows if r['data'] == d):,}" for d in datasets)
    notes = [f"{seeds} seed(s), quick={quick}, G steps: {budgets}; orthonormal_tangent weight {how}: {weights}, added to the "
             f"unpenalised run's own penalties (on the mixtures R1 γ = 1); CPU time of the study's cells {cpu:.0f} s.",
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
LB = "Laplace–Beltrami (LGAN tangents)"
LAMS = (1e-4, 1e-3, 1e-2, 0.1, 1.0)  # the tangent term's weight; on the digits it hurts from 1e-3 on, so the grid spans ×10⁴
CHART_DIMS = (2.0, 4.0, 8.0)  # tangents per point: the Localized GAN's z_dim (the random control draws as many directions)
#: two knobs per method, 5 × 3 values each (the same search budget): the tangent term's λ and the number of tangents k for
#: the two regularised variants (for LB, k is the Localized GAN's setting), weight decay and learning rate for supervised
#: only, the k-NN graph's k and the clamping α for LabelSpreading
SSL_GRIDS: dict[str, tuple[tuple[str, tuple[float, ...]], tuple[str, tuple[float, ...]]]] = {
    "supervised only": (("weight_decay", (5e-5, 5e-4, 5e-3, 5e-2, 0.5)), ("lr", (3e-4, 1e-3, 3e-3))),
    LB: (("lam", LAMS), ("k", CHART_DIMS)),
    "random directions (control)": (("lam", LAMS), ("k", CHART_DIMS)),
    "LabelSpreading (k-NN graph)": (("n_neighbors", (3.0, 5.0, 7.0, 10.0, 15.0)), ("alpha", (0.05, 0.2, 0.5))),
}
#: the untuned settings (scikit-learn's LabelSpreading defaults, the SSL_LGAN code's λ = 1, 8 tangents)
SSL_DEFAULTS: dict[str, tuple[float, float]] = {"supervised only": (5e-4, 1e-3), LB: (1.0, 8.0), "random directions (control)": (1.0, 8.0),
                                                "LabelSpreading (k-NN graph)": (7.0, 0.2)}  # fmt: skip
VALIDATION_SEEDS = (100, 101, 102)  # labelled sets and initialisations never used for a reported number


def _setting_text(method: str, values: Sequence[float]) -> str:
    return ", ".join(f"{name} = {v:g}" for (name, _), v in zip(SSL_GRIDS[method], values, strict=True))


def _ssl_accuracy(method: str, values: tuple[float, float], seed: int, ds, T: torch.Tensor | None, cfg, labels_per_class: int,
                  split: str) -> float:  # noqa: ANN001  # fmt: skip
    """Accuracy on ``split`` of one method with its two knobs at ``values`` (``SSL_GRIDS``), labelled
    set and initialisation drawn with ``seed``; ``T``: the Localized GAN's orthonormal tangents (LB only)."""
    import dataclasses

    from ganlab.geometry import laplace_beltrami as lb

    y_train = ds.labels["train"]
    lab = lb.select_labelled(y_train, labels_per_class, seed)
    x_eval, y_eval = getattr(ds, split), ds.labels[split]
    a, b = values
    if method.startswith("LabelSpreading"):
        return lb.label_spreading_accuracy(ds.train.numpy(), y_train, lab, x_eval.numpy(), y_eval, n_neighbors=int(a), alpha=b)
    if method == "supervised only":
        c, tangents = dataclasses.replace(cfg, weight_decay=a, lr=b), None
    elif method == LB:
        if T is None or T.shape[2] != int(b):
            raise GanlabError(f"{method} with k = {b:g} needs a Localized GAN with z_dim {int(b)}", "pass its tangents")
        c, tangents = dataclasses.replace(cfg, lam=a), T
    else:
        c, tangents = dataclasses.replace(cfg, lam=a), lb.random_tangents(len(ds.train), ds.train[0].numel(), int(b), seed)
    f = lb.train_classifier(ds.train[lab], torch.as_tensor(y_train[lab]), ds.train if tangents is not None else None, tangents, c,
                            seed=seed)  # fmt: skip
    return lb.accuracy(f, x_eval, y_eval)


def _weights_digest(module: torch.nn.Module) -> str:
    """A hash of a module's weights (the checkpoints' ``digest``): a cell names the Localized GAN it
    used by its content, so a kept cell is reused only with the same model (a re-trained, identical
    one included)."""
    return digest(dict(module.state_dict()))


@functools.lru_cache(maxsize=4)
def _chart_tangents(localized: str, digest: str) -> torch.Tensor:
    """The orthonormal Localized-GAN tangents (N, 64, k) of the train split, once per process and
    model (a worker computes them for its first cell)."""
    from ganlab.geometry import laplace_beltrami as lb
    from ganlab.geometry.localized import load_localized

    model = load_localized(localized)
    if _weights_digest(model.G) != digest:
        raise GanlabError(f"the Localized GAN at {localized} changed while the SSL study ran", "run the study again")
    return lb.orthonormal_tangents(model.G.tangents(_digits().train).detach())  # fixed while f trains


@functools.lru_cache(maxsize=1)
def _ssl_digits():  # noqa: ANN202
    return _digits()


def ssl_cell(method: str, values: tuple[float, float], seed: int, chart: tuple[str, str] | None, steps: int,
             labels_per_class: int, split: str) -> dict[str, float]:  # fmt: skip
    """One SSL cell: the accuracy on ``split`` of ``method`` with its knobs at ``values`` and seed
    ``seed``, the classifier trained ``steps`` steps; LB reads the tangents of the Localized GAN
    ``chart`` = (file, weights hash). Returns it with the cell's CPU seconds."""
    from ganlab.geometry import laplace_beltrami as lb

    T = _chart_tangents(*chart) if chart is not None else None
    t0 = time.process_time()
    acc = _ssl_accuracy(method, tuple(values), seed, _ssl_digits(), T, lb.SSLConfig(steps=steps), labels_per_class, split)
    return {"acc": acc, "cpu_s": time.process_time() - t0}


def ssl_study(quick: bool = False, seeds: int = 5, out: Path = Path("runs/geometry"), *, labels_per_class: int = 10,
              localized: Path | None = None, progress: bool = True, tune: bool = False,
              mapper: Mapper | None = None) -> list[dict]:  # fmt: skip
    """Test accuracy with ``labels_per_class`` labels per class: Laplace–Beltrami (Localized GAN
    tangents) vs supervised only, random directions and LabelSpreading, one row per seed and method.

    A Localized GAN (label-free, train split only) is trained per number of tangents k that LB
    needs — or loaded from ``localized`` for its own k — and shared by the seeds; each seed draws
    its own labelled set and initialisation. ``tune``: each method's two knobs (``SSL_GRIDS``,
    5 × 3 values each; quick: 2 × 1) are chosen by their mean accuracy on the validation split
    over ``VALIDATION_SEEDS`` (ties: the earlier setting), written to ``ssl_validation``;
    otherwise ``SSL_DEFAULTS``. Each accuracy is a cell (``ssl_cell``) run through ``mapper``
    (default: here, one after another)."""
    from ganlab.geometry.localized import LocalizedConfig, load_localized, train_localized

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    mapper = mapper or map_cells
    steps = 100 if quick else 1500
    given = load_localized(localized) if localized is not None else None
    chosen = dict(SSL_DEFAULTS)
    if given is not None:  # untuned, the given Localized GAN sets k (its random control draws as many directions)
        for m in (LB, "random directions (control)"):
            chosen[m] = (chosen[m][0], float(given.G.z_dim))
    if tune:
        grids = {m: [(a, b) for b in (bs if not quick else (chosen[m][1],)) for a in (a_s[:2] if quick else a_s)]
                 for m, ((_, a_s), (_, bs)) in SSL_GRIDS.items()}  # fmt: skip
    else:
        grids = {m: [v] for m, v in chosen.items()}
    charts: dict[int, tuple[str, str]] = {}
    models = {}
    scratch: list[Path] = []
    for k in sorted({int(b) for _, b in grids[LB]}):
        if given is not None and given.G.z_dim == k:
            model, path = given, Path(localized)
        else:  # the cells read the model from a file (a worker process cannot be handed it): a scratch copy, removed after
            model = train_localized(_digits().train, LocalizedConfig(steps=100 if quick else 3000, z_dim=k), progress=progress)
            path = out / f".ssl_localized_k{k}.pt"
            model.save(path)
            scratch.append(path)
        charts[k], models[k] = (str(path.resolve()), _weights_digest(model.G)), model

    def job(method: str, values: tuple[float, float], seed: int, split: str) -> tuple:
        return (method, values, seed, charts[int(values[1])] if method == LB else None, steps, labels_per_class, split)

    cpu = 0.0
    try:
        if tune:
            val_seeds = VALIDATION_SEEDS[:1] if quick else VALIDATION_SEEDS
            settings = [(m, v) for m, vs in grids.items() for v in vs]
            cells = mapper(ssl_cell, [job(m, v, sd, "val") for m, v in settings for sd in val_seeds], desc="ssl validation")
            cpu += sum(c["cpu_s"] for c in cells)
            val_rows = []
            for i, (method, values) in enumerate(settings):
                accs = [c["acc"] for c in cells[i * len(val_seeds) : (i + 1) * len(val_seeds)]]
                val_rows.append({"method": method, "setting": _setting_text(method, values), "val_acc": float(np.mean(accs)),
                                 "seeds": len(accs), "_values": values})  # fmt: skip
            for method in SSL_GRIDS:
                chosen[method] = max((r for r in val_rows if r["method"] == method), key=lambda r: r["val_acc"])["_values"]
            for r in val_rows:
                r["chosen"] = "✓" if chosen[r["method"]] == r.pop("_values") else ""
            write_table(out, "ssl_validation", val_rows, title="Semi-supervised digits: each method's two knobs on the validation split",
                        notes=f"Mean accuracy on the 179-image validation split over seeds {', '.join(map(str, val_seeds))} (their "
                        "own labelled sets); the chosen setting (✓) is the best mean, ties to the earlier row. Every method gets "
                        f"{len(grids[LB])} settings. For Laplace–Beltrami, k is the Localized GAN's number of tangents (its "
                        "z_dim; one Localized GAN trained per k); the random control draws as many orthonormal directions.")  # fmt: skip
        jobs = [job(m, chosen[m], seed, "test") for seed in range(seeds) for m in SSL_GRIDS]
        cells = mapper(ssl_cell, jobs, desc="ssl seeds")
    finally:
        for path in scratch:
            path.unlink(missing_ok=True)
    cpu += sum(c["cpu_s"] for c in cells)
    rows = [{"seed": seed, "method": m, "setting": _setting_text(m, v), "test_acc": c["acc"], "cpu_s": round(c["cpu_s"], 1)}
            for (m, v, seed, *_), c in zip(jobs, cells, strict=True)]  # fmt: skip
    lgan = models[int(chosen[LB][1])]
    lgan_cpu = sum(m.cpu_seconds for m in models.values())
    knobs = "; ".join(f"{m}: {_setting_text(m, chosen[m])}" for m in SSL_GRIDS)
    how = "chosen on the validation split (ssl_validation)" if tune else "fixed in advance"
    notes = [f"Digits, {labels_per_class} labels per class from the train split (1,258 images, the rest unlabelled), "
             f"accuracy on the 360-image test split; {seeds} seed(s), quick={quick}. Localized GAN: {lgan.cfg.steps} steps, "
             f"k = {lgan.cfg.z_dim} tangents. Settings {how}: {knobs}. Classifier MLP 64-256-256-10, {steps} Adam steps. CPU "
             f"time of the study's classifiers {cpu:.0f} s (Localized GANs {lgan_cpu:.0f} s)."]  # fmt: skip
    title = "Semi-supervised digits: Laplace–Beltrami vs baselines"
    write_table(out, "ssl", group_stats(rows, ["method"], ["test_acc"]), title=title, notes=notes[0])
    write_table(out, "ssl_runs", rows, title="Semi-supervised digits, every seed", notes=notes[0])
    return rows
