"""The ``camrig`` command line: a thin layer over the Python API.

Exit codes: 0 success; 1 the rig does not fit, a capture failed, (``plugins``) a plugin failed to load or
was refused, or (``audit``) a claim fails (with ``--strict``, also one that cannot be tested); 2 usage, config
or environment errors. Every failure prints one line on stderr (one per
problem when a config has several) without a traceback (set ``CAMRIG_TRACEBACK=1`` to see it). Options are
validated before any file is read or written and before any folder is made.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from .api import host_for, read_rig
from .config import RigFile
from .errors import CamrigError, ConfigError, OutputError, PluginError, RigDoesNotFit, UsageError
from .frame import Frame
from .host import PLUGIN_API_VERSION, Host, PluginStatus
from .output import check_output_file, check_output_folder
from .phone import Phone
from .rig import Rig, assemble

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are one :class:`UsageError` line, not a usage block and a ``SystemExit``."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _count_arg(least: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
        return value

    return parse


def _path_arg(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("empty path")
    if "\0" in text:
        raise argparse.ArgumentTypeError("path holds a NUL character")
    return Path(text)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="camrig", description="Design and test modular camera rigs in software.")
    p.add_argument(
        "-p",
        dest="plugin_opts",
        action="append",
        default=[],
        metavar="no:NAME",
        help="disable plugin NAME (repeatable), like pytest's -p no:NAME",
    )
    p.add_argument(
        "--allow-plugins", metavar="NAMES", help="comma-separated: load only these plugins (also CAMRIG_ALLOW_PLUGINS)"
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser(
        "plugins", help="every plugin found: status (and why), accessories, fit rules, hooks; exit 1 if one failed"
    )
    s.add_argument("plugin", nargs="?", help="show this plugin in full")
    s.add_argument("--json", action="store_true", help="machine-readable status report")

    s = sub.add_parser("schema", help="print the JSON Schema of an accessory's spec")
    s.add_argument("name", help="qualified accessory name, e.g. optics.ideal")

    def rig_args(s: argparse.ArgumentParser) -> None:
        s.add_argument("rig", type=Path, help="rig file (.yaml, .yml or .toml)")
        s.add_argument(
            "--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE", help="override a field"
        )

    s = sub.add_parser("check", help="check that a rig fits; exit 1 if it does not")
    rig_args(s)
    s.add_argument("--json", action="store_true", help="machine-readable output")

    s = sub.add_parser("capture", help="capture one frame and write it (format from the file suffix)")
    rig_args(s)
    s.add_argument("--out", type=_path_arg, required=True, help="output file; the suffix picks the writer")
    s.add_argument("--seed", type=_count_arg(0), help="override capture.seed")
    s.add_argument("--raw", action="store_true", help="write the raw frame as the host receives it")
    s.add_argument("--force", action="store_true", help="overwrite an existing output file")
    s = sub.add_parser(
        "compare", help="capture two rigs on the same scene; write one figure: side by side, 100 %% crops (PNG)"
    )
    s.add_argument("rig_a", type=Path, help="first rig file (.yaml, .yml or .toml)")
    s.add_argument("rig_b", type=Path, help="second rig file")
    s.add_argument(
        "--scene",
        type=_path_arg,
        help="file with a 'capture' section (a rig file's will do) replacing both rigs' scene (and exposure, seed "
        "where it gives them)",
    )
    s.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE", help="override a field of both"
    )
    s.add_argument("--out", type=_path_arg, required=True, help="output figure (.png)")
    s.add_argument("--seed", type=_count_arg(0), help="seed of both captures (default: the scene file's, else RIG_A's)")
    s.add_argument("--force", action="store_true", help="overwrite an existing output file")
    s = sub.add_parser("preview", help="stream preview frames; print frame rate and latency percentiles")
    rig_args(s)
    s.add_argument("--frames", type=_count_arg(1), default=30, help="frames to stream (default 30)")
    s.add_argument("--seed", type=_count_arg(0), default=0, help="seed of the first frame (frame i uses seed + i)")
    s.add_argument("--out", type=_path_arg, help="save the shown frames as an animation (e.g. preview.gif)")
    s.add_argument("--force", action="store_true", help="overwrite an existing output file")
    s.add_argument(
        "--module",
        choices=("process", "thread"),
        default="process",
        help="run the module's half in its own process (default; as the real module has its own processor) or a thread",
    )
    s.add_argument(
        "--unpaced",
        action="store_true",
        help="run the module as fast as this machine simulates it, not at the sensor's frame rate (the simulator's "
        "ceiling)",
    )

    s = sub.add_parser("run", help="run an experiment: sweep, measure, write the table, plots and report")
    s.add_argument("experiment", type=Path, help="experiment file (.yaml, .yml or .toml)")
    s.add_argument(
        "--out", type=_path_arg, help="run folder (default: results/<experiment file name>); resumes what is there"
    )
    s.add_argument("--workers", type=_count_arg(1), help="worker processes on this machine (default: one per core)")
    s.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on this Dask distributed scheduler (e.g. tcp://host:8786)"
    )
    s.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a field of the experiment file",
    )

    s = sub.add_parser("audit", help="hold a claims file against physics: verdict table; exit 1 if a claim fails")
    s.add_argument(
        "claims", type=Path, help="claims file (.yaml, .yml or .toml): a rig and the claims (docs/claims.md)"
    )
    s.add_argument("--out", type=_path_arg, help="folder for audit.json and audit.html (made if missing)")
    s.add_argument("--force", action="store_true", help="overwrite audit.json and audit.html in --out")
    s.add_argument("--strict", action="store_true", help="exit 1 also when a claim cannot be tested")
    s.add_argument(
        "--workers", type=_count_arg(1), help="worker processes for the measurements claims need (default: this one)"
    )
    s.add_argument("--scheduler", metavar="ADDRESS", help="take the measurements on this Dask distributed scheduler")
    s.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a field of the rig (rig.sensor.full_well_e=...)",
    )
    return p


def _disabled(args: argparse.Namespace) -> list[str]:
    names = []
    for opt in args.plugin_opts:
        if not opt.startswith("no:") or len(opt) == 3:
            raise ConfigError(f"-p {opt}: expected -p no:NAME")
        names.append(opt[3:])
    return names


def _allowed(args: argparse.Namespace) -> list[str] | None:
    return [n.strip() for n in args.allow_plugins.split(",") if n.strip()] if args.allow_plugins else None


@contextmanager
def _host_log_muted() -> Iterator[None]:
    """While building a host whose load problems a command reports itself (so each prints once)."""
    logger = logging.getLogger("camrig")
    was = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = was


def _cmd_plugins(args: argparse.Namespace) -> int:
    """The plugin status report: exit 1 when a plugin failed to load or was refused (disabled ones are fine)."""
    with _host_log_muted():
        host = Host(disable=_disabled(args), allow=_allowed(args))
    records = host.status_report(args.plugin)
    trouble = [r for r in records if r["status"] in (PluginStatus.FAILED, PluginStatus.REFUSED)]
    if args.json:
        report = {"plugin_api": PLUGIN_API_VERSION, "ok": not trouble, "plugins": records}
        print(json.dumps(report, indent=2))
    elif args.plugin:
        for r in records:
            _print_plugin(r)
    else:
        rows = [(a, r) for r in records for a in r["accessories"]]
        width = max((len(a["name"]) for a, _ in rows), default=4)
        for a, r in sorted(rows, key=lambda row: row[0]["name"]):
            print(f"{a['name']:<{width}}  {a['kind']:<11} {r['name']} {r['version']}  {a['summary']}")
        print()
        width = max(len(r["name"]) for r in records)
        for r in records:
            contributes = (
                f"{_count(r['accessories'], 'accessory', 'accessories')}, "
                f"{_count(r['fit_rules'], 'fit rule', 'fit rules')}"
            )
            print(f"{r['name']:<{width}}  {r['status']:<8}  {r['version']:<8}  {contributes}")
    if not (args.plugin and not args.json):  # the one-plugin view shows the reason itself
        for r in records:
            if r["status"] != PluginStatus.LOADED:
                print(f"camrig: plugin '{r['name']}' {r['status']}: {r['reason']}", file=sys.stderr)
    return EXIT_FAILED if trouble else EXIT_OK


def _count(items: list[Any], one: str, many: str) -> str:
    return f"{len(items)} {one if len(items) == 1 else many}"


def _print_plugin(r: dict[str, Any]) -> None:
    print(f"plugin {r['name']} {r['version']}{' (built in)' if r['builtin'] else ''}: {r['status']}")
    if r["reason"]:
        print(f"  reason: {r['reason']}")
    print(f"  plugin API: {r['api'] or 'unknown'} (this host: {PLUGIN_API_VERSION})")
    print(f"  families: {', '.join(r['families']) or '-'}")
    print(f"  hooks: {', '.join(r['hooks']) or '-'}")
    print("  accessories:" + ("" if r["accessories"] else " -"))
    for a in r["accessories"]:
        print(f"    {a['name']}  {a['kind']}  {a['summary']}")
    print("  fit rules:" + ("" if r["fit_rules"] else " -"))
    for rule in r["fit_rules"]:
        print(f"    {rule['id']}  {rule['summary']}")
    if r["claim_kinds"]:
        print("  claim kinds:")
        for k in r["claim_kinds"]:
            print(f"    {k['name']}  [{'/'.join(k['units'])}]  {k['summary']}")


def _cmd_schema(args: argparse.Namespace) -> int:
    host = Host(disable=_disabled(args), allow=_allowed(args))
    reg = host.resolve(args.name)
    print(json.dumps(reg.type.spec.model_json_schema(), indent=2))
    return EXIT_OK


def _rig_file(args: argparse.Namespace) -> tuple[RigFile, Host]:
    file = read_rig(args.rig, args.overrides)
    return file, host_for(file, disable=_disabled(args), allow=_allowed(args))


def _cmd_check(args: argparse.Namespace) -> int:
    file, host = _rig_file(args)
    rig = assemble(host, file, strict=False)
    print(rig.report.to_json() if args.json else rig.report.render())
    return EXIT_OK if rig.report.ok else EXIT_FAILED


def _writer_check(rig: Rig, out: Path, raw: bool) -> None:
    """Fail before capturing when the writer cannot take the frame; say ``--raw`` where it takes the raw."""
    try:
        rig.writer(out, rig.caps[rig.raw_role] if raw else None)
    except OutputError as exc:
        hint = ""
        if not raw:
            try:
                rig.writer(out, rig.caps[rig.raw_role])
                hint = "; pass --raw to write the raw frame as the host receives it"
            except CamrigError:
                pass
        raise UsageError(f"{exc}{hint}") from None


def _cmd_capture(args: argparse.Namespace) -> int:
    out = check_output_file(args.out, force=args.force, sidecar=True)
    file, host = _rig_file(args)
    with assemble(host, file) as rig:
        for p in rig.report.problems:
            print(f"camrig: {_one_line(p.render())}", file=sys.stderr)
        _writer_check(rig, out, args.raw)
        shot = rig.capture(seed=args.seed)
        frame = shot.raw if args.raw else shot.result
        rig.write(frame, out, force=args.force)
    steps = ", ".join(f"{t.role} {t.compute_s * 1e3:.0f} ms" for t in shot.timings)
    print(f"wrote {out} ({frame.caps().describe()}); compute: {steps}")
    print(f"modelled time to the host: {sum(shot.raw.meta.modelled_ns.values()) / 1e6:.3f} ms")
    return EXIT_OK


def _cmd_compare(args: argparse.Namespace) -> int:
    from .compare import capture_panel, fraction_for, read_compared_rig, require_matplotlib, write_figure

    out = check_output_file(args.out, force=args.force, sidecar=False)
    if out.suffix.lower() != ".png":
        raise UsageError(f"{out}: the compare figure is a PNG; give a name ending in .png")
    require_matplotlib()
    rigs: list[Rig] = []
    try:
        for path in (args.rig_a, args.rig_b):
            file = read_compared_rig(path, args.scene, args.overrides)
            try:
                rigs.append(assemble(host_for(file, disable=_disabled(args), allow=_allowed(args)), file))
            except RigDoesNotFit as exc:
                code, lines = _failure(exc)
                for line in lines:
                    print(f"camrig: {path}: {line}", file=sys.stderr)
                return code
        seed = args.seed if args.seed is not None else rigs[0].file.capture.seed
        fraction = fraction_for(rigs)
        panels = []
        for rig in rigs:  # one capture at a time; only the overview and crops stay
            for p in rig.report.problems:
                print(f"camrig: {rig.file.source.name}: {_one_line(p.render())}", file=sys.stderr)
            panels.append(capture_panel(rig, fraction, seed=seed))
    finally:
        for rig in rigs:
            rig.close()
    sources = {"rig_a": str(args.rig_a), "rig_b": str(args.rig_b), "seed": str(seed), "scene": str(args.scene or "")}
    title = f"{panels[0].name} vs {panels[1].name}" + (f" on {args.scene.name}" if args.scene else "")
    write_figure(panels, out, title=f"{title}, seed {seed}", metadata=sources, force=args.force)
    print(f"wrote {out} ({panels[0].name} vs {panels[1].name}, seed {seed})")
    return EXIT_OK


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def _cmd_preview(args: argparse.Namespace) -> int:
    if args.out is not None:
        check_output_file(args.out, force=args.force, sidecar=True)
    file, host = _rig_file(args)
    phone = Phone(host, module=args.module)
    rig = phone.attach(file)
    if args.out is not None:
        try:
            rig.writer(args.out)  # fail before streaming if the file cannot be written
        except OutputError as exc:
            raise UsageError(str(exc)) from None
    gc.freeze()  # the setup lives to the end: a full collection (25-50 ms) need not walk it mid-stream
    live = sys.stderr.isatty()
    latencies: list[float] = []  # ms; a shown frame is let go (unless it is kept for --out)
    dropped: dict[str, int] = {}
    kept: list[Frame] = []
    start = time.perf_counter()
    first_shown = last_shown = 0.0
    for item in phone.stream(args.frames, seed=args.seed, realtime=not args.unpaced):
        if item.frame is None:
            reason = (item.dropped or "?").split(":")[0]
            dropped[reason] = dropped.get(reason, 0) + 1
        else:
            latencies.append(item.latency_s * 1e3)
            last_shown = time.perf_counter()
            first_shown = first_shown or last_shown
            if args.out is not None:
                kept.append(item.frame)
        done = len(latencies) + sum(dropped.values())
        if live:
            print(
                f"\rframe {done}/{args.frames}: {len(latencies)} shown, {sum(dropped.values())} dropped",
                end="",
                file=sys.stderr,
            )
    elapsed = time.perf_counter() - start
    if live:
        print(file=sys.stderr)
    phone.detach()
    if not latencies:
        print(f"no frame delivered; dropped: {dropped}", file=sys.stderr)
        return EXIT_FAILED
    steady = len(latencies) > 1 and last_shown > first_shown  # the rate from the first frame shown on
    fps = (len(latencies) - 1) / (last_shown - first_shown) if steady else len(latencies) / elapsed
    print(
        f"{len(latencies)} of {args.frames} frames shown: {fps:.1f} fps"
        + (f" from the first, which came after {first_shown - start:.2f} s ({elapsed:.2f} s in all)" if steady else "")
    )
    print(
        f"latency (modelled module + link, measured host): p50 {_percentile(latencies, 50):.2f} ms, p99 "
        f"{_percentile(latencies, 99):.2f} ms"
    )
    if dropped:
        print("dropped: " + ", ".join(f"{n} {reason}" for reason, n in sorted(dropped.items())))
    if args.out is not None:
        rig.write_animation(kept, args.out, fps, force=args.force)
        print(f"wrote {args.out} ({len(kept)} frames)")
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    # experiments load only for this command (no cycle: camrig.experiments never imports the CLI)
    from .experiments import DaskCluster, LocalProcesses, load_experiment, run_experiment
    from .experiments.workers import parse_scheduler_address

    out = check_output_folder(args.out or Path("results") / args.experiment.stem)
    if args.scheduler is not None and args.workers is not None:
        raise UsageError("--workers sets local worker processes; a --scheduler has its own workers")
    address = parse_scheduler_address(args.scheduler) if args.scheduler is not None else None
    experiment = load_experiment(args.experiment, args.overrides)
    host = Host(disable=_disabled(args), allow=_allowed(args))
    executor = DaskCluster(address) if address is not None else LocalProcesses(args.workers)
    out.mkdir(parents=True, exist_ok=True)
    bar = _progress(experiment.name)
    try:
        records = run_experiment(experiment, out, host=host, executor=executor, progress=bar)
    finally:
        bar(None, None)
    failed = [r for r in records if r["status"] != "ok"]
    print(f"{len(records)} runs of '{experiment.name}' in {out}: {len(records) - len(failed)} ok, {len(failed)} failed")
    for r in failed:
        print(f"  {r['error']}", file=sys.stderr)
    print(f"table: {out / 'results.csv'}; report: {out / 'report.html'}")
    return EXIT_FAILED if failed else EXIT_OK


def _progress(name: str) -> Callable[[int | None, int | None], None]:
    """A tqdm progress bar with ETA on stderr, fed (done, total); (None, None) closes it."""
    from tqdm import tqdm

    state: dict[str, object] = {}

    def update(done: int | None, total: int | None) -> None:
        bar = state.get("bar")
        if done is None:
            if bar is not None:
                bar.close()  # type: ignore[attr-defined]
            return
        if bar is None:
            bar = state["bar"] = tqdm(total=total, desc=name, unit="run", file=sys.stderr, disable=None)
        bar.n = done  # type: ignore[attr-defined]
        bar.refresh()  # type: ignore[attr-defined]

    return update


def _cmd_audit(args: argparse.Namespace) -> int:
    from .audit import load_claims, run_audit, write_report

    if args.out is not None:
        check_output_folder(args.out)
        if args.out.is_dir():
            for name in ("audit.json", "audit.html"):
                check_output_file(args.out / name, force=args.force, sidecar=False)
    if args.scheduler is not None and args.workers is not None:
        raise UsageError("--workers sets local worker processes; a --scheduler has its own workers")
    from .experiments import DaskCluster, LocalProcesses
    from .experiments.workers import parse_scheduler_address

    address = parse_scheduler_address(args.scheduler) if args.scheduler is not None else None
    claims = load_claims(args.claims, args.overrides)
    executor = DaskCluster(address) if address is not None else LocalProcesses(args.workers or 1)
    report = run_audit(claims, disable=_disabled(args), allow=_allowed(args), executor=executor)
    print(report.render())
    if args.out is not None:
        for path in write_report(report, args.out, force=args.force):
            print(f"wrote {path}")
    for f in report.findings:
        if f.verdict.name == "FAILS" or (args.strict and f.verdict.name == "UNTESTABLE"):
            print(f"camrig: claim {f.verdict.value}: {_one_line(f.label or f.claim)}", file=sys.stderr)
    untested = any(f.verdict.name == "UNTESTABLE" for f in report.findings)
    return EXIT_FAILED if report.failed or (args.strict and untested) else EXIT_OK


COMMANDS = {
    "audit": _cmd_audit,
    "run": _cmd_run,
    "plugins": _cmd_plugins,
    "schema": _cmd_schema,
    "check": _cmd_check,
    "capture": _cmd_capture,
    "compare": _cmd_compare,
    "preview": _cmd_preview,
}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _failure(exc: BaseException) -> tuple[int, list[str]]:
    """Exit code and the stderr lines (one per problem, each one line) for an exception."""
    if isinstance(exc, (UsageError, ConfigError, PluginError)):
        lines = [line for line in str(exc).splitlines() if line.strip()] or [type(exc).__name__]
        return EXIT_USAGE, [f"error: {_one_line(line)}" for line in lines]
    if isinstance(exc, RigDoesNotFit):
        errors = exc.report.errors
        return EXIT_FAILED, [
            _one_line(f"rig does not fit: [{p.rule}] {p.message}" + (f" (fix: {p.suggestion})" if p.suggestion else ""))
            for p in errors
        ]
    if isinstance(exc, CamrigError):  # StageError, OutputError while writing: the work failed
        return EXIT_FAILED, [_one_line(str(exc))]
    if isinstance(exc, MemoryError):
        return EXIT_FAILED, [_one_line(f"out of memory: {exc}")]
    if isinstance(exc, OSError):  # the environment: a read-only or full file system, a missing folder
        where = f"{exc.filename}: " if exc.filename else ""
        return EXIT_USAGE, [_one_line(f"error: {where}{exc.strerror or exc}")]
    return EXIT_FAILED, [_one_line(f"internal error: {type(exc).__name__}: {exc} (CAMRIG_TRACEBACK=1 shows where)")]


def _stdout_gone() -> None:
    """The reader of stdout went away (``camrig schema X | head``): send what is left to /dev/null so the
    interpreter's final flush does not fail either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except BrokenPipeError:
        _stdout_gone()
        return EXIT_FAILED
    except KeyboardInterrupt:
        if os.environ.get("CAMRIG_TRACEBACK"):
            raise
        print("camrig: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - every failure is one line on stderr
        if os.environ.get("CAMRIG_TRACEBACK"):
            raise
        code, lines = _failure(exc)
        for line in lines:
            print(f"camrig: {line}", file=sys.stderr)
        return code
