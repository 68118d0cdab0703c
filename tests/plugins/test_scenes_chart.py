"""The chart: patch radiance from the published sRGB values, framing set by the view."""

from __future__ import annotations

import math

import numpy as np
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


@pytest.mark.parametrize("angle_deg", [0.0, 5.0, -12.0, 30.0])
def test_background_edge_runs_through_the_centre_at_its_angle_light_on_the_left(angle_deg):
    """The edge is the line through the chart's centre tilted ``angle_deg`` from vertical (positive: its lower end,
    +v, leans to +u): it crosses chart row v at u = v tan(angle), worked out here for rows above and below the
    centre. A hair left of that crossing the background is light, a hair right of it dark, on every row; the
    light side is the 'flat' layout's light and the dark side the 'dots' layout's ground, the two at least 10:1
    apart (a step a slanted-edge measurement reads far above any noise)."""
    chart = Chart(ChartSpec(layout="edge", edge_angle_deg=angle_deg))
    light = tuple(sample(Chart(ChartSpec(layout="flat")), 0.3, 0.2))
    dark = tuple(sample(Chart(ChartSpec(layout="dots")), 0.125, 0.125))  # between four dots
    assert (
        light[0] >= 10 * dark[0] and light == pytest.approx((light[0],) * 3) and dark == pytest.approx((dark[0],) * 3)
    )
    t = math.tan(math.radians(angle_deg))
    for v in (-0.6, -0.25, 0.0, 0.3, 0.62):
        crossing = v * t
        assert tuple(sample(chart, crossing - 2e-3, v)) == light, (v, "left")
        assert tuple(sample(chart, crossing + 2e-3, v)) == dark, (v, "right")
        assert tuple(sample(chart, crossing - 0.5, v)) == light and tuple(sample(chart, crossing + 0.5, v)) == dark


def test_edge_radiance_is_reflectance_times_the_white():
    """Illuminant E, 100 nm bands: a white diffuser's band radiance is white_radiance_w_m2_sr (0.5) in every band,
    so the light and dark sides radiate 0.5 rho."""
    import camrig

    chart = Chart(ChartSpec(layout="edge", edge_angle_deg=0.0))
    half = math.tan(math.radians(chart.spec.width_deg) / 2)
    view = camrig.AngularGrid(width=2, height=1, x0=-0.5 * half, y0=0.0, step=half)  # u = -0.5 and +0.5
    ctx = camrig.CaptureContext(
        exposure_s=1e-3,
        seed=0,
        geometry=camrig.Geometry(plane=camrig.FocalPlane(width_px=2, height_px=1, pitch_um=1.0), view=view),
    )
    radiance = chart.process(None, ctx, "scene").data[0]
    np.testing.assert_allclose(radiance[0], 0.5 * sample(chart, -0.5, 0.0), rtol=1e-6)
    np.testing.assert_allclose(radiance[1], 0.5 * sample(chart, 0.5, 0.0), rtol=1e-6)


@pytest.mark.parametrize("layout", ["chart", "edge", "flat", "dots"])
def test_the_rendered_chart_does_not_depend_on_the_threads_and_dots_sit_where_the_layout_says(layout):
    import camrig
    from camrig_scenes.chart import BACKGROUND_DARK, BACKGROUND_LIGHT, dot_centres

    chart = Chart(ChartSpec(layout=layout, width_deg=30))
    half = math.tan(math.radians(15))
    view = camrig.AngularGrid(width=301, height=203, x0=-1.2 * half, y0=-0.8 * half, step=2.4 * half / 300)
    one, three = chart.reflectance(view, threads=1), chart.reflectance(view, threads=3)
    np.testing.assert_array_equal(one, three)
    if layout == "dots":  # each dot centre (radius 0.07 half-widths) is light, a point 0.1 from it dark
        for u, v in dot_centres():
            assert sample(chart, u, v)[0] == pytest.approx(BACKGROUND_LIGHT)
            assert sample(chart, u + 0.1, v)[0] == pytest.approx(BACKGROUND_DARK)
