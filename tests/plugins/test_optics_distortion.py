"""Distortion and lateral colour: forward models by hand, inverses, and lensfun's own modifier."""

from __future__ import annotations

import math

import numpy as np
import pytest

from camrig_optics.distortion import DistortionSpec, TcaSpec, distort, undistort, untca


def test_forward_models_by_hand():
    x, y = np.array([3.0]), np.array([4.0])  # r = 5 mm, normalised by 10 mm: 0.5
    cases = {
        "poly3": (dict(k1=-0.05), 1 + 0.05 - 0.05 * 0.25),
        "poly5": (dict(k1=-0.05, k2=0.01), 1 - 0.05 * 0.25 + 0.01 * 0.0625),
        "ptlens": (dict(a=0.01, b=-0.03, c=0.02), 0.01 * 0.125 - 0.03 * 0.25 + 0.02 * 0.5 + 1 - 0.01 + 0.03 - 0.02),
    }
    for model, (kw, scale) in cases.items():
        xd, yd = distort(DistortionSpec(model=model, norm_radius_mm=10, **kw), x, y)
        assert (xd[0], yd[0]) == pytest.approx((3 * scale, 4 * scale), rel=1e-12)
    bc = DistortionSpec(model="brown_conrady", k1=0.1, p1=0.01, p2=-0.02, norm_radius_mm=10)
    u, v, r2 = 0.3, 0.4, 0.25
    xd, yd = distort(bc, x, y)
    assert xd[0] == pytest.approx(10 * (u * (1 + 0.1 * r2) + 2 * 0.01 * u * v - 0.02 * (r2 + 2 * u * u)))
    assert yd[0] == pytest.approx(10 * (v * (1 + 0.1 * r2) + 0.01 * (r2 + 2 * v * v) - 2 * 0.02 * u * v))


@pytest.mark.parametrize(
    "spec",
    [
        DistortionSpec(model="ptlens", a=0.017, b=-0.049, c=0.0, norm_radius_mm=12),
        DistortionSpec(model="poly3", k1=-0.03, norm_radius_mm=12),
        DistortionSpec(model="poly5", k1=0.02, k2=-0.004, norm_radius_mm=12),
        DistortionSpec(model="brown_conrady", k1=-0.08, k2=0.01, p1=0.002, p2=-0.001, norm_radius_mm=12),
    ],
    ids=lambda s: s.model,
)
def test_undistort_inverts_distort(spec):
    xd, yd = np.meshgrid(np.linspace(-18, 18, 41), np.linspace(-12, 12, 31))
    xu, yu = undistort(spec, xd, yd)
    xr, yr = distort(spec, xu, yu)
    assert np.abs(xr - xd).max() < 1e-5 and np.abs(yr - yd).max() < 1e-5  # mm: 0.007 px at 1.5 um


def test_lateral_colour_moves_red_and_blue_only():
    tca = TcaSpec(model="linear", red=(1.001,), blue=(0.999,), norm_radius_mm=12)
    x, y = np.array([12.0]), np.array([0.0])
    assert untca(tca, 550, x, y)[0][0] == 12.0
    assert untca(tca, 650, x, y)[0][0] == pytest.approx(12 / 1.001)
    assert untca(tca, 450, x, y)[0][0] == pytest.approx(12 / 0.999)


def test_a_folding_model_is_refused():
    spec = DistortionSpec(model="poly3", k1=-0.6, norm_radius_mm=10)  # r (1.6 - 0.6 r^2) turns back at r ~ 0.94
    with pytest.raises(ValueError, match="folds over"):
        undistort(spec, np.array([15.0]), np.array([0.0]))


lensfunpy = pytest.importorskip("lensfunpy")

LENSES = [  # (camera maker, camera model, lens maker, lens model, focal length): 3:2-calibrated, ptlens
    ("Canon", "Canon EOS 5D Mark II", "Canon", "Canon EF 50mm f/1.8 II", 50.0),
    ("Canon", "Canon EOS 5D Mark II", "Canon", "Canon EF 24-105mm f/4L IS USM", 24.0),
    ("NIKON CORPORATION", "NIKON D3S", "Nikon", "Nikkor 28mm f/2.8D AF", 28.0),
]


@pytest.mark.parametrize("camera_maker,camera_model,lens_maker,lens_model,focal", LENSES, ids=[c[3] for c in LENSES])
def test_our_distortion_agrees_with_lensfuns_modifier(camera_maker, camera_model, lens_maker, lens_model, focal):
    db = lensfunpy.Database()
    camera = db.find_cameras(camera_maker, camera_model)[0]
    lens = db.find_lenses(camera, lens_maker, lens_model)[0]
    width, height = 600, 400
    modifier = lensfunpy.Modifier(lens, camera.crop_factor, width, height)
    modifier.initialize(focal, lens.min_aperture, 10.0, scale=1.0, flags=lensfunpy.ModifyFlags.DISTORTION)
    reference = modifier.apply_geometry_distortion().astype(np.float64)  # real position of each ideal pixel
    calib = lens.interpolate_distortion(focal)
    a, b, c = calib.terms[:3]
    # lensfun normalises by half the short side of the 3:2 calibration sensor: 12 mm / calibration crop
    pixel_mm = math.hypot(36, 24) / camera.crop_factor / math.hypot(width, height)
    spec = DistortionSpec(model="ptlens", a=a, b=b, c=c, norm_radius_mm=12 / lens.crop_factor)
    cx, cy = (width - 1) / 2, (height - 1) / 2
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    xd, yd = distort(spec, (xs - cx) * pixel_mm, (ys - cy) * pixel_mm)
    err = np.hypot(xd / pixel_mm + cx - reference[..., 0], yd / pixel_mm + cy - reference[..., 1])
    # lensfun 0.3.4 scatters around its own formula (SSE approximations): median ~0.03 px, at most ~0.16 px
    assert np.median(err) < 0.05
    assert err.max() < 0.2
    assert np.hypot(xd / pixel_mm - (xs - cx), yd / pixel_mm - (ys - cy)).max() > 2  # the lens really distorts
