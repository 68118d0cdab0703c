"""scenes.target: the Siemens star's sectors where the geometry puts them, its edges box-filtered; point sources
keep their flux (radiance x solid angle) whatever their size against the samples."""

from __future__ import annotations

import math

import numpy as np
import pytest

import camrig
from benchrig import NO_NOISE, mono_rig
from camrig_scenes import TargetSpec
from camrig_scenes.targets import Target


def at(target: Target, x: float, y: float, step: float = 1e-4) -> float:
    return float(target.reflectance(camrig.AngularGrid(width=1, height=1, x0=x, y0=y, step=step))[0, 0])


def test_star_sectors_alternate_every_pi_over_n_and_edges_are_half_covered():
    """36 cycles: sector k spans angles [k pi/36, (k+1) pi/36), light for even k. Mid-sector samples are pure;
    a sample centred on an edge sees half of each side; a sample a quarter step off an edge (perpendicular)
    sees 3/4 of its own side (box filter of a straight edge)."""
    t = Target(TargetSpec(cycles=36, width_deg=20, light=0.8, dark=0.1))
    rho = 0.5 * math.tan(math.radians(10))
    sector = math.pi / 36
    for k in (0, 1, 7, 40, 71):
        phi = (k + 0.5) * sector
        assert at(t, rho * math.cos(phi), rho * math.sin(phi)) == pytest.approx(0.8 if k % 2 == 0 else 0.1)
    step = 1e-4
    edge = 3 * sector  # between light sector 2 and dark sector 3
    assert at(t, rho * math.cos(edge + 1e-9), rho * math.sin(edge + 1e-9), step) == pytest.approx(0.45, abs=1e-3)
    off = edge + math.asin(0.25 * step / rho)  # a quarter step into dark sector 3
    assert at(t, rho * math.cos(off), rho * math.sin(off), step) == pytest.approx(0.75 * 0.1 + 0.25 * 0.8, abs=1e-3)
    assert at(t, 1.1 * math.tan(math.radians(10)), 0.0) == pytest.approx(0.8)  # outside the star: light ground
    assert at(t, 1e-6, 1e-6, 1e-4) == pytest.approx(0.45)  # at the centre the sectors average


@pytest.mark.parametrize("diameter_deg", [0.001, 0.05])
def test_points_keep_their_flux_and_sit_on_the_grid(diameter_deg):
    """Each point's flux, rho L pi r^2 (tangent-plane area), equals the sum over samples of rho_sample step^2,
    for a point far smaller than a sample and for one spanning several; 5 x 3 points for a 10 deg wide field
    every 2 deg (|i| <= 2, |j| <= 1 in tan units of 2 deg)."""
    t = Target(
        TargetSpec(pattern="points", width_deg=10, point_spacing_deg=2.0, point_diameter_deg=diameter_deg, light=1.0)
    )
    step = 2e-4
    half = math.tan(math.radians(6))
    n = int(2 * half / step)
    view = camrig.AngularGrid(width=n, height=n, x0=-half + 0.3 * step, y0=-half + 0.1 * step, step=step)
    rho = t.reflectance(view).astype(np.float64)
    r = math.tan(math.radians(diameter_deg) / 2)
    spacing = math.tan(math.radians(2))
    count = 0
    for j in (-1, 0, 1):
        for i in (-2, -1, 0, 1, 2):
            cx, cy = i * spacing, j * spacing
            c, rr = (cx - view.x0) / step, (cy - view.y0) / step
            box = rho[int(rr) - 60 : int(rr) + 61, int(c) - 60 : int(c) + 61]
            assert box.sum() * step * step == pytest.approx(math.pi * r * r, rel=0.03)
            count += 1
    assert rho.sum() * step * step == pytest.approx(count * math.pi * r * r, rel=0.03)  # nothing elsewhere


# ---------------------------------------------------------------------------------------------------------------
# ISO 12233 e-SFR chart, USAF 1951, star field; the Siemens-star and e-SFR MTF against the slanted edge


def linear_raw(rig: camrig.Rig) -> np.ndarray:
    """The raw above black, exposed so its brightest pixel is at ~60 % of the range (nothing clips)."""
    probe = rig.capture(exposure_s=1e-2).raw
    scale = 0.6 * (probe.meta.white_level - probe.meta.black_level) / (float(probe.data.max()) - probe.meta.black_level)
    raw = rig.capture(exposure_s=1e-2 * scale).raw
    return raw.data.astype(np.float64) - raw.meta.black_level


def test_box_cdf_is_the_convolution_of_two_boxes():
    """The e-SFR edge's box filter: P(X + Y <= t), X ~ U(-p/2, p/2), Y ~ U(-q/2, q/2), against the integral over
    Y of X's CDF, clip((t - y) / p + 1/2, 0, 1), by the midpoint rule on 20 000 points (to 1e-6)."""
    from camrig_scenes.esfr import _box_cdf

    for p, q in ((1.0, 0.0872), (0.7, 0.7), (1.0, 0.0), (0.3, 0.9)):
        y = (np.arange(20000) + 0.5) / 20000 * q - q / 2
        for t in (-0.6, -0.52, -0.45, -0.3, -0.1, 0.0, 0.2, 0.4, 0.55, 0.62):
            reference = np.clip((t - y) / max(p, 1e-300) + 0.5, 0, 1).mean() if p > 0 else float(np.mean(y <= t))
            assert _box_cdf(t, p, q) == pytest.approx(reference, abs=1e-6), (p, q, t)


def test_esfr_squares_are_4_to_1_and_keep_their_area():
    """Inside a square the reflectance is light / 4 (ISO 12233's 4:1 edge), on the ground it is light; the box
    filter conserves each square's area: over a window holding the centre square, sum(light - rho) step^2 equals
    (light - dark) side^2, with the side 0.08 of the chart's width (1 %)."""
    t = Target(TargetSpec(pattern="esfr", width_deg=20, light=0.8))
    h = math.tan(math.radians(10))
    side = 0.08 * 2 * h
    assert at(t, 0.0, 0.0) == pytest.approx(0.2)
    assert at(t, 0.0, 0.3 * h) == pytest.approx(0.8)
    assert at(t, 0.5 * h, -0.5 * h * 2 / 3) == pytest.approx(0.2)  # a square at field 0.5, towards a corner
    step = side / 57.3
    n = int(1.6 * side / step)
    view = camrig.AngularGrid(width=n, height=n, x0=-n / 2 * step + 0.37 * step, y0=-n / 2 * step, step=step)
    rho = t.reflectance(view).astype(np.float64)
    assert ((0.8 - rho).sum() * step * step) == pytest.approx(0.6 * side * side, rel=0.01)


def test_esfr_edges_midpoints_lie_on_the_rendered_edge_half_way():
    """Each listed edge's midpoint has the mean of light and dark (the box filter of a straight edge through a
    sample's centre covers half of it), and a step outward along the normal is the ground."""
    from camrig_scenes.esfr import edges

    spec = TargetSpec(pattern="esfr", width_deg=20, light=0.8, esfr_fields=(0.5, 0.8))
    t = Target(spec)
    found = edges(spec.width_deg, spec.esfr_square, spec.esfr_fields, spec.esfr_angle_deg)
    assert len(found) == 4 * 9 and {e.field for e in found} == {0.0, 0.5, 0.8}
    for e in found:
        x, y = e.midpoint_tan
        assert at(t, x, y, step=1e-5) == pytest.approx(0.5, abs=2e-3)
        ox, oy = x - e.square_tan[0], y - e.square_tan[1]
        norm = math.hypot(ox, oy)
        assert at(t, x + 2e-4 * ox / norm, y + 2e-4 * oy / norm, step=1e-5) == pytest.approx(0.8)


def analytic_mtf(f_cy_px: np.ndarray, f_number: float, pitch_mm: float, wavelength_mm: float = 550e-6) -> np.ndarray:
    """Diffraction MTF of a circular pupil, (2/pi)(acos s - s sqrt(1 - s^2)), s = nu lambda N, times the square
    pixel's |sinc(f)| (Goodman, Introduction to Fourier Optics, ch. 6)."""
    s = np.minimum(f_cy_px / pitch_mm * wavelength_mm * f_number, 1.0)
    return 2 / np.pi * (np.arccos(s) - s * np.sqrt(1 - s * s)) * np.abs(np.sinc(f_cy_px))


@pytest.mark.parametrize("f_number", [5.6, 8.0])
def test_siemens_star_and_esfr_mtf_agree_with_the_slanted_edge_and_diffraction(f_number):
    """Through one diffraction-limited lens (35 mm, 2 um mono pixels, scene sampled 4 x 4 per pixel, no noise):
    the slanted-edge MTF of scenes.chart's edge (ISO 12233 Annex D), the MTF of a 36-cycle binary Siemens star
    (fundamental around rings, frequency along x) and the slanted-edge MTF of the e-SFR chart's squares (centre
    and field 0.7, a near-vertical and a near-horizontal edge) agree within 0.05 from the star's lowest frequency
    to 0.5 cycles/pixel, and each lies within 0.05 of diffraction x pixel aperture (seen: 0.02 star-edge,
    0.035 e-SFR-analytic at f/8, where the windows of the slanted-edge method lift the low frequencies)."""
    from camrig_measure.sfr import slanted_edge_mtf
    from camrig_measure.star import siemens_star_mtf
    from camrig_scenes.esfr import edges

    lens = {"f_number": f_number, "scene_supersampling": 4}
    pitch, focal, cols, rows = 2.0, 35.0, 384, 256
    centre = ((cols - 1) / 2, (rows - 1) / 2)
    px_per_tan = focal / (pitch * 1e-3)
    reference = slanted_edge_mtf(
        linear_raw(mono_rig({"type": "scenes.chart", "layout": "edge"}, lens))[64:192, 150:234]
    )

    radius_px = 120
    width = 2 * math.degrees(math.atan(radius_px / px_per_tan))
    star_scene = {"type": "scenes.target", "cycles": 36, "width_deg": width, "light": 0.8, "dark": 0.05}
    star = siemens_star_mtf(linear_raw(mono_rig(star_scene, lens)), centre, 36, radius_px, 0.75 / 0.85, direction="x")
    f = np.linspace(star.frequency_cy_px[0], 0.5, 40)
    expected = analytic_mtf(f, f_number, pitch * 1e-3)
    assert np.abs(star.at(f) - reference.at(f)).max() < 0.05
    assert np.abs(star.at(f) - expected).max() < 0.05

    chart_deg = 2 * math.degrees(math.atan(190 / px_per_tan))
    spec = {
        "type": "scenes.target",
        "pattern": "esfr",
        "width_deg": chart_deg,
        "esfr_fields": [0.7],
        "esfr_square": 0.15,
    }
    image = linear_raw(mono_rig(spec, lens))
    listed = edges(chart_deg, 0.15, (0.7,), 5.0)
    chosen = [e for e in listed if (e.field, e.side) in ((0.0, "left"), (0.0, "top"), (0.7, "left"), (0.7, "bottom"))]
    f = np.linspace(0.02, 0.5, 40)
    expected = analytic_mtf(f, f_number, pitch * 1e-3)
    for e in chosen:
        x, y = e.midpoint_tan[0] * px_per_tan + centre[0], e.midpoint_tan[1] * px_per_tan + centre[1]
        along, across = (20, 24) if e.orientation == "vertical" else (24, 20)
        roi = image[round(y - along) : round(y + along), round(x - across) : round(x + across)]
        measured = slanted_edge_mtf(roi)
        assert abs(measured.edge_angle_deg) == pytest.approx(5.0, abs=0.3)
        assert np.abs(measured.at(f) - reference.at(f)).max() < 0.05, e
        assert np.abs(measured.at(f) - expected).max() < 0.05, e


def test_usaf_bar_period_in_pixels_matches_the_thin_lens_by_hand():
    """USAF 1951 at 2 m through a 50 mm lens focused there (thin lens: m = f / (d - f) = 50 / 1950), 5 um pixels:
    element (g, e) has R = 2^(g + (e-1)/6) lp/mm on the chart, R / m on the sensor, a period of m / (R p) pixels:
    10.256 px for (-1, 1), 7.252 px for (-1, 4), 5.128 px for (0, 1). The rendered bars' centroids (three dips
    across each set, vertical bars along a row and horizontal bars down a column) are that far apart (1 %)."""
    from camrig_scenes.usaf import elements

    d, focal, pitch = 2.0, 50.0, 5.0
    rig = mono_rig(
        {"type": "scenes.target", "pattern": "usaf1951", "distance_m": d, "usaf_groups": [-1, 0, 1]},
        {"focal_length_mm": focal, "f_number": 4, "focus_distance_m": d, "subject_distance_m": d},
        {"width_px": 256, "height_px": 256, "pixel_pitch_um": pitch},
    )
    image = linear_raw(rig)
    m = focal / (d * 1e3 - focal)
    v = focal * (1 + m)  # image distance: a tangent t lands t v mm from the axis
    for el in elements((-1, 0, 1), d, 1.0):
        if (el.group, el.element) not in ((-1, 1), (-1, 4), (0, 1)):
            continue
        period = m / (2.0 ** (el.group + (el.element - 1) / 6) * pitch * 1e-3)  # by hand
        w_px = el.bar * v / (pitch * 1e-3)
        assert 2 * w_px == pytest.approx(period, rel=1e-9)  # the layout's bar is half a period

        def px(t: tuple[float, float]) -> tuple[float, float]:
            return t[0] * v / (pitch * 1e-3) + 127.5, t[1] * v / (pitch * 1e-3) + 127.5

        (vx, vy), (hx, hy) = px(el.vertical_tan), px(el.horizontal_tan)
        across_v = image[round(vy + 1.5 * w_px) : round(vy + 3.5 * w_px), round(vx - w_px) : round(vx + 6 * w_px)]
        across_h = image[round(hy - w_px) : round(hy + 6 * w_px), round(hx + 1.5 * w_px) : round(hx + 3.5 * w_px)]
        for profile, origin in ((across_v.mean(axis=0), round(vx - w_px)), (across_h.mean(axis=1), round(hy - w_px))):
            depth = profile.max() - profile
            dips = depth > 0.5 * depth.max()
            runs = np.flatnonzero(np.diff(np.concatenate([[0], dips.astype(int), [0]])))
            starts, ends = runs[::2], runs[1::2]
            assert len(starts) == 3
            centroids = []
            for s0, s1 in zip(starts, ends):
                k = np.arange(max(0, s0 - 1), min(len(profile), s1 + 1))
                centroids.append((k * depth[k]).sum() / depth[k].sum() + origin)
            measured = (centroids[2] - centroids[0]) / 2
            print(f"USAF ({el.group}, {el.element}): {measured:.4f} px, by hand {period:.4f} px")
            assert measured == pytest.approx(period, rel=0.01), (el.group, el.element, measured, period)


H_C = 6.62607015e-34 * 299792458.0


def test_star_field_electrons_follow_pogson_and_the_vega_zero_point():
    """Stars of magnitude 0-6 (flat spectrum at Vega's V-band 3.631e-11 W m^-2 nm^-1, Bessell et al. 1998) at
    listed positions, one 100 nm band at 550 nm, through a 35 mm f/4 lens (T 0.9) onto 5 um pixels with shot
    noise only, 1 DN per electron: the magnitude-0 star gives E A_pupil T t QE lambda / (h c) electrons by hand
    within 3 % (the PSF beyond the 15 x 15 box), and each star's electrons over the magnitude-0 star's are
    10^(-0.4 m) within three standard deviations of the shot noise (plus 1 %). Integer electrons at 1 DN each
    keep the faint stars' wings: without shot noise, or at 0.1 DN per electron, the ADC's rounding of sub-DN
    wings takes 4 % of a magnitude-6 star (seen), which is the sensor's doing, not the scene's."""
    magnitudes = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    positions = [(-0.5 + 0.17 * i + 0.013 * i * i, 0.1 * (i % 3) - 0.1) for i in range(len(magnitudes))]
    rig = mono_rig(
        {
            "type": "scenes.target",
            "pattern": "star_field",
            "star_magnitudes": magnitudes,
            "star_positions_deg": positions,
            "star_spectrum": "flat",
        },
        {"f_number": 4},
        {
            "width_px": 256,
            "height_px": 128,
            "pixel_pitch_um": 5.0,
            "full_well_e": 400000,
            "adc_bits": 16,
            "gain_dn_per_e": 1.0,
            "noise": {**NO_NOISE, "shot": True},
        },
    )
    exposure = 0.4
    raw = rig.capture(exposure_s=exposure).raw
    electrons_image = raw.data.astype(np.float64) - raw.meta.black_level  # 1 DN per electron
    px_per_tan = 35.0 / 5e-3
    sums = []
    for x_deg, y_deg in positions:
        c = math.tan(math.radians(x_deg)) * px_per_tan + 127.5
        r = math.tan(math.radians(y_deg)) * px_per_tan + 63.5
        sums.append(electrons_image[round(r) - 7 : round(r) + 8, round(c) - 7 : round(c) + 8].sum())
    e0 = 3.631e-11 * 100.0  # W/m^2 in the 500-600 nm band at magnitude 0
    pupil = math.pi * (35e-3 / 4 / 2) ** 2
    by_hand = e0 * pupil * 0.9 * exposure * 0.6 * 550e-9 / H_C
    print(f"magnitude 0: {sums[0]:.0f} e-, by hand {by_hand:.0f}; ratios", [round(x / sums[0], 5) for x in sums])
    assert sums[0] == pytest.approx(by_hand, rel=0.03), (sums[0], by_hand)
    for m, s in zip(magnitudes[1:], sums[1:]):
        ratio = s / sums[0]
        sigma = ratio * math.sqrt(1 / s + 1 / sums[0])
        assert ratio == pytest.approx(10 ** (-0.4 * m), abs=3 * sigma + 0.01 * 10 ** (-0.4 * m)), (m, ratio)


def test_star_flux_does_not_depend_on_where_it_falls_between_samples():
    """One star at eight sub-sample offsets: the sum of radiance x step^2 cos^3(theta) over the samples is its
    irradiance (bilinear split), exactly, and the radiance-weighted centroid is its direction."""
    for k in range(8):
        x_deg, y_deg = 0.3 + 0.0013 * k, -0.2 + 0.0007 * k * k
        t = Target(
            TargetSpec(
                pattern="star_field", star_magnitudes=(2.5,), star_positions_deg=((x_deg, y_deg),), bands_nm=(550.0,)
            )
        )
        step = 1e-4
        view = camrig.AngularGrid(width=200, height=200, x0=-0.01 + 0.3 * step, y0=-0.013, step=step)
        ctx = camrig.CaptureContext(
            exposure_s=1.0,
            seed=0,
            geometry=camrig.Geometry(plane=camrig.FocalPlane(width_px=200, height_px=200, pitch_um=1.0), view=view),
        )
        frame = t.process(None, ctx, "scene")
        radiance = frame.data[:, :, 0].astype(np.float64)
        tx, ty = math.tan(math.radians(x_deg)), math.tan(math.radians(y_deg))
        cos3 = (1 + tx * tx + ty * ty) ** -1.5
        assert radiance.sum() * step * step * cos3 == pytest.approx(float(t.star_irradiance()[0, 0]), rel=1e-5)
        gx, gy = view.tangents()
        assert (radiance.sum(axis=0) * gx).sum() / radiance.sum() == pytest.approx(tx, abs=1e-7)
        assert (radiance.sum(axis=1) * gy).sum() / radiance.sum() == pytest.approx(ty, abs=1e-7)


def test_vega_zero_point_band_irradiance():
    """Bessell et al. (1998): at V (545 nm) f_lambda = 363.1e-11 erg s^-1 cm^-2 A^-1 = 3.631e-11 W m^-2 nm^-1;
    a 10 nm band centred on 545 nm holds ten times that (log-linear interpolation is smooth there: 0.5 %), and a
    band at 438 nm (B) 632e-13 x its width."""
    from camrig_scenes.starfield import zero_point_band_irradiance

    e = zero_point_band_irradiance((540.0, 545.0, 550.0), "vega")
    assert e[1] == pytest.approx(3.631e-11 * 5.0, rel=0.005)
    e = zero_point_band_irradiance((436.0, 438.0, 440.0), "vega")
    assert e[1] == pytest.approx(632e-13 * 2.0, rel=0.005)
    assert zero_point_band_irradiance((550.0,), "flat")[0] == pytest.approx(3.631e-11 * 100)


@pytest.mark.parametrize(
    ("scene", "field"),
    [
        ({"pattern": "star_field", "star_magnitudes": [1.0, float("nan")]}, "star_magnitudes"),
        ({"pattern": "star_field", "star_magnitudes": [1.0, float("inf")]}, "star_magnitudes"),
        ({"pattern": "star_field", "star_positions_deg": [[1.0, 2.0, 3.0]]}, "star_positions_deg"),
        (
            {"pattern": "star_field", "star_magnitudes": [1.0, 2.0], "star_positions_deg": [[1.0, 2.0]]},
            "star_positions_deg",
        ),
        ({"pattern": "esfr", "esfr_fields": [0.5, 0.6]}, "esfr_fields"),
        ({"pattern": "esfr", "esfr_fields": [0.95]}, "esfr_fields"),
        ({"pattern": "esfr", "esfr_fields": [1.2]}, "esfr_fields"),
        ({"pattern": "usaf1951"}, "distance_m"),
        ({"pattern": "usaf1951", "distance_m": 2, "usaf_groups": [0, 0]}, "usaf_groups"),
    ],
)
def test_bad_targets_are_refused_in_one_line_naming_the_field(scene, field):
    with pytest.raises(camrig.ConfigError) as err:
        mono_rig({"type": "scenes.target", **scene})
    message = str(err.value)
    assert field in message and "\n" not in message, message


def test_an_esfr_chart_wider_than_the_frame_is_refused_naming_esfr_fields():
    """The chart is valid alone, but its field-0.8 squares lie outside what a 384 x 256 frame of 2 um pixels
    behind 35 mm sees (+-0.63 x 0.42 deg): the rig does not fit, and the problem names esfr_fields."""
    with pytest.raises(camrig.RigDoesNotFit) as err:
        mono_rig({"type": "scenes.target", "pattern": "esfr", "width_deg": 5})
    assert "esfr_fields" in str(err.value) and "does not fit the frame" in str(err.value)


def test_random_stars_fill_the_field_and_follow_the_seed():
    """Without positions, 2000 stars from star_seed lie in |tan x| <= tan(w/2), |tan y| <= 2/3 tan(w/2), spread
    over it (each quadrant 25 % +- 3 %), the same for the same seed and not for another."""
    magnitudes = tuple([5.0] * 2000)
    a = Target(TargetSpec(pattern="star_field", width_deg=10, star_magnitudes=magnitudes, star_seed=3)).stars_tan()
    b = Target(TargetSpec(pattern="star_field", width_deg=10, star_magnitudes=magnitudes, star_seed=3)).stars_tan()
    c = Target(TargetSpec(pattern="star_field", width_deg=10, star_magnitudes=magnitudes, star_seed=4)).stars_tan()
    h = math.tan(math.radians(5))
    assert a.shape == (2000, 2) and np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.abs(a[:, 0]).max() <= h and np.abs(a[:, 1]).max() <= h * 2 / 3
    for sx in (-1, 1):
        for sy in (-1, 1):
            share = np.mean((np.sign(a[:, 0]) == sx) & (np.sign(a[:, 1]) == sy))
            assert share == pytest.approx(0.25, abs=0.03)


def test_measure_mtf_finds_each_esfr_edge_by_its_index():
    """measure.mtf with esfr_edge k places its region on edge k of the chart (k = 4 x square + side): the
    centre square's left (0) and top (2) edges and the left edge of the field-0.7 square at (-x, -y) (4) read
    an edge tilted 5 degrees and the MTF50 of diffraction x pixel at f/5.6 on 2 um pixels within 5 % (seen:
    +2.1 %, the slanted-edge windows on a 45-pixel region; an edge only 11 DN high read 8 % low: exposure
    matters); an index past the chart's 20 edges (5 squares) is refused naming esfr_edge."""
    from scipy.optimize import brentq

    from camrig_measure import MtfSpec
    from camrig_measure.accessories import Mtf

    chart_deg = 2 * math.degrees(math.atan(190 / (35.0 / 2e-3)))
    scene = {
        "type": "scenes.target",
        "pattern": "esfr",
        "width_deg": chart_deg,
        "esfr_fields": [0.7],
        "esfr_square": 0.15,
    }
    rig = mono_rig(scene, {"f_number": 5.6, "scene_supersampling": 4})
    shot = rig.capture(exposure_s=0.5)  # the ground at ~2700 DN above black, far from clipping
    assert 2000 < shot.raw.data.max() - shot.raw.meta.black_level < 0.5 * shot.raw.meta.white_level
    expected = brentq(lambda f: float(analytic_mtf(np.array(f), 5.6, 2e-3)) - 0.5, 0.01, 0.5)
    for k in (0, 2, 4):
        values = Mtf(MtfSpec(esfr_edge=k)).measure(rig, shot).values
        assert abs(values["edge_angle_deg"]) == pytest.approx(5.0, abs=0.3)
        print(f"e-SFR edge {k}: MTF50 {values['mtf50_cy_px']:.4f} cy/px, diffraction x pixel {expected:.4f}")
        assert values["mtf50_cy_px"] == pytest.approx(expected, rel=0.05), (k, values["mtf50_cy_px"], expected)
    with pytest.raises(ValueError, match="esfr_edge: the chart has 20 edges"):
        Mtf(MtfSpec(esfr_edge=20)).measure(rig, shot)
