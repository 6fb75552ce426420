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
