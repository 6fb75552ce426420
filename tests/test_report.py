"""``ganlab report``: one self-contained HTML page per run or experiment folder, checked as
text and, when Chromium is installed, as pixels of a headless screenshot."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from ganlab.api import train
from ganlab.cli import main
from ganlab.config import make_config
from ganlab.errors import GanlabError
from ganlab.report import render, write_report

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real, tiny run: 20 steps on ring8 with evaluations, samples and checkpoints."""
    cfg = make_config(overrides=[
        "data.name=ring8", "data.n_points=2000", "model.z_dim=2", "train.steps=20", "train.batch_size=64",
        "train.eval_every=10", "train.checkpoint_every=10", "train.eval_n=200", "train.sample_every=10",
        "train.log_every=5", "train.progress=false",
    ])  # fmt: skip
    return train(cfg, tmp_path_factory.mktemp("run") / "r", quiet=True)


def test_run_page_has_every_section(run_folder: Path) -> None:
    page = render(run_folder)
    for section in ("Final metrics", "Protocol of these numbers", "Losses", "Metrics during training", "Samples", "Config"):
        assert f">{section}<" in page, section
    # losses.png, the metric curves, samples.png and the grids along training are all embedded
    assert page.count('src="data:image/png;base64,') >= 4
    assert not re.search(r'(src|href)="(https?:|file:|/)', page), "the page must not load anything from outside"
    assert "game:" in page and "objective: non_saturating" in page  # the config
    assert "mode_coverage" in page and "n generated" in page  # per-metric protocol


def test_cli_writes_report(run_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    assert main(["report", str(run_folder), "--out", str(out)]) == 0
    assert out.read_text().startswith("<!DOCTYPE html>")


def test_not_a_run_is_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(GanlabError, match="neither a run"):
        render(tmp_path)
    assert main(["report", str(tmp_path / "missing")]) == 2


def test_markdown_tables_and_images_are_rendered(tmp_path: Path) -> None:
    import torch

    from ganlab.plots import save_scatter

    save_scatter(torch.randn(50, 2), tmp_path / "fig.png")
    (tmp_path / "README.md").write_text("## Title\n\nSome **bold** and `code`.\n\n| a | b \\| c |\n|---|---|\n| 1 | 2 |\n\n"
                                        "![a figure](fig.png)\n\n- item one\n- item two\n")  # fmt: skip
    page = render(tmp_path)
    assert "<h3>Title</h3>" in page and "<strong>bold</strong>" in page and "<code>code</code>" in page
    assert "<th>b | c</th>" in page and "<td>2</td>" in page and "---" not in page.split("<body>")[1]
    assert 'alt="a figure" src="data:image/png;base64,' in page and "<li>item two</li>" in page


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium); .ci/run installs it")
def test_page_renders_in_headless_chromium(run_folder: Path, tmp_path: Path) -> None:
    from PIL import Image

    page = write_report(run_folder, tmp_path / "report.html")
    shot = tmp_path / "shot.png"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,1600",
           page.resolve().as_uri()]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert shot.is_file(), f"no screenshot; chromium said: {proc.stderr[-500:]}"
    img = np.asarray(Image.open(shot).convert("L"), dtype=np.float64)
    assert img.shape == (1600, 1200)
    non_white = (img < 235).mean()
    # a blank page is all white (variance 0); ours has a title bar, tables, plots and text
    assert non_white > 0.03, f"only {non_white:.3%} of the screenshot is not white"
    assert img.std() > 15, f"pixel std {img.std():.1f}: the screenshot looks blank"
    # the top of the page holds the title and its rule: dark pixels within the first 150 rows
    assert (img[:150] < 100).mean() > 0.005
