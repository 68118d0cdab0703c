"""A sum that only has to be finite or not: compiled with reassociation allowed (so it vectorises, 2-3x faster
than NumPy's pairwise sum) but no other fast-math licence, so NaN and infinity still propagate to the result."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(nogil=True, cache=True, fastmath={"reassoc"})
def quick_sum(rows: np.ndarray) -> float:
    """The sum of a 2-D float array (rows contiguous, any row stride) in its own precision, in any order:
    non-finite exactly when a value is non-finite or the sum overflows."""
    total = rows.dtype.type(0)
    for r in range(rows.shape[0]):
        row = rows[r]
        for i in range(row.size):
            total += row[i]
    return total
