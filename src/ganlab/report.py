"""``ganlab report PATH``: one self-contained HTML page for a run folder or an experiment folder.

Everything is inside the file (images as base64 data URIs, no scripts, no external links to
load), so the page can be mailed, archived or opened offline. A run folder shows its config,
loss curves, metric curves from the log's evaluations, sample grids, final metrics and the
protocol behind each number (metrics.json "protocol"); an experiment folder shows its report
(README.md, rendered), its tables and figures, its result.json header, and the run folders
inside it; a folder of experiments (e.g. docs/results) shows each of them.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ganlab.errors import GanlabError
from ganlab.plots import Panel, Series, save_panels
from ganlab.serial import read_json, read_jsonl
from ganlab.train.folder import GroupFolder, RunFolder

CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;color:#222;background:#fff}
h1{border-bottom:3px solid #2a6db0;padding-bottom:.2em}h2{border-bottom:1px solid #ccc;margin-top:2em}
table{border-collapse:collapse;margin:1em 0;font-size:13px}th,td{border:1px solid #bbb;padding:3px 7px;text-align:left}
th{background:#e8eef6}tr:nth-child(even) td{background:#f7f7f7}pre{background:#f4f4f4;padding:.8em;overflow-x:auto;font-size:12px}
img{max-width:100%;border:1px solid #ddd;margin:.5em 0}code{background:#f0f0f0;padding:0 3px}
.meta{color:#555;font-size:13px}details{margin:.5em 0 1em 0}summary{cursor:pointer;font-weight:bold}
"""

_MAX_SAMPLE_GRIDS = 4  # intermediate sample grids shown per run (the first ones and the newest)


# --- small helpers ------------------------------------------------------------------------------
def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def data_uri(path: Path) -> str:
    """A PNG/JPEG/SVG file as a data URI."""
    kind = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}.get(path.suffix.lower())
    if kind is None:
        raise GanlabError(f"cannot embed {path}: not an image", "link PNG, JPEG or SVG figures")
    return f"data:{kind};base64," + base64.b64encode(_bytes(path)).decode("ascii")


def _img(path: Path, caption: str = "") -> str:
    if not path.is_file():
        return f"<p class=meta>(missing image {_esc(path.name)})</p>"
    cap = f"<figcaption class=meta>{_esc(caption)}</figcaption>" if caption else ""
    return f'<figure><img alt="{_esc(caption or path.name)}" src="{data_uri(path)}">{cap}</figure>'


def _bytes(path: Path) -> bytes:
    """A file's bytes; a file that cannot be read (a folder in its place, no permission) is a one-line error naming it."""
    try:
        return path.read_bytes()
    except OSError as err:
        raise GanlabError(f"cannot read {path}: {err.strerror or type(err).__name__}", "check the file, or remove it") from None


def _text(path: Path) -> str:
    """A text file for display; bytes that are not UTF-8 are shown replaced, never a crash."""
    return _bytes(path).decode("utf-8", errors="replace")


def _table(header: list[str], rows: Iterable[list[Any]]) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_esc(_num(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _num(v: Any) -> Any:
    if isinstance(v, float):
        return f"{v:.5g}"
    if v is None:
        return "null"
    return v


# --- markdown (the subset the experiments write) ------------------------------------------------
def _inline(text: str, base: Path) -> str:
    out = _esc(text)

    def image(m: re.Match) -> str:
        alt, src = html.unescape(m.group(1)), html.unescape(m.group(2))
        path = (base / src) if not src.startswith(("http:", "https:", "data:")) else None
        if path is not None and path.is_file():
            return f'<img alt="{_esc(alt)}" src="{data_uri(path)}">'
        return f"<span class=meta>[image {_esc(src)}]</span>"

    out = re.sub(r"!\[([^\]]*)\]\(([^)]+)\)", image, out)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)
    out = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"<em>\1</em>", out)
    out = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r'<a href="\2">\1</a>', out)
    return out


def _cells(line: str) -> list[str]:
    s = line.strip().strip("|")
    parts = re.split(r"(?<!\\)\|", s)
    return [p.strip().replace("\\|", "|") for p in parts]


def markdown_to_html(text: str, base: Path) -> str:
    """Headings, paragraphs, lists, tables, fenced code, images (embedded from ``base``), emphasis, code."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if line.startswith("```"):
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            out.append("<pre>" + _esc("\n".join(lines[i + 1 : j])) + "</pre>")
            i = j + 1
            continue
        m = re.match(r"^(#{1,6})\s+(.*)$", line)
        if m:
            level = min(len(m.group(1)) + 1, 6)  # the page's own title is the h1
            out.append(f"<h{level}>{_inline(m.group(2), base)}</h{level}>")
            i += 1
            continue
        if line.lstrip().startswith("|"):
            block = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                block.append(lines[i])
                i += 1
            rows = [r for r in (_cells(b) for b in block) if not all(re.fullmatch(r":?-{2,}:?", c) for c in r if c)]
            if rows:
                head = "".join(f"<th>{_inline(c, base)}</th>" for c in rows[0])
                body = "".join("<tr>" + "".join(f"<td>{_inline(c, base)}</td>" for c in r) + "</tr>" for r in rows[1:])
                out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
            continue
        if re.match(r"^\s*[-*] ", line):
            items = []
            while i < len(lines) and re.match(r"^\s*[-*] ", lines[i]):
                item = re.sub(r"^\s*[-*] ", "", lines[i])
                items.append(f"<li>{_inline(item, base)}</li>")
                i += 1
            out.append("<ul>" + "".join(items) + "</ul>")
            continue
        para = []
        while i < len(lines) and lines[i].strip() and not re.match(r"^(#{1,6}\s|\||```|\s*[-*] )", lines[i]):
            para.append(lines[i].strip())
            i += 1
        out.append("<p>" + _inline(" ".join(para), base) + "</p>")
    return "\n".join(out)


# --- run folders ---------------------------------------------------------------------------------
def _metric_curves(records: list[dict]) -> str:
    """Evaluations during training (log.jsonl "eval" events), one panel per value."""
    evals = [r for r in records if r.get("event") == "eval" and isinstance(r.get("values"), dict)]
    if not evals:
        return "<p class=meta>No evaluations during training (train.eval_every = 0).</p>"
    names = sorted({k for r in evals for k, v in r["values"].items() if isinstance(v, (int, float))})
    panels = []
    for name in names:
        pts = [(r["step"], r["values"][name]) for r in evals if isinstance(r["values"].get(name), (int, float))]
        panels.append(Panel([Series(None, [p[0] for p in pts], [p[1] for p in pts], style="o-")], name, "step"))
    png = save_panels(panels, None, cols=min(4, len(panels)), size=(3.2, 2.5))
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    split = evals[-1].get("split", "val")
    return f'<figure><img alt="metric curves" src="{uri}"><figcaption class=meta>Evaluations on the {_esc(split)} split, ' \
           f'{_esc(evals[-1].get("n", "?"))} generated samples each.</figcaption></figure>'  # fmt: skip


def _protocol(metrics: dict) -> str:
    proto = metrics.get("protocol") or {}
    if not proto:
        return "<p class=meta>No protocol recorded.</p>"
    top = [[k, json.dumps(v) if isinstance(v, (list, dict)) else v] for k, v in proto.items() if k != "metrics"]
    parts = [_table(["protocol", "value"], top)]
    per = proto.get("metrics") or {}
    if per:
        rows = []
        for name, p in per.items():
            feats = ", ".join(f"{k} ({str(v)[:12]}…)" for k, v in (p.get("features") or {}).items())
            options = json.dumps(p.get("options", {}))
            rows.append([name, p.get("n_generated", ""), p.get("n_real", ""), feats, options, p.get("seconds", "")])
        parts.append(_table(["metric", "n generated", "n real", "features (sha256)", "options", "seconds"], rows))
    return "".join(parts)


def render_run(folder: Path, level: int = 2) -> str:
    """The sections of a run folder."""
    h = f"h{level}"
    run = RunFolder(folder)
    parts = [f"<{h}>Run {_esc(folder.name)}</{h}>"]
    metrics: dict = {}
    if run.metrics.is_file():
        try:
            metrics = run.read_metrics() or {}
        except GanlabError:
            parts.append(f"<p class=meta>{_esc(run.metrics.name)} does not parse.</p>")
    records = read_jsonl(run.log)
    steps = [r["step"] for r in records if isinstance(r.get("step"), int)]
    parts.append(f"<p class=meta>Folder: {_esc(folder)} · last logged step: {max(steps) if steps else '—'} · "
                 f"metrics at step: {_esc(metrics.get('step', '—'))}</p>")  # fmt: skip
    if metrics.get("values"):
        vals = [[k, v] for k, v in metrics["values"].items()]
        parts.append(f"<h{level + 1}>Final metrics</h{level + 1}>" + _table(["metric", "value"], vals))
        parts.append(f"<h{level + 1}>Protocol of these numbers</h{level + 1}>" + _protocol(metrics))
    parts.append(f"<h{level + 1}>Losses</h{level + 1}>" + _img(run.losses, "named loss terms of each player (log.jsonl)"))
    parts.append(f"<h{level + 1}>Metrics during training</h{level + 1}>" + _metric_curves(records))
    parts.append(f"<h{level + 1}>Samples</h{level + 1}>" + _img(run.final_samples, "final samples (EMA generator when there is one)"))
    grids = run.sample_grids()
    if len(grids) > _MAX_SAMPLE_GRIDS:
        grids = grids[: _MAX_SAMPLE_GRIDS - 1] + grids[-1:]
    if grids:
        parts.append("<details><summary>Samples along training</summary>"
                     + "".join(_img(g, f"step {s}") for s, g in grids) + "</details>")  # fmt: skip
    if run.is_run():
        parts.append(f"<h{level + 1}>Config</h{level + 1}><pre>{_esc(_text(run.config))}</pre>")
    rollbacks = [r for r in records if r.get("event") == "rollback"]
    if rollbacks:
        parts.append(f"<h{level + 1}>Rollbacks</h{level + 1}>" + _table(["step", "diverged at", "term", "lr_d", "lr_g"],
                     [[r.get("step"), r.get("diverged_at"), r.get("term"), r.get("lr_d"), r.get("lr_g")] for r in rollbacks]))  # fmt: skip
    return "\n".join(parts)


# --- experiment folders --------------------------------------------------------------------------
def _run_folders(folder: Path) -> list[Path]:
    found = (RunFolder(p.parent) for p in folder.rglob("*.yaml"))
    return sorted(r.path for r in found if r.is_run() and r.log.is_file())


def render_experiment(folder: Path, level: int = 2) -> str:
    h = f"h{level}"
    parts = []
    result: dict = {}
    if (folder / "result.json").is_file():
        try:
            result = read_json(folder / "result.json")
        except GanlabError:
            result = {}
    readme = folder / "README.md"
    if readme.is_file():
        parts.append(markdown_to_html(_text(readme), folder))
    else:
        parts.append(f"<{h}>{_esc(folder.name)}</{h}>")
        for md in sorted(p for p in folder.glob("*.md") if p.is_file()):
            parts.append(markdown_to_html(_text(md), folder))
        for png in sorted(p for p in folder.glob("*.png") if p.is_file()):
            parts.append(_img(png, png.stem))
    if result:
        keep = {k: result[k] for k in ("experiment", "command", "quick", "seeds", "cpu_seconds", "wall_seconds", "ganlab_version",
                                       "torch", "python") if k in result}  # fmt: skip
        parts.append("<details><summary>Protocol (result.json)</summary>" + _table(["key", "value"], [[k, v] for k, v in keep.items()])
                     + "</details>")  # fmt: skip
    csvs = sorted(folder.glob("*.csv"))
    if csvs:
        parts.append("<p class=meta>Raw values: " + ", ".join(_esc(c.name) for c in csvs) + " (in the folder).</p>")
    runs = _run_folders(folder)
    if runs:
        parts.append(f"<details><summary>{len(runs)} run folder(s)</summary>"
                     + "".join(render_run(r, level + 1) for r in runs) + "</details>")  # fmt: skip
    return "\n".join(parts)


def render_group(folder: Path, level: int = 2) -> str:
    """A group of runs: the summary over runs, then each run."""
    group = GroupFolder(folder)
    h = f"h{level}"
    parts = [f"<{h}>Group {_esc(folder.name)}</{h}>"]
    if group.summary_md.is_file():
        parts.append(markdown_to_html(_text(group.summary_md), folder))
    else:
        parts.append("<p class=meta>No summary yet (the group has not finished).</p>")
    for run in group.runs():
        parts.append(f"<details><summary>{_esc(run.path.name)}</summary>" + render_run(run.path, level + 1) + "</details>")
    return "\n".join(parts)


def kind_of(folder: Path) -> str:
    """"group", "run", "experiment" or "collection" (a folder of experiments); a GanlabError otherwise."""
    if not folder.is_dir():
        raise GanlabError(f"{folder} is not a folder", "pass a run folder (from ganlab train) or an experiment folder")
    if GroupFolder(folder).is_group():
        return "group"
    if RunFolder(folder).is_run():
        return "run"
    if (folder / "result.json").is_file() or (folder / "README.md").is_file() or any(folder.glob("*.md")):
        return "experiment"
    if any(kind_is_experiment(p) for p in folder.iterdir() if p.is_dir()):
        return "collection"
    raise GanlabError(f"{folder} holds neither a run (config.yaml) nor an experiment (result.json, README.md)",
                      "pass the folder `ganlab train` or `ganlab experiment` wrote")  # fmt: skip


def kind_is_experiment(folder: Path) -> bool:
    return (folder / "result.json").is_file() or RunFolder(folder).is_run()


def render(path: str | Path) -> str:
    """The whole HTML page for a run folder, an experiment folder or a folder of experiments."""
    from ganlab.version import __version__

    folder = Path(path)
    kind = kind_of(folder)
    if kind == "group":
        body, title = render_group(folder), f"ganlab group {folder.name}"
    elif kind == "run":
        body, title = render_run(folder), f"ganlab run {folder.name}"
    elif kind == "experiment":
        body, title = render_experiment(folder), f"ganlab experiment {folder.name}"
    else:
        subs = sorted(p for p in folder.iterdir() if p.is_dir() and kind_is_experiment(p))
        toc = "<ul>" + "".join(f'<li><a href="#{_esc(p.name)}">{_esc(p.name)}</a></li>' for p in subs) + "</ul>"
        body = toc + "".join(f'<section id="{_esc(p.name)}">' + (render_run(p) if RunFolder(p).is_run()
                             else render_experiment(p)) + "</section>" for p in subs)  # fmt: skip
        title = f"ganlab: {folder.name}"  # "ganlab: results" for docs/results
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{_esc(title)}</title><style>{CSS}</style></head>"
            f"<body><h1>{_esc(title)}</h1><p class=meta>ganlab {_esc(__version__)} · {_esc(folder.resolve())}</p>\n{body}\n"
            "</body></html>\n")  # fmt: skip


def write_report(path: str | Path, out: str | Path | None = None) -> Path:
    """Render ``path`` and write the page (default ``PATH/report.html``)."""
    target = Path(out) if out is not None else Path(path) / "report.html"
    page = render(path)
    try:
        target.write_text(page, encoding="utf-8")
    except OSError as err:
        raise GanlabError(f"cannot write {target}: {err.strerror}", "choose a writable --out") from None
    return target
