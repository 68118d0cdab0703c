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

import functools
import math
from importlib import resources

import numpy as np
from numba import njit

import camrig
from camrig import in_blocks

from . import ChartSpec
from .caps import radiance_caps

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


@functools.cache
def _table(name: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(column names, wavelengths, values) of a data file: one row per wavelength or per patch."""
    lines = [
        ln
        for ln in resources.files("camrig_scenes").joinpath("data", name).read_text().splitlines()
        if ln and ln[0] != "#"
    ]
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
    return [
        (i * DOT_SPACING, j * DOT_SPACING)
        for j in range(-DOT_ROWS, DOT_ROWS + 1)
        for i in range(-DOT_COLUMNS, DOT_COLUMNS + 1)
    ]


def dot_mask(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(rows, cols) True inside a dot, for column coordinates ``u`` and row coordinates ``v``."""
    iu, iv = np.rint(u / DOT_SPACING), np.rint(v / DOT_SPACING)
    du, dv = u - iu * DOT_SPACING, v - iv * DOT_SPACING
    inside_u = np.where(np.abs(iu) <= DOT_COLUMNS, du * du, np.inf)
    inside_v = np.where(np.abs(iv) <= DOT_ROWS, dv * dv, np.inf)
    return (inside_v[:, None] + inside_u[None, :]) < DOT_RADIUS**2


LAYOUTS = ("chart", "edge", "flat", "dots")
CLASS_BORDER, CLASS_LIGHT, CLASS_DARK = 24, 25, 26


@njit(nogil=True, cache=True)
def _fill(
    out: np.ndarray,
    table: np.ndarray,
    mode: int,
    u: np.ndarray,
    v: np.ndarray,
    t: float,
    col_in: np.ndarray,
    row_in: np.ndarray,
    col_patch: np.ndarray,
    row_patch: np.ndarray,
    du2: np.ndarray,
    dv2: np.ndarray,
    r2: float,
) -> None:
    """out[r, c] = table[class of (r, c)]; modes index ``LAYOUTS`` (see :meth:`Chart.reflectance`)."""
    rows, cols, bands = out.shape
    for r in range(rows):
        for c in range(cols):
            if mode == 2:  # flat
                k = CLASS_LIGHT
            elif mode == 3:  # dots: light dots on the dark ground
                k = CLASS_LIGHT if dv2[r] + du2[c] < r2 else CLASS_DARK
            else:  # the slanted edge through the centre, light on the left
                k = CLASS_LIGHT if u[c] < v[r] * t else CLASS_DARK
                if mode == 0 and row_in[r] and col_in[c]:
                    k = CLASS_BORDER
                    if row_patch[r] >= 0 and col_patch[c] >= 0:
                        k = row_patch[r] * 6 + col_patch[c]
            for b in range(bands):
                out[r, c, b] = table[k, b]


@functools.cache
def load_kernel() -> None:
    """Compile (or load from numba's cache) the fill kernel when a rig is assembled, not on the first frame."""
    one, flag, index = np.zeros(1), np.zeros(1, np.bool_), np.zeros(1, np.int64)
    _fill(
        np.empty((1, 1, 1), np.float32),
        np.zeros((27, 1), np.float32),
        0,
        one,
        one,
        0.0,
        flag,
        flag,
        index,
        index,
        one,
        one,
        0.0,
    )


class Chart(camrig.Scene[ChartSpec]):
    """Radiance of a diffuse chart: L = rho * L_white per band (Lambertian, uniform light)."""

    def negotiate(self, upstream: camrig.Caps | None, geometry: camrig.Geometry) -> camrig.Caps:
        load_kernel()
        return radiance_caps(upstream, geometry, self.spec.bands_nm)

    def white_band_radiance(self) -> np.ndarray:
        """Band radiance of a perfect white diffuser, W/(m^2 sr) per band (module docstring)."""
        s = self.spec
        return s.white_radiance_w_m2_sr * band_widths(s.bands_nm) / 100.0 * illuminant_spd(s.illuminant, s.bands_nm)

    def reflectance(self, view: camrig.AngularGrid, scale: np.ndarray | None = None, threads: int = 1) -> np.ndarray:
        """(rows, cols, bands) reflectance seen along each direction of ``view``, times ``scale`` per band.

        Each sample's class (patch 0-23, chart border, light or dark background) follows from per-row and
        per-column tables (the layout is a product of row and column tests, plus the slanted edge), and one
        table lookup turns classes into values: one compiled pass writes the output, on ``threads`` row blocks.
        """
        tx, ty = view.tangents()
        half = math.tan(math.radians(self.spec.width_deg) / 2)
        u, v = tx / half, ty / half  # the chart spans u in [-1, 1], v in [-2/3, 2/3]
        n = len(self.spec.bands_nm)
        if self.spec.layout != "chart":
            patches = np.zeros((24, n))
        elif self.spec.patches == "srgb":
            patches = PATCH_REFLECTANCE_BGR
        else:
            patches = spectral_reflectance(self.spec.bands_nm)
        table = np.vstack([patches, [[BORDER] * n, [BACKGROUND_LIGHT] * n, [BACKGROUND_DARK] * n]])
        table = (table * (1.0 if scale is None else np.asarray(scale, np.float64))).astype(np.float32)
        # Chart: 6 x 4 patches separated by borders; a row or column index of -1 is outside the patches.
        gu, gv = (u + 1) / 2 * 6, (v + 2 / 3) / (4 / 3) * 4
        cols, rows = np.floor(gu).astype(np.int64), np.floor(gv).astype(np.int64)
        col_in, row_in = (u >= -1) & (u <= 1), (v >= -2 / 3) & (v <= 2 / 3)
        col_patch = np.where(col_in & (np.abs(gu - cols - 0.5) < 0.42), cols, -1)
        row_patch = np.where(row_in & (np.abs(gv - rows - 0.5) < 0.42), rows, -1)
        # Dots: the nearest dot centre's squared distance along each axis (inf outside the dots' grid).
        iu, iv = np.rint(u / DOT_SPACING), np.rint(v / DOT_SPACING)
        du2 = np.where(np.abs(iu) <= DOT_COLUMNS, (u - iu * DOT_SPACING) ** 2, np.inf)
        dv2 = np.where(np.abs(iv) <= DOT_ROWS, (v - iv * DOT_SPACING) ** 2, np.inf)
        mode = LAYOUTS.index(self.spec.layout)
        t = math.tan(math.radians(self.spec.edge_angle_deg))
        out = np.empty((view.height, view.width, n), np.float32)
        in_blocks(
            view.height,
            threads,
            lambda a, b: _fill(
                out[a:b],
                table,
                mode,
                u,
                v[a:b],
                t,
                col_in,
                row_in[a:b],
                col_patch,
                row_patch[a:b],
                du2,
                dv2[a:b],
                DOT_RADIUS**2,
            ),
        )
        return out

    def process(self, frame: camrig.Frame | None, ctx: camrig.CaptureContext, role: str) -> camrig.Frame:
        white = self.white_band_radiance()
        rho = self.reflectance(ctx.geometry.view, white, ctx.threads)
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
