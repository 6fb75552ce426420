"""CIFAR-10 / CIFAR-100 pickles: shapes, ranges, splits, archives, safe unpickling, one-line errors."""

from __future__ import annotations

import io
import os
import pickle
import tarfile

import numpy as np
import pytest
import torch

from ganlab import GanlabError
from ganlab.config import DataConfig
from ganlab.data import load_dataset
from ganlab.data.cifar import safe_unpickle

N_BATCH = 20  # images per fake CIFAR batch


def _cifar_dict(rng: np.random.Generator, n: int, label_key: str = "labels") -> dict:
    return {"batch_label": "fake", label_key: rng.integers(0, 10, n).tolist(), "data": rng.integers(0, 256, (n, 3072), dtype=np.uint8)}


def _write_cifar(root, name: str = "cifar-10-batches-py", train: list[str] | None = None, test: str = "test_batch", seed: int = 0):
    folder = root / name
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for n in (train or [f"data_batch_{i}" for i in range(1, 6)]) + [test]:
        with open(folder / n, "wb") as f:
            pickle.dump(_cifar_dict(rng, N_BATCH, "labels" if "cifar-10-" in name else "fine_labels"), f, protocol=2)
    return folder


def test_cifar10_folder_shapes_range_and_splits(tmp_path):
    folder = _write_cifar(tmp_path)
    ds = load_dataset(DataConfig(name="cifar10", path=str(folder)))
    # 5 batches × 20 = 100 training images; default val = 10 % held out; test = the test batch
    assert ds.kind == "image" and ds.shape == (3, 32, 32)
    assert (len(ds.train), len(ds.val), len(ds.test)) == (90, 10, 20)
    for x in (ds.train, ds.val, ds.test):
        assert x.dtype == torch.float32 and x.min() >= -1 and x.max() <= 1
    # pixel layout: row i of 'data' is R plane, G plane, B plane, each 32×32 row-major
    with open(folder / "test_batch", "rb") as f:
        raw = pickle.load(f)
    want = torch.from_numpy(raw["data"].reshape(-1, 3, 32, 32).astype(np.float32) / 127.5 - 1)
    torch.testing.assert_close(ds.test, want, rtol=0, atol=1e-6)
    assert ds.labels["test"].tolist() == raw["labels"]
    # deterministic and disjoint; another seed gives another val split; the parent folder works too
    again = load_dataset(DataConfig(name="cifar10", path=str(tmp_path)))
    assert torch.equal(again.train, ds.train) and torch.equal(again.val, ds.val)
    other = load_dataset(DataConfig(name="cifar10", path=str(folder), seed=1))
    assert not torch.equal(other.val, ds.val)
    rows = {tuple(r) for r in ds.train.flatten(1)[:, :8].tolist()}
    assert not rows & {tuple(r) for r in ds.val.flatten(1)[:, :8].tolist()}
    everything = load_dataset(DataConfig(name="cifar10", path=str(folder), val_size=0))
    assert (len(everything.train), len(everything.val)) == (100, 0)
    small = load_dataset(DataConfig(name="cifar10", path=str(folder), limit=30, resolution=16, val_size=5))
    assert (len(small.train), len(small.val), len(small.test)) == (25, 5, 20) and small.shape == (3, 16, 16)


def test_cifar_from_tar_gz_and_cifar100(tmp_path):
    folder = _write_cifar(tmp_path / "src")
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-py")
    a = load_dataset(DataConfig(name="cifar10", path=str(archive)))
    b = load_dataset(DataConfig(name="cifar10", path=str(folder)))
    assert torch.equal(a.train, b.train) and torch.equal(a.test, b.test)
    c100 = _write_cifar(tmp_path / "c100", "cifar-100-python", ["train"], "test")
    ds = load_dataset(DataConfig(name="cifar100", path=str(c100)))
    assert (len(ds.train), len(ds.val), len(ds.test)) == (18, 2, 20) and "test" in ds.labels
    # asking for CIFAR-10 in a CIFAR-100 folder names the right data set
    with pytest.raises(GanlabError, match="data.name=cifar100"):
        load_dataset(DataConfig(name="cifar10", path=str(tmp_path / "c100")))


class _Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


@pytest.mark.parametrize("case", ["missing", "truncated", "malicious", "wrong_size", "not_a_dict", "no_path", "bad_tar"])
def test_cifar_errors_are_one_line(tmp_path, case):
    folder = _write_cifar(tmp_path)
    path = folder
    if case == "missing":
        (folder / "data_batch_3").unlink()
    elif case == "truncated":
        blob = (folder / "data_batch_2").read_bytes()
        (folder / "data_batch_2").write_bytes(blob[: len(blob) // 2])
    elif case == "malicious":
        (folder / "test_batch").write_bytes(pickle.dumps({"data": _Boom()}))
    elif case == "wrong_size":
        bad = {"labels": [0] * 4, "data": np.zeros((4, 1024), np.uint8)}
        (folder / "data_batch_1").write_bytes(pickle.dumps(bad))
    elif case == "not_a_dict":
        (folder / "data_batch_1").write_bytes(pickle.dumps([1, 2, 3]))
    elif case == "bad_tar":
        path = tmp_path / "cifar-10-python.tar.gz"
        path.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(GanlabError) as err:
        load_dataset(DataConfig(name="cifar10", path=None if case == "no_path" else str(path)))
    msg = str(err.value)
    assert "\n" not in msg and " — " in msg
    expect = {"missing": "has no data_batch_3", "truncated": "not a readable CIFAR batch", "malicious": "refusing to load",
              "wrong_size": "expected uint8 rows of 3072", "not_a_dict": "not a CIFAR batch dict", "no_path": "data.path is not set",
              "bad_tar": "cannot read"}[case]  # fmt: skip
    assert expect in msg


def test_safe_unpickle_refuses_code_but_reads_numpy():
    arr = np.arange(12, dtype=np.uint8).reshape(3, 4)
    for proto in (2, 4, 5):
        out = safe_unpickle(io.BytesIO(pickle.dumps({b"data": arr, "x": [1, "a"]}, protocol=proto)))
        assert np.array_equal(out[b"data"], arr)
    with pytest.raises(pickle.UnpicklingError):
        safe_unpickle(io.BytesIO(pickle.dumps(_Boom())))
