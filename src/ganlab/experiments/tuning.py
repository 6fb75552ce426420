"""Each method's search on the validation split: the same grid for every objective (``modes``,
``relativistic``).

One factor at a time around the settings an objective declares (its paper's or its preset's):
the learning rate of both nets ×3 and ×0.3, and D's regularisation strength ×10 and ×0.1 — the
knob that sets it differs by objective (``STRENGTH``: R1 γ, WGAN-GP's λ, Cramér's GP weight,
GAN-QP's 1/λ, a clip bound's 1/c, a loss-sensitive or energy margin; another experiment names
its settings' knobs). A setting with no regulariser (Sphere GAN, a loss without a penalty) gets D
steps per G step ×2 and ×5 instead. Five settings each, chosen on runs whose seeds are never
reported, by ``choose``.
"""

from __future__ import annotations

from collections.abc import Sequence

import yaml

from ganlab.config import Config

LR_FACTORS = (3.0, 0.3)
STRENGTH_FACTORS = (10.0, 0.1)
N_CRITIC_FACTORS = (2, 5)
# D's regularisation strength: (override key, field, +1: strength grows with the value, −1: with its inverse)
STRENGTH: dict[str, tuple[str, str, int]] = {
    "wasserstein": ("game.penalties", "lam", 1),
    "cramer": ("game.params", "gp_weight", 1),
    "gan_qp": ("game.params", "lam", -1),  # the quadratic potential is divided by λ
    "mmd": ("game.constraints", "c", -1),  # a tighter clip is a stronger constraint
    "gls": ("game.constraints", "c", -1),
    "loss_sensitive": ("game.params", "margin", 1),
    "ebgan": ("game.params", "margin", 1),
}
R1 = ("game.penalties", "gamma", 1)  # every objective not above: the benchmark's R1 penalty
NONE = frozenset({"sphere"})  # no regulariser to scale
NAMES = {"gamma": "R1 γ", "lam": "λ", "gp_weight": "GP weight", "c": "clip c", "margin": "margin", "k": "k"}
Knob = tuple[str, str, int]  # (override key, field, +1 / −1), as in STRENGTH


def knob_of(objective: str) -> Knob | None:
    """The strength knob of ``objective`` on the 2-D benchmark's declared settings; None: it has no regulariser."""
    return None if objective in NONE else STRENGTH.get(objective, R1)


def _num(x: float) -> float:
    return float(f"{x:.6g}")  # 0.08 / 0.1 is 0.8, not 0.7999999999999999


def _scaled(overrides: Sequence[str], key: str, field: str, factor: float) -> tuple[str, float]:
    """The override ``key=…`` of ``overrides`` with ``field`` multiplied by ``factor``, and the new value."""
    for o in overrides:
        k, _, text = o.partition("=")
        if k != key:
            continue
        value = yaml.safe_load(text)
        holders = value if isinstance(value, list) else [value]
        for h in holders:
            if isinstance(h, dict) and field in h:
                h[field] = _num(h[field] * factor)
                return f"{key}={yaml.safe_dump(value, default_flow_style=True, sort_keys=False).strip()}", h[field]
    raise ValueError(f"no {key} with a {field!r} in {list(overrides)}")


def grid(objective: str, declared: Sequence[str], cfg: Config, knob: Knob | None | str = "objective") -> list[tuple[str, tuple[str, ...]]]:
    """The settings tried for ``objective``: (label, overrides added after ``declared``), the
    declared settings first (no overrides). ``cfg``: the config the declared settings make;
    ``knob``: D's regularisation strength in ``declared`` (default ``knob_of(objective)``), None
    when the setting has no regulariser (then D steps per G step are scaled instead)."""
    if knob == "objective":
        knob = knob_of(objective)
    points: list[tuple[str, tuple[str, ...]]] = [("declared", ())]
    for f in LR_FACTORS:
        lr_d, lr_g = _num(cfg.train.lr_d * f), _num(cfg.train.lr_g * f)
        points.append((f"lr ×{f:g} (lr={lr_d:g})", (f"train.lr_d={lr_d!r}", f"train.lr_g={lr_g!r}")))
    if knob is None:
        for f in N_CRITIC_FACTORS:
            n = cfg.train.n_critic * f
            points.append((f"n_D ×{f} (n_D={n})", (f"train.n_critic={n}",)))
        return points
    key, field, sign = knob  # type: ignore[misc]
    for f in STRENGTH_FACTORS:
        over, value = _scaled(declared, key, field, f if sign > 0 else 1 / f)
        points.append((f"strength ×{f:g} ({NAMES[field]}={value:g})", (over,)))
    return points


def seeds_text(first: int, n: int) -> str:
    """"seed 100" or "seeds 100–102": the validation runs' seeds in a table title."""
    return f"seed {first}" if n == 1 else f"seeds {first}–{first + n - 1}"


def choose(scores: Sequence[tuple[float, float]], slack: float = 0.5) -> int:
    """Index of the chosen setting from (mean modes, mean % HQ) on the validation runs: the best
    % HQ among the settings within ``slack`` modes of the most modes covered (coverage first, then
    sharpness); ties go to the earlier setting (the declared one first). NaN (diverged) never wins."""
    finite = [(i, m, h) for i, (m, h) in enumerate(scores) if m == m and h == h]
    if not finite:
        return 0
    most = max(m for _, m, _ in finite)
    near = [(i, h) for i, m, h in finite if m >= most - slack]
    best = max(h for _, h in near)
    return min(i for i, h in near if h == best)
