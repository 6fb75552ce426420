"""One Dirac-GAN experiment: a game, a method, a path, its EMA, the spectrum and the verdicts."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ganlab.dynamics import integrate
from ganlab.dynamics.dirac import Dirac, dirac_for
from ganlab.dynamics.field import DiracField
from ganlab.dynamics.spectrum import Spectrum, spectrum
from ganlab.dynamics.verdict import Verdict, judge
from ganlab.errors import GanlabError
from ganlab.game.factory import make_game
from ganlab.game.game import Game

METHODS = ("ode", "simultaneous", "alternating")


@dataclasses.dataclass(frozen=True)
class Settings:
    """How a path is made. Time = steps × lr for every method, so the three are comparable."""

    method: str = "ode"  # ode | simultaneous | alternating
    steps: int = 800  # discrete updates (rounds); the ODE is sampled steps + 1 times
    lr: float = 0.25  # step size of both players; the ODE runs to t = steps × lr
    lr_d: float | None = None  # D's own step size (TTUR); None: lr
    lr_g: float | None = None  # G's own step size; None: lr
    n_critic: int = 1  # D updates per G update (discrete methods)
    ema: float = 0.999  # decay of the EMA of θ per sample, with the trainer's warm-up
    ode_method: str = "DOP853"  # scipy solve_ivp method, or rk4; 8th order takes long steps on orbits
    rtol: float = 1e-7
    atol: float = 1e-9
    theta0: float = 1.0  # ‖θ(0)‖
    phi0: float = 1.0  # ‖φ(0)‖
    tol: float = 0.05  # verdict: "converges" when θ ends within tol·‖θ(0)‖ of 0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise GanlabError(f"unknown method {self.method!r}", f"choose one of: {', '.join(METHODS)}")
        if self.steps < 8:
            raise GanlabError(f"--steps must be at least 8, got {self.steps}", "a verdict needs a path to look at")
        for name in ("lr", "lr_d", "lr_g"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise GanlabError(f"--{name.replace('_', '-')} must be positive, got {value}")
        if self.n_critic < 1:
            raise GanlabError(f"--n-critic must be at least 1, got {self.n_critic}")
        if not 0.0 <= self.ema < 1.0:
            raise GanlabError(f"--ema must be in [0, 1), got {self.ema}")

    @property
    def t_end(self) -> float:
        return self.steps * self.lr


@dataclasses.dataclass
class Result:
    """Everything one run produced; ``to_json`` is the machine-readable record."""

    label: str
    game: Game
    dirac: Dirac
    settings: Settings
    path: integrate.Path
    theta: np.ndarray  # (N, k)
    theta_ema: np.ndarray  # (N, k)
    spectrum: Spectrum
    verdict: Verdict
    ema_verdict: Verdict
    seconds: float
    penalties: list = dataclasses.field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        s = self.settings
        method = self.path.method
        if s.method != "ode":
            method = f"{s.method} (lr_d={s.lr_d or s.lr}, lr_g={s.lr_g or s.lr}, n_critic={s.n_critic})"
        return {
            "case": self.label,
            "objective": self.game.objective.name,
            "params": dataclasses.asdict(self.game.objective),
            "penalties": self.penalties,
            "constraints": [c.name for c in self.game.constraints],
            "discriminator": ("normalised " if self.dirac.normalise else "") + self.dirac.kind,
            "k": self.dirac.k,
            "method": method,
            "t_end": s.t_end,
            "verdict": self.verdict.label,
            "decay": self.verdict.decay,  # of a swinging θ: exponential | power law | none
            "decay_rate": self.verdict.rate,  # λ of e^(−λt) or α of t^(−α)
            "ema_verdict": self.ema_verdict.label,
            "final_theta_norm": self.verdict.final,
            "final_ema_theta_norm": self.ema_verdict.final,
            "last_quarter_max_theta_norm": self.verdict.amplitude,
            "verdict_note": self.verdict.note,
            "ema_verdict_note": self.ema_verdict.note,
            "eigenvalues": self.spectrum.to_json()["eigenvalues"],
            "spectrum": self.spectrum.label,
            "spectrum_note": self.spectrum.note,
            "equilibrium_residual": self.spectrum.residual,
            "evaluations": self.path.evaluations,
            "seconds": round(self.seconds, 3),
        }


def simulate(game: Game, dirac: Dirac, settings: Settings, *, label: str = "", penalties: Sequence[Any] = ()) -> Result:
    """Integrate the game's Dirac dynamics from ``dirac.start`` and judge the path."""
    t0 = time.perf_counter()
    field = DiracField(game, dirac)
    x0 = dirac.start(settings.theta0, settings.phi0)
    project = field.project if game.constraints else None
    lrs = [settings.lr_d or settings.lr, settings.lr_g or settings.lr]
    if settings.method == "ode":
        path = integrate.ode(field, x0, settings.t_end, settings.steps + 1, method=settings.ode_method,
                             rtol=settings.rtol, atol=settings.atol, project=project)
    else:
        step = integrate.simultaneous if settings.method == "simultaneous" else integrate.alternating
        path = step(field, x0, dirac.blocks, lrs, settings.steps, repeats=[settings.n_critic, 1], project=project)
    theta = path.x[:, dirac.blocks[1]]
    theta_ema = integrate.ema(theta, settings.ema)
    spec = spectrum(field)
    verdict, ema_verdict = judge(theta, t=path.t, tol=settings.tol), judge(theta_ema, t=path.t, tol=settings.tol)
    if not path.finite and "stalled" in path.message:
        # the blow-up came after the adaptive solvers gave up: it may be the fixed-step fallback
        # failing on a stiff or non-smooth field rather than the flow itself; say so
        why = "not decided: blew up in the fixed-step fallback after the adaptive solvers stalled"
        verdict.note = f"{why} ({path.message}); try --method alternating with a small --lr"
        ema_verdict.note = why
    return Result(
        label=label or game.describe(),
        game=game,
        dirac=dirac,
        settings=settings,
        path=path,
        theta=theta,
        theta_ema=theta_ema,
        spectrum=spec,
        verdict=verdict,
        ema_verdict=ema_verdict,
        seconds=time.perf_counter() - t0,
        penalties=list(penalties),
    )


def run_named(objective: str, params: Mapping[str, Any] | None = None, penalties: Sequence[Any] = (),
              constraints: Sequence[Any] = (), *, normalise: bool = False, k: int = 2,
              settings: Settings | None = None, label: str = "") -> Result:
    """``simulate`` for a game given by registry names (what the CLI and the table call)."""
    game = make_game(objective, params, penalties=penalties, constraints=constraints)
    dirac = dirac_for(game.objective, k=k, normalise=normalise)
    return simulate(game, dirac, settings or Settings(), label=label, penalties=penalties)
