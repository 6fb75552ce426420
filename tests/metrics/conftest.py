import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # lets the tests import metric_helpers.py


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
