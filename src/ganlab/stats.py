"""Statistics over seeds, stated once: mean, sample standard deviation and a 95 % interval.

``describe(values)``: the mean and sample standard deviation (ddof = 1) of the finite values,
their count, how many were not finite (diverged runs), and a 95 % confidence interval of the
mean — Student's t (mean ± t₀.₉₇₅,ₙ₋₁ · s/√n) by default, or a percentile bootstrap over the
values (``method="bootstrap"``, 10,000 resamples, seeded) when normality is doubtful.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

LEVEL = 0.95
ALPHA = 1 - LEVEL  # a claim is decided only when its test's p is below this too


def describe(values: Sequence[float], *, method: str = "t", seed: int = 0) -> dict[str, float | int | None]:
    """{"mean", "std", "n", "n_nan", "ci_low", "ci_high"} of ``values`` (None where undefined)."""
    v = np.asarray([x for x in values if x is not None and math.isfinite(x)], dtype=np.float64)
    n = int(len(v))
    out: dict[str, float | int | None] = {"mean": None, "std": None, "n": n, "n_nan": len(values) - n, "ci_low": None,
                                          "ci_high": None}  # fmt: skip
    if n == 0:
        return out
    mean = float(v.mean())
    out["mean"] = mean
    out["std"] = float(v.std(ddof=1)) if n > 1 else 0.0
    if n > 1:
        lo, hi = interval(v, method=method, seed=seed)
        out["ci_low"], out["ci_high"] = lo, hi
    return out


def interval(v: np.ndarray, *, method: str = "t", seed: int = 0, resamples: int = 10_000) -> tuple[float, float]:
    """A 95 % interval of the mean of ``v`` (n ≥ 2)."""
    n = len(v)
    if method == "t":
        from scipy.stats import t

        half = float(t.ppf(0.5 + LEVEL / 2, n - 1) * v.std(ddof=1) / math.sqrt(n))
        return float(v.mean()) - half, float(v.mean()) + half
    if method == "bootstrap":
        rng = np.random.default_rng(seed)
        means = v[rng.integers(0, n, size=(resamples, n))].mean(1)
        lo, hi = np.quantile(means, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
        return float(lo), float(hi)
    raise ValueError(f"interval method must be 't' or 'bootstrap', got {method!r}")


def text(d: dict, digits: int = 3) -> str:
    """``describe``'s result as "mean ± std [lo, hi]" (n/a when nothing was finite)."""
    if d["mean"] is None:
        return "n/a"
    s = f"{d['mean']:.{digits}g} ± {d['std']:.{digits}g}"
    if d["ci_low"] is not None:
        s += f" [{d['ci_low']:.{digits}g}, {d['ci_high']:.{digits}g}]"
    if d["n_nan"]:
        s += f" ({d['n_nan']} n/a)"
    return s


VERDICT_WORDS = ("agrees", "disagrees", "inconclusive")


def compare(a: Sequence[float], b: Sequence[float], *, expect: str, paired: bool = True, seed: int = 0,
            resamples: int = 10_000) -> dict[str, float | int | str | None]:  # fmt: skip
    """Decide the claim "a < b" (``expect="less"``) or "a > b" (``"greater"``) over seeds.

    The difference of means a − b gets a 95 % percentile-bootstrap interval — over the seeds'
    paired differences when ``paired`` (run i of a and of b share seed i), else resampling each
    side on its own — and a two-sided p-value (paired: the sign-flip permutation test, exact up to
    n = 16; unpaired: Welch's t). The verdict: ``agrees`` when the interval lies wholly on the
    claimed side of 0 and p < 0.05, ``disagrees`` when wholly on the other side and p < 0.05,
    else ``inconclusive`` (a percentile bootstrap over few seeds is too narrow to trust alone; the
    exact sign-flip test cannot reach p < 0.05 with fewer than 6 pairs). Also the effect size:
    Cohen's d — of the differences (d_z) when paired, with the pooled std otherwise. Non-finite
    values (diverged runs) are dropped, pairwise when paired.
    """
    if expect not in ("less", "greater"):
        raise ValueError(f"expect must be 'less' or 'greater', got {expect!r}")
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if paired:
        if x.shape != y.shape:
            raise ValueError(f"paired comparison needs as many values on both sides, got {len(x)} and {len(y)}")
        keep = np.isfinite(x) & np.isfinite(y)
        x, y = x[keep], y[keep]
    else:
        x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    out: dict[str, float | int | str | None] = {"claim": f"a {'<' if expect == 'less' else '>'} b", "n_a": len(x), "n_b": len(y),
                                                "diff": None, "ci_low": None, "ci_high": None, "effect": None, "p": None,
                                                "verdict": "inconclusive"}  # fmt: skip
    if len(x) < 2 or len(y) < 2:
        return out
    rng = np.random.default_rng(seed)
    if paired:
        d = x - y
        boot = d[rng.integers(0, len(d), size=(resamples, len(d)))].mean(1)
        sd = float(d.std(ddof=1))
        effect = float(d.mean() / sd) if sd > 0 else (0.0 if d.mean() == 0 else math.copysign(math.inf, d.mean()))
        p = _sign_flip_p(d, rng, resamples)
    else:
        from scipy.stats import ttest_ind

        boot = x[rng.integers(0, len(x), size=(resamples, len(x)))].mean(1) - y[rng.integers(0, len(y), size=(resamples, len(y)))].mean(1)
        pooled = math.sqrt(((len(x) - 1) * x.var(ddof=1) + (len(y) - 1) * y.var(ddof=1)) / (len(x) + len(y) - 2))
        diff = float(x.mean() - y.mean())
        effect = diff / pooled if pooled > 0 else (0.0 if diff == 0 else math.copysign(math.inf, diff))
        p = float(ttest_ind(x, y, equal_var=False).pvalue) if pooled > 0 else (1.0 if diff == 0 else 0.0)
    lo, hi = np.quantile(boot, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    out.update(diff=float(x.mean() - y.mean()), ci_low=float(lo), ci_high=float(hi), effect=effect, p=p)
    below, above = hi < 0 and p < ALPHA, lo > 0 and p < ALPHA
    claimed, against = (below, above) if expect == "less" else (above, below)
    out["verdict"] = "agrees" if claimed else ("disagrees" if against else "inconclusive")
    return out


def compare_times(a: Sequence[float], b: Sequence[float], *, expect: str,
                  budget: float | tuple[Sequence[float], Sequence[float]]) -> dict[str, float | int | str | None]:  # fmt: skip
    """Decide "a reaches the target sooner than b" (``expect="less"``) or later (``"greater"``)
    from paired times to a target, where a run that never reached it (NaN or inf) is
    right-censored: its time is only known to exceed its budget — one number for every run (G
    steps), or each run's own (its training CPU seconds), as ``(budgets of a, budgets of b)``.

    Dropping censored runs (as ``compare`` does) throws away exactly the information such a
    claim is about — a method that never arrives would look "inconclusive". A pair is ordered
    when its order is known: two reached times compare as numbers; a reached time is below a
    censored one whose budget is at least that time; two censored runs, or a censored run whose
    budget ends before the other's time, leave the pair unordered. The test is the exact
    two-sided sign test on the ordered pairs (binomial, p = ½ under "no difference"); the effect
    size is the share of pairs won by a minus the share won by b (matched-pairs rank-biserial, in
    [−1, 1]). ``diff``: the difference of the medians when both are reached times (None when a
    median is censored). Verdict as ``compare``'s: decided only at p < 0.05.
    """
    if expect not in ("less", "greater"):
        raise ValueError(f"expect must be 'less' or 'greater', got {expect!r}")
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"paired comparison needs as many values on both sides, got {len(x)} and {len(y)}")
    if isinstance(budget, tuple):
        cx, cy = np.asarray(budget[0], dtype=np.float64), np.asarray(budget[1], dtype=np.float64)
    else:
        cx = cy = np.full(x.shape, float(budget))
    if cx.shape != x.shape or cy.shape != y.shape:
        raise ValueError("one budget per run is needed on each side")
    if np.any(np.isfinite(x) & (x > cx)) or np.any(np.isfinite(y) & (y > cy)):
        raise ValueError("a reached time exceeds its budget: pass the budget the runs trained to")
    ra, rb = np.isfinite(x), np.isfinite(y)
    a_first = (ra & rb & (x < y)) | (ra & ~rb & (cy >= x))
    b_first = (ra & rb & (y < x)) | (rb & ~ra & (cx >= y))
    wins_a, wins_b, n = int(a_first.sum()), int(b_first.sum()), len(x)
    out: dict[str, float | int | str | None] = {
        "claim": f"a {'<' if expect == 'less' else '>'} b", "n_a": n, "n_b": n, "censored_a": int((~ra).sum()),
        "censored_b": int((~rb).sum()), "wins_a": wins_a, "wins_b": wins_b, "diff": None, "effect": 0.0, "p": 1.0,
        "verdict": "inconclusive", "test": "sign test, never-reached runs censored at their budget",
    }  # fmt: skip
    # a censored time sorts above every reached one, so a median that lands on one is only a bound
    med_a, med_b = (float(np.median(np.where(r, v, math.inf))) if n else math.inf for r, v in ((ra, x), (rb, y)))
    if math.isfinite(med_a) and math.isfinite(med_b):
        out["diff"] = med_a - med_b
    if wins_a + wins_b == 0:
        return out
    from scipy.stats import binomtest

    p = float(binomtest(wins_a, wins_a + wins_b, 0.5).pvalue)
    out.update(effect=(wins_a - wins_b) / n, p=p)
    sooner, later = wins_a > wins_b and p < ALPHA, wins_b > wins_a and p < ALPHA
    claimed, against = (sooner, later) if expect == "less" else (later, sooner)
    out["verdict"] = "agrees" if claimed else ("disagrees" if against else "inconclusive")
    return out


def _sign_flip_p(d: np.ndarray, rng: np.random.Generator, resamples: int) -> float:
    """Two-sided p of mean(d) = 0 under random signs: every 2ⁿ sign pattern up to n = 16, else sampled."""
    n = len(d)
    observed = abs(d.mean())
    if n <= 16:
        signs = 1 - 2 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1)
    else:
        signs = rng.choice([-1.0, 1.0], size=(resamples, n))
    means = np.abs((signs * d).mean(1))
    return float(np.mean(means >= observed - 1e-12 * max(observed, 1.0)))


def comparison_text(c: dict, digits: int = 3) -> str:
    """``compare``'s (or ``compare_times``') result in one line: the difference, its interval,
    effect size, p and verdict."""
    if "wins_a" in c:
        diff = "" if c["diff"] is None else f"median a − b = {c['diff']:.{digits}g}, "
        return (f"{c['verdict']}: a first in {c['wins_a']} of {c['n_a']} pairs, b first in {c['wins_b']}; never reached: "
                f"a {c['censored_a']}, b {c['censored_b']}; {diff}effect size {c['effect']:.2g}, p = {c['p']:.2g} (sign test, "
                "never-reached runs censored at their budget)")  # fmt: skip
    if c["diff"] is None:
        return f"{c['verdict']} (fewer than 2 finite values per side)"
    return (
        f"{c['verdict']}: a − b = {c['diff']:.{digits}g} [{c['ci_low']:.{digits}g}, {c['ci_high']:.{digits}g}], "
        f"effect size {c['effect']:.2g}, p = {c['p']:.2g}, n = {c['n_a']}" + (f"/{c['n_b']}" if c["n_a"] != c["n_b"] else "")
    )
