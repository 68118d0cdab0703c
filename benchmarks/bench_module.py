"""The seed's own rig, the 100 MP Four Thirds module (``examples/rigs/four_thirds_module.yaml``), at full size.

Baseline B, measured in this run: one ``scipy.signal.fftconvolve(plane, kernel, mode="same")`` of a 100 MP
float32 plane with a 17 x 17 kernel. Printed as ratios (targets from issue 12):

- the README's quick-start capture (``camrig capture ... --out capture.png``), process start to exit, in a
  child process: wall time / B (<= 2) and peak RSS read by ``/usr/bin/time -v`` (or the kernel's rusage of the
  child where that tool is missing) / 2.5 GB (<= 1);
- each step on the module's own frames: scene / one write of its output array (<= 2); lens (3 bands, 3 field
  zones) / B (<= 1); sensor / ``numpy.random.Generator.poisson`` of the same mean electrons (<= 0.25); host
  pipeline / one copy of the RGB image (<= 5); PNG writer / Pillow's PNG save of the same 8-bit image at
  ``compress_level=1`` (<= 0.5);
- the module's own preview, ``camrig preview`` live for 150 frames: frames shown / 30 fps (>= 1), shown / sensed
  (>= 0.95), time to the first frame as it reports it / 2 s (<= 1), p99 latency printed.

With --quick the capture steps run on a 12 MP crop of the sensor (the whole-capture and preview lines still
run the real rig). Nothing here asserts: the targets are printed beside the ratios.
"""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import camrig
from camrig.router import context, develop
from run import Result

ROOT = Path(__file__).resolve().parent.parent
RIG = ROOT / "examples" / "rigs" / "four_thirds_module.yaml"
CAMRIG = [sys.executable, "-m", "camrig"]


def timed(fn, repeats: int = 1) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    """Best of ``repeats`` wall times of ``fn()`` and its last result."""
    best, out = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def baseline_b() -> float:
    from scipy import signal

    plane = np.random.default_rng(0).random((8640, 11520), dtype=np.float32)
    kernel = np.random.default_rng(1).random((17, 17), dtype=np.float32)
    return timed(lambda: signal.fftconvolve(plane, kernel, mode="same"))[0]


def whole_capture(folder: Path) -> tuple[float, float]:
    """(wall s, peak RSS bytes) of the quick-start capture in a child process."""
    out = folder / "capture.png"
    command = [*CAMRIG, "capture", str(RIG), "--out", str(out), "--force"]
    gnu_time = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    start = time.perf_counter()
    if gnu_time:
        done = subprocess.run([gnu_time, "-v", *command], capture_output=True, text=True, check=True)
        wall = time.perf_counter() - start
        peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))  # type: ignore[union-attr]
        return wall, peak_kb * 1024
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(command, capture_output=True, check=True)
    wall = time.perf_counter() - start
    return wall, max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) * 1024


def preview(*options: str) -> tuple[float, float, float, float]:
    """(fps from the first shown frame, shown / sensed, time to the first frame s, p99 latency ms) as
    ``camrig preview`` reports them."""
    done = subprocess.run(
        [*CAMRIG, "preview", str(RIG), "--frames", "150", *options], capture_output=True, text=True, check=True
    )
    text = done.stdout + done.stderr
    shown, sensed, fps, first = re.search(
        r"(\d+) of (\d+) frames shown: ([\d.]+) fps from the first, which came after ([\d.]+) s", text
    ).groups()  # type: ignore[union-attr]
    p99 = re.search(r"p99 ([\d.]+) ms", text).group(1)  # type: ignore[union-attr]
    return float(fps), int(shown) / int(sensed), float(first), float(p99)


def steps(quick: bool, b: float) -> list[Result]:
    overrides = ["rig.sensor.width_px=4000", "rig.sensor.height_px=3000"] if quick else []
    rig = camrig.load_rig(RIG, overrides=overrides)
    ctx = context(rig)
    scene, lens, sensor = (rig.parts[r].accessory for r in ("scene", "lens", "sensor"))
    view = rig.geometry.view
    results = []

    def one_write() -> None:
        np.empty((view.height, view.width, len(scene.spec.bands_nm)), np.float32).fill(1.0)

    scene_s, radiance = timed(lambda: scene.process(None, ctx, "scene"), 2)
    write_s, _ = timed(one_write, 2)
    results.append(
        Result(
            "scene (chart) / one write of its output",
            scene_s / write_s,
            "<= 2",
            f"scene {scene_s:.2f} s, write {write_s:.2f} s, {view.width} x {view.height} x 3",
        )
    )
    lens_s, irradiance = timed(lambda: lens.process(radiance, ctx, "lens"))
    del radiance
    mp = irradiance.data.shape[0] * irradiance.data.shape[1] / 1e6  # type: ignore[union-attr]
    results.append(
        Result(
            f"lens (3 bands, 3 field zones) / B, {mp:.0f} MP", lens_s / b, "<= 1", f"lens {lens_s:.2f} s, B {b:.2f} s"
        )
    )
    sensor_s, raw = timed(lambda: sensor.process(irradiance, ctx, "sensor"))
    mean = sensor.mean_electrons(irradiance.data, ctx.exposure_s)  # type: ignore[union-attr]
    del irradiance
    poisson_s, _ = timed(lambda: np.random.default_rng(1).poisson(mean))
    del mean
    results.append(Result(f"sensor / Generator.poisson of the same mean, {mp:.0f} MP", sensor_s / poisson_s, "<= 0.25",
                          f"sensor {sensor_s:.2f} s, poisson {poisson_s:.2f} s"))  # fmt: skip
    raw = rig.parts["link"].accessory.process(raw, ctx, "link")
    develop_s, (result, _) = timed(lambda: develop(rig, raw, ctx), 2)
    copy_s, _ = timed(lambda: result.data.copy(), 2)
    results.append(Result(f"host pipeline / one copy of the RGB image, {mp:.0f} MP", develop_s / copy_s, "<= 5",
                          f"pipeline {develop_s:.2f} s, copy {copy_s:.2f} s"))  # fmt: skip
    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        ours_s, _ = timed(lambda: _write_png(rig, result, Path(folder) / "ours.png"))
        pixels = np.rint(np.clip(result.data, 0, 1) * 255).astype(np.uint8)
        pillow_s, _ = timed(lambda: Image.fromarray(pixels).save(Path(folder) / "pillow.png", compress_level=1))
    results.append(Result(f"PNG writer / Pillow PNG save at level 1, {mp:.0f} MP", ours_s / pillow_s, "<= 0.5",
                          f"ours {ours_s:.2f} s, Pillow {pillow_s:.2f} s (8-bit image given)"))  # fmt: skip
    return results


def _write_png(rig: camrig.Rig, frame: camrig.Frame, path: Path) -> None:
    rig.writer(path).accessory.write(frame, path)


def run(quick: bool) -> list[Result]:
    b = baseline_b()
    results = steps(quick, b)
    with tempfile.TemporaryDirectory() as folder:
        wall, peak = whole_capture(Path(folder))
    results += [
        Result(
            "quick-start capture, 100 MP, process start to exit / B", wall / b, "<= 2", f"{wall:.1f} s, B {b:.2f} s"
        ),
        Result("quick-start capture peak RSS (from outside) / 2.5 GB", peak / 2.5e9, "<= 1", f"{peak / 1e9:.2f} GB"),
    ]
    fps, share, first, p99 = preview()
    ceiling = preview("--unpaced")[0]
    results += [
        Result(
            "module preview (live, 1440 x 1080): frame rate / 30 fps",
            fps / 30,
            ">= 1",
            f"{fps:.1f} fps (paced by the sensor's 30 fps: at most 1), p99 latency {p99:.0f} ms",
        ),
        Result("module preview unpaced (the simulator's ceiling) / 30 fps", ceiling / 30, ">= 1", f"{ceiling:.1f} fps"),
        Result("module preview: frames shown / frames sensed", share, ">= 0.95", f"{share * 150:.0f} of 150"),
        Result(
            "module preview: time to the first frame / 2 s",
            first / 2,
            "<= 1",
            f"{first:.2f} s as `camrig preview` reports it",
        ),
    ]
    return results
