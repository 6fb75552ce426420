"""CIFAR pickles, STL-10 binaries and image folders: shapes, ranges, splits, one-line errors."""

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
from ganlab.data.images import resize_images
from ganlab.data.stl10 import STL_BYTES

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


def _write_stl(folder, n: int, name: str = "unlabeled_X.bin", seed: int = 0) -> np.ndarray:
    """n random 96×96 images written in STL-10's layout; returns them as (n, 3, 96, 96)."""
    x = np.random.default_rng(seed).integers(0, 256, (n, 3, 96, 96), dtype=np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    x.transpose(0, 1, 3, 2).tofile(folder / name)  # each plane column-major
    return x


def test_stl10_binary_box_filter_and_splits(tmp_path):
    folder = tmp_path / "stl10_binary"
    x = _write_stl(folder, 30)
    x_test = _write_stl(folder, 8, "test_X.bin", seed=1)
    (folder / "test_y.bin").write_bytes((np.arange(8) % 10 + 1).astype(np.uint8).tobytes())
    ds = load_dataset(DataConfig(name="stl10", path=str(tmp_path)))
    assert ds.shape == (3, 48, 48) and (len(ds.train), len(ds.val), len(ds.test)) == (27, 3, 8)
    assert ds.labels == {}  # the unlabeled file has no labels, so no split gets any
    # test split = the official test file, 2×2 box-averaged and rounded (one uint8 step of tolerance)
    box = x_test.reshape(8, 3, 48, 2, 48, 2).astype(np.float64).mean((3, 5))
    want = torch.from_numpy(np.round(box) / 127.5 - 1).float()
    torch.testing.assert_close(ds.test, want, rtol=0, atol=1.01 / 127.5)
    assert ds.train.min() >= -1 and ds.train.max() <= 1
    # full resolution keeps the pixels exactly (checks the column-major layout)
    full = load_dataset(DataConfig(name="stl10", path=str(folder), resolution=96, val_size=0, limit=5))
    torch.testing.assert_close(full.train, torch.from_numpy(x[:5] / 127.5 - 1).float(), rtol=0, atol=1e-6)
    # one .bin alone: test is held out of it too
    single = load_dataset(DataConfig(name="stl10", path=str(folder / "unlabeled_X.bin")))
    assert (len(single.train), len(single.val), len(single.test)) == (24, 3, 3)
    (folder / "unlabeled_X.bin").write_bytes(b"\0" * (STL_BYTES + 7))
    with pytest.raises(GanlabError, match="not a whole number of 96×96×3 images"):
        load_dataset(DataConfig(name="stl10", path=str(folder)))
    (tmp_path / "empty").mkdir()
    with pytest.raises(GanlabError, match="has no unlabeled_X.bin or train_X.bin"):
        load_dataset(DataConfig(name="stl10", path=str(tmp_path / "empty")))


def test_resize_images_is_area_average():
    x = np.random.default_rng(0).integers(0, 256, (3, 2, 8, 8), dtype=np.uint8)
    out = resize_images(x, 4)
    np.testing.assert_array_equal(out, np.round(x.reshape(3, 2, 4, 2, 4, 2).mean((3, 5))).astype(np.uint8))
    assert resize_images(x, 8) is x and resize_images(x, 16).shape == (3, 2, 16, 16)


def test_image_folder(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    root = tmp_path / "imgs"
    (root / "a").mkdir(parents=True)
    (root / "b" / "c").mkdir(parents=True)
    for i in range(12):  # mixed sizes, modes and formats in nested folders
        h, w = (40, 60) if i % 2 else (64, 64)
        arr = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        sub = root / ("a" if i < 6 else "b/c")
        img = Image.fromarray(arr) if i % 3 else Image.fromarray(arr[..., 0], mode="L")
        img.save(sub / (f"{i:02d}.png" if i % 4 else f"{i:02d}.jpg"))
    (root / "notes.txt").write_text("not an image")
    ds = load_dataset(DataConfig(name="folder", path=str(root), resolution=16))
    assert ds.shape == (3, 16, 16) and len(ds.train) + len(ds.val) + len(ds.test) == 12
    assert (len(ds.val), len(ds.test)) == (1, 1) and ds.train.min() >= -1 and ds.train.max() <= 1
    again = load_dataset(DataConfig(name="folder", path=str(root), resolution=16))
    assert torch.equal(again.train, ds.train)
    # a 64×64 image shrunk ×4 is its 4×4 box average
    one = tmp_path / "one"
    one.mkdir()
    arr = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    for k in range(3):
        Image.fromarray(arr).save(one / f"{k}.png")
    ds1 = load_dataset(DataConfig(name="folder", path=str(one), resolution=16, val_size=0))
    box = arr.transpose(2, 0, 1).reshape(3, 16, 4, 16, 4).astype(np.float64).mean((2, 4))
    torch.testing.assert_close(ds1.train[0], torch.from_numpy(box / 127.5 - 1).float(), rtol=0, atol=1.01 / 127.5)
    # the default resolution is 64 and upscaling works
    assert load_dataset(DataConfig(name="folder", path=str(one), limit=2)).shape == (3, 64, 64)


def test_image_folder_errors(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.md").write_text("x")
    with pytest.raises(GanlabError, match="no PNG, JPEG"):
        load_dataset(DataConfig(name="folder", path=str(empty)))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(GanlabError, match="cannot decode .*broken.png") as err:
        load_dataset(DataConfig(name="folder", path=str(bad)))
    assert "\n" not in str(err.value)
    with pytest.raises(GanlabError, match="not a folder"):
        load_dataset(DataConfig(name="folder", path=str(bad / "broken.png")))
    with pytest.raises(GanlabError, match="does not exist"):
        load_dataset(DataConfig(name="folder", path=str(tmp_path / "nope")))
    with pytest.raises(GanlabError, match="data.limit"):
        load_dataset(DataConfig(name="folder", path=str(bad), limit=0))
