"""Real glass from the lensfun database: measured lateral colour against lensfun's own modifier, mounts,
fit checks and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

import camrig

lensfunpy = pytest.importorskip("lensfunpy")
from camrig_optics import LensfunSpec  # noqa: E402
from camrig_optics.distortion import tca_scale  # noqa: E402
from camrig_optics.lensfun import resolve  # noqa: E402

TCA_LENSES = [  # full-frame, 3:2-calibrated, with poly3 lateral-colour data
    ("Canon", "Canon EF 100-400mm f/4.5-5.6L IS USM", 100.0),
    ("Canon", "Canon EF 100mm f/2.8 Macro USM", 100.0),
    ("Canon", "Canon EF 100mm f/2.8L Macro IS USM", 100.0),
]


@pytest.mark.parametrize("maker,model,focal", TCA_LENSES, ids=[m for _, m, _ in TCA_LENSES])
def test_lateral_colour_agrees_with_lensfuns_modifier(maker, model, focal):
    spec = resolve(LensfunSpec(maker=maker, model=model, focal_length_mm=focal, f_number=5.6, psf="none"))
    assert spec.tca is not None
    db = lensfunpy.Database()
    lens = next(lens for lens in db.lenses if lens.model == model)
    width, height = 600, 400
    modifier = lensfunpy.Modifier(lens, 1.0, width, height)
    modifier.initialize(focal, 5.6, 10.0, scale=1.0, flags=lensfunpy.ModifyFlags.TCA)
    reference = modifier.apply_subpixel_distortion().astype(np.float64)  # (rows, cols, RGB, xy)
    pixel_mm = math.hypot(36, 24) / math.hypot(width, height)
    cx, cy = (width - 1) / 2, (height - 1) / 2
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    x, y = (xs - cx) * pixel_mm, (ys - cy) * pixel_mm
    r = np.hypot(x, y) / spec.tca.norm_radius_mm
    for channel, coefficients in ((0, spec.tca.red), (2, spec.tca.blue)):
        s = tca_scale(spec.tca, coefficients, r)
        err = np.hypot(
            cx + x * s / pixel_mm - reference[..., channel, 0], cy + y * s / pixel_mm - reference[..., channel, 1]
        )
        assert err.max() < 0.05


def test_mount_flange_and_image_circle_come_from_the_database():
    ef = resolve(LensfunSpec(maker="Canon", model="Canon EF 50mm f/1.8 MkII", focal_length_mm=50, f_number=1.8))
    assert (ef.mount, ef.flange_distance_mm) == ("EF", 44.0)
    assert ef.image_circle_mm == pytest.approx(math.hypot(36, 24))
    assert ef.distortion is not None and ef.distortion.norm_radius_mm == pytest.approx(12.0)
    mft = resolve(
        LensfunSpec(
            maker="Olympus", model="Olympus M.Zuiko Digital ED 14-42mm f/3.5-5.6", focal_length_mm=14, f_number=3.5
        )
    )
    assert (mft.mount, mft.flange_distance_mm) == ("MFT", 19.25)
    # calibrated on a 4:3 sensor at crop 2: half its short side is 43.27 / 2 / (2 x 5/3) mm
    assert mft.distortion.norm_radius_mm == pytest.approx(math.hypot(36, 24) / 2 / (2 * 5 / 3))


def test_an_ef_lens_on_the_module_needs_the_adapter(host, rig_dict):
    rig_dict["rig"].update(
        lens={
            "type": "optics.lensfun",
            "maker": "Canon",
            "model": "Canon EF 50mm f/1.8 MkII",
            "focal_length_mm": 50,
            "f_number": 2.8,
            "psf": "none",
        },
        sensor={"type": "sensors.cmos", "width_px": 64, "height_px": 48, "pixel_pitch_um": 20.0},
    )
    report = camrig.assemble(host, camrig.read_rig(rig_dict), strict=False).report
    flange = {p.rule: p for p in report.problems}["mount.flange"]
    assert "add 24.75 mm of adapter" in flange.suggestion
    rig_dict["rig"]["adapters"] = [{"type": "mounts.adapter", "front": "EF", "rear": "MFT", "length_mm": 24.75}]
    rig = camrig.assemble(host, camrig.read_rig(rig_dict))
    shot = rig.capture()
    assert shot.result.data.shape == (48, 64, 3)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        (
            {"model": "Canon EF 50mm f1.8"},
            r"model: lensfun has no Canon lens 'Canon EF 50mm f1.8'; did you mean \['Canon EF 50mm f/1.8",
        ),
        ({"maker": "Cannon"}, r"maker: lensfun knows no lens maker 'Cannon'; did you mean \['Canon'"),
        ({"focal_length_mm": 85}, "focal_length_mm: Canon EF 50mm f/1.8 MkII covers 50-50 mm, not 85"),
        ({"f_number": 1.2}, "f_number: Canon EF 50mm f/1.8 MkII opens to f/1.8, not f/1.2"),
    ],
)
def test_bad_lensfun_lenses_name_the_field(kw, message):
    base = {"maker": "Canon", "model": "Canon EF 50mm f/1.8 MkII", "focal_length_mm": 50, "f_number": 2.8}
    with pytest.raises(ValueError, match=message):
        resolve(LensfunSpec(**{**base, **kw}))


VIGNETTING_LENSES = [
    ("Canon EF 50mm f/1.8 MkII", 50.0, 1.8),
    ("Canon EF 100mm f/2.8L Macro IS USM", 100.0, 2.8),
    ("Canon EF 24-105mm f/4L IS USM", 24.0, 4.0),
]


@pytest.mark.parametrize("model,focal,f_number", VIGNETTING_LENSES, ids=[m for m, _, _ in VIGNETTING_LENSES])
def test_vignetting_agrees_with_lensfuns_correction(model, focal, f_number):
    from camrig_optics.lensfun import LensfunLens as Lens

    lens = Lens(LensfunSpec(maker="Canon", model=model, focal_length_mm=focal, f_number=f_number, psf="none"))
    # lensfun puts r = 1 at the corner pixel's centre, hypot(W - 1, H - 1) / 2 pixels out, where the physical
    # half diagonal is hypot(W, H) / 2: 0.17 % apart at 600 x 400, 0.03 % at 3000 x 2000, nothing at 100 MP
    width, height, level = 3000, 2000, 30  # 30 DN: no corner clips at 255 after the correction
    plane = camrig.FocalPlane(width_px=width, height_px=height, pitch_um=36000 / width)  # a full-frame image
    ours = lens.relative_illumination(plane)
    db = lensfunpy.Database()
    reference = next(lens for lens in db.lenses if lens.model == model)
    modifier = lensfunpy.Modifier(reference, 1.0, width, height)
    modifier.initialize(focal, f_number, 1000.0, scale=1.0, flags=lensfunpy.ModifyFlags.VIGNETTING)
    image = np.full((height, width, 3), level, np.uint8)  # lensfunpy 1.18's float paths return garbage
    modifier.apply_color_modification(image)  # divides by lensfun's vignetting factor, in place (fixed point)
    corrected = image[..., 1].astype(float)
    assert ours[0, 0] < 0.4  # these lenses darken their corners by more than 1.3 EV
    assert abs(np.mean(corrected * ours / level) - 1) < 1e-3  # the gain agrees on average to 0.1 %
    assert np.abs(corrected - np.rint(level / ours)).max() <= 2  # and nowhere by more than fixed-point rounding
