"""f-GAN: variational divergence minimisation (Nowozin, Cseke & Tomioka 2016).

For a convex f with f(1) = 0 and its Fenchel conjugate f*, D's raw output v is mapped into the
domain of f* by an output activation g_f, and the two players play the saddle point of

    F(G, D) = E_p g_f(v_r) − E_q f*(g_f(v_f))          (paper eq. 6)

which D maximises (a lower bound of D_f(p‖q)) and G minimises. At the optimum the critic
T = g_f(v) equals f′(p/q), so at p = q it equals f′(1) (the "critical value" of Table 2).

Numerics: f*(g_f(v)) is written in closed form per divergence, never as f* applied to an
already rounded g_f(v). Examples: for the GAN divergence f*(g_f(v)) = −log(1 − σ(v)) =
softplus(v); for reverse KL −1 − log(exp(−v)) = v − 1; for squared Hellinger
t/(1−t) at t = 1 − e^{−v} is e^{v} − 1 (expm1). So every loss stays finite for |v| ≤ 50.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import ClassVar

import torch
import torch.nn.functional as F

from ganlab.game.batch import Batch
from ganlab.game.objective import OBJECTIVES, Objective

_LOG2 = math.log(2.0)

Fn = Callable[[torch.Tensor], torch.Tensor]

# name → (g_f(v), f*(g_f(v))), both as functions of the raw output v.
# Table 2 of the paper (and REFERENCES §1.7): f(u), g_f, f*, f′(1) in the comments.
_DIVERGENCES: dict[str, tuple[Fn, Fn]] = {
    # f = u log u;  g = v;  f*(t) = exp(t − 1);  f′(1) = 1
    "kl": (lambda v: v, lambda v: torch.exp(v - 1)),
    # f = −log u;  g = −exp(−v);  f*(t) = −1 − log(−t) → v − 1;  f′(1) = −1
    "reverse_kl": (lambda v: -torch.exp(-v), lambda v: v - 1),
    # f = −(u+1) log((1+u)/2) + u log u;  g = log 2 − log(1 + e^{−v});  f*(t) = −log(2 − e^t)
    #   → −log(2(1 − σ(v))) = softplus(v) − log 2;  f′(1) = 0
    "js": (lambda v: _LOG2 + F.logsigmoid(v), lambda v: F.softplus(v) - _LOG2),
    # f = u log u − (u+1) log(u+1);  g = −log(1 + e^{−v});  f*(t) = −log(1 − e^t) → softplus(v);
    #   f′(1) = −log 2
    "gan": (F.logsigmoid, F.softplus),
    # f = (u − 1)²;  g = v;  f*(t) = t²/4 + t;  f′(1) = 0
    "pearson": (lambda v: v, lambda v: 0.25 * v * v + v),
    # f = (1 − u)²/u;  g = 1 − e^{−v};  f*(t) = 2 − 2√(1 − t) → 2 − 2 e^{−v/2};  f′(1) = 0
    "neyman": (lambda v: -torch.expm1(-v), lambda v: 2 - 2 * torch.exp(-0.5 * v)),
    # f = (√u − 1)²;  g = 1 − e^{−v};  f*(t) = t/(1 − t) → e^{v} − 1;  f′(1) = 0
    "squared_hellinger": (lambda v: -torch.expm1(-v), torch.expm1),
    # f = ½|u − 1|;  g = ½ tanh v;  f*(t) = t on |t| ≤ ½;  f′(1) = 0 (the subgradient's midpoint)
    "total_variation": (lambda v: 0.5 * torch.tanh(v), lambda v: 0.5 * torch.tanh(v)),
}

DIVERGENCES: tuple[str, ...] = tuple(_DIVERGENCES)

#: f′(1), the value of the optimal critic T* = g_f(v*) when p = q (Table 2, last column)
F_PRIME_AT_1: dict[str, float] = {
    "kl": 1.0,
    "reverse_kl": -1.0,
    "js": 0.0,
    "gan": -_LOG2,
    "pearson": 0.0,
    "neyman": 0.0,
    "squared_hellinger": 0.0,
    "total_variation": 0.0,
}

G_FORMS = ("saddle", "heuristic")


@OBJECTIVES.register("f_gan")
@dataclasses.dataclass(frozen=True)
class FGAN(Objective):
    """f-GAN: L_D = −(E g_f(d_r) − E f*(g_f(d_f))),  L_G = −E f*(g_f(d_f)) (or −E g_f(d_f)).

    Nowozin, Cseke & Tomioka, NIPS 2016, eq. 6 and Table 2.

    L_D = −(E g_f(v_r) − E f*(g_f(v_f)))   (D maximises the variational lower bound of D_f(p‖q))
    L_G = −E f*(g_f(v_f))                  ``g_form="saddle"`` (default): G minimises F
    L_G = −E g_f(v_f)                      ``g_form="heuristic"``: §3.2's alternative, "in
                                           analogy to the heuristic of Goodfellow et al."

    ``divergence`` ∈ kl, reverse_kl, js, gan, pearson, neyman, squared_hellinger,
    total_variation. v is D's raw output, the higher the more "real" for every divergence
    (each g_f is increasing). With ``gan`` the saddle form is exactly ``minimax`` and the
    heuristic form exactly ``non_saturating``; ``js`` differs from them by constants only.

    Sources disagree on g_f for squared Hellinger: the paper's Table 2 uses 1 − exp(−v),
    some codes and the divergence table quoted in REFERENCES §1.7 use 1 − exp(v) (a
    decreasing map: reals would score low). We follow the paper, and use the same
    increasing 1 − exp(−v) for Neyman χ², which shares dom f* = {t < 1} (Table 2 has no
    Neyman row). Default ``kl``: the first row of Table 2 (``gan``/``js`` would duplicate the
    classic objectives).
    """

    output: ClassVar[str] = "logit"
    benchmark: ClassVar = (("game.penalties=[{name: r1, gamma: 1}]", "game.params={divergence: kl, g_form: saddle}"),
                           "KL, saddle G loss (configs/f_gan.yaml); R1 γ=1")
    divergence: str = "kl"
    g_form: str = "saddle"

    def __post_init__(self) -> None:
        if self.divergence not in _DIVERGENCES:
            raise ValueError(f"f_gan divergence must be one of {', '.join(DIVERGENCES)}; got {self.divergence!r}")
        if self.g_form not in G_FORMS:
            raise ValueError(f"f_gan g_form must be one of {', '.join(G_FORMS)}; got {self.g_form!r}")

    def activation(self, v: torch.Tensor) -> torch.Tensor:
        """g_f(v): D's raw output mapped into dom f* (the critic T)."""
        return _DIVERGENCES[self.divergence][0](v)

    def conjugate(self, v: torch.Tensor) -> torch.Tensor:
        """f*(g_f(v)), in a closed form that stays finite for large |v|."""
        return _DIVERGENCES[self.divergence][1](v)

    def d_loss(self, batch: Batch) -> torch.Tensor:
        return -(self.activation(batch.d_real).mean() - self.conjugate(batch.d_fake).mean())

    def g_loss(self, batch: Batch) -> torch.Tensor:
        if self.g_form == "saddle":
            return -self.conjugate(batch.d_fake).mean()  # −E f*(g_f(v_f))
        return -self.activation(batch.d_fake).mean()  # −E g_f(v_f)
