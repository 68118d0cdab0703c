"""A 24-patch colour chart on a slanted-edge background, rendered on the lens's angular grid.

Patches ``srgb``: the sRGB values of the X-Rite ColorChecker Classic (BabelColor averages, D. Pascale, "RGB
coordinates of the Macbeth ColorChecker", 2006) linearised with the sRGB transfer function (IEC 61966-2-1) and
read as reflectance in the (R, G, B) = (650, 550, 450) nm bands: an approximation good for framing and noise.
Patches ``spectral``: N. Ohta's measured reflectance spectra of the chart (``data/colorchecker_ohta.csv``),
interpolated at the band centres: what colour accuracy is measured against.

The light: band radiance of white = ``white_radiance_w_m2_sr`` x (band width / 100 nm) x S(lambda) / mean S,
with S the illuminant's relative spectral power (``data/illuminants.csv``; CIE S 014-2) and the mean taken
over 400-700 nm. The frame carries the white's band radiances (``FrameMeta.white_radiance``) so a sensor
can report the as-shot neutral, and the illuminant's name (``FrameMeta.illuminant``).
"""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources

import numpy as np

import camrig

from . import ChartSpec

SRGB_8BIT = np.array(
    [
        [115, 82, 68], [194, 150, 130], [98, 122, 157], [87, 108, 67], [133, 128, 177], [103, 189, 170],
        [214, 126, 44], [80, 91, 166], [193, 90, 99], [94, 60, 108], [157, 188, 64], [224, 163, 46],
        [56, 61, 150], [70, 148, 73], [175, 54, 60], [231, 199, 31], [187, 86, 149], [8, 133, 161],
        [243, 243, 242], [200, 200, 200], [160, 160, 160], [122, 122, 121], [85, 85, 85], [52, 52, 52],
    ],
    dtype=np.float64,
)  # fmt: skip


def srgb_to_linear(v: np.ndarray) -> np.ndarray:
    """sRGB electro-optical transfer function, IEC 61966-2-1:1999."""
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


PATCH_REFLECTANCE_BGR = srgb_to_linear(SRGB_8BIT / 255.0)[:, ::-1]
"""(24, 3) reflectance per patch in band order (B, G, R)."""


@lru_cache(maxsize=None)
def _table(name: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(column names, wavelengths, values) of a data file: one row per wavelength or per patch."""
    lines = [ln for ln in resources.files("camrig_scenes").joinpath("data", name).read_text().splitlines() if ln and ln[0] != "#"]
    header = lines[0].split(",")
    rows = [ln.split(",") for ln in lines[1:]]
    if name.startswith("colorchecker"):  # patches x wavelengths
        return [r[0] for r in rows], np.array(header[1:], float), np.array([r[1:] for r in rows], float)
    values = np.array(rows, float)
    return header[1:], values[:, 0], values[:, 1:]


def spectral_reflectance(bands_nm: tuple[float, ...]) -> np.ndarray:
    """(24, bands) measured reflectance of the chart's patches at the band centres (linear interpolation)."""
    _, wl, values = _table("colorchecker_ohta.csv")
    return np.stack([np.interp(bands_nm, wl, row) for row in values])


def illuminant_spd(name: str, bands_nm: tuple[float, ...]) -> np.ndarray:
    """Relative spectral power of illuminant ``name`` at the band centres, normalised to a mean of 1 over
    400-700 nm (E: 1 everywhere)."""
    if name == "E":
        return np.ones(len(bands_nm))
    names, wl, values = _table("illuminants.csv")
    spd = values[:, names.index(name)]
    visible = (wl >= 400) & (wl <= 700)
    return np.interp(bands_nm, wl, spd) / spd[visible].mean()


def band_widths(bands_nm: tuple[float, ...]) -> np.ndarray:
    """Width of each band by the midpoint rule (the outer bands as wide as their neighbours; a single band
    counts as 100 nm), nm."""
    b = np.asarray(bands_nm, dtype=np.float64)
    if len(b) == 1:
        return np.array([100.0])
    edges = np.concatenate([[b[0] - (b[1] - b[0]) / 2], (b[1:] + b[:-1]) / 2, [b[-1] + (b[-1] - b[-2]) / 2]])
    return np.diff(edges)


BACKGROUND_LIGHT, BACKGROUND_DARK, BORDER = 0.8, 0.05, 0.03


DOT_SPACING, DOT_RADIUS, DOT_COLUMNS, DOT_ROWS = 0.25, 0.07, 4, 2
"""The 'dots' layout: dots at (i, j) x 0.25 chart half-widths for |i| <= 4, |j| <= 2, radius 0.07."""


def dot_centres() -> list[tuple[float, float]]:
    """Centres of the 'dots' layout in chart units (u, v), u across [-1, 1] (half the chart's width)."""
    return [(i * DOT_SPACING, j * DOT_SPACING) for j in range(-DOT_ROWS, DOT_ROWS + 1) for i in range(-DOT_COLUMNS, DOT_COLUMNS + 1)]


def dot_mask(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(rows, cols) True inside a dot, for column coordinates ``u`` and row coordinates ``v``."""
    iu, iv = np.rint(u / DOT_SPACING), np.rint(v / DOT_SPACING)
    du, dv = u - iu * DOT_SPACING, v - iv * DOT_SPACING
    inside_u = np.where(np.abs(iu) <= DOT_COLUMNS, du * du, np.inf)
    inside_v = np.where(np.abs(iv) <= DOT_ROWS, dv * dv, np.inf)
    return (inside_v[:, None] + inside_u[None, :]) < DOT_RADIUS**2


class Chart(camrig.Scene[ChartSpec]):
    """Radiance of a diffuse chart: L = rho * L_white per band (Lambertian, uniform light)."""

    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        if upstream is not None:
            raise camrig.CapsError("a scene is the first part of the chain")
        view = geometry.view
        return camrig.Caps(
            format=camrig.Format.RADIANCE,
            dtype="float32",
            shape=(view.height, view.width, len(self.spec.bands_nm)),
            bands_nm=self.spec.bands_nm,
        )

    def white_band_radiance(self) -> np.ndarray:
        """Band radiance of a perfect white diffuser, W/(m^2 sr) per band (module docstring)."""
        s = self.spec
        return s.white_radiance_w_m2_sr * band_widths(s.bands_nm) / 100.0 * illuminant_spd(s.illuminant, s.bands_nm)

    def reflectance(self, view: camrig.AngularGrid) -> np.ndarray:
        """(rows, cols, bands) reflectance seen along each direction of ``view``.

        Each sample gets a class (patch 0-23, chart border, light or dark background) in a uint8 image, and
        one table lookup turns classes into reflectances: one pass over the full-size output.
        """
        tx, ty = view.tangents()
        half = math.tan(math.radians(self.spec.width_deg) / 2)
        u, v = tx / half, ty / half  # the chart spans u in [-1, 1], v in [-2/3, 2/3]
        border, light, dark = 24, 25, 26
        n = len(self.spec.bands_nm)
        if self.spec.layout != "chart":
            patches = np.zeros((24, n))
        elif self.spec.patches == "srgb":
            patches = PATCH_REFLECTANCE_BGR
        else:
            patches = spectral_reflectance(self.spec.bands_nm)
        table = np.vstack([patches, [[BORDER] * n, [BACKGROUND_LIGHT] * n, [BACKGROUND_DARK] * n]])
        # Background: a slanted edge through the centre, light on the left.
        t = math.tan(math.radians(self.spec.edge_angle_deg))
        classes = np.where(u[None, :] < v[:, None] * t, np.uint8(light), np.uint8(dark))
        if self.spec.layout == "flat":
            classes[...] = light
        if self.spec.layout == "dots":
            classes[...] = dark
            classes[dot_mask(u, v)] = light
        if self.spec.layout != "chart":
            return np.take(table.astype(np.float32), classes, axis=0)
        # Chart: 6 x 4 patches separated by borders.
        gu, gv = (u + 1) / 2 * 6, (v + 2 / 3) / (4 / 3) * 4
        cols, rows = np.floor(gu).astype(np.int64), np.floor(gv).astype(np.int64)
        r0, r1 = np.searchsorted(v, -2 / 3), np.searchsorted(v, 2 / 3, side="right")
        c0, c1 = np.searchsorted(u, -1), np.searchsorted(u, 1, side="right")
        if r1 > r0 and c1 > c0:
            classes[r0:r1, c0:c1] = border
            ci = np.nonzero((np.abs(gu - cols - 0.5) < 0.42)[c0:c1])[0] + c0
            ri = np.nonzero((np.abs(gv - rows - 0.5) < 0.42)[r0:r1])[0] + r0
            classes[np.ix_(ri, ci)] = (rows[ri][:, None] * 6 + cols[ci][None, :]).astype(np.uint8)
        return np.take(table.astype(np.float32), classes, axis=0)

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        rho = self.reflectance(ctx.geometry.view)
        white = self.white_band_radiance()
        rho *= white.astype(np.float32)
        meta = camrig.FrameMeta(
            format=camrig.Format.RADIANCE,
            units="W/(m^2 sr)",
            bands_nm=self.spec.bands_nm,
            pitch=ctx.geometry.view.step,
            white_radiance=tuple(float(w) for w in white),
            illuminant=self.spec.illuminant,
        )
        return camrig.Frame(rho, meta, planes=self.depth(ctx.geometry.view))

    def depth(self, view: camrig.AngularGrid) -> dict[str, np.ndarray]:
        """{"depth_m": distance along the axis to the chart plane for each direction} for a chart at a finite
        distance: a plane z = d + x tan(t) meets the ray (x, z) = z (tan_x, 1) at z = d / (1 - tan_x tan t);
        rays that never meet it see infinity. Empty for a chart at infinity."""
        d = self.spec.distance_m
        if math.isinf(d):
            return {}
        tx, _ = view.tangents()
        denominator = 1 - tx * math.tan(math.radians(self.spec.tilt_deg))
        row = np.where(denominator > 0, d / np.maximum(denominator, 1e-12), np.inf).astype(np.float32)
        return {"depth_m": np.broadcast_to(row, (view.height, view.width))}
