"""optics.prescription: relative illumination (RI) against an independent real-ray reference.

camrig's RI (``prescription._derive``) is E(theta)/E(0) = T(theta) cos(theta) f^2 sin(theta) / (h dh/dtheta): the
passed fraction T of a uniform entrance-pupil grid, the object-side projection cos(theta) of the pupil, and the chief
ray's image-area Jacobian. optiland 0.6.3 has no relative-illumination analysis, so the reference here is built from
its real-ray trace the way Zemax OpticStudio ("Relative Illumination") and M. Rimmer ("Relative illumination
calculations", Proc. SPIE 655, 1986) define it: with radiance conserved (n = n' = 1, no coating losses) the
irradiance at an image point is E = L_e * Omega_p, Omega_p = integral of dL' dM' over the rays that reach that point,
the projected solid angle of the exit pupil seen from it in image-space direction-cosine space (L', M').

Why no extra object-side factor: etendue is conserved ray by ray, dX dY dL0 dM0 = dx' dy' dL' dM' (X, Y on the
entrance-pupil plane, (L0, M0) the object-space direction cosines, dL0 dM0 = cos(theta) dOmega). The flux entering
through the pupil from a field direction is L_e cos(theta) dOmega x (pupil area): the cos(theta) of the camera
equation is dL0 dM0 / dOmega, and the image area it lands on is dx' dy'. Integrating dL' dM' at a fixed image point
therefore already contains both; dividing by the on-axis value cancels L_e. No factor is added.

Checked here: the (L', M') integral must be taken at a fixed *image point*, not for the bundle of one object
direction. For one direction theta, integral dL' dM' = integral |d(L', M')/d(X, Y)| dX dY measures the beam's
convergence towards its own (astigmatic, field-curved) focus; it equals the irradiance on the sensor only for an
image free of ray aberration at the sensor (then the 4 x 4 Jacobian of the etendue map is block triangular). For the
f/8 singlet below it gives 1.21 at 20 degrees (a rise), where the fixed-point integral gives 0.94. So each pupil ray
is aimed at the chief ray's image point: its field angle (Hx, Hy) is solved per ray (a chord iteration on the chief
ray's image scale, residual < 1e-5 mm), and (L', M') of those rays are integrated.

The integral: a uniform n x n grid of normalised pupil coordinates over the square [-1, 1]^2, traced with
``op.trace_generic``; optiland keeps tracing clipped rays (intensity 0), so every grid node has (L', M') and, at each
surface with a semi-diameter, a clearance margin sd - r (and 1 - |P| times the pupil radius for the entrance pupil's
edge). Each cell's (L', M') area is the shoelace area of its 4 corners; a cell whose corners all clear every aperture
counts whole, one with some corners blocked counts the fraction of an 8 x 8 sub-grid where the bilinearly
interpolated margins (each surface's separately, then the minimum) are all positive. Convergence (same cell scheme,
one object direction): 101, 151, 201 and 241 nodes per diameter agree to 3e-4 in RI at f/1.4 (cat's-eye
vignetting), to 1e-5 at f/2.8.

Measured (m43_35mm_f1_4, paraxial image plane, n = 121; ours - reference): f/2.8 -0.0016 (5.8 deg), -0.0030
(11.6), -0.0038 (17.3 deg, the corner: ours 0.918, reference 0.922, cos^4 0.836), f/1.4 -0.0032 (5.8 deg), -0.0057
(11.6), -0.0056 (14.5), -0.0048 (the corner). Both sides close the stop as an iris to the working f-number and
overfill the pupil (``prescription._passed_fraction``): before camrig did, it traced the paraxial pupil of the
working f-number through the full-aperture stop and missed the iris image's growth off axis (0.870 at the f/2.8
corner, 5 % low). One effect is left out of camrig's formula and pinned by the strict xfail below: vignetting
combined with a curved field (rays of the clipped side of the pupil land off the chief ray's image point: 3.5 % at
the corner of a vignetted f/8 singlet).
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any

import numpy as np
import pytest

pytest.importorskip("optiland", reason="optics.prescription needs optiland (pip install 'camrig[prescription]')")
from camrig_optics import PrescriptionSpec, designs  # noqa: E402
from camrig_optics import prescription as rx  # noqa: E402

GRID = 121
"""Pupil nodes per diameter of the reference grid."""
SUB = 8
"""Sub-grid per side of a partly blocked cell (its passed fraction)."""
FIELDS = (8, 16, 24)
"""Indices into ``derived["field_samples"]`` (25 samples, axis to the traced corner)."""
TOL = 0.01
"""The issue's target: RI within 1 % (absolute)."""
CORNERS = (
    (slice(None, -1), slice(None, -1)),
    (slice(None, -1), slice(1, None)),
    (slice(1, None), slice(1, None)),
    (slice(1, None), slice(None, -1)),
)


@pytest.fixture(autouse=True)
def _quiet(tmp_path, monkeypatch):
    monkeypatch.setenv("CAMRIG_CACHE_DIR", str(tmp_path / "cache"))
    warnings.filterwarnings("ignore", module="numba")


def _optic(spec: PrescriptionSpec) -> Any:
    """The real lens at its working f-number: the stop closed as an iris to the paraxial marginal ray's height there
    and the entrance pupil overfilled 1.5x, so the iris (as in a camera) and the rims, not the paraxial pupil the
    rays are aimed at, bound each beam; the sensor at the paraxial image (derive measures illumination there,
    before moving to best focus)."""
    from optiland.physical_apertures import RadialAperture

    op = rx.build_optic(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rx.configure(spec.model_copy(update={"image_plane": "paraxial"}), op)
    stop = op.surfaces.stop_index
    y_marginal, _ = op.paraxial.marginal_ray()
    iris = abs(float(np.ravel(np.asarray(y_marginal))[stop]))
    r_max = getattr(getattr(op.surfaces[stop], "aperture", None), "r_max", None)
    op.surfaces[stop].aperture = RadialAperture(iris if r_max is None else min(iris, float(r_max)))
    op.set_aperture("EPD", float(op.paraxial.EPD()) * 1.5)
    return op


def _trace(op: Any, hx: np.ndarray, hy: np.ndarray, px: np.ndarray, py: np.ndarray, wl: float) -> dict[str, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        op.trace_generic(hx, hy, px, py, wl)
    surfaces = op.surfaces  # per-surface arrays (num_surfaces x num_rays) of the last trace
    return {k: np.asarray(getattr(surfaces, k), dtype=float) for k in ("x", "y", "L", "M", "intensity")}


def exit_pupil_solid_angle(op: Any, theta_deg: float, wl: float, n: int = GRID, max_deg: float = 30.0) -> float:
    """Projected solid angle Omega_p = integral dL' dM' of the rays reaching the image point of the chief ray at field
    ``theta_deg`` (Zemax / Rimmer relative illumination; see the module docstring for the grid and the edge cells)."""
    rx._set_field(op, max_deg)
    one = np.zeros(1)
    h0 = theta_deg / max_deg
    e = 1e-4
    target = _trace(op, one, one + h0, one, one, wl)["y"][-1, 0]
    gain_y = (_trace(op, one, one + h0 + e, one, one, wl)["y"][-1, 0] - target) / e  # d y' / d Hy of the chief ray
    gain_x = _trace(op, one + e, one + h0, one, one, wl)["x"][-1, 0] / e
    p = np.linspace(-1.0, 1.0, n)
    grid_x, grid_y = np.meshgrid(p, p)
    px, py = grid_x.ravel(), grid_y.ravel()
    hx, hy = np.zeros_like(px), np.full_like(px, h0)
    for _ in range(12):  # chord iteration: every pupil ray's field angle moved until it lands on the target
        r = _trace(op, hx, hy, px, py, wl)
        dx, dy = r["x"][-1], r["y"][-1] - target
        landed = float(np.nanmax(np.hypot(dx, dy)[r["intensity"][-1] > 0]))
        if landed < 1e-5:
            break
        ok = np.isfinite(dx) & np.isfinite(dy)
        hx, hy = np.where(ok, hx - dx / gain_x, hx), np.where(ok, hy - dy / gain_y, hy)
        hx, hy = np.clip(hx, -1.0, 1.0), np.clip(hy, -1.0, 1.0)  # rays far outside the iris (blocked) stay in range
    assert landed < 1e-5, f"rays not aimed at the image point: {landed:.2g} mm"
    big_l, big_m = r["L"][-1].reshape(n, n), r["M"][-1].reshape(n, n)
    margins = [(1.0 - np.hypot(grid_x, grid_y)) * float(op.paraxial.EPD()) / 2]  # the entrance pupil's edge
    for i, surface in enumerate(op.surfaces):
        r_max = getattr(getattr(surface, "aperture", None), "r_max", None)
        if r_max is not None:
            m = (float(r_max) - np.hypot(r["x"][i], r["y"][i])).reshape(n, n)
            margins.append(np.where(np.isfinite(m), m, -float(r_max)))  # a ray that missed the surface: blocked
    margin = np.stack(margins)
    xs, ys = [big_l[c] for c in CORNERS], [big_m[c] for c in CORNERS]
    area = 0.5 * np.abs(sum(xs[k] * ys[(k + 1) % 4] - xs[(k + 1) % 4] * ys[k] for k in range(4)))  # shoelace
    at_corner = [margin[(slice(None), *c)] for c in CORNERS]
    clear = [m.min(axis=0) > 0 for m in at_corner]
    whole = clear[0] & clear[1] & clear[2] & clear[3]
    part = (clear[0] | clear[1] | clear[2] | clear[3]) & ~whole
    fraction = whole.astype(float)
    ii, jj = np.nonzero(part)
    u = (np.arange(SUB) + 0.5) / SUB
    su, sv = (a.ravel() for a in np.meshgrid(u, u))
    a, b, c, d = (m[:, ii, jj][..., None] for m in at_corner)
    inside = a * (1 - su) * (1 - sv) + b * su * (1 - sv) + c * su * sv + d * (1 - su) * sv
    fraction[ii, jj] = (inside.min(axis=0) > 0).mean(axis=-1)
    used = fraction > 0
    assert np.isfinite(area[used]).all(), "a passed cell has a ray that missed a surface"
    return float(np.sum(area[used] * fraction[used]))


def reference_ri(op: Any, field_deg: list[float], wl: float) -> list[float]:
    """E(theta) / E(0) = Omega_p(theta) / Omega_p(0)."""
    axis = exit_pupil_solid_angle(op, 0.0, wl)
    return [exit_pupil_solid_angle(op, t, wl) / axis for t in field_deg]


def pa_fit(derived: dict[str, Any], radius_mm: float) -> float:
    """lensfun's ``pa`` vignetting 1 + k1 r^2 + k2 r^4 + k3 r^6, r normalised by the half diagonal."""
    v, rho = derived["vignetting"], radius_mm / derived["half_diagonal_mm"]
    return float(1 + v["k1"] * rho**2 + v["k2"] * rho**4 + v["k3"] * rho**6)


def _design(f_number: float) -> PrescriptionSpec:
    # no trace wavelengths and one zone: they change only the wavefront fits, not the illumination (measured before)
    return designs.prescription_spec("m43_35mm_f1_4", f_number, trace_wavelengths_nm=(), field_points=(0.0,))


@functools.cache
def _derived(f_number: float) -> dict[str, Any]:
    return rx.derive(_design(f_number))


def singlet(semi_diameter_mm: float) -> PrescriptionSpec:
    """A landscape lens: stop 8 mm in front of an N-BK7 singlet (f = 50.8 mm) at f/8, a 36 mm image circle (20.3
    degrees); the lens's semi-diameter vignettes the outer field."""
    surfaces = [
        dict(radius_mm=0, thickness_mm=8.0, stop=True),
        dict(radius_mm=30.0, thickness_mm=4.0, index=1.5168, abbe=64.17, semi_diameter_mm=semi_diameter_mm),
        dict(radius_mm=-200.0, thickness_mm=45.0, semi_diameter_mm=semi_diameter_mm),
    ]
    return PrescriptionSpec(surfaces=surfaces, f_number=8.0, image_circle_mm=36.0, trace_wavelengths_nm=(),
                            field_points=(0.0,), image_plane="paraxial")  # fmt: skip


def _compare(
    spec: PrescriptionSpec, fields: tuple[int, ...] = FIELDS, derived: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[tuple]]:
    derived = derived or rx.derive(spec)
    samples = derived["field_samples"]
    theta = [samples["field_deg"][k] for k in fields]
    ref = reference_ri(_optic(spec), theta, spec.wavelength_nm * 1e-3)
    rows = [(t, samples["relative_illumination"][k], r, pa_fit(derived, samples["radius_mm"][k]))
            for t, k, r in zip(theta, fields, ref)]  # fmt: skip
    return derived, rows


@pytest.mark.parametrize("f_number", [2.8, 1.4])
def test_relative_illumination_matches_the_exit_pupil_solid_angle(f_number):
    derived, rows = _compare(_design(f_number), derived=_derived(f_number))
    table = "\n".join(f"{t:6.2f} deg: ours {o:.4f} ref {r:.4f} diff {o - r:+.4f} pa fit {v:.4f}" for t, o, r, v in rows)
    for _, ours, ref, fit in rows:
        assert abs(ours - ref) < TOL, table
        assert abs(fit - ref) < TOL, table
    corner = rows[-1][2]
    # the reference is not trivially near ours or the cos^4 law: it falls well below cos^4 = 0.84 at f/1.4 (cat's
    # eye), and at f/2.8 (no rim clips) lies 5-15 % above it, the iris's image growing off axis (pupil aberration)
    cos4 = math.cos(math.radians(rows[-1][0])) ** 4
    if f_number == 1.4:
        assert 0.5 < corner < 0.65, table
    else:
        assert 1.05 < corner / cos4 < 1.15, table


def test_unvignetted_singlet_matches_the_exit_pupil_solid_angle():
    _, rows = _compare(singlet(semi_diameter_mm=12.0))
    for t, ours, ref, fit in rows:
        assert abs(ours - ref) < TOL, (t, ours, ref)
        assert abs(fit - ref) < TOL, (t, fit, ref)


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="vignetting with a curved field: the rays of the unclipped side of the pupil reach the sensor from other "
    "field angles than the chief ray (defocus at the sensor), so T x (chief-ray Jacobian) overstates the corner: "
    "ours 0.740, reference 0.705 at 20.3 deg (f/8, sd 5.5 mm); within 1 % only where no ray is clipped",
)
def test_vignetted_singlet_matches_the_exit_pupil_solid_angle():
    _, rows = _compare(singlet(semi_diameter_mm=5.5), fields=(24,))
    ((_, ours, ref, _),) = rows
    assert abs(ours - ref) < TOL, (ours, ref)
