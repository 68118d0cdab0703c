"""Preview streaming of a ~2 MP module (1920 x 1080) through the whole chain, on this machine's 2 cores.

Two ratios: the stream's frame period against a plain loop of full captures of the same rig (what
pipelining the module and host halves, and imaging the static scene once, buy); and the frame rate against
the 30 fps target. p99 latency is printed for context.
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


def run(quick: bool) -> list[Result]:
    frames = 15 if quick else 60
    phone = camrig.Phone()
    rig = phone.attach(RIG)
    start = time.perf_counter()
    for i in range(3 if quick else 6):
        rig.capture(seed=i)
    capture_period = (time.perf_counter() - start) / (3 if quick else 6)
    start = time.perf_counter()
    shown = [f for f in phone.stream(frames) if f.frame is not None]
    elapsed = time.perf_counter() - start
    phone.detach()
    period = elapsed / len(shown)
    latencies = sorted(f.latency_s for f in shown)
    p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
    fps = 1 / period
    return [
        Result("stream frame period / full-capture loop period, 2 MP", period / capture_period, "<= 1",
               f"stream {period * 1e3:.0f} ms/frame ({len(shown)} of {frames} shown), capture loop {capture_period * 1e3:.0f} ms"),
        Result("stream frame rate / 30 fps, 2 MP", fps / 30, ">= 1", f"{fps:.1f} fps, p99 latency {p99 * 1e3:.0f} ms"),
    ]  # fmt: skip
