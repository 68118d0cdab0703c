"""The measurement accessories on real captures, against analytic values and reference implementations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal, special
from scipy.optimize import brentq

import camrig
from benchrig import mono_rig as bench_rig
from camrig_measure import ColourErrorSpec, MtfSpec, PhotonTransferSpec, VignettingSpec, ciede2000
from camrig_measure.accessories import ColourError, Mtf, PhotonTransferMeasurement, Vignetting
from camrig_measure.ciede2000 import xyz_to_lab
from camrig_measure.sfr import slanted_edge_mtf


def mono_rig(f_number: float, pitch_um: float, supersampling: int = 1, **scene) -> camrig.Rig:
    """The bench rig (256 x 256) at ``f_number`` and ``pitch_um`` on a slanted-edge chart (``scene`` overrides)."""
    return bench_rig(
        {"type": "scenes.chart", "layout": "edge", **scene},
        {"f_number": f_number, "scene_supersampling": supersampling},
        {"width_px": 256, "pixel_pitch_um": pitch_um},
    )


def analytic_mtf(f_cy_px: float, f_number: float, pitch_mm: float, wavelength_mm: float = 550e-6) -> float:
    """Diffraction MTF of a circular pupil, (2/pi)(acos s - s sqrt(1 - s^2)) with s = nu lambda N, times the
    square pixel's |sinc(f)| (Goodman, Introduction to Fourier Optics, ch. 6)."""
    s = min(f_cy_px / pitch_mm * wavelength_mm * f_number, 1.0)
    return 2 / math.pi * (math.acos(s) - s * math.sqrt(1 - s * s)) * abs(float(np.sinc(f_cy_px)))


def airy_pixel_kernel(
    f_number: float, pitch_um: float, radius_px: int, wavelength_um: float = 0.55, sub: int = 15
) -> np.ndarray:
    """The energy of the Airy pattern I(r) = [2 J1(x) / x]^2, x = pi r / (lambda N) (Born & Wolf, 8.5.2), falling
    on each pixel of a (2 radius + 1)^2 grid, integrated on sub x sub points per pixel; sums to 1."""
    n = 2 * radius_px + 1
    s = (np.arange(n * sub) - (n * sub - 1) / 2) * pitch_um / sub
    arg = np.pi * np.hypot(*np.meshgrid(s, s)) / (wavelength_um * f_number)
    arg[arg == 0] = 1e-12
    energy = ((2 * special.j1(arg) / arg) ** 2).reshape(n, sub, n, sub).sum(axis=(1, 3))
    return energy / energy.sum()


def airy_edge_mtf(
    f_number: float,
    pitch_um: float,
    supersampling: int,
    shape: tuple[int, int],
    roi=MtfSpec().roi,
    angle_deg: float = 5.0,
):
    """The slanted-edge MTF of the chart's edge (light 0.8 left of a line through the centre tilted 5 degrees
    from vertical, dark 0.05 right) imaged through the Airy pattern written out above, rendered as the rig
    samples a scene: at the centres of a grid ``supersampling`` times finer than the pixels, blurred by the
    PSF integrated over one fine sample, each pixel the mean of its fine samples. The slanted-edge method's
    own biases (bin width, windows) and the point sampling of the scene are in both this and the rig's
    measurement; what differs is the PSF, here from a Bessel function rather than the pupil's FFT."""
    q, (rows, cols) = supersampling, shape
    radius = 20 * q
    fine_rows, fine_cols = rows * q + 2 * radius, cols * q + 2 * radius
    y = (np.arange(fine_rows) - (fine_rows - 1) / 2) / q
    x = (np.arange(fine_cols) - (fine_cols - 1) / 2) / q
    scene = np.where(x[None, :] < y[:, None] * math.tan(math.radians(angle_deg)), 0.8, 0.05)
    image = signal.fftconvolve(scene, airy_pixel_kernel(f_number, pitch_um / q, radius), mode="valid")
    image = image.reshape(rows, q, cols, q).mean(axis=(1, 3))
    x0, y0, w, h = roi
    return slanted_edge_mtf(image[round(y0 * rows) : round((y0 + h) * rows), round(x0 * cols) : round((x0 + w) * cols)])


def capture_at_60_percent(rig: camrig.Rig) -> camrig.CaptureResult:
    """The edge exposed with its light side at ~60 % of the raw range (no clipping)."""
    probe = rig.capture(exposure_s=1e-2).raw
    signal_dn = float(probe.data.max()) - probe.meta.black_level
    shot = rig.capture(exposure_s=1e-2 * 0.6 * (probe.meta.white_level - probe.meta.black_level) / signal_dn)
    assert shot.raw.data.max() < 0.8 * shot.raw.meta.white_level
    return shot


@pytest.mark.parametrize(
    ("f_number", "pitch_um", "supersampling"),
    [(4, 1.5, 1), (8, 1.5, 1), (16, 3.0, 1), (1.4, 1.5, 4), (2, 1.5, 4)],  # blur under 2 px: supersample the scene
)
def test_slanted_edge_mtf50_of_a_diffraction_limited_lens_matches_an_airy_edge(f_number, pitch_um, supersampling):
    """MTF50 within 1 % of the same edge rendered through the Airy pattern (seen: 0.75 % at most; a diffraction
    pattern 5 % too large moves it 1.2-5 %), and within 3 % of the analytic MTF50 of diffraction times the pixel
    aperture (the slanted-edge method's bias and the sampling of the scene account for up to 2.8 %)."""
    rig = mono_rig(f_number, pitch_um, supersampling)
    shot = capture_at_60_percent(rig)
    measured = Mtf(MtfSpec()).measure(rig, shot).values
    airy = airy_edge_mtf(f_number, pitch_um, supersampling, shot.raw.data.shape).mtf50
    expected = brentq(lambda f: analytic_mtf(f, f_number, pitch_um * 1e-3) - 0.5, 1e-3, 1.0)
    print(f"f/{f_number}, {pitch_um} um, scene x{supersampling}: MTF50 {measured['mtf50_cy_px']:.4f} cy/px, "
          f"Airy edge {airy:.4f}, analytic {expected:.4f}")  # fmt: skip
    assert measured["mtf50_cy_px"] == pytest.approx(airy, rel=0.01)
    assert measured["mtf50_cy_px"] == pytest.approx(expected, rel=0.03)
    assert measured["mtf50_lp_mm"] == pytest.approx(measured["mtf50_cy_px"] / (pitch_um * 1e-3))


def test_photon_transfer_dynamic_range_is_full_well_over_read_noise():
    """The spec's 6000 e- and 1.5 e- (plus 0.2 e- row noise): log2(6000 / 1.51) = 11.96 EV."""
    spec = {
        "rig": {
            "name": "ptc",
            "frame_rate_hz": 1,
            "lens": {
                "type": "optics.ideal",
                "focal_length_mm": 35,
                "f_number": 4,
                "psf": "none",
                "image_circle_mm": 40,
            },
            "sensor": {"type": "sensors.cmos", "width_px": 256, "height_px": 256, "pixel_pitch_um": 3.0},
            "attachment": {"type": "mounts.magnetic"},
        },
        "capture": {"scene": {"type": "scenes.chart"}, "exposure_s": 1e-3, "seed": 1},
    }
    rig = camrig.assemble(camrig.Host(env={}), camrig.read_rig(spec))
    values = PhotonTransferMeasurement(PhotonTransferSpec(roi_px=128)).measure(rig, rig.capture()).values
    assert values["dynamic_range_ev"] == pytest.approx(math.log2(6000 / 1.5), abs=0.2)
    # the default gain, from the spec: the 14-bit ADC's top above the 256 DN black level at the full well less
    # 5 read-noise sigmas, (16383 - 256) / (6000 - 5 x 1.5) = 2.6912 DN/e- (0.1 % seen)
    assert values["gain_dn_per_e"] == pytest.approx(16127 / 5992.5, rel=0.015)
    assert values["read_noise_e"] == pytest.approx(math.hypot(1.5, 0.2), rel=0.05)


def test_ciede2000_matches_colour_science_and_sharmas_test_data():
    colour = pytest.importorskip("colour")
    # G. Sharma et al. (2005), Table 1, pairs 1, 7 and 17: expected 2.0425, 0.0, 27.1492
    lab1 = np.array([[50.0, 2.6772, -79.7751], [50.0, 0.0, 0.0], [22.7233, 20.0904, -46.6940]])
    lab2 = np.array([[50.0, 0.0, -82.7485], [50.0, -1.0, 2.0], [23.0331, 14.9730, -42.5619]])
    np.testing.assert_allclose(ciede2000(lab1, lab2), [2.0425, 2.3669, 2.0373], atol=1e-4)
    rng = np.random.default_rng(4)
    a, b = rng.uniform([0, -80, -80], [100, 80, 80], (500, 3)), rng.uniform([0, -80, -80], [100, 80, 80], (500, 3))
    np.testing.assert_allclose(ciede2000(a, b), colour.delta_E(a, b, method="CIE 2000"), rtol=1e-9, atol=1e-9)
    xyz = rng.uniform(0, 1, (50, 3))
    white = np.array([0.95047, 1.0, 1.08883])
    np.testing.assert_allclose(
        xyz_to_lab(xyz, white), colour.XYZ_to_Lab(xyz, colour.XYZ_to_xy(white)), rtol=1e-6, atol=1e-6
    )


def test_vignetting_in_ev_is_the_cos4_falloff_on_a_flat_scene():
    rig = mono_rig(4, 40.0, layout="flat")  # 10.24 mm square at f = 35 mm, psf too small to matter
    values = Vignetting(VignettingSpec(box_fraction=0.02)).measure(rig, rig.capture()).values
    r2 = 2 * (5.12 - 0.1) ** 2  # corner box centre, mm^2 (box of 5 px)
    assert values["vignetting_ev"] == pytest.approx(math.log2((1 + r2 / 35**2) ** 2), abs=0.02)


def test_colour_error_refuses_display_rgb(host, rig_dict):
    rig = camrig.assemble(host, camrig.read_rig(rig_dict))
    with pytest.raises(ValueError, match="needs linear sRGB"):
        ColourError(ColourErrorSpec()).measure(rig, rig.capture())


def test_distortion_from_the_dot_chart_follows_the_lens_model():
    """Barrel distortion k1 = -0.1 (Brown-Conrady, normalised at 5 mm), worked by hand: a point at ideal radius r
    lands at r (1 + k1 r^2 / 5^2). A dot is a disc of radius a = 0.07 chart half-widths (0.150 mm here) and its
    light keeps its flux, so its centroid is the mean of the mapped disc: along the radius, r + k1 (r^3 + r a^2)
    / 5^2, a distortion of 100 k1 (r^2 + a^2) / 25 %. The scene is rendered 3 x finer than the 20 um pixels so
    the dots' edges are area-sampled; the centroids then follow within 0.06 px (seen), -2.3 % at the edge."""
    from camrig_measure import DistortionMeasurementSpec
    from camrig_measure.accessories import Distortion

    rig = mono_rig(4, 20.0, 3, layout="dots", width_deg=7)
    data = {**rig.file.data}
    spec = {"model": "brown_conrady", "k1": -0.1, "norm_radius_mm": 5.0}
    data["rig"] = {**data["rig"], "lens": {**data["rig"]["lens"], "distortion": spec, "psf": "none"}}
    rig = camrig.assemble(camrig.Host(env={}), camrig.read_rig(data))
    measured = Distortion(DistortionMeasurementSpec()).measure(rig, rig.capture(exposure_s=1e-3))
    a = 0.07 * 35 * math.tan(math.radians(7 / 2))  # dot radius on the sensor, mm

    def by_hand(r: float) -> float:
        return 100 * -0.1 * (r * r + a * a) / 5**2

    r = measured.values["distortion_radius_mm_outer"]
    assert r == pytest.approx(35 * math.tan(math.radians(3.5)) * math.hypot(1, 0.5), rel=1e-6)  # dots at (+-1, +-0.5)
    print(
        f"distortion at {r:.2f} mm: measured {measured.values['distortion_pct_outer']:.4f} %, by hand "
        f"{by_hand(r):.4f} %"
    )
    assert measured.values["distortion_pct_outer"] == pytest.approx(by_hand(r), abs=0.01)  # 0.002 seen
    curve = measured.curves["distortion"]  # every dot: the radial position error in pixels (20 um)
    pixel_error = [abs(m - by_hand(r)) / 100 * r / 0.02 for r, m in zip(curve.x, curve.y)]
    assert len(pixel_error) >= 30 and max(pixel_error) < 0.1  # the displacement itself reaches 2.7 px


def test_without_supersampling_a_sub_pixel_blur_aliases_the_edge():
    """The documented limit: at f/1.4 on 1.5 um pixels the chart sampled at pixel centres is sharper than any
    pixel could see: the MTF never falls to 0.5 below 1 cy/px, where the optics and the pixel aperture put
    MTF50 at 0.446 cy/px. This is why scene_supersampling exists. The reading is that of the same point-sampled
    edge through the Airy pattern, curve and MTF50 (seen: 0.007 and 0.01 %)."""
    rig = mono_rig(1.4, 1.5)
    shot = capture_at_60_percent(rig)
    measured = Mtf(MtfSpec()).measure(rig, shot)
    airy = airy_edge_mtf(1.4, 1.5, 1, shot.raw.data.shape)
    physical = brentq(lambda f: analytic_mtf(f, 1.4, 1.5e-3) - 0.5, 1e-3, 1.0)
    assert physical == pytest.approx(0.446, abs=1e-3)
    curve = measured.curves["mtf"]
    assert min(curve.y) > 0.75 and max(curve.x) == pytest.approx(1.0, abs=0.05)
    np.testing.assert_allclose(curve.y, airy.at(np.array(curve.x)), rtol=0, atol=0.015)
    assert measured.values["mtf50_cy_px"] == pytest.approx(airy.mtf50, rel=1e-3)
    assert measured.values["mtf_at_quarter_cy_px"] == pytest.approx(airy.at(0.25), abs=0.01)
