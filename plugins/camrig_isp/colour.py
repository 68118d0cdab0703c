"""Colour correction: white-balanced camera RGB to linear sRGB.

The sensor characterises its colour by the DNG ColorMatrix1 (XYZ to camera under D65; see
:mod:`camrig_sensors.colorimetry`). After white balance the camera's white is (1, 1, 1); the matrix to linear
sRGB is then

    M = SRGB_FROM_XYZ @ inv(camera_from_xyz) @ diag(n65)

with n65 = camera_from_xyz @ XYZ(D65) the camera's D65 white, each row scaled to sum to 1 so white stays white
exactly (as dcraw and LibRaw normalise their camera-to-sRGB matrices). Under another light, white balance makes
its white neutral and the same matrix applies: the usual "white balance, then one matrix" camera pipeline.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from camrig import in_blocks

SRGB_FROM_XYZ = np.array([[3.2406, -1.5372, -0.4986], [-0.9689, 1.8758, 0.0415], [0.0557, -0.2040, 1.0570]])
"""Linear sRGB from CIE XYZ (D65 white), IEC 61966-2-1:1999, clause 5.2."""
D65_WHITE_XYZ = np.array([0.95047, 1.0, 1.08883])
"""CIE XYZ of the D65 white point with Y = 1 (CIE 015:2018)."""


def srgb_from_camera(camera_from_xyz: np.ndarray) -> np.ndarray:
    """The 3x3 matrix from white-balanced camera RGB to linear sRGB (module docstring); a ValueError names a
    matrix that cannot be inverted."""
    c = np.asarray(camera_from_xyz, dtype=np.float64)
    if c.shape != (3, 3) or not np.all(np.isfinite(c)):
        raise ValueError(f"camera_from_xyz must be a finite 3x3 matrix, got shape {c.shape}")
    if np.linalg.cond(c) > 1e10:
        raise ValueError(
            f"camera_from_xyz is singular (condition number {np.linalg.cond(c):.3g}): no colour correction exists"
        )
    n65 = c @ D65_WHITE_XYZ
    if np.any(n65 <= 0):
        raise ValueError(f"camera_from_xyz gives a D65 white with a non-positive channel ({n65})")
    return srgb_from_camera_as_shot(np.linalg.inv(c), n65)  # D65 is the light both matrices are fitted under


def srgb_from_camera_as_shot(xyz_d65_from_camera: np.ndarray, as_shot_neutral: np.ndarray) -> np.ndarray:
    """White-balanced camera RGB to linear sRGB from the sensor's as-shot matrix (camera RGB as shot to
    D65-adapted XYZ): M = SRGB_FROM_XYZ @ X @ diag(neutral), rows scaled to sum to 1 (the balanced white,
    (1, 1, 1), stays white)."""
    x = np.asarray(xyz_d65_from_camera, dtype=np.float64)
    if x.shape != (3, 3) or not np.all(np.isfinite(x)) or np.linalg.cond(x) > 1e10:
        raise ValueError("xyz_d65_from_camera must be a finite, invertible 3x3 matrix")
    m = SRGB_FROM_XYZ @ x @ np.diag(np.asarray(as_shot_neutral, dtype=np.float64))
    return m / m.sum(axis=1, keepdims=True)


@njit(nogil=True, cache=True)
def _apply_matrix_into(flat: np.ndarray, m: np.ndarray, out: np.ndarray) -> None:
    m00, m01, m02, m10, m11, m12, m20, m21, m22 = (
        m[0, 0],
        m[0, 1],
        m[0, 2],
        m[1, 0],
        m[1, 1],
        m[1, 2],
        m[2, 0],
        m[2, 1],
        m[2, 2],
    )
    for i in range(flat.shape[0]):
        r, g, b = flat[i, 0], flat[i, 1], flat[i, 2]
        out[i, 0] = m00 * r + m01 * g + m02 * b
        out[i, 1] = m10 * r + m11 * g + m12 * b
        out[i, 2] = m20 * r + m21 * g + m22 * b


def apply_matrix(rgb: np.ndarray, matrix: np.ndarray, threads: int = 1, out: np.ndarray | None = None) -> np.ndarray:
    """``rgb @ matrix.T`` for (rows, cols, 3) float32, one compiled pass over the pixels (a 3 x 3 product per
    pixel is memory-bound: BLAS gains nothing on it, and its worker threads would spin against the other half
    of a preview stream); split over ``threads``. ``out``: a C-contiguous float32 array of ``rgb``'s shape to
    write into, ``rgb`` itself included (each pixel is read before it is written)."""
    m = np.asarray(matrix, dtype=np.float32)
    flat = np.ascontiguousarray(rgb, dtype=np.float32).reshape(-1, 3)
    out = np.empty_like(flat) if out is None else out.reshape(-1, 3)
    in_blocks(len(flat), threads, lambda a, b: _apply_matrix_into(flat[a:b], m, out[a:b]))
    return out.reshape(rgb.shape)


@njit(nogil=True, cache=True)
def _channel_sums(flat: np.ndarray) -> np.ndarray:
    sums = np.zeros(3)
    for i in range(flat.shape[0]):
        sums[0] += flat[i, 0]
        sums[1] += flat[i, 1]
        sums[2] += flat[i, 2]
    return sums


SUM_BLOCKS = 8
"""Blocks :func:`channel_means` sums separately and then adds in order: a fixed split, so the result does not
depend on how many threads sum them."""


def channel_means(rgb: np.ndarray, threads: int = 1) -> np.ndarray:
    """Mean of each channel of (rows, cols, 3) RGB, summed in float64 in one compiled pass (no BLAS threads),
    in ``SUM_BLOCKS`` blocks spread over ``threads``."""
    flat = np.ascontiguousarray(rgb, dtype=np.float32).reshape(-1, 3)
    edges = [len(flat) * k // SUM_BLOCKS for k in range(SUM_BLOCKS + 1)]
    sums = np.zeros((SUM_BLOCKS, 3))

    def work(first: int, stop: int) -> None:
        for k in range(first, stop):
            sums[k] = _channel_sums(flat[edges[k] : edges[k + 1]])

    in_blocks(SUM_BLOCKS, threads, work)
    return sums.sum(axis=0) / max(1, len(flat))  # type: ignore[no-any-return]
