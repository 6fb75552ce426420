"""Linearisation at the equilibrium: the Jacobian of the field and its eigenvalues.

For ẋ = F(x) near a fixed point x*, x − x* evolves by exp(J t) with J = ∂F/∂x(x*):
- every Re λ < 0: locally asymptotically stable ("attracting");
- some Re λ > 0: unstable ("repelling");
- otherwise Re λ = 0 on some eigenvalues ("centre"/"degenerate"): linearisation does not
  decide; e.g. the non-saturating Dirac GAN has λ = ±i/2 and orbits, WGAN-div (p = 6) has
  a penalty with zero Hessian. Those are judged by the trajectory (``verdict``).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from ganlab.dynamics.field import DiracField

_TOL = 1e-9  # |Re λ| below this counts as 0 (the Jacobian is exact to ~1e-15 in float64)


@dataclasses.dataclass
class Spectrum:
    """Eigenvalues of J at ``state``, how far ``state`` is from being a fixed point, and a label."""

    eigenvalues: np.ndarray  # complex, sorted by real part then imaginary part
    residual: float  # ‖F(state)‖: 0 at a fixed point
    label: str  # attracting | repelling | centre | degenerate | undefined | not a fixed point
    note: str = ""

    def to_json(self) -> dict:
        return {
            "eigenvalues": [[float(z.real), float(z.imag)] for z in self.eigenvalues],
            "residual": self.residual,
            "label": self.label,
            "note": self.note,
        }

    def short(self, digits: int = 3) -> str:
        """Distinct eigenvalues with multiplicities, e.g. '±0.5i (×2)'."""
        if self.eigenvalues.size == 0:
            return "—"
        return format_eigenvalues(self.eigenvalues, digits)


def format_eigenvalues(eig: np.ndarray, digits: int = 3) -> str:
    """'−0.25±0.433i (×2), −2 (×4)': conjugate pairs merged, repeated values counted."""
    groups: list[tuple[complex, int]] = []
    tol = 10.0 ** (-digits)
    for z in eig:
        if z.imag < -tol:
            continue  # shown with its conjugate
        for i, (w, n) in enumerate(groups):
            if abs(w - z) < tol:
                groups[i] = (w, n + 1)
                break
        else:
            groups.append((complex(z), 1))

    def num(v: float) -> str:
        s = f"{v:.{digits}g}"
        return s.replace("-", "−")

    parts = []
    for z, n in groups:
        re, im = z.real, z.imag
        if abs(im) < tol:
            text = num(0.0 if abs(re) < tol else re)
        elif abs(re) < tol:
            text = f"±{num(im)}i"
        else:
            text = f"{num(re)}±{num(im)}i"
        parts.append(text + (f" (×{n})" if n > 1 else ""))
    return ", ".join(parts)


def classify(eig: np.ndarray) -> str:
    re = eig.real
    if re.size == 0:
        return "undefined"
    if (re < -_TOL).all():
        return "attracting"
    if (re > _TOL).any():
        return "repelling"
    return "centre" if (np.abs(eig.imag) > _TOL).any() else "degenerate"


def spectrum(field: DiracField, state: torch.Tensor | None = None) -> Spectrum:
    """Jacobian eigenvalues of ``field`` at ``state`` (default: the equilibrium φ = θ = 0)."""
    state = field.dirac.equilibrium() if state is None else state
    if field.dirac.normalise and float(field.dirac.split(state)[0].norm()) == 0.0:
        # θ̇ = φ/‖φ‖ has norm 1 wherever it is defined: there is no fixed point to linearise at
        return Spectrum(np.array([], dtype=complex), float("nan"), "undefined",
                        "D = φ·x/‖φ‖ is undefined at φ = 0, and ‖θ̇‖ = 1 elsewhere: no fixed point")
    jac = field.jacobian(state).numpy()
    residual = float(field(state).norm())
    if not np.isfinite(jac).all():
        return Spectrum(np.array([], dtype=complex), residual, "undefined", "the Jacobian is not finite here")
    eig = np.linalg.eigvals(jac)
    eig = eig[np.lexsort((eig.imag, eig.real))]
    label = classify(eig) if residual < 1e-9 else "not a fixed point"
    note = ""
    if np.abs(eig).max(initial=0.0) > 1e4:
        # e.g. (‖∇D‖ − 1)² at ∇D = φ = 0: a cone, smoothed by √(‖φ‖² + ε); the size is 1/√ε
        note = "|λ| ~ 1/√ε: the field is not differentiable here (a norm at 0), the linearisation is not meaningful"
    return Spectrum(eig, residual, label, note)
