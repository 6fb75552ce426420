"""What a trajectory did, read from the trajectory itself (eigenvalues alone cannot tell:
a centre (λ = ±i/2) may orbit, creep inwards or settle on a circle; see ``spectrum``).

The path of the generator's point θ(t) (or of its EMA) is cut into four quarters of equal
length; with a(t) = ‖θ(t)‖, A_j the largest a in quarter j, and s = ‖θ(0)‖ the scale:

- ``diverges``: the path became non-finite or left the solver's range, or it is still
  growing (A_4 > 1.2 A_3 > 1.44 A_2);
- ``converges``: θ ends near the equilibrium, A_4 ≤ tol·s, and is not moving away (A_4 ≤ A_3),
  or A_4 ≤ 10⁻⁶ s (there, quarter-to-quarter ratios are rounding noise) — ``converges_slowly``
  instead when, above that floor, its envelope decays as a power law (below);
- ``converges_to_set``: θ ends on a set away from 0: a(t) is nearly constant over the last
  quarter (spread (max − min)/mean < ``flat``), while θ itself may keep moving (a circle)
  or stop (a fixed point with θ ≠ 0);
- otherwise bounded and still swinging, the decay of the swing decides. The envelope E(τ) is
  sequence of the local maxima of a over the last three quarters (τ their times; the local minima
  are the inner edge), or, with fewer than four swings there, the largest a in each of
  ``WINDOWS`` equal windows:
  - ``oscillates``: E falls by less than ``orbit_drop`` (10 %) over that span (an orbit), or
    the outer edge falls while the inner one rises (narrowing onto a set away from 0);
  - ``converges`` (exponentially): log E is fitted better by a line in τ, E ∝ e^(−λτ) (the rate
    λ is reported), than by a line in log τ;
  - ``converges_slowly``: E ∝ τ^(−α) fits better (the exponent α is reported) — an algebraic
    decay, as WGAN-div's (p = 6) zero-centred penalty gives, which no finite horizon brings to
    ``tol`` quickly (at α = 1/4, ×10 closer takes ×10⁴ longer).

The thresholds are relative, so they hold for any starting distance; the table states the
horizon.
"""

from __future__ import annotations

import dataclasses

import numpy as np

VERDICTS = ("converges", "converges_slowly", "converges_to_set", "oscillates", "diverges")
CONVERGING = ("converges", "converges_slowly")
WINDOWS = 8
_FLOOR = 1e-6  # ‖θ‖/‖θ(0)‖ below this is the equilibrium (the ODE's atol is 1e-9)


@dataclasses.dataclass
class Verdict:
    label: str  # one of VERDICTS
    final: float  # ‖θ‖ at the end (NaN if the path stopped)
    amplitude: float  # A_4: the largest ‖θ‖ over the last quarter
    ratio: float  # A_4 / A_3: < 1 still shrinking, ≈ 1 steady, > 1 growing
    note: str = ""
    decay: str = ""  # of a swinging path's envelope: "exponential" | "power law" | "none"; "" when not analysed
    rate: float = float("nan")  # λ of e^(−λt) or α of t^(−α)

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


def envelope_decay(a: np.ndarray, t: np.ndarray, *, orbit_drop: float = 0.1) -> tuple[str, float, str]:
    """(kind, rate, note) of the decay of ‖θ‖'s envelope over the last three quarters of a path:
    "none" (an orbit), "exponential" (rate λ of e^(−λt)) or "power law" (exponent α of t^(−α)),
    chosen by the smaller squared residual of the two least-squares fits of log E."""
    start = len(a) // 4
    seg, ts = a[start:], t[start:]
    mid = seg[1:-1]
    peaks = np.flatnonzero((mid >= seg[:-2]) & (mid > seg[2:])) + 1
    troughs = np.flatnonzero((mid <= seg[:-2]) & (mid < seg[2:])) + 1
    if len(peaks) >= 4 and len(troughs) >= 4:  # a swing: its outer and inner edges, turn by turn
        env, tau, low = seg[peaks], ts[peaks], seg[troughs]
    else:  # monotone, or swings slower than the horizon: the largest and smallest a per window
        edges = np.linspace(0, len(seg), WINDOWS + 1).astype(int)
        idx = np.array([lo + int(np.argmax(seg[lo:hi])) for lo, hi in zip(edges[:-1], edges[1:])])
        env, tau = seg[idx], ts[idx]
        low = np.array([float(seg[lo:hi].min()) for lo, hi in zip(edges[:-1], edges[1:])])
    if (env <= 0).any() or (tau <= 0).any():
        return "none", float("nan"), "envelope not positive"
    # the first and last eighth of each edge, averaged: single extrema carry the sampling's phase noise
    k, j = max(1, len(env) // 8), max(1, len(low) // 8)
    e0, e1, l0, l1 = float(env[:k].mean()), float(env[-k:].mean()), float(low[:j].mean()), float(low[-j:].mean())
    drop = 1 - e1 / e0
    span = f"t ∈ [{tau[0]:.3g}, {tau[-1]:.3g}]"
    if drop < orbit_drop:
        return "none", 0.0, f"swing envelope changes {-drop:+.1%} over {span}: an orbit"
    if l1 > l0:  # the outer edge falls while the inner one rises: narrowing onto a set away from 0
        return "none", 0.0, f"swing narrows onto a set away from 0 over {span} (outer edge {e0:.3g} → {e1:.3g}, inner {l0:.3g} → {l1:.3g})"
    log_e = np.log(env)
    fits = {}
    for kind, x in (("exponential", tau), ("power law", np.log(tau))):
        slope, icpt = np.polyfit(x, log_e, 1)
        fits[kind] = (float(np.sum((log_e - (slope * x + icpt)) ** 2)), -float(slope))
    kind = min(fits, key=lambda k: fits[k][0])
    rate = fits[kind][1]
    other = "power law" if kind == "exponential" else "exponential"
    what = f"e^(−{rate:.3g} t)" if kind == "exponential" else f"t^(−{rate:.3g})"
    return kind, rate, (f"swing envelope ∝ {what}, falls {drop:.0%} over {span} "
                        f"(squared log-residual {fits[kind][0]:.2g}; as {other} {fits[other][0]:.2g})")


def judge(theta: np.ndarray, *, t: np.ndarray | None = None, tol: float = 0.05, flat: float = 0.05, growth: float = 1.2) -> Verdict:
    """Verdict on a path of points θ(t), shape (N, k), sampled at equal times ``t`` (default 1 … N)."""
    theta = np.asarray(theta, dtype=np.float64)
    if theta.ndim != 2 or len(theta) < 8:
        raise ValueError(f"a verdict needs a path of shape (N ≥ 8, k), got {theta.shape}")
    a = np.linalg.norm(theta, axis=1)
    if not np.isfinite(a).all():
        stop = int(np.argmax(~np.isfinite(a)))
        return Verdict("diverges", float("nan"), float("nan"), float("nan"), f"left the solver's range at sample {stop}")
    scale = max(float(a[0]), 1e-12)
    q = len(a) // 4
    amp = [float(a[j * q : (j + 1) * q if j < 3 else len(a)].max()) for j in range(4)]
    ratio = amp[3] / amp[2] if amp[2] > 0 else (1.0 if amp[3] == 0 else float("inf"))
    last = a[3 * q :]
    final = float(a[-1])

    def verdict(label: str, note: str = "") -> Verdict:
        return Verdict(label, final, amp[3], ratio, note)

    if amp[3] <= _FLOOR * scale:  # at the equilibrium up to solver tolerance: ratios are noise
        return verdict("converges", f"last-quarter ‖θ‖ ≤ {amp[3]:.2g}, at the solver's tolerance")
    if amp[3] > growth * amp[2] and amp[2] > growth * amp[1]:
        return verdict("diverges", f"‖θ‖ still growing: ×{ratio:.2f} per quarter")
    times = np.arange(1, len(a) + 1, dtype=np.float64) if t is None else np.asarray(t, dtype=np.float64)
    if times.shape != a.shape:
        raise ValueError(f"t must hold one time per point: {times.shape} for {a.shape[0]} points")
    kind, rate, how = envelope_decay(a, times - times[0] + (times[1] - times[0]))  # t > 0 for the power law
    if amp[3] <= tol * scale and amp[3] <= amp[2]:  # near 0 already; how fast it came still tells the kind
        label = "converges_slowly" if kind == "power law" else "converges"
        return dataclasses.replace(verdict(label, f"last-quarter ‖θ‖ ≤ {amp[3]:.2g} (×{ratio:.2g} per quarter); {how}"),
                                   decay=kind, rate=rate)
    mean = float(last.mean())
    spread = float(last.max() - last.min()) / mean if mean > 0 else 0.0
    if spread < flat:
        travel = float(np.linalg.norm(np.diff(theta[3 * q :], axis=0), axis=1).sum())
        if travel > flat * mean:
            return verdict("converges_to_set", f"circle-like set, ‖θ‖ ≈ {mean:.3g} (spread {spread:.1%}), θ still moving")
        return verdict("converges_to_set", f"θ stopped at ‖θ‖ ≈ {mean:.3g} ≠ 0")
    swing = f"‖θ‖ swings in [{last.min():.2g}, {last.max():.2g}]; {how}"
    label = {"exponential": "converges", "power law": "converges_slowly"}.get(kind, "oscillates")
    return dataclasses.replace(verdict(label, swing), decay=kind, rate=rate)
