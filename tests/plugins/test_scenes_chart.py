"""The chart: patch radiance from the published sRGB values, framing set by the view."""

from __future__ import annotations

import math

import pytest
from camrig_scenes import ChartSpec
from camrig_scenes.chart import Chart


def sample(chart: Chart, u: float, v: float):
    """Reflectance seen at chart coordinates (u, v)."""
    import camrig

    half = math.tan(math.radians(chart.spec.width_deg) / 2)
    return chart.reflectance(camrig.AngularGrid(width=1, height=1, x0=u * half, y0=v * half, step=1e-4))[0, 0]


def srgb_linear(v8: float) -> float:
    v = v8 / 255
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def test_patches_carry_colorchecker_reflectances():
    chart = Chart(ChartSpec())
    # patch 19 (white, sRGB 243/243/242) is the first of the bottom row: u in [-1, -2/3], v in [1/3, 2/3]
    b, g, r = sample(chart, -5 / 6, 0.5)
    assert (r, g, b) == pytest.approx((srgb_linear(243), srgb_linear(243), srgb_linear(242)), rel=1e-6)
    # patch 15 (red, 175/54/60): third row, third column
    b, g, r = sample(chart, -1 + 2.5 / 3, 1 / 6)
    assert (r, g, b) == pytest.approx((srgb_linear(175), srgb_linear(54), srgb_linear(60)), rel=1e-6)


def test_background_edge_is_light_left_and_dark_right():
    chart = Chart(ChartSpec(edge_angle_deg=0))
    assert tuple(sample(chart, -1.5, 0)) == pytest.approx((0.8, 0.8, 0.8))
    assert tuple(sample(chart, 1.5, 0)) == pytest.approx((0.05, 0.05, 0.05))
