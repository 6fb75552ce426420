"""Comparisons shared by the training tests (imported by name: tests/train is on sys.path)."""

import torch


def assert_same_weights(a, b):
    """G, D and EMA-G of two checkpoints are equal bit for bit."""
    for key in ("G", "D"):
        assert a[key].keys() == b[key].keys()
        for name in a[key]:
            assert torch.equal(a[key][name], b[key][name]), f"{key}.{name} differs"
    for name in a["ema"]["model"]:
        assert torch.equal(a["ema"]["model"][name], b["ema"]["model"][name])


def without_time(records):
    """Log records without their wall-clock stamps (the only field two runs may differ in)."""
    return [{k: v for k, v in r.items() if k != "time"} for r in records]
