"""The slanted-edge MTF (ISO 12233:2017 e-SFR) against an analytically known edge.

The test edge is a straight step blurred by a Gaussian of standard deviation ``sigma`` pixels, evaluated in
closed form (the normal CDF of the distance to the edge) on an 8 x 8 grid of points in each pixel and
box-averaged: a Gaussian lens PSF sampled by 100 %-fill-factor square pixels. Along the edge normal, at an
angle ``theta`` to the pixel axes, its MTF is the Gaussian's times the square aperture's projected onto the
normal:

    MTF(f) = exp(-2 pi^2 sigma^2 f^2) |sinc(f cos theta) sinc(f sin theta)|

which for the small angles used differs from the on-axis exp(-2 pi^2 sigma^2 f^2) |sinc(f)| by < 0.003 up
to 0.5 cycles/pixel.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import ndtr

from camrig_measure import EdgeMtf, slanted_edge_mtf

ROWS, COLS, SUPERSAMPLE = 100, 64, 8
FREQS = np.linspace(0.0, 0.5, 101)


def render_edge(sigma: float, angle_deg: float, rows: int = ROWS, cols: int = COLS) -> np.ndarray:
    """A light-right edge through the ROI centre, tilted ``angle_deg`` clockwise from vertical, blurred by
    a Gaussian of ``sigma`` px and integrated over square pixels (pixel (r, c) covers [c +- 0.5, r +- 0.5])."""
    theta = math.radians(angle_deg)
    offsets = (np.arange(SUPERSAMPLE) + 0.5) / SUPERSAMPLE - 0.5
    y = (np.arange(rows)[:, None] + offsets).ravel() - (rows - 1) / 2
    x = (np.arange(cols)[:, None] + offsets).ravel() - (cols - 1) / 2
    distance = x[None, :] * math.cos(theta) - y[:, None] * math.sin(theta)
    fine = 0.1 + 0.8 * ndtr(distance / sigma)
    return fine.reshape(rows, SUPERSAMPLE, cols, SUPERSAMPLE).mean(axis=(1, 3))


def analytic_mtf(f: np.ndarray | float, sigma: float, angle_deg: float) -> np.ndarray | float:
    theta = math.radians(angle_deg)
    aperture = np.abs(np.sinc(f * math.cos(theta)) * np.sinc(f * math.sin(theta)))
    return np.exp(-2.0 * math.pi**2 * sigma**2 * np.square(f)) * aperture


def analytic_mtf50(sigma: float, angle_deg: float) -> float:
    return brentq(lambda f: analytic_mtf(f, sigma, angle_deg) - 0.5, 1e-6, 1.0)


def assert_matches(result: EdgeMtf, sigma: float, angle_deg: float) -> None:
    error = np.max(np.abs(result.at(FREQS) - analytic_mtf(FREQS, sigma, angle_deg)))
    assert error < 0.02, f"max |MTF error| up to 0.5 cy/px is {error:.4f}"
    expected50 = analytic_mtf50(sigma, angle_deg)
    assert result.mtf50 == pytest.approx(expected50, rel=0.03)


@pytest.mark.parametrize("angle_deg", [5.0, 8.0])
@pytest.mark.parametrize("sigma", [0.6, 1.2])
def test_mtf_matches_gaussian_times_pixel_aperture(sigma: float, angle_deg: float) -> None:
    result = slanted_edge_mtf(render_edge(sigma, angle_deg))
    assert result.orientation == "vertical"
    assert result.edge_angle_deg == pytest.approx(angle_deg, abs=0.05)
    assert result.mtf[0] == pytest.approx(1.0)
    assert result.frequency_cy_px[0] == 0.0 and result.frequency_cy_px[-1] >= 1.0
    assert_matches(result, sigma, angle_deg)


def test_near_horizontal_edge_is_measured_transposed() -> None:
    result = slanted_edge_mtf(render_edge(0.8, 6.0).T)
    assert result.orientation == "horizontal"
    assert abs(result.edge_angle_deg) == pytest.approx(6.0, abs=0.05)
    assert_matches(result, 0.8, 6.0)


def test_falling_edge_and_opposite_tilt_give_the_same_mtf() -> None:
    rising = slanted_edge_mtf(render_edge(0.8, 6.0))
    mirrored = slanted_edge_mtf(render_edge(0.8, 6.0)[:, ::-1])  # light on the left, tilted the other way
    assert mirrored.edge_angle_deg == pytest.approx(-rising.edge_angle_deg, abs=1e-6)
    assert_matches(mirrored, 0.8, 6.0)


def test_mild_noise_keeps_the_mtf_close() -> None:
    rng = np.random.default_rng(12233)
    noisy = render_edge(0.8, 5.0) + rng.normal(0.0, 0.002, (ROWS, COLS))  # SNR 400 on the step
    assert_matches(slanted_edge_mtf(noisy), 0.8, 5.0)


def test_oversample_sets_the_frequency_range() -> None:
    result = slanted_edge_mtf(render_edge(1.0, 5.0), oversample=2)
    assert result.frequency_cy_px[-1] == pytest.approx(1.0)
    assert result.at(0.25) == pytest.approx(analytic_mtf(0.25, 1.0, 5.0), abs=0.02)


def test_mtf50_and_at_interpolate_linearly() -> None:
    line = EdgeMtf(frequency_cy_px=np.array([0.0, 0.5, 1.0]), mtf=np.array([1.0, 0.75, 0.25]), edge_angle_deg=5.0)
    assert line.mtf50 == pytest.approx(0.75)
    assert line.at(0.25) == pytest.approx(0.875)
    np.testing.assert_allclose(line.at([0.0, 1.0]), [1.0, 0.25])
    flat = EdgeMtf(frequency_cy_px=np.array([0.0, 1.0]), mtf=np.array([1.0, 0.9]), edge_angle_deg=5.0)
    assert math.isnan(flat.mtf50)


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros(50), "2-D"),
        (np.zeros((4, 50, 50)), "2-D"),
        (render_edge(0.8, 5.0, rows=15, cols=64), "too small"),
        (render_edge(0.8, 5.0, rows=100, cols=12), "too small"),
        (np.full((60, 60), 0.4), "no edge"),
        (0.4 + np.random.default_rng(1).normal(0.0, 0.01, (60, 60)), "no edge"),
        (render_edge(0.8, 0.0), "too close to 0"),
        (render_edge(0.8, 0.4), "too close to 0"),  # moves 0.7 px over 100 rows
        (render_edge(0.8, 45.0, rows=64, cols=64), "too close to 45"),
        (np.where(np.arange(60) < 30, 0.0, np.nan) * np.ones((60, 1)), "NaN"),
    ],
    ids=["1-D", "3-D", "few-rows", "few-cols", "flat", "flat-noisy", "0deg", "0.4deg", "45deg", "nan"],
)
def test_rejects_unusable_images(image: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        slanted_edge_mtf(image)


def test_rejects_bad_oversample() -> None:
    with pytest.raises(ValueError, match="oversample"):
        slanted_edge_mtf(render_edge(0.8, 5.0), oversample=0)
