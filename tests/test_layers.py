"""The package's layers are a rule that is checked, not remembered.

Every ``import`` in src/ganlab (at module level or inside functions) is parsed; each module
belongs to the layer of its top-level part (``ganlab.train.hooks`` → ``train``), and the layer
order is the table in ``ganlab/__init__.py``'s docstring. A module may import its own package
and the layers strictly below it — nothing above, nothing beside — and the module graph has
no cycle.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import ganlab

SRC = Path(ganlab.__file__).parent


def layer_table() -> dict[str, int]:
    """Top-level part → layer index, read from the package docstring's table (lowest first)."""
    doc = ganlab.__doc__ or ""
    rows = [line for line in doc.splitlines() if re.match(r"^ {4}\S", line)]
    table: dict[str, int] = {}
    for i, row in enumerate(rows):
        names = row.strip().split("  ")[0].split()
        for name in names:
            table[name] = i
    return table


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def is_module(name: str) -> bool:
    base = SRC.parent.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imports_of(path: Path) -> set[str]:
    """The ganlab modules ``path`` imports (``from pkg import mod`` counts as ``pkg.mod``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "ganlab"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "ganlab" and node.level == 0:
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                out.add(sub if is_module(sub) else node.module)
    return out


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in SRC.rglob("*.py")}


def part_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_layer_table_names_every_part():
    table = layer_table()
    parts = {part_of(m) for m in graph()}
    assert parts <= set(table), f"parts without a layer in ganlab/__init__.py: {sorted(parts - set(table))}"
    assert table["errors"] < table["game"] < table["metrics"] < table["config"] < table["train"] < table["api"] < table["commands"]


def test_no_import_against_the_layer_order():
    table = layer_table()
    bad = []
    for mod, deps in graph().items():
        for dep in deps:
            a, b = part_of(mod), part_of(dep)
            if a != b and table[b] >= table[a]:
                bad.append(f"{mod} → {dep} ({a} is layer {table[a]}, {b} is layer {table[b]})")
    assert not bad, "imports against the layer order:\n" + "\n".join(sorted(bad))


def test_no_import_cycle():
    g = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in g.get(v, ()):
            if w not in g:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in g.get(v, ()):
                cycles.append(sorted(comp))

    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for v in g:
            if v not in index:
                visit(v)
    finally:
        sys.setrecursionlimit(limit)
    assert not cycles, "import cycles: " + "; ".join(" ↔ ".join(c) for c in cycles)


def test_the_checker_sees_a_planted_violation(tmp_path):
    """The rule can fail: an upward import in a parsed file is reported."""
    planted = tmp_path / "planted.py"
    planted.write_text("from ganlab.api import train\nimport ganlab.train.hooks\n")
    assert imports_of(planted) == {"ganlab.api", "ganlab.train.hooks"}
    table = layer_table()
    assert table[part_of("ganlab.api")] > table[part_of("ganlab.game.batch")]
