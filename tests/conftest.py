import os

import pytest
import torch

# shared helpers report failed asserts like a test does (registered before anything imports them)
pytest.register_assert_rewrite("tests.helpers")

# Tests run on 2 shared cores: one intra-op thread keeps timings stable and results exact.
torch.set_num_threads(1)
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def digits():
    from ganlab.config import DataConfig
    from ganlab.data import load_dataset

    return load_dataset(DataConfig(name="digits"))


@pytest.fixture(scope="session")
def ring8():
    from ganlab.config import DataConfig
    from ganlab.data import load_dataset

    return load_dataset(DataConfig(name="ring8", n_points=10_000))
