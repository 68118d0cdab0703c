"""The ideal lens against the camera equation and pinhole geometry, worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from camrig_optics import IdealLensSpec
from camrig_optics.ideal import IdealLens

import camrig

PLANE = camrig.FocalPlane(width_px=40, height_px=30, pitch_um=300.0)  # 12 x 9 mm


def irradiance(lens: IdealLens, radiance: float = 1.0) -> np.ndarray:
    view = lens.view(PLANE)
    geometry = camrig.Geometry(plane=PLANE, view=view)
    ctx = camrig.CaptureContext(exposure_s=1e-3, seed=0, geometry=geometry)
    data = np.full((30, 40, 3), radiance, dtype=np.float32)
    frame = camrig.Frame(data, camrig.FrameMeta(format="radiance", units="W/(m^2 sr)", bands_nm=(450, 550, 650)))
    return lens.process(frame, ctx, "lens").data


def test_camera_equation_and_cos4_falloff():
    lens = IdealLens(IdealLensSpec(focal_length_mm=20, f_number=2.0, transmission=0.8, image_circle_mm=40))
    e = irradiance(lens, radiance=3.0)
    for row, col in [(14, 19), (0, 0), (29, 39), (0, 20)]:
        x = (col - 19.5) * 0.3  # mm from the axis
        y = (row - 14.5) * 0.3
        theta = math.atan(math.hypot(x, y) / 20)
        expected = math.pi * 3.0 * 0.8 * math.cos(theta) ** 4 / (4 * 2.0**2)
        assert e[row, col, 1] == pytest.approx(expected, rel=1e-6)


def test_focal_length_sets_the_framing():
    wide = IdealLens(IdealLensSpec(focal_length_mm=17.5, f_number=2)).view(PLANE)
    normal = IdealLens(IdealLensSpec(focal_length_mm=35, f_number=2)).view(PLANE)
    assert wide.step == pytest.approx(0.3 / 17.5) and normal.step == pytest.approx(wide.step / 2)
    # the first column looks 19.5 pixels left of the axis: tan = -19.5 * 0.3 mm / f
    assert normal.x0 == pytest.approx(-19.5 * 0.3 / 35)


def test_coverage_beyond_the_image_circle():
    lens = IdealLens(IdealLensSpec(focal_length_mm=20, f_number=2, image_circle_mm=10, vignetting_rolloff_mm=2))
    assert lens.coverage(4.9) == 1.0
    s = 0.5  # r = 5 + 1 mm: centres half a diameter apart
    assert lens.coverage(6.0) == pytest.approx((2 / math.pi) * (math.acos(s) - s * math.sqrt(1 - s * s)))
    assert lens.coverage(7.0) == 0.0
    e = irradiance(lens)
    assert e[0, 0, 0] == 0.0  # corner at 7.5 mm: no light


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("f_number", 0.4, "greater than or equal to 0.5"), ("focal_length_mm", -35, "greater than 0"), ("image_circle_mm", 0, "greater than 0")],
)
def test_impossible_specs_name_the_field(field, value, message):
    kwargs = {"focal_length_mm": 35, "f_number": 2, field: value}
    with pytest.raises(ValueError, match=f"{field}[\\s\\S]*{message}"):
        IdealLensSpec(**kwargs)
