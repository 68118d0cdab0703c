"""scenes.target: the Siemens star's sectors where the geometry puts them, its edges box-filtered; point sources
keep their flux (radiance x solid angle) whatever their size against the samples."""

from __future__ import annotations

import math

import numpy as np
import pytest

import camrig
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
