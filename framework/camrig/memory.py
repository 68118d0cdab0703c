"""Sizes checked against memory before anything is allocated.

A rig's pixel grid decides what a capture holds at its peak: the scene's irradiance planes, the optics'
working copies, the raw mosaic and the host's RGB images. :func:`check_capture_memory` estimates that peak
from the sensor's ``width_px x height_px`` and refuses a rig whose peak exceeds what this process may use
(physical memory, or less under a cgroup limit or ``ulimit -v``), naming the field, before any frame, grid
or view is made. ``CAMRIG_MEMORY_BYTES`` states the budget instead (e.g. for a machine shared with others).
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ConfigError

__all__ = ["PEAK_BYTES_PER_PIXEL", "memory_budget", "check_capture_memory", "human_bytes"]

PEAK_BYTES_PER_PIXEL = 32
"""Bytes a capture holds at its peak per sensor pixel, with a margin: the 100 MP module's quick-start capture
peaks at 2.19 GB from outside (``/usr/bin/time -v``), 20 bytes a pixel above the interpreter's own 0.22 GB:
the scene's radiance, which the lens's image then overwrites, the raw, and the RGB image the stages pass on
in place (:attr:`camrig.CaptureContext.reusable`). Small captures are dominated by fixed costs (caches,
compiled code), which this per-pixel figure does not try to follow."""

ENV_MEMORY = "CAMRIG_MEMORY_BYTES"

_CGROUP_LIMITS = (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))


def memory_budget() -> int | None:
    """Bytes this process may use: ``CAMRIG_MEMORY_BYTES`` if set, else the least of physical memory, the
    cgroup memory limit and the address-space and data-size limits; None when none of them is known."""
    raw = os.environ.get(ENV_MEMORY, "").strip()
    if raw:
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value < 1:
            raise ConfigError(f"{ENV_MEMORY}={raw!r}: expected a positive number of bytes")
        return value
    limits: list[int] = []
    try:
        limits.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        pass
    for path in _CGROUP_LIMITS:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            limits.append(int(text))
    try:
        import resource

        for which in (resource.RLIMIT_AS, resource.RLIMIT_DATA):
            soft, _ = resource.getrlimit(which)
            if soft != resource.RLIM_INFINITY and soft > 0:
                limits.append(soft)
    except (ImportError, OSError, ValueError):
        pass
    return min(limits) if limits else None


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.3g} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def check_capture_memory(width_px: int, height_px: int, where: str, field: str) -> None:
    """Refuse a ``width_px x height_px`` sensor whose capture would not fit in :func:`memory_budget`:
    a :class:`ConfigError` starting ``where: field:``."""
    budget = memory_budget()
    need = width_px * height_px * PEAK_BYTES_PER_PIXEL
    if budget is None or need <= budget:
        return
    raise ConfigError(
        f"{where}: {field}: {width_px} x {height_px} px needs about {human_bytes(need)} at the peak of a capture "
        f"({PEAK_BYTES_PER_PIXEL} bytes per pixel), more than the {human_bytes(budget)} this machine gives "
        f"({ENV_MEMORY} to change); use fewer pixels"
    )
