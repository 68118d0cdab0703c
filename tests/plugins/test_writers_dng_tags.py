"""The shot's tags in our DNGs (ISO, capture time, serial, lens, baseline exposure) as real clients read them:
dcraw (-i -v), exiftool (and its validator) and tifffile; names that are not ASCII."""

from __future__ import annotations

import copy
import json
import math
import shutil
import subprocess
from datetime import UTC, datetime
from typing import Any

import pytest

import camrig
from conftest import SMALL_RIG

tifffile = pytest.importorskip("tifffile")
needs_dcraw = pytest.mark.skipif(shutil.which("dcraw") is None, reason="dcraw is not installed (apt-get install dcraw)")
needs_exiftool = pytest.mark.skipif(
    shutil.which("exiftool") is None, reason="exiftool is not installed (apt-get install exiftool)"
)

BASE_GAIN = (16383 - 256) / (6000 - 5 * 1.5)
"""The default sensor's base conversion gain by hand: the 14-bit ADC's span above the 256 DN black level reached
at the 6000 e- full well less 5 read-noise sigmas (1.5 e-), DN/e-."""


def rig_dict(**sensor: Any) -> dict[str, Any]:
    d = copy.deepcopy(SMALL_RIG)
    d["rig"]["sensor"].update(sensor)
    return d


def shoot(tmp_path, spec: dict[str, Any], name: str = "shot.dng") -> tuple[Any, camrig.Frame]:
    rig = camrig.assemble(camrig.Host(env={}), camrig.read_rig(spec))
    shot = rig.capture()
    return rig.write(shot.raw, tmp_path / name), shot.raw


def exiftool(path: Any) -> dict[str, Any]:
    out = subprocess.run(
        ["exiftool", "-j", "-a", "-G1", "-n", "-validate", "-all", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)[0]  # type: ignore[no-any-return]


def dcraw_info(path: Any) -> dict[str, str]:
    out = subprocess.run(["dcraw", "-i", "-v", str(path)], capture_output=True, text=True, check=True).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines()) if v}


def test_iso_follows_the_gain_from_the_stated_base():
    """ISO = base_iso x gain / base gain: the default gain is ISO 100; four times it, ISO 400; with base_iso 64 and
    twice the gain, 128 (values by hand from the spec)."""
    from camrig_sensors import CmosSensorSpec
    from camrig_sensors.cmos import CmosSensor

    assert CmosSensor(CmosSensorSpec()).iso == pytest.approx(100)
    assert CmosSensor(CmosSensorSpec(gain_dn_per_e=4 * BASE_GAIN)).iso == pytest.approx(400)
    assert CmosSensor(CmosSensorSpec(base_iso=64, gain_dn_per_e=2 * BASE_GAIN)).iso == pytest.approx(128)


@needs_dcraw
@needs_exiftool
def test_dcraw_and_exiftool_read_iso_time_serial_and_lens(tmp_path):
    before = datetime.now(UTC).replace(microsecond=0)
    path, raw = shoot(tmp_path, rig_dict(gain_dn_per_e=4 * BASE_GAIN, instance_seed=1234))
    after = datetime.now(UTC)
    info = dcraw_info(path)
    assert info["ISO speed"] == "400"
    stamp = datetime.strptime(info["Timestamp"], "%a %b %d %H:%M:%S %Y")  # dcraw prints local time; tests run in UTC
    assert info["Camera"] == "camrig virtual module"
    tags = exiftool(path)
    assert tags["ExifTool:Validate"] == "0 0 0", tags.get("ExifTool:Warning")  # errors, warnings, minor: none
    assert tags["ExifIFD:ISO"] == 400 and tags["ExifIFD:SensitivityType"] == 3
    taken = datetime.strptime(
        f"{tags['ExifIFD:DateTimeOriginal']}.{tags['ExifIFD:SubSecTimeOriginal']}", "%Y:%m:%d %H:%M:%S.%f"
    )
    assert tags["ExifIFD:OffsetTimeOriginal"] == "+00:00"
    assert before <= taken.replace(tzinfo=UTC) <= after
    if datetime.now().astimezone().utcoffset().total_seconds() == 0:  # noqa: DTZ005 - dcraw prints local time
        assert stamp == taken.replace(microsecond=0)
    assert str(tags["IFD0:CameraSerialNumber"]) == "1234" and str(tags["ExifIFD:SerialNumber"]) == "1234"
    assert tags["ExifIFD:LensMake"] == "camrig" and tags["ExifIFD:LensModel"] == "optics.ideal 35 mm f/2.8"
    assert tags["IFD0:DNGLensInfo"] == "35 35 2.8 2.8"
    assert tags["ExifIFD:ExposureTime"] == pytest.approx(1e-6) and tags["ExifIFD:FNumber"] == 2.8
    assert "IFD0:BaselineExposure" not in tags  # a single-gain raw is at its base
    assert raw.meta.extra["serial"] == "1234"


def test_a_merged_hdr_raw_carries_its_baseline_exposure(tmp_path):
    """The 20-bit merge is on the high-gain scale: its white level stands for (2^20 - 1 - 256) / K_hcg electrons,
    K_hcg = 16127 DN / 4000 e-, against the base (low-gain) raw's 16127 / K, K = 16127 / (40000 - 5 x 6) e-:
    BaselineExposure = log2 of the ratio, by hand 2.70 EV, so a converter puts mid-tones where the base raw has
    them."""
    spec = copy.deepcopy(SMALL_RIG)
    spec["rig"]["sensor"] = {"type": "sensors.m43_100mp_hdr", "width_px": 64, "height_px": 48, "pixel_pitch_um": 200.0}
    spec["rig"]["stages"] = [{"type": "isp.black_level"}]  # the merge is 20 bits: a floating-point DNG
    rig = camrig.assemble(camrig.Host(env={}), camrig.read_rig(spec))
    path = rig.write(rig.capture().result, tmp_path / "hdr.dng")
    expected = math.log2(((2**20 - 1 - 256) / (16127 / 4000)) / (16127 / (16127 / (40000 - 30))))
    with tifffile.TiffFile(path) as tif:
        num, den = tif.pages[0].tags[50730].value
    assert num / den == pytest.approx(expected, abs=1e-6) and expected == pytest.approx(2.70, abs=0.01)


@needs_exiftool
def test_non_ascii_names_are_transliterated_with_a_warning_and_kept_in_utf8(tmp_path):
    spec = rig_dict()
    spec["rig"].update(make="Löwe Optik", model="Ｘ-100 Überkamera")
    spec["rig"]["writers"] = [{"type": "writers.dng", "lens_model": "Zoom 24–70 mm"}]
    rig = camrig.assemble(camrig.Host(env={}), camrig.read_rig(spec))
    warnings = [p.message for p in rig.report.problems if p.rule == "writers.ascii"]
    assert len(warnings) == 3 and "'Lowe Optik'" in warnings[0] and "'X-100 Uberkamera'" in warnings[1]
    path = rig.write(rig.capture().raw, tmp_path / "x.dng")
    tags = exiftool(path)
    assert tags["ExifTool:Validate"] == "0 0 0", tags.get("ExifTool:Warning")
    assert tags["IFD0:Make"] == "Lowe Optik" and tags["IFD0:Model"] == "X-100 Uberkamera"
    assert tags["IFD0:UniqueCameraModel"] == "Lowe Optik X-100 Uberkamera"
    assert tags["ExifIFD:LensModel"] == "Zoom 2470 mm"  # the en dash has no ASCII form: dropped
    with tifffile.TiffFile(path) as tif:
        localized = bytes(tif.pages[0].tags[50709].value).rstrip(b"\0").decode("utf-8")
    assert localized == "Löwe Optik Ｘ-100 Überkamera"


@pytest.mark.parametrize(("field", "value"), [("make", "佳能"), ("model", "相机")])
def test_a_name_with_no_ascii_form_is_refused_before_the_capture(field, value):
    spec = rig_dict()
    spec["rig"][field] = value
    with pytest.raises(camrig.RigDoesNotFit, match=rf"rig.{field} '{value}' has no ASCII form"):
        camrig.assemble(camrig.Host(env={}), camrig.read_rig(spec))
