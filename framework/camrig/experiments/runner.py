"""Running an experiment: each run in a worker process (or on a Dask cluster), its result written atomically
as soon as it arrives, so an interrupted experiment resumes where it stopped and a kill loses at most the runs
in flight.

The run folder::

    OUT/experiment.json     the resolved experiment (base rig as used, sweep, seeds): what every row came from
    OUT/environment.json    Python, platform and package versions of the machine that ran it
    OUT/runs/run-00042.json one file per finished run: its parameters, seed, status, values and curves
    OUT/results.csv         the table, one row per run (also results.parquet), rebuilt from runs/ at the end
    OUT/report.html, OUT/plots/   see :mod:`camrig.experiments.report`
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from importlib import metadata
from pathlib import Path
from typing import Any

from ..accessory import Kind, Measured
from ..api import read_rig
from ..config import PartConfig, Source
from ..display import thumbnail_base64
from ..errors import CamrigError, ConfigError, OutputError
from ..host import Host, usable_cores
from ..output import write_atomically
from ..rig import assemble
from .experiment import Experiment, Run, check_paths
from .report import REPORT_THUMBNAIL_PX, write_report, write_table
from .workers import die_with_parent, parse_scheduler_address, probe_scheduler, scheduler_timeout_s

__all__ = [
    "run_one",
    "environment",
    "read_runs",
    "prepare",
    "Executor",
    "LocalProcesses",
    "DaskCluster",
    "run_experiment",
]


def run_one(
    rig: dict[str, Any], measurements: list[dict[str, Any]], run: dict[str, Any], threads: int = 1
) -> dict[str, Any]:
    """Assemble ``rig``, capture once, take the measurements, with ``threads`` per capture. Runs in a worker:
    plain data in and out, and never raises for a bad run (the record says why, naming the run and the field)."""
    record: dict[str, Any] = {**run, "status": "ok", "error": "", "values": {}, "curves": {}}
    start = time.perf_counter()
    try:
        file = read_rig(rig)
        host = Host(disable=file.plugins.disable, allow=file.plugins.allow, threads=threads)
        assembled = assemble(host, file)
        shot = assembled.capture()
        for i, cfg in enumerate(measurements):
            part = host.build(
                PartConfig(**cfg),
                Kind.MEASUREMENT,
                f"measurements[{i}]",
                Source("<experiment>"),
                ("experiment", "measurements", i),
            )
            try:
                measured = part.accessory.measure(assembled, shot)
                if not isinstance(measured, Measured):
                    raise TypeError(f"returned {type(measured).__name__}, not a camrig.Measured")
                values = {str(k): float(v) for k, v in measured.values.items()}
                curves = {f"{part.name}:{k}": vars(c) for k, c in measured.curves.items()}
            except CamrigError:
                raise
            except Exception as exc:
                raise CamrigError(f"measurement '{part.name}' raised {type(exc).__name__}: {exc}") from exc
            record["values"].update(values)
            record["curves"].update(curves)
        if run.get("repeat") == 0:  # a look at each sweep point, for the report (a failed run's is never shown)
            record["thumbnail_png"] = thumbnail_base64(shot.result, REPORT_THUMBNAIL_PX)
    except Exception as exc:  # one bad run never stops the others
        message = str(exc).replace("<dict>: ", "")
        record.update(status="error", error=f"{run['run']}: {type(exc).__name__}: {message}")
    record["compute_s"] = time.perf_counter() - start
    return record


def environment() -> dict[str, Any]:
    """What ran the experiment: Python, platform and the versions of camrig and the libraries it rests on."""
    versions = {}
    for name in ("camrig", "numpy", "scipy", "pydantic", "pluggy", "pyarrow", "matplotlib", "dask", "distributed"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return {"python": sys.version, "platform": platform.platform(), "cpu_count": os.cpu_count(), "packages": versions}


def _write_json(path: Path, data: Any, *, force: bool = True) -> None:
    def write(tmp: Path) -> None:
        tmp.write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")

    write_atomically(path, write, force=force)


def read_runs(out: Path) -> dict[int, dict[str, Any]]:
    """The finished runs in ``out/runs``, by index. Files are written atomically, so each is whole; one that
    does not parse (edited by hand, say) is reported, not trusted."""
    done: dict[int, dict[str, Any]] = {}
    for path in sorted((out / "runs").glob("run-*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            done[int(record["index"])] = record
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise OutputError(f"{path}: not a run record ({exc}); delete it to run it again") from None
    return done


def prepare(experiment: Experiment, out: Path, host: Host) -> None:
    """Check the sweep against the rig and the measurements' specs, and set up ``out``; refuse to resume a
    different experiment there."""
    check_paths(experiment, host)
    for i, cfg in enumerate(experiment.section.measurements):  # a bad spec fails now, not in every run
        host.build(cfg, Kind.MEASUREMENT, f"measurements[{i}]", experiment.source, ("experiment", "measurements", i))
    resolved = json.loads(json.dumps(experiment.resolved(), default=str))
    stored = out / "experiment.json"
    if stored.exists():
        try:
            held = json.loads(stored.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{stored}: not a readable experiment record ({exc}); use another --out") from None
        if held != resolved:
            raise ConfigError(
                f"{out}: holds the results of a different experiment (experiment.json differs); use another --out"
            )
    (out / "runs").mkdir(parents=True, exist_ok=True)
    if not (out / "environment.json").exists():  # written first: experiment.json marks a prepared folder
        _write_json(out / "environment.json", environment())
    if not stored.exists():
        _write_json(stored, resolved)


class Executor(ABC):
    """Where runs execute: ``submit_all`` yields records as runs finish."""

    @abstractmethod
    def submit_all(
        self, tasks: list[tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]]
    ) -> Iterator[dict[str, Any]]:
        """Run ``run_one`` on each task (rig mapping, measurements, run), yielding each record as it is done."""

    def close(self) -> None:
        pass


class LocalProcesses(Executor):
    """A process pool on this machine (default: one worker per core), the cores shared out between the
    workers' captures (``Host.threads``)."""

    def __init__(self, workers: int | None = None) -> None:
        cores = usable_cores()
        self.workers = workers or cores
        self.threads = max(1, cores // self.workers)  # the cores shared out: no worker oversubscribes them

    def submit_all(
        self, tasks: list[tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]]
    ) -> Iterator[dict[str, Any]]:
        if self.workers == 1:
            for task in tasks:
                yield run_one(*task, self.threads)
            return
        with ProcessPoolExecutor(self.workers, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
            futures = [pool.submit(run_one, *task, self.threads) for task in tasks]
            for future in as_completed(futures):
                yield future.result()


class DaskCluster(Executor):
    """An existing Dask distributed scheduler. The address is parsed first (:func:`parse_scheduler_address`);
    connecting has a deadline (``timeout_s``, default ``CAMRIG_SCHEDULER_TIMEOUT_S`` or 5 s), and a TCP
    address must answer like a Dask scheduler before the client is built: each failure is a clear
    :class:`ConfigError`, never a hang."""

    def __init__(self, address: str, timeout_s: float | None = None) -> None:
        address = parse_scheduler_address(address)
        timeout_s = scheduler_timeout_s() if timeout_s is None else timeout_s
        try:
            from distributed import Client
        except ImportError:
            raise ConfigError("--scheduler needs Dask distributed: pip install 'camrig[dask]'") from None
        probe_scheduler(address, timeout_s)
        try:
            self.client = Client(address, timeout=f"{timeout_s}s", set_as_default=False)
        except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, or whatever the comm raised
            raise ConfigError(
                f"cannot connect to the Dask scheduler at {address} within {timeout_s:g} s: {type(exc).__name__}: {exc}"
            ) from None

    def submit_all(
        self, tasks: list[tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]]
    ) -> Iterator[dict[str, Any]]:
        futures = [self.client.submit(run_one, *task, pure=False) for task in tasks]
        for future in futures:  # in submission order: each record is written as soon as it and those before it are in
            yield future.result()

    def close(self) -> None:
        self.client.close()


def run_experiment(
    experiment: Experiment,
    out: str | Path,
    *,
    host: Host,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Run every run of ``experiment`` not yet in ``out/runs``, writing each record as it arrives; then the
    table, plots and report. Returns the records of all runs, in run order."""
    out = Path(out)
    prepare(experiment, out, host)
    done = read_runs(out)
    todo = [run for run in experiment.runs if run.index not in done]
    tasks = [
        (experiment.rig_for(run), [m.model_dump() for m in experiment.section.measurements], _run_info(run))
        for run in todo
    ]
    executor = executor or LocalProcesses()
    try:
        finished = 0
        if progress:
            progress(0, len(tasks))
        for record in executor.submit_all(tasks):
            _write_json(out / "runs" / f"{record['run']}.json", record)
            finished += 1
            if progress:
                progress(finished, len(tasks))
    finally:
        executor.close()
    records = [r for _, r in sorted(read_runs(out).items())]
    write_table(experiment, records, out)
    write_report(experiment, records, out)
    return records


def _run_info(run: Run) -> dict[str, Any]:
    return {
        "run": run.run_id,
        "index": run.index,
        "point": run.point,
        "repeat": run.repeat,
        "seed": run.seed,
        "params": run.params,
    }
