"""Colorimetric characterisation of a sensor from its spectral response: the colour matrix a raw file carries.

A sensor's response to band radiances L (W/(m^2 sr) per band) is ``camera = R @ L`` with R[c, i] proportional
to QE_c(lambda_i) * lambda_i (photons per joule); the CIE 1931 tristimulus values of the same light are
``XYZ = X @ L`` with X[:, i] the colour-matching functions at lambda_i (CIE 015:2018). No 3x3 matrix maps one
onto the other exactly unless the camera meets the Luther condition, so we take the least-squares matrix over
the lights a camera sees: surfaces with smooth reflectances under CIE D65, modelled as a first-order Markov
process (correlation exp(-|dlambda| / 200 nm) between bands; W. K. Pratt and C. E. Mancill, "Spectral estimation
techniques for the spectral calibration of a color image scanner", Appl. Opt. 15(1), 73-75, 1976). With
K = diag(D65) S diag(D65) the covariance of those lights, the matrix is the Wiener estimator

    xyz_from_camera = X K R^T (R K R^T)^-1

which is also what ISO 17321-1 fits when the training set is that ensemble. The DNG ColorMatrix1 (XYZ to camera
under the calibration illuminant) is its inverse, scaled so that the D65 white (Y = 1) reaches 1 in its largest
camera channel (Adobe DNG Specification 1.4, chapter 6).

What a band radiance means depends on how many bands a scene has (:func:`observer`):

- **three bands are an RGB scene**: in increasing wavelength they are the B, G and R primaries of linear sRGB
  (IEC 61966-2-1), so band radiances (L_B, L_G, L_R) have the colour XYZ = XYZ_FROM_SRGB @ (L_R, L_G, L_B). The
  chart's ``srgb`` patches are its published sRGB values linearised, and equal radiance in the three bands
  (illuminant E) is the sRGB white, D65. A 3 x 3 response R (camera = R @ L) is then exactly invertible, so
  ``xyz_from_camera = observer @ inv(R)`` for every light and prior: a 3-band rig is colorimetrically exact.
- **any other number of bands is a spectrum** sampled at the band centres, seen by the CIE 1931 observer; the
  Wiener matrix above is a least-squares estimate, exact only if the camera meets the Luther condition.
"""

from __future__ import annotations

import math
from functools import cache
from importlib import resources

import numpy as np

MARKOV_LENGTH_NM = 200.0
"""Correlation length of the reflectance prior: exp(-|dlambda| / 200 nm) (about 0.95 between bands 10 nm apart)."""
D65_WHITE_XYZ = np.array([0.95047, 1.0, 1.08883])
"""CIE XYZ of the D65 white point, Y = 1 (CIE 015:2018, 2-degree observer)."""
XYZ_FROM_SRGB = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
"""CIE XYZ from linear sRGB (R, G, B), IEC 61966-2-1:1999 clause 5.2 (D65 white: the rows sum to its XYZ)."""
RGB_BANDS = 3
"""A scene of this many bands is an RGB scene: its bands are linear sRGB's B, G and R (module docstring)."""
MAX_CONDITION = 1e4
"""Largest condition number of the camera's response (over the reflectance prior) that camrig colour-corrects:
beyond it the 3 x 3 correction amplifies noise and rounding by that factor between colour directions, and a
singular response (two channels seeing the same thing) has no correction at all."""


@cache
def _table(name: str) -> np.ndarray:
    text = resources.files("camrig_sensors").joinpath("data", name).read_text()
    return np.array(
        [
            [float(v) for v in line.split(",")]
            for line in text.splitlines()
            if line and not line.startswith(("#", "wavelength"))
        ]
    )


def _at(table: np.ndarray, bands_nm: tuple[float, ...], what: str) -> np.ndarray:
    """Columns 1.. of ``table`` (first column: wavelength) interpolated linearly at ``bands_nm``."""
    wl = table[:, 0]
    bands = np.asarray(bands_nm, dtype=np.float64)
    if bands.min() < wl[0] or bands.max() > wl[-1]:
        raise ValueError(f"{what} is tabulated from {wl[0]:g} to {wl[-1]:g} nm; bands {bands_nm} reach outside")
    return np.stack([np.interp(bands, wl, table[:, c]) for c in range(1, table.shape[1])], axis=1)


def cmfs(bands_nm: tuple[float, ...]) -> np.ndarray:
    """CIE 1931 2-degree colour-matching functions at the band centres, (bands, 3) for x-bar, y-bar, z-bar."""
    return _at(_table("cie1931_d65.csv"), bands_nm, "the CIE 1931 observer")[:, :3]


def observer(bands_nm: tuple[float, ...]) -> np.ndarray:
    """(3, bands) matrix from band radiances to CIE XYZ: how camrig reads a scene's bands as colour (module
    docstring). Three bands: linear sRGB primaries in band order B, G, R (IEC 61966-2-1), ``XYZ_FROM_SRGB``
    with its columns reversed. Otherwise: the CIE 1931 colour-matching functions at the band centres (a band's
    radiance is already integrated over its width)."""
    if len(bands_nm) == RGB_BANDS:
        return XYZ_FROM_SRGB[:, ::-1].copy()
    return cmfs(bands_nm).T


def is_rgb(bands_nm: tuple[float, ...]) -> bool:
    """True for an RGB scene (three bands), whose colours are exact for any invertible 3-band sensor."""
    return len(bands_nm) == RGB_BANDS


def d65(bands_nm: tuple[float, ...]) -> np.ndarray:
    """Relative spectral power of CIE illuminant D65 at the band centres (100 at 560 nm)."""
    return _at(_table("cie1931_d65.csv"), bands_nm, "CIE D65")[:, 3]


NAMED_QE = {"nikon_d5100": "nikon_d5100_npl.csv"}
"""Measured camera spectral sensitivities shipped with the plugin (see each file's header for its source)."""


def named_qe(name: str, bands_nm: tuple[float, ...], peak_qe: float) -> np.ndarray:
    """A measured sensitivity (rows R, G, B) at the band centres, scaled so its largest value is ``peak_qe``
    and read as quantum efficiency (e- per photon)."""
    if name not in NAMED_QE:
        raise ValueError(f"unknown QE curve {name!r}; known: {', '.join(sorted(NAMED_QE))}")
    table = _at(_table(NAMED_QE[name]), bands_nm, f"QE curve {name!r}").T
    return table / table.max() * peak_qe


def band_widths(bands_nm: tuple[float, ...]) -> np.ndarray:
    """Width of each band by the midpoint rule (the outer bands as wide as their neighbours), nm."""
    b = np.asarray(bands_nm, dtype=np.float64)
    if len(b) == 1:
        return np.array([100.0])
    edges = np.concatenate([[b[0] - (b[1] - b[0]) / 2], (b[1:] + b[:-1]) / 2, [b[-1] + (b[-1] - b[-2]) / 2]])
    return np.diff(edges)


def response(qe: np.ndarray, bands_nm: tuple[float, ...]) -> np.ndarray:
    """Relative camera response to unit band radiance, (3, bands): QE x photons per joule (proportional to
    lambda); the common factors (pupil, pixel area, exposure, gain) cancel in everything below."""
    return np.asarray(qe, dtype=np.float64) * np.asarray(bands_nm, dtype=np.float64)[None, :] / 550.0


def _prior(bands_nm: tuple[float, ...], white_band_radiance: np.ndarray | None) -> np.ndarray:
    """K = diag(light) S diag(light), S_ij = exp(-|lambda_i - lambda_j| / 200 nm): the covariance of smooth
    surfaces under the light (D65 if None) in band radiance (Pratt and Mancill 1976)."""
    light = (
        d65(bands_nm) * band_widths(bands_nm)
        if white_band_radiance is None
        else np.asarray(white_band_radiance, np.float64)
    )
    b = np.asarray(bands_nm, dtype=np.float64)
    return light[:, None] * np.exp(-np.abs(b[:, None] - b[None, :]) / MARKOV_LENGTH_NM) * light[None, :]  # type: ignore[no-any-return]


def condition(qe: np.ndarray, bands_nm: tuple[float, ...], white_band_radiance: np.ndarray | None = None) -> float:
    """Condition number of the camera's response over the lights it is fitted for: sqrt(cond(R K R^T)), the
    ratio of the largest to the smallest singular value of R K^(1/2) (R from :func:`response`, each row scaled
    to unit norm so a dim channel is not mistaken for a dependent one). For three bands, cond(R) weighted by
    the light. Infinite for a singular response."""
    r = response(qe, bands_nm)
    norms = np.linalg.norm(r, axis=1)
    if np.any(norms == 0):
        return math.inf
    r = r / norms[:, None]
    rkr = r @ _prior(bands_nm, white_band_radiance) @ r.T
    eig = np.linalg.eigvalsh((rkr + rkr.T) / 2)
    return math.inf if eig[0] <= 0 else math.sqrt(float(eig[-1] / eig[0]))


def check_correctable(
    qe: np.ndarray, bands_nm: tuple[float, ...], white_band_radiance: np.ndarray | None = None
) -> None:
    """A ValueError, with the condition number, for a response no 3 x 3 colour correction can invert."""
    c = condition(qe, bands_nm, white_band_radiance)
    if not c <= MAX_CONDITION:
        raise ValueError(
            f"the sensor's colour channels are {'not' if math.isinf(c) else 'nearly not'} independent over its bands "
            f"(condition number of its response {c:.3g}, limit {MAX_CONDITION:g}): no colour correction can separate "
            f"its colours; make the QE rows (R, G, B) differ over bands_nm"
        )


def xyz_from_camera(
    qe: np.ndarray, bands_nm: tuple[float, ...], white_band_radiance: np.ndarray | None = None
) -> np.ndarray:
    """The 3x3 Wiener colour correction from camera response to CIE XYZ (as :func:`observer` reads the bands)
    for smooth surfaces under D65, or under the light whose white has ``white_band_radiance`` (module
    docstring); camera values in the units of :func:`response`, XYZ relative to the same band radiances. For an
    RGB scene (three bands) it is ``observer @ inv(R)``, exact for any light. A ValueError, naming the condition
    number, for a response that cannot be inverted (:func:`check_correctable`)."""
    check_correctable(qe, bands_nm, white_band_radiance)
    r = response(qe, bands_nm)
    x = observer(bands_nm)
    if is_rgb(bands_nm):
        return x @ np.linalg.inv(r)  # type: ignore[no-any-return]
    k = _prior(bands_nm, white_band_radiance)
    return x @ k @ r.T @ np.linalg.inv(r @ k @ r.T)  # type: ignore[no-any-return]


def camera_from_xyz(qe: np.ndarray, bands_nm: tuple[float, ...]) -> np.ndarray:
    """DNG ColorMatrix1 for CalibrationIlluminant1 = D65: the inverse of :func:`xyz_from_camera`, scaled so the
    D65 white (Y = 1) maps to camera values whose largest is 1."""
    m = np.linalg.inv(xyz_from_camera(qe, bands_nm))
    return m / (m @ D65_WHITE_XYZ).max()


BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])
"""The Bradford cone-response matrix (K. M. Lam, 1985; as in ICC.1:2010 Annex E)."""


def bradford(source_white_xyz: np.ndarray, target_white_xyz: np.ndarray = D65_WHITE_XYZ) -> np.ndarray:
    """Chromatic adaptation from one white to another: von Kries scaling in Bradford cone space."""
    src, dst = BRADFORD @ np.asarray(source_white_xyz, np.float64), BRADFORD @ np.asarray(target_white_xyz, np.float64)
    return np.linalg.inv(BRADFORD) @ np.diag(dst / src) @ BRADFORD


def xyz_d65_from_camera(qe: np.ndarray, bands_nm: tuple[float, ...], white_band_radiance: np.ndarray) -> np.ndarray:
    """Camera RGB (as shot) to CIE XYZ seen as a D65-adapted observer would: the Wiener matrix fitted under the
    scene's own light, then Bradford from that light's white (Y = 1) to D65's. What a colour correction needs
    when the scene is not lit by D65: white balance alone plus the D65 matrix is exact only for D65."""
    m = xyz_from_camera(qe, bands_nm, white_band_radiance)
    white = observer(bands_nm) @ np.asarray(white_band_radiance, np.float64)
    white = white / white[1]
    camera_white = response(qe, bands_nm) @ np.asarray(white_band_radiance, np.float64)
    m = m / (m @ camera_white)[1]  # the scene's white reaches Y = 1
    return bradford(white) @ m


def neutral(qe: np.ndarray, bands_nm: tuple[float, ...], white_band_radiance: np.ndarray) -> np.ndarray:
    """Camera response to a perfect white under the scene's light (band radiances), scaled to a largest
    channel of 1: the DNG AsShotNeutral."""
    n = response(qe, bands_nm) @ np.asarray(white_band_radiance, dtype=np.float64)
    if np.any(n <= 0):
        raise ValueError(f"a white surface gives no signal in some colour channel ({n}); check the QE table and bands")
    return n / n.max()
