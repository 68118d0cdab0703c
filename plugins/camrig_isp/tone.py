"""Tone curves and display encoding: the sRGB transfer function and Hable's filmic curve, through lookup tables."""

from __future__ import annotations

import numpy as np
from numba import njit

from camrig import in_blocks


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    """sRGB opto-electronic transfer function, IEC 61966-2-1:1999 (input clipped to [0, 1]).

    Exact formula; see :func:`srgb_encode_lut` for the fast path the stage uses."""
    x = np.clip(linear, 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055).astype(np.float32)


LUT_BITS = 16
_SRGB_LUT = srgb_encode(np.linspace(0.0, 1.0, 2**LUT_BITS, dtype=np.float64))
HABLE = dict(a=0.15, b=0.50, c=0.10, d=0.20, e=0.02, f=0.30)
"""Constants of J. Hable's filmic curve ("Filmic tonemapping operators", 2010; "Uncharted 2: HDR Lighting", GDC
2010): shoulder strength A, linear strength B, linear angle C, toe strength D, toe numerator E, denominator F."""


def hable(x: np.ndarray) -> np.ndarray:
    """Hable's curve F(x) = ((x (A x + C B) + D E) / (x (A x + B) + D F)) - E / F; F(0) = 0, increasing."""
    a, b, c, d, e, f = (HABLE[k] for k in "abcdef")
    x = np.asarray(x, dtype=np.float64)
    return (x * (a * x + c * b) + d * e) / (x * (a * x + b) + d * f) - e / f


def filmic(linear: np.ndarray, white_point: float) -> np.ndarray:
    """Filmic tone mapping to [0, 1] (not yet display encoded): F(x) / F(W), clipped at W (exact formula)."""
    x = np.clip(np.asarray(linear, dtype=np.float64), 0.0, white_point)
    return hable(x) / hable(np.array(white_point, dtype=np.float64))


@njit(nogil=True, cache=True)
def _lookup_into(flat: np.ndarray, scale: float, table: np.ndarray, out: np.ndarray) -> None:
    top = table.size - 1
    for i in range(flat.size):
        x = flat[i] * scale
        if not x > 0:  # also NaN: the table's first entry
            out[i] = table[0]
        elif x >= top:
            out[i] = table[top]
        else:
            out[i] = table[int(np.rint(x))]


def _lookup(
    linear: np.ndarray, scale: float, table: np.ndarray, threads: int = 1, out: np.ndarray | None = None
) -> np.ndarray:
    """table[rint(clip(scale * linear, 0, len(table) - 1))] (NaN reads the first entry), in one compiled pass
    (split over ``threads``)."""
    flat = np.ascontiguousarray(linear, dtype=np.float32).ravel()
    out = np.empty(flat.size, dtype=table.dtype) if out is None else out.reshape(-1)  # may be ``linear`` itself
    in_blocks(flat.size, threads, lambda a, b: _lookup_into(flat[a:b], float(scale), table, out[a:b]))
    return out.reshape(linear.shape)


def srgb_encode_lut(
    linear: np.ndarray, gain: float = 1.0, threads: int = 1, out: np.ndarray | None = None
) -> np.ndarray:
    """:func:`srgb_encode` of ``gain * linear`` through a 65536-entry table (input quantised to 16 bits;
    largest error 2e-4 of full scale, in the darkest steps where the curve is steepest): one pass instead of a
    power per sample."""
    return _lookup(linear, gain * (2**LUT_BITS - 1), _SRGB_LUT, threads, out)


def filmic_encode_lut(
    linear: np.ndarray, gain: float, white_point: float, threads: int = 1, out: np.ndarray | None = None
) -> np.ndarray:
    """sRGB encoding of :func:`filmic` of ``gain * linear``, through one 65536-entry table over [0, W]."""
    table = srgb_encode(filmic(np.linspace(0.0, white_point, 2**LUT_BITS), white_point))
    return _lookup(linear, gain * (2**LUT_BITS - 1) / white_point, table, threads, out)
