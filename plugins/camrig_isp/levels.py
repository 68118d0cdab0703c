"""Black level and white level in one compiled pass: x = (DN - black) / (white - black), float32."""

from __future__ import annotations

import numpy as np
from numba import njit

from camrig import in_blocks


@njit(nogil=True, cache=True)
def _normalise_into(raw: np.ndarray, black: float, scale: float, out: np.ndarray) -> None:
    b, s = np.float32(black), np.float32(scale)
    for r in range(raw.shape[0]):
        for c in range(raw.shape[1]):
            out[r, c] = (np.float32(raw[r, c]) - b) * s


def normalise(raw: np.ndarray, black: float, white: float, threads: int = 1) -> np.ndarray:
    """(raw - black) / (white - black) as float32 (rows x cols), in row blocks on ``threads`` threads: the same
    float32 arithmetic as ``(raw.astype(float32) - black) * float32(1 / (white - black))``."""
    out = np.empty(raw.shape, np.float32)
    scale = 1.0 / (white - black)
    in_blocks(raw.shape[0], threads, lambda a, b: _normalise_into(raw[a:b], black, scale, out[a:b]))
    return out
