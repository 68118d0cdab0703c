"""Preview streaming of a ~2 MP module (1920 x 1080) through the whole chain, on this machine's 2 cores.

For the module in a thread and in a process of its own, two ratios: the stream's steady frame period against
a plain loop of full captures of the same rig (what pipelining the module and host halves, and imaging the
static scene once, buy); and the frame rate against the 30 fps target. p99 latency is printed for context.
"""

from __future__ import annotations

import time

from run import Result

import camrig

RIG = {
    "rig": {
        "name": "2 MP preview",
        "lens": {"type": "optics.m43_35mm_f1_4"},
        "sensor": {"type": "sensors.cmos", "width_px": 1920, "height_px": 1080, "pixel_pitch_um": 9.0},
        "attachment": {"type": "mounts.magnetic"},
        "link": {"type": "links.optical"},
        "stages": [{"type": "isp.black_level"}, {"type": "isp.demosaic"}, {"type": "isp.white_balance"}, {"type": "isp.gamma"}],
    },
    "capture": {"scene": {"type": "scenes.chart", "width_deg": 24}, "exposure_s": 0.004},
}


def steady(phone: camrig.Phone, frames: int) -> tuple[float, float, int, float]:
    """(frame period after the first frame, p99 latency, frames shown, time to the first frame)."""
    start = time.perf_counter()
    first, latencies = None, []
    for f in phone.stream(frames):  # a display shows each frame and lets it go: keep only its latency
        if f.frame is not None:
            first = first or time.perf_counter()
            latencies.append(f.latency_s)
    elapsed = time.perf_counter() - (first or start)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
    return elapsed / max(1, len(latencies) - 1), p99, len(latencies), (first or start) - start


def run(quick: bool) -> list[Result]:
    frames = 15 if quick else 60
    phone = camrig.Phone()
    rig = phone.attach(RIG)
    start = time.perf_counter()
    for i in range(3 if quick else 6):
        rig.capture(seed=i)
    capture_period = (time.perf_counter() - start) / (3 if quick else 6)
    results = []
    for mode in ("thread", "process"):
        phone = camrig.Phone(module=mode)
        phone.attach(RIG)
        period, p99, shown, startup = steady(phone, frames)
        phone.detach()
        results += [
            Result(f"stream frame period / full-capture loop period, 2 MP, module in a {mode}", period / capture_period, "<= 1",
                   f"stream {period * 1e3:.0f} ms/frame ({shown} of {frames} shown), capture loop {capture_period * 1e3:.0f} ms"),
            Result(f"stream frame rate / 30 fps, 2 MP, module in a {mode}", 1 / period / 30, ">= 1",
                   f"{1 / period:.1f} fps after the first frame ({startup:.1f} s to it), p99 latency {p99 * 1e3:.0f} ms"),
        ]  # fmt: skip
    return results
