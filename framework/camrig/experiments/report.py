"""An experiment's table (CSV and Parquet), its plots (matplotlib) and an HTML page linking them."""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..output import write_atomically
from .experiment import Experiment

__all__ = ["RESERVED", "REPORT_THUMBNAIL_PX", "rows", "write_table", "plots", "thumbnails", "write_report"]

REPORT_THUMBNAIL_PX = 160
"""Longest side of the thumbnail of each sweep point's result (its first repeat) in the report, pixels."""

RESERVED = ("run", "point", "repeat", "seed", "status", "error", "compute_s")
"""Table columns every row has, before the swept parameters and the measured values."""


def rows(experiment: Experiment, records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Table rows: the reserved columns, one column per swept path, one per measured value."""
    paths = experiment.section.sweep.paths()
    out = []
    for r in records:
        row: dict[str, Any] = {"run": r["run"], "point": r["point"], "repeat": r["repeat"], "seed": r["seed"],
                               "status": r["status"], "error": r["error"], "compute_s": r.get("compute_s")}  # fmt: skip
        row.update({p: _cell(r["params"].get(p)) for p in paths})
        row.update(r["values"])
        out.append(row)
    return out


def _cell(value: Any) -> Any:
    """A table cell: numbers and text as they are, anything else (a part mapping, a list) as JSON text."""
    return value if isinstance(value, (int, float, str, bool)) or value is None else json.dumps(value, sort_keys=True)


def write_table(experiment: Experiment, records: list[dict[str, Any]], out: Path) -> None:
    """``results.csv`` (always) and ``results.parquet`` (with pyarrow), one row per run in run order."""
    table = rows(experiment, records)
    columns = list(dict.fromkeys(k for row in table for k in row))

    def write_csv(tmp: Path) -> None:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            writer.writerows(table)

    write_atomically(out / "results.csv", write_csv, force=True)
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # CSV is the table; Parquet is a convenience
        return
    data = {c: [row.get(c) for row in table] for c in columns}
    write_atomically(out / "results.parquet", lambda tmp: pq.write_table(pa.table(data), tmp), force=True)


def _numeric(values: list[Any]) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values)


def plots(experiment: Experiment, records: list[dict[str, Any]], out: Path) -> list[Path]:
    """One figure per measured value against the first numeric swept path (mean and spread over repeats; one
    line per value of the other paths), and one per curve (one line per point, first repeat)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = [r for r in rows(experiment, records) if r["status"] == "ok"]
    folder = out / "plots"
    folder.mkdir(exist_ok=True)
    written = []
    paths = experiment.section.sweep.paths()
    x_path = next((p for p in paths if _numeric([r[p] for r in table])), None) if table else None
    metrics = [k for k in (table[0] if table else {}) if k not in RESERVED and k not in paths]
    for metric in metrics:
        values = [r.get(metric) for r in table]
        if x_path is None or not _numeric(values) or len(set(values)) < 2:
            continue  # a value that does not change says nothing as a plot (it is in the table)
        fig, ax = plt.subplots(figsize=(6, 4))
        groups: dict[str, dict[float, list[float]]] = defaultdict(lambda: defaultdict(list))
        for r in table:
            label = ", ".join(f"{p}={r[p]}" for p in paths if p != x_path)
            groups[label][r[x_path]].append(r[metric])
        for label, by_x in groups.items():
            xs = sorted(by_x)
            means = [sum(by_x[x]) / len(by_x[x]) for x in xs]
            spread = [max(by_x[x]) - min(by_x[x]) for x in xs]
            ax.errorbar(xs, means, yerr=[s / 2 for s in spread], marker="o", capsize=3, label=label or None)
        ax.set_xlabel(x_path)
        ax.set_ylabel(metric)
        ax.set_title(f"{experiment.name}: {metric}")
        if any(groups):
            ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
        written.append(_save(fig, folder / f"{metric}.png"))
        plt.close(fig)
    curves: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for r in records:
        if r["status"] == "ok" and r["repeat"] == 0:
            label = ", ".join(f"{p}={r['params'].get(p)}" for p in paths) or r["run"]
            for name, curve in r["curves"].items():
                curves[name].append((label, curve))
    for name, lines in curves.items():
        fig, ax = plt.subplots(figsize=(6, 4))
        for label, curve in lines[:12]:
            ax.plot(curve["x"], curve["y"], label=label)
        ax.set_xlabel(lines[0][1]["x_label"])
        ax.set_ylabel(lines[0][1]["y_label"])
        ax.set_title(f"{experiment.name}: {name}")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
        written.append(_save(fig, folder / f"curve_{name.replace(':', '_')}.png"))
        plt.close(fig)
    return written


def _save(fig: Any, path: Path) -> Path:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return _write_bytes(path, buffer.getvalue())


def _write_bytes(path: Path, data: bytes) -> Path:
    def write(tmp: Path) -> None:
        tmp.write_bytes(data)

    return write_atomically(path, write, force=True)


def thumbnails(experiment: Experiment, records: list[dict[str, Any]], out: Path) -> list[tuple[Path, str]]:
    """``thumbnails/run-NNNNN.png``: the result of each sweep point's first repeat as the worker box-filtered it
    (:mod:`camrig.display`), with a caption naming the point's parameters."""
    paths = experiment.section.sweep.paths()
    written = []
    for r in records:
        data = r.get("thumbnail_png")
        if r["status"] != "ok" or not isinstance(data, str):
            continue
        try:
            png = base64.b64decode(data, validate=True)
        except ValueError:  # a record edited by hand: no picture, the table still stands
            continue
        (out / "thumbnails").mkdir(exist_ok=True)
        caption = ", ".join(f"{p}={_cell(r['params'].get(p))}" for p in paths) or r["run"]
        written.append((_write_bytes(out / "thumbnails" / f"{r['run']}.png", png), caption))
    return written


_THUMBNAIL_NOTE = (
    f"The output of each point's first repeat, the mean of k x k pixel blocks (at most {REPORT_THUMBNAIL_PX} px), "
    "display-referred output as it is; other formats scaled to their 99.5th percentile and sRGB-encoded."
)


def write_report(experiment: Experiment, records: list[dict[str, Any]], out: Path) -> Path:
    """``report.html``: the table, failed runs with their reasons, every plot and a thumbnail of each sweep
    point's result."""
    figures = plots(experiment, records, out)
    looks = thumbnails(experiment, records, out)
    table = rows(experiment, records)
    columns = list(dict.fromkeys(k for row in table for k in row if k != "error"))

    def cell(v: Any) -> str:
        return f"{v:.4g}" if isinstance(v, float) else html.escape(str(v))

    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{cell(r.get(c, ''))}</td>" for c in columns) + "</tr>" for r in table)
    failed = [r for r in table if r["status"] != "ok"]
    errors = "".join(f"<li>{html.escape(r['error'])}</li>" for r in failed)
    images = "".join(f'<figure><img src="plots/{p.name}" alt="{html.escape(p.stem)}"></figure>' for p in figures)
    points = "".join(
        f'<figure><img src="thumbnails/{p.name}" alt="{html.escape(p.stem)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        for p, caption in looks
    )
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{html.escape(experiment.name)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;font-size:12px}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}
figure{{display:inline-block;margin:0.5em;vertical-align:top}}figcaption{{font-size:11px;max-width:200px}}
</style></head>
<body><h1>{html.escape(experiment.name)}</h1>
<p>{len(table)} runs, {len(failed)} failed.
Data: <a href="results.csv">results.csv</a>, <a href="results.parquet">results.parquet</a>;
what produced them: <a href="experiment.json">experiment.json</a>, <a href="environment.json">environment.json</a>.</p>
{f"<h2>Failed runs</h2><ul>{errors}</ul>" if failed else ""}
<h2>Plots</h2>{images}
{f"<h2>Results at each point</h2><p>{_THUMBNAIL_NOTE}</p>{points}" if looks else ""}
<h2>Results</h2><table><tr>{head}</tr>{body}</table>
</body></html>
"""
    return _write_bytes(out / "report.html", page.encode("utf-8"))
