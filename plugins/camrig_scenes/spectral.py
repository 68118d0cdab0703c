"""Light for image scenes: RGB turned into band radiance, and the absolute scale (docs/scenes.md).

Spectral upsampling (L. Mallett and C. Yuksel, "Spectral Primary Decomposition for Rendering with sRGB
Reflectance", Eurographics Symposium on Rendering 2019): a linear sRGB colour (r, g, b) in [0, 1] is the
reflectance ``rho(lambda) = r B_r(lambda) + g B_g(lambda) + b B_b(lambda)`` with three basis reflectances that sum
to 1 (white stays a perfect white) and each lie in [0, 1] (every sRGB colour is a physical reflectance). Under
CIE D65 the reflectance has exactly the colour (r, g, b); under another light it looks as that surface would.

Band radiance: the scene's light is ``k S(lambda)`` (``S`` the illuminant's relative spectral power), so a pixel
radiates ``L_b = sum_c rgb_c M[c, b]`` in band ``b`` with

    M[c, b] = k * integral over band b of B_c(lambda) S(lambda) dlambda

(bands bounded by the midpoints between centres, as the chart's; integrated on a 1 nm grid from the 5 nm
tables). The scale ``k`` makes a perfect white's luminance ``L_v = K_m k integral S(lambda) ybar(lambda)
dlambda`` what the spec asks (``K_m = 683 lm/W``, CIE 015:2018); the luminance of one unit of each channel is
``Y_c = K_m k integral B_c S ybar dlambda``.

The tables are built once per (bands, illuminant, colour space) and cached: a photo costs one pass.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .chart import _table, illuminant_spd

K_M = 683.002
"""Maximum luminous efficacy of photopic vision, lm/W (CIE 015:2018; 683 lm/W at 540 THz, SI)."""

ISO_2720_K = 12.5
"""Reflected-light meter calibration constant K, cd s / m^2 (ISO 2720:1974): metered EV at ISO 100 means a mean
luminance of K 2^EV / 100 cd/m^2."""

SRGB_FROM_DISPLAY_P3 = np.array(
    [
        [1.2249401763, -0.2249401763, 0.0],
        [-0.0420569547, 1.0420569547, 0.0],
        [-0.0196375546, -0.0786360456, 1.0982736002],
    ]
)
"""Linear Display P3 (DCI-P3 primaries, D65 white; Apple, SMPTE EG 432-1) to linear sRGB (ITU-R BT.709
primaries), through CIE XYZ: both share the D65 white, so no adaptation."""

WAVELENGTH_RANGE_NM = (380.0, 780.0)
"""Where the basis reflectances are tabulated; bands must lie inside."""


def srgb_decode(v: np.ndarray) -> np.ndarray:
    """sRGB electro-optical transfer function (IEC 61966-2-1:1999), also Display P3's."""
    v = np.asarray(v, dtype=np.float64)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


@lru_cache(maxsize=4)
def decode_table(bits: int, transfer: str) -> np.ndarray:
    """float32 table of the linear value of each code of a ``bits``-bit channel (256 or 65536 entries)."""
    codes = np.arange(2**bits, dtype=np.float64) / (2**bits - 1)
    return (srgb_decode(codes) if transfer == "srgb" else codes).astype(np.float32)


def band_edges(bands_nm: tuple[float, ...]) -> np.ndarray:
    """Edges of the bands by the midpoint rule (the outer bands as wide as their neighbours; a single band is
    100 nm wide)."""
    b = np.asarray(bands_nm, dtype=np.float64)
    if len(b) == 1:
        return np.array([b[0] - 50.0, b[0] + 50.0])
    return np.concatenate([[b[0] - (b[1] - b[0]) / 2], (b[1:] + b[:-1]) / 2, [b[-1] + (b[-1] - b[-2]) / 2]])


def _fine() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(1 nm wavelengths 380..780, basis (3, n), ybar (n,)) interpolated linearly from the 5 nm table."""
    _, wl, values = _table("mallett2019_srgb.csv")
    fine = np.arange(WAVELENGTH_RANGE_NM[0], WAVELENGTH_RANGE_NM[1] + 0.5, 1.0)
    columns = np.stack([np.interp(fine, wl, values[:, i]) for i in range(values.shape[1])])
    return fine, columns[:3], columns[3]


def _spd(illuminant: str, wavelengths: np.ndarray) -> np.ndarray:
    return illuminant_spd(illuminant, tuple(float(w) for w in wavelengths))


def band_integral(values: np.ndarray, wavelengths: np.ndarray, bands_nm: tuple[float, ...]) -> np.ndarray:
    """(..., bands): the integral of ``values`` (..., n) sampled at the 1 nm ``wavelengths`` over each band,
    trapezoidal on the 1 nm grid, the band's edges interpolated (zero outside the tabulated range)."""
    edges = np.clip(band_edges(bands_nm), wavelengths[0], wavelengths[-1])
    values = np.atleast_2d(values)
    out = np.zeros((values.shape[0], len(bands_nm)))
    for b in range(len(bands_nm)):
        lo, hi = edges[b], edges[b + 1]
        if hi <= lo:
            continue
        inside = (wavelengths > lo) & (wavelengths < hi)
        x = np.concatenate([[lo], wavelengths[inside], [hi]])
        for i, row in enumerate(values):
            out[i, b] = np.trapezoid(np.interp(x, wavelengths, row), x)
    return out


@lru_cache(maxsize=32)
def rgb_tables(bands_nm: tuple[float, ...], illuminant: str, colour_space: str) -> tuple[np.ndarray, np.ndarray]:
    """(M, Y): M (3, bands) the band radiance of one unit of each linear RGB channel, Y (3,) its luminance,
    both for a light whose perfect white has a luminance of 1 cd/m^2 (module docstring). With three bands the
    scene is an RGB scene, as camrig reads any 3-band scene (linear sRGB primaries in band order B, G, R,
    ``camrig_sensors.colorimetry.observer``): each channel feeds its own band, scaled by the white's band
    radiance under the light (as the chart's reflectances are), so colour is exact on any invertible 3-band
    sensor. For Display P3 the channels are first taken to linear sRGB (``SRGB_FROM_DISPLAY_P3``)."""
    wl, basis, ybar = _fine()
    s = _spd(illuminant, wl)
    k = 1.0 / (K_M * np.trapezoid(s * ybar, wl))  # W/(m^2 sr nm) per unit S: white at 1 cd/m^2
    m = band_integral(basis * s * k, wl, bands_nm)
    y = K_M * np.trapezoid(basis * s * k * ybar, wl, axis=1)
    if len(bands_nm) == 3:  # an RGB scene (docs/isp.md): the bands hold linear sRGB (B, G, R) times the light's white
        white = m.sum(axis=0)
        m = np.zeros((3, 3))
        for channel in range(3):  # R, G, B -> bands 2, 1, 0
            m[channel, 2 - channel] = white[2 - channel]
    if colour_space == "display_p3":  # rgb_srgb = P rgb_p3: per P3 channel j, sum_i P[i, j] (row of sRGB i)
        m, y = SRGB_FROM_DISPLAY_P3.T @ m, SRGB_FROM_DISPLAY_P3.T @ y
    return m, y


def white_band_radiance(bands_nm: tuple[float, ...], illuminant: str, luminance_cd_m2: float) -> np.ndarray:
    """Band radiance of a perfect white of the given luminance under ``illuminant``, W/(m^2 sr) per band."""
    m, _ = rgb_tables(bands_nm, illuminant, "srgb")
    return m.sum(axis=0) * luminance_cd_m2


def ev100_luminance(ev100: float) -> float:
    """Mean scene luminance a reflected-light meter reads as ``ev100`` at ISO 100: K 2^EV / 100 (ISO 2720)."""
    return ISO_2720_K * 2.0**ev100 / 100.0
