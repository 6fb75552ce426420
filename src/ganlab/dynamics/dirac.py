"""The Dirac GAN (Mescheder et al. 2018, §2; seed 004): the smallest GAN that shows its dynamics.

Real data is a single point at 0 ∈ Rᵏ, the generator is the single point θ ∈ Rᵏ (G(z) = θ for
every z), and the discriminator is linear in x. k ≥ 2 because in one dimension the WGAN and
GAN-QP orbits collapse onto a line and their behaviour is hidden (seed 004).

Which linear D depends on how an objective reads D's output (``Objective.output``):

- scalar kinds ("logit", "critic", "score", "loss"): D(x) = φ·x, φ ∈ Rᵏ;
- WGAN with a hard Lipschitz constraint (seed 004): D(x) = φ·x/‖φ‖ (``normalise=True``);
- "vector" (Sphere GAN, feature heads): a linear map D(x) = Φx ∈ Rⁿ, Φ ∈ Rⁿˣᵏ;
- "energy" (EBGAN, D an autoencoder): a linear autoencoder D(x) = Φx ∈ Rᵏ, Φ ∈ Rᵏˣᵏ; the
  objective scores x by the reconstruction error mean_i (Φx − x)_i², ‖x‖²/k at Φ = 0.

The parameters are real ``nn.Parameter`` s of real modules, so penalties that look at
``batch.D.parameters()`` (L2 on D) or at ``batch.G`` see exactly what the field differentiates.
A state is the flat float64 vector (φ, θ): φ first, then θ.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import torch
from torch import nn

from ganlab.errors import GanlabError

DTYPE = torch.float64  # the ODEs are integrated to 1e-8; float32 would drown that in rounding

_TINY_SQ = 1e-24  # ‖φ‖² floor for the normalised critic: finite (if huge) gradient at φ = 0


class LinearD(nn.Module):
    """D(x) = φ·x, shape (B,)."""

    def __init__(self, k: int) -> None:
        super().__init__()
        self.phi = nn.Parameter(torch.zeros(k, dtype=DTYPE))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.phi


class NormalisedLinearD(LinearD):
    """D(x) = φ·x/‖φ‖: 1-Lipschitz for every φ ≠ 0 (the WGAN of seed 004). Undefined at φ = 0."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.phi / self.phi.pow(2).sum().clamp_min(_TINY_SQ).sqrt()


class LinearMapD(nn.Module):
    """D(x) = Φx ∈ Rⁿ, shape (B, n): the Dirac D of objectives with a vector head."""

    def __init__(self, k: int, n: int) -> None:
        super().__init__()
        self.phi = nn.Parameter(torch.zeros(n, k, dtype=DTYPE))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.phi.T


class LinearAutoencoderD(nn.Module):
    """A linear autoencoder: D(x) = Φx, the reconstruction of x, shape (B, k).

    EBGAN reads D as an autoencoder and scores x by its reconstruction error
    E(x) = mean_i (D(x) − x)_i² (Zhao et al. 2017); this is the smallest one. The real point 0
    is reconstructed exactly for every Φ (energy 0); at Φ = 0 the energy is ‖x‖²/k.
    ``encode`` gives the code for EBGAN's pulling-away term (the one layer is the code).
    """

    def __init__(self, k: int) -> None:
        super().__init__()
        self.phi = nn.Parameter(torch.zeros(k, k, dtype=DTYPE))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.phi.T

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encode(x)


class DiracG(nn.Module):
    """G(z) = θ for every z: the generator is one point, shape (B, k)."""

    def __init__(self, k: int) -> None:
        super().__init__()
        self.theta = nn.Parameter(torch.zeros(k, dtype=DTYPE))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.theta.expand(z.shape[0], -1)


_SCALAR = "scalar"
#: Objective.output → the shape of the Dirac D. Add an entry, not an elif, for a new kind.
OUTPUT_KINDS: dict[str, str] = {
    "logit": _SCALAR,
    "critic": _SCALAR,
    "score": _SCALAR,
    "loss": _SCALAR,
    "vector": "vector",
    "features": "vector",
    "energy": "energy",
}

_BUILDERS: dict[str, Callable[[Dirac], nn.Module]] = {
    _SCALAR: lambda d: NormalisedLinearD(d.k) if d.normalise else LinearD(d.k),
    "vector": lambda d: LinearMapD(d.k, d.n_out),
    "energy": lambda d: LinearAutoencoderD(d.k),
}


@dataclasses.dataclass(frozen=True)
class Dirac:
    """The setting: dimension ``k``, D's shape (``kind``), batch size, and where a path starts.

    ``batch`` copies of the real point and of θ make a batch: 2 by default, because unbiased
    kernel estimators (MMD) and paired objectives need at least two samples per side; every
    other objective averages identical copies, so the field does not depend on it.
    """

    k: int = 2
    kind: str = _SCALAR  # a value of OUTPUT_KINDS
    normalise: bool = False  # D(x) = φ·x/‖φ‖ (scalar kind only): WGAN with a hard constraint
    n_out: int = 2  # output size of the vector kind (Rⁿ)
    batch: int = 2

    def __post_init__(self) -> None:
        if self.k < 1 or self.n_out < 1 or self.batch < 1:
            raise GanlabError(f"Dirac GAN sizes must be positive, got k={self.k}, n_out={self.n_out}, batch={self.batch}")
        if self.kind not in _BUILDERS:
            raise GanlabError(f"unknown Dirac D kind {self.kind!r}", f"choose one of: {', '.join(_BUILDERS)}")
        if self.normalise and self.kind != _SCALAR:
            raise GanlabError("a normalised D (φ·x/‖φ‖) needs a scalar output", "drop --normalise for this objective")

    @property
    def phi_shape(self) -> tuple[int, ...]:
        return {_SCALAR: (self.k,), "vector": (self.n_out, self.k), "energy": (self.k, self.k)}[self.kind]

    @property
    def n_phi(self) -> int:
        return math.prod(self.phi_shape)

    @property
    def n_state(self) -> int:
        return self.n_phi + self.k

    @property
    def blocks(self) -> tuple[slice, slice]:
        """Where each player sits in the state: (D's φ, G's θ)."""
        return slice(0, self.n_phi), slice(self.n_phi, self.n_state)

    def build_d(self) -> nn.Module:
        return _BUILDERS[self.kind](self)

    def build_g(self) -> nn.Module:
        return DiracG(self.k)

    def split(self, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """state → (φ with D's parameter shape, θ)."""
        phi, theta = state[self.blocks[0]], state[self.blocks[1]]
        return phi.reshape(self.phi_shape), theta

    def join(self, phi: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
        return torch.cat([torch.as_tensor(phi, dtype=DTYPE).reshape(-1), torch.as_tensor(theta, dtype=DTYPE).reshape(-1)])

    def equilibrium(self) -> torch.Tensor:
        """(φ, θ) = (0, 0): G matches the data and D is flat (the equilibrium of every game here
        that has one; ``spectrum`` reports the residual field there for the others)."""
        return torch.zeros(self.n_state, dtype=DTYPE)

    def start(self, theta_norm: float = 1.0, phi_norm: float = 0.5) -> torch.Tensor:
        """A fixed, generic starting point: θ and φ not parallel (a parallel start stays on a
        line and hides the k ≥ 2 behaviour), with the given norms."""
        theta = torch.cos(torch.arange(self.k, dtype=DTYPE) * 1.1)  # (1, 0.45, …)
        phi = torch.sin(torch.arange(self.n_phi, dtype=DTYPE) * 2.3 + 0.7)  # (0.64, 0.3, …)
        theta = theta_norm * theta / theta.norm()
        phi = phi_norm * phi / phi.norm()
        return torch.cat([phi, theta])


def dirac_for(objective: object, *, k: int = 2, normalise: bool = False, n_out: int | None = None) -> Dirac:
    """The Dirac setting that suits an objective, chosen from its ``output`` kind.

    Raises ``GanlabError`` for an output kind that has no Dirac D here, so that a caller
    (the table) can report it as not applicable instead of dropping it silently.
    """
    output = getattr(objective, "output", "logit")
    kind = OUTPUT_KINDS.get(output)
    if kind is None:
        raise GanlabError(
            f"no Dirac discriminator for output kind {output!r} of {getattr(objective, 'name', objective)!r}",
            f"add the kind to ganlab.dynamics.dirac.OUTPUT_KINDS (known: {', '.join(OUTPUT_KINDS)})",
        )
    return Dirac(k=k, kind=kind, normalise=normalise, n_out=n_out or k)
