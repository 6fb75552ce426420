"""Build a Game from names and plain values (configs, the CLI), strictly checked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ganlab.errors import GanlabError
from ganlab.game.constraints import CONSTRAINTS
from ganlab.game.game import Game
from ganlab.game.objective import OBJECTIVES
from ganlab.game.penalties import PENALTIES
from ganlab.registry import Registry
from ganlab.typed import build, short


def _named(registry: Registry, entry: Any, where: str) -> Any:
    """``"r1"`` or ``{"name": "r1", "gamma": 1}`` → the registered class built with those values."""
    if isinstance(entry, str):
        name, params = entry, {}
    elif isinstance(entry, Mapping) and "name" in entry:
        params = dict(entry)
        name = params.pop("name")
    else:
        raise GanlabError(
            f"{where} must be a name or a mapping with a name, got {short(entry)}", f"write e.g. {{name: {registry.names()[0]}}}"
        )
    return build(registry.get(str(name)), params, f"{where}({name})")


def make_game(
    objective: str,
    params: Mapping[str, Any] | None = None,
    penalties: Sequence[Any] = (),
    constraints: Sequence[Any] = (),
) -> Game:
    """A Game from registry names: ``make_game("wasserstein", penalties=[{"name": "gp", "lam": 10}])``."""
    if not isinstance(objective, str):
        raise GanlabError(f"game.objective must be a name, got {short(objective)}", f"choose one of: {', '.join(OBJECTIVES.names())}")
    if not isinstance(penalties, (list, tuple)) or not isinstance(constraints, (list, tuple)):
        raise GanlabError("game.penalties and game.constraints must be lists", "write e.g. game.penalties=[{name: r1, gamma: 1}]")
    obj = build(OBJECTIVES.get(objective), params or {}, f"game.params({objective})")
    pens = [_named(PENALTIES, p, f"game.penalties[{i}]") for i, p in enumerate(penalties)]
    cons = [_named(CONSTRAINTS, c, f"game.constraints[{i}]") for i, c in enumerate(constraints)]
    return Game(obj, pens, cons)
