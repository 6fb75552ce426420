"""Localized GAN (Qi et al., "Global versus Localized Generative Adversarial Nets", CVPR 2018).

A local generator G(x, z) is a chart of the data manifold around each data point x: z ∈ R^k
are local coordinates, G(x, 0) = x is the chart's origin, and the local tangents are
J_x = ∂G(x, z)/∂z at z = 0 (a D × k matrix). D sees G(x, z) as fakes.

How G(x, 0) = x is enforced — here by construction, not by the paper's loss:

    G(x, z) = x + h(x, z) − h(x, 0)

The paper (and its code) adds a reconstruction term α‖x − G(x, 0)‖₁ with α = 20; that leaves
G(x, 0) only approximately x and one more weight to tune. The construction makes it exact for
any h at no cost, and the tangents at z = 0 are those of h: J_x = ∂h(x, z)/∂z |_{z=0}.

Why the orthonormality regulariser is essential here, not an option: G(x, z) = x for all z
(h ignoring z) reproduces the data exactly, so D cannot reject it — the perfect local
collapse. β‖J_xᵀJ_x − γI‖²_F (γ = 1; the paper uses the L1 norm with β = 0.01 on 64×64 RGB
faces) forces every local coordinate to move G(x, z) by a unit length, and D forces those
moves to stay on the data manifold. The tangents are exact forward-mode derivatives
(torch.func.jvp), not the paper's central differences with δ = 1e-4, which lose most of their
digits in float32.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from ganlab.errors import GanlabError
from ganlab.game import OBJECTIVES, Batch
from ganlab.nets.mlp import MLPDiscriminator


@dataclasses.dataclass
class LocalizedConfig:
    z_dim: int = 8  # local coordinates per chart (the paper: 8 tangent directions on CelebA)
    width: int = 256  # hidden units of h and of D
    depth: int = 2  # hidden layers of h and of D
    steps: int = 3000  # G updates; about a minute of CPU for the 8×8 digits
    batch_size: int = 64  # the paper's batch
    lr_g: float = 2e-4  # DCGAN's Adam settings for both players (the paper: lr_D 5e-5, lr_G 1e-3 on CelebA)
    lr_d: float = 2e-4
    beta: float = 1.0  # weight of ‖JᵀJ − γI‖²_F; the paper's β = 0.01 multiplies an L1 norm over 64×64×3 pixels
    gamma: float = 1.0  # target squared length of each tangent (the paper: γ = 1)
    z_scale: float = 1.0  # z ~ N(0, z_scale² I): with unit tangents a move of about √k·z_scale in pixel units
    seed: int = 0


class LocalGenerator(nn.Module):
    """G(x, z) = x + h(x, z) − h(x, 0), h an MLP on [flatten(x), z] with ELU (smooth tangents)."""

    def __init__(self, shape: tuple[int, ...], z_dim: int = 8, width: int = 256, depth: int = 2) -> None:
        super().__init__()
        self.shape, self.z_dim = tuple(shape), z_dim
        dim = 1
        for s in shape:
            dim *= s
        layers: list[nn.Module] = []
        d = dim + z_dim
        for _ in range(depth):
            layers += [nn.Linear(d, width), nn.ELU()]
            d = width
        layers.append(nn.Linear(d, dim))
        self.h = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        xf = x.reshape(len(x), -1)
        h = self.h(torch.cat([xf, z], dim=1)) - self.h(torch.cat([xf, torch.zeros_like(z)], dim=1))
        return (xf + h).reshape(x.shape)  # G(x, 0) = x exactly

    def tangents(self, x: torch.Tensor) -> torch.Tensor:
        """J_x = ∂G(x, z)/∂z at z = 0, (B, D, k); differentiable w.r.t. the parameters.

        One batched jvp per coordinate (vmapped): samples are independent (no batch norm)."""
        b, k = len(x), self.z_dim
        z0 = x.new_zeros(b, k)
        basis = torch.eye(k, dtype=x.dtype, device=x.device)[:, None, :].expand(k, b, k)

        def column(v: torch.Tensor) -> torch.Tensor:
            return torch.func.jvp(lambda z: self(x, z), (z0,), (v,))[1].reshape(b, -1)

        return torch.func.vmap(column)(basis).permute(1, 2, 0)


def orthonormality(J: torch.Tensor, gamma: float = 1.0) -> torch.Tensor:
    """E_x ‖J_xᵀJ_x − γI‖²_F for tangents J (B, D, k)."""
    gram = J.transpose(1, 2) @ J  # (B, k, k)
    eye = torch.eye(J.shape[-1], dtype=J.dtype, device=J.device)
    return (gram - gamma * eye).pow(2).sum(dim=(1, 2)).mean()


@dataclasses.dataclass
class LocalizedGAN:
    G: LocalGenerator
    D: nn.Module
    cfg: LocalizedConfig
    history: list[dict[str, float]]
    cpu_seconds: float

    def save(self, path: str | Path) -> None:
        torch.save({"G": self.G.state_dict(), "D": self.D.state_dict(), "cfg": dataclasses.asdict(self.cfg),
                    "shape": list(self.G.shape), "history": self.history, "cpu_seconds": self.cpu_seconds}, path)  # fmt: skip


def load_localized(path: str | Path) -> LocalizedGAN:
    """A LocalizedGAN written by ``LocalizedGAN.save``."""
    p = Path(path)
    if not p.is_file():
        raise GanlabError(f"no Localized GAN at {p}", "train one with `ganlab geometry localized`")
    state = torch.load(p, map_location="cpu", weights_only=True)
    cfg = LocalizedConfig(**state["cfg"])
    G, D = _nets(tuple(state["shape"]), cfg)
    G.load_state_dict(state["G"])
    D.load_state_dict(state["D"])
    return LocalizedGAN(G.eval(), D.eval(), cfg, state["history"], state["cpu_seconds"])


def _nets(shape: tuple[int, ...], cfg: LocalizedConfig) -> tuple[LocalGenerator, nn.Module]:
    dim = 1
    for s in shape:
        dim *= s
    return LocalGenerator(shape, cfg.z_dim, cfg.width, cfg.depth), MLPDiscriminator(dim, cfg.width, cfg.depth)


def train_localized(x_train: torch.Tensor, cfg: LocalizedConfig | None = None, *, progress: bool = True) -> LocalizedGAN:
    """Adversarial training of G(x, z) on ``x_train`` (N, …): non-saturating objective from
    ``ganlab.game`` on fakes G(x, z), plus β‖JᵀJ − γI‖²_F on the tangents at the same x."""
    cfg = cfg or LocalizedConfig()
    if len(x_train) < cfg.batch_size:
        raise GanlabError(f"{len(x_train)} training images is fewer than batch_size={cfg.batch_size}", "lower batch_size")
    start = time.process_time()
    torch.manual_seed(cfg.seed)
    G, D = _nets(tuple(x_train.shape[1:]), cfg)
    objective = OBJECTIVES.get("non_saturating")()
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr_g, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=(0.5, 0.999))
    gen = torch.Generator().manual_seed(cfg.seed)
    history: list[dict[str, float]] = []

    def draw() -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.randint(len(x_train), (cfg.batch_size,), generator=gen)
        return x_train[idx], cfg.z_scale * torch.randn(cfg.batch_size, cfg.z_dim, generator=gen)

    for step in tqdm(range(cfg.steps), desc="localized GAN", disable=not progress, leave=False):
        # D step: real batch against G(x, z) of another batch, fakes detached by the caller (here)
        x_real, _ = draw()
        x, z = draw()
        with torch.no_grad():
            x_fake = G(x, z)
        d_loss = objective.d_loss(Batch(D, x_real, x_fake))
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()

        # G step: D frozen (no detach) so gradients reach G through it
        D.requires_grad_(False)
        x, z = draw()
        g_adv = objective.g_loss(Batch(D, x_real, G(x, z)))
        ortho = orthonormality(G.tangents(x), cfg.gamma)
        opt_g.zero_grad(set_to_none=True)
        (g_adv + cfg.beta * ortho).backward()
        opt_g.step()
        D.requires_grad_(True)
        if step % 50 == 0 or step == cfg.steps - 1:
            history.append({"step": step, "d_loss": d_loss.item(), "g_adv": g_adv.item(), "ortho": ortho.item()})
    return LocalizedGAN(G.eval(), D.eval(), cfg, history, time.process_time() - start)


@torch.no_grad()
def edits(G: LocalGenerator, x: torch.Tensor, *, directions: int = 3, ts: tuple[float, ...] = (-4, -2, 0, 2, 4)) -> torch.Tensor:
    """G(x, t·vᵢ) for each x, its ``directions`` principal tangent directions vᵢ (right singular
    vectors of J_x, strongest first) and each t: (len(x)·directions·len(ts), …), one row per (x, i)."""
    with torch.enable_grad():
        J = G.tangents(x).detach()
    _, _, vh = torch.linalg.svd(J, full_matrices=False)  # vh (B, k, k): rows are the right singular vectors
    rows = []
    for b in range(len(x)):
        for i in range(min(directions, G.z_dim)):
            z = torch.stack([t * vh[b, i] for t in ts])  # (T, k)
            rows.append(G(x[b : b + 1].expand(len(ts), *x.shape[1:]), z))
    return torch.cat(rows)


def save_edit_grid(G: LocalGenerator, x: torch.Tensor, path: str | Path, *, directions: int = 3,
                   ts: tuple[float, ...] = (-4, -2, 0, 2, 4)) -> None:  # fmt: skip
    """Image grid of ``edits``: a row per (test digit, tangent direction), a column per t (t = 0 is x)."""
    from ganlab.plots import save_image_grid

    grid = edits(G, x, directions=directions, ts=ts).clamp(-1, 1)
    title = f"G(x, t·vᵢ), t = {', '.join(f'{t:g}' for t in ts)}"
    save_image_grid(grid, path, nrow=len(ts), title=title)


@torch.no_grad()
def label_kept(G: LocalGenerator, x: torch.Tensor, *, n_z: int = 8, z_scale: float = 1.0, seed: int = 0) -> dict[str, float]:
    """Meaning check with the shipped digits classifier: share of edits G(x, z) classified as x is,
    and mean ‖G(x, z) − x‖ (how far the chart moves); x are images the classifier was not fitted to choose."""
    from ganlab.metrics.features import FEATURES

    clf = FEATURES.get("digits")()
    gen = torch.Generator().manual_seed(seed)
    base = clf.extract(x)["logits"].argmax(1)
    same, dist = [], []
    for _ in range(n_z):
        z = z_scale * torch.randn(len(x), G.z_dim, generator=gen)
        y = G(x, z)
        same.append((clf.extract(y.clamp(-1, 1))["logits"].argmax(1) == base).double().mean())
        dist.append((y - x).reshape(len(x), -1).norm(dim=1).mean())
    return {"label_kept": float(torch.stack(same).mean()), "edit_distance": float(torch.stack(dist).mean())}
