"""The Dirac GAN's vector field, obtained by autograd from the same ``Game`` that training uses.

    (φ̇, θ̇) = (−∂L_D/∂φ, −∂L_G/∂θ)

with L_D = Σ game.losses(batch, "D") and L_G = Σ game.losses(batch, "G"). Nothing here knows a
formula of any objective or penalty, so the field cannot drift from what the trainer optimises.

φ and θ are the parameters of real modules (``DiracD``/``DiracG``); a state is loaded into them
before each evaluation. For the Jacobian the gradients are taken with ``create_graph=True``
and differentiated once more (the penalties themselves already use a double backward, which
``torch.func`` transforms do not compose with).
"""

from __future__ import annotations

import math
from functools import reduce

import torch

from ganlab.dynamics.dirac import DTYPE, Dirac
from ganlab.game.batch import Batch
from ganlab.game.game import Game

PLAYERS = ("D", "G")


class DiracField:
    """F(state) = −(∂L_D/∂φ, ∂L_G/∂θ) for one ``Game`` in one ``Dirac`` setting.

    ``field(state)`` is the full field, ``field(state, part=0)`` only D's block (φ̇) and
    ``part=1`` only G's block (θ̇), which is what alternating updates need. ``step`` is passed
    to ``Game.losses`` for lazy penalties (``every=k``); ``step=None`` averages the field over
    one period of all ``every`` values, the mean field that the continuous ODE follows.
    """

    def __init__(self, game: Game, dirac: Dirac) -> None:
        self.game = game
        self.dirac = dirac
        self.D = dirac.build_d()
        self.G = dirac.build_g()
        self.x_real = torch.zeros(dirac.batch, dirac.k, dtype=DTYPE)  # the data: a point at 0
        self.z = torch.zeros(dirac.batch, 1, dtype=DTYPE)  # G ignores z; kept for G-side penalties
        everies = [p.every for p in game.penalties] or [1]
        self.period = reduce(math.lcm, everies, 1)

    @property
    def blocks(self) -> tuple[slice, slice]:
        return self.dirac.blocks

    @property
    def phi(self) -> torch.nn.Parameter:
        return self.D.phi

    @property
    def theta(self) -> torch.nn.Parameter:
        return self.G.theta

    def load(self, state: torch.Tensor) -> None:
        """Copy a state into the modules' parameters (no gradient flows through the copy)."""
        phi, theta = self.dirac.split(torch.as_tensor(state, dtype=DTYPE))
        with torch.no_grad():
            self.phi.copy_(phi)
            self.theta.copy_(theta)

    def read(self) -> torch.Tensor:
        """The modules' parameters as a state (after a constraint projected them)."""
        return self.dirac.join(self.phi.detach(), self.theta.detach())

    def batch(self) -> Batch:
        # x_fake = G(z) is not detached: D's loss is differentiated w.r.t. φ only, but the
        # Jacobian needs ∂(∂L_D/∂φ)/∂θ, which flows through x_fake.
        return Batch(self.D, self.x_real, self.G(self.z), G=self.G, z=self.z)

    def loss(self, player: str, step: int = 0) -> torch.Tensor:
        """Σ of the player's named loss terms at the loaded state."""
        return self.game.total(self.batch(), player, step)

    def _grads(self, part: int | None, step: int, create_graph: bool) -> list[torch.Tensor]:
        out = []
        for i, (player, param) in enumerate(zip(PLAYERS, (self.phi, self.theta))):
            if part is not None and part != i:
                continue
            (g,) = torch.autograd.grad(self.loss(player, step), param, create_graph=create_graph, allow_unused=True)
            out.append(torch.zeros_like(param) if g is None else g)
        return [-g.reshape(-1) for g in out]

    def evaluate(self, part: int | None = None, step: int | None = None, create_graph: bool = False) -> torch.Tensor:
        """The field at the loaded state (see the class docstring for ``part`` and ``step``)."""
        steps = range(self.period) if step is None else [step]
        total = None
        # Penalties on random interpolates (gp, wgan_div, Cramér's critic) draw α ~ U[0, 1]: a fixed
        # seed per evaluation makes the field a function of the state (adaptive solvers need
        # that, and the table is then reproducible) without touching the caller's RNG.
        with torch.enable_grad(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            for s in steps:
                g = torch.cat(self._grads(part, s, create_graph))
                total = g if total is None else total + g
        return total / len(steps)

    def __call__(self, state: torch.Tensor, part: int | None = None, step: int | None = None) -> torch.Tensor:
        self.load(state)
        return self.evaluate(part, step).detach()

    def jacobian(self, state: torch.Tensor, step: int | None = None) -> torch.Tensor:
        """∂F/∂state, shape (n, n): row i is the gradient of F_i by a second backward pass."""
        self.load(state)
        f = self.evaluate(None, step, create_graph=True)
        rows = []
        for i in range(f.numel()):
            grads = torch.autograd.grad(f[i], (self.phi, self.theta), retain_graph=True, allow_unused=True)
            rows.append(torch.cat([(torch.zeros_like(p) if g is None else g).reshape(-1) for g, p in zip(grads, (self.phi, self.theta))]))
        return torch.stack(rows).detach()

    def project(self, state: torch.Tensor) -> torch.Tensor:
        """The game's constraints (e.g. WGAN clipping) applied to a state, as after an optimiser step."""
        if not self.game.constraints:
            return state
        self.load(state)
        self.game.apply_constraints({"D": self.D, "G": self.G})
        return self.read()


def vector_field(game: Game, dirac: Dirac, state: torch.Tensor) -> torch.Tensor:
    """−(∂L_D/∂φ, ∂L_G/∂θ) at ``state`` (float64, shape (dirac.n_state,))."""
    return DiracField(game, dirac)(state)
