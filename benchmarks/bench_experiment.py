"""A 48-run sweep at ~2 MP (1920 x 1080, 12 runs at 0.5 MP with --quick) on 2 worker processes against 1
(target: >= 1.8x faster, printed as the median 1-worker time over the median 2-worker time, the two
alternating). Each run assembles its rig, captures through a diffraction-limited lens, the sensor, the link
and black level + demosaic, and measures latency and link load."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import camrig
from camrig.experiments import LocalProcesses, experiment_from_dict, run_experiment
from run import Result, interleaved

RIG = {
    "rig": {
        "name": "2 MP", "frame_rate_hz": 30,
        "lens": {"type": "optics.ideal", "focal_length_mm": 35, "f_number": 2.8, "image_circle_mm": 40},
        "sensor": {"type": "sensors.cmos", "width_px": 1920, "height_px": 1080, "pixel_pitch_um": 9.0},
        "attachment": {"type": "mounts.magnetic"},
        "link": {"type": "links.optical"},
        "stages": [{"type": "isp.black_level"}, {"type": "isp.demosaic"}],
    },
    "capture": {"scene": {"type": "scenes.chart", "width_deg": 24}, "exposure_s": 0.002},
}  # fmt: skip


def run(quick: bool) -> list[Result]:
    rig = copy.deepcopy(RIG)
    runs = 12 if quick else 48
    if quick:
        rig["rig"]["sensor"].update(width_px=960, height_px=540)
    data = {"experiment": {"name": "bench", "rig": rig, "sweep": {"grid": {"capture.seed": list(range(runs))}},
                           "measurements": [{"type": "measure.latency"}, {"type": "measure.link"}]}}  # fmt: skip
    experiment = experiment_from_dict(data)

    def sweep(workers: int) -> None:
        with tempfile.TemporaryDirectory() as out:
            records = run_experiment(experiment, Path(out), host=camrig.Host(env={}), executor=LocalProcesses(workers))
            assert all(r["status"] == "ok" for r in records), [r["error"] for r in records if r["error"]]

    two, one = interleaved(lambda: sweep(2), lambda: sweep(1), 2 if quick else 3)  # medians, alternating
    size = "0.5 MP" if quick else "2 MP"
    return [Result(f"{runs}-run sweep at {size}: 1 worker / 2 workers", one / two, ">= 1.8",
                   f"1 worker {one:.1f} s, 2 workers {two:.1f} s (medians)")]  # fmt: skip
