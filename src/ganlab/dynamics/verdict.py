"""What a trajectory did, read from the trajectory itself (eigenvalues alone cannot tell:
a centre (λ = ±i/2) may orbit, creep inwards or settle on a circle; see ``spectrum``).

The path of the generator's point θ(t) (or of its EMA) is cut into four quarters of equal
length; with a(t) = ‖θ(t)‖, A_j the largest a in quarter j, and s = ‖θ(0)‖ the scale:

- ``diverges``: the path became non-finite or left the solver's range, or it is still
  growing (A_4 > 1.2 A_3 > 1.44 A_2);
- ``converges``: θ ends near the equilibrium, A_4 ≤ tol·s, and is not moving away (A_4 ≤ A_3),
  or A_4 ≤ 10⁻⁶ s (there, quarter-to-quarter ratios are rounding noise);
- ``converges_to_set``: θ ends on a set away from 0: a(t) is nearly constant over the last
  quarter (spread (max − min)/mean < ``flat``), while θ itself may keep moving (a circle)
  or stop (a fixed point with θ ≠ 0);
- ``oscillates``: bounded, and none of the above (the distance to 0 keeps swinging).

The thresholds are relative, so they hold for any starting distance; the table states the
horizon, since a slow spiral (amplitude ∝ t^(−1/4) for WGAN-div with p = 6) reads as
``oscillates`` on a short run and ``converges`` on a long enough one.
"""

from __future__ import annotations

import dataclasses

import numpy as np

VERDICTS = ("converges", "converges_to_set", "oscillates", "diverges")
_FLOOR = 1e-6  # ‖θ‖/‖θ(0)‖ below this is the equilibrium (the ODE's atol is 1e-9)


@dataclasses.dataclass
class Verdict:
    label: str  # one of VERDICTS
    final: float  # ‖θ‖ at the end (NaN if the path stopped)
    amplitude: float  # A_4: the largest ‖θ‖ over the last quarter
    ratio: float  # A_4 / A_3: < 1 still shrinking, ≈ 1 steady, > 1 growing
    note: str = ""

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


def judge(theta: np.ndarray, *, tol: float = 0.05, flat: float = 0.05, growth: float = 1.2) -> Verdict:
    """Verdict on a path of points θ(t), shape (N, k), sampled at equal times."""
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
    if amp[3] <= tol * scale and amp[3] <= amp[2]:
        return verdict("converges", f"last-quarter ‖θ‖ ≤ {amp[3]:.2g} (×{ratio:.2g} per quarter)")
    mean = float(last.mean())
    spread = float(last.max() - last.min()) / mean if mean > 0 else 0.0
    if spread < flat:
        travel = float(np.linalg.norm(np.diff(theta[3 * q :], axis=0), axis=1).sum())
        if travel > flat * mean:
            return verdict("converges_to_set", f"circle-like set, ‖θ‖ ≈ {mean:.3g} (spread {spread:.1%}), θ still moving")
        return verdict("converges_to_set", f"θ stopped at ‖θ‖ ≈ {mean:.3g} ≠ 0")
    shrink = f", amplitude ×{ratio:.2f} per quarter" if ratio < 0.98 else ""
    return verdict("oscillates", f"‖θ‖ swings in [{last.min():.2g}, {last.max():.2g}]{shrink}")
