"""The sensor stage on a 100 MP frame (12 MP with --quick) against numpy's Generator.poisson of the same
mean electrons, and its peak memory against the float32 frame."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np

from camrig_sensors import M43_100MP
from camrig_sensors.cmos import CmosSensor
from run import Result, interleaved


def run(quick: bool) -> list[Result]:
    spec = M43_100MP(width_px=4000, height_px=3000) if quick else M43_100MP()
    sensor = CmosSensor(spec)
    rows, cols = spec.height_px, spec.width_px
    rng = np.random.default_rng(0)
    irradiance = rng.random((rows, cols, 3), dtype=np.float32) * np.float32(0.3) + np.float32(0.01)
    exposure_s = 0.005  # ~50 to ~5000 e-: the exact Poisson, Gaussian and clipping paths all run
    mean = sensor.mean_electrons(irradiance, exposure_s)
    poisson = np.random.default_rng(1)
    sensor_s, poisson_s = interleaved(
        lambda: sensor.expose(irradiance, exposure_s, 0, "sensor"), lambda: poisson.poisson(mean), 1 if not quick else 3
    )
    frame_bytes = rows * cols * 4
    fresh = CmosSensor(spec)  # a new instance: its fixed-pattern cache fills during the traced run and counts
    tracemalloc.start()
    start = time.perf_counter()
    fresh.expose(irradiance, exposure_s, 0, "sensor")
    traced_s = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    mp = rows * cols / 1e6
    return [
        Result(f"sensor stage / Generator.poisson, {mp:.0f} MP", sensor_s / poisson_s, "<= 0.5",
               f"sensor {sensor_s:.2f} s, poisson {poisson_s:.2f} s"),
        Result(f"sensor peak memory / float32 frame, {mp:.0f} MP", peak / frame_bytes, "<= 2",
               f"peak {peak / 1e6:.0f} MB (traced run {traced_s:.1f} s), frame {frame_bytes / 1e6:.0f} MB"),
    ]  # fmt: skip
