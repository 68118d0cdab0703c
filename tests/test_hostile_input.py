"""Hostile input and sudden death (issue 14): every case is refused with one line on stderr naming the file
or field, exit 2 (usage, config, environment) or 1 (the work failed), no traceback, under 500 MB; after a
SIGKILL at each point of a write the folder holds the old state or the new one, and no temporary survives."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

import camrig
from camrig.output import sweep_stale_temps

ROOT = Path(__file__).resolve().parents[1]
SMALL = str(ROOT / "examples/rigs/small_module.toml")
EXAMPLE = (ROOT / "examples/rigs/four_thirds_module.yaml").read_text()
EXPERIMENT = str(ROOT / "examples/experiments/f_number_sweep.yaml")
TINY = ["--set", "rig.sensor.width_px=40", "--set", "rig.sensor.height_px=30"]
PEAK_BYTES = 500 * 2**20


PEAK_PROBE = textwrap.dedent(
    """
    import runpy, sys
    peak_file = sys.argv.pop(1)
    sys.argv[0] = "camrig"
    try:
        runpy.run_module("camrig", run_name="__main__", alter_sys=True)
    finally:  # this process's own high-water mark (ru_maxrss would carry the forking parent's over exec)
        with open("/proc/self/status") as status, open(peak_file, "w") as out:
            out.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
    """
)


def camrig_cli(
    *argv: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 60
) -> tuple[int, str, str, int]:
    """Run the camrig command line in a fresh process: exit code, stdout, stderr and its peak resident bytes."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CAMRIG_")}
    environ.update(env or {})
    with tempfile.NamedTemporaryFile("r", suffix=".peak") as peak:
        proc = subprocess.run([sys.executable, "-c", PEAK_PROBE, peak.name, *argv], cwd=cwd, env=environ,
                              capture_output=True, text=True, timeout=timeout)  # fmt: skip
        kb = peak.read().strip()
    return proc.returncode, proc.stdout, proc.stderr, int(kb) * 1024 if kb else 0


def assert_refused(code: int, err: str, peak: int, expected_code: int, *names: str) -> None:
    lines = err.strip().splitlines()
    assert code == expected_code, err
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    assert "Traceback" not in err
    for name in names:
        assert name in lines[0], f"{name!r} not named in: {lines[0]}"
    assert peak < PEAK_BYTES, f"peak {peak / 2**20:.0f} MB"


# -- configs -------------------------------------------------------------------------------------------------


def _laughs() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\nrig: *a9\ncapture: {}\n"


def _example_with(old: str, new: str) -> str:
    assert old in EXAMPLE
    return EXAMPLE.replace(old, new)


SENSOR = "    flange_distance_mm: 19.25\n"
CONFIGS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # name: (file name, content, what the message must name)
    "billion laughs": ("laughs.yaml", _laughs(), ("laughs.yaml:", "aliases")),
    "deep yaml": ("deep.yaml", "rig: " + "[" * 3000 + "]" * 3000 + "\n", ("deep.yaml:1", "nested deeper")),
    "deep yaml block": ("deep2.yaml", "".join(f"{'  ' * i}k:\n" for i in range(200)), ("deep2.yaml:", "nested deeper")),
    "deep toml": ("deep.toml", "rig = " + "[" * 3000 + "]" * 3000 + "\n", ("deep.toml", "nested deeper")),
    "deep dotted toml": ("dotted.toml", "a" + ".a" * 3000 + " = 1\n", ("dotted.toml", "nested deeper")),
    "duplicate key": (
        "dup.yaml",
        _example_with("  name: Four Thirds module\n", "  name: Four Thirds module\n  lens: {type: optics.ideal}\n"),
        ("dup.yaml:8", "'lens' given twice", "line 4"),
    ),  # fmt: skip
    "recursive alias": ("rec.yaml", "rig: &a [*a]\n", ("rec.yaml:1", "alias")),
    "bool for int": (
        "bool.yaml",
        _example_with(SENSOR, SENSOR + "    width_px: true\n"),
        ("bool.yaml:", "rig.sensor.width_px", "boolean"),
    ),
    "infinite exposure": (
        "inf.yaml",
        _example_with("exposure_s: 0.005", "exposure_s: .inf"),
        ("inf.yaml:", "capture.exposure_s", "finite"),
    ),
    "nan temperature": (
        "nan.yaml",
        _example_with(SENSOR, SENSOR + "    dark_reference_c: .nan\n"),
        ("nan.yaml:", "rig.sensor.dark_reference_c", "finite"),
    ),
    "1e5 x 1e5 sensor": (
        "huge.yaml",
        _example_with(SENSOR, SENSOR + "    width_px: 100000\n    height_px: 100000\n"),
        ("huge.yaml:", "rig.sensor.width_px"),
    ),
    "1e9 x 1e9 sensor": (
        "giga.yaml",
        _example_with(SENSOR, SENSOR + "    width_px: 1000000000\n    height_px: 1000000000\n"),
        ("giga.yaml:", "rig.sensor.width_px"),
    ),
    "multi-line YAML error": ("bad.yaml", "rig:\n  lens: [a, b\n  sensor: x\n", ("bad.yaml:", "malformed YAML")),
}


@pytest.mark.parametrize("case", list(CONFIGS))
def test_hostile_config_is_refused_in_one_line_cheaply(tmp_path, case):
    name, text, names = CONFIGS[case]
    (tmp_path / name).write_text(text)
    code, out, err, peak = camrig_cli("check", name, cwd=tmp_path)
    assert_refused(code, err, peak, 2, *names)


def test_an_infinity_is_taken_where_the_field_means_it(tmp_path):
    (tmp_path / "focus.yaml").write_text(
        _example_with("    f_number: 1.4 ", "    focus_distance_m: .inf\n    f_number: 1.4 ")
    )
    rig = camrig.read_rig(tmp_path / "focus.yaml")
    assert rig.rig.lens.spec_fields["focus_distance_m"] == float("inf")


def test_devices_pipes_folders_and_oversized_files_are_not_read(tmp_path):
    os.mkfifo(tmp_path / "fifo.yaml")  # opening it for reading would wait for a writer
    with open(tmp_path / "big.yaml", "wb") as fh:
        fh.truncate(50 * 2**20)  # sparse: 50 MB that cost nothing to make
    (tmp_path / "folder.yaml").mkdir()
    for path, message in [
        ("/dev/zero", "not a regular file"),
        ("fifo.yaml", "not a regular file"),
        ("big.yaml", "more than a config file may hold"),
        ("folder.yaml", "is a folder"),
    ]:
        code, _, err, peak = camrig_cli("check", path, cwd=tmp_path, timeout=20)
        assert_refused(code, err, peak, 2, path, message)


def test_limits_are_configurable(tmp_path):
    (tmp_path / "rig.toml").write_text(Path(SMALL).read_text())
    code, _, err, peak = camrig_cli("check", "rig.toml", cwd=tmp_path, env={"CAMRIG_CONFIG_MAX_BYTES": "100"})
    assert_refused(code, err, peak, 2, "rig.toml", "CAMRIG_CONFIG_MAX_BYTES")
    code, _, err, peak = camrig_cli("check", "rig.toml", cwd=tmp_path, env={"CAMRIG_CONFIG_MAX_DEPTH": "2"})
    assert_refused(code, err, peak, 2, "rig.toml", "nested deeper than 2")
    code, _, err, peak = camrig_cli("check", "rig.toml", cwd=tmp_path, env={"CAMRIG_CONFIG_MAX_DEPTH": "many"})
    assert_refused(code, err, peak, 2, "CAMRIG_CONFIG_MAX_DEPTH")


def test_deep_set_values_are_refused():
    code, _, err, peak = camrig_cli("check", SMALL, "--set", "rig.lens=" + "[" * 3000 + "]" * 3000)
    assert_refused(code, err, peak, 2, "--set rig.lens", "nested deeper")
    code, _, err, peak = camrig_cli("check", SMALL, "--set", "rig.sensor.dark_reference_c=.nan")
    assert_refused(code, err, peak, 2, "rig.sensor.dark_reference_c", "finite")


def test_a_sensor_too_big_for_memory_is_refused_before_allocating(monkeypatch):
    monkeypatch.setenv("CAMRIG_MEMORY_BYTES", str(10**6))
    with pytest.raises(camrig.ConfigError, match=r"small_module.toml: rig.sensor.width_px: 640 x 480 px needs about"):
        camrig.load_rig(SMALL)


# -- options: refused before any file is touched -------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["capture", SMALL, *TINY, "--out", ""], ("--out", "empty path")),
        (["capture", SMALL, *TINY, "--out", "out/" + "a" * 300 + ".png"], ("aaaa", "bytes")),
        (["capture", SMALL, *TINY, "--out", "out"], ("out: is a folder",)),
        (["capture", SMALL, *TINY, "--out", "out/missing/x.png"], ("does not exist",)),
        (["capture", SMALL, *TINY, "--out", "out/x.dng"], ("writers.dng", "--raw")),
        (["capture", SMALL, *TINY, "--out", "out/x.png", "--seed", "-1"], ("--seed",)),
        (["preview", SMALL, *TINY, "--frames", "0"], ("--frames", "at least 1")),
        (["run", EXPERIMENT, "--out", "out/file"], ("out/file", "is a file")),
        (["run", EXPERIMENT, "--out", "out/run", "--workers", "-1"], ("--workers",)),
        (["run", EXPERIMENT, "--out", "out/run", "--scheduler", "not a scheduler"], ("--scheduler",)),
        (["run", EXPERIMENT, "--out", "out/run", "--scheduler", "foo://host:1"], ("unknown scheme",)),
        (["run", EXPERIMENT, "--out", "out/run", "--scheduler", "tcp://127.0.0.1:1"], ("tcp://127.0.0.1:1",)),
        (["-p", "no:camrig", "check", SMALL], ("'camrig' is the host itself",)),
        (["check"], ("required: rig",)),
    ],
    ids=lambda v: " ".join(v)[:60] if isinstance(v, list) else None,
)
def test_bad_options_are_one_line_and_touch_nothing(tmp_path, argv, names):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "file").write_text("x")
    code, _, err, peak = camrig_cli(*argv, cwd=tmp_path)
    assert_refused(code, err, peak, 2, *names)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["file"]


def test_the_host_cannot_be_disabled_by_the_environment():
    code, _, err, peak = camrig_cli("check", SMALL, env={"CAMRIG_DISABLE_PLUGINS": "camrig"})
    assert_refused(code, err, peak, 2, "CAMRIG_DISABLE_PLUGINS")


def test_unknown_plugin_names_are_reported_with_suggestions():
    code, out, err, _ = camrig_cli("-p", "no:isq", "check", SMALL)
    assert code == 0 and "rig fits" in out
    assert "disable list names no plugin 'isq'; did you mean 'isp'?" in err
    host = camrig.Host(allow=["optics", "sensor"], env={})
    assert host.unknown_names == ["sensor"]


def test_a_scheduler_that_never_answers_is_a_clear_error_within_the_deadline(tmp_path):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        start = time.monotonic()
        code, _, err, peak = camrig_cli("run", EXPERIMENT, "--out", "run", "--scheduler", f"tcp://127.0.0.1:{port}",
                                        cwd=tmp_path, env={"CAMRIG_SCHEDULER_TIMEOUT_S": "0.5"})  # fmt: skip
    assert_refused(code, err, peak, 2, f"127.0.0.1:{port}", "no Dask handshake")
    assert time.monotonic() - start < 20 and not (tmp_path / "run").exists()


def test_a_closed_stdout_is_no_traceback():
    proc = subprocess.run(
        f"'{sys.executable}' -m camrig schema optics.ideal | head -c 1", shell=True, capture_output=True, text=True
    )
    assert proc.stdout == "{" and "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


def test_the_sidecar_records_the_seed_used(tmp_path):
    code, _, err, _ = camrig_cli("capture", SMALL, *TINY, "--seed", "5", "--out", "x.npy", cwd=tmp_path)
    assert code == 0, err
    assert json.loads((tmp_path / "x.npy.json").read_text())["capture"]["seed"] == 5


# -- sudden death --------------------------------------------------------------------------------------------

KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from camrig import output

    point, folder, force = sys.argv[1], Path(sys.argv[2]), sys.argv[3] == "force"
    published = []
    real = output._publish

    def publish(tmp, path, force):
        if point == f"before-publish-{len(published)}":
            os.kill(os.getpid(), signal.SIGKILL)
        real(tmp, path, force)
        published.append(path)
        if point == f"after-publish-{len(published)}":
            os.kill(os.getpid(), signal.SIGKILL)

    output._publish = publish

    def write(tmp):
        tmp.write_bytes(b"new-" * 1000)
        if point == "writing":
            os.kill(os.getpid(), signal.SIGKILL)

    if len(sys.argv) > 4:  # an experiment record
        output.write_atomically(folder / "run-00001.json", lambda tmp: write(tmp), force=True)
    else:
        output.write_with_sidecar(folder / "x.png", write, '{"new": true}', force=force)
    """
)


def _killed(point: str, folder: Path, *extra: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, point, str(folder), *extra], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr


def _state(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("old", [False, True], ids=["new file", "over an old pair"])
@pytest.mark.parametrize("point", ["writing", "before-publish-0", "after-publish-1", "after-publish-2"])
def test_a_kill_at_any_point_leaves_the_old_pair_or_the_new_one(tmp_path, point, old):
    before: dict[str, bytes] = {}
    if old:
        (tmp_path / "x.png").write_bytes(b"old")
        (tmp_path / "x.png.json").write_text('{"old": true}')
        before = _state(tmp_path)
    _killed(point, tmp_path, "force" if old else "")
    assert any(p.name.startswith(".") for p in tmp_path.iterdir())  # the kill did leave temporaries
    sweep_stale_temps(tmp_path)  # what the next write into this folder does first
    after = _state(tmp_path)
    new = {"x.png": b"new-" * 1000, "x.png.json": b'{"new": true}'}
    assert after in (before, new)
    if point.startswith("after-publish"):  # the sidecar had landed: the pair is completed
        assert after == new


def test_a_killed_experiment_record_leaves_no_temporary_after_the_next_write(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    _killed("writing", runs, "", "record")
    assert [p.name for p in runs.iterdir() if p.name.startswith(".")]
    code = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from camrig.experiments.runner import _write_json; "
            "_write_json(Path(sys.argv[1]) / 'run-00002.json', {'index': 2})",
            str(runs),
        ]
    ).returncode
    assert code == 0 and sorted(p.name for p in runs.iterdir()) == ["run-00002.json"]


def test_a_live_writers_temporaries_are_left_alone(tmp_path):
    live = tmp_path / f".x.png.camrig-{camrig.output._HOST}-{os.getppid()}-abcd1234.tmp.png"
    live.write_bytes(b"being written")
    assert sweep_stale_temps(tmp_path) == [] and live.exists()


def test_workers_die_with_their_parent(tmp_path):
    parent = textwrap.dedent(
        """
        import os, sys, time
        from concurrent.futures import ProcessPoolExecutor
        from camrig.experiments.workers import die_with_parent

        with ProcessPoolExecutor(1, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
            print(pool.submit(os.getpid).result(), flush=True)
            pool.submit(time.sleep, 120)
            time.sleep(120)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", parent], stdout=subprocess.PIPE, text=True)
    worker = int(proc.stdout.readline())
    os.kill(worker, 0)  # running
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        try:  # reap it if it is ours (it is not: its parent was the killed process)
            os.waitpid(worker, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.05)
    pytest.fail(f"worker {worker} outlived its parent")
