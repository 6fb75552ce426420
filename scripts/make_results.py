"""Build docs/RESULTS.md from the experiments' own outputs in docs/results/NAME/.

Every number in RESULTS.md comes from a README.md that ``ganlab experiment NAME --out
docs/results/NAME`` wrote; this script only concatenates them (fixing relative image links
and heading levels) and lists each experiment's verdict line at the top. Regenerate with:

    python scripts/make_results.py
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "results"

from ganlab.experiments import EXPERIMENTS  # noqa: E402  (after ROOT: the script runs from a checkout)

# each experiment declares its place (``@experiment(..., order=N)``)
ORDER = tuple(name for name, _ in sorted(EXPERIMENTS.items(), key=lambda item: (item[1].order, item[0])))

HEADER = """# Results: the source texts' claims, reproduced

Each section below is the README.md that `ganlab experiment NAME --out docs/results/NAME` wrote
(tables, figures, CSVs and result.json sit beside it in docs/results/NAME/). Nothing here is typed
by hand: rerun the command printed in a section, then `python scripts/make_results.py`. CPU times
were measured on a 2-core machine shared with other jobs, one torch thread per process; an
experiment that trains many groups runs two worker processes side by side, and its CPU time counts
them (wall times compare with CPU times only with that in mind). `ganlab report docs/results` renders all
of it as one self-contained HTML page.
"""


def section(name: str) -> str | None:
    readme = RESULTS / name / "README.md"
    if not readme.is_file():
        return None
    text = readme.read_text()
    # figures and links are relative to the experiment folder; RESULTS.md sits in docs/
    text = re.sub(r"\]\((?!https?:|#|/)([^)]+)\)", lambda m: f"](results/{name}/{m.group(1)})", text)
    return text.strip()


def verdicts(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.startswith("**Verdict")]


def modes_summary() -> list[str]:
    """A summary line per mixture for the mode benchmark, computed from its result.json."""
    path = RESULTS / "modes" / "result.json"
    if not path.is_file():
        return []
    result = json.loads(path.read_text())
    steps = result.get("steps", {})
    out = []
    for table, what in (("modes", "declared settings"), ("modes_tuned", "tuned on validation seeds")):
        rows = result["tables"].get(table, [])
        for data, k in (("ring8", 8), ("grid25", 25)):
            rs = [r for r in rows if r["data"] == data and r["modes"]["mean"] is not None]
            if not rs:
                continue
            best = max(rs, key=lambda r: (r["modes"]["mean"], r["hq"]["mean"] or 0))
            full = [r["objective"] for r in rs if r["modes"]["mean"] >= k - 0.5]
            top = max(rs, key=lambda r: r["hq"]["mean"] or 0)
            out.append(f"- `modes`: {data} at {steps.get(data, '?'):,} steps, {result['seeds']} seeds, {what}: {len(full)} of {len(rs)} "
                       f"objectives cover ≥ {k - 0.5} of {k} modes on average; most modes: {best['objective']} "
                       f"({best['modes']['mean']:.1f}); best % HQ {top['hq']['mean']:.1f} ({top['objective']}); the published rows "
                       "(VEEGAN, PacGAN Table 1) sit beside the table in its section.")  # fmt: skip
    return out


def main() -> int:
    parts, summary, missing = [], [], []
    names = list(ORDER) + sorted(p.name for p in RESULTS.iterdir() if p.is_dir() and p.name not in ORDER) if RESULTS.is_dir() else []
    for name in names:
        text = section(name)
        if text is None:
            missing.append(name)
            continue
        parts.append(text)
        for v in verdicts(text):
            summary.append(f"- `{name}`: {v}")
        if name == "modes":
            summary += modes_summary()
        if name == "dirac":
            rows = [ln for ln in text.splitlines() if ln.startswith("|") and ln.rstrip().endswith("✗ |")]
            for row in rows:
                cells = [c.strip() for c in row.strip("|").split("|")]
                summary.append(f"- `dirac`: **disagrees** with seed 004 on “{cells[0]}”: ours {cells[1]} (seed 004: {cells[5]})")
            agreed = [ln for ln in text.splitlines() if ln.startswith("|") and ln.rstrip().endswith("✓ |")]
            if agreed and not rows:
                summary.append(f"- `dirac`: **agrees** with seed 004 on all {len(agreed)} cases of its table (summary below; "
                               "slow convergence read from the decay of the swing, checked over a decade of time)")
    out = [HEADER.strip(), "## Verdicts at a glance\n\n" + "\n".join(summary or ["(no experiment results yet)"])]
    if missing:
        out.append(f"Not run yet at full size: {', '.join(missing)}.")
    out += parts
    (ROOT / "docs" / "RESULTS.md").write_text("\n\n".join(out) + "\n")
    print(f"wrote docs/RESULTS.md ({len(parts)} experiments, missing: {', '.join(missing) or 'none'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
