"""Keeping freed frame buffers in the process, so the next frame does not fault in fresh pages.

glibc's allocator gives blocks above its mmap threshold (at most 32 MiB) their own mapping, unmapped again on
free, and returns freed memory at the top of the heap to the system once it exceeds the trim threshold. A
stream allocates and frees the same few frame-sized arrays at every frame; each fresh mapping is faulted in
page by page (about 8000 faults, several ms, for a 33 MB RGB preview frame). Raising both thresholds keeps
freed frames in the heap for the next frame. Process-wide, so only camrig's own processes (the command line
and a stream's module process) call it; elsewhere (not glibc) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_MAX = 32 << 20
"""glibc's largest mmap threshold on 64-bit systems (``DEFAULT_MMAP_THRESHOLD_MAX``)."""


@functools.cache
def keep_freed_memory() -> bool:
    """Ask glibc (``mallopt``, a documented API) to serve blocks up to 32 MiB from the heap and never trim it;
    True where it took effect."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX)) and bool(mallopt(M_TRIM_THRESHOLD, 2**31 - 1))
