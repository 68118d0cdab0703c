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


@pytest.mark.parametrize("threads", [1, 2])
def test_the_radial_remap_is_the_general_one(threads):
    """A radial distortion (poly5) with lateral colour goes through the tabulated compiled remap; Brown-Conrady
    with the same k1, k2 and no tangential terms is the same mapping through the general path (the inverse at
    each pixel, the area ratio from central differences). The two agree to 2e-5 of the image's largest value
    (the general path's finite-difference area ratio and float32), at any thread count; and the flux the remap
    moves is conserved: the mean over a flat field equals the mean area ratio's, which we take by hand from
    r_u = r_d s(r_d) as s (r s)' at each pixel."""
    import camrig
    from camrig_optics import IdealLensSpec
    from camrig_optics.ideal import IdealLens

    common = dict(focal_length_mm=12.0, f_number=2.8, psf="none", image_circle_mm=40.0)
    tca = TcaSpec(model="poly3", red=(1.002, 0.001, -0.002), blue=(0.998, -0.001, 0.002), norm_radius_mm=4.0)
    radial = IdealLens(IdealLensSpec(**common, distortion=DistortionSpec(model="poly5", k1=-0.06, k2=0.01,
                                                                         norm_radius_mm=4.0), tca=tca))  # fmt: skip
    general = IdealLens(IdealLensSpec(**common, distortion=DistortionSpec(model="brown_conrady", k1=-0.06, k2=0.01,
                                                                          norm_radius_mm=4.0), tca=tca))  # fmt: skip
    plane = camrig.FocalPlane(width_px=160, height_px=120, pitch_um=50.0)
    d = radial.distortion_margin_px(plane, (450.0, 550.0, 650.0))
    assert d == general.distortion_margin_px(plane, (450.0, 550.0, 650.0)) and d > 3
    rng = np.random.default_rng(1)
    ideal = rng.random((120 + 2 * d, 160 + 2 * d, 3)).astype(np.float32)
    fast = radial._remap(ideal, plane, d, (450.0, 550.0, 650.0), threads)
    slow = general._remap(ideal, plane, d, (450.0, 550.0, 650.0), threads)
    assert np.max(np.abs(fast - slow)) < 2e-5 * float(ideal.max())
    flat = radial._remap(np.ones_like(ideal), plane, d, (550.0,), threads)[:, :, 0]
    x, y = plane.pixel_centres_mm()
    xs, ys = np.meshgrid(x, y)
    r = np.hypot(xs, ys) / 4.0
    ru = r.copy()
    for _ in range(60):  # invert r_d = r_u (1 + k1 r_u^2 + k2 r_u^4) by fixed point
        ru = r / (1 - 0.06 * ru**2 + 0.01 * ru**4)
    s = ru / r
    dru = 1 / (1 - 3 * 0.06 * ru**2 + 5 * 0.01 * ru**4)  # d r_u / d r_d by the inverse function rule
    np.testing.assert_allclose(flat, s * dru, rtol=1e-5)
