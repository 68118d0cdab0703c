"""Spatial filters on linear RGB: noise reduction, sharpening and area downscaling."""

from __future__ import annotations

import numpy as np


def _blur(plane: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of one plane: scipy's sampled, normalised kernel truncated at 4 sigma, mirrored borders."""
    from scipy import ndimage

    return ndimage.gaussian_filter(plane, sigma, mode="mirror", truncate=4.0)


def denoise(rgb: np.ndarray, luma_sigma: float, chroma_sigma: float) -> np.ndarray:
    """Smooth luma Y = (R + G + B) / 3 and chroma (R - G, B - G) with separate Gaussian sigmas, then return to
    RGB. Chroma noise is the blotchy, coloured kind the eye resents and resolution hides; luma carries detail, so
    it gets less (or none). For white noise of variance v, a Gaussian kernel k leaves v sum(k^2)."""
    r, g, b = (rgb[:, :, c] for c in range(3))
    y = (r + g + b) / np.float32(3)
    c1, c2 = r - g, b - g
    if luma_sigma > 0:
        y = _blur(y, luma_sigma)
    if chroma_sigma > 0:
        c1, c2 = _blur(c1, chroma_sigma), _blur(c2, chroma_sigma)
    out = np.empty_like(rgb)
    g_new = y - (c1 + c2) / np.float32(3)
    out[:, :, 1] = g_new
    out[:, :, 0] = c1 + g_new
    out[:, :, 2] = c2 + g_new
    return out


def sharpen(rgb: np.ndarray, amount: float, sigma: float) -> np.ndarray:
    """Unsharp mask, x + amount (x - G_sigma * x) per channel: a sinusoid of frequency f gains
    1 + amount (1 - H(f)), H the Gaussian's transfer function (about exp(-2 pi^2 sigma^2 f^2))."""
    out = np.empty_like(rgb)
    for c in range(3):
        plane = np.ascontiguousarray(rgb[:, :, c])
        blurred = _blur(plane, sigma)
        np.subtract(plane, blurred, out=blurred)
        blurred *= np.float32(amount)
        blurred += plane
        out[:, :, c] = blurred
    return out


def area_downscale(rgb: np.ndarray, factor: int) -> np.ndarray:
    """Mean over factor x factor blocks (a box filter then decimation, which is what binning does); rows and
    columns beyond a whole block are dropped."""
    h, w = rgb.shape[0] // factor * factor, rgb.shape[1] // factor * factor
    if h == 0 or w == 0:
        raise ValueError(f"cannot scale a {rgb.shape[0]}x{rgb.shape[1]} image down by {factor}")
    if factor == 1:
        return np.array(rgb, dtype=np.float32)
    blocks = rgb[:h, :w].reshape(h // factor, factor, w // factor, factor, rgb.shape[2])
    return blocks.mean(axis=(1, 3), dtype=np.float32)
