"""``camrig audit``: read a claims file, assess each claim with the claim kind that answers it, report.

A claims file is read by the same bounded loader as rig files (size, nesting and alias limits; YAML or
TOML), and its rig (a path relative to the claims file's folder, or an inline rig mapping) is validated as a
rig file. The rig is assembled without stopping at fit errors (a claim of 30 fps on a link too slow for it is
exactly what an audit reports), and each claim goes to its kind:

* a quantity no loaded plugin provides, a unit the kind does not use, a condition it cannot set, or a rig it
  cannot read (``Untestable``) gives **cannot be tested**, with the reason, never an error;
* otherwise the kind's value is compared with the claim: **holds** or **fails**, with the physical bound and
  what would make a failing claim hold.

A claims file that is not one (no ``rig``, an ``op`` other than ``>=``/``<=``, a value that is not a number)
is a :class:`ConfigError` naming the file, the dotted path and (YAML) the line.
"""

from __future__ import annotations

import difflib
import html
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .api import host_for
from .checked import CheckedModel
from .claims import (
    Claim,
    ClaimKind,
    Finding,
    MeasurementTask,
    Plot,
    Untestable,
    Verdict,
    conditions_problem,
    finding,
    untestable,
)
from .config import (
    RigFile,
    Source,
    format_validation_error,
    load_rig_file,
    read_config,
    rig_file_from_dict,
)
from .errors import ConfigError
from .host import Host
from .output import write_atomically
from .rig import assemble

if TYPE_CHECKING:
    from .experiments.runner import Executor

__all__ = [
    "AuditReport",
    "ClaimsFile",
    "load_claims",
    "resolve_kind",
    "plot_name",
    "run_audit",
    "write_plots",
    "write_report",
]


class _ClaimsModel(CheckedModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(
        default=None,
        description="Name of the product the claims are about; default: the rig's name.",
    )
    rig: str | dict[str, Any] = Field(
        description="A rig file (path relative to the claims file's folder) or an inline rig file mapping (rig, "
        "capture, plugins)."
    )
    claims: list[Claim] = Field(min_length=1, description="The claims to hold against the rig.")


@dataclass(frozen=True)
class ClaimsFile:
    """A validated claims file: its rig file and its claims."""

    name: str
    rig: RigFile
    claims: tuple[Claim, ...]
    source: Source


class AuditReport(BaseModel):
    """The verdicts on every claim of a claims file: what ``camrig audit`` prints and writes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="The product audited.")
    claims_file: str = Field(description="The claims file read.")
    rig: str = Field(description="The rig file the claims were held against.")
    fit_problems: list[str] = Field(
        default_factory=list,
        description="The rig's fit errors and warnings (an audit runs regardless).",
    )
    findings: list[Finding] = Field(description="One finding per claim, in the file's order.")

    @property
    def failed(self) -> list[Finding]:
        return [f for f in self.findings if f.verdict is Verdict.FAILS]

    def render(self) -> str:
        """The verdict table, as plain text."""
        lines = [f"audit of {self.name} ({self.claims_file}; rig {self.rig})"]
        lines += [f"rig fit problem (the audit runs regardless): {p}" for p in self.fit_problems]
        for f in self.findings:
            value = "-" if f.value is None else f"{f.value:.4g} {f.unit}"
            lines.append(f"{f.verdict.value.upper():<16} {f.label or f.claim}: {value}")
            if f.label:
                lines.append(f"    claim: {f.claim}")
            if f.bound:
                lines.append(f"    bound: {f.bound}")
            for need in f.needed:
                lines.append(f"    to hold: {need}")
            if f.fix:
                lines.append(f"    try: {' '.join('--set ' + a for a in f.fix)}")
            if f.reason:
                lines.append(f"    why: {f.reason}")
            for a in f.assumptions:
                lines.append(f"    assumes: {a}")
        counts = {v: sum(f.verdict is v for f in self.findings) for v in Verdict}
        lines.append(", ".join(f"{n} {v.value}" for v, n in counts.items()))
        return "\n".join(lines)

    def to_html(self, plots: Mapping[int, Sequence[str]] | None = None) -> str:
        """The verdict table as a standalone HTML page; ``plots`` (finding index -> file names beside the page)
        are linked from their rows."""
        e = html.escape
        plots = plots or {}
        rows = []
        for i, f in enumerate(self.findings):
            value = "-" if f.value is None else f"{f.value:.4g} {e(f.unit)}"
            details = "".join(f"<li>to hold: {e(n)}</li>" for n in f.needed)
            details += f"<li>why: {e(f.reason)}</li>" if f.reason else ""
            details += "".join(f"<li>assumes: {e(a)}</li>" for a in f.assumptions)
            details += "".join(
                f"<li>plot: <a href='{e(name)}'>{e(plot.title)}</a></li>"
                for name, plot in zip(plots.get(i, ()), f.plots, strict=False)
            )
            rows.append(
                f"<tr class='{f.verdict.name.lower()}'><td>{e(f.verdict.value)}</td><td>{e(f.label or f.claim)}"
                f"<br><small>{e(f.claim)}</small></td><td>{value}</td><td>{e(f.bound or '-')}</td>"
                f"<td><ul>{details}</ul></td></tr>"
            )
        problems = "".join(f"<li>{e(p)}</li>" for p in self.fit_problems)
        return (
            "<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>camrig audit: {e(self.name)}</title><style>body{{font-family:sans-serif}}"
            "td{vertical-align:top;padding:4px;border-bottom:1px solid #ccc}.holds td:first-child{color:#080}"
            ".fails td:first-child{color:#b00}.untestable td:first-child{color:#888}</style></head><body>"
            f"<h1>Audit of {e(self.name)}</h1><p>claims: {e(self.claims_file)}; rig: {e(self.rig)}</p>"
            + (f"<p>rig fit problems:</p><ul>{problems}</ul>" if problems else "")
            + "<table><tr><th>verdict</th><th>claim</th><th>value</th><th>physical bound</th><th>details</th></tr>"
            + "".join(rows)
            + "</table></body></html>\n"
        )


def load_claims(path: str | Path, overrides: Sequence[str] = ()) -> ClaimsFile:
    """Read and validate a claims file (YAML or TOML) and the rig it names, under the rig files' bounds;
    ``overrides`` (``rig.sensor.full_well_e=123000``) apply to the rig file, as ``camrig check --set`` does."""
    path = Path(path)
    data, lines = read_config(path)
    source = Source(str(path), lines)
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: a claims file must be a mapping with 'rig' and 'claims'")
    try:
        model = _ClaimsModel.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source, model=_ClaimsModel)) from None
    if isinstance(model.rig, str):
        if not model.rig.strip() or "\0" in model.rig:
            raise ConfigError(f"{source.where(('rig',))}: rig: expected a rig file path, got {model.rig!r}")
        rig = load_rig_file(path.parent / model.rig, overrides)
    else:
        inner = {key[1:]: line for key, line in lines.items() if key[:1] == ("rig",) and len(key) > 1}
        rig = rig_file_from_dict(model.rig, overrides, source=Source(f"{path} (rig)", inner))
    return ClaimsFile(
        name=model.name or rig.rig.name,
        rig=rig,
        claims=tuple(model.claims),
        source=source,
    )


def resolve_kind(host: Host, quantity: str) -> tuple[ClaimKind, str] | str:
    """The claim kind (and its plugin) answering ``quantity`` (qualified, or the part after the dot when only
    one kind has it), or why none does (with the closest names)."""
    kinds = host.claim_kinds
    if quantity in kinds:
        return kinds[quantity]
    bare = [name for name, (kind, _) in kinds.items() if kind.quantity == quantity]
    if len(bare) == 1:
        return kinds[bare[0]]
    if bare:
        return (
            f"quantity '{quantity}' is provided by several plugins ({', '.join(sorted(bare))}): write the "
            "qualified name"
        )
    known = sorted({k.quantity for k, _ in kinds.values()} | set(kinds))
    close = difflib.get_close_matches(quantity, known, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else f"; known: {', '.join(known) or 'none'}"
    return f"no loaded plugin provides claim kind '{quantity}'{hint}"


def _check(host: Host, claim: Claim) -> tuple[ClaimKind, str] | Finding:
    """The kind that answers ``claim``, or the finding that says why none can (quantity, unit, conditions)."""
    found = resolve_kind(host, claim.quantity)
    if isinstance(found, str):
        return untestable(claim, found)
    kind, plugin = found
    if claim.unit not in kind.units:
        return untestable(
            claim,
            f"unit '{claim.unit}' does not match {kind.name}, which is in {' or '.join(repr(u) for u in kind.units)}",
            kind,
            plugin,
        )
    problem = conditions_problem(kind, claim.conditions)
    if problem is not None:
        return untestable(claim, problem, kind, plugin)
    return kind, plugin


def _guarded(claim: Claim, kind: ClaimKind, plugin: str, call: Any) -> Any:
    """``call()``, or the finding that says why it could not answer (Untestable, or any error of the kind's)."""
    try:
        return call()
    except Untestable as exc:
        return untestable(claim, str(exc), kind, plugin)
    except Exception as exc:  # noqa: BLE001 - a broken kind is reported on its claim, never ends the audit
        return untestable(
            claim,
            f"{kind.name} (plugin '{plugin}') raised {type(exc).__name__}: {exc}",
            kind,
            plugin,
        )


def _measure(tasks: dict[str, MeasurementTask], executor: Executor | None) -> dict[str, dict[str, Any]]:
    """Run each task once through ``executor`` (default: in this process), as ``camrig run`` runs a run;
    the records by task key. The executor is closed afterwards."""
    if not tasks:
        if executor is not None:
            executor.close()
        return {}
    from .experiments.runner import LocalProcesses

    executor = executor or LocalProcesses(1)
    keys = list(tasks)
    jobs = [
        (tasks[k].rig, tasks[k].measurements, {"run": f"measurement-{i:03d}", "index": i}) for i, k in enumerate(keys)
    ]
    try:
        return {keys[record["index"]]: record for record in executor.submit_all(jobs)}
    finally:
        executor.close()


def run_audit(
    claims: ClaimsFile,
    host: Host | None = None,
    *,
    disable: Sequence[str] = (),
    allow: Sequence[str] | None = None,
    executor: Executor | None = None,
) -> AuditReport:
    """Assemble the claims file's rig (fit errors do not stop it) and assess every claim.

    Claims whose kind has a ``plan`` are measured first: every task runs through ``executor`` (one of the
    experiments' executors: :class:`~camrig.experiments.LocalProcesses` or :class:`~camrig.experiments.DaskCluster`;
    default in this process), identical tasks once; ``executor`` is closed when they are done."""
    host = host or host_for(claims.rig, disable=disable, allow=allow)
    with assemble(host, claims.rig, strict=False) as rig:
        checked: list[tuple[ClaimKind, str] | Finding] = [_check(host, claim) for claim in claims.claims]
        planned: list[MeasurementTask | Finding | None] = []
        for claim, found in zip(claims.claims, checked, strict=True):
            plan = None if isinstance(found, Finding) else found[0].load_plan()
            planned.append(None if plan is None else _guarded(claim, *found, lambda p=plan, c=claim: p(rig, c)))
        tasks = {t.key(): t for t in planned if isinstance(t, MeasurementTask)}
        records = _measure(tasks, executor)
        findings = []
        for claim, found, task in zip(claims.claims, checked, planned, strict=True):
            if isinstance(found, Finding):
                findings.append(found)
            elif isinstance(task, Finding):
                findings.append(task)
            else:
                findings.append(_assess(rig, claim, *found, task, records.get(task.key()) if task else None))
        problems = [" ".join(p.render().split()) for p in rig.report.problems]
    return AuditReport(
        name=claims.name,
        claims_file=claims.source.name,
        rig=claims.rig.source.name,
        fit_problems=problems,
        findings=findings,
    )


def _assess(
    rig: Any,
    claim: Claim,
    kind: ClaimKind,
    plugin: str,
    task: MeasurementTask | None,
    record: dict[str, Any] | None,
) -> Finding:
    if task is not None:
        if record is None or record.get("status") != "ok":
            why = (record or {}).get("error") or "no record came back"
            return untestable(claim, f"the measurement it needs failed: {why}", kind, plugin)
        call = lambda: kind.load()(rig, claim, measured={**record, "note": task.note})  # noqa: E731
    else:
        call = lambda: kind.load()(rig, claim)  # noqa: E731
    assessment = _guarded(claim, kind, plugin, call)
    return assessment if isinstance(assessment, Finding) else finding(kind, plugin, claim, assessment)


def plot_name(index: int, plot: Plot) -> str:
    """The file a finding's plot is written to, beside audit.html."""
    return f"audit-{index + 1:02d}-{plot.name}.png"


def write_plots(report: AuditReport, out: Path, *, force: bool = True) -> dict[int, list[str]]:
    """Draw every finding's plots (matplotlib, imported here) into ``out``, each atomically; the file names
    by finding index. Without matplotlib, none (the table says everything the plots show)."""
    if not any(f.plots for f in report.findings):
        return {}
    try:
        import matplotlib
    except ImportError:
        return {}
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names: dict[int, list[str]] = {}
    for i, f in enumerate(report.findings):
        for plot in f.plots:
            fig, ax = plt.subplots(figsize=(6, 4))
            if plot.style == "bars":
                ax.bar(plot.labels, plot.y, color="#59a")
                if plot.log:
                    ax.set_yscale("log")
            else:
                ax.plot(plot.x, plot.y, marker="o")
                if plot.log:
                    ax.set_xscale("log")
                    ax.set_yscale("log")
                ax.set_xlabel(plot.x_label)
            if plot.line is not None:
                ax.axhline(plot.line, color="#b00", linestyle="--", label=plot.line_label or None)
                if plot.line_label:
                    ax.legend(fontsize=8)
            ax.set_ylabel(plot.y_label)
            ax.set_title(plot.title, fontsize=9)
            ax.grid(alpha=0.3)
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
            plt.close(fig)
            data = buffer.getvalue()
            path = write_atomically(out / plot_name(i, plot), lambda tmp, d=data: tmp.write_bytes(d), force=force)
            names.setdefault(i, []).append(path.name)
    return names


def write_report(report: AuditReport, out: Path, *, force: bool = True) -> list[Path]:
    """Write the plots behind the verdicts (``out/audit-NN-NAME.png``), ``out/audit.json`` and
    ``out/audit.html`` (linking the plots), each atomically (the folder is made if missing)."""
    out.mkdir(parents=True, exist_ok=True)
    plots = write_plots(report, out, force=force)
    text = json.dumps(report.model_dump(mode="json"), indent=2)
    return [out / name for names in plots.values() for name in names] + [
        write_atomically(
            out / "audit.json",
            lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"),
            force=force,
        ),
        write_atomically(
            out / "audit.html",
            lambda tmp: tmp.write_text(report.to_html(plots), encoding="utf-8"),
            force=force,
        ),
    ]
