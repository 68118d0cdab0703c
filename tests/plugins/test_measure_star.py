"""siemens_star_mtf on a star whose image is known in closed form: a binary star blurred by a Gaussian keeps each
odd harmonic k of its square wave times the Gaussian's MTF at that harmonic's frequency."""

from __future__ import annotations

import math

import numpy as np
import pytest

import camrig
from benchrig import mono_rig
from camrig_measure import StarMtfSpec, siemens_star_mtf
from camrig_measure.accessories import StarMtf


def blurred_star(
    cycles: int, sigma_px: float, light: float, dark: float, size: int = 301
) -> tuple[np.ndarray, tuple[float, float]]:
    """I(rho, phi) = (L + D)/2 + (L - D)/2 (4/pi) sum_k odd sin(k n phi) / k exp(-2 pi^2 sigma^2 (k n / 2 pi rho)^2)
    (the Fourier series of the square wave, each term through a Gaussian PSF's MTF at its local tangential
    frequency), sampled at the pixel centres."""
    c = (size - 1) / 2
    y, x = np.mgrid[0:size, 0:size] - c
    rho = np.maximum(np.hypot(x, y), 1e-9)
    phi = np.arctan2(y, x)
    image = np.full(rho.shape, (light + dark) / 2)
    for k in range(1, 40, 2):
        f = k * cycles / (2 * np.pi * rho)
        image += (
            (light - dark) / 2 * 4 / np.pi * np.sin(k * cycles * phi) / k * np.exp(-2 * np.pi**2 * sigma_px**2 * f**2)
        )
    return image, (c, c)


@pytest.mark.parametrize("direction", ["all", "x", "y"])
def test_star_mtf_is_the_gaussian_mtf(direction):
    """sigma = 1 px: MTF(f) = exp(-2 pi^2 sigma^2 f^2), within 0.01 from the outer rings to 0.5 cycles/pixel,
    in every direction; MTF50 = sqrt(ln 2 / 2) / (pi sigma) = 0.1874 cycles/pixel within 1 %."""
    image, centre = blurred_star(36, 1.0, 0.8, 0.05)
    measured = siemens_star_mtf(image, centre, 36, 150, (0.8 - 0.05) / (0.8 + 0.05), direction=direction)
    expected = np.exp(-2 * np.pi**2 * measured.frequency_cy_px**2)
    assert 0.47 < measured.frequency_cy_px[-1] <= 0.5  # the innermost whole-pixel ring
    assert measured.frequency_cy_px[0] < 0.045
    np.testing.assert_allclose(measured.mtf, expected, atol=0.01)
    assert measured.mtf50 == pytest.approx(math.sqrt(math.log(2) / 2) / math.pi, rel=0.01)


def test_shading_across_the_star_cancels_ring_by_ring():
    """The same star times a radial fall-off to 60 % at its rim (vignetting): each ring is normalised by its own
    mean, so the MTF is unchanged (0.01)."""
    image, centre = blurred_star(36, 1.0, 0.8, 0.05)
    y, x = np.mgrid[0 : image.shape[0], 0 : image.shape[1]] - centre[0]
    shaded = image * (1 - 0.4 * (np.hypot(x, y) / 150) ** 2)
    plain = siemens_star_mtf(image, centre, 36, 150, 0.75 / 0.85)
    dimmed = siemens_star_mtf(shaded, centre, 36, 150, 0.75 / 0.85)
    np.testing.assert_allclose(dimmed.mtf, plain.mtf, atol=0.01)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"image": np.zeros((10, 10, 3))}, "2-D"),
        ({"image": np.full((301, 301), np.nan)}, "NaN"),
        ({"centre_xy": (400.0, 10.0)}, "outside"),
        ({"outer_radius_px": 10.0}, "too small"),
        ({"modulation": 1.5}, "modulation"),
        ({"cycles": 1}, "cycles"),
    ],
)
def test_bad_input_is_refused_naming_what(kwargs, words):
    image, centre = blurred_star(36, 1.0, 0.8, 0.05)
    args = {"image": image, "centre_xy": centre, "cycles": 36, "outer_radius_px": 150.0, "modulation": 0.88, **kwargs}
    with pytest.raises(ValueError, match=words):
        siemens_star_mtf(**args)


def star_rig(scene: dict) -> camrig.Rig:
    """The bench rig (256 x 256, scene sampled 4x finer) on a scenes.target, exposed 2 ms."""
    return mono_rig({"type": "scenes.target", **scene}, {"scene_supersampling": 4}, {"width_px": 256}, exposure_s=2e-3)


def test_the_star_mtf_accessory_reads_diffraction_times_the_pixel():
    """measure.star_mtf on a 36-cycle star 100 px in radius through a diffraction-limited f/5.6 lens on 2 um mono
    pixels: the curve within 0.05 of (2/pi)(acos s - s sqrt(1 - s^2)) |sinc f|, s = f lambda N / p (Goodman, ch. 6),
    and MTF50 within 3 % of that curve's (0.2354 cy/px, found by bisection)."""
    width = 2 * math.degrees(math.atan(100 * 2e-3 / 35))
    rig = star_rig({"pattern": "siemens_star", "cycles": 36, "width_deg": width, "light": 0.8, "dark": 0.05})
    shot = rig.capture()
    assert shot.raw.data.max() < 0.8 * shot.raw.meta.white_level
    measured = StarMtf(StarMtfSpec()).measure(rig, shot)

    def analytic(f: np.ndarray) -> np.ndarray:
        s = np.minimum(f / 2e-3 * 550e-6 * 5.6, 1.0)
        return 2 / np.pi * (np.arccos(s) - s * np.sqrt(1 - s * s)) * np.abs(np.sinc(f))

    curve = measured.curves["mtf"]
    assert np.abs(np.array(curve.y) - analytic(np.array(curve.x))).max() < 0.05
    lo, hi = 0.01, 0.5
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if analytic(np.array(mid)) > 0.5 else (lo, mid)
    assert measured.values["mtf50_cy_px"] == pytest.approx(lo, rel=0.03)
    assert measured.values["mtf50_lp_mm"] == pytest.approx(measured.values["mtf50_cy_px"] / 2e-3)


def test_the_star_mtf_accessory_needs_a_siemens_star():
    rig = star_rig({"pattern": "points"})
    with pytest.raises(ValueError, match="pattern: siemens_star"):
        StarMtf(StarMtfSpec()).measure(rig, rig.capture())
