"""The measurement accessories on real captures, against analytic values and reference implementations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from camrig_measure import ColourErrorSpec, MtfSpec, PhotonTransferSpec, VignettingSpec, ciede2000
from camrig_measure.accessories import ColourError, Mtf, PhotonTransferMeasurement, Vignetting
from camrig_measure.ciede2000 import xyz_to_lab
from scipy.optimize import brentq

import camrig

NO_NOISE = {"shot": False, "read": False, "row": False, "dsnu": False, "prnu": False, "hot": False, "dark": False}


def mono_rig(f_number: float, pitch_um: float, supersampling: int = 1, **scene) -> camrig.Rig:
    spec = {
        "rig": {
            "name": "bench", "frame_rate_hz": 1,
            "lens": {"type": "optics.ideal", "focal_length_mm": 35, "f_number": f_number, "image_circle_mm": 40,
                     "scene_supersampling": supersampling},
            "sensor": {"type": "sensors.cmos", "width_px": 256, "height_px": 256, "pixel_pitch_um": pitch_um, "cfa": "mono",
                       "bands_nm": [550.0], "qe": [[0.6]], "full_well_e": 50000, "noise": NO_NOISE},
            "attachment": {"type": "mounts.magnetic"},
        },
        "capture": {"scene": {"type": "scenes.chart", "layout": "edge", "bands_nm": [550.0], **scene}, "exposure_s": 1e-3, "seed": 1},
    }  # fmt: skip
    return camrig.assemble(camrig.Host(env={}), camrig.read_rig(spec))


def analytic_mtf(f_cy_px: float, f_number: float, pitch_mm: float, wavelength_mm: float = 550e-6) -> float:
    """Diffraction MTF of a circular pupil, (2/pi)(acos s - s sqrt(1 - s^2)) with s = nu lambda N, times the
    square pixel's |sinc(f)| (Goodman, Introduction to Fourier Optics, ch. 6)."""
    s = min(f_cy_px / pitch_mm * wavelength_mm * f_number, 1.0)
    return 2 / math.pi * (math.acos(s) - s * math.sqrt(1 - s * s)) * abs(float(np.sinc(f_cy_px)))


@pytest.mark.parametrize(
    ("f_number", "pitch_um", "supersampling"),
    [(4, 1.5, 1), (8, 1.5, 1), (16, 3.0, 1), (1.4, 1.5, 4), (2, 1.5, 4)],  # blur under 2 px: supersample the scene
)
def test_slanted_edge_mtf50_of_a_diffraction_limited_lens_is_within_5_percent(f_number, pitch_um, supersampling):
    rig = mono_rig(f_number, pitch_um, supersampling)
    probe = rig.capture(exposure_s=1e-2).raw
    signal = float(probe.data.max()) - probe.meta.black_level
    exposure = 1e-2 * 0.6 * (probe.meta.white_level - probe.meta.black_level) / signal  # light side at ~60 %
    shot = rig.capture(exposure_s=exposure)
    assert shot.raw.data.max() < 0.8 * shot.raw.meta.white_level
    measured = Mtf(MtfSpec()).measure(rig, shot).values
    expected = brentq(lambda f: analytic_mtf(f, f_number, pitch_um * 1e-3) - 0.5, 1e-3, 1.0)
    print(f"f/{f_number}, {pitch_um} um, scene x{supersampling}: MTF50 {measured['mtf50_cy_px']:.4f} cy/px, analytic {expected:.4f}")
    assert measured["mtf50_cy_px"] == pytest.approx(expected, rel=0.05)
    assert measured["mtf50_lp_mm"] == pytest.approx(measured["mtf50_cy_px"] / (pitch_um * 1e-3))


def test_photon_transfer_dynamic_range_is_full_well_over_read_noise():
    """The spec's 6000 e- and 1.5 e- (plus 0.2 e- row noise): log2(6000 / 1.51) = 11.96 EV."""
    spec = {"rig": {"name": "ptc", "frame_rate_hz": 1,
                    "lens": {"type": "optics.ideal", "focal_length_mm": 35, "f_number": 4, "psf": "none", "image_circle_mm": 40},
                    "sensor": {"type": "sensors.cmos", "width_px": 256, "height_px": 256, "pixel_pitch_um": 3.0},
                    "attachment": {"type": "mounts.magnetic"}},
            "capture": {"scene": {"type": "scenes.chart"}, "exposure_s": 1e-3, "seed": 1}}  # fmt: skip
    rig = camrig.assemble(camrig.Host(env={}), camrig.read_rig(spec))
    values = PhotonTransferMeasurement(PhotonTransferSpec(roi_px=128)).measure(rig, rig.capture()).values
    sensor = rig.part("sensor").accessory
    assert values["dynamic_range_ev"] == pytest.approx(math.log2(6000 / 1.5), abs=0.2)
    assert values["gain_dn_per_e"] == pytest.approx(sensor.gain, rel=0.03)
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
    np.testing.assert_allclose(xyz_to_lab(xyz, white), colour.XYZ_to_Lab(xyz, colour.XYZ_to_xy(white)), rtol=1e-6, atol=1e-6)


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
    """Barrel distortion k1 = -0.1 (Brown-Conrady, normalised at 5 mm): the dots at the frame's edge must move
    inward by what the model says, r_d / r_u - 1, within 0.1 percentage points."""
    from camrig_measure.accessories import Distortion
    from camrig_measure import DistortionMeasurementSpec
    from camrig_optics.distortion import DistortionSpec, distort

    rig = mono_rig(4, 20.0, layout="dots", width_deg=7)
    spec = {"model": "brown_conrady", "k1": -0.1, "norm_radius_mm": 5.0}
    data = {**rig.file.data}
    data["rig"] = {**data["rig"], "lens": {**data["rig"]["lens"], "distortion": spec, "psf": "none"}}
    rig = camrig.assemble(camrig.Host(env={}), camrig.read_rig(data))
    measured = Distortion(DistortionMeasurementSpec()).measure(rig, rig.capture(exposure_s=1e-3))
    r = measured.values["distortion_radius_mm_outer"]
    x, _ = distort(DistortionSpec(**spec), np.array([r]), np.array([0.0]))
    expected = 100 * (float(x[0]) / r - 1)
    print(f"distortion at {r:.2f} mm: measured {measured.values['distortion_pct_outer']:.3f} %, model {expected:.3f} %")
    assert expected < -1  # really distorted
    assert measured.values["distortion_pct_outer"] == pytest.approx(expected, abs=0.1)
    curve = measured.curves["distortion"]  # every dot: the radial position error in pixels (20 um)
    model = [100 * (float(distort(DistortionSpec(**spec), np.array([r]), np.array([0.0]))[0][0]) / r - 1) for r in curve.x]
    pixel_error = [abs(m - e) / 100 * r / 0.02 for m, e, r in zip(curve.y, model, curve.x)]
    assert len(pixel_error) >= 30 and max(pixel_error) < 0.2  # the displacement itself reaches 2.7 px


def test_without_supersampling_a_sub_pixel_blur_aliases_the_edge():
    """The documented limit: at f/1.4 on 1.5 um pixels the chart sampled at pixel centres is sharper than any
    pixel could see (MTF50 above Nyquist). This is why scene_supersampling exists."""
    rig = mono_rig(1.4, 1.5)
    shot = rig.capture(exposure_s=0.2)
    assert Mtf(MtfSpec()).measure(rig, shot).values["mtf50_cy_px"] > 0.5
