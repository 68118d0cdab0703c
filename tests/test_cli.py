"""The camrig command line: outputs, exit codes (0 ok, 1 does not fit / failed, 2 usage, config, environment)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from camrig.cli import main

SMALL = "examples/rigs/small_module.toml"
TINY = ["--set", "rig.sensor.width_px=40", "--set", "rig.sensor.height_px=30"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_plugins_json_lists_every_accessory(capsys):
    code, out, _ = run(capsys, "plugins", "--json")
    plugins = {p["name"]: p for p in json.loads(out)["plugins"]}
    assert code == 0
    assert plugins["optics"]["version"] == "0.1.0"
    ideal = next(a for a in plugins["optics"]["accessories"] if a["name"] == "optics.ideal")
    assert ideal["kind"] == "lens" and ideal["summary"]
    assert all({"name", "kind", "summary"} <= set(a) for p in plugins.values() for a in p["accessories"])


def test_plugins_can_be_disabled_like_pytest(capsys):
    code, out, err = run(capsys, "-p", "no:isp", "plugins", "--json")
    isp = next(p for p in json.loads(out)["plugins"] if p["name"] == "isp")
    assert code == 0 and isp["status"] == "disabled" and not isp["accessories"]
    assert "plugin 'isp' disabled" in err
    code, _, err = run(capsys, "-p", "isp", "plugins")
    assert code == 2 and "expected -p no:NAME" in err


def test_schema(capsys):
    code, out, _ = run(capsys, "schema", "optics.ideal")
    schema = json.loads(out)
    assert code == 0 and schema["properties"]["f_number"]["minimum"] == 0.5
    code, _, err = run(capsys, "schema", "optics.idael")
    assert code == 2 and "did you mean 'optics.ideal'" in err


def test_check_exit_codes_and_json(capsys):
    code, out, _ = run(capsys, "check", SMALL, "--json")
    assert code == 0 and json.loads(out) == {"ok": True, "problems": []}
    code, out, _ = run(capsys, "check", "examples/rigs/does_not_fit.yaml", "--json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False
    assert {"severity", "rule", "parts", "message"} <= set(report["problems"][0])
    code, out, _ = run(capsys, "check", "examples/rigs/does_not_fit.yaml")
    assert code == 1 and "fix: add 24.75 mm of adapter" in out


def test_capture_writes_png_and_refuses_to_overwrite(capsys, tmp_path):
    out = tmp_path / "shot.png"
    code, stdout, _ = run(capsys, "capture", SMALL, *TINY, "--out", str(out), "--seed", "4")
    assert code == 0 and "wrote" in stdout
    image = np.asarray(Image.open(out))
    assert image.shape == (30, 40, 3) and image.dtype == np.uint8
    before = out.read_bytes()
    code, _, err = run(capsys, "capture", SMALL, *TINY, "--out", str(out))
    assert code == 2 and "exists; pass --force" in err and out.read_bytes() == before  # refused before any work
    code, _, _ = run(capsys, "capture", SMALL, *TINY, "--out", str(out), "--force", "--set", "rig.lens.f_number=8")
    assert code == 0 and out.read_bytes() != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shot.png", "shot.png.json"]


def test_capture_raw_is_the_mosaic_the_host_received(capsys, tmp_path):
    code, _, _ = run(capsys, "capture", SMALL, *TINY, "--raw", "--out", str(tmp_path / "raw.png"))
    raw16 = np.asarray(Image.open(tmp_path / "raw.png"))
    code, _, _ = run(capsys, "capture", SMALL, *TINY, "--raw", "--out", str(tmp_path / "raw.npy"))
    raw = np.load(tmp_path / "raw.npy")
    assert code == 0 and raw.dtype == np.uint16 and raw.shape == (30, 40)
    assert np.array_equal(raw16, raw)


def test_capture_to_a_missing_folder_or_unwritable_format(capsys, tmp_path):
    code, _, err = run(capsys, "capture", SMALL, *TINY, "--out", str(tmp_path / "no" / "x.png"))
    assert code == 2 and "does not exist" in err
    code, _, err = run(capsys, "capture", SMALL, *TINY, "--out", str(tmp_path / "x.jpg"))
    assert code == 2 and "no writer for '.jpg'" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "missing.yaml"], "missing.yaml: no such file"),
        (
            ["check", SMALL, "--set", "rig.lens.f_number=0.1"],
            "rig.lens.f_number: Input should be greater than or equal to 0.5",
        ),
        (["check", SMALL, "--set", "rig.lens.type=optics.idael"], "did you mean 'optics.ideal'"),
        (["check"], "the following arguments are required: rig"),
    ],
)
def test_usage_and_config_errors_exit_2_without_traceback(argv, message):
    proc = subprocess.run([sys.executable, "-m", "camrig", *argv], capture_output=True, text=True)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_a_failing_accessory_exits_1_naming_it(capsys, tmp_path):
    rig = tmp_path / "rig.yaml"
    rig.write_text(
        "plugins: {disable: [links]}\n"
        "rig:\n  lens: {type: optics.ideal, focal_length_mm: 35, f_number: 2}\n"
        "  sensor: {type: sensors.cmos, width_px: 8, height_px: 8}\n"
        "  stages: [{type: isp.black_level}, {type: isp.demosaic, method: bilinear}]\n"
        "capture:\n  scene: {type: scenes.chart}\n"
    )
    code, _, err = run(capsys, "capture", str(rig), "--out", str(tmp_path / "x.npy"))
    assert code == 0  # the config's plugin section disabled an unused plugin: fine
    code, _, err = run(capsys, "-p", "no:isp", "capture", str(rig), "--out", str(tmp_path / "y.npy"))
    assert code == 2 and "'isp' would provide family 'isp' but is disabled" in err


def test_raw_to_an_unwritable_format_fails_before_capturing(capsys, tmp_path):
    # this link drops every frame: capturing first would exit 1 (FrameDropped), checking the writer first exits 2
    dropping = ["--set", "rig.link={type: links.optical, bit_error_rate: 0.01, max_retries: 0}"]
    code, _, err = run(capsys, "capture", SMALL, *TINY, *dropping, "--raw", "--out", str(tmp_path / "raw.npy"))
    assert code == 1 and "FrameDropped" in err  # the link really drops
    code, _, err = run(capsys, "capture", SMALL, *TINY, *dropping, "--raw", "--out", str(tmp_path / "raw.jpg"))
    assert code == 2 and "no writer for '.jpg'" in err


def test_preview_prints_rate_and_latency_percentiles_and_saves_an_animation(capsys, tmp_path):
    out = tmp_path / "preview.gif"
    code, stdout, _ = run(capsys, "preview", SMALL, *TINY, "--frames", "6", "--out", str(out))
    assert code == 0
    assert "of 6 frames shown" in stdout and "fps" in stdout and "p50" in stdout and "p99" in stdout
    shown = int(stdout.split(" of 6 frames")[0])
    image = Image.open(out)
    assert image.n_frames == shown and image.size == (40, 30)
    code, _, err = run(capsys, "preview", SMALL, *TINY, "--frames", "2", "--out", str(out))
    assert code == 2 and "exists; pass --force" in err
    code, _, err = run(capsys, "preview", SMALL, *TINY, "--set", "rig.lens.f_number=0.2")
    assert code == 2 and "small_module.toml" in err and "rig.lens.f_number" in err


@pytest.mark.parametrize("command", [[], ["plugins"], ["schema"], ["check"], ["capture"], ["compare"], ["preview"],
                                     ["run"], ["audit"]])  # fmt: skip
def test_every_help_text_prints(capsys, command):
    """argparse formats help with %-interpolation: a bare '%' in a help string is an internal error."""
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0
    assert out.startswith("usage: camrig")
