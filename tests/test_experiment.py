"""Experiments: sweeps, seeds, the table, bad input, resume after a kill, and the same table from Dask."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

import camrig
from camrig.experiments import DaskCluster, Experiment, LocalProcesses, experiment_from_dict, run_experiment
from camrig.experiments.experiment import run_seed
from camrig.experiments.runner import read_runs
from conftest import SMALL_RIG

EXPERIMENT: dict[str, Any] = {
    "experiment": {
        "name": "test sweep",
        "rig": copy.deepcopy(SMALL_RIG),
        "set": {
            "rig.stages": [{"type": "isp.black_level"}],
            "capture.scene": {"type": "scenes.chart", "layout": "edge"},
        },
        "sweep": {"grid": {"rig.lens.f_number": [2.8, 5.6]}, "zip": {"capture.exposure_s": [1e-6, 2e-6]}},
        "repeats": 2,
        "seed": 7,
        "measurements": [{"type": "measure.latency"}, {"type": "measure.link"}],
    }
}


def experiment(**changes: Any) -> Experiment:
    data = copy.deepcopy(EXPERIMENT)
    data["experiment"].update(changes)
    return experiment_from_dict(data)


def table(out: Path) -> list[dict[str, str]]:
    """The results table without the measured compute times (wall clock differs from run to run)."""
    import csv

    with open(out / "results.csv", newline="") as fh:
        return [{k: v for k, v in row.items() if "compute" not in k} for row in csv.DictReader(fh)]


def test_the_sweep_expands_grid_zip_and_list_with_derived_seeds():
    e = experiment(
        sweep={"grid": {"a.b": [1, 2]}, "zip": {"c": [3, 4], "d": [5, 6]}, "list": [{"e": 0}, {"e": 1}]}, repeats=2
    )
    points = [r.params for r in e.runs if r.repeat == 0]
    assert len(points) == 2 * 2 * 2 and len(e.runs) == 16
    assert points[0] == {"a.b": 1, "c": 3, "d": 5, "e": 0} and points[-1] == {"a.b": 2, "c": 4, "d": 6, "e": 1}
    assert [r.run_id for r in e.runs[:3]] == ["run-00000", "run-00001", "run-00002"]
    assert e.runs[3].seed == run_seed(7, 1, 1) and len({r.seed for r in e.runs}) == 16  # independent of order
    with pytest.raises(camrig.ConfigError, match="equal lengths"):
        experiment(sweep={"zip": {"c": [1, 2], "d": [1]}})


def test_a_local_run_writes_one_row_per_run_with_every_parameter_and_value(tmp_path):
    e = experiment()
    records = run_experiment(e, tmp_path, host=camrig.Host(env={}), executor=LocalProcesses(2))
    rows = table(tmp_path)
    assert [r["run"] for r in rows] == [f"run-{i:05d}" for i in range(8)] and all(r["status"] == "ok" for r in rows)
    assert {"rig.lens.f_number", "capture.exposure_s", "modelled_ms", "link_mb_per_frame", "seed"} <= set(rows[0])
    assert rows[0]["exposure_ms"] == "0.001" and rows[2]["exposure_ms"] == "0.002"  # the zip reached the rig
    import pyarrow.parquet as pq

    parquet = pq.read_table(tmp_path / "results.parquet").to_pylist()
    assert [p["run"] for p in parquet] == [r["run"] for r in rows] and parquet[3]["modelled_ms"] == records[3][
        "values"
    ]["modelled_ms"]
    resolved = json.loads((tmp_path / "experiment.json").read_text())
    assert resolved["base_rig"]["rig"]["stages"] == [{"type": "isp.black_level"}]
    assert "numpy" in json.loads((tmp_path / "environment.json").read_text())["packages"]
    assert (tmp_path / "report.html").read_text().count("<tr>") == 9 and list((tmp_path / "plots").glob("*.png"))
    # any row reproduces alone from the resolved experiment: same seed, same rig, same values
    run = e.runs[5]
    shot = camrig.assemble(camrig.Host(env={}), camrig.read_rig(e.rig_for(run))).capture()
    assert sum(shot.raw.meta.modelled_ns.values()) / 1e6 == pytest.approx(records[5]["values"]["modelled_ms"])


def test_a_sweep_path_that_is_not_in_the_rig_suggests_close_ones(tmp_path):
    e = experiment(sweep={"grid": {"rig.lens.f_numbr": [2.8]}})
    with pytest.raises(
        camrig.ConfigError, match=r"sweep path 'rig.lens.f_numbr' is not in the rig; did you mean rig.lens.f_number"
    ):
        run_experiment(e, tmp_path, host=camrig.Host(env={}), executor=LocalProcesses(1))
    assert list(tmp_path.iterdir()) == []  # nothing written
    e = experiment(sweep={"grid": {"rig.lens.transmission": [0.8]}})  # a spec field at its default: fine
    run_experiment(e, tmp_path, host=camrig.Host(env={}), executor=LocalProcesses(1))


def test_a_value_the_spec_refuses_fails_its_run_naming_the_field_and_the_others_go_on(tmp_path):
    e = experiment(sweep={"grid": {"rig.lens.f_number": [2.8, 0.2, 4]}}, repeats=1)
    records = run_experiment(e, tmp_path, host=camrig.Host(env={}), executor=LocalProcesses(1))
    assert [r["status"] for r in records] == ["ok", "error", "ok"]
    assert records[1]["error"].startswith("run-00001: ConfigError") and "rig.lens.f_number" in records[1]["error"]
    assert "greater than or equal to 0.5" in records[1]["error"]


def test_an_interrupted_experiment_resumes_and_skips_what_finished(tmp_path):
    e = experiment()
    run_experiment(e, tmp_path, host=camrig.Host(env={}), executor=LocalProcesses(1))
    before = table(tmp_path)
    for name in ("run-00002.json", "run-00006.json"):
        (tmp_path / "runs" / name).unlink()
    stamps = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "runs").iterdir()}
    run_experiment(e, tmp_path, host=camrig.Host(env={}), executor=LocalProcesses(1))
    assert table(tmp_path) == before  # the same values: seeds are per run
    assert {
        p.name: p.stat().st_mtime_ns for p in (tmp_path / "runs").iterdir() if p.name in stamps
    } == stamps  # untouched
    other = experiment(seed=8)
    with pytest.raises(camrig.ConfigError, match="different experiment"):
        run_experiment(other, tmp_path, host=camrig.Host(env={}), executor=LocalProcesses(1))


def write_experiment(tmp_path: Path, runs: int) -> Path:
    data = copy.deepcopy(EXPERIMENT)
    data["experiment"]["rig"]["rig"]["sensor"].update(width_px=640, height_px=480, pixel_pitch_um=27.0)
    data["experiment"]["sweep"] = {"grid": {"capture.seed": list(range(runs))}}
    data["experiment"]["repeats"] = 1
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_kill_mid_way_then_resume_every_run_present_once_none_corrupt(tmp_path):
    """A real SIGKILL to `camrig run` and its workers while runs are in flight."""
    path, out = write_experiment(tmp_path, 24), tmp_path / "out"
    command = [sys.executable, "-m", "camrig", "run", str(path), "--out", str(out), "--workers", "2"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and len(list((out / "runs").glob("run-*.json"))) < 3:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = read_runs(out)
    assert 3 <= len(finished) < 24  # really interrupted, and what finished is whole JSON
    assert not (out / "results.csv").exists()
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rows = table(out)
    assert [r["run"] for r in rows] == [f"run-{i:05d}" for i in range(24)] and all(r["status"] == "ok" for r in rows)
    assert all(json.loads(p.read_text()) for p in (out / "runs").glob("*.json"))
    assert not list(out.rglob(".*.tmp*"))  # no temporary file left by the kill


@pytest.fixture
def dask_cluster(tmp_path):
    """A real `dask scheduler` and `dask worker` on localhost."""
    pytest.importorskip("distributed")
    scheduler_file = tmp_path / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(scheduler_file),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
    ]
    try:
        deadline = time.time() + 60
        while not scheduler_file.exists() and time.time() < deadline:
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "1",
                                       "--nthreads", "1", "--no-dashboard"], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, env=env))  # fmt: skip
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            p.wait(timeout=30)


def test_the_same_experiment_on_a_dask_cluster_gives_the_identical_table(tmp_path, dask_cluster):
    e = experiment()
    run_experiment(e, tmp_path / "local", host=camrig.Host(env={}), executor=LocalProcesses(1))
    run_experiment(e, tmp_path / "dask", host=camrig.Host(env={}), executor=DaskCluster(dask_cluster, timeout_s=30))
    assert table(tmp_path / "dask") == table(tmp_path / "local")


def test_an_unreachable_scheduler_is_a_clear_error_and_nothing_is_written(tmp_path, capsys):
    pytest.importorskip("distributed")
    from camrig.cli import main

    path = write_experiment(tmp_path, 2)
    code = main(["run", str(path), "--out", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:9"])
    assert code == 2 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_bad_measurement_spec_stops_the_experiment_before_it_runs(tmp_path):
    e = experiment(measurements=[{"type": "measure.mtf", "roi": [0.5, 0.5, 0.9, 0.9]}])
    with pytest.raises(camrig.ConfigError, match=r"experiment\.measurements\.0.*roi"):
        run_experiment(e, tmp_path, host=camrig.Host(env={}), executor=LocalProcesses(1))
    assert list(tmp_path.iterdir()) == []


def test_a_measurement_that_raises_or_returns_the_wrong_thing_fails_its_run_naming_it(tmp_path):
    e = experiment(measurements=[{"type": "measure.colour_error"}], repeats=1)  # the rig's result is not linear sRGB
    records = run_experiment(e, tmp_path, host=camrig.Host(env={}), executor=LocalProcesses(1))
    assert all(r["status"] == "error" for r in records)
    assert (
        "measurement 'measure.colour_error' raised ValueError: measure.colour_error needs linear sRGB"
        in records[0]["error"]
    )


def test_camrig_run_reads_toml_and_swaps_whole_parts(tmp_path, capsys):
    from camrig.cli import main

    rig_path = tmp_path / "rig.yaml"
    rig_path.write_text(yaml.safe_dump(SMALL_RIG))
    (tmp_path / "exp.toml").write_text(
        '[experiment]\nname = "links"\nrig = "rig.yaml"\nrepeats = 1\n'
        '[[experiment.sweep.list]]\n"rig.link" = {type = "links.ideal", bandwidth_gbit_s = 1.0, latency_ns = 7.0}\n'
        '[[experiment.sweep.list]]\n"rig.link" = {type = "links.usb3"}\n'
        '[[experiment.measurements]]\ntype = "measure.link"\n[[experiment.measurements]]\ntype = "measure.latency"\n'
    )
    code = main(["run", str(tmp_path / "exp.toml"), "--out", str(tmp_path / "out"), "--workers", "1"])
    assert code == 0, capsys.readouterr().err
    rows = table(tmp_path / "out")
    assert [json.loads(r["rig.link"])["type"] for r in rows] == ["links.ideal", "links.usb3"]
    assert float(rows[0]["link_ms"]) == pytest.approx((7 + 64 * 48 * 14 / 1.0) / 1e6)  # latency + bits / (1 Gbit/s), ms
    assert float(rows[1]["link_mb_per_frame"]) > 0 and float(rows[1]["link_ms"]) != float(rows[0]["link_ms"])
    assert "2 runs of 'links'" in capsys.readouterr().out
