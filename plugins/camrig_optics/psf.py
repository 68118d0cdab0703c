"""Point spread functions from the pupil: diffraction and wavefront aberrations, sampled on the sensor.

Scalar Fraunhofer diffraction (J. W. Goodman, *Introduction to Fourier Optics*, 3rd ed., ch. 6): the
incoherent PSF is |FT{P(xi) exp(i 2 pi W(xi))}|^2, with P the circular pupil and W the wavefront error in
waves. On an N x N FFT grid whose pupil radius spans R samples, image-plane samples are
dx = 2 lambda N_f R / N apart (N_f the f-number).

Wavefront error is a sum of Zernike polynomials in Noll's order and normalisation (R. J. Noll, "Zernike
polynomials and atmospheric turbulence", JOSA 66(3), 1976): each term has unit RMS over the pupil, so a
coefficient is the RMS wavefront error of that term, in waves. j = 4 defocus, 5-6 astigmatism, 7-8 coma,
11 primary spherical.

The pixel aperture: the fine PSF is convolved with the pixel's square aperture (box of one pitch) and
sampled at pixel centres, so the kernel's transfer function is MTF_optics x sinc(f p).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import fft, ndimage

NOLL: dict[int, tuple[int, int]] = {
    1: (0, 0), 2: (1, 1), 3: (1, -1), 4: (2, 0), 5: (2, -2), 6: (2, 2),
    7: (3, -1), 8: (3, 1), 9: (3, -3), 10: (3, 3), 11: (4, 0),
}  # fmt: skip
"""Noll index j -> (radial order n, azimuthal frequency m); m < 0 means the sine term."""
ZERNIKE_NAMES = {4: "defocus", 5: "oblique astigmatism", 6: "vertical astigmatism", 7: "vertical coma",
                 8: "horizontal coma", 11: "primary spherical"}  # fmt: skip

MIN_PUPIL_RADIUS_SAMPLES = 24
"""Pupil radius in FFT samples below which the pupil is too coarse; the grid grows instead."""


def zernike(j: int, rho: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Noll-normalised Zernike polynomial Z_j on the unit disk (unit RMS over the disk)."""
    if j not in NOLL:
        raise ValueError(f"Zernike index {j} not supported (Noll 1..{max(NOLL)})")
    n, m = NOLL[j]
    am = abs(m)
    radial = np.zeros_like(rho)
    for k in range((n - am) // 2 + 1):
        c = (
            (-1) ** k
            * math.factorial(n - k)
            / (math.factorial(k) * math.factorial((n + am) // 2 - k) * math.factorial((n - am) // 2 - k))
        )
        radial = radial + c * rho ** (n - 2 * k)
    if m == 0:
        return math.sqrt(n + 1) * radial
    angular = np.cos(am * theta) if m > 0 else np.sin(am * theta)
    return math.sqrt(2 * (n + 1)) * radial * angular


@lru_cache(maxsize=256)
def _stopped_down_cached(terms: tuple[tuple[int, float], ...], scale: float) -> tuple[tuple[int, float], ...]:
    rng = np.random.default_rng(0)  # sample points: any set that pins down polynomials of degree <= 4
    rho = np.sqrt(rng.random(600))
    theta = 2 * np.pi * rng.random(600)
    basis = sorted(NOLL)
    a = np.stack([zernike(j, rho, theta) for j in basis], axis=1)
    b = sum(w * zernike(j, scale * rho, theta) for j, w in terms)
    coefficients, *_ = np.linalg.lstsq(a, b, rcond=None)
    return tuple((j, float(c)) for j, c in zip(basis, coefficients) if j != 1 and abs(c) > 1e-12)


def stopped_down(zernike_waves: Mapping[int, float], scale: float) -> dict[int, float]:
    """The same wavefront seen through a pupil ``scale`` (<= 1) times the radius it was given for (stopping
    down from N0 to N: scale = N0 / N), as Noll coefficients on the new pupil: W'(rho, theta) = W(scale rho,
    theta). Each term keeps its azimuthal order and can only feed lower radial orders, so the set is closed and
    the projection exact; e.g. spherical a Z11 becomes scale^4 a Z11 + sqrt(15) scale^2 (scale^2 - 1) a Z4 (it
    shrinks as scale^4 and sheds defocus), coma sheds tilt. Piston is dropped (it does not change the PSF)."""
    if not 0 < scale <= 1:
        raise ValueError(f"pupil scale must be in (0, 1], got {scale}")
    terms = tuple(sorted((int(j), float(w)) for j, w in zernike_waves.items() if w))
    if scale == 1 or not terms:
        return dict(terms)
    return dict(_stopped_down_cached(terms, float(scale)))


def grid_for(
    wavelength_um: float, f_number: float, sample_um: float, min_field_um: float, waves: float = 0.0
) -> tuple[int, float]:
    """FFT size N and pupil radius R (samples) giving image samples ``sample_um`` apart over a field of at least
    ``min_field_um``, with the pupil sampled finely enough for ``waves`` (sum of |Zernike coefficients|): the
    steepest low-order term changes by about 4 sqrt(3) a waves across the radius, so R >= 16 a keeps the phase
    step per sample below half a wave. Raises if ``sample_um`` cannot resolve the PSF (<= lambda N_f / 2)."""
    nyquist = wavelength_um * f_number / 2
    if sample_um > nyquist * (1 + 1e-9):
        raise ValueError(
            f"PSF sampling {sample_um:.3g} um is coarser than lambda N / 2 = {nyquist:.3g} um: it cannot be sampled"
        )
    n = 64
    while True:
        radius = sample_um * n / (2 * wavelength_um * f_number)
        if radius >= max(MIN_PUPIL_RADIUS_SAMPLES, 16 * waves) and n * sample_um >= min_field_um:
            return n, radius
        n *= 2


@lru_cache(maxsize=64)
def _psf_cached(wavelength_um: float, f_number: float, sample_um: float, min_field_um: float,
                terms: tuple[tuple[int, float], ...]) -> np.ndarray:  # fmt: skip
    n, radius = grid_for(wavelength_um, f_number, sample_um, min_field_um, sum(abs(w) for _, w in terms))
    c = (np.arange(n) - n // 2) / radius
    x, y = np.meshgrid(c, c)
    rho, theta = np.hypot(x, y), np.arctan2(y, x)
    inside = rho <= 1.0
    phase = np.zeros((n, n))
    for j, waves in terms:
        phase += waves * zernike(j, rho, theta)
    pupil = np.where(inside, np.exp(2j * np.pi * phase), 0)
    amplitude = fft.fftshift(fft.fft2(fft.ifftshift(pupil)))
    psf = np.abs(amplitude) ** 2
    psf /= psf.sum()
    psf.flags.writeable = False
    return psf


def psf(wavelength_um: float, f_number: float, sample_um: float, *, zernike_waves: Mapping[int, float] | None = None,
        min_field_um: float = 0.0) -> np.ndarray:  # fmt: skip
    """The PSF sampled every ``sample_um`` on an N x N grid (peak of a perfect lens at [N//2, N//2]), summing
    to 1. Cached: the same arguments return the same read-only array."""
    terms = tuple(sorted((int(j), float(w)) for j, w in (zernike_waves or {}).items() if w))
    return _psf_cached(float(wavelength_um), float(f_number), float(sample_um), float(min_field_um), terms)


def oversampling(pitch_um: float, wavelength_um: float, f_number: float) -> int:
    """Odd number of fine samples per pixel that samples the PSF at or above its Nyquist rate (>= 3)."""
    k = max(3, math.ceil(pitch_um / (wavelength_um * f_number / 2)))
    return k if k % 2 else k + 1


def pixel_psf(
    wavelength_um: float,
    f_number: float,
    pitch_um: float,
    *,
    zernike_waves: Mapping[int, float] | None = None,
    min_field_px: int = 9,
) -> tuple[np.ndarray, int]:
    """The PSF convolved with the square pixel aperture, at fine sampling: (array, samples per pixel)."""
    k = oversampling(pitch_um, wavelength_um, f_number)
    fine = psf(wavelength_um, f_number, pitch_um / k, zernike_waves=zernike_waves, min_field_um=min_field_px * pitch_um)
    # box of one pitch (k samples, k odd so it is centred); 'wrap' because the FFT PSF is periodic: no energy lost
    blurred = ndimage.uniform_filter(fine, size=k, mode="wrap") * k**2
    return blurred, k


def pixel_kernel(
    wavelength_um: float,
    f_number: float,
    pitch_um: float,
    *,
    zernike_waves: Mapping[int, float] | None = None,
    transmission: float = 1.0,
    radius_px: int | None = None,
) -> np.ndarray:
    """Convolution kernel on the pixel grid: energy reaching each pixel from a point imaged on the centre of
    pixel (r, r), for r = radius_px. Sums to ``transmission`` (all the PSF's energy lands somewhere)."""
    blurred, k = pixel_psf(wavelength_um, f_number, pitch_um, zernike_waves=zernike_waves,
                           min_field_px=2 * (radius_px or 4) + 1)  # fmt: skip
    n = blurred.shape[0]
    centre = n // 2
    half = (centre // k) if radius_px is None else radius_px
    idx = centre + k * np.arange(-half, half + 1)
    idx = idx[(idx >= 0) & (idx < n)]
    kernel = blurred[np.ix_(idx, idx)] / k**2  # box sums -> energy per pixel (the fine PSF sums to 1)
    return kernel * (transmission / kernel.sum())


def diffraction_mtf(f_cyc_per_um: np.ndarray, wavelength_um: float, f_number: float) -> np.ndarray:
    """Analytic MTF of an aberration-free circular pupil: (2/pi)(acos v - v sqrt(1 - v^2)), v = f lambda N
    (Goodman, eq. 6-32)."""
    v = np.clip(np.abs(f_cyc_per_um) * wavelength_um * f_number, 0, 1)
    return (2 / np.pi) * (np.arccos(v) - v * np.sqrt(1 - v * v))


def focal_shift_waves(dz_um: Any, f_number: float, wavelength_um: float) -> Any:
    """Noll Z4 coefficient (RMS waves) of an image ``dz_um`` behind the sensor (negative: in front of it).

    A focal-plane shift dz gives a peak wavefront error W020 = dz / (8 N^2) (paraxial defocus; V. N. Mahajan,
    *Optical Imaging and Aberrations*, part I, SPIE 1998, on defocus aberration); Z4 RMS = W020 / (2 sqrt 3),
    since Z4 = sqrt 3 (2 rho^2 - 1). Scalars or arrays."""
    return dz_um / (8 * f_number**2) / (2 * math.sqrt(3)) / wavelength_um


def defocus_waves(
    focal_length_mm: float, f_number: float, focus_m: float, subject_m: float, wavelength_um: float
) -> float:
    """Noll Z4 coefficient (RMS waves) of a subject at ``subject_m`` when focused at ``focus_m`` (thin lens):
    image distances v = 1 / (1/f - 1/s), the focal-plane shift dz = v_subject - v_focus, then
    :func:`focal_shift_waves`."""
    f = focal_length_mm * 1e-3

    def image_distance(s: float) -> float:
        if s <= f:
            raise ValueError(f"subject at {s} m is inside the focal length {f} m: no real image")
        return 1.0 / (1.0 / f - 1.0 / s) if math.isfinite(s) else f

    dz_m = image_distance(subject_m) - image_distance(focus_m)
    return float(focal_shift_waves(dz_m * 1e6, f_number, wavelength_um))


def defocus_waves_map(
    focal_length_mm: float, f_number: float, focus_m: float, subject_m: np.ndarray, wavelength_um: float
) -> np.ndarray:
    """:func:`defocus_waves` for an array of subject distances (infinity allowed; distances inside the focal
    length are clamped just outside it)."""
    f = focal_length_mm * 1e-3
    s = np.maximum(np.asarray(subject_m, dtype=np.float64), 1.001 * f)
    v_subject = np.where(np.isinf(s), f, 1.0 / (1.0 / f - 1.0 / np.where(np.isinf(s), 2 * f, s)))
    v_focus = f if math.isinf(focus_m) else 1.0 / (1.0 / f - 1.0 / focus_m)
    return focal_shift_waves((v_subject - v_focus) * 1e6, f_number, wavelength_um)  # type: ignore[no-any-return]
