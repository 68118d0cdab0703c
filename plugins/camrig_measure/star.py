"""The MTF from a binary Siemens star: the fundamental's modulation around circles of growing radius.

After ISO 12233:2017 Annex F (s-SFR) and C. Loebich, D. Wueller, B. Klingen, A. Jaeger, "Digital camera
resolution measurement using sinusoidal Siemens stars", Proc. SPIE 6502 (2007): around a circle of radius
``rho`` pixels the star's ``n`` cycles have the tangential frequency

    f = n / (2 pi rho)    cycles per pixel,

and the image along that circle is fitted, by least squares on the pixels of a ring one pixel wide (at their
own angles: no interpolation, whose own blur would bias the result), with ``I = c0 + a cos(n phi) + b sin(n
phi)`` plus the same terms at 3n, 5n, ... while they lie below Nyquist (a ring's pixels are not evenly spread
in angle, so an unfitted harmonic would leak into the fundamental: +-0.01 at the outer rings, seen). ISO's star
is sinusoidal; ours (``scenes.target``) is binary, a square wave in ``phi`` whose fundamental has the amplitude
``(4 / pi)(L - D) / 2`` and whose mean is ``(L + D) / 2``. The lens and pixels pass the fundamental at the
ring's frequency times the MTF, and keep the mean, so

    MTF(f) = sqrt(a^2 + b^2) / ((4 / pi) c0 m),    m = (L - D) / (L + D)

with ``m`` the star's own modulation (from its reflectances): each ring is normalised by its own mean, so
shading (cos^4, vignetting) across the star cancels. Rings run from the one whose fundamental is
``max_frequency_cy_px`` (0.5: beyond it the pixels alias) out to 2 pixels inside the star's rim (95 % of its
radius), one per pixel of radius. ``direction`` keeps the pixels where the frequency runs along x (within 22.5
degrees of the vertical through the centre, above and below it: two of ISO's 8 segments) or along y; a
slanted edge that is near-vertical measures along x.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.floating[Any]]

SEGMENT_HALF_WIDTH_DEG = 22.5
"""Half the angular width of the segments kept for ``direction`` x or y (ISO 12233 Annex F uses 8 segments)."""


@dataclass(frozen=True)
class StarMtf:
    """The MTF measured on a Siemens star: ``frequency_cy_px`` increasing, the ``mtf`` there and the ring
    radius (pixels) each came from."""

    frequency_cy_px: FloatArray
    mtf: FloatArray
    radius_px: FloatArray

    def at(self, frequency_cy_px: ArrayLike) -> FloatArray | float:
        """The MTF at the given frequency or frequencies (cycles/pixel), interpolated linearly."""
        values = np.interp(np.asarray(frequency_cy_px, dtype=np.float64), self.frequency_cy_px, self.mtf)
        return float(values) if np.ndim(values) == 0 else values

    @property
    def mtf50(self) -> float:
        """First frequency (cycles/pixel) where the MTF falls to 0.5, interpolated; NaN if it never does."""
        below = np.flatnonzero(self.mtf <= 0.5)
        if below.size == 0 or below[0] == 0:
            return float("nan")
        i = int(below[0])
        f0, f1, m0, m1 = self.frequency_cy_px[i - 1], self.frequency_cy_px[i], self.mtf[i - 1], self.mtf[i]
        return float(f0 + (m0 - 0.5) * (f1 - f0) / (m0 - m1))


def siemens_star_mtf(
    image: np.ndarray,
    centre_xy: tuple[float, float],
    cycles: int,
    outer_radius_px: float,
    modulation: float,
    *,
    direction: Literal["all", "x", "y"] = "all",
    max_frequency_cy_px: float = 0.5,
) -> StarMtf:
    """Measure the MTF on a binary Siemens star (module docstring).

    ``image`` is 2-D and linear (black level removed), ``centre_xy`` the star's centre in pixel coordinates
    (column, row; pixel centres at integers), ``cycles`` its light-dark pairs, ``outer_radius_px`` its radius,
    ``modulation`` its (L - D) / (L + D). Raises ValueError for a bad image, a centre outside it, a star that does
    not fit it or is too small to give a frequency up to ``max_frequency_cy_px``.
    """
    data = np.asarray(image, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError(f"image must be 2-D, got {data.ndim} dimension(s)")
    if not np.all(np.isfinite(data)):
        raise ValueError("image contains NaN or infinite values")
    if not 0 < modulation <= 1:
        raise ValueError(f"modulation (L - D) / (L + D) must lie in (0, 1], got {modulation}")
    if int(cycles) != cycles or cycles < 2:
        raise ValueError(f"cycles must be an integer >= 2, got {cycles!r}")
    rows, cols = data.shape
    cx, cy = centre_xy
    if not (0 <= cx <= cols - 1 and 0 <= cy <= rows - 1):
        raise ValueError(f"star centre {centre_xy} is outside the {cols} x {rows} image")
    reach = min(cx, cy, cols - 1 - cx, rows - 1 - cy)
    outer = min(0.95 * outer_radius_px, reach - 2.0)  # clear of the rim (blur reaches inside it) and the edge
    inner = cycles / (2 * np.pi * max_frequency_cy_px)  # the ring whose fundamental is max_frequency_cy_px
    if outer <= inner + 2:
        raise ValueError(
            f"the star ({outer_radius_px:.1f} px radius, {reach:.1f} px from the image's edge) is too small to "
            f"reach {max_frequency_cy_px} cycles/pixel with {cycles} cycles (needs a radius above {inner + 4:.1f} px)"
        )
    y, x = np.mgrid[0:rows, 0:cols]
    dx, dy = x - cx, y - cy
    radius = np.hypot(dx, dy)
    phi = np.arctan2(dy, dx)
    keep = (radius >= inner - 0.5) & (radius <= outer + 0.5)
    if direction != "all":
        # frequency along x: the tangent is along x where the position angle is near +-90 degrees
        axis = np.pi / 2 if direction == "x" else 0.0
        off = np.abs(np.angle(np.exp(1j * (phi - axis))))
        off = np.minimum(off, np.pi - off)
        keep &= off <= np.radians(SEGMENT_HALF_WIDTH_DEG)
    radius, phi, values = radius[keep], phi[keep], data[keep]
    rings = np.arange(np.ceil(inner), np.floor(outer) + 1.0)
    which = np.rint(radius).astype(np.int64)
    by_ring = np.argsort(which, kind="stable")  # each ring's pixels one slice, in the image's row-major order
    starts = np.searchsorted(which[by_ring], rings.astype(np.int64), side="left")
    ends = np.searchsorted(which[by_ring], rings.astype(np.int64), side="right")
    frequency, mtf, used = [], [], []
    for rho, start, end in zip(rings, starts, ends):
        if end - start < 12:
            continue
        here = by_ring[start:end]
        p = phi[here] * cycles
        rho_mean = float(radius[here].mean())
        # the fundamental and the odd harmonics below Nyquist (a ring's pixels are not evenly spaced in angle,
        # so an unfitted harmonic would leak into the fundamental)
        harmonics = [k for k in range(1, 12, 2) if k * cycles / (2 * np.pi * rho_mean) < 0.5] or [1]
        columns = [np.ones(p.size)] + [g(k * p) for k in harmonics for g in (np.cos, np.sin)]
        (c0, a, b, *_), *_ = np.linalg.lstsq(np.stack(columns, axis=1), values[here], rcond=None)
        if c0 <= 0:
            raise ValueError(f"the ring at {rho:.0f} px has a mean of {c0:.3g}: give a linear image above black")
        frequency.append(cycles / (2 * np.pi * rho_mean))
        mtf.append(np.hypot(a, b) / (4 / np.pi * c0 * modulation))
        used.append(rho_mean)
    order = np.argsort(frequency)
    return StarMtf(np.asarray(frequency)[order], np.asarray(mtf)[order], np.asarray(used)[order])
