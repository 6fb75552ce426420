"""Parzen-window log-likelihood (Goodfellow et al. 2014, Table 1; goodfeli/adversarial protocol).

A Gaussian kernel density with bandwidth σ is centred on the generated samples:
    log p(x) = logsumexp_i(−‖x − sᵢ‖² / (2σ²)) − log M − (D/2) log(2πσ²).
σ is the candidate with the highest mean log-likelihood on (up to 1,000 of) the *validation*
split; the test log-likelihood is then reported with its standard error std/√N. Candidates:
10 log-spaced values in [0.1, 1] as the reference for images; for 2-D points, whose scale is
set by the mixtures' tiny σ, 16 values in [10⁻³, 1]. Known to be a poor likelihood estimate in
high dimension (Theis et al. 2016); kept for the comparison with the original table.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from ganlab.errors import GanlabError
from ganlab.metrics.context import Side, metric
from ganlab.typed import field

IMAGE_SIGMAS = np.logspace(-1, 0, 10)  # goodfeli/adversarial parzen_ll.py
POINT_SIGMAS = np.logspace(-3, 0, 16)
N_VAL = 1000  # validation examples used to choose σ, as the reference


def parzen_log_likelihood(x: np.ndarray, centres: np.ndarray, sigma: float, block: int = 256) -> np.ndarray:
    """Per-example log-density (N,) of x under the Gaussian Parzen window on ``centres`` (M, D)."""
    q = torch.from_numpy(np.asarray(x, np.float64).reshape(len(x), -1))
    c = torch.from_numpy(np.asarray(centres, np.float64).reshape(len(centres), -1))
    m, d = c.shape
    const = -math.log(m) - 0.5 * d * math.log(2 * math.pi * sigma**2)
    out = []
    for i in range(0, len(q), block):
        sq = torch.cdist(q[i : i + block], c, compute_mode="donot_use_mm_for_euclid_dist").pow(2)
        out.append(torch.logsumexp(-sq / (2 * sigma**2), dim=1) + const)
    return torch.cat(out).numpy()


def select_sigma(val: np.ndarray, centres: np.ndarray, sigmas: np.ndarray) -> tuple[float, np.ndarray]:
    """The σ with the highest mean validation log-likelihood, and the mean LL of every candidate."""
    scores = np.array([parzen_log_likelihood(val, centres, float(s)).mean() for s in sigmas])
    return float(sigmas[int(np.argmax(scores))]), scores


@dataclasses.dataclass(frozen=True)
class ParzenOptions:
    sigmas: tuple[float, ...] | None = field(None, low=0, low_open=True)  # candidate σ; None: the data kind's grid
    sigma: float | None = field(None, low=0, low_open=True)  # a fixed σ instead of choosing one on the validation split


@metric("parzen", options=ParzenOptions, better={"parzen_ll": True}, features=False)
def parzen(fake: Side, real: Side, o: ParzenOptions) -> dict[str, float]:
    """Parzen-window log-likelihood of the reference split; σ chosen on the validation split or given."""
    sigmas, sigma = o.sigmas, o.sigma
    samples = fake.x.numpy()
    if sigma is None:
        ds = fake.ctx.dataset
        if ds is None:
            raise GanlabError(
                "parzen chooses σ on the validation split, but the reference is a bare tensor",
                "evaluate against a data set, or pass options parzen={'sigma': …}",
            )
        grid = np.asarray(sigmas, np.float64) if sigmas else (POINT_SIGMAS if ds.kind == "points" else IMAGE_SIGMAS)
        sigma, _ = select_sigma(ds.val[:N_VAL].numpy(), samples, grid)
    ll = parzen_log_likelihood(real.x.numpy(), samples, sigma)
    return {"parzen_ll": float(ll.mean()), "parzen_se": float(ll.std() / math.sqrt(len(ll))), "parzen_sigma": sigma}
