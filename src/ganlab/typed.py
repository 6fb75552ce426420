"""Strict typed dataclasses from plain values: configs, objectives, penalties, metric options.

One mechanism builds every component that a user parametrises by name and values, so that a
config section, an objective's hyper-parameters, a penalty and a metric's options are checked
the same way: an unknown key or a wrong type is a one-line ``GanlabError`` naming the key and
the closest valid one. What a field may hold lives *next to the field*, as metadata::

    steps: int = field(8000, low=1, resumable=True)  # generator updates
    precision: str = field("fp32", choices=("fp32", "bf16", "fp16"), resumable=True)

``build`` checks those bounds and choices after construction (and a ``ValueError`` raised by
the class itself becomes a ``GanlabError`` too); ``resumable_keys`` and ``bounds_of`` read the
metadata back for the resume check and the tests. Nothing is executed or imported by name.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ganlab.errors import GanlabError
from ganlab.registry import did_you_mean

_KEY = "ganlab"  # metadata namespace


@dataclasses.dataclass(frozen=True)
class Bounds:
    """The interval a number (or every number of a tuple) must lie in; None: unbounded."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def holds(self, value: float) -> bool:
        above = self.low is None or (value > self.low if self.low_open else value >= self.low)
        below = self.high is None or (value < self.high if self.high_open else value <= self.high)
        return above and below

    def __str__(self) -> str:
        if self.high is None:
            return "positive" if self.low == 0 and self.low_open else f"at least {self.low}"
        if self.low is None:
            return f"at most {self.high}"
        return f"in {'(' if self.low_open else '['}{self.low}, {self.high}{')' if self.high_open else ']'}"


@dataclasses.dataclass(frozen=True)
class Spec:
    """What a field may hold: bounds for numbers, a set of names, and whether a run may resume
    with a changed value (it changes how long or how loudly a run goes, not what it computes)."""

    bounds: Bounds | None = None
    choices: tuple[str, ...] | Callable[[], Sequence[str]] | None = None
    resumable: bool = False

    def names(self) -> list[str]:
        c = self.choices
        return list(c() if callable(c) else c or ())


def field(
    default: Any = dataclasses.MISSING,
    *,
    default_factory: Any = dataclasses.MISSING,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    choices: tuple[str, ...] | Callable[[], Sequence[str]] | None = None,
    resumable: bool = False,
) -> Any:
    """A dataclass field with its valid values beside it (see the module docstring)."""
    has_bounds = low is not None or high is not None
    spec = Spec(Bounds(low, high, low_open, high_open) if has_bounds else None, choices, resumable)
    return dataclasses.field(default=default, default_factory=default_factory, metadata={_KEY: spec})


def spec_of(f: dataclasses.Field) -> Spec:
    return f.metadata.get(_KEY, Spec())


def type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def short(value: Any, limit: int = 80) -> str:
    """repr of a value, cut to ``limit`` characters: an error message must stay one short line."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def coerce(value: Any, tp: Any, where: str) -> Any:
    """Check ``value`` against the annotation ``tp``; return it converted (int → float, list → tuple)."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return coerce(value, arg, where)
            except GanlabError as err:
                errors.append(err)
        raise errors[0] if errors else GanlabError(f"{where} must not be null")
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, Mapping):
            raise GanlabError(f"{where} must be a mapping of keys, got {short(value)}", f"write it as {where}.KEY=VALUE")
        return build(tp, value, where)
    if tp is Any:
        return value
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise GanlabError(f"{where} must be true or false, got {short(value)}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise GanlabError(f"{where} must be an integer, got {short(value)}")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise GanlabError(f"{where} must be a finite number, got {short(value)}")
            return float(value)
        raise GanlabError(f"{where} must be a number, got {short(value)}")
    if tp is str:
        if isinstance(value, str):
            return value
        raise GanlabError(f"{where} must be a string, got {short(value)}")
    if origin is tuple:
        if not isinstance(value, Sequence) or isinstance(value, str):
            raise GanlabError(f"{where} must be a list, got {short(value)}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(coerce(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
        if len(value) != len(args):
            raise GanlabError(f"{where} must have {len(args)} entries, got {short(value)}")
        return tuple(coerce(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(value, args)))
    if tp is list or origin is list:
        if not isinstance(value, Sequence) or isinstance(value, str):
            raise GanlabError(f"{where} must be a list, got {short(value)}")
        return [coerce(v, args[0], f"{where}[{i}]") for i, v in enumerate(value)] if args else list(value)
    if tp is dict or origin is dict:
        if not isinstance(value, Mapping):
            raise GanlabError(f"{where} must be a mapping, got {short(value)}")
        return dict(value)
    raise TypeError(f"config type {type_name(tp)} at {where} is not supported")


def check(obj: Any, where: str) -> None:
    """Check every field of dataclass ``obj`` against its metadata (bounds, choices); a field
    left at None ("not applicable") is not checked. Nested dataclasses are checked by ``build``."""
    for f in dataclasses.fields(obj):
        spec = spec_of(f)
        value = getattr(obj, f.name)
        if value is None:
            continue
        key = f"{where}.{f.name}".removeprefix("config.")  # values are named as they are typed: train.lr_d
        if spec.bounds is not None:
            items = value if isinstance(value, tuple) else (value,)
            for i, v in enumerate(items):
                if isinstance(v, (int, float)) and not isinstance(v, bool) and not spec.bounds.holds(v):
                    at = f"{key}[{i}]" if isinstance(value, tuple) else key
                    raise GanlabError(f"{at} must be {spec.bounds}, got {short(v)}", f"set {at} to a value {spec.bounds}")
        if spec.choices is not None and isinstance(value, str):
            names = spec.names()
            if value not in names:
                raise GanlabError(f'unknown {key} "{short(value, 40)[1:-1]}"{did_you_mean(value, names)}',
                                  f"choose one of: {', '.join(names)}")  # fmt: skip


def build(cls: type, values: Mapping[str, Any] | None, where: str) -> Any:
    """Instantiate dataclass ``cls`` from ``values`` strictly: unknown keys and wrong types are
    one-line errors naming ``where.key``; values outside a field's bounds or choices too, and a
    ValueError raised by the class becomes one."""
    if values is not None and not isinstance(values, Mapping):
        raise GanlabError(f"{where} must be a mapping of keys, got {short(values)}", f"write it as {where}.KEY=VALUE")
    values = dict(values or {})
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for key, value in values.items():
        if key not in fields:
            raise GanlabError(
                f'unknown key "{where}.{short(key, 40).strip(chr(39))}"{did_you_mean(str(key), list(fields))}',
                f"valid keys of {where}: {', '.join(fields) or '(none)'}",
            )
        kwargs[key] = coerce(value, hints[key], f"{where}.{key}")
    try:
        obj = cls(**kwargs)
    except (ValueError, TypeError) as err:
        raise GanlabError(f"invalid {where}: {err}") from None
    check(obj, where)
    return obj


def resumable_keys(cls: type, prefix: str = "") -> set[str]:
    """Dotted names of the fields (of nested dataclasses too) marked ``resumable``."""
    out: set[str] = set()
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        name = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(hints[f.name]):
            out |= resumable_keys(hints[f.name], name + ".")
        elif spec_of(f).resumable:
            out.add(name)
    return out


def specs_of(cls: type, prefix: str = "") -> dict[str, Spec]:
    """Dotted name → Spec of every field of ``cls`` and of its nested dataclasses."""
    out: dict[str, Spec] = {}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        name = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(hints[f.name]):
            out.update(specs_of(hints[f.name], name + "."))
        else:
            out[name] = spec_of(f)
    return out
