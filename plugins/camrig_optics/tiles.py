"""The per-pixel work around a blur tile's FFTs, compiled: NumPy spends one pass (and often a temporary) per
operation, and these passes cost as much as the FFTs themselves on a 100 MP frame.

``pinhole_planes`` weighs the scene by the camera equation and splits the bands into contiguous planes for
the FFT; ``hat_weight`` is a field zone's weight (linear in field radius between its neighbours), ``sector_weight`` that
times a hat in azimuth (a zone turned to one of equally spaced azimuths; ``azimuths`` computes the tile's azimuths
once for all its sectors); ``blend_product`` multiplies the tile's spectrum by a blend of two kernels' spectra;
``accumulate`` adds one inverse FFT's valid part, weighted, into the tile; ``store`` clips FFT round-off at
black into the output; ``remap_radial`` samples the blurred image where a radial distortion takes each pixel.
All release the interpreter lock, so tiles run on threads.
"""

from __future__ import annotations

import functools

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def pinhole_planes(source: np.ndarray, factor: np.ndarray, out: np.ndarray) -> None:
    """out[b] = source[:, :, b] * factor (source rows x cols x bands, any strides; out bands x rows x cols)."""
    rows, cols, bands = source.shape
    for r in range(rows):
        for c in range(cols):
            f = factor[r, c]
            for b in range(bands):
                out[b, r, c] = source[r, c, b] * f


@njit(nogil=True, cache=True)
def hat_weight(
    y2: np.ndarray, x2: np.ndarray, scale: float, low: float, mid: float, high: float, out: np.ndarray
) -> None:
    """The weight of the zone at field ``mid`` with neighbours ``low`` and ``high`` (-inf / inf: none, the
    weight stays 1 beyond it) at field radius sqrt(y2 + x2) * scale: 1 at ``mid``, falling linearly to 0 at
    its neighbours (np.interp of the zone's one-hot basis over the zone fields)."""
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            f = np.sqrt(y2[r] + x2[c]) * scale
            if f <= mid:
                w = 1.0 if f >= mid or low == -np.inf else (f - low) / (mid - low)
            else:
                w = 1.0 if high == np.inf else (high - f) / (high - mid)
            out[r, c] = min(1.0, max(0.0, w))


@njit(nogil=True, cache=True)
def azimuths(y: np.ndarray, x: np.ndarray, out: np.ndarray) -> None:
    """out[r, c] = atan2(y[r], x[c]): each pixel's azimuth (radians from +x towards +y), computed once per tile
    for all of its sectors."""
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            out[r, c] = np.arctan2(y[r], x[c])


@njit(nogil=True, cache=True)
def sector_weight(radial: np.ndarray, phi: np.ndarray, azimuth: float, spacing: float, out: np.ndarray) -> None:
    """``radial`` (the zone's :func:`hat_weight`) times the hat in azimuth of the sector at ``azimuth`` (radians
    from +x towards +y, in [0, 2 pi)) with neighbours ``spacing`` either side: 1 - |phi - azimuth| / spacing,
    clipped at 0, phi the pixel's azimuth (:func:`azimuths`, in [-pi, pi]) wrapped to within pi of ``azimuth``.
    The sectors' weights sum to 1 at every azimuth (linear interpolation between equally spaced angles,
    periodic)."""
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            d = phi[r, c] - azimuth  # in [-3 pi, pi]
            if d < -np.pi:
                d += 2 * np.pi
            if d < -np.pi:
                d += 2 * np.pi
            a = 1.0 - abs(d) / spacing
            out[r, c] = radial[r, c] * a if a > 0.0 else np.float32(0.0)


@njit(nogil=True, cache=True)
def blend_product(image: np.ndarray, first: np.ndarray, a: float, second: np.ndarray, out: np.ndarray) -> None:
    """out = image x (a first + (1 - a) second): the image's spectrum times the spectrum of the blend of two kernels
    (the inverse FFT is linear, so this is the image blurred by the blended kernel, in one inverse FFT)."""
    fa = np.float32(a)
    fb = np.float32(1.0) - fa
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            out[r, c] = image[r, c] * (fa * first[r, c] + fb * second[r, c])


@njit(nogil=True, cache=True)
def accumulate(total: np.ndarray, full: np.ndarray, offset: int, weight: np.ndarray, first: bool) -> None:
    """total (=, or += unless ``first``) full[offset:, offset:] x weight (an empty ``weight``: 1)."""
    weighted = weight.shape[0] > 0
    for r in range(total.shape[0]):
        for c in range(total.shape[1]):
            v = full[offset + r, offset + c]
            if weighted:
                v *= weight[r, c]
            if first:
                total[r, c] = v
            else:
                total[r, c] += v


@njit(nogil=True, cache=True)
def store(total: np.ndarray, out: np.ndarray, band: int) -> None:
    """out[:, :, band] = max(total, 0): FFT round-off around black clipped."""
    for r in range(total.shape[0]):
        for c in range(total.shape[1]):
            out[r, c, band] = max(total[r, c], np.float32(0.0))


NO_WEIGHT = np.empty((0, 0), np.float32)


@functools.cache
def load_kernels() -> None:
    """Compile (or load from numba's cache) the kernels for the signatures frames use, at rig assembly."""
    for writeable in (True, False):
        source = np.zeros((2, 2, 1), np.float32)
        source.flags.writeable = writeable
        planes, plane = np.zeros((1, 2, 2), np.float32), np.zeros((2, 2), np.float32)
        pinhole_planes(source, plane, planes)
        pinhole_planes(source[:, :1], plane[:, :1], planes[:, :, :1])  # strided windows
    hat_weight(np.zeros(2), np.zeros(2), 1.0, -np.inf, 0.0, 1.0, plane)
    phi = np.zeros((2, 2))
    azimuths(np.zeros(2), np.zeros(2), phi)
    sector_weight(plane, phi, 0.0, 1.0, plane)
    spectrum = np.zeros((2, 2), np.complex64)
    blend_product(spectrum, spectrum, 0.5, spectrum, spectrum)
    full = np.zeros((4, 4), np.float32)
    accumulate(plane, full, 1, plane, True)
    accumulate(plane, full, 1, NO_WEIGHT, False)
    out = np.zeros((4, 4, 3), np.float32)
    store(plane, out[:2, :2], 0)
    table = np.ones(3)
    remap_radial(out[:, :, 0], np.zeros(2), np.zeros(2), 1.0, table, table, 1.0, 1.0, 1.0, out[:2, :2, 1])


@njit(nogil=True, cache=True)
def remap_radial(
    ideal: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    step: float,
    scale: np.ndarray,
    area: np.ndarray,
    pitch: float,
    centre_x: float,
    centre_y: float,
    out: np.ndarray,
) -> None:
    """out[r, c] = area(rho) x ideal sampled bilinearly at (x[c], y[r]) x scale(rho) (mm, from the axis; in
    pixels: / pitch + centre), rho = hypot(x, y), with ``scale`` and ``area`` tabulated every ``step`` mm from
    0 (linear interpolation, held beyond the table); positions outside ``ideal`` take its nearest edge sample
    (scipy.ndimage's order=1, mode='nearest')."""
    rows_i, cols_i = ideal.shape
    last = scale.size - 1
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            rho = np.sqrt(x[c] * x[c] + y[r] * y[r])
            t = rho / step
            i = min(int(t), last - 1)
            f = min(t - i, 1.0)
            s = scale[i] + f * (scale[i + 1] - scale[i])
            a = area[i] + f * (area[i + 1] - area[i])
            px = min(max(x[c] * s / pitch + centre_x, 0.0), cols_i - 1.0)
            py = min(max(y[r] * s / pitch + centre_y, 0.0), rows_i - 1.0)
            i0, j0 = min(int(py), rows_i - 2), min(int(px), cols_i - 2)
            fy, fx = py - i0, px - j0
            top = ideal[i0, j0] + fx * (ideal[i0, j0 + 1] - ideal[i0, j0])
            bottom = ideal[i0 + 1, j0] + fx * (ideal[i0 + 1, j0 + 1] - ideal[i0 + 1, j0])
            out[r, c] = (top + fy * (bottom - top)) * a
