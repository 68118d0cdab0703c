"""siemens_star_mtf on a star whose image is known in closed form: a binary star blurred by a Gaussian keeps each
odd harmonic k of its square wave times the Gaussian's MTF at that harmonic's frequency."""

from __future__ import annotations

import math

import numpy as np
import pytest

from camrig_measure import siemens_star_mtf


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
