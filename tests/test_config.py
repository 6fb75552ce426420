import pytest

from ganlab import GanlabError
from ganlab.config import Config, diff, make_config, parse_override, to_dict


def test_defaults_and_dotted_overrides():
    cfg = make_config(overrides=["train.lr_d=4e-4", "game.objective=hinge", "train.betas_d=[0, 0.9]", "train.ema=null"])
    assert cfg.train.lr_d == 4e-4 and isinstance(cfg.train.lr_d, float)
    assert cfg.game.objective == "hinge"
    assert cfg.train.betas_d == (0.0, 0.9)
    assert cfg.train.ema is None


def test_yaml_file_holds_overrides(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("train:\n  steps: 10\ngame:\n  penalties: [{name: r1, gamma: 1}]\n")
    cfg = make_config(p, ["train.steps=20"])
    assert cfg.train.steps == 20  # the command line wins over the file
    assert cfg.game.penalties == [{"name": "r1", "gamma": 1}]


@pytest.mark.parametrize(
    "override,needle",
    [
        ("train.lr_dd=1", 'unknown key "config.train.lr_dd" (did you mean "lr_d"?)'),
        ("trian.steps=1", 'unknown key "trian" (did you mean "train"?)'),
        ("train.steps=abc", "config.train.steps must be an integer"),
        ("train.steps=1.5", "config.train.steps must be an integer"),
        ("train.simultaneous=maybe", "must be true or false"),
        ("train.betas_d=[1, 2, 3]", "must have 2 entries"),
        ("train=3", "is a section, not a value"),
        ("train.lr_d=.nan", "finite"),
        ("nonsense", "cannot read override"),
    ],
)
def test_bad_overrides_are_one_line_errors(override, needle):
    with pytest.raises(GanlabError) as err:
        make_config(overrides=[override])
    assert needle in str(err.value)
    assert "\n" not in str(err.value)


def test_bad_yaml_file(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("train: [1, 2\n")
    with pytest.raises(GanlabError, match="not valid YAML"):
        make_config(p)
    with pytest.raises(GanlabError, match="does not exist"):
        make_config(tmp_path / "missing.yaml")
    p.write_text("- 1\n- 2\n")
    with pytest.raises(GanlabError, match="must hold a mapping"):
        make_config(p)


def test_parse_override_reads_scientific_notation():
    assert parse_override("a.b=1e-3") == (["a", "b"], 1e-3)
    assert parse_override("a.b=hello") == (["a", "b"], "hello")


def test_diff_names_changed_keys():
    a = to_dict(Config())
    b = to_dict(make_config(overrides=["train.lr_g=1e-3", "game.objective=least_squares", "game.params.a=1"]))
    assert diff(a, b) == ["game.objective", "game.params", "train.lr_g"]
