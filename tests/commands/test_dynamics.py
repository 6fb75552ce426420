"""The ``dynamics`` subcommand, through a tiny argparse (cli.py wires it for real)."""

from __future__ import annotations

import argparse
import json

import pytest

from ganlab.commands.dynamics import add_parser, parse_named
from ganlab.errors import GanlabError


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["dynamics", *argv])
    return args.func(args)


def test_parse_named() -> None:
    assert parse_named("r1", "penalty") == "r1"
    assert parse_named("gp:center=0,lam=1", "penalty") == {"name": "gp", "center": 0, "lam": 1}
    assert parse_named("gp:center=0:lam=2.5", "penalty") == {"name": "gp", "center": 0, "lam": 2.5}
    with pytest.raises(GanlabError):
        parse_named("gp:center", "penalty")


def test_single_run_json_and_files(tmp_path, capsys) -> None:
    code = _run(["--objective", "non_saturating", "--penalty", "r1:gamma=1", "--method", "alternating",
                 "--lr", "0.2", "--steps", "400", "--json", "--out", str(tmp_path)])
    assert code == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["verdict"] == "converges" and rec["penalties"] == [{"name": "r1", "gamma": 1}]
    assert {"objective", "method", "final_theta_norm", "final_ema_theta_norm", "eigenvalues"} <= set(rec)
    assert (tmp_path / "portrait.png").exists() and (tmp_path / "result.json").exists()


def test_ttur_and_n_critic_run(capsys) -> None:
    assert _run(["--objective", "wasserstein", "--constraint", "clip:c=0.5", "--method", "simultaneous",
                 "--lr-d", "0.1", "--lr-g", "0.05", "--lr", "0.05", "--n-critic", "3", "--steps", "200"]) == 0
    assert "wasserstein + clip" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [[], ["--objective", "nonsaturating"], ["--objective", "hinge", "--penalty", "r1:gamma"],
                                  ["--objective", "hinge", "--steps", "3"], ["--table", "--objective", "hinge"]])
def test_bad_input_is_a_ganlab_error(argv: list[str]) -> None:
    with pytest.raises(GanlabError):
        _run(argv)
