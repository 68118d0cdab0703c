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

SRGB_FROM_XYZ = np.array(
    [[3.2406, -1.5372, -0.4986], [-0.9689, 1.8758, 0.0415], [0.0557, -0.2040, 1.0570]]
)
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
        raise ValueError(f"camera_from_xyz is singular (condition number {np.linalg.cond(c):.3g}): no colour correction exists")
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


def apply_matrix(rgb: np.ndarray, matrix: np.ndarray, block_pixels: int = 1 << 16) -> np.ndarray:
    """``rgb @ matrix.T`` for (rows, cols, 3) float32 as BLAS products over blocks of pixels: no temporaries,
    and blocks small enough that BLAS stays on the calling thread (its worker threads would spin against the
    other half of a preview stream for a 3 x 3 product that cannot use them)."""
    m = np.ascontiguousarray(np.asarray(matrix, dtype=np.float32).T)
    flat = np.ascontiguousarray(rgb, dtype=np.float32).reshape(-1, 3)
    out = np.empty_like(flat)
    for start in range(0, len(flat), block_pixels):
        np.matmul(flat[start : start + block_pixels], m, out=out[start : start + block_pixels])
    return out.reshape(rgb.shape)
