"""The ideal lens against the camera equation and pinhole geometry, worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

import camrig
from camrig_optics import IdealLensSpec
from camrig_optics.ideal import IdealLens

PLANE = camrig.FocalPlane(width_px=40, height_px=30, pitch_um=300.0)  # 12 x 9 mm


def irradiance(lens: IdealLens, radiance: float | np.ndarray = 1.0, plane: camrig.FocalPlane = PLANE) -> np.ndarray:
    """The lens's irradiance for a scene of constant ``radiance`` (or a radiance array on the view grid)."""
    view = lens.view(plane)
    geometry = camrig.Geometry(plane=plane, view=view)
    ctx = camrig.CaptureContext(exposure_s=1e-3, seed=0, geometry=geometry)
    data = np.broadcast_to(np.asarray(radiance, dtype=np.float32), (view.height, view.width, 3)).copy()
    frame = camrig.Frame(data, camrig.FrameMeta(format="radiance", units="W/(m^2 sr)", bands_nm=(450, 550, 650)))
    return lens.process(frame, ctx, "lens").data


def pinhole(**kw) -> IdealLens:
    return IdealLens(IdealLensSpec(psf="none", **kw))


def test_camera_equation_and_cos4_falloff():
    lens = pinhole(focal_length_mm=20, f_number=2.0, transmission=0.8, image_circle_mm=40)
    e = irradiance(lens, radiance=3.0)
    for row, col in [(14, 19), (0, 0), (29, 39), (0, 20)]:
        x = (col - 19.5) * 0.3  # mm from the axis
        y = (row - 14.5) * 0.3
        theta = math.atan(math.hypot(x, y) / 20)
        expected = math.pi * 3.0 * 0.8 * math.cos(theta) ** 4 / (4 * 2.0**2)
        assert e[row, col, 1] == pytest.approx(expected, rel=1e-6)


def test_focal_length_sets_the_framing():
    wide = pinhole(focal_length_mm=17.5, f_number=2).view(PLANE)
    normal = pinhole(focal_length_mm=35, f_number=2).view(PLANE)
    assert wide.step == pytest.approx(0.3 / 17.5) and normal.step == pytest.approx(wide.step / 2)
    # the first column looks 19.5 pixels left of the axis: tan = -19.5 * 0.3 mm / f
    assert normal.x0 == pytest.approx(-19.5 * 0.3 / 35)


def test_coverage_beyond_the_image_circle():
    lens = pinhole(focal_length_mm=20, f_number=2, image_circle_mm=10, vignetting_rolloff_mm=2)
    assert lens.coverage(4.9) == 1.0
    s = 0.5  # r = 5 + 1 mm: centres half a diameter apart
    assert lens.coverage(6.0) == pytest.approx((2 / math.pi) * (math.acos(s) - s * math.sqrt(1 - s * s)))
    assert lens.coverage(7.0) == 0.0
    e = irradiance(lens)
    assert e[0, 0, 0] == 0.0  # corner at 7.5 mm: no light


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("f_number", 0.4, "greater than or equal to 0.5"),
        ("focal_length_mm", -35, "greater than 0"),
        ("image_circle_mm", 0, "greater than 0"),
    ],
)
def test_impossible_specs_name_the_field(field, value, message):
    kwargs = {"focal_length_mm": 35, "f_number": 2, field: value}
    with pytest.raises(ValueError, match=f"{field}[\\s\\S]*{message}"):
        IdealLensSpec(**kwargs)


FINE = camrig.FocalPlane(width_px=64, height_px=48, pitch_um=1.5)


def test_diffraction_conserves_energy_into_the_camera_equation():
    lens = IdealLens(IdealLensSpec(focal_length_mm=35, f_number=2.8, transmission=0.9))
    e = irradiance(lens, 2.0, FINE)
    assert e.shape == (48, 64, 3)
    x, y = 0.75e-3, 0.75e-3  # pixel (23, 31) sits half a pitch from the axis each way, mm
    cos4 = math.cos(math.atan(math.hypot(x, y) / 35)) ** 4
    assert e[23, 31, 1] == pytest.approx(math.pi * 2.0 * 0.9 * cos4 / (4 * 2.8**2), rel=1e-3)


def test_magnification_at_near_focus():
    # focused at 0.5 m: m = f / (s - f); framing uses v = f (1 + m), irradiance falls by (1 + m)^2
    lens = pinhole(focal_length_mm=50, f_number=2, focus_distance_m=0.5, subject_distance_m=0.5)
    m = 0.05 / (0.5 - 0.05)
    assert lens.view(PLANE).step == pytest.approx(0.3 / (50 * (1 + m)))
    centre = irradiance(lens, 1.0)[14, 19, 1]
    theta = math.atan(math.hypot(0.15, 0.15) / (50 * (1 + m)))
    assert centre == pytest.approx(math.pi * 0.9 * math.cos(theta) ** 4 / (4 * 4 * (1 + m) ** 2), rel=1e-6)


def edge_contrast(lens: IdealLens) -> float:
    """Steepest step across a vertical black/white edge in the middle of FINE."""
    view = lens.view(FINE)
    radiance = np.zeros((view.height, view.width, 3), np.float32)
    radiance[:, view.width // 2 :] = 1.0
    row = irradiance(lens, radiance, FINE)[24, :, 1]
    return float(np.max(np.diff(row)) / row.max())


def test_defocus_softens_an_edge():
    sharp = edge_contrast(IdealLens(IdealLensSpec(focal_length_mm=35, f_number=2.8)))
    defocused = edge_contrast(
        IdealLens(IdealLensSpec(focal_length_mm=35, f_number=2.8, focus_distance_m=2, subject_distance_m=1))
    )
    assert defocused < 0.5 * sharp


def pupil_otf(
    nu_cyc_um: float, waves: float, f_number: float = 2.8, wavelength_um: float = 0.55, samples: int = 601
) -> complex:
    """OTF along x of a circular pupil with ``waves`` RMS of Noll Z8 (horizontal coma), written out by hand as
    sqrt 8 (3 rho^2 - 2) x: the pupil's normalised autocorrelation (Goodman, *Introduction to Fourier Optics*,
    eq. 6-28), H(nu) = (1/A) integral P(xi) P(xi + s) exp(i 2 pi [W(xi) - W(xi + s)]), the shear s = 2 lambda N nu
    in pupil radii, by direct quadrature on the pupil (no FFT, no PSF)."""
    c = (np.arange(samples) + 0.5) / samples * 2 - 1
    x, y = np.meshgrid(c, c)
    s = 2 * wavelength_um * f_number * nu_cyc_um

    def w(x: np.ndarray) -> np.ndarray:
        return waves * math.sqrt(8) * x * (3 * (x * x + y * y) - 2)

    pupil = x * x + y * y <= 1
    overlap = pupil & ((x + s) ** 2 + y * y <= 1)
    return complex(np.sum(np.exp(2j * np.pi * (w(x) - w(x + s)))[overlap]) / np.sum(pupil))


def test_coma_blurs_and_shifts_a_line_as_the_pupil_autocorrelation_says():
    """The image of a thin vertical line (the line spread function, sampled at 1.5 um pixels) through f/2.8 with
    0.25 waves of Z8: its Fourier transform must be the OTF from the pupil, times the pixel's sinc, with the
    frequencies that alias onto each one (the LSF is sampled at the pitch) added in. Complex: the modulus says
    how much contrast coma costs, the phase how far it moves the light (coma shifts the blur sideways)."""
    pitch, width = 1.5, 121
    plane = camrig.FocalPlane(width_px=width, height_px=4, pitch_um=pitch)
    lens = IdealLens(IdealLensSpec(focal_length_mm=35, f_number=2.8, zernike_waves={8: 0.25}, image_circle_mm=40))
    view = lens.view(plane)
    radiance = np.zeros((view.height, view.width, 3), np.float32)
    radiance[:, view.width // 2] = 1.0  # imaged on the centre column; the blur (margin 39 px) stays inside
    lsf = irradiance(lens, radiance, plane)[2, :, 1].astype(np.float64)
    x = (np.arange(width) - width // 2) * pitch
    cutoff = 1 / (0.55 * 2.8)
    for nu in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3):  # cycles per um, up to Nyquist (0.33)
        measured = np.sum(lsf * np.exp(-2j * np.pi * nu * x)) / lsf.sum()
        expected = sum(
            pupil_otf(f, 0.25) * np.sinc(f * pitch) for f in nu + np.arange(-2, 3) / pitch if abs(f) < cutoff
        )
        assert abs(measured - expected) < 0.005, (nu, measured, expected)  # 0.003 seen: the kernel's truncated tails
    assert abs(pupil_otf(0.1, 0.25)) < 0.6 * abs(pupil_otf(0.1, 0.0))  # far from a sharp lens's


def test_field_zones_blend_linearly():
    lens = IdealLens(IdealLensSpec(focal_length_mm=35, f_number=2.8, zones=[
        {"field": 0.0, "zernike_waves": {}}, {"field": 1.0, "zernike_waves": {4: 1.0}}]))  # fmt: skip
    (_, w0), (_, w1) = lens.zone_weights(FINE)
    np.testing.assert_allclose(w0 + w1, 1.0, atol=1e-6)
    x, y = FINE.pixel_centres_mm()
    r = math.hypot(x[0], y[0]) / (FINE.diagonal_mm / 2)
    assert w1[0, 0] == pytest.approx(r, rel=1e-5) and w1[23, 31] < 0.05


def test_zones_given_for_a_radius_keep_it_on_a_crop():
    """zones_radius_mm: field 1 is that image radius, not the corner of the sensor in front of the lens, so a small
    crop at the centre sees the on-axis zone (weight 1 - r / radius by hand), and the lens relayed by 0.71x (a
    focal reducer) takes its zones' radius along."""
    zones = [{"field": 0.0, "zernike_waves": {}}, {"field": 1.0, "zernike_waves": {4: 1.0}}]
    lens = IdealLens(IdealLensSpec(focal_length_mm=35, f_number=2.8, zones=zones, zones_radius_mm=10.8))
    (_, w0), (_, w1) = lens.zone_weights(FINE)
    x, y = FINE.pixel_centres_mm()
    r = np.hypot(x[None, :], y[:, None])
    np.testing.assert_allclose(w1, r / 10.8, rtol=1e-5, atol=1e-7)
    assert w1.max() < 0.01  # the crop is near the axis (on the crop's own corner w1 would be 1)
    assert lens.relayed(0.71).spec.zones_radius_mm == pytest.approx(10.8 * 0.71)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"zernike_waves": {38: 0.1}}, "Zernike indices \\[38\\]"),
        (
            {"zones": [{"field": 0.5, "zernike_waves": {}}, {"field": 0.2, "zernike_waves": {}}]},
            "increasing field order",
        ),
        ({"focus_distance_m": 0.01}, "focus_distance_m 0.01 m is inside the focal length"),
    ],
)
def test_bad_optics_specs(kw, message):
    with pytest.raises(ValueError, match=message):
        IdealLensSpec(focal_length_mm=35, f_number=2, **kw)


def test_a_psf_invisible_at_the_pitch_is_refused_with_the_fix():
    lens = IdealLens(IdealLensSpec(focal_length_mm=35, f_number=1.4))
    with pytest.raises(ValueError, match="set psf: none"):
        lens.kernel(camrig.FocalPlane(width_px=4, height_px=4, pitch_um=500.0), 450, {}, 2)


@pytest.mark.parametrize(
    ("lens", "sensor", "adapters", "rules"),
    [
        ("optics.m43_35mm_f1_4", "sensors.m43_100mp", [], set()),
        ("optics.phone_main", "sensors.phone_50mp", [], set()),
        ("optics.ef_50mm_f1_8", "sensors.m43_100mp", [], {"mount.chain", "mount.flange"}),
        (
            "optics.ef_50mm_f1_8",
            "sensors.m43_100mp",
            [{"type": "mounts.adapter", "front": "EF", "rear": "MFT", "length_mm": 24.75}],
            set(),
        ),
    ],
)
def test_presets_fit_where_they_should(host, rig_dict, lens, sensor, adapters, rules):
    rig_dict["rig"].update(lens={"type": lens}, sensor={"type": sensor}, adapters=adapters, frame_rate_hz=1)
    rig_dict["rig"]["link"]["bandwidth_gbit_s"] = 100
    report = camrig.assemble(host, camrig.read_rig(rig_dict), strict=False).report
    assert {p.rule for p in report.problems} == rules


def test_distortion_moves_light_and_conserves_flux():
    from scipy.optimize import brentq

    k1, norm = -0.05, 6.0  # barrel poly3 on a 12 x 9 mm sensor (PLANE), normalised by 6 mm
    lens = pinhole(focal_length_mm=20, f_number=2, image_circle_mm=40,
                   distortion={"model": "poly3", "k1": k1, "norm_radius_mm": norm})  # fmt: skip
    e = irradiance(lens, 1.0)
    assert e.shape == (30, 40, 3)
    for row, col in [(0, 0), (14, 39), (29, 20)]:
        x, y = (col - 19.5) * 0.3, (row - 14.5) * 0.3
        rd = math.hypot(x, y) / norm
        ru = brentq(lambda r: r * (1 - k1 + k1 * r * r) - rd, 0, 3)
        area = (ru / rd) / (1 - k1 + 3 * k1 * ru * ru)  # |det| of the radial map real -> ideal
        theta = math.atan(ru * norm / 20)
        expected = math.pi * 0.9 * math.cos(theta) ** 4 / (4 * 2.0**2) * area
        assert e[row, col, 1] == pytest.approx(expected, rel=2e-3)  # bilinear sampling of a smooth field


def test_lateral_colour_shifts_red_against_green():
    k = 1.004  # red image 0.4 % larger than green
    lens = pinhole(focal_length_mm=35, f_number=2, image_circle_mm=40,
                   tca={"model": "linear", "red": [k], "blue": [1.0], "norm_radius_mm": 6.0})  # fmt: skip
    view = lens.view(FINE)
    tx, _ = view.tangents()
    radiance = np.zeros((view.height, view.width, 3), np.float32)
    radiance[:, tx * lens.image_distance_mm > 30 * 1.5e-3] = 1.0  # an edge 30 pixels right of the axis
    e = irradiance(lens, radiance, FINE)[24]

    def crossing(profile):
        half = profile.max() / 2
        i = int(np.argmax(profile > half))
        return i - 1 + (half - profile[i - 1]) / (profile[i] - profile[i - 1])

    x_green = (crossing(e[:, 1]) - 31.5) * 1.5e-3
    x_red = (crossing(e[:, 2]) - 31.5) * 1.5e-3
    assert x_red / x_green == pytest.approx(k, abs=2e-3)


def with_depth(lens: IdealLens, radiance: np.ndarray, depth: np.ndarray) -> np.ndarray:
    view = lens.view(FINE)
    ctx = camrig.CaptureContext(exposure_s=1e-3, seed=0, geometry=camrig.Geometry(plane=FINE, view=view))
    meta = camrig.FrameMeta(format="radiance", units="W/(m^2 sr)", bands_nm=(450, 550, 650))
    return lens.process(camrig.Frame(radiance, meta, planes={"depth_m": depth}), ctx, "lens").data


def edge_scene(lens: IdealLens) -> np.ndarray:
    view = lens.view(FINE)
    radiance = np.zeros((view.height, view.width, 3), np.float32)
    radiance[:, 16 + (view.width - 64) // 2 : 32 + (view.width - 64) // 2] = 1.0  # a bar in the left half
    radiance[:, 48 + (view.width - 64) // 2 :] = 1.0  # an edge in the right half
    return radiance


def test_a_uniform_depth_map_is_the_defocus_worked_by_hand():
    # focused at 2 m, a subject at 1.8 m, f = 35 mm: image distances v = 1 / (1/f - 1/s) are 35.694051 and
    # 35.623410 mm, so the image lies dz = 70.641 um behind the sensor; W020 = dz / (8 N^2) = 1.12630 um and
    # Noll Z4 = W020 / (2 sqrt 3) = 0.32514 um = 0.59115 waves at 550 nm
    z4 = 0.59115
    spec = dict(focal_length_mm=35, f_number=2.8, focus_distance_m=2.0, subject_distance_m=1.8)
    lens = IdealLens(IdealLensSpec(**spec))
    radiance = edge_scene(lens)
    view = lens.view(FINE)
    by_map = with_depth(lens, radiance, np.full((view.height, view.width), 1.8))
    # the reference: a lens in focus carrying that defocus as a plain Z4 term (in waves at every band: compare
    # the 550 nm band); its blur margin differs by a few pixels, so the scene is framed for each lens
    by_hand = IdealLens(IdealLensSpec(**{**spec, "subject_distance_m": 2.0, "zernike_waves": {4: z4}}))
    reference = irradiance(by_hand, edge_scene(by_hand), FINE)
    np.testing.assert_allclose(by_map[..., 1], reference[..., 1], rtol=0, atol=1e-3 * reference.max())
    np.testing.assert_allclose(
        irradiance(lens, radiance, FINE)[..., 1], reference[..., 1], rtol=0, atol=1e-3 * reference.max()
    )
    in_focus = with_depth(lens, radiance, np.full((view.height, view.width), 2.0))
    focused = IdealLens(IdealLensSpec(**{**spec, "subject_distance_m": 2.0}))
    sharp = irradiance(focused, edge_scene(focused), FINE)
    # equal up to the Airy tails the narrower kernel of the focused lens leaves out (< 1 % of the peak)
    np.testing.assert_allclose(in_focus, sharp, rtol=0, atol=1e-2 * sharp.max())


def test_a_depth_map_beyond_the_assembled_margin_says_how_to_fix_it():
    lens = IdealLens(IdealLensSpec(focal_length_mm=35, f_number=2.8, focus_distance_m=2.0))
    view = lens.view(FINE)
    with pytest.raises(ValueError, match="set subject_distance_m to the nearest"):
        with_depth(lens, edge_scene(lens), np.full((view.height, view.width), 0.5))


def test_depth_of_field_from_a_depth_map():
    lens = IdealLens(IdealLensSpec(focal_length_mm=35, f_number=2.8, focus_distance_m=2.0, subject_distance_m=1.5))
    radiance = edge_scene(lens)
    view = lens.view(FINE)
    depth = np.full((view.height, view.width), 2.0)
    depth[:, view.width // 2 :] = 1.5  # the right half is nearer than the focus: ~1.5 waves of defocus
    e = with_depth(lens, radiance, depth)[24, :, 1]
    sharp_step = np.max(np.abs(np.diff(e[8:32])))
    soft_step = np.max(np.abs(np.diff(e[40:60])))
    assert soft_step < 0.5 * sharp_step


def test_tilted_chart_depth():
    from camrig_scenes import ChartSpec
    from camrig_scenes.chart import Chart

    chart = Chart(ChartSpec(distance_m=2.0, tilt_deg=30))
    view = camrig.AngularGrid(width=3, height=2, x0=-0.1, y0=0.0, step=0.1)
    depth = chart.depth(view)["depth_m"]
    expected = [2.0 / (1 - tx * math.tan(math.radians(30))) for tx in (-0.1, 0.0, 0.1)]
    np.testing.assert_allclose(depth[1], expected, rtol=1e-6)
    assert Chart(ChartSpec()).depth(view) == {}


def test_sensor_tilt_defocus_by_hand_and_tilts_add_as_vectors():
    lens = IdealLens(IdealLensSpec(focal_length_mm=20, f_number=2.0, sensor_tilt_deg=1.0))
    # 2 mm from the hinge line the sensor sits 2 tan(1 deg) = 34.91 um behind the image plane:
    # W020 = -34.91 / (8 x 2^2) = -1.0910 um, Z4 = W020 / (2 sqrt 3) / 0.55 um = -0.5726 waves
    assert lens.tilt_defocus_waves(2.0, 0.0) == pytest.approx(-0.5726, abs=1e-4)
    assert lens.tilt_defocus_waves(0.0, 5.0) == 0.0  # on the hinge line (the y axis for azimuth 0)
    both = lens.tilted(1.0, 90.0).spec
    assert (both.sensor_tilt_deg, both.sensor_tilt_azimuth_deg) == pytest.approx((math.sqrt(2), 45.0))


def test_a_tilted_sensor_is_sharp_on_the_hinge_line_and_defocused_at_the_edges_as_a_uniform_defocus():
    plane = camrig.FocalPlane(width_px=400, height_px=40, pitch_um=1.0)
    base = dict(focal_length_mm=20, f_number=1.4, image_circle_mm=40)
    flat, tilted = IdealLens(IdealLensSpec(**base)), IdealLens(IdealLensSpec(**base, sensor_tilt_deg=4.0))
    edge_mm = 199.5e-3  # the outermost pixel centres
    dz_mm = edge_mm * math.tan(math.radians(4.0))  # 13.9504 um behind the image plane there
    # the reference: no tilt, the subject placed so its image lands dz from the focal plane (thin lens:
    # v = f + f^2 / (s - f) = f + dz). By hand, both are W020 = dz / (8 N^2) = 0.889694 um of defocus, Noll
    # Z4 = W020 / (2 sqrt 3) / 0.55 um = 0.466968 waves: behind the sensor for the near subject (+), in front
    # of it where the sensor leans back (-)
    defocused = IdealLens(IdealLensSpec(**base, subject_distance_m=(20 + 20**2 / dz_mm) * 1e-3))
    assert defocused._defocus(550.0) == pytest.approx(0.466968, rel=1e-5)
    assert tilted.tilt_defocus_waves(edge_mm, 0.0) == pytest.approx(-0.466968, rel=1e-5)
    assert tilted.tilt_defocus_waves(-edge_mm, 0.0) == pytest.approx(0.466968, rel=1e-5)
    texture = np.random.default_rng(0).random((200, 600), dtype=np.float32) + 0.5  # every spatial frequency

    def contrast(lens: IdealLens, cols: slice) -> float:
        view = lens.view(plane)
        oy, ox = (200 - view.height) // 2, (600 - view.width) // 2  # the same scene whatever the margin
        image = irradiance(lens, texture[oy : oy + view.height, ox : ox + view.width, None], plane)[8:32, cols, 1]
        return float(np.std(image))

    left, centre, right = slice(0, 24), slice(188, 212), slice(376, 400)
    assert contrast(tilted, centre) == pytest.approx(contrast(flat, centre), rel=0.1)  # in focus
    for side in (left, right):  # as blurred as the uniformly defocused lens, far blurrier than in focus
        assert contrast(tilted, side) == pytest.approx(contrast(defocused, side), rel=0.1)
        assert contrast(tilted, side) < 0.3 * contrast(flat, side)


def _point_moments(image: np.ndarray, r: int, c: int, half: int = 12) -> np.ndarray:
    """Second central moments [[m_xx, m_xy], [m_xy, m_yy]] (x along columns) of the light around (r, c)."""
    window = image[r - half : r + half + 1, c - half : c + half + 1].astype(np.float64)
    yy, xx = np.mgrid[-half : half + 1, -half : half + 1]
    total = window.sum()
    mx, my = (window * xx).sum() / total, (window * yy).sum() / total
    dx, dy = xx - mx, yy - my
    m = [(window * dx * dx).sum(), (window * dx * dy).sum(), (window * dy * dy).sum()]
    return np.array([[m[0], m[1]], [m[1], m[2]]]) / total


def test_an_astigmatic_zone_turns_with_the_pixels_azimuth():
    """A zone is the wavefront of a point on +x; the point at 90 degrees sees it turned by 90 degrees, so its
    PSF's second-moment tensor is the one at 0 degrees rotated, M90 = R M0 R^T (R the 90-degree rotation)."""
    plane = camrig.FocalPlane(width_px=65, height_px=65, pitch_um=2.0)
    zone = {"field": 0.5, "zernike_waves": {4: 0.25, 6: 0.3, 5: 0.15}}  # astigmatism out of focus: a focal line
    lens = IdealLens(IdealLensSpec(focal_length_mm=35, f_number=4.0, image_circle_mm=1.0, vignetting_rolloff_mm=1.0,
                                   zones=[zone]))  # fmt: skip
    view = lens.view(plane)
    m = (view.height - plane.height_px) // 2

    def moments(of: IdealLens, r: int, c: int) -> np.ndarray:
        radiance = np.zeros((view.height, view.width, 3), np.float32)
        radiance[m + r, m + c] = 1.0
        return _point_moments(irradiance(of, radiance, plane)[:, :, 1], r, c)

    at_0, at_90 = moments(lens, 32, 52), moments(lens, 52, 32)  # 20 px right of the centre, 20 px below it
    turn = np.array([[0.0, -1.0], [1.0, 0.0]])
    assert at_0[0, 0] > 3 * at_0[1, 1] and at_0[0, 1] > 0.1 * at_0[0, 0]  # elongated and oblique: a real test
    np.testing.assert_allclose(at_90, turn @ at_0 @ turn.T, atol=1e-3 * np.trace(at_0))
    unturned = IdealLens(lens.spec.model_copy(update={"azimuth_sectors": 0}))
    unturned_0 = moments(unturned, 32, 52)
    np.testing.assert_allclose(moments(unturned, 52, 32), unturned_0, atol=1e-3 * np.trace(at_0))  # as before 16


def test_each_band_takes_its_wavelengths_wavefront():
    """zernike_waves_by_nm interpolated linearly at the band: 550 nm halfway between 450 (+0.4 waves Z4) and
    650 (-0.4) is in focus, and 450 nm is the lens with zernike_waves {4: 0.4}."""
    plane = camrig.FocalPlane(width_px=21, height_px=21, pitch_um=2.0)
    zone = {"field": 0.0, "zernike_waves": {}, "zernike_waves_by_nm": {450.0: {4: 0.4}, 650.0: {4: -0.4}}}
    lens = IdealLens(IdealLensSpec(focal_length_mm=35, f_number=4.0, zones=[zone]))
    sharp = IdealLens(IdealLensSpec(focal_length_mm=35, f_number=4.0))
    blue = IdealLens(IdealLensSpec(focal_length_mm=35, f_number=4.0, zernike_waves={4: 0.4}))
    margin = lens.margin_px(plane)
    assert lens.zone_wavefront(0, 550.0) == pytest.approx({4: 0.0})
    np.testing.assert_allclose(lens.kernel(plane, 550.0, lens.zone_wavefront(0, 550.0), margin),
                               sharp.kernel(plane, 550.0, {}, margin), atol=1e-7)  # fmt: skip
    np.testing.assert_allclose(lens.kernel(plane, 450.0, lens.zone_wavefront(0, 450.0), margin),
                               blue.kernel(plane, 450.0, {4: 0.4}, margin), atol=1e-7)  # fmt: skip
