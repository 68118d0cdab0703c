"""The ``camrig`` command line: a thin layer over the Python API.

Exit codes: 0 success; 1 the rig does not fit, a capture failed, or (``plugins``) a plugin failed to load or
was refused; 2 usage or config errors. Errors print
one message on stderr without a traceback (set ``CAMRIG_TRACEBACK=1`` to see it).
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .api import host_for, read_rig
from .config import RigFile
from .errors import CamrigError, ConfigError, OutputError, PluginError
from .frame import Frame
from .host import PLUGIN_API_VERSION, Host, PluginStatus
from .phone import Phone
from .rig import assemble

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="camrig", description="Design and test modular camera rigs in software.")
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
    s.add_argument("--out", type=Path, required=True, help="output file; the suffix picks the writer")
    s.add_argument("--seed", type=int, help="override capture.seed")
    s.add_argument("--raw", action="store_true", help="write the raw frame as the host receives it")
    s.add_argument("--force", action="store_true", help="overwrite an existing output file")
    s = sub.add_parser("preview", help="stream preview frames; print frame rate and latency percentiles")
    rig_args(s)
    s.add_argument("--frames", type=int, default=30, help="frames to stream (default 30)")
    s.add_argument("--seed", type=int, default=0, help="seed of the first frame (frame i uses seed + i)")
    s.add_argument("--out", type=Path, help="save the shown frames as an animation (e.g. preview.gif)")
    s.add_argument("--force", action="store_true", help="overwrite an existing output file")
    s.add_argument("--module", choices=("process", "thread"), default="process",
                   help="run the module's half in its own process (default; as the real module has its own processor) or a thread")
    s.add_argument("--unpaced", action="store_true",
                   help="run the module as fast as this machine simulates it, not at the sensor's frame rate (the simulator's ceiling)")

    s = sub.add_parser("run", help="run an experiment: sweep, measure, write the table, plots and report")
    s.add_argument("experiment", type=Path, help="experiment file (.yaml, .yml or .toml)")
    s.add_argument("--out", type=Path, help="run folder (default: results/<experiment file name>); resumes what is there")
    s.add_argument("--workers", type=int, help="worker processes on this machine (default: one per core)")
    s.add_argument("--scheduler", metavar="ADDRESS", help="run on this Dask distributed scheduler (e.g. tcp://host:8786)")
    s.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE", help="override a field of the experiment file")
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
            contributes = f"{_count(r['accessories'], 'accessory', 'accessories')}, {_count(r['fit_rules'], 'fit rule', 'fit rules')}"
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


def _cmd_capture(args: argparse.Namespace) -> int:
    file, host = _rig_file(args)
    out: Path = args.out
    for existing in (out, out.with_name(out.name + ".json")):
        if existing.exists() and not args.force:
            raise OutputError(f"{existing}: exists; pass --force to overwrite")
    with assemble(host, file) as rig:
        for p in rig.report.problems:
            print(f"camrig: {p.render()}", file=sys.stderr)
        rig.writer(out, rig.caps[rig.raw_role] if args.raw else None)  # fail before capturing if unwritable
        shot = rig.capture(seed=args.seed)
        frame = shot.raw if args.raw else shot.result
        rig.write(frame, out, force=args.force)
    steps = ", ".join(f"{t.role} {t.compute_s * 1e3:.0f} ms" for t in shot.timings)
    print(f"wrote {out} ({frame.caps().describe()}); compute: {steps}")
    print(f"modelled time to the host: {sum(shot.raw.meta.modelled_ns.values()) / 1e6:.3f} ms")
    return EXIT_OK


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def _cmd_preview(args: argparse.Namespace) -> int:
    file, host = _rig_file(args)
    if args.out is not None and args.out.exists() and not args.force:
        raise OutputError(f"{args.out}: exists; pass --force to overwrite")
    phone = Phone(host, module=args.module)
    rig = phone.attach(file)
    if args.out is not None:
        rig.writer(args.out)  # fail before streaming if the file cannot be written
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
            print(f"\rframe {done}/{args.frames}: {len(latencies)} shown, {sum(dropped.values())} dropped", end="", file=sys.stderr)
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
    print(f"latency (modelled module + link, measured host): p50 {_percentile(latencies, 50):.2f} ms, p99 {_percentile(latencies, 99):.2f} ms")
    if dropped:
        print("dropped: " + ", ".join(f"{n} {reason}" for reason, n in sorted(dropped.items())))
    if args.out is not None:
        rig.write_animation(kept, args.out, fps, force=args.force)
        print(f"wrote {args.out} ({len(kept)} frames)")
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    from .experiment import load_experiment
    from .runner import DaskCluster, LocalProcesses, run_experiment

    experiment = load_experiment(args.experiment, args.overrides)
    out = args.out or Path("results") / args.experiment.stem
    host = Host(disable=_disabled(args), allow=_allowed(args))
    executor = DaskCluster(args.scheduler) if args.scheduler else LocalProcesses(args.workers)
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


def _progress(name: str):  # type: ignore[no-untyped-def]
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


COMMANDS = {"run": _cmd_run, "plugins": _cmd_plugins, "schema": _cmd_schema, "check": _cmd_check, "capture": _cmd_capture, "preview": _cmd_preview}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (ConfigError, PluginError) as exc:
        if os.environ.get("CAMRIG_TRACEBACK"):
            raise
        print(f"camrig: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CamrigError as exc:  # RigDoesNotFit, StageError, OutputError
        if os.environ.get("CAMRIG_TRACEBACK"):
            raise
        print(f"camrig: {exc}", file=sys.stderr)
        return EXIT_FAILED
