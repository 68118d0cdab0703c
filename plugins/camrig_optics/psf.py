"""Point spread functions from the pupil: diffraction and wavefront aberrations, sampled on the sensor.

Scalar Fraunhofer diffraction (J. W. Goodman, *Introduction to Fourier Optics*, 3rd ed., ch. 6): the
incoherent PSF is |FT{P(xi) exp(i 2 pi W(xi))}|^2, with P the circular pupil and W the wavefront error in
waves. On an N x N FFT grid whose pupil radius spans R samples, image-plane samples are
dx = 2 lambda N_f R / N apart (N_f the f-number).

Wavefront error is a sum of Zernike polynomials in Noll's order and normalisation (R. J. Noll, "Zernike
polynomials and atmospheric turbulence", JOSA 66(3), 1976): each term has unit RMS over the pupil, so a
coefficient is the RMS wavefront error of that term, in waves. j = 4 defocus, 5-6 astigmatism, 7-8 coma,
9-10 trefoil, 11 primary spherical, 22 secondary and 37 tertiary spherical; j = 1..37 (:data:`MAX_NOLL`) are
modelled, every term up to radial order 7 plus (8, 0).

The pixel aperture: the fine PSF is convolved with the pixel's square aperture (box of one pitch) and
sampled at pixel centres, so the kernel's transfer function is MTF_optics x sinc(f p).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from functools import cache, lru_cache, wraps
from typing import Any

import numpy as np
from scipy import fft, ndimage

from . import MAX_NOLL


def noll_table(j_max: int) -> dict[int, tuple[int, int]]:
    """Noll index j -> (radial order n, azimuthal frequency m) for j = 1..``j_max``; m < 0 is the sine term.

    Noll's ordering (JOSA 66(3), 1976, table I): by n, then by |m|; of the two terms with the same |m| > 0 the
    even j is the cosine (m > 0), the odd j the sine (m < 0)."""
    table: dict[int, tuple[int, int]] = {}
    j, n = 1, 0
    while j <= j_max:
        for am in range(n % 2, n + 1, 2):
            if am == 0:
                table[j] = (n, 0)
                j += 1
            else:
                for jj in (j, j + 1):
                    table[jj] = (n, am if jj % 2 == 0 else -am)
                j += 2
        n += 1
    return {k: v for k, v in table.items() if k <= j_max}


NOLL: dict[int, tuple[int, int]] = noll_table(MAX_NOLL)
"""Noll index j -> (radial order n, azimuthal frequency m); m < 0 means the sine term."""
NOLL_INDEX: dict[tuple[int, int], int] = {nm: j for j, nm in NOLL.items()}
ZERNIKE_NAMES = {4: "defocus", 5: "oblique astigmatism", 6: "vertical astigmatism", 7: "vertical coma",
                 8: "horizontal coma", 9: "oblique trefoil", 10: "horizontal trefoil", 11: "primary spherical",
                 22: "secondary spherical", 37: "tertiary spherical"}  # fmt: skip

LINEAR_TURN_SAMPLES = 9
"""Fine samples per pixel from which a turned PSF is interpolated linearly, not by cubic splines: linear
interpolation's transfer sinc^2(f) is >= 0.99 up to the pixel's Nyquist frequency 1 / (2 k) cycles per sample,
and the pixel box (sinc(k f)) follows, so the kernel changes by < 1 % there; below 9 cubic splines."""
MIN_PUPIL_RADIUS_SAMPLES = 24
"""Pupil radius in FFT samples below which the pupil is too coarse; the grid grows instead."""
FINE_CACHE_BYTES = 48 << 20
"""Bytes of fine PSFs (and of their spline coefficients) kept for reuse, each: a fast lens's fine PSF is up to a 2048^2
float64 grid (34 MB), and a zone's sectors and bands need each only while its kernels are made (a lens keeps
those), so a count-bounded cache of them would hold gigabytes through the frame."""


def _bytes_cache(limit: int) -> Callable[[Callable[..., np.ndarray]], Callable[..., np.ndarray]]:
    """Least-recently-used cache of a function's array results, bounded by their total bytes (``limit``; the newest
    is always kept), thread-safe."""

    def wrap(function: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        entries: OrderedDict[tuple[object, ...], np.ndarray] = OrderedDict()
        lock = threading.Lock()

        @wraps(function)
        def cached(*args: object) -> np.ndarray:
            with lock:
                if args in entries:
                    entries.move_to_end(args)
                    return entries[args]
            value = function(*args)
            with lock:
                entries[args] = value
                total = sum(v.nbytes for v in entries.values())
                while total > limit and len(entries) > 1:
                    _, dropped = entries.popitem(last=False)
                    total -= dropped.nbytes
            return value

        return cached

    return wrap


@cache
def _radial_terms(n: int, am: int) -> tuple[tuple[int, float], ...]:
    """(power of rho, coefficient) of the Zernike radial polynomial R_n^|m| (Noll 1976, eq. 2):
    sum_k (-1)^k (n - k)! / (k! ((n + m)/2 - k)! ((n - m)/2 - k)!) rho^(n - 2k)."""
    return tuple(
        (
            n - 2 * k,
            (-1) ** k
            * math.factorial(n - k)
            / (math.factorial(k) * math.factorial((n + am) // 2 - k) * math.factorial((n - am) // 2 - k)),
        )
        for k in range((n - am) // 2 + 1)
    )


def zernike(j: int, rho: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Noll-normalised Zernike polynomial Z_j on the unit disk (unit RMS over the disk)."""
    if j not in NOLL:
        raise ValueError(f"Zernike index {j} not supported (Noll 1..{MAX_NOLL})")
    n, m = NOLL[j]
    am = abs(m)
    radial = np.zeros_like(rho)
    for power, c in _radial_terms(n, am):
        radial = radial + c * rho**power
    if m == 0:
        return math.sqrt(n + 1) * radial
    angular = np.cos(am * theta) if m > 0 else np.sin(am * theta)
    return math.sqrt(2 * (n + 1)) * radial * angular


def zernike_sum(terms: tuple[tuple[int, float], ...], rho: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """sum_j a_j Z_j(rho, theta) for ``terms`` ((j, a_j), ...): :func:`zernike` summed, with each power of rho and
    each cos / sin(m theta) computed once for all terms (the radial polynomials of Noll 1976, eq. 2, as sums of
    powers), instead of once per term."""
    out = np.zeros(np.shape(rho))
    if not terms:
        return out
    top = max(NOLL[j][0] for j, _ in terms)
    powers = [np.ones_like(rho)]
    for _ in range(top):
        powers.append(powers[-1] * rho)
    angular: dict[int, np.ndarray] = {}
    for j, a in terms:
        n, m = NOLL[j]
        am = abs(m)
        radial = np.zeros_like(rho)
        for power, c in _radial_terms(n, am):
            radial += c * powers[power]
        if m == 0:
            out += a * math.sqrt(n + 1) * radial
            continue
        if m not in angular:
            angular[m] = np.cos(am * theta) if m > 0 else np.sin(am * theta)
        out += a * math.sqrt(2 * (n + 1)) * radial * angular[m]
    return out


def _polar_nodes(order: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rho, theta, weight) of a product rule on the unit disk exact for polynomials of degree <= ``order``:
    Gauss-Legendre in rho^2 (the area element is d(rho^2) d theta / 2) times equally spaced azimuths."""
    t, w = np.polynomial.legendre.leggauss(order // 2 + 2)
    rho2 = (t + 1) / 2
    theta = 2 * np.pi * np.arange(order + 2) / (order + 2)
    rho, th = np.meshgrid(np.sqrt(rho2), theta, indexing="ij")
    weight = np.repeat(w[:, None] / 2, theta.size, axis=1) / theta.size
    return rho.ravel(), th.ravel(), weight.ravel()


@lru_cache(maxsize=1024)
def _stopped_down_cached(terms: tuple[tuple[int, float], ...], scale: float) -> tuple[tuple[int, float], ...]:
    order = max(NOLL[j][0] for j, _ in terms)
    rho, theta, weight = _polar_nodes(2 * order)  # exact inner products of degree <= 2 n_max
    b = sum(w * zernike(j, scale * rho, theta) for j, w in terms)
    out = []
    for j, (n, m) in NOLL.items():  # Noll terms are orthonormal: c_j = <W', Z_j> / <1, 1> (the mean over the disk)
        if n <= order and any(NOLL[i][1] == m for i, _ in terms) and j != 1:
            c = float(np.sum(weight * b * zernike(j, rho, theta)))
            if abs(c) > 1e-12:
                out.append((j, c))
    return tuple(out)


def wavefront_key(zernike_waves: Mapping[int, float] | None) -> tuple[tuple[int, float], ...]:
    """The non-zero Noll terms of a wavefront as a sorted hashable tuple: the key of the cached PSF computations."""
    return tuple(sorted((int(j), float(w)) for j, w in (zernike_waves or {}).items() if w))


def pupil_edge_at(pupil_edge: tuple[float, ...], theta: np.ndarray) -> np.ndarray:
    """The vignetted pupil's edge radius (relative to the full pupil's) at azimuths ``theta``: ``pupil_edge`` holds it
    at len(pupil_edge) equally spaced azimuths from +x (towards +y), interpolated linearly and periodically; an empty
    tuple is the full circle (1 everywhere). The pupil a mechanically vignetted lens passes is an intersection of
    circles (each lens rim projected into the pupil, the "cat's eye"), convex and holding the chief ray's point, so
    its edge is one radius per azimuth about the centre."""
    if not pupil_edge:
        return np.ones(np.shape(theta))
    edge = np.asarray(pupil_edge, dtype=np.float64)
    step = 2 * np.pi / edge.size
    at = np.mod(theta, 2 * np.pi) / step
    return np.interp(at, np.arange(edge.size + 1), np.append(edge, edge[0]))  # type: ignore[no-any-return]


def stopped_down_edge(pupil_edge: tuple[float, ...], scale: float) -> tuple[float, ...]:
    """The vignetted pupil's edge through a stop ``scale`` (<= 1) times as wide: the rims' circles are where they
    were, so relative to the smaller pupil they are 1 / scale times larger; clipped at the new pupil's rim (1).
    A pupil the stop no longer vignettes anywhere becomes the full circle (empty)."""
    if not pupil_edge or scale == 1:
        return tuple(pupil_edge)
    edge = tuple(min(1.0, float(e) / scale) for e in pupil_edge)
    return () if min(edge) >= 1.0 else edge


def stopped_down(zernike_waves: Mapping[int, float], scale: float) -> dict[int, float]:
    """The same wavefront seen through a pupil ``scale`` (<= 1) times the radius it was given for (stopping
    down from N0 to N: scale = N0 / N), as Noll coefficients on the new pupil: W'(rho, theta) = W(scale rho,
    theta). Each term keeps its azimuthal order and can only feed lower radial orders, so the set is closed and
    the projection (a quadrature exact for the degree) is exact; e.g. spherical a Z11 becomes
    scale^4 a Z11 + sqrt(15) scale^2 (scale^2 - 1) a Z4 (it shrinks as scale^4 and sheds defocus), coma sheds
    tilt, secondary spherical Z22 sheds Z11 and Z4. Piston is dropped (it does not change the PSF)."""
    if not 0 < scale <= 1:
        raise ValueError(f"pupil scale must be in (0, 1], got {scale}")
    terms = wavefront_key(zernike_waves)
    if scale == 1 or not terms:
        return dict(terms)
    return dict(_stopped_down_cached(terms, float(scale)))


def rotated(zernike_waves: Mapping[int, float], angle_rad: float) -> dict[int, float]:
    """The wavefront turned by ``angle_rad`` about the axis (from +x towards +y): W'(rho, theta) =
    W(rho, theta - angle). A cosine/sine pair (a, b) of azimuthal order m becomes
    (a cos m phi - b sin m phi, a sin m phi + b cos m phi); rotationally symmetric terms (m = 0) are unchanged
    (Noll 1976: the pair's RMS sqrt(a^2 + b^2) is invariant)."""
    out: dict[int, float] = {}
    for j, w in zernike_waves.items():
        n, m = NOLL[int(j)]
        if m == 0:
            out[int(j)] = out.get(int(j), 0.0) + float(w)
            continue
        am = abs(m)
        c, s = math.cos(am * angle_rad), math.sin(am * angle_rad)
        j_cos, j_sin = NOLL_INDEX[(n, am)], NOLL_INDEX[(n, -am)]
        if m > 0:  # a cos(m theta) -> a cos m phi cos + a sin m phi sin
            out[j_cos] = out.get(j_cos, 0.0) + float(w) * c
            out[j_sin] = out.get(j_sin, 0.0) + float(w) * s
        else:  # b sin(m theta) -> -b sin m phi cos + b cos m phi sin
            out[j_cos] = out.get(j_cos, 0.0) - float(w) * s
            out[j_sin] = out.get(j_sin, 0.0) + float(w) * c
    return out


def equivalent_defocus(zernike_waves: Mapping[int, float]) -> float:
    """The wavefront's steepness as waves of Noll defocus of the same largest slope: sum over terms of
    |a_j| |dZ_j/drho| at the pupil edge / 4 sqrt 3 (Z4 = sqrt 3 (2 rho^2 - 1) has slope 4 sqrt 3; a radial
    polynomial R_n^m has slope (n (n + 2) - m^2) / 2 at rho = 1). What sizes the pupil sampling and the blur
    margin: a Z37 (n = 8) of 0.05 waves is as steep as 0.87 waves of defocus."""
    total = 0.0
    for j, w in zernike_waves.items():
        n, m = NOLL[int(j)]
        norm = math.sqrt(n + 1) if m == 0 else math.sqrt(2 * (n + 1))
        total += abs(float(w)) * norm * (n * (n + 2) - m * m) / 2
    return total / (4 * math.sqrt(3))


def steepest_slope(zernike_waves: Mapping[int, float], pupil_edge: tuple[float, ...] = ()) -> float:
    """The wavefront's largest slope over the pupil, max |grad W| (waves per pupil radius), as waves of Noll
    defocus of that edge slope (/ 4 sqrt 3): central differences on a 129 x 129 grid over the unit disk. Terms
    that balance each other (spherical against defocus) are not counted twice, as :func:`equivalent_defocus`
    (an upper bound) counts them. ``pupil_edge``: only over the vignetted pupil (:func:`pupil_edge_at`), where the
    wavefront was fitted and light passes."""
    if not zernike_waves:
        return 0.0
    c = np.linspace(-1.0, 1.0, 129)
    x, y = np.meshgrid(c, c)
    rho, theta = np.hypot(x, y), np.arctan2(y, x)
    w = sum(float(a) * zernike(int(j), rho, theta) for j, a in zernike_waves.items())
    gy, gx = np.gradient(np.asarray(w, dtype=np.float64), c, c)
    inside = (rho <= 1.0) & (rho <= pupil_edge_at(pupil_edge, theta))
    return float(np.max(np.hypot(gx, gy)[inside])) / (4 * math.sqrt(3))


def is_symmetric(zernike_waves: Mapping[int, float]) -> bool:
    """True when every non-zero term is rotationally symmetric (m = 0): rotating it changes nothing."""
    return all(NOLL[int(j)][1] == 0 for j, w in zernike_waves.items() if w)


def grid_for(
    wavelength_um: float, f_number: float, sample_um: float, min_field_um: float, waves: float = 0.0
) -> tuple[int, float]:
    """FFT size N and pupil radius R (samples) giving image samples ``sample_um`` apart over a field of at least
    twice ``min_field_um`` (the FFT's PSF is periodic: what lies beyond the grid folds back onto the far side, so
    the grid is twice the window a kernel reads, and only tails beyond 1.5 windows fold into it; a grid of just the
    window put the Airy tail's ~1 % back into the kernel's edge and lowered a slanted-edge MTF50 at f/1.4 by 3 %),
    the smallest fast even length, with the pupil sampled finely enough for ``waves`` (:func:`steepest_slope`): defocus
    a changes by 4 sqrt(3) a waves per radius at the edge, so R >= 16 a keeps the phase step per sample below half
    a wave. Raises if ``sample_um`` cannot resolve the PSF (<= lambda N_f / 2)."""
    nyquist = wavelength_um * f_number / 2
    if sample_um > nyquist * (1 + 1e-9):
        raise ValueError(
            f"PSF sampling {sample_um:.3g} um is coarser than lambda N / 2 = {nyquist:.3g} um: it cannot be sampled"
        )
    need = max(64.0, max(MIN_PUPIL_RADIUS_SAMPLES, 16 * waves) * 2 * wavelength_um * f_number / sample_um,
               2 * min_field_um / sample_um)  # fmt: skip
    n = fft.next_fast_len(math.ceil(need - 1e-9))
    while n % 2:  # even, so the PSF's centre sample is n // 2 either side of the shift
        n = fft.next_fast_len(n + 1)
    return n, sample_um * n / (2 * wavelength_um * f_number)


@_bytes_cache(FINE_CACHE_BYTES)
def _psf_cached(wavelength_um: float, f_number: float, sample_um: float, min_field_um: float,
                terms: tuple[tuple[int, float], ...], edge: tuple[float, ...] = ()) -> np.ndarray:  # fmt: skip
    n, radius = grid_for(wavelength_um, f_number, sample_um, min_field_um, steepest_slope(dict(terms), edge))
    # the pupil only where it is (a box of its radius about the centre): the wavefront is summed over that box,
    # not over the whole, mostly dark, grid
    half = min(n // 2, math.ceil(radius) + 1)
    c = np.arange(-half, min(half + 1, n - n // 2)) / radius
    x, y = np.meshgrid(c, c)
    rho, theta = np.hypot(x, y), np.arctan2(y, x)
    inside = (rho <= 1.0) & (rho <= pupil_edge_at(edge, theta))
    values = np.zeros(rho.shape, np.complex128)
    values[inside] = np.exp(2j * np.pi * zernike_sum(terms, rho[inside], theta[inside]))
    # the pupil's centre on sample 0 (what ifftshift of a centred pupil gives), its box wrapped round the edges
    wrapped = np.arange(-half, -half + c.size) % n
    pupil = np.zeros((n, n), np.complex128)
    pupil[np.ix_(wrapped, wrapped)] = values
    psf = fft.fftshift(np.abs(fft.fft2(pupil, overwrite_x=True)) ** 2)
    psf /= psf.sum()
    psf.flags.writeable = False
    return psf


def psf(wavelength_um: float, f_number: float, sample_um: float, *, zernike_waves: Mapping[int, float] | None = None,
        min_field_um: float = 0.0, pupil_edge: tuple[float, ...] = ()) -> np.ndarray:  # fmt: skip
    """The PSF sampled every ``sample_um`` on an N x N grid (peak of a perfect lens at [N//2, N//2]), summing
    to 1. ``pupil_edge``: the pupil vignetted to that edge (:func:`pupil_edge_at`; the f-number stays the full
    pupil's, the PSF still sums to 1: the light the rims stop is the relative illumination's, not the blur's).
    Cached: the same arguments return the same read-only array."""
    terms = wavefront_key(zernike_waves)
    edge = tuple(float(e) for e in pupil_edge)
    return _psf_cached(float(wavelength_um), float(f_number), float(sample_um), float(min_field_um), terms, edge)


def oversampling(pitch_um: float, wavelength_um: float, f_number: float) -> int:
    """Odd number of fine samples per pixel that samples the PSF at or above its Nyquist rate (>= 3)."""
    k = max(3, math.ceil(pitch_um / (wavelength_um * f_number / 2)))
    return k if k % 2 else k + 1


@_bytes_cache(FINE_CACHE_BYTES)
def _spline(wavelength_um: float, f_number: float, sample_um: float, min_field_um: float,
            terms: tuple[tuple[int, float], ...], edge: tuple[float, ...] = ()) -> np.ndarray:  # fmt: skip
    """Cubic B-spline coefficients of :func:`psf` (periodic, as the FFT PSF is): every sector of a zone turns
    the same PSF, and the prefilter is a pass over the whole grid."""
    fine = _psf_cached(wavelength_um, f_number, sample_um, min_field_um, terms, edge)
    spline = ndimage.spline_filter(fine, order=3, mode="grid-wrap")
    spline.flags.writeable = False
    return spline


def pixel_psf(
    wavelength_um: float,
    f_number: float,
    pitch_um: float,
    *,
    zernike_waves: Mapping[int, float] | None = None,
    min_field_px: int = 9,
    rotation_rad: float = 0.0,
    crop: bool = False,
    pupil_edge: tuple[float, ...] = (),
) -> tuple[np.ndarray, int]:
    """The PSF convolved with the square pixel aperture, at fine sampling: (array, samples per pixel).

    ``rotation_rad``: the optical PSF turned by that angle about its centre (from +x towards +y) before the pixel
    aperture, which does not turn: PSF'(x) = PSF(R(-angle) x), the PSF of the wavefront :func:`rotated` by the
    angle, from one FFT instead of one per angle. Cubic-spline interpolation of the fine PSF (sampled at or
    above its Nyquist rate, :func:`oversampling`; linear from :data:`LINEAR_TURN_SAMPLES` samples per pixel) on
    the (``min_field_px`` + 2) pixels it needs; exact for
    multiples of 90 degrees (the grid maps onto itself). ``crop``: only the central (``min_field_px`` + 2) pixels,
    all a kernel of that size reads (the box filter then costs that window, not the FFT grid). ``pupil_edge``: the
    vignetted pupil (:func:`psf`), turned with the PSF."""
    k = oversampling(pitch_um, wavelength_um, f_number)
    edge = tuple(float(e) for e in pupil_edge)
    fine = psf(wavelength_um, f_number, pitch_um / k, zernike_waves=zernike_waves, min_field_um=min_field_px * pitch_um,
               pupil_edge=edge)  # fmt: skip
    window = min(fine.shape[0] // 2 - 1, (min_field_px // 2 + 1) * k)
    if crop and not rotation_rad % (2 * math.pi) and window < fine.shape[0] // 2 - 1:
        centre = fine.shape[0] // 2
        fine = fine[centre - window : centre + window + 1, centre - window : centre + window + 1]
    elif rotation_rad % (2 * math.pi):
        n = fine.shape[0]
        offsets = np.arange(-window, window + 1, dtype=np.float64)  # the window the kernel's samples and boxes read
        yy, xx = np.meshgrid(offsets, offsets, indexing="ij")
        c, s = math.cos(rotation_rad), math.sin(rotation_rad)
        quarter = rotation_rad / (math.pi / 2)
        if abs(quarter - round(quarter)) < 1e-12:  # a quarter turn: a permutation of the grid
            c, s = round(c), round(s)
        coords = np.stack([n // 2 + (-s * xx + c * yy), n // 2 + (c * xx + s * yy)])
        if k >= LINEAR_TURN_SAMPLES:  # the pixel box averages k samples: linear interpolation's blur is lost in it
            fine = ndimage.map_coordinates(fine, coords, order=1, mode="grid-wrap")
        else:
            terms = wavefront_key(zernike_waves)
            spline = _spline(float(wavelength_um), float(f_number), float(pitch_um / k),
                             float(min_field_px * pitch_um), terms, edge)  # fmt: skip
            fine = ndimage.map_coordinates(spline, coords, order=3, mode="grid-wrap", prefilter=False)
        fine = np.maximum(fine, 0.0)  # spline overshoot around the zeros of the rings
        fine /= fine.sum()
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
    rotation_rad: float = 0.0,
    pupil_edge: tuple[float, ...] = (),
) -> np.ndarray:
    """Convolution kernel on the pixel grid: energy reaching each pixel from a point imaged on the centre of
    pixel (r, r), for r = radius_px. Sums to ``transmission`` (all the PSF's energy lands somewhere).
    ``rotation_rad``: the PSF turned (:func:`pixel_psf`); ``pupil_edge``: the vignetted pupil (:func:`psf`)."""
    blurred, k = pixel_psf(wavelength_um, f_number, pitch_um, zernike_waves=zernike_waves,
                           min_field_px=2 * (radius_px or 4) + 1, rotation_rad=rotation_rad,
                           crop=radius_px is not None, pupil_edge=pupil_edge)  # fmt: skip
    n = blurred.shape[0]
    centre = n // 2
    half = ((n - 1 - centre) // k) if radius_px is None else radius_px  # symmetric: as many samples either side
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
