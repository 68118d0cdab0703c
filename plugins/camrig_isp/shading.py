"""Lens shading correction in one compiled pass: each raw pixel times RI(r)^-strength.

RI is the lens's relative illumination, a radial table interpolated linearly in log (EV). Evaluating the
interpolation and an exponential per pixel costs ~20 ns; instead the gain is tabulated on a radius grid that
is a whole subdivision of the table's (uniform) spacing, so every table knot is a grid point and between
grid points log-gain is exactly linear: linear interpolation of the gain itself then errs only by the
curvature of exp over one grid step, (b dr)^2 / 8 with b the log-slope (below 1e-6 here).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from camrig import in_blocks

SUBDIVISIONS = 256
"""Grid points per interval of the lens's radial table."""


@njit(nogil=True, cache=True)
def _shade_rows(
    raw: np.ndarray, y2: np.ndarray, x2: np.ndarray, step: float, table: np.ndarray, out: np.ndarray
) -> None:
    top = table.size - 1
    inv = 1.0 / step
    for r in range(raw.shape[0]):
        for c in range(raw.shape[1]):
            t = np.sqrt(y2[r] + x2[c]) * inv
            i = int(t)
            if i >= top:
                g = table[top]
            else:
                f = t - i
                g = table[i] + f * (table[i + 1] - table[i])
            out[r, c] = raw[r, c] * g


def uniform_spacing(radius: np.ndarray) -> float | None:
    """The spacing of ``radius`` (starting at 0) if it is uniform to 1e-9 relative, else None."""
    if radius.size < 2 or radius[0] != 0:
        return None
    steps = np.diff(radius)
    step = float(radius[-1] / (radius.size - 1))
    return step if step > 0 and np.all(np.abs(steps - step) <= 1e-9 * step) else None


def gain_map(
    shape: tuple[int, int], pitch_mm: float, radius_mm: np.ndarray, log_factor: np.ndarray, strength: float
) -> np.ndarray:
    """The gain :func:`shade` applies at each pixel of a ``shape`` frame (float32, read-only): for a stream,
    whose every frame has the same geometry, it is computed once and each frame is one multiplication."""
    gain = shade(np.ones(shape, np.float32), pitch_mm, radius_mm, log_factor, strength)
    gain.flags.writeable = False
    return gain


def shade(
    raw: np.ndarray,
    pitch_mm: float,
    radius_mm: np.ndarray,
    log_factor: np.ndarray,
    strength: float,
    threads: int = 1,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """``raw`` (rows x cols, float32) times exp(-strength * interp(r, radius_mm, log_factor)) at each pixel's
    radius r from the frame centre; ``radius_mm`` must start at 0 and be uniformly spaced (see
    :func:`uniform_spacing`), beyond its last value the gain is held. ``out``: the array to write into (may be
    ``raw`` itself)."""
    spacing = uniform_spacing(radius_mm)
    if spacing is None:
        raise ValueError("shade() needs a uniformly spaced radial table starting at 0")
    step = spacing / SUBDIVISIONS
    grid = np.arange((radius_mm.size - 1) * SUBDIVISIONS + 1) * step
    table = np.exp(-strength * np.interp(grid, radius_mm, log_factor))
    rows, cols = raw.shape
    x2 = ((np.arange(cols) - (cols - 1) / 2) * pitch_mm) ** 2
    y2 = ((np.arange(rows) - (rows - 1) / 2) * pitch_mm) ** 2
    out = np.empty(raw.shape, np.float32) if out is None else out
    in_blocks(rows, threads, lambda a, b: _shade_rows(raw[a:b], y2[a:b], x2, step, table, out[a:b]))
    return out
