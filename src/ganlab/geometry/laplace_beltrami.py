"""Semi-supervised classification with a Laplace–Beltrami (tangent) regulariser (seed 000 §3).

A classifier f is trained on a few labelled examples with cross-entropy, plus

    λ · E_x ‖J_xᵀ ∇ₓ f(x)‖²  =  λ · E_x Σᵢ ‖∂f(x)/∂tᵢ‖²   over unlabelled x,

the change of f along the data manifold: tᵢ are the tangents at x of a Localized GAN. With f
vector-valued (log-probabilities of the classes) the squared norm sums over classes. Each
directional derivative ∂f/∂tᵢ is one jvp of f along tᵢ — no Jacobian of f is formed. The
tangents are orthonormalised (QR) first, so the term is the squared norm of the gradient's
projection on the tangent space, independent of how the chart scales its coordinates
(E‖Jᵀ∇f‖² of the definition, with JᵀJ = I). ∫‖∇_M f‖² = ∫ f Δ_M f is where the operator's name
comes from; a graph Laplacian is the discrete version (LabelSpreading, the baseline).

Baselines on the same split: the same classifier with cross-entropy only, the same
regulariser along random orthonormal directions (a control: smoothness in arbitrary
directions rather than along the manifold), and scikit-learn's LabelSpreading (k-NN graph).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from ganlab.errors import GanlabError


def orthonormal_tangents(J: torch.Tensor) -> torch.Tensor:
    """An orthonormal basis (B, D, k) of the span of each J (B, D, k), by reduced QR."""
    q, _ = torch.linalg.qr(J)
    return q


def tangent_derivatives(f: nn.Module | callable, x: torch.Tensor, T: torch.Tensor) -> torch.Tensor:
    """∂f(x)/∂tᵢ for each tangent: (k, B, C) from x (B, …) and tangents T (B, D, k), D = numel of one x.

    One batched jvp per direction (vmapped over the k directions); differentiable w.r.t. f's
    parameters. f must treat samples independently (no batch norm in training mode)."""
    if T.shape[0] != len(x) or T.shape[1] != x[0].numel():
        raise GanlabError(f"tangents of shape {tuple(T.shape)} do not fit x of shape {tuple(x.shape)}",
                          "pass one (numel(x) × k) tangent matrix per sample")  # fmt: skip
    directions = T.permute(2, 0, 1).reshape(T.shape[2], *x.shape)  # (k, B, …)

    def along(v: torch.Tensor) -> torch.Tensor:
        return torch.func.jvp(f, (x,), (v,))[1]

    return torch.func.vmap(along)(directions)


def lb_regulariser(f: nn.Module | callable, x: torch.Tensor, T: torch.Tensor) -> torch.Tensor:
    """E_x Σᵢ ‖∂f(x)/∂tᵢ‖² = E_x ‖Tᵀ ∇ₓ f(x)‖²_F (summed over f's outputs)."""
    d = tangent_derivatives(f, x, T)
    return d.pow(2).sum(dim=(0, *range(2, d.dim()))).mean()


class Classifier(nn.Module):
    """MLP on flattened images → class log-probabilities (ELU: smooth, so its tangent derivatives are too)."""

    def __init__(self, dim: int, classes: int = 10, width: int = 256, depth: int = 2) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        d = dim
        for _ in range(depth):
            layers += [nn.Linear(d, width), nn.ELU()]
            d = width
        layers.append(nn.Linear(d, classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(self.net(x.reshape(len(x), -1)), dim=1)


@dataclasses.dataclass
class SSLConfig:
    steps: int = 1500  # Adam steps; the 100 labelled examples are all in every step
    lr: float = 1e-3
    weight_decay: float = 5e-4  # the same for every variant, so only the regulariser differs
    lam: float = 1.0  # weight of the tangent term, fixed in advance (the SSL_LGAN code: 1); not tuned on test
    unlabelled_batch: int = 128
    width: int = 256


def select_labelled(y: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Indices of ``per_class`` examples of each class, drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    picks = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        if len(idx) < per_class:
            raise GanlabError(f"class {c} has only {len(idx)} training examples", f"ask for at most {len(idx)} labels per class")
        picks.append(rng.choice(idx, per_class, replace=False))
    return np.sort(np.concatenate(picks))


def train_classifier(
    x_lab: torch.Tensor,
    y_lab: torch.Tensor,
    x_unlab: torch.Tensor | None = None,
    T_unlab: torch.Tensor | None = None,
    cfg: SSLConfig | None = None,
    *,
    seed: int = 0,
    progress: bool = False,
) -> Classifier:
    """Cross-entropy on (x_lab, y_lab), plus λ·LB on unlabelled x with orthonormal tangents T when given."""
    cfg = cfg or SSLConfig()
    torch.manual_seed(seed)
    f = Classifier(x_lab[0].numel(), int(y_lab.max()) + 1, cfg.width)
    opt = torch.optim.Adam(f.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    gen = torch.Generator().manual_seed(seed)
    regularised = x_unlab is not None and T_unlab is not None and cfg.lam > 0
    for _ in tqdm(range(cfg.steps), desc="classifier", disable=not progress, leave=False):
        loss = F.nll_loss(f(x_lab), y_lab)
        if regularised:
            idx = torch.randint(len(x_unlab), (cfg.unlabelled_batch,), generator=gen)
            loss = loss + cfg.lam * lb_regulariser(f, x_unlab[idx], T_unlab[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return f.eval()


@torch.no_grad()
def accuracy(f: nn.Module, x: torch.Tensor, y: np.ndarray | torch.Tensor) -> float:
    return float((f(x).argmax(1).numpy() == np.asarray(y)).mean())


def label_spreading_accuracy(x_train: np.ndarray, y_train: np.ndarray, labelled: np.ndarray, x_test: np.ndarray,
                             y_test: np.ndarray, *, n_neighbors: int = 7, alpha: float = 0.2) -> float:  # fmt: skip
    """Test accuracy of scikit-learn's LabelSpreading on a k-NN graph of the training images
    (k = 7 and α = 0.2, scikit-learn's defaults; the RBF kernel's default width suits unit-scale
    data, not 64 pixels in [−1, 1], whose pairwise distances are about 8).

    A test image whose k nearest training images lie in parts of the graph that no label reaches
    gets no label mass at all: scikit-learn's ``predict`` turns that 0/0 into class 0 (on the
    digits, k = 3 leaves 72–102 of the 360 test images so). Such an image has no prediction, and it
    counts as an error here, not as a lucky guess of class 0.
    """
    from sklearn.semi_supervised import LabelSpreading

    y = np.full(len(x_train), -1)
    y[labelled] = y_train[labelled]
    model = LabelSpreading(kernel="knn", n_neighbors=n_neighbors, alpha=alpha, max_iter=100)
    with np.errstate(invalid="ignore", divide="ignore"):
        model.fit(x_train.reshape(len(x_train), -1), y)
        proba = model.predict_proba(x_test.reshape(len(x_test), -1))
    reached = np.isfinite(proba).all(axis=1) & (proba.sum(axis=1) > 0)
    return float(((model.classes_[np.argmax(proba, axis=1)] == y_test) & reached).mean())


def random_tangents(n: int, dim: int, k: int, seed: int) -> torch.Tensor:
    """(n, dim, k) random orthonormal frames: the control for "along the manifold"."""
    g = torch.Generator().manual_seed(seed)
    return orthonormal_tangents(torch.randn(n, dim, k, generator=g))
