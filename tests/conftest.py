import os

import pytest
import torch

# Tests run on 2 shared cores: one intra-op thread keeps timings stable and results exact.
torch.set_num_threads(1)
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
