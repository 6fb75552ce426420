"""The `ganlab eval` command: metrics of a loaded run, printed and saved as JSON."""

import argparse
import json
import types

from tests.helpers import MLPImages


def test_eval_command(digits, monkeypatch, tmp_path, capsys):
    from ganlab.commands import eval as command

    loaded = types.SimpleNamespace(G=MLPImages(), G_ema=MLPImages(seed=1), D=None, dataset=digits, config=None)
    monkeypatch.setattr("ganlab.api.load_run", lambda path: loaded)
    parser = argparse.ArgumentParser()
    command.add_parser(parser.add_subparsers(dest="command"))
    out = tmp_path / "eval.json"
    args = parser.parse_args(["eval", "RUN", "--metrics", "fid", "kid", "--n", "300", "--out", str(out)])
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    assert "fid" in printed and "digits test split: 360 real, 300 generated" in printed
    saved = json.loads(out.read_text())
    assert saved["protocol"]["n_generated"] == 300 and "kid_mean" in saved["values"]
