"""The torch-fidelity half of fid_vs_torch_fidelity.py; runs in torch-fidelity's own venv.

    python _fidelity_side.py WORKDIR THREADS BATCH

Reads WORKDIR/{a,b}.npy (uint8, N×3×H×W) and WORKDIR/weights.pth, writes WORKDIR/fidelity.json
with torch-fidelity's FID (its full calculate_metrics path), the wall time of that call, and
its pool3 features of the first images for a feature-level comparison.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch


class Images(torch.utils.data.Dataset):
    def __init__(self, array: np.ndarray) -> None:
        self.array = torch.from_numpy(array)

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.array[i]  # uint8 3×H×W, as torch-fidelity requires


def main() -> None:
    work, threads, batch = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    import torch_fidelity
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    a, b = np.load(work / "a.npy"), np.load(work / "b.npy")
    weights = str(work / "weights.pth")
    kwargs = dict(
        fid=True, cuda=False, batch_size=batch, cache=False, verbose=False, feature_extractor_weights_path=weights, samples_shuffle=False
    )
    torch_fidelity.calculate_metrics(input1=Images(a[:batch]), input2=Images(b[:batch]), **kwargs)  # warm-up
    start = time.perf_counter()
    fid = torch_fidelity.calculate_metrics(input1=Images(a), input2=Images(b), **kwargs)["frechet_inception_distance"]
    seconds = time.perf_counter() - start

    if not (work / "fidelity_features.npy").exists():  # once: a feature-level comparison on 16 images
        extractor = FeatureExtractorInceptionV3("inception-v3-compat", ["2048"], feature_extractor_weights_path=weights)
        with torch.no_grad():
            feats = extractor(torch.from_numpy(a[:16]))[0].double().numpy()
        np.save(work / "fidelity_features.npy", feats)
    out = {
        "fid": fid,
        "seconds": seconds,
        "torch": torch.__version__,
        "torch_fidelity": torch_fidelity.__version__,
        "threads": torch.get_num_threads(),
    }
    (work / "fidelity.json").write_text(json.dumps(out))


if __name__ == "__main__":
    main()
