"""A third party's plugin, installed as its own distribution, is discovered, listed and used in a rig."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).parents[1]
PLUGIN = ROOT / "examples" / "third_party" / "camrig-acme"
RIG = ROOT / "examples" / "third_party" / "acme_rig.yaml"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """camrig-acme installed with pip into a folder of its own (the test environment stays untouched)."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(PLUGIN),
        ],
        check=True,
        capture_output=True,
    )
    return target


def camrig(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    env.pop("CAMRIG_DISABLE_PLUGINS", None)
    env.pop("CAMRIG_ALLOW_PLUGINS", None)
    return subprocess.run([sys.executable, "-m", "camrig", *args], capture_output=True, text=True, env=env, cwd=ROOT)


def test_installed_plugin_is_listed_with_its_distribution_version(site):
    proc = camrig(site, "plugins", "--json")
    acme = next(p for p in json.loads(proc.stdout)["plugins"] if p["name"] == "acme")
    assert proc.returncode == 0 and acme["status"] == "loaded" and acme["version"] == "0.1.0" and not acme["builtin"]
    assert acme["families"] == ["acme"] and [r["id"] for r in acme["fit_rules"]] == ["acme.narrow_view"]
    assert {"name": "acme.tele", "kind": "lens"}.items() <= acme["accessories"][0].items()
    schema = json.loads(camrig(site, "schema", "acme.tele").stdout)
    assert schema["properties"]["f_number"]["minimum"] == 0.5
    assert schema["properties"]["focal_length_mm"]["description"] == "Focal length, mm."
    assert all(prop.get("description") for prop in schema["properties"].values())


def test_its_rule_runs_in_the_fit_check(site):
    proc = camrig(site, "check", str(RIG), "--json")
    report = json.loads(proc.stdout)
    assert proc.returncode == 0 and report["ok"] is True
    (warning,) = [p for p in report["problems"] if p["rule"] == "acme.narrow_view"]
    hfov = 2 * math.degrees(math.atan(3.2 / 2 / 85))  # 320 px x 10 um = 3.2 mm wide, 85 mm lens
    assert warning["severity"] == "warning" and f"{hfov:.1f} deg < 12 deg" in warning["message"]


def test_a_rig_with_its_lens_captures(site, tmp_path):
    """The chart (2 deg wide, 4:3) through the 85 mm lens onto 10 um pixels, framed by hand: its edges sit
    f tan(1 deg) = 1.4837 mm = 148.37 px either side of the centre column 159.5 and 2/3 of that, 98.91 px,
    above and below the centre row 119.5. So the chart starts at column 12 (edge at 11.13) and row 21 (edge at
    20.59), and its dark border, 0.08 of a patch (3.96 px) wide, fills columns 12-15 and rows 21-24; outside it
    the light background (left of the slanted edge) is overexposed to white in this rig."""
    out = tmp_path / "acme.png"
    proc = camrig(site, "capture", str(RIG), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    image = np.asarray(Image.open(out))
    assert image.shape == (240, 320, 3) and image.dtype == np.uint8
    half_width = 85 * math.tan(math.radians(1.0)) / 0.010
    left, top = 159.5 - half_width, 119.5 - 2 / 3 * half_width
    assert (11 < left < 11.5) and (20.5 < top < 21)
    rows, cols = slice(30, 210), slice(20, 140)  # away from the corners; the background is light here
    # the background up to the chart's edge, the border inside it; demosaicing mixes each pixel with its
    # neighbours', so the pixels either side of a boundary (columns 11-12 and 15, rows 20-21 and 24) are left out
    assert np.all(image[rows, :11] == 255) and np.all(image[rows, 13:15] < 200)
    assert np.all(image[:20, cols] == 255) and np.all(image[22:24, cols] < 200)


def test_it_can_be_disabled_like_any_plugin(site):
    proc = camrig(site, "-p", "no:acme", "check", str(RIG))
    assert proc.returncode == 2 and "Plugin 'acme' would provide family 'acme' but is disabled" in proc.stderr


def test_its_lens_follows_the_camera_equation(site):
    code = r"""
import json, numpy as np, camrig, camrig_acme
from camrig_acme.tele import Tele
lens = Tele(camrig_acme.TeleSpec(f_number=2.8, transmission=0.9))
plane = camrig.FocalPlane(width_px=40, height_px=30, pitch_um=500.0)
geometry = camrig.Geometry(plane=plane, view=lens.view(plane))
meta = camrig.FrameMeta(format="radiance", units="W/(m^2 sr)", bands_nm=(450, 550, 650))
frame = camrig.Frame(np.full((30, 40, 3), 2.0, np.float32), meta)
e = lens.process(frame, camrig.CaptureContext(exposure_s=1e-3, seed=0, geometry=geometry), "lens").data
print(json.dumps([float(e[14, 19, 1]), float(e[0, 0, 1])]))
"""
    env = {**os.environ, "PYTHONPATH": str(site)}
    centre, corner = json.loads(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    )
    on_axis = math.pi * 2.0 * 0.9 / (4 * 2.8**2)
    r_centre = math.hypot(0.5 * 0.5, 0.5 * 0.5)  # pixel (14, 19) is half a pitch off the axis each way
    r_corner = math.hypot(19.5 * 0.5, 14.5 * 0.5)
    assert centre == pytest.approx(on_axis * math.cos(math.atan(r_centre / 85)) ** 4, rel=1e-6)
    assert corner == pytest.approx(on_axis * math.cos(math.atan(r_corner / 85)) ** 4, rel=1e-6)


def test_its_own_tests_run_camrigs_test_kit(site):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        capture_output=True,
        text=True,
        env=env,
        cwd=PLUGIN,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout
