"""ganlab's FID Inception vs torch-fidelity's, side by side on the same weights and images.

    .venv/bin/python benchmarks/fid_vs_torch_fidelity.py [--n 200] [--threads 2] \
        [--fidelity-python benchmarks/.venv-fidelity/bin/python]

No real FID weights can be had offline here, so both sides load the *same randomly
initialised* state dict (He-normal convs, unit BN statistics — ``random_state_dict``), written
once to a temporary .pth: torch-fidelity reads it through ``feature_extractor_weights_path``,
ganlab through ``load_inception(check_hash=False)``. The images are two sets of N synthetic
32×32 uint8 RGB images, so the TF1 32 → 299 resize is part of what is compared. Reported:
- FID from both (torch-fidelity through its own ``calculate_metrics``; ganlab through
  ``evaluate``) and their relative difference (target ≤ 1e-4);
- the largest relative difference of pool3 features on 16 images;
- images/s of each full FID computation (feature extraction of 2N images + FID), timed in this
  one run after a warm-up, with the same thread count, the two sides alternating ``--repeats``
  times and each side's fastest repeat counting; the ratio ganlab / torch-fidelity.
torch-fidelity needs torchvision, which does not import beside ganlab's torch, so it runs in
its own venv (see benchmarks/README.md); the two sides therefore run different torch builds,
which the output records.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ganlab.metrics import evaluate
from ganlab.metrics.inception import load_inception, random_state_dict

HERE = Path(__file__).parent


def synthetic_images(n: int, seed: int, shift: float) -> np.ndarray:
    """Smooth random colour fields (8×8 noise, bilinearly upsampled to 32×32) as uint8 N×3×32×32."""
    g = torch.Generator().manual_seed(seed)
    low = torch.rand(n, 3, 8, 8, generator=g)
    x = F.interpolate(low, size=32, mode="bilinear", align_corners=False) * 200 + shift
    return x.clamp(0, 255).round().to(torch.uint8).numpy()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=200, help="images per set")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=50)
    p.add_argument("--repeats", type=int, default=2, help="alternating timed runs per side; the fastest counts")
    default_py = os.environ.get("FIDELITY_PYTHON", str(HERE / ".venv-fidelity" / "bin" / "python"))
    p.add_argument("--fidelity-python", default=default_py)
    p.add_argument("--json", help="also write the numbers to this file")
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        a, b = synthetic_images(args.n, 1, 0.0), synthetic_images(args.n, 2, 30.0)
        np.save(work / "a.npy", a)
        np.save(work / "b.npy", b)
        torch.save(random_state_dict(seed=0), work / "weights.pth")

        # Alternate the two sides (torch-fidelity in its own process and venv) and keep each
        # side's fastest repeat: the machine is shared, and the minimum is the least disturbed.
        opts = {"weights": work / "weights.pth", "check_hash": False}
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)  # the same uint8 images as torch-fidelity gets
        common = dict(features="inception", feature_options=opts, batch_size=args.batch)
        evaluate(None, tb[: args.batch], ["fid"], fake=ta[: args.batch], **common)  # warm-up
        their_times, our_times = [], []
        for _ in range(args.repeats):
            subprocess.run(
                [args.fidelity_python, str(HERE / "_fidelity_side.py"), str(work), str(args.threads), str(args.batch)],
                check=True,
            )
            theirs = json.loads((work / "fidelity.json").read_text())
            their_times.append(theirs["seconds"])
            start = time.perf_counter()
            ours = evaluate(None, tb, ["fid"], fake=ta, **common)["values"]["fid"]
            our_times.append(time.perf_counter() - start)
        net = load_inception(work / "weights.pth", check_hash=False)
        feats = net.extract(ta[:16])["features"].double().numpy()
        theirs_feats = np.load(work / "fidelity_features.npy")

    feat_rel = float(np.abs(feats - theirs_feats).max() / np.abs(theirs_feats).max())
    result = {
        "n_per_set": args.n,
        "image_size": 32,
        "threads": args.threads,
        "batch": args.batch,
        "fid_ganlab": ours,
        "fid_torch_fidelity": theirs["fid"],
        "fid_rel_diff": abs(ours - theirs["fid"]) / abs(theirs["fid"]),
        "features_max_rel_diff": feat_rel,
        "images_per_s_ganlab": 2 * args.n / min(our_times),
        "images_per_s_torch_fidelity": 2 * args.n / min(their_times),
        "speed_ratio_ganlab_over_torch_fidelity": min(their_times) / min(our_times),
        "seconds_ganlab": [round(t, 2) for t in our_times],
        "seconds_torch_fidelity": [round(t, 2) for t in their_times],
        "load_average_1min": os.getloadavg()[0],
        "torch_ganlab": torch.__version__,
        "torch_torch_fidelity": theirs["torch"],
        "torch_fidelity": theirs["torch_fidelity"],
        "cpu": platform.processor() or platform.machine(),
    }
    for k, v in result.items():
        print(f"{k:40s} {v:.6g}" if isinstance(v, float) else f"{k:40s} {v}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
