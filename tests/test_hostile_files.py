"""Hostile files: every file ganlab needs is checked before work starts, and every file it loads
is judged before it is unpickled.

- A run whose metrics (at the end, or during training) read a feature network whose weights
  file is missing, could run code or is the wrong file is refused by ``--dry-run`` and by
  ``train`` before step 1, with no run folder left behind.
- Every loader of a user-given torch file (Inception weights, feature weights, Localized-GAN
  files) refuses a pickle that would call ``os.system`` with "could run code", never runs it.
- Image data sets that would not fit in memory as float32 are refused before they are read.
- Unreadable run files give one line, not a traceback.
"""

import os

import numpy as np
import pytest
import torch

from ganlab import GanlabError
from ganlab.cli import main
from ganlab.config import DataConfig
from ganlab.data import load_dataset
from ganlab.metrics import FEATURES
from ganlab.metrics.inception import ENV_VAR, WEIGHTS_NAME, load_inception
from tests.helpers import one_error_line, write_fake_cifar
from tests.test_hostile import BASE, deadline

TINY_IMAGES = ["model.width=8", "model.z_dim=8", "train.batch_size=8", "train.steps=2", "train.progress=false", "train.sample_every=0"]


class _Boom:
    def __reduce__(self):
        return (os.system, ("touch PWNED",))


def refused(capsys, *argv, seconds=20.0):
    """``ganlab argv`` exits 2 with one error line within ``seconds``; returns the line."""
    capsys.readouterr()
    with deadline(seconds):
        code = main([str(a) for a in argv])
    line = one_error_line(capsys)
    assert code == 2, line
    return line


def accepted(capsys, *argv, seconds=20.0):
    capsys.readouterr()
    with deadline(seconds):
        code = main([str(a) for a in argv])
    assert code == 0, capsys.readouterr().err


@pytest.fixture
def no_inception(tmp_path, monkeypatch):
    """No Inception weights anywhere: the variable unset, torch's cache an empty folder; the
    working directory is a scratch folder where a pickle that ran would leave PWNED."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return tmp_path / "torch_home" / "hub" / "checkpoints" / WEIGHTS_NAME


@pytest.fixture
def cifar(tmp_path):
    """A tiny extracted CIFAR-10: five training batches and a test batch of 20 images each."""
    return write_fake_cifar(tmp_path / "cifar-10-batches-py", np.random.default_rng(0))


@pytest.fixture
def npz_images(tmp_path):
    path = tmp_path / "images.npz"
    np.savez(path, x=np.random.default_rng(0).uniform(-1, 1, (40, 3, 8, 8)).astype(np.float32))
    return path


def evil_file(path, legacy=False, **extra):
    torch.save({"w": torch.ones(2), "x": _Boom(), **extra}, path, _use_new_zipfile_serialization=not legacy)
    return path


# --- 1. required files before work -----------------------------------------------------------
@pytest.mark.parametrize("data", ["cifar", "npz_images"])
def test_a_run_needing_missing_inception_weights_is_refused_before_work(data, no_inception, tmp_path, capsys, monkeypatch, request):
    from ganlab.train.trainer import Trainer

    args = [f"data.name={'cifar10' if data == 'cifar' else 'npz'}", f"data.path={request.getfixturevalue(data)}", *TINY_IMAGES]
    line = refused(capsys, "train", *args, "--dry-run")
    assert str(no_inception) in line and ENV_VAR in line and WEIGHTS_NAME in line  # the file, and how to provide it
    assert "fid" in line and "eval.metrics" in line
    monkeypatch.setattr(Trainer, "fit", lambda *a, **k: pytest.fail("training started"))
    before = set(tmp_path.iterdir())
    assert refused(capsys, "train", *args, "--out", tmp_path / "run") == line
    assert set(tmp_path.iterdir()) == before  # no run folder, not even a temporary one
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "elsewhere.pth"))  # the variable names the file to look for
    assert str(tmp_path / "elsewhere.pth") in refused(capsys, "train", *args, "--dry-run")


def test_the_evaluations_during_training_are_checked_too(cifar, no_inception, capsys):
    args = ["data.name=cifar10", f"data.path={cifar}", *TINY_IMAGES, "eval.metrics=[]", "train.eval_every=1", "train.best_metric=fid"]
    line = refused(capsys, "train", *args, "--dry-run")
    assert "metric fid needs the inception feature network" in line


def test_runs_whose_metrics_read_no_weights_file_are_not_refused(cifar, no_inception, capsys):
    base = ["train", "data.name=cifar10", f"data.path={cifar}", *TINY_IMAGES]
    accepted(capsys, *base, "eval.metrics=[]", "--dry-run")
    accepted(capsys, *base, "eval.metrics=[mre, tangent_rank]", "--dry-run")  # generator-only metrics
    accepted(capsys, *base, "eval.features=identity", "--dry-run")  # pixels as features


def test_inception_weights_that_could_run_code_are_refused_before_work(cifar, no_inception, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(evil_file(tmp_path / "evil.pth")))
    line = refused(capsys, "train", "data.name=cifar10", f"data.path={cifar}", *TINY_IMAGES, "--out", tmp_path / "run")
    assert "could run code" in line and "system" in line and "evil.pth" in line
    assert not (tmp_path / "run").exists() and not (tmp_path / "work" / "PWNED").exists()


def test_the_wrong_inception_file_is_refused_before_work(cifar, no_inception, tmp_path, capsys, monkeypatch):
    wrong = tmp_path / "wrong.pth"
    torch.save({"fc.weight": torch.zeros(2)}, wrong)  # a plain state dict, but not the FID network's file
    monkeypatch.setenv(ENV_VAR, str(wrong))
    line = refused(capsys, "train", "data.name=cifar10", f"data.path={cifar}", *TINY_IMAGES, "--dry-run")
    assert "is not the FID Inception weight file" in line and "6726825d" in line


def test_the_weights_check_follows_the_feature_networks_declaration(tmp_path):
    """What is checked is what the factory would read: its ``weights`` option, else the default."""
    from ganlab.metrics.context import check_features_ready

    check_features_ready(["fid"], "identity")  # no weights file: nothing to check
    check_features_ready(["mre", "equilibrium"], "inception", {"weights": tmp_path / "none.pth"})  # no reader of features
    with pytest.raises(GanlabError, match="none.pth does not exist"):
        check_features_ready(["kid"], "inception", {"weights": tmp_path / "none.pth"})
    with pytest.raises(GanlabError, match="digits feature network"):
        check_features_ready(["fid"], "digits", {"weights": tmp_path / "none.pt"})
    check_features_ready(["fid"], "digits")  # the shipped classifier


# --- 2. code detection at every loader --------------------------------------------------------
@pytest.mark.parametrize("legacy", [False, True])
def test_every_feature_weights_loader_judges_the_file_before_unpickling(tmp_path, monkeypatch, legacy):
    monkeypatch.chdir(tmp_path)
    evil = evil_file(tmp_path / "evil.pt", legacy)

    def never(*args, **kwargs):
        raise AssertionError("torch.load was called on a file that could run code")

    monkeypatch.setattr(torch, "load", never)  # the refusal must not depend on torch's unpickler or its wording
    loaders = {
        "inception": lambda: load_inception(evil, check_hash=False),
        "inception with the hash check": lambda: load_inception(evil),
        "digits": lambda: FEATURES.get("digits")(weights=evil),
    }
    for what, load in loaders.items():
        with pytest.raises(GanlabError, match="could run code") as err:
            load()
        assert "system" in str(err.value) and "\n" not in str(err.value), what
    assert not (tmp_path / "PWNED").exists()


def test_eval_with_code_carrying_inception_weights_from_the_environment(tmp_path, capsys, monkeypatch):
    from ganlab.api import train
    from ganlab.config import make_config

    run = train(make_config(overrides=BASE), tmp_path / "run", quiet=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(ENV_VAR, str(evil_file(tmp_path / "evil.pth", legacy=True)))
    line = refused(capsys, "eval", run, "--features", "inception", "--metrics", "fid", "--n", 10, "--no-hash-check")
    assert "could run code" in line
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("legacy", [False, True])
def test_a_localized_gan_file_that_could_run_code(tmp_path, capsys, monkeypatch, legacy):
    from ganlab.geometry.localized import load_localized

    monkeypatch.chdir(tmp_path)
    evil = evil_file(tmp_path / "evil.pt", legacy=legacy, schema=1, kind="localized_gan")
    line = refused(capsys, "geometry", "ssl", "--quick", "--seeds", 1, "--localized", evil, "--out", tmp_path / "g")
    assert "could run code" in line and not (tmp_path / "g").exists()
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load was called on a file that could run code"))
    with pytest.raises(GanlabError, match="Localized GAN file .* could run code"):
        load_localized(evil)
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("content, words", [
    (b"\x80\x04 not a pickle at all", "corrupt or not a torch.save file"),
    (b"", "corrupt or not a torch.save file"),
    (None, "does not hold a state dict"),
])  # fmt: skip
def test_weights_that_are_no_state_dict_are_one_line(tmp_path, content, words):
    path = tmp_path / "w.pt"
    if content is None:
        torch.save([1, 2, 3], path)
    else:
        path.write_bytes(content)
    for load in (lambda: load_inception(path, check_hash=False), lambda: FEATURES.get("digits")(weights=path)):
        with pytest.raises(GanlabError, match=words) as err:
            load()
        assert "\n" not in str(err.value)


# --- 3. data set memory, before the data is read ----------------------------------------------
def test_memory_needed_is_the_size_of_the_float32_tensors(tmp_path, monkeypatch):
    """For a folder (and STL-10 without a test file) every image lands in one split: the estimate
    must be the bytes of the loaded tensors exactly; one byte less available refuses, before reading."""
    from PIL import Image

    from ganlab import resources
    from ganlab.data import folder as folder_module
    from ganlab.data.images import memory_needed

    for i in range(7):
        Image.fromarray(np.full((20, 30, 3), 30 * i, np.uint8)).save(tmp_path / f"{i}.png")
    cfg = DataConfig(name="folder", path=str(tmp_path), resolution=12)
    ds = load_dataset(cfg)
    loaded = sum(t.numel() * t.element_size() for t in (ds.train, ds.val, ds.test))
    assert memory_needed(7, 3, 12) == loaded == np.zeros((7, 3, 12, 12), np.float32).nbytes
    monkeypatch.setattr(resources, "available_memory", lambda device: (loaded, "this machine"))
    load_dataset(cfg)  # exactly enough
    monkeypatch.setattr(resources, "available_memory", lambda device: (loaded - 1, "this machine"))
    monkeypatch.setattr(folder_module, "_decode", lambda *a: pytest.fail("an image was decoded before the check"))
    with pytest.raises(GanlabError, match=r"7 images × 3×12×12 × 4 bytes .* data\.resolution"):
        load_dataset(cfg)


def test_stl10_memory_is_counted_from_the_file_size(tmp_path, monkeypatch):
    from ganlab import resources
    from ganlab.data.images import memory_needed

    np.random.default_rng(0).integers(0, 256, (30, 3, 96, 96), dtype=np.uint8).tofile(tmp_path / "unlabeled_X.bin")
    cfg = DataConfig(name="stl10", path=str(tmp_path))
    ds = load_dataset(cfg)
    assert memory_needed(30, 3, 48) == sum(t.numel() * t.element_size() for t in (ds.train, ds.val, ds.test))
    monkeypatch.setattr(resources, "available_memory", lambda device: (memory_needed(30, 3, 48) - 1, "this machine"))
    with pytest.raises(GanlabError, match="30 images"):
        load_dataset(cfg)
    load_dataset(DataConfig(name="stl10", path=str(tmp_path), limit=29))  # data.limit is the way out


def test_cifar_memory_is_refused_before_resizing(cifar, tmp_path, capsys, monkeypatch):
    from ganlab import resources
    from ganlab.data import cifar as cifar_module
    from ganlab.data.images import memory_needed

    monkeypatch.setattr(resources, "available_memory", lambda device: (memory_needed(120, 3, 1024) - 1, "this machine"))
    monkeypatch.setattr(cifar_module, "resize_images", lambda *a: pytest.fail("the images were resized before the check"))
    # 100 training + 20 test images at 1024² as float32: 1.4 GiB
    line = refused(capsys, "train", "data.name=cifar10", f"data.path={cifar}", "data.resolution=1024", *TINY_IMAGES,
                   "eval.metrics=[]", "--out", tmp_path / "run")  # fmt: skip
    assert "cifar10 at 1024×1024: 120 images" in line and "1.4 GiB" in line and "data.resolution" in line
    assert not (tmp_path / "run").exists()
    monkeypatch.undo()
    monkeypatch.setattr(resources, "available_memory", lambda device: (memory_needed(120, 3, 32), "this machine"))
    ds = load_dataset(DataConfig(name="cifar10", path=str(cifar)))  # exactly enough at 32²
    assert sum(t.numel() * t.element_size() for t in (ds.train, ds.val, ds.test)) == memory_needed(120, 3, 32)


def test_memory_is_not_checked_when_it_cannot_be_told(tmp_path, monkeypatch):
    from PIL import Image

    from ganlab import resources

    monkeypatch.setattr(resources, "available_memory", lambda device: (None, "this machine"))
    for i in range(3):
        Image.fromarray(np.full((8, 8, 3), i, np.uint8)).save(tmp_path / f"{i}.png")
    assert len(load_dataset(DataConfig(name="folder", path=str(tmp_path), resolution=8)).train) == 3


# --- 4. unreadable files, every command -------------------------------------------------------
@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from ganlab.api import train
    from ganlab.config import make_config

    return train(make_config(overrides=BASE), tmp_path_factory.mktemp("files") / "run", quiet=True)


def test_report_shows_what_it_can_of_garbled_files(run, tmp_path, capsys):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    (copy / "log.jsonl").write_bytes(bytes(range(256)) * 4)
    (copy / "metrics.json").write_bytes(b"\xff\xfe\x00\x01")
    accepted(capsys, "report", copy, "--out", tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    assert "metrics.json does not parse" in page and "last logged step: —" in page


def test_report_on_a_log_that_is_a_folder_is_one_line(run, tmp_path, capsys):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    (copy / "log.jsonl").unlink()
    (copy / "log.jsonl").mkdir()
    assert "log.jsonl" in refused(capsys, "report", copy, "--out", tmp_path / "r.html")


def test_report_skips_folders_named_like_pages(tmp_path, capsys):
    exp = tmp_path / "exp"
    (exp / "README.md").mkdir(parents=True)  # not a file: the folder's pages are its other .md files
    (exp / "fig.png").mkdir()
    (exp / "notes.md").write_bytes(b"# Notes \xff\xfe\n")
    accepted(capsys, "report", exp, "--out", tmp_path / "r.html")
    assert "<h2>Notes \ufffd\ufffd</h2>" in (tmp_path / "r.html").read_text()  # undecodable bytes shown replaced


def test_eval_reads_the_config_from_the_checkpoint_not_a_garbled_config_yaml(run, tmp_path, capsys):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    (copy / "config.yaml").write_bytes(bytes(range(256)))
    accepted(capsys, "eval", copy, "--n", 10, "--metrics", "mode_coverage")


@pytest.mark.parametrize("content", [bytes(range(256)), b"base: \xff\xfe\n", b"\x00\x00\x00"])
def test_sweep_on_a_binary_spec_is_one_line(tmp_path, capsys, content):
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(content)
    assert "spec.yaml" in refused(capsys, "sweep", spec, "--dry-run")


@pytest.mark.parametrize("suffix", [".npz", ".npy"])
def test_an_array_file_is_sized_from_its_header(tmp_path, monkeypatch, suffix):
    from ganlab import resources
    from ganlab.data import files

    x = np.random.default_rng(0).uniform(-1, 1, (40, 3, 8, 8)).astype(np.float32)
    path = tmp_path / f"a{suffix}"
    np.savez(path, x=x, y=np.zeros(40, int)) if suffix == ".npz" else np.save(path, x)
    assert files.declared_values(path) == x.size
    cfg = DataConfig(name="npz", path=str(path))
    monkeypatch.setattr(resources, "available_memory", lambda device: (x.nbytes, "this machine"))
    load_dataset(cfg)  # exactly enough
    monkeypatch.setattr(resources, "available_memory", lambda device: (x.nbytes - 1, "this machine"))
    monkeypatch.setattr(files, "_read_array", lambda p: pytest.fail("the array was read before the check"))
    with pytest.raises(GanlabError, match="7,680 values"):
        load_dataset(cfg)


def test_a_header_declaring_an_absurd_shape_is_refused_unread(tmp_path):
    path = tmp_path / "huge.npy"
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (10000000000, 10000000000), }"
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(header.ljust(118) + "\n").to_bytes(2, "little") + (header.ljust(118) + "\n").encode())
    with pytest.raises(GanlabError, match="GiB as float32"):
        load_dataset(DataConfig(name="npz", path=str(path)))
