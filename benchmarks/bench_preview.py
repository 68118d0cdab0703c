"""Preview streaming of a ~2 MP module (1920 x 1080) through the whole chain, on this machine's 2 cores.

For the module in a thread and in a process of its own, unpaced (the module as fast as this machine simulates
it: the simulator's ceiling), two ratios: the stream's steady frame period against a plain loop of full
captures of the same rig (what pipelining the module and host halves, and imaging the static scene once, buy),
and the frame rate against the 30 fps target. Live (the module paced at its sensor's 30 fps, as
``camrig preview`` runs): the share of the sensor's frames the phone shows (the rest are superseded because
the host was still busy). p99 latency is printed for context.
"""

from __future__ import annotations

import gc
import time

import camrig
from run import Result

RIG = {
    "rig": {
        "name": "2 MP preview",
        "lens": {"type": "optics.m43_35mm_f1_4"},
        "sensor": {"type": "sensors.cmos", "width_px": 1920, "height_px": 1080, "pixel_pitch_um": 9.0},
        "attachment": {"type": "mounts.magnetic"},
        "link": {"type": "links.optical"},
        "stages": [
            {"type": "isp.black_level"},
            {"type": "isp.demosaic"},
            {"type": "isp.white_balance"},
            {"type": "isp.gamma"},
        ],
    },
    "capture": {"scene": {"type": "scenes.chart", "width_deg": 24}, "exposure_s": 0.004},
}


WARM_UP = 30
"""Frames (by index) left out of the steady state: the first second loads the compiled kernels in each process
and settles the heap."""


def steady(phone: camrig.Phone, frames: int, realtime: bool) -> tuple[float, float, int, int, float]:
    """(frame period, p99 latency, frames shown, frames sensed; both after the warm-up, and the time to the
    first shown frame)."""
    start = time.perf_counter()
    first, times, latencies, sensed = None, [], [], 0
    for f in phone.stream(frames, realtime=realtime):  # a display shows each frame and lets it go
        if f.frame is not None:
            first = first or time.perf_counter()
        if f.index < WARM_UP:
            continue
        sensed += 1
        if f.frame is not None:
            times.append(time.perf_counter())
            latencies.append(f.latency_s)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
    return (times[-1] - times[0]) / max(1, len(times) - 1), p99, len(times), sensed, (first or start) - start


def run(quick: bool) -> list[Result]:
    frames, repeats = (50, 1) if quick else (150, 3)
    phone = camrig.Phone()
    rig = phone.attach(RIG)
    start = time.perf_counter()
    for i in range(3 if quick else 6):
        rig.capture(seed=i)
    capture_period = (time.perf_counter() - start) / (3 if quick else 6)
    results = []
    for mode in ("thread", "process"):
        for realtime in (False, True):
            runs = []  # (period, p99, shown, sensed, startup) per stream; the median stream is reported
            for _ in range(repeats):  # streams of the two modes take turns with the machine's noise
                phone = camrig.Phone(module=mode)
                phone.attach(RIG)
                gc.freeze()  # as `camrig preview` does before it streams
                runs.append(steady(phone, frames, realtime))
                phone.detach()
            runs.sort(key=lambda r: r[2] / r[3] if realtime else r[0])
            period, p99, shown, sensed, startup = runs[len(runs) // 2]
            note = (f"{1 / period:.1f} fps, {shown} of {sensed} frames shown after the first {WARM_UP}, p99 latency "
                    f"{p99 * 1e3:.0f} ms ({startup:.1f} s to the first frame); median of {repeats}")  # fmt: skip
            if realtime:
                results.append(
                    Result(
                        f"live stream (sensor paced at 30 fps): frames shown / frames sensed, 2 MP, module in a {mode}",
                        shown / sensed,
                        ">= 0.95",
                        note,
                    )
                )
                continue
            results += [
                Result(
                    f"unpaced stream frame period / full-capture loop period, 2 MP, module in a {mode}",
                    period / capture_period,
                    "<= 1",
                    f"stream {period * 1e3:.0f} ms/frame, capture loop {capture_period * 1e3:.0f} ms",
                ),
                Result(f"unpaced stream frame rate / 30 fps, 2 MP, module in a {mode}", 1 / period / 30, ">= 1", note),
            ]
    return results
