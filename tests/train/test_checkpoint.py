"""Checkpoint files: one that would run code is refused, truncated, random and foreign files are refused with
one line, and a full disk leaves the previous checkpoint intact."""

import errno
import io
import pickle

import pytest
import torch

from ganlab import GanlabError
from ganlab.api import resume, train
from ganlab.cli import main
from ganlab.config import make_config
from ganlab.train.checkpoint import load_checkpoint, save_checkpoint
from tests.helpers import TINY_RUN, assert_same_weights, newest, one_error_line


class RunsCode:
    """Unpickling this calls open(marker, "w"): the file appears if the loader runs code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_checkpoint_that_would_run_code_is_refused(tmp_path, capsys):
    marker = tmp_path / "pwned"
    run = train(make_config(overrides=[*TINY_RUN, "train.steps=5"]), tmp_path / "r", quiet=True)
    good = newest(run)
    zipped = run / "checkpoints" / "step_00000099.pt"
    save_checkpoint({**good, "step": 99, "payload": RunsCode(marker)}, zipped)  # a torch.save zip archive
    legacy = tmp_path / "legacy.pt"  # a bare pickle, protocol 2, as old torch.save wrote them
    legacy.write_bytes(pickle.dumps({"schema": 1, "payload": RunsCode(marker)}, protocol=2))
    for path in (zipped, legacy):
        with pytest.raises(GanlabError, match=r"could run code \(it imports (io|builtins)\.open\)"):
            load_checkpoint(path)
    # on the command line: one line, exit 2; resuming skips it for the good checkpoint
    assert main(["sample", str(zipped), "--out", str(tmp_path / "s.png")]) == 2
    assert "could run code" in one_error_line(capsys)
    resume(run, ["train.steps=10"], quiet=True)
    assert "skipped step_00000099.pt" in capsys.readouterr().err
    assert (run / "checkpoints" / "step_00000099.pt.bad").exists()  # set aside, not deleted
    assert newest(run)["step"] == 10
    assert not marker.exists()


def test_truncated_random_and_foreign_files_are_refused_with_one_line(tmp_path):
    run = train(make_config(overrides=[*TINY_RUN, "train.steps=5"]), tmp_path / "r", quiet=True)
    data = (run / "checkpoints" / "step_00000005.pt").read_bytes()
    cases = {
        "truncated.pt": (data[: len(data) // 2], "truncated or corrupt"),
        "random.pt": (torch.randint(0, 256, (4096,), generator=torch.Generator().manual_seed(1), dtype=torch.uint8).numpy().tobytes(),
                      "corrupt"),
        "empty.pt": (b"", "corrupt"),
    }  # fmt: skip
    buf = io.BytesIO()
    torch.save(newest(run)["G"], buf)  # a plain state dict: loads safely, but is not a ganlab checkpoint
    cases["foreign.pt"] = (buf.getvalue(), "not a ganlab checkpoint")
    buf = io.BytesIO()
    torch.save({**newest(run), "schema": 99}, buf)
    cases["future.pt"] = (buf.getvalue(), "schema 99")
    for name, (content, needle) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(GanlabError) as err:
            load_checkpoint(path)
        assert needle in str(err.value) and "\n" not in str(err.value), (name, str(err.value))
    with pytest.raises(GanlabError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")


# --- a full disk ----------------------------------------------------------------------------------
def test_full_disk_while_writing_a_checkpoint(tmp_path, monkeypatch, capsys):
    """ENOSPC halfway through the step-10 checkpoint: one line, exit 2, step 5 intact and loadable,
    no temporary file left, and a resume ends exactly where an uninterrupted run does."""
    from ganlab import serial  # the atomic writer of every file ganlab writes

    def full_disk_open(path, mode="r", *args, **kwargs):
        f = open(path, mode, *args, **kwargs)
        if "step_00000010.pt.tmp" not in str(path):
            return f

        class Full:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                f.close()

            def write(self, data):
                f.write(data[: len(data) // 2])
                raise OSError(errno.ENOSPC, "No space left on device")

            def __getattr__(self, name):
                return getattr(f, name)

        return Full()

    over = [*TINY_RUN, "train.steps=20"]
    ref = train(make_config(overrides=over), tmp_path / "ref", quiet=True)
    out = tmp_path / "r"
    monkeypatch.setattr(serial, "open", full_disk_open, raising=False)
    assert main(["train", *over, "--out", str(out), "--quiet"]) == 2
    line = one_error_line(capsys)
    assert "step_00000010.pt: No space left on device" in line and "previous checkpoint is intact" in line
    monkeypatch.undo()
    assert [p.name for p in (out / "checkpoints").iterdir()] == ["step_00000005.pt"]
    assert load_checkpoint(out / "checkpoints" / "step_00000005.pt")["step"] == 5
    assert main(["train", "--resume", str(out), "--quiet"]) == 0
    assert_same_weights(newest(ref), newest(out))
