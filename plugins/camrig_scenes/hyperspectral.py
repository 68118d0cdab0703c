"""A spectral cube with its own bands: ``scenes.hyperspectral`` (docs/scenes.md).

ISETCam's multispectral files (as ``ieSaveMultiSpectralImage`` writes them, read back as ISETCam's
``vcReadImage`` does): ``mcCOEF`` (rows, cols, k) coefficients, ``basis.basis`` (wavelengths, k) and
``basis.wave``, optionally ``imgMean`` (wavelengths), ``illuminant.wave`` / ``illuminant.data`` (energy), ``fov``
(degrees) and ``dist`` (m). The spectral radiance in photons is

    P(x, y, lambda_i) = max(0, imgMean_i + sum_j mcCOEF(x, y, j) basis(i, j))     quanta / (s sr m^2 nm)

Files holding the cube itself (``photons`` or ``data``, with ``wave`` or ``wavelength``) are read too. A plain
cube is a ``.npy`` (rows, cols, bands) with ``wavelengths_nm`` in the spec, or a ``.npz`` with ``cube`` and
``wavelengths``, in photons or watts.

The scene's bands are the file's wavelengths. Photons become energy (``E = h c / lambda`` per photon) and the
spectral radiance becomes band radiance by the band's width (midpoint rule, as every camrig band):

    L_b = P(lambda_b) h c / lambda_b * width_b                                          W/(m^2 sr)

The coefficients stay coefficients until the render, so a k-term file costs k multiply-adds per band and
pixel and no cube is ever held in memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import camrig

from . import HyperspectralSpec
from .render import PictureScene, Source
from .spectral import K_M, _fine, band_edges

PLANCK_J_S, LIGHT_SPEED_M_S = 6.62607015e-34, 299792458.0
"""SI 2019 exact values."""


def joules_per_photon(bands_nm: np.ndarray) -> np.ndarray:
    return PLANCK_J_S * LIGHT_SPEED_M_S / (np.asarray(bands_nm, np.float64) * 1e-9)


def band_widths(bands_nm: tuple[float, ...]) -> np.ndarray:
    return np.diff(band_edges(bands_nm))


def ybar_at(bands_nm: tuple[float, ...]) -> np.ndarray:
    """CIE 1931 y-bar at the band centres (0 outside 380-780 nm)."""
    wl, _, ybar = _fine()
    return np.interp(np.asarray(bands_nm, np.float64), wl, ybar, left=0.0, right=0.0)


def _unwrap(value: Any) -> Any:
    """A 1 x 1 MATLAB cell or struct array as the object it holds."""
    while isinstance(value, np.ndarray) and value.dtype == object and value.size == 1:
        value = value.item()
    return value


def _field(obj: Any, name: str) -> Any:
    """A field of a MATLAB struct as scipy.io.loadmat returns it (mat_struct, or a record array), else None."""
    if obj is None:
        return None
    if hasattr(obj, "_fieldnames"):
        return _unwrap(getattr(obj, name, None)) if name in obj._fieldnames else None
    if isinstance(obj, np.ndarray) and obj.dtype.names:
        return np.squeeze(obj[name].item()) if name in obj.dtype.names else None
    if isinstance(obj, dict):
        return obj.get(name)
    return None


def _wavelengths(values: Any, where: str) -> np.ndarray:
    wave = np.atleast_1d(np.asarray(values, dtype=np.float64).squeeze())
    if wave.ndim != 1 or not len(wave):
        raise ValueError(f"{where}: wavelengths must be a list of numbers, got shape {np.shape(values)}")
    if not np.isfinite(wave).all() or (np.diff(wave) <= 0).any():
        raise ValueError(
            f"{where}: wavelengths must increase, got {wave.tolist()[:8]}{' ...' if len(wave) > 8 else ''}"
        )
    return wave


def _finite(values: np.ndarray, where: str) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(
            f"{where}: {int(bad.sum())} NaN or infinite values (first at {tuple(int(i) for i in np.argwhere(bad)[0])})"
        )


class Cube:
    """What a file holds: values per pixel (coefficients or the cube), the linear map to photons or watts."""

    def __init__(
        self,
        data: np.ndarray,
        matrix: np.ndarray,
        offset: np.ndarray,
        diagonal: bool,
        wave: np.ndarray,
        photons: bool,
        illuminant: np.ndarray | None,
        fov: float | None,
        dist: float | None,
    ) -> None:
        self.data, self.matrix, self.offset, self.diagonal = data, matrix, offset, diagonal
        self.wave, self.photons, self.illuminant, self.fov, self.dist = wave, photons, illuminant, fov, dist


def read_mat(path: str) -> Cube:
    """An ISETCam multispectral .mat file (module docstring)."""
    import scipy.io

    try:
        # not squeeze_me: a (1, cols, k) coefficient array must keep its shape; structs and scalars are unwrapped
        mat = {
            k: _unwrap(v) for k, v in scipy.io.loadmat(path, struct_as_record=False).items() if not k.startswith("__")
        }
    except Exception as exc:  # noqa: BLE001 - any parse failure is an unreadable file
        raise ValueError(f"{path}: unreadable MATLAB file ({type(exc).__name__}: {exc})") from None
    if "mcCOEF" in mat:
        basis = mat.get("basis")
        if basis is None or _field(basis, "basis") is None or _field(basis, "wave") is None:
            raise ValueError(f"{path}: mcCOEF needs basis.basis and basis.wave")
        wave = _wavelengths(_field(basis, "wave"), f"{path}: basis.wave")
        b = np.asarray(_field(basis, "basis"), np.float64)
        b = b[:, None] if b.ndim == 1 else b
        coef = np.asarray(mat["mcCOEF"])
        coef = coef[:, :, None] if coef.ndim == 2 else coef
        if coef.ndim != 3 or coef.dtype.kind not in "uif":
            raise ValueError(
                f"{path}: mcCOEF must be a (rows, cols, k) array of numbers, got {coef.dtype} {coef.shape}"
            )
        if b.shape != (len(wave), coef.shape[2]):
            raise ValueError(
                f"{path}: basis.basis is {b.shape}; with {len(wave)} wavelengths and {coef.shape[2]} coefficients "
                f"it must be {(len(wave), coef.shape[2])}"
            )
        coef = np.ascontiguousarray(coef, dtype=np.float32)
        _finite(coef, f"{path}: mcCOEF")
        _finite(b, f"{path}: basis.basis")
        mean = np.zeros(len(wave))
        if "imgMean" in mat:
            mean = np.atleast_1d(np.asarray(mat["imgMean"], np.float64).squeeze())
            if mean.shape != wave.shape:
                raise ValueError(f"{path}: imgMean has {mean.size} values, basis.wave {len(wave)}")
            _finite(mean, f"{path}: imgMean")
        data, matrix, offset, diagonal = coef, b.T.copy(), mean, False
    else:
        key = "photons" if "photons" in mat else "data" if "data" in mat else None
        wkey = "wave" if "wave" in mat else "wavelength" if "wavelength" in mat else None
        if key is None or wkey is None:
            raise ValueError(
                f"{path}: no mcCOEF (with basis), nor photons/data with wave: not an ISETCam multispectral file"
            )
        wave = _wavelengths(mat[wkey], f"{path}: {wkey}")
        data = _cube(np.asarray(mat[key]), len(wave), f"{path}: {key}")
        matrix, offset, diagonal = np.ones((1, len(wave))), np.zeros(len(wave)), True
    illuminant = None
    light = mat.get("illuminant")
    if light is not None:
        lwave, ldata = _field(light, "wave"), _field(light, "data")
        if lwave is None and _field(light, "spectrum") is not None:  # ISETCam's modern illuminant struct
            lwave = _field(_field(light, "spectrum"), "wave")
        if ldata is not None and _field(ldata, "photons") is not None:
            photons = np.asarray(_field(ldata, "photons"), np.float64)
            lw = _wavelengths(lwave, f"{path}: illuminant wave")
            ldata = photons * joules_per_photon(lw)
        if lwave is not None and ldata is not None:
            lw = _wavelengths(lwave, f"{path}: illuminant.wave")
            values = np.atleast_1d(np.asarray(ldata, np.float64).squeeze())
            if values.shape != lw.shape:
                raise ValueError(f"{path}: illuminant.data has {values.size} values, illuminant.wave {len(lw)}")
            illuminant = np.interp(wave, lw, values, left=0.0, right=0.0)  # energy units
    fov = float(np.asarray(mat["fov"]).item()) if "fov" in mat and np.size(mat["fov"]) == 1 else None
    dist = float(np.asarray(mat["dist"]).item()) if "dist" in mat and np.size(mat["dist"]) == 1 else None
    if fov is not None and not 0 < fov < 170:
        raise ValueError(f"{path}: fov {fov} must lie in (0, 170) degrees")
    if dist is not None and not dist > 0:
        raise ValueError(f"{path}: dist {dist} must be positive")
    return Cube(data, matrix, offset, diagonal, wave, True, illuminant, fov, dist)


def _cube(cube: np.ndarray, bands: int, where: str) -> np.ndarray:
    cube = cube[:, :, None] if cube.ndim == 2 else cube
    if cube.ndim != 3 or cube.dtype.kind not in "uif":
        raise ValueError(f"{where}: a cube is a (rows, cols, bands) array of numbers, got {cube.dtype} {cube.shape}")
    if cube.shape[2] != bands:
        raise ValueError(f"{where}: the cube has {cube.shape[2]} bands, the wavelengths {bands}")
    cube = np.ascontiguousarray(cube, dtype=np.float32)
    from .readers import check_finite_nonnegative

    check_finite_nonnegative(cube, where)
    return cube


def read_numpy(path: str, wavelengths_nm: tuple[float, ...] | None, photons: bool) -> Cube:
    """A .npy cube (wavelengths from the spec) or a .npz with ``cube`` and ``wavelengths``."""
    try:
        loaded = np.load(path, allow_pickle=False)
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"{path}: unreadable numpy file ({type(exc).__name__}: {exc})") from None
    if isinstance(loaded, np.ndarray):
        cube, wave, where = loaded, wavelengths_nm, f"{path}"
        if wave is None:
            raise ValueError(f"{path}: wavelengths_nm: a .npy cube needs its wavelengths")
    else:
        with loaded:
            missing = [k for k in ("cube", "wavelengths") if k not in loaded.files]
            if missing:
                raise ValueError(
                    f"{path}: the .npz needs arrays 'cube' and 'wavelengths'; missing {', '.join(missing)} (has "
                    f"{', '.join(loaded.files)})"
                )
            cube, wave, where = loaded["cube"], loaded["wavelengths"], f"{path}: cube"
            if wavelengths_nm is not None and not np.allclose(wave, wavelengths_nm):
                raise ValueError(
                    f"{path}: wavelengths_nm {wavelengths_nm} differ from the file's {np.asarray(wave).tolist()}"
                )
    w = _wavelengths(wave, f"{path}: wavelengths")
    data = _cube(np.asarray(cube), len(w), where)
    return Cube(data, np.ones((1, len(w))), np.zeros(len(w)), True, w, photons, None, None, None)


def builtin_cube(wave: tuple[float, ...], patch_px: int = 20) -> Cube:
    """The ColorChecker's measured spectra (N. Ohta) under CIE D65 at the wavelengths ``wave`` (within 380-780
    nm), 6 x 4 patches on a black ground, in W/(sr m^2 nm), a perfect white at 100 cd/m^2."""
    from .chart import illuminant_spd, spectral_reflectance

    if wave[0] < 380 or wave[-1] > 780:
        raise ValueError(f"wavelengths_nm: the built-in cube's spectra are measured from 380 to 780 nm, not {wave}")
    light = illuminant_spd("D65", wave)
    light = light * 100.0 / (K_M * float(np.sum(light * ybar_at(wave) * band_widths(wave))))
    rho = spectral_reflectance(wave)
    cube = np.zeros((4 * patch_px, 6 * patch_px, len(wave)), np.float32)
    edge = max(1, patch_px // 10)
    for i in range(24):
        r, c = divmod(i, 6)
        cube[r * patch_px + edge : (r + 1) * patch_px - edge, c * patch_px + edge : (c + 1) * patch_px - edge] = (
            rho[i] * light
        )
    return Cube(cube, np.ones((1, len(wave))), np.zeros(len(wave)), True, np.array(wave), False, light, None, None)


class HyperspectralScene(PictureScene, camrig.Scene[HyperspectralSpec]):
    """Radiance of a spectral cube in its own bands (module docstring)."""

    def load(self) -> Source:
        s = self.spec
        if s.path is None:
            cube = builtin_cube(s.wavelengths_nm or (450.0, 550.0, 650.0))
        elif Path(s.path).suffix.lower() == ".mat":
            cube = read_mat(s.path)
        else:
            cube = read_numpy(s.path, s.wavelengths_nm, s.units == "photons")
        self._cube_fov, self._cube_dist = cube.fov, cube.dist
        bands = tuple(float(w) for w in cube.wave)
        per_band = band_widths(bands) * (
            joules_per_photon(cube.wave) if cube.photons else 1.0
        )  # to W/(m^2 sr) per band
        matrix, offset = cube.matrix * per_band[None, :], cube.offset * per_band
        white = None if cube.illuminant is None else cube.illuminant * band_widths(bands)
        if s.mean_luminance_cd_m2 is not None:
            mean = cube.data.reshape(-1, cube.data.shape[2]).mean(axis=0, dtype=np.float64)
            mean_band = offset + (mean * matrix[0] if cube.diagonal else mean @ matrix)
            luminance = K_M * float(np.maximum(mean_band, 0) @ ybar_at(bands))
            if luminance <= 0:
                raise ValueError(f"{s.path}: the cube has no luminance to scale (all dark, or outside 380-780 nm)")
            k = s.mean_luminance_cd_m2 / luminance
            matrix, offset, white = matrix * k, offset * k, None if white is None else white * k
        return Source(
            data=cube.data,
            lut=None,
            matrix=np.ascontiguousarray(matrix, np.float64),
            offset=np.ascontiguousarray(offset, np.float64),
            diagonal=cube.diagonal,
            bands_nm=bands,
            white=white,
            illuminant="D65" if s.path is None else "measured" if white is not None else None,
        )

    def fov_deg(self) -> float:
        self.source  # noqa: B018 - the file's fov is known once it is read
        return self.spec.fov_deg or getattr(self, "_cube_fov", None) or 40.0

    def distance_m(self) -> float:
        self.source  # noqa: B018
        return self.spec.distance_m or getattr(self, "_cube_dist", None) or float("inf")
