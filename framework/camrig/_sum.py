"""A sum that only has to be finite or not: compiled with reassociation allowed (so it vectorises, 2-3x faster
than NumPy's pairwise sum) but no other fast-math licence, so NaN and infinity still propagate to the result."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(nogil=True, cache=True, fastmath={"reassoc"})
def quick_sum(flat: np.ndarray) -> float:
    """The sum of a 1-D float array in its own precision, in any order: non-finite exactly when a value is
    non-finite or the sum overflows."""
    total = flat.dtype.type(0)
    for i in range(flat.size):
        total += flat[i]
    return total
