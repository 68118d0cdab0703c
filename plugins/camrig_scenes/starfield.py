"""A star field at given magnitudes as ``scenes.target`` (``pattern: star_field``; docs/scenes.md).

Magnitudes (Pogson's ratio): a star of magnitude ``m`` gives ``10^(-0.4 m)`` of the irradiance of a magnitude-0
star at the entrance pupil. The zero point is Vega's spectral irradiance as tabulated by M. S. Bessell,
F. Castelli and B. Plez, "Model atmospheres, broad-band colors, bolometric corrections and temperature
calibrations for O-M stars", A&A 333 (1998) 231, Table A2: f_lambda of magnitude 0 in U, B, V, R, I at
366, 438, 545, 641, 798 nm = 417.5, 632, 363.1, 217.7, 112.6 x 10^-11 erg s^-1 cm^-2 A^-1 (1 erg s^-1 cm^-2
A^-1 = 0.01 W m^-2 nm^-1; 363.1e-11 is 3.631e-11 W m^-2 nm^-1, about 1000 photons s^-1 cm^-2 A^-1 at V).
With ``star_spectrum: vega`` every star has Vega's (A0 V) colours, its f_lambda interpolated linearly in
log f_lambda between those wavelengths (held constant beyond them); with ``flat`` f_lambda is the V zero point at
every wavelength. A band's irradiance is the integral of f_lambda over the band (edges by the midpoint rule).

Rendering: a star is a point. Its band irradiance ``E`` (normal to its direction) arrives through the pupil
seen at ``theta`` off axis, where a scene sample of radiance ``L`` covering ``step^2`` of tangent-plane area
(solid angle ``step^2 cos^3 theta``) delivers ``L step^2 cos^4 theta`` per unit pupil area and the star ``E cos
theta``: the sample carries ``L = E / (step^2 cos^3 theta)``. The star's flux is split among the four samples
around its direction with bilinear weights (they sum to 1 and keep the centroid), so the integrated radiance
is exact and independent of where the star falls on the grid.
"""

from __future__ import annotations

import math

import numpy as np

from .spectral import band_edges

ZERO_POINT_NM = np.array([366.0, 438.0, 545.0, 641.0, 798.0])
"""Effective wavelengths of Bessell's U, B, V, R, I (Bessell, Castelli & Plez 1998, Table A2)."""
ZERO_POINT_W_M2_NM = np.array([417.5, 632.0, 363.1, 217.7, 112.6]) * 1e-11 * 1e-2
"""f_lambda of a magnitude-0 (Vega) star in those bands, W m^-2 nm^-1 (erg s^-1 cm^-2 A^-1 times 0.01)."""
V_ZERO_POINT_W_M2_NM = float(ZERO_POINT_W_M2_NM[2])


def zero_point_band_irradiance(bands_nm: tuple[float, ...], spectrum: str) -> np.ndarray:
    """Band irradiance of a magnitude-0 star, W/m^2 per band: the integral of its f_lambda over each band
    (module docstring), on a 0.1 nm grid."""
    edges = band_edges(bands_nm)
    out = np.empty(len(bands_nm))
    for b in range(len(bands_nm)):
        wl = np.linspace(edges[b], edges[b + 1], max(2, round((edges[b + 1] - edges[b]) * 10) + 1))
        if spectrum == "flat":
            f = np.full_like(wl, V_ZERO_POINT_W_M2_NM)
        else:
            f = np.exp(np.interp(wl, ZERO_POINT_NM, np.log(ZERO_POINT_W_M2_NM)))
        out[b] = np.trapezoid(f, wl)
    return out


def positions_tan(
    count: int, positions_deg: tuple[tuple[float, float], ...] | None, width_deg: float, seed: int
) -> np.ndarray:
    """(count, 2) star directions in tangent units: (tan x_deg, tan y_deg) of the listed angles, or uniform at
    random (NumPy's PCG64 from ``seed``) over |tan x| <= H, |tan y| <= 2/3 H, H = tan(width_deg / 2)."""
    if positions_deg is not None:
        return np.tan(np.radians(np.asarray(positions_deg, dtype=np.float64).reshape(-1, 2)))
    h = math.tan(math.radians(width_deg) / 2)
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, size=(count, 2)) * np.array([h, h * 2 / 3])


def render(
    out: np.ndarray,
    x0: float,
    y0: float,
    step: float,
    stars_tan: np.ndarray,
    irradiance: np.ndarray,
) -> None:
    """Add each star's radiance to ``out`` (rows, cols, bands), ``irradiance`` (stars, bands) in W/m^2, as
    bilinear-split point sources (module docstring); stars whose four samples are not all inside are dropped."""
    rows, cols = out.shape[:2]
    for (tx, ty), e in zip(stars_tan, irradiance):
        j, i = (tx - x0) / step, (ty - y0) / step
        j0, i0 = math.floor(j), math.floor(i)
        if j0 < 0 or i0 < 0 or j0 + 1 >= cols or i0 + 1 >= rows:
            continue
        fj, fi = j - j0, i - i0
        cos3 = (1.0 + tx * tx + ty * ty) ** -1.5
        radiance = e / (step * step * cos3)
        for di, wi in ((0, 1 - fi), (1, fi)):
            for dj, wj in ((0, 1 - fj), (1, fj)):
                out[i0 + di, j0 + dj] += (wi * wj * radiance).astype(out.dtype)
