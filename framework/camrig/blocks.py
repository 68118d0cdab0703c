"""Splitting a compiled kernel's work into blocks on threads, for plugins: kernels that release the
interpreter lock (numba ``nogil``, NumPy, most codecs) then run an accessory given ``CaptureContext.threads > 1``
on that many cores. Each block's result lands in its own part of the output, so a kernel whose result per
element does not depend on the split gives the same result for any number of threads."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

__all__ = ["in_blocks"]


def in_blocks(count: int, threads: int, work: Callable[[int, int], None], *, align: int = 1) -> None:
    """Call ``work(start, stop)`` for contiguous blocks covering ``0 ... count``, one block per thread (block
    edges on multiples of ``align``, e.g. 2 to keep a CFA's phase); in the calling thread when one suffices.

    >>> import numpy as np
    >>> rows, out = np.arange(10.0), np.zeros(10)
    >>> def work(start: int, stop: int) -> None:
    ...     out[start:stop] = rows[start:stop] ** 2
    >>> in_blocks(10, 3, work, align=2)
    >>> out.tolist() == (rows**2).tolist()
    True
    """
    blocks = max(1, min(threads, count // max(align, 1)))
    edges = [min(count, round(count * i / blocks / align) * align) for i in range(blocks)] + [count]
    spans = [(a, b) for a, b in zip(edges, edges[1:]) if b > a]
    if not spans:  # nothing to do
        return
    if len(spans) == 1:
        work(*spans[0])
        return
    with ThreadPoolExecutor(len(spans)) as pool:
        list(pool.map(lambda span: work(*span), spans))  # list() re-raises the first exception
