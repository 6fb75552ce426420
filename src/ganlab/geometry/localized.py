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
(``ganlab.metrics.tangents.forward_jacobian``), not the paper's central differences with
δ = 1e-4, which lose most of their digits in float32.

Training is the library's one loop (``Trainer.fit``): the game is the non-saturating GAN plus
the ``orthonormal_tangent`` penalty taken at the chart origin (``at="origin"``), and a
``ChartLatent`` feeds G pairs (x, z) — x from the training data, z ~ N(0, z_scale² I).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from ganlab.config import TrainConfig
from ganlab.errors import GanlabError
from ganlab.game import OBJECTIVES, PENALTIES, Game
from ganlab.metrics import FEATURES
from ganlab.metrics.tangents import forward_jacobian
from ganlab.nets.mlp import MLPDiscriminator
from ganlab.plots import save_image_grid
from ganlab.serial import refuse_code
from ganlab.train import Every, GenInput, Latent, Trainer
from ganlab.train.checkpoint import load_checkpoint, save_checkpoint
from ganlab.train.loader import BatchStream


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
        """J_x = ∂G(x, z)/∂z at z = 0, (B, D, k); differentiable w.r.t. the parameters."""
        return forward_jacobian(lambda z: self(x, z), x.new_zeros(len(x), self.z_dim))


class ChartLatent(Latent):
    """The input of a local generator: (x, z), x a batch of training data from a stream of its
    own, z ~ N(0, z_scale² I) from the trainer's noise; as a function of z alone, G is the chart at x."""

    def __init__(self, data: torch.Tensor, batch_size: int, z_scale: float, seed: int) -> None:
        self.stream = BatchStream(data, batch_size, seed + 7)  # apart from the real-batch stream
        self.z_scale = z_scale

    def draw(self, trainer: Trainer, n: int | None = None) -> GenInput:
        x = self.stream.next().to(trainer.device)
        z = self.z_scale * trainer.sample_z(len(x))
        return GenInput((x, z), z, chart=lambda G: (lambda z_: G(x, z_)))

    def state_dict(self) -> dict:
        return {"stream": self.stream.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        if state:
            self.stream.load_state_dict(state["stream"])


@dataclasses.dataclass
class LocalizedGAN:
    G: LocalGenerator
    D: nn.Module
    cfg: LocalizedConfig
    history: list[dict[str, float]]  # the trainer's loss records (D/loss, G/loss, G/orthonormal_tangent)
    cpu_seconds: float

    def save(self, path: str | Path) -> None:
        """Written atomically, loaded without running code (``ganlab.train.checkpoint``)."""
        save_checkpoint({"kind": "localized_gan", "G": self.G.state_dict(), "D": self.D.state_dict(),
                         "cfg": dataclasses.asdict(self.cfg), "shape": list(self.G.shape), "history": self.history,
                         "cpu_seconds": self.cpu_seconds}, path)  # fmt: skip


def load_localized(path: str | Path) -> LocalizedGAN:
    """A LocalizedGAN written by ``LocalizedGAN.save``."""
    p = Path(path)
    if not p.is_file():
        raise GanlabError(f"no Localized GAN at {p}", "train one with `ganlab geometry localized`")
    refuse_code(p, "Localized GAN file")  # judged on the file before anything unpickles it
    state = load_checkpoint(p)
    if state.get("kind") != "localized_gan":
        raise GanlabError(f"{p} is not a Localized GAN file", "pass a localized.pt written by `ganlab geometry localized`")
    try:
        cfg = LocalizedConfig(**state["cfg"])
        G, D = _nets(tuple(state["shape"]), cfg)
        G.load_state_dict(state["G"])
        D.load_state_dict(state["D"])
    except (KeyError, TypeError, RuntimeError) as err:
        raise GanlabError(f"{p} does not hold a Localized GAN ({str(err).splitlines()[0][:100]})", "train a new one") from None
    return LocalizedGAN(G.eval(), D.eval(), cfg, state["history"], state["cpu_seconds"])


def _nets(shape: tuple[int, ...], cfg: LocalizedConfig) -> tuple[LocalGenerator, nn.Module]:
    dim = 1
    for s in shape:
        dim *= s
    return LocalGenerator(shape, cfg.z_dim, cfg.width, cfg.depth), MLPDiscriminator(dim, cfg.width, cfg.depth)


def train_localized(x_train: torch.Tensor, cfg: LocalizedConfig | None = None, *, progress: bool = True) -> LocalizedGAN:
    """Adversarial training of G(x, z) on ``x_train`` (N, …) with ``Trainer.fit``: the
    non-saturating objective on fakes G(x, z), plus β‖JᵀJ − γI‖²_F on the chart's tangents at
    z = 0 (the ``orthonormal_tangent`` penalty, at the same x)."""
    cfg = cfg or LocalizedConfig()
    if len(x_train) < cfg.batch_size:
        raise GanlabError(f"{len(x_train)} training images is fewer than batch_size={cfg.batch_size}", "lower batch_size")
    torch.manual_seed(cfg.seed)
    G, D = _nets(tuple(x_train.shape[1:]), cfg)
    ortho = PENALTIES.get("orthonormal_tangent")(weight=cfg.beta, gamma=cfg.gamma, at="origin", mode="exact")
    game = Game(OBJECTIVES.get("non_saturating")(), [ortho])
    log_every = max(1, min(50, cfg.steps // 5))  # loss records: every 50 steps, at least five per run
    tcfg = TrainConfig(steps=cfg.steps, batch_size=cfg.batch_size, lr_d=cfg.lr_d, lr_g=cfg.lr_g, ema=None, seed=cfg.seed,
                       log_every=log_every, progress=False)  # fmt: skip
    trainer = Trainer(G, D, game, x_train, tcfg, latent=ChartLatent(x_train, cfg.batch_size, cfg.z_scale, cfg.seed))
    history: list[dict[str, float]] = []
    with tqdm(total=cfg.steps, desc="localized GAN", disable=not progress, leave=False) as bar:
        callbacks = [Every(tcfg.log_every, lambda tr: history.append(dict(tr.record)), at_end=True), Every(1, lambda tr: bar.update(1))]
        trainer.fit(cfg.steps, callbacks)
    return LocalizedGAN(G.eval(), D.eval(), cfg, history, trainer.cpu_seconds)


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
    grid = edits(G, x, directions=directions, ts=ts).clamp(-1, 1)
    title = f"G(x, t·vᵢ), t = {', '.join(f'{t:g}' for t in ts)}"
    save_image_grid(grid, path, nrow=len(ts), title=title)


@torch.no_grad()
def label_kept(G: LocalGenerator, x: torch.Tensor, *, n_z: int = 8, z_scale: float = 1.0, seed: int = 0) -> dict[str, float]:
    """Meaning check with the shipped digits classifier: share of edits G(x, z) classified as x is,
    and mean ‖G(x, z) − x‖ (how far the chart moves); x are images the classifier was not fitted to choose."""
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
