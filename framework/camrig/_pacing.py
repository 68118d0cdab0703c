"""Pacing a stream's module to its sensor's frame rate, as a live sensor delivers frames."""

from __future__ import annotations

import threading
import time


class Pacer:
    """Frame ``i`` is due at ``start + i / rate``, the clock starting at the first frame. A module ahead of
    its schedule waits; one behind it runs as fast as this machine simulates (it never skips a frame to
    catch up: each frame is the sensor's frame for its slot, only late). ``rate_hz`` None: no waiting."""

    def __init__(self, rate_hz: float | None) -> None:
        self.period_s = 1.0 / rate_hz if rate_hz else 0.0
        self._start: float | None = None

    def wait(self, index: int, stop: threading.Event | None = None) -> bool:
        """Wait until frame ``index`` is due; False if ``stop`` was set meanwhile."""
        now = time.perf_counter()
        if self._start is None:
            self._start = now - index * self.period_s
        delay = self._start + index * self.period_s - now
        if delay <= 0:
            return True
        if stop is None:
            time.sleep(delay)
            return True
        return not stop.wait(delay)
