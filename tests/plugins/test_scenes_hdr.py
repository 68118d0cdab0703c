"""scenes.hdr: OpenEXR radiance reaches the sensor unclipped and in proportion; bad EXRs are refused by name."""

from __future__ import annotations

import numpy as np
import pytest

import camrig
from camrig_scenes import HdrSpec
from camrig_scenes.hdr import HdrScene

OpenEXR = pytest.importorskip("OpenEXR")
QUIET = {
    "shot": False,
    "dark": False,
    "dsnu": False,
    "prnu": False,
    "read": False,
    "row": False,
    "hot": False,
    "clip": True,
}


def write_exr(path, channels: dict[str, np.ndarray]) -> None:
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    OpenEXR.File(header, {k: np.ascontiguousarray(v, np.float32) for k, v in channels.items()}).write(str(path))


def test_a_2_to_the_18_ratio_reaches_a_linear_sensor_intact(tmp_path):
    """Two halves of an EXR, 2^-9 and 2^9 (18 EV apart; with a white of 100 cd/m^2 the bright half is 51 200
    cd/m^2, a sunlit cloud, the dark 0.2 cd/m^2, a room at night), onto a noiseless 32-bit linear sensor with a full
    well of 1e9 e-: neither half clips and the ratio of their electrons is 2^18 within 1 %."""
    value = np.full((40, 80), 2.0**-9, np.float32)
    value[:, 40:] = 2.0**9
    write_exr(tmp_path / "two.exr", {"R": value, "G": value, "B": value})
    spec = {
        "rig": {
            "name": "hdr",
            "make": "camrig",
            "model": "hdr",
            "frame_rate_hz": 1,
            "lens": {
                "type": "optics.ideal",
                "focal_length_mm": 35,
                "f_number": 4,
                "psf": "none",
                "image_circle_mm": 40,
            },
            "sensor": {
                "type": "sensors.cmos",
                "width_px": 32,
                "height_px": 16,
                "pixel_pitch_um": 10.0,
                "cfa": "mono",
                "qe": [[0.5, 0.5, 0.5]],
                "full_well_e": 1e9,
                "adc_bits": 32,
                "gain_dn_per_e": 1.0,
                "black_level_dn": 64,
                "noise": QUIET,
            },
        },
        "capture": {
            "scene": {"type": "scenes.hdr", "path": str(tmp_path / "two.exr"), "framing": "fill"},
            "exposure_s": 0.5,
            "seed": 0,
        },
    }
    raw = camrig.assemble(camrig.Host(env={}), camrig.read_rig(spec)).capture().raw
    electrons = raw.data.astype(np.float64) - raw.meta.black_level
    dark, bright = electrons[:, 2:12].mean(), electrons[:, 20:30].mean()
    assert bright < 0.9e9 and dark > 1000  # under the full well, and well above the quantisation step
    assert bright / dark == pytest.approx(2.0**18, rel=0.01)


def test_a_y_only_exr_is_neutral_and_absolute(tmp_path):
    """A Y channel of 2 with white_luminance_cd_m2 1 (a file in cd/m^2): radiance of a neutral at 2 cd/m^2,
    i.e. twice the band radiance of a perfect white at 1 cd/m^2."""
    from camrig_scenes.spectral import white_band_radiance

    write_exr(tmp_path / "y.exr", {"Y": np.full((10, 10), 2.0, np.float32)})
    scene = HdrScene(HdrSpec(path=str(tmp_path / "y.exr"), white_luminance_cd_m2=1.0, framing="fill"))
    out = scene.radiance(camrig.AngularGrid(width=1, height=1, x0=0.0, y0=0.0, step=1e-3))[0, 0]
    np.testing.assert_allclose(out, 2 * white_band_radiance((450.0, 550.0, 650.0), "D65", 1.0), rtol=1e-5)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (np.nan, "channel G: 1 NaN or infinite values"),
        (np.inf, "channel G: 1 NaN or infinite values"),
        (-0.5, "channel G: 1 negative values"),
    ],
)
def test_nan_infinite_or_negative_radiance_is_refused_naming_file_and_channel(tmp_path, capsys, value, message):
    from camrig.cli import main

    g = np.ones((6, 8), np.float32)
    g[2, 3] = value
    exr = tmp_path / "bad.exr"
    write_exr(exr, {"R": np.ones((6, 8)), "G": g, "B": np.ones((6, 8))})
    rig_file = tmp_path / "rig.yaml"
    rig_file.write_text(
        "rig:\n  name: t\n  make: t\n  model: t\n  frame_rate_hz: 1\n"
        "  lens: {type: optics.ideal, focal_length_mm: 35, f_number: 4, psf: none}\n"
        "  sensor: {type: sensors.cmos, width_px: 64, height_px: 48, pixel_pitch_um: 10}\n"
        f"capture:\n  scene: {{type: scenes.hdr, path: '{exr}'}}\n"
    )
    assert main(["check", str(rig_file)]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(exr) in err[0] and message in err[0] and "(2, 3)" in err[0], err


def test_a_file_that_is_not_exr_or_lacks_colour_channels_is_refused(tmp_path):
    from pydantic import ValidationError

    (tmp_path / "x.exr").write_bytes(b"nope")
    with pytest.raises(ValidationError, match="not an OpenEXR file"):
        HdrSpec(path=str(tmp_path / "x.exr"))
    write_exr(tmp_path / "z.exr", {"Z": np.ones((4, 4))})
    with pytest.raises(ValidationError, match="channels Z; scenes.hdr reads R, G, B or Y"):
        HdrSpec(path=str(tmp_path / "z.exr"))
